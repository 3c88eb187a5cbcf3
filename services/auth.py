"""Signing in with a PIN, and the identity every other service checks roles against.

Five wrong PINs in a row lock the user for five minutes (domain.sign_in), at the desk and
on the command line alike; every refusal is audited (`auth.sign_in_refused`, through the
unit of work), so a guessing script leaves a trail as well as being slowed down.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from db.engine import Database
from db.models import User
from domain.permissions import require
from domain.roles import Role
from domain.sign_in import PinState
from services.errors import SignInError
from services.uow import UnitOfWork

_hasher = PasswordHasher()

MIN_PIN_LENGTH = 4


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in member of staff."""

    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    branch_id: uuid.UUID
    max_manual_discount_percent: Decimal


@dataclass(frozen=True)
class UserSummary:
    """What the sign-in screen lists."""

    username: str
    full_name: str
    role: Role


def hash_pin(pin: str) -> str:
    """An argon2 hash of a PIN; refuses PINs shorter than four characters."""
    if len(pin) < MIN_PIN_LENGTH:
        raise ValueError(f"A PIN needs at least {MIN_PIN_LENGTH} characters")
    return _hasher.hash(pin)


def _current(user: User) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        branch_id=user.branch_id,
        max_manual_discount_percent=user.max_manual_discount_percent,
    )


def list_users(db: Database) -> list[UserSummary]:
    """Active staff, by name, for the sign-in screen."""
    with db.session(write=False) as session:
        users = session.scalars(
            select(User).where(User.is_active, User.retired_at.is_(None)).order_by(User.full_name)
        ).all()
        return [UserSummary(u.username, u.full_name, Role(u.role)) for u in users]


def sign_in(db: Database, username: str, pin: str, *, now: datetime | None = None) -> CurrentUser:
    """Check a PIN and return who signed in; raise SignInError with a readable reason (and
    audit the refusal). `now` is the clock (tests pass one)."""
    now = datetime.now(UTC) if now is None else now
    typed = username.strip().lower()
    with db.session(write=False) as session:
        user = session.scalar(select(User).where(User.username == typed))
        if user is None or not user.is_active or user.retired_at is not None:
            _refused(db, None, typed, "unknown user", now)
            raise SignInError(f"There is no active user called '{username}'.")
        state = PinState(user.failed_pins, user.locked_until)
        current, pin_hash, branch_id = _current(user), user.pin_hash, user.branch_id
    user_id = current.id
    if state.locked_at(now):
        _refused(db, (user_id, branch_id), typed, "locked", now)
        raise SignInError(_locked_sentence(state, now))
    try:
        _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        after = _refused(db, (user_id, branch_id), typed, "wrong PIN", now)
        if after is not None and after.locked_at(now):
            raise SignInError(_locked_sentence(after, now)) from None
        left = "" if after is None else f" ({after.tries_left()} more before a lock)"
        raise SignInError(f"That PIN is not right. Try again{left}.") from None
    if state.failed_in_a_row or state.locked_until is not None:
        _clear_failures(db, user_id, branch_id, now)
    return current


def _locked_sentence(state: PinState, now: datetime) -> str:
    assert state.locked_until is not None
    minutes = max(1, math.ceil((state.locked_until - now).total_seconds() / 60))
    return (
        f"Too many wrong PINs: this user is locked for {minutes} more minute"
        f"{'' if minutes == 1 else 's'}. Another user may sign in meanwhile."
    )


def _refused(
    db: Database,
    who: tuple[uuid.UUID, uuid.UUID] | None,
    username: str,
    reason: str,
    now: datetime,
) -> PinState | None:
    """Audit a refused sign-in; a wrong PIN also counts towards the lock. The new state."""
    with UnitOfWork(db, None, now, branch_id=None if who is None else who[1]) as uow:
        after = None
        if who is not None and reason == "wrong PIN":
            user = uow.session.get(User, who[0])
            assert user is not None
            after = PinState(user.failed_pins, user.locked_until).after_wrong_pin(now)
            user.failed_pins, user.locked_until = after.failed_in_a_row, after.locked_until
        details: dict[str, object] = {"username": username[:40], "reason": reason}
        if after is not None and after.locked_until is not None:
            details["locked_until"] = after.locked_until.isoformat()
        uow.audit("auth.sign_in_refused", "user", None if who is None else who[0], details)
        uow.commit()
    return after


def _clear_failures(db: Database, user_id: uuid.UUID, branch_id: uuid.UUID, now: datetime) -> None:
    """A right PIN after wrong ones: the count starts again (audited, as every write is)."""
    with UnitOfWork(db, None, now, branch_id=branch_id) as uow:
        user = uow.session.get(User, user_id)
        assert user is not None
        failed = user.failed_pins
        user.failed_pins, user.locked_until = 0, None
        uow.audit("auth.sign_in_after_wrong_pins", "user", user_id, {"wrong_pins": failed})
        uow.commit()


def manager_approval(
    db: Database, username: str, pin: str, what: str, *, now: datetime | None = None
) -> CurrentUser:
    """A manager's approval given on the spot (their name and PIN at someone else's
    counter): who approved, for the audit; refused unless they are a manager or admin."""
    approver = sign_in(db, username, pin, now=now)
    require(approver.role, "discount.approve", what)
    return approver
