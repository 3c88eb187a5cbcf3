"""A/B tests of campaigns (issue #16), better than picking the highest rate.

1. A recipient's arm is a deterministic function of the campaign and the patient: the
   first 8 bytes of SHA-256 of both ids, as a number from 0 to 9,999 (basis points). The
   hold-out group (who gets nothing, to measure the lift) takes the lowest `holdout` points;
   the variants share the rest in their order and proportions.
2. A winner is named only when each variant has at least its minimum of recipients and a
   two-proportion z-test (pooled, two-sided) of their conversion (or reply) rates is
   significant at 5%; otherwise there is "no winner" and the manager chooses. The winner
   then goes to the rest of the audience.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HOLDOUT = "holdout"
POINTS = 10_000
ALPHA = 0.05


def bucket(campaign_id: uuid.UUID, patient_id: uuid.UUID) -> int:
    """The recipient's place from 0 to 9,999 (rule 1)."""
    digest = hashlib.sha256(campaign_id.bytes + patient_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") % POINTS


def arm(point: int, shares: Sequence[tuple[str, int]], holdout_percent: int) -> str:
    """The arm at `point` (rule 1): `shares` are (variant, weight) in order, weights in any
    unit; the hold-out takes `holdout_percent` of the points first."""
    cut = holdout_percent * POINTS // 100
    if point < cut:
        return HOLDOUT
    total = sum(weight for _name, weight in shares)
    if total <= 0:
        raise ValueError("The variants' shares add up to nothing")
    place = (point - cut) * total // (POINTS - cut)
    running = 0
    for name, weight in shares:
        running += weight
        if place < running:
            return name
    return shares[-1][0]


@dataclass(frozen=True)
class ZTest:
    """A two-proportion z-test: the statistic and its two-sided p-value."""

    z: float
    p_value: float


def two_proportion_z(successes: tuple[int, int], trials: tuple[int, int]) -> ZTest:
    """The pooled two-proportion z-test of successes[0]/trials[0] against [1]/[1]."""
    (x1, x2), (n1, n2) = successes, trials
    if n1 <= 0 or n2 <= 0:
        raise ValueError("Each arm needs at least one recipient")
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return ZTest(0.0, 1.0)
    z = (x1 / n1 - x2 / n2) / spread
    return ZTest(z, math.erfc(abs(z) / math.sqrt(2)))


@dataclass(frozen=True)
class Decision:
    """The outcome of an A/B test: the winner (None: no winner) and why, in words."""

    winner: str | None
    reason: str
    test: ZTest | None = None


def decide(
    arms: Mapping[str, tuple[int, int]], minimum_per_arm: int, *, what: str = "conversions"
) -> Decision:
    """Rule 2 for two variants: `arms` maps each to (successes, recipients)."""
    named = [(name, counts) for name, counts in arms.items() if name != HOLDOUT]
    if len(named) != 2:
        return Decision(None, "An A/B test compares exactly two variants.")
    (a, (xa, na)), (b, (xb, nb)) = named
    short = [name for name, (_x, n) in named if n < minimum_per_arm]
    if short:
        return Decision(
            None,
            f"No winner yet: {', '.join(short)} has fewer than {minimum_per_arm} recipients.",
        )
    test = two_proportion_z((xa, xb), (na, nb))
    if test.p_value >= ALPHA:
        return Decision(
            None,
            f"No winner: the difference in {what} is not significant "
            f"(p = {test.p_value:.3f}); choose yourself.",
            test,
        )
    winner = a if xa / na > xb / nb else b
    return Decision(winner, f"{winner} wins on {what} (p = {test.p_value:.3f} < {ALPHA}).", test)
