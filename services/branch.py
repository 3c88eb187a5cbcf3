"""This installation's branch: reading and editing its details (Settings panel, CLI)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting, Branch
from domain.branch import BranchDetails, validate_branch
from domain.roles import Role, require_role
from services.auth import CurrentUser
from services.errors import NotFound
from services.uow import UnitOfWork

THIS_BRANCH_KEY = "this_branch"


@dataclass(frozen=True)
class BranchInfo:
    """A branch's id and details."""

    id: uuid.UUID
    details: BranchDetails


def this_branch_id(session: Session) -> uuid.UUID:
    """The id of the branch this database belongs to (set when it was initialised)."""
    setting = session.get(AppSetting, THIS_BRANCH_KEY)
    if setting is None:
        raise NotFound("This database has not been set up yet. Run 'frontdesk init' first.")
    return uuid.UUID(setting.value["branch_id"])


def _details(branch: Branch) -> BranchDetails:
    return BranchDetails(
        name=branch.name,
        address=branch.address,
        gstin=branch.gstin,
        timezone=branch.timezone,
        fiscal_year_start_month=branch.fiscal_year_start_month,
        invoice_series=branch.invoice_series,
        phone=branch.phone,
    )


def get_branch(db: Database) -> BranchInfo:
    """This installation's branch and its details."""
    with db.session(write=False) as session:
        branch = session.get_one(Branch, this_branch_id(session))
        return BranchInfo(branch.id, _details(branch))


def is_initialised(db: Database) -> bool:
    """True once 'init' has given this database its branch."""
    with db.session(write=False) as session:
        return session.get(AppSetting, THIS_BRANCH_KEY) is not None


def update_branch(
    db: Database, actor: CurrentUser, details: BranchDetails, *, now: datetime
) -> BranchInfo:
    """Validate and save the branch's details (manager role); the change is audited."""
    require_role(actor.role, Role.MANAGER, "Changing the branch's details")
    clean = validate_branch(details)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        branch = session.get_one(Branch, this_branch_id(session))
        before = _details(branch)
        changed = {
            field: {"from": old, "to": new}
            for field, old in asdict(before).items()
            if (new := getattr(clean, field)) != old
        }
        for field, value in asdict(clean).items():
            setattr(branch, field, value)
        branch.updated_at = now
        if changed:
            uow.audit("branch.update", "branch", branch.id, changed, branch_id=branch.id)
        info = BranchInfo(branch.id, clean)
        uow.commit()
        return info
