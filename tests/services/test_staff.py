"""Settings > Staff's services (issue #12): rules of domain.staff through real writes."""

import pytest
from sqlalchemy import select

from db.models import AuditLog, SyncOutbox
from domain.patients import NewPatient
from domain.roles import PermissionDenied, Role
from domain.staff import StaffDetailsError, StaffRefused
from services import auth, patients, staff
from services.errors import SignInError
from tests.services.conftest import NOW


@pytest.fixture
def admin(demo_db):
    return auth.sign_in(demo_db, "admin", "9999")


def test_an_admin_adds_a_receptionist_who_then_signs_in(demo_db, admin):
    row = staff.add_user(
        demo_db,
        admin,
        username="Kavya",
        full_name="Kavya  Iyer",
        role="front_desk",
        pin="482913",
        max_discount="5",
        now=NOW,
    )
    assert (row.username, row.full_name, row.role, row.max_discount_percent) == (
        "kavya",
        "Kavya Iyer",
        Role.FRONT_DESK,
        5,
    )
    signed = auth.sign_in(demo_db, "kavya", "482913")
    assert signed.max_manual_discount_percent == 5
    with demo_db.session(write=False) as session:
        doc = session.scalars(select(SyncOutbox).where(SyncOutbox.doc_type == "user")).one()
    assert "pin_hash" not in doc.payload and doc.payload["username"] == "kavya"


def test_role_limit_and_pin_change_and_the_pin_is_never_audited(demo_db, admin):
    staff.update_user(
        demo_db, admin, "priya", role="manager", max_discount="20", pin="555555", now=NOW
    )
    priya = auth.sign_in(demo_db, "priya", "555555")
    assert (priya.role, priya.max_manual_discount_percent) == (Role.MANAGER, 20)
    with pytest.raises(SignInError):
        auth.sign_in(demo_db, "priya", "1111")
    with demo_db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "staff.update")).one()
    assert entry.details["pin"] == "reset" and "555555" not in str(entry.details)


def test_a_retired_user_cannot_sign_in(demo_db, admin):
    staff.retire_user(demo_db, admin, "rahul", now=NOW)
    with pytest.raises(SignInError, match="no active user"):
        auth.sign_in(demo_db, "rahul", "3333")
    assert "rahul" not in [r.username for r in staff.list_staff(demo_db, admin)]


def test_the_last_admin_stays_and_nobody_retires_themselves(demo_db, admin):
    with pytest.raises(StaffRefused, match="cannot retire yourself"):
        staff.retire_user(demo_db, admin, "admin", now=NOW)
    with pytest.raises(StaffRefused, match="needs an active admin"):
        staff.update_user(demo_db, admin, "admin", role="manager", now=NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "9lives"}, "username"),
        ({"full_name": "X"}, "full_name"),
        ({"role": "boss"}, "role"),
        ({"pin": "12ab"}, "pin"),
        ({"max_discount": "150"}, "max_discount"),
    ],
)
def test_bad_details_name_the_field(demo_db, admin, changes, field):
    given = {"username": "kavya", "full_name": "Kavya Iyer", "role": "front_desk", "pin": "482913"}
    with pytest.raises(StaffDetailsError) as refused:
        staff.add_user(demo_db, admin, **{**given, **changes}, now=NOW)
    assert refused.value.field == field


def test_only_an_admin_manages_staff(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    with pytest.raises(PermissionDenied):
        staff.list_staff(demo_db, manager)


def test_a_taken_user_name_is_refused(demo_db, admin):
    with pytest.raises(StaffRefused, match="taken"):
        staff.add_user(
            demo_db,
            admin,
            username="priya",
            full_name="Another Priya",
            role="front_desk",
            pin="482913",
            now=NOW,
        )


def test_a_manager_made_front_desk_elsewhere_saves_nothing_until_signing_in_again(demo_db, admin):
    meera = auth.sign_in(demo_db, "meera", "2222")  # signed in at her desk, a manager
    staff.update_user(demo_db, admin, "meera", role="front_desk", now=NOW)
    asha = NewPatient(name="Asha Menon", mobile="9000000123")

    with pytest.raises(PermissionDenied, match="role was changed at another desk"):
        patients.add_patient(demo_db, meera, asha, now=NOW, today=NOW.date())
    again = auth.sign_in(demo_db, "meera", "2222")
    assert again.role is Role.FRONT_DESK
    assert patients.add_patient(demo_db, again, asha, now=NOW, today=NOW.date()).name == (
        "Asha Menon"
    )


def test_an_admin_may_change_their_own_role_while_another_admin_remains(demo_db, admin):
    staff.add_user(
        demo_db, admin, username="ravi", full_name="Ravi Iyer", role="admin", pin="482913",
        max_discount="10", now=NOW,
    )  # fmt: skip
    row = staff.update_user(demo_db, admin, "admin", role="manager", now=NOW)
    assert row.role is Role.MANAGER
    with pytest.raises(PermissionDenied, match="role was changed"):  # their old session
        staff.update_user(demo_db, admin, "priya", max_discount="25", now=NOW)
