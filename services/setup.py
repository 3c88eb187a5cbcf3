"""Opening a branch database and setting it up (empty clinic or the demo clinic)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from db.engine import Database
from db.migrate import DatabaseRefused, open_database
from db.models import AppSetting, Branch, User
from domain.branch import BranchDetails, validate_branch
from domain.roles import Role
from domain.staff import StaffDetailsError, validate_pin
from services.auth import hash_pin
from services.branch import THIS_BRANCH_KEY
from services.errors import ServiceError
from services.uow import UnitOfWork

__all__ = ["Database", "DatabaseRefused", "InitResult", "initialise", "open_branch_database"]


class SetupError(ServiceError):
    """Setting up the database failed for a reason the person can fix; `field` names the
    input to fix ("username", "pin")."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class InitResult:
    """What `initialise` did: `created` is False when the database was already set up."""

    created: bool
    demo: bool
    message: str


def open_branch_database(path: Path, *, now: datetime) -> Database:
    """Open the database at `path`, upgrading it (after a backup copy) if it is older.

    Raises DatabaseRefused for a file that is not ours, unreadable, or from a newer version.
    """
    return open_database(path, now=now)


def initialise(
    db: Database,
    *,
    demo: bool,
    now: datetime,
    today: date,
    admin_username: str = "admin",
    admin_pin: str | None = None,
    details: BranchDetails | None = None,
    admin_full_name: str | None = None,
) -> InitResult:
    """Give an empty database its branch and first users, in one transaction; idempotent.

    With `demo`, the demo clinic (catalog, promotions, staff, patients and two years of
    visits ending `today`) is written, deterministically. Without it, a blank branch with
    one admin user (`admin_username`, `admin_pin`, `admin_full_name`) is created, with the
    branch's `details` when given (the first-run wizard, `frontdesk init --name ...`:
    checked as Settings checks them). A database that is already set up is left exactly as
    it is.
    """
    # The demo's writers bring in the channels and their HTTP client: not needed to open a
    # clinic that is set up, which every start of the app does.
    from services import demo as demo_data

    with UnitOfWork(db, None, now) as uow:
        session = uow.session
        existing = session.get(AppSetting, THIS_BRANCH_KEY)
        if existing is not None:
            branch = session.get_one(Branch, uuid.UUID(existing.value["branch_id"]))
            has_demo = session.get(AppSetting, demo_data.DEMO_KEY) is not None
            what = "the demo clinic" if has_demo else f"branch {branch.name}"
            return InitResult(False, has_demo, f"Already set up with {what}; nothing changed.")
        if demo:
            branch_id = demo_data.write_demo_clinic(session, now=now, today=today)
            message = "Created the demo clinic (Indiranagar branch)."
        else:
            branch_id = _blank_branch(
                session, now, admin_username, admin_pin, details, admin_full_name
            )
            message = f"Created a new branch with admin user '{admin_username}'."
        session.add(AppSetting(key=THIS_BRANCH_KEY, value={"branch_id": str(branch_id)}))
        uow.audit("database.init", "branch", branch_id, {"demo": demo}, branch_id=branch_id)
        uow.commit()
        return InitResult(True, demo, message)


def create_demo_clinic(db: Database, *, now: datetime, today: date) -> InitResult:
    """`initialise` with the demo clinic, and, when it was just created, its callback queue
    as a morning finds it (services.demo_queue): what `make run` and `init --demo` open on."""
    from services.demo_queue import write_demo_queue

    result = initialise(db, demo=True, now=now, today=today)
    if result.created:
        write_demo_queue(db, now=now)
    return result


def _blank_branch(
    session: Session,
    now: datetime,
    admin_username: str,
    admin_pin: str | None,
    details: BranchDetails | None = None,
    admin_full_name: str | None = None,
) -> uuid.UUID:
    username = admin_username.strip().lower()
    if not username.isidentifier():
        raise SetupError(
            "A user name is letters, digits and underscores, like 'admin'.", "username"
        )
    full_name = " ".join((admin_full_name or "").split()) or username.capitalize()
    if not admin_pin:
        raise SetupError(
            "Choose a PIN for the admin user (set FRONTDESK_PIN or answer the prompt).", "pin"
        )
    try:
        pin_hash = hash_pin(validate_pin(admin_pin))
    except StaffDetailsError as exc:
        raise SetupError(f"{exc}.", "pin") from exc
    # Numbers in the 16-character GST format from the first invoice; the code is the
    # manager's to change in Settings before billing starts.
    branch = Branch(
        name="My clinic", legal_name="My clinic", branch_code="MAIN", created_at=now, updated_at=now
    )
    if details is not None:
        clean = validate_branch(details)
        for field, value in asdict(clean).items():
            if field != "allow_non_compliant_numbers" and value is not None:
                setattr(branch, field, value)
    session.add(branch)
    session.flush()
    session.add(
        User(
            branch_id=branch.id,
            username=username,
            full_name=full_name,
            role=Role.ADMIN.value,
            pin_hash=pin_hash,
            max_manual_discount_percent=Decimal(100),
            created_at=now,
        )
    )
    return branch.id
