"""Staff members' details and the rules an admin's changes must meet (issue #12).

1. A user name is 2 to 30 lower-case letters, digits or '_', starting with a letter; a full
   name 2 to 120 characters.
2. A new PIN is 6 to 12 digits or a passphrase of 12 to 64 characters (domain.sign_in;
   PINs set before, like the demo's four digits, still sign in).
3. A receptionist's discount limit is a percent from 0 to 100: the most they may give by
   hand; a bigger discount asks for a manager (issue #11).
4. The branch always keeps an active admin: the last one cannot be retired or demoted, and
   nobody retires themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.bounds import clean_text
from domain.errors import BadInput, Refused
from domain.roles import Role
from domain.sign_in import pin_problem

_USERNAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")


class StaffDetailsError(BadInput):
    """Details that cannot be saved; `field` names the one to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StaffRefused(Refused):
    """A change rule 4 forbids."""


@dataclass(frozen=True)
class StaffSpec:
    """A member of staff as validated; `pin` is None when it is not being set."""

    username: str
    full_name: str
    role: Role
    max_discount_percent: Decimal
    pin: str | None


def validate_pin(pin: str) -> str:
    """Rule 2 (digits typed with spaces around them are taken without)."""
    if pin.strip().isdigit():
        pin = pin.strip()
    problem = pin_problem(pin)
    if problem is not None:
        raise StaffDetailsError("pin", problem)
    return pin


def validate_staff(
    username: str, full_name: str, role: str, max_discount: str | Decimal, pin: str | None
) -> StaffSpec:
    """Rules 1 to 3."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise StaffDetailsError(
            "username", "A user name is 2 to 30 letters, digits or '_', starting with a letter"
        )
    full = clean_text(full_name)
    if not 2 <= len(full) <= 120:
        raise StaffDetailsError("full_name", "Type the person's name (2 to 120 characters)")
    try:
        chosen = Role(role.strip().lower())
    except ValueError:
        raise StaffDetailsError("role", "A role is front_desk, manager or admin") from None
    try:
        limit = Decimal(str(max_discount).strip().rstrip("%"))
    except InvalidOperation:
        raise StaffDetailsError("max_discount", f"'{max_discount}' is not a percent") from None
    if not 0 <= limit <= 100:
        raise StaffDetailsError("max_discount", "A discount limit is 0 to 100 percent")
    return StaffSpec(name, full, chosen, limit, None if pin is None else validate_pin(pin))


def check_admins_remain(admins_after: int) -> None:
    """Rule 4: refuse a change that leaves the branch without an active admin."""
    if admins_after < 1:
        raise StaffRefused("The branch needs an active admin: make someone else admin first")
