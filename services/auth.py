"""Signing in with a PIN, and the identity every other service checks roles against."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from db.engine import Database
from db.models import User
from domain.roles import Role, require_role
from services.errors import SignInError

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


def sign_in(db: Database, username: str, pin: str) -> CurrentUser:
    """Check a PIN and return who signed in; raise SignInError with a readable reason."""
    with db.session(write=False) as session:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not user.is_active or user.retired_at is not None:
            raise SignInError(f"There is no active user called '{username}'.")
        try:
            _hasher.verify(user.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            raise SignInError("That PIN is not right. Try again.") from None
        return _current(user)


def manager_approval(db: Database, username: str, pin: str, what: str) -> CurrentUser:
    """A manager's approval given on the spot (their name and PIN at someone else's
    counter): who approved, for the audit; refused unless they are a manager or admin."""
    approver = sign_in(db, username, pin)
    require_role(approver.role, Role.MANAGER, what)
    return approver
