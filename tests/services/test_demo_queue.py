"""The demo clinic `make run` opens on has a callback queue as a morning finds it."""

from sqlalchemy import func, select

from db.models import CallbackActivity, CallbackRequest, SyncOutbox
from services import callbacks
from services.audit import verify_audit
from services.auth import sign_in
from services.demo_queue import QUEUE
from services.setup import create_demo_clinic, initialise, open_branch_database
from tests.services.conftest import NOW, TODAY


def test_a_new_demo_clinic_opens_with_its_morning_queue(tmp_path):
    db = open_branch_database(tmp_path / "demo.db", now=NOW)
    try:
        assert create_demo_clinic(db, now=NOW, today=TODAY).created
        manager = sign_in(db, "meera", "2222", now=NOW)
        rows = callbacks.queue(db, manager, now=NOW).rows

        assert len(rows) == len(QUEUE) - 1  # one was answered yesterday
        top = rows[0]
        assert top.reason == "complaint" and top.attempts == 1
        assert top.due_at < NOW  # overdue, so first in line
        assert {row.status for row in rows} == {"new", "assigned", "no_answer"}
        with db.session(write=False) as session:
            closed = session.scalars(
                select(CallbackRequest).where(CallbackRequest.status == "completed")
            ).one()
            assert closed.outcome == "Moved to 6 pm."
            # Made through the service: each step logged, audited and queued for the centre.
            assert session.scalar(select(func.count()).select_from(CallbackActivity)) >= 12
            queued = session.scalar(
                select(func.count(SyncOutbox.doc_id.distinct())).where(
                    SyncOutbox.doc_type == "callback_request"
                )
            )
            assert queued == len(QUEUE)
        check = verify_audit(db, sign_in(db, "admin", "9999", now=NOW))
        assert check.intact and check.entries > len(QUEUE)
    finally:
        db.close()


def test_a_database_already_set_up_gets_no_second_queue(demo_template, tmp_path):
    path = tmp_path / "demo.db"
    path.write_bytes(demo_template.read_bytes())
    db = open_branch_database(path, now=NOW)
    try:
        assert not create_demo_clinic(db, now=NOW, today=TODAY).created
        assert not initialise(db, demo=True, now=NOW, today=TODAY).created
        with db.session(write=False) as session:
            assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    finally:
        db.close()
