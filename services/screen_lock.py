"""The desktop's idle screen lock: how many idle minutes before it locks (a branch setting,
`branches.idle_lock_minutes`; domain.sign_in holds the range)."""

from __future__ import annotations

from datetime import datetime

from db.engine import Database
from db.models import Branch
from domain.errors import BadInput
from domain.permissions import require
from domain.sign_in import idle_lock_problem
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.uow import UnitOfWork


def idle_lock_minutes(db: Database) -> int:
    """Idle minutes before the desktop locks its screen at this branch."""
    with db.session(write=False) as session:
        return session.get_one(Branch, this_branch_id(session)).idle_lock_minutes


def save_idle_lock_minutes(db: Database, actor: CurrentUser, minutes: int, *, now: datetime) -> int:
    """Set the idle minutes (an admin's choice); refuses a value out of range by name."""
    require(actor.role, "screen_lock.change")
    problem = idle_lock_problem(minutes)
    if problem is not None:
        raise BadInput(f"{problem}; {minutes} is not.")
    with UnitOfWork(db, actor, now) as uow:
        branch = uow.session.get_one(Branch, this_branch_id(uow.session))
        before = branch.idle_lock_minutes
        branch.idle_lock_minutes = minutes
        uow.audit("branch.idle_lock", "branch", branch.id, {"from": before, "to": minutes})
        uow.commit()
    return minutes
