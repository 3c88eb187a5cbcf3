from dataclasses import replace

import pytest
from sqlalchemy import select

from db.models import AuditLog
from domain.branch import BranchDetailsError
from domain.roles import PermissionDenied, Role
from services import auth, branch
from services.errors import SignInError
from tests.services.conftest import NOW


def test_staff_sign_in_with_their_pin(demo_db):
    user = auth.sign_in(demo_db, "Priya", "1111")
    assert (user.username, user.role) == ("priya", Role.FRONT_DESK)


@pytest.mark.parametrize(
    ("name", "pin", "message"), [("priya", "2222", "PIN"), ("nobody", "1111", "no active user")]
)
def test_sign_in_refusals_say_what_went_wrong(demo_db, name, pin, message):
    with pytest.raises(SignInError, match=message):
        auth.sign_in(demo_db, name, pin)


def test_pins_are_stored_as_argon2_hashes(demo_db):
    with demo_db.session(write=False) as session:
        hashes = session.scalars(select(auth.User.pin_hash)).all()
    assert hashes and all(h.startswith("$argon2") for h in hashes)
    assert not any("1111" in h for h in hashes)


def test_sign_in_screen_lists_active_staff(demo_db):
    names = {u.username for u in auth.list_users(demo_db)}
    assert {"priya", "meera", "admin"} <= names


def test_manager_changes_branch_details_and_it_is_audited(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    current = branch.get_branch(demo_db).details
    branch.update_branch(demo_db, manager, replace(current, phone="080 9999 0000"), now=NOW)
    assert branch.get_branch(demo_db).details.phone == "080 9999 0000"
    with demo_db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "branch.update")).one()
    assert entry.user_id == manager.id
    assert entry.details == {"phone": {"from": current.phone, "to": "080 9999 0000"}}


def test_front_desk_cannot_change_branch_details(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    current = branch.get_branch(demo_db).details
    with pytest.raises(PermissionDenied):
        branch.update_branch(demo_db, desk, replace(current, name="Hacked"), now=NOW)
    assert branch.get_branch(demo_db).details.name == current.name


def test_invalid_details_are_refused_and_nothing_is_saved(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    current = branch.get_branch(demo_db).details
    with pytest.raises(BranchDetailsError):
        branch.update_branch(demo_db, manager, replace(current, gstin="29ABCDE1234F1ZX"), now=NOW)
    assert branch.get_branch(demo_db).details == current
