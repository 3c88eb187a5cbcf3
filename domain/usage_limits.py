"""A promotion's or a promo code's uses against its limit: when it switches itself off,
and when it comes back (seeds 000 and 001).

1. A use moves the count by one, and a use given back (a cancelled or refunded invoice)
   by minus one (a repair may move it by several at once); it never goes below zero.
2. A use that brings the count to its limit switches the promotion or code off, when it is
   on and auto-deactivates (a promotion always does; a code unless told not to), and
   records that its limit did it.
3. Only what its limit switched off comes back on by itself, and only once it is under
   its limit again: a use given back, or the limit raised or removed. Something paused
   by hand stays paused.
"""

from __future__ import annotations

from dataclasses import dataclass


def under_limit(uses: int, limit: int | None) -> bool:
    """True while uses are left (no limit means always)."""
    return limit is None or uses < limit


def reactivates(uses: int, limit: int | None, *, auto_deactivated: bool) -> bool:
    """Rule 3: a promotion or code switched off by its limit comes back once under it."""
    return auto_deactivated and under_limit(uses, limit)


@dataclass(frozen=True)
class UseCounted:
    """The outcome of counting one use (or giving one back)."""

    uses: int
    deactivate: bool
    reactivate: bool


def count_use(
    uses: int,
    limit: int | None,
    step: int,
    *,
    active: bool,
    auto_deactivated: bool,
    auto_deactivate: bool = True,
) -> UseCounted:
    """Rules 1 to 3 for uses taken (`step` > 0) or given back (`step` < 0)."""
    after = max(0, uses + step)
    deactivate = step > 0 and active and auto_deactivate and not under_limit(after, limit)
    reactivate = step < 0 and reactivates(after, limit, auto_deactivated=auto_deactivated)
    return UseCounted(after, deactivate, reactivate)
