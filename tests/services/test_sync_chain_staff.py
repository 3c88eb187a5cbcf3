"""Staff the head office publishes to every branch (issue #15's pull: "staff ... the centre
owns"), against a real PostgreSQL: an area manager added on the centre and published signs
in at both branches with their PIN after the next round; a branch cannot change them; a new
PIN on the centre replaces the old one at the next round; withdrawn, they sign in nowhere;
the head office's other staff never reach a branch."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text

from db.models import AuditLog, User
from domain.errors import Refused
from domain.staff import StaffRefused
from services import auth, staff, sync, sync_pull
from tests.services.test_sync import NOW
from tests.services.test_sync_pull import HO_PIN

pytestmark = pytest.mark.postgres

ASHA_PIN = "583920"


def publish_asha(head_office) -> None:
    ho = head_office
    staff.add_user(
        ho.db,
        ho.admin,
        username="asha",
        full_name="Asha Rao",
        role="manager",
        pin=ASHA_PIN,
        max_discount="15",
        now=NOW,
    )
    row = staff.set_chain_wide(ho.db, ho.admin, "asha", every_branch=True, now=NOW)
    assert row.chain_wide is True
    # One unit of work on the centre: its audit entry names who was published.
    with ho.db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "staff.chain_wide")).one()
    assert entry.details == {"username": "asha", "from": None, "to": True}


def failed_pins(branch, username: str) -> int:
    with branch.db.session(write=False) as session:
        return session.scalar(select(User.failed_pins).where(User.username == username))


def test_an_area_manager_published_on_the_centre_signs_in_at_every_branch(
    head_office, two_branches
):
    ho = head_office
    publish_asha(ho)
    for branch in two_branches:
        with pytest.raises(Refused):
            auth.sign_in(branch.db, "asha", ASHA_PIN)
        result = branch.sync()
        assert result.pull is not None and result.pull.rows == 1
        asha = auth.sign_in(branch.db, "asha", ASHA_PIN)
        assert asha.role.value == "manager" and asha.branch_id == branch.id
        # The head office's own admin is not published: unknown here.
        with pytest.raises(Refused):
            auth.sign_in(branch.db, "ho", HO_PIN)
        listed = {r.username: r for r in staff.list_staff(branch.db, branch.admin)}
        assert listed["asha"].chain_wide is True and "ho" not in listed
        # The branch does not change head office's staff (screen and command line alike).
        with pytest.raises(StaffRefused, match="Head office manages Asha Rao"):
            staff.update_user(branch.db, branch.admin, "asha", role="front_desk", now=NOW)
        with pytest.raises(StaffRefused, match="Head office manages Asha Rao"):
            staff.retire_user(branch.db, branch.admin, "asha", now=NOW)
        with pytest.raises(StaffRefused, match="Only head office, on the centre"):
            staff.set_chain_wide(branch.db, branch.admin, "asha", every_branch=False, now=NOW)
        assert auth.sign_in(branch.db, "asha", ASHA_PIN).role.value == "manager"

    first, second = two_branches
    # A wrong PIN counts at the branch where it was typed; a pull keeps that count.
    with pytest.raises(Refused):
        auth.sign_in(first.db, "asha", "000000")
    assert failed_pins(first, "asha") == 1

    # A new PIN on the centre: the next round brings it, the old one no longer signs in.
    staff.update_user(ho.db, ho.admin, "asha", pin="719264", now=NOW)
    first.sync()
    assert failed_pins(first, "asha") == 1
    with pytest.raises(Refused):
        auth.sign_in(first.db, "asha", ASHA_PIN)
    assert auth.sign_in(first.db, "asha", "719264").username == "asha"
    assert auth.sign_in(second.db, "asha", ASHA_PIN).username == "asha"  # not synced yet

    # Withdrawn on the centre: every branch stops her at its next round.
    row = staff.set_chain_wide(ho.db, ho.admin, "asha", every_branch=False, now=NOW)
    assert row.chain_wide is False
    for branch in two_branches:
        branch.sync()
        with pytest.raises(Refused):
            auth.sign_in(branch.db, "asha", "719264")
        with pytest.raises(Refused):
            auth.sign_in(branch.db, "asha", ASHA_PIN)
    # On the centre she still works at head office.
    assert auth.sign_in(ho.db, "asha", "719264").username == "asha"


def test_a_branch_role_reads_only_the_staff_published_to_every_branch(head_office, two_branches):
    publish_asha(head_office)
    engine = create_engine(two_branches[0].url)
    try:
        with engine.connect() as connection:
            names = set(connection.execute(text("SELECT username FROM users")).scalars())
    finally:
        engine.dispose()
    assert names == {"asha"}


def test_a_username_a_branch_already_uses_refuses_the_pull_with_a_sentence(
    head_office, two_branches
):
    branch = two_branches[0]
    staff.add_user(
        branch.db,
        branch.admin,
        username="asha",
        full_name="Asha (front desk)",
        role="front_desk",
        pin="246813",
        now=NOW,
    )
    publish_asha(head_office)
    with pytest.raises(sync.SyncFailed, match="member of staff asha has the same username"):
        branch.sync()
    # Nothing received: the branch's own Asha is as she was.
    assert auth.sign_in(branch.db, "asha", "246813").role.value == "front_desk"
    assert sync_pull.last_pull(branch.db).pulled_at is None


def test_a_branchs_own_last_admin_stays_whatever_head_office_publishes(head_office, two_branches):
    ho = head_office
    branch = two_branches[0]
    staff.add_user(
        ho.db, ho.admin, username="ravi", full_name="Ravi K", role="admin", pin="902341", now=NOW
    )
    staff.set_chain_wide(ho.db, ho.admin, "ravi", every_branch=True, now=NOW)
    branch.sync()
    ravi = auth.sign_in(branch.db, "ravi", "902341")
    # The branch's own admin is its last: head office's admin does not count for it.
    with pytest.raises(StaffRefused):
        staff.retire_user(branch.db, ravi, "admin", now=NOW)
