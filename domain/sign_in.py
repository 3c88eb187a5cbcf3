"""Rules for signing in: how many wrong PINs lock a user and for how long, what a new PIN
must be, and how long the desktop may sit idle before it locks its screen.

A locked user is refused even with the right PIN until the lock ends; the count of wrong
PINs in a row starts again after a right PIN or when a lock is given.

New PINs are 6 to 12 digits, or a passphrase of 12 to 64 characters (letters, spaces,
anything but only digits). PINs chosen before this rule (the demo's 4-digit PINs, a
first-run admin's) keep working: the rule is checked when a PIN is set, never at sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

WRONG_PINS_BEFORE_LOCK = 5
LOCK_FOR = timedelta(minutes=5)

IDLE_LOCK_MINUTES_RANGE = (1, 240)
DEFAULT_IDLE_LOCK_MINUTES = 10

_DIGITS = re.compile(r"^[0-9]{6,12}$")
PIN_RULE = "A PIN is 6 to 12 digits, or a passphrase of 12 to 64 characters"


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be chosen as a new PIN, or None when it can."""
    if _DIGITS.match(pin):
        return None
    if pin.isdigit() or not 12 <= len(pin) <= 64 or pin != pin.strip():
        return PIN_RULE
    return None


@dataclass(frozen=True)
class PinState:
    """A user's wrong PINs in a row and the lock they earned."""

    failed_in_a_row: int
    locked_until: datetime | None

    def locked_at(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_wrong_pin(self, now: datetime) -> PinState:
        """The state after one more wrong PIN at `now`: the fifth in a row locks."""
        failed = self.failed_in_a_row + 1
        if failed >= WRONG_PINS_BEFORE_LOCK:
            return PinState(0, now + LOCK_FOR)
        return PinState(failed, None)

    def tries_left(self) -> int:
        return WRONG_PINS_BEFORE_LOCK - self.failed_in_a_row


def idle_lock_problem(minutes: int) -> str | None:
    low, high = IDLE_LOCK_MINUTES_RANGE
    if not low <= minutes <= high:
        return f"The screen locks after {low} to {high} idle minutes"
    return None
