"""This installation's branch: reading and editing its details (Settings panel, CLI)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from db.engine import Database
from db.models import AppSetting, Branch
from domain.branch import BranchDetails, number_format_of, validate_branch
from domain.permissions import require
from services.auth import CurrentUser
from services.errors import NotFound
from services.uow import UnitOfWork

THIS_BRANCH_KEY = "this_branch"


@dataclass(frozen=True)
class BranchInfo:
    """A branch's id and details, with what is wrong with its number format for GST."""

    id: uuid.UUID
    details: BranchDetails
    number_warnings: tuple[str, ...] = ()


def this_branch_id(session: Session) -> uuid.UUID:
    """The id of the branch this database belongs to (set when it was initialised)."""
    setting = session.get(AppSetting, THIS_BRANCH_KEY)
    if setting is None:
        raise NotFound("This database has not been set up yet. Run 'frontdesk init' first.")
    return uuid.UUID(setting.value["branch_id"])


def branch_details(branch: Branch) -> BranchDetails:
    """A branch row's details, GST particulars included."""
    return BranchDetails(
        name=branch.name,
        address=branch.address,
        gstin=branch.gstin,
        timezone=branch.timezone,
        fiscal_year_start_month=branch.fiscal_year_start_month,
        invoice_series=branch.invoice_series,
        phone=branch.phone,
        legal_name=branch.legal_name,
        branch_code=branch.branch_code,
        number_format=branch.number_format,
        state_code=branch.state_code,
        upi_id=branch.upi_id,
    )


def _info(branch: Branch) -> BranchInfo:
    details = branch_details(branch)
    checked = number_format_of(replace(details, allow_non_compliant_numbers=True))
    return BranchInfo(branch.id, details, () if checked is None else checked.warnings)


def get_branch(db: Database) -> BranchInfo:
    """This installation's branch and its details."""
    with db.session(write=False) as session:
        branch = session.get_one(Branch, this_branch_id(session))
        return _info(branch)


def is_initialised(db: Database) -> bool:
    """True once 'init' has given this database its branch."""
    with db.session(write=False) as session:
        return session.get(AppSetting, THIS_BRANCH_KEY) is not None


def update_branch(
    db: Database, actor: CurrentUser, details: BranchDetails, *, now: datetime
) -> BranchInfo:
    """Validate and save the branch's details (manager role); the change is audited.

    GST particulars left None stay as they are. A number format that is not GST-compliant
    is refused unless `allow_non_compliant_numbers`, or unless it is the one the branch
    already numbers with (a branch made before formats existed keeps its numbers)."""
    require(actor.role, "branch.change")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        branch = session.get_one(Branch, this_branch_id(session))
        before = branch_details(branch)
        merged = replace(
            details,
            **{
                field: getattr(before, field)
                for field in _KEPT_WHEN_NONE
                if getattr(details, field) is None
            },
        )
        numbering = ("number_format", "branch_code", "invoice_series")
        if all(getattr(merged, f).strip().upper() == getattr(before, f) for f in numbering):
            merged = replace(merged, allow_non_compliant_numbers=True)
        clean = validate_branch(merged)
        changed = {
            field: {"from": old, "to": new}
            for field, old in asdict(before).items()
            if field != "allow_non_compliant_numbers" and (new := getattr(clean, field)) != old
        }
        for field, value in asdict(clean).items():
            if field != "allow_non_compliant_numbers":
                setattr(branch, field, value)
        branch.updated_at = now
        if changed:
            uow.audit("branch.update", "branch", branch.id, changed, branch_id=branch.id)
        info = _info(branch)
        uow.commit()
        return info


_KEPT_WHEN_NONE = ("legal_name", "branch_code", "number_format", "state_code", "upi_id")
