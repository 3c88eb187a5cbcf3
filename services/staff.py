"""Staff: adding members, changing their role, name and discount limit, resetting a PIN,
and retiring them (admin; rules in domain.staff). Each change is one unit of work, audited
(never with the PIN) and queued for the centre without the PIN's hash."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database, session_on_centre
from db.models import User
from domain.permissions import require
from domain.roles import Role
from domain.staff import StaffRefused, check_admins_remain, validate_pin, validate_staff
from services import documents
from services.auth import CurrentUser, hash_pin
from services.errors import NotFound
from services.uow import UnitOfWork


@dataclass(frozen=True)
class StaffRow:
    """A member of staff as Settings > Staff shows them."""

    username: str
    full_name: str
    role: Role
    max_discount_percent: Decimal
    active: bool
    # Head office's staff who work at every branch (users.chain_wide): None for this
    # database's own, True while published, False once withdrawn.
    chain_wide: bool | None = None


def _row(user: User) -> StaffRow:
    return StaffRow(
        user.username,
        user.full_name,
        Role(user.role),
        user.max_manual_discount_percent,
        user.is_active and user.retired_at is None,
        user.chain_wide,
    )


def _refuse_head_office_staff(session: Session, user: User) -> None:
    """A branch does not change the staff head office publishes to every branch."""
    if user.chain_wide is not None and not session_on_centre(session):
        raise StaffRefused(
            f"Head office manages {user.full_name} for every branch: change them on the "
            "centre; this branch receives the change at its next sync"
        )


def list_staff(
    db: Database, actor: CurrentUser, *, include_retired: bool = False
) -> list[StaffRow]:
    """Everyone who can sign in here (admin), by name."""
    require(actor.role, "staff.manage")
    with db.session(write=False) as session:
        query = select(User).order_by(User.full_name)
        if not include_retired:
            query = query.where(User.retired_at.is_(None))
        return [_row(user) for user in session.scalars(query)]


def _find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"There is no user called '{username}'.")
    return user


def _admins(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN.value, User.is_active, User.retired_at.is_(None))
    )
    if not session_on_centre(session):
        # Head office's staff may be withdrawn from a branch: its own admins must remain.
        query = query.where(User.chain_wide.is_(None))
    return session.scalar(query) or 0


def add_user(
    db: Database,
    actor: CurrentUser,
    *,
    username: str,
    full_name: str,
    role: str,
    pin: str,
    max_discount: str | Decimal = "0",
    now: datetime,
) -> StaffRow:
    """Add a member of staff who signs in with `pin` (admin)."""
    require(actor.role, "staff.manage")
    spec = validate_staff(username, full_name, role, max_discount, pin)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        if session.scalar(select(User.id).where(User.username == spec.username)) is not None:
            raise StaffRefused(f"The user name {spec.username} is taken; pick another")
        user = User(
            branch_id=actor.branch_id,
            username=spec.username,
            full_name=spec.full_name,
            role=spec.role.value,
            pin_hash=hash_pin(spec.pin or ""),
            max_manual_discount_percent=spec.max_discount_percent,
            is_active=True,
            created_at=now,
        )
        session.add(user)
        session.flush()
        uow.outbox(documents.USER, user.id, documents.user_json(user))
        uow.audit(
            "staff.add", "user", user.id, {"username": spec.username, "role": spec.role.value}
        )
        row = _row(user)
        uow.commit()
        return row


def update_user(
    db: Database,
    actor: CurrentUser,
    username: str,
    *,
    full_name: str | None = None,
    role: str | None = None,
    max_discount: str | Decimal | None = None,
    pin: str | None = None,
    now: datetime,
) -> StaffRow:
    """Change a member's name, role, discount limit or PIN (admin); what is None stays."""
    require(actor.role, "staff.manage")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        user = _find(session, username)
        _refuse_head_office_staff(session, user)
        spec = validate_staff(
            user.username,
            user.full_name if full_name is None else full_name,
            user.role if role is None else role,
            user.max_manual_discount_percent if max_discount is None else max_discount,
            None if pin is None else validate_pin(pin),
        )
        if user.role == Role.ADMIN.value and spec.role is not Role.ADMIN:
            check_admins_remain(_admins(session) - 1)
        changed: dict[str, object] = {}
        for field, old, new in (
            ("full_name", user.full_name, spec.full_name),
            ("role", user.role, spec.role.value),
            (
                "max_discount_percent",
                str(user.max_manual_discount_percent),
                str(spec.max_discount_percent),
            ),
        ):
            if old != new:
                changed[field] = {"from": old, "to": new}
        user.full_name = spec.full_name
        user.role = spec.role.value
        user.max_manual_discount_percent = spec.max_discount_percent
        if user.id == actor.id:
            uow.actor_changed(replace(actor, role=spec.role))
        if spec.pin is not None:
            user.pin_hash = hash_pin(spec.pin)
            changed["pin"] = "reset"
        session.flush()
        uow.outbox(documents.USER, user.id, documents.user_json(user))
        uow.audit("staff.update", "user", user.id, {"username": user.username, **changed})
        row = _row(user)
        uow.commit()
        return row


def retire_user(db: Database, actor: CurrentUser, username: str, *, now: datetime) -> StaffRow:
    """A member who has left can no longer sign in (admin); their name stays on what they
    did. Nobody retires themselves, and the last admin stays."""
    require(actor.role, "staff.manage")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        user = _find(session, username)
        _refuse_head_office_staff(session, user)
        if user.id == actor.id:
            raise StaffRefused("You cannot retire yourself; ask another admin")
        if user.retired_at is not None:
            raise StaffRefused(f"{user.full_name} is already retired")
        if user.role == Role.ADMIN.value:
            check_admins_remain(_admins(session) - 1)
        user.retired_at = now
        user.is_active = False
        session.flush()
        uow.outbox(documents.USER, user.id, documents.user_json(user))
        uow.audit("staff.retire", "user", user.id, {"username": user.username})
        row = _row(user)
        uow.commit()
        return row


def set_chain_wide(
    db: Database, actor: CurrentUser, username: str, *, every_branch: bool, now: datetime
) -> StaffRow:
    """Publish a member of head office's staff to every branch, or withdraw them (admin,
    on the centre only): each branch receives them at its next sync and they sign in there
    with their PIN; withdrawn, they sign in there no more."""
    require(actor.role, "staff.manage")
    if not db.on_centre:
        raise StaffRefused(
            "Only head office, on the centre, makes a member of staff work at every branch"
        )
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        user = _find(session, username)
        if every_branch and (user.retired_at is not None or not user.is_active):
            raise StaffRefused(f"{user.full_name} is retired and cannot work at any branch")
        wanted = True if every_branch else (False if user.chain_wide is not None else None)
        if user.chain_wide == wanted:
            return _row(user)
        before = user.chain_wide
        user.chain_wide = wanted
        session.flush()
        uow.outbox(documents.USER, user.id, documents.user_json(user))
        uow.audit(
            "staff.chain_wide",
            "user",
            user.id,
            {"username": user.username, "from": before, "to": wanted},
        )
        row = _row(user)
        uow.commit()
        return row
