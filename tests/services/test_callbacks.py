"""The callback queue against the demo clinic's database: writes, log, audit, outbox, rules."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, CallbackActivity, CallbackRequest, SyncOutbox
from domain.callbacks import CallbackSettings, Category, Reason, Source, Status
from domain.opening_hours import DEFAULT_OPENING_HOURS, hours_from_json, hours_to_json
from domain.roles import PermissionDenied
from services import callbacks as cb
from services.auth import sign_in
from services.errors import NotFound
from services.patients import find_patients

from .conftest import NOW  # 05:30 UTC = 11:00 in Bengaluru, Tuesday 24 Nov 2026

LATER = NOW + timedelta(minutes=30)


@pytest.fixture
def priya(demo_db):
    return sign_in(demo_db, "priya", "1111")


@pytest.fixture
def rahul(demo_db):
    return sign_in(demo_db, "rahul", "3333")


@pytest.fixture
def meera(demo_db):
    return sign_in(demo_db, "meera", "2222")


def stranger(reason=Reason.PROMOTION_ENQUIRY, name="Arjun Rao", mobile="+91 98450 12345"):
    return cb.NewCallback(reason, Source.PHONE, name=name, mobile=mobile)


def count(db, model, **where):
    with db.session(write=False) as session:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalar(query)


def test_a_request_for_someone_not_registered_is_queued_with_its_sla(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)

    assert (row.name, row.mobile, row.patient_id) == ("Arjun Rao", "9845012345", None)
    assert row.status is Status.NEW and row.attempts == 0
    assert row.score.value == 10 and row.category is Category.LOW
    # 72 opening hours from Tuesday 11:00 (Mon-Sat 10-20): Wednesday 2 Dec 13:00 IST.
    assert row.due_at == datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    assert row.created_by_name == "Priya Sharma"


def test_a_patients_history_raises_their_priority(demo_db, priya):
    best = max(find_patients(demo_db, "a", limit=50), key=lambda p: p.visits)

    row = cb.add_callback(
        demo_db, priya, cb.NewCallback(Reason.PROMOTION_ENQUIRY, patient_id=best.id), now=NOW
    )

    assert row.name == best.name and row.value is not None
    assert row.value.visits == best.visits
    assert row.score.value > 10
    assert "patient value" in row.score.explain()


def test_adding_writes_the_log_an_audit_entry_and_an_outbox_document(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)

    detail = cb.get_callback(demo_db, priya, row.id, now=NOW)
    assert [(e.activity, e.user_name, e.at) for e in detail.activities] == [
        ("created", "Priya Sharma", NOW)
    ]
    assert count(demo_db, AuditLog, action="callback.add", entity_id=str(row.id)) == 1
    with demo_db.session(write=False) as session:
        document = session.scalars(
            select(SyncOutbox.payload).where(SyncOutbox.doc_id == row.id)
        ).one()
    assert document["status"] == "new" and document["mobile"] == "9845012345"
    assert [a["activity"] for a in document["activities"]] == ["created"]


@pytest.mark.parametrize(
    ("new", "field", "message"),
    [
        (stranger(name=" "), "name", "Type the person's name"),
        (stranger(mobile="12345"), "mobile", "mobile"),
        (
            cb.NewCallback(
                Reason.APPOINTMENT,
                name="A",
                mobile="9845012345",
                preferred_from=NOW + timedelta(hours=2),
                preferred_to=NOW + timedelta(hours=1),
            ),
            "preferred_to",
            "must end after it starts",
        ),
    ],
)
def test_bad_details_are_refused_naming_the_field(demo_db, priya, new, field, message):
    with pytest.raises(cb.CallbackInputError, match=message) as refused:
        cb.add_callback(demo_db, priya, new, now=NOW)
    assert refused.value.field == field
    assert count(demo_db, CallbackRequest) == 0


def test_call_next_takes_the_top_request_and_skips_what_it_may_not_call(demo_db, priya, rahul):
    complaint = cb.add_callback(demo_db, priya, stranger(Reason.COMPLAINT, "Kavya"), now=NOW)
    billing = cb.add_callback(demo_db, priya, stranger(Reason.BILLING_QUESTION, "Ravi"), now=NOW)
    enquiry = cb.add_callback(demo_db, priya, stranger(Reason.PROMOTION_ENQUIRY), now=NOW)
    cb.assign(demo_db, priya, billing.id, to_username="rahul", now=NOW)

    first = cb.call_next(demo_db, priya, now=LATER)
    second = cb.call_next(demo_db, priya, now=LATER)  # billing is Rahul's: skipped
    third = cb.call_next(demo_db, priya, now=LATER)

    assert first is not None and first.id == complaint.id
    assert first.status is Status.IN_PROGRESS and first.assigned_name == "Priya Sharma"
    assert second is not None and second.id == enquiry.id
    assert third is None
    assert cb.call_next(demo_db, rahul, now=LATER).id == billing.id


def test_no_answer_sends_the_request_back_with_a_retry_then_closes_it_as_unreachable(
    demo_db, priya
):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)
    at = NOW
    for attempt in (1, 2):
        cb.take_call(demo_db, priya, row.id, now=at)
        after = cb.no_answer(demo_db, priya, row.id, now=at)
        assert after.status is Status.NO_ANSWER and after.attempts == attempt
        assert after.due_at == at + timedelta(hours=2) == after.not_before
        assert cb.call_next(demo_db, priya, now=at + timedelta(minutes=5)) is None  # not yet
        at += timedelta(hours=2)
    cb.take_call(demo_db, priya, row.id, now=at)
    closed = cb.no_answer(demo_db, priya, row.id, now=at, note="switched off")

    assert closed.status is Status.UNREACHABLE and closed.attempts == 3
    assert closed.outcome == "Unreachable after 3 unanswered calls"
    assert all(r.id != row.id for r in cb.queue(demo_db, priya, now=at).rows)
    log = [e.text for e in cb.get_callback(demo_db, priya, row.id, now=at).activities]
    assert log[-1] == "No answer (3/3), Priya Sharma: closed as unreachable (switched off)"
    assert log[3].startswith("No answer (1/3), Priya Sharma; try again Tue 24 Nov 13:00")


def test_a_refused_transition_changes_nothing_and_says_why(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)

    with pytest.raises(cb.CallbackRefused, match="start the call before recording"):
        cb.complete(demo_db, priya, row.id, now=LATER)

    assert cb.get_callback(demo_db, priya, row.id, now=LATER).row.status is Status.NEW
    assert count(demo_db, CallbackActivity, callback_id=row.id) == 1


def test_rescheduling_sets_the_new_due_time_and_checks_it(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)
    tomorrow_11 = datetime(2026, 11, 25, 5, 30, tzinfo=UTC)

    with pytest.raises(cb.CallbackInputError, match="in the future"):
        cb.reschedule(demo_db, priya, row.id, to=NOW - timedelta(hours=1), now=NOW)
    with pytest.raises(cb.CallbackInputError, match="closed at 11:00 on Sunday 29 Nov"):
        cb.reschedule(demo_db, priya, row.id, to=tomorrow_11 + timedelta(days=4), now=NOW)
    moved = cb.reschedule(demo_db, priya, row.id, to=tomorrow_11, now=NOW, note="after work")

    assert moved.status is Status.RESCHEDULED
    assert moved.due_at == moved.not_before == tomorrow_11
    assert cb.call_next(demo_db, priya, now=LATER) is None
    assert cb.call_next(demo_db, priya, now=tomorrow_11).id == row.id
    texts = [e.text for e in cb.get_callback(demo_db, priya, row.id, now=NOW).activities]
    assert "Rescheduled to Wed 25 Nov 11:00 by Priya Sharma (after work)" in texts


def test_cancelling_needs_a_reason(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)

    with pytest.raises(cb.CallbackInputError, match="Say why"):
        cb.cancel(demo_db, priya, row.id, reason=" ", now=NOW)
    cancelled = cb.cancel(demo_db, priya, row.id, reason="Came in person", now=NOW)

    assert cancelled.status is Status.CANCELLED and cancelled.outcome == "Came in person"
    assert cb.queue(demo_db, priya, now=NOW).rows == ()


def test_every_write_is_logged_with_who_and_when(demo_db, priya, rahul):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)
    cb.assign(demo_db, priya, row.id, to_username="rahul", now=NOW + timedelta(minutes=1))
    cb.start_call(demo_db, rahul, row.id, now=NOW + timedelta(minutes=2))
    cb.add_note(demo_db, rahul, row.id, note="asked about GLOW20", now=NOW + timedelta(minutes=3))
    cb.complete(demo_db, rahul, row.id, outcome="Booked", now=NOW + timedelta(minutes=4))

    entries = cb.get_callback(demo_db, priya, row.id, now=NOW).activities
    assert [(e.activity, e.user_name, e.at - NOW) for e in entries] == [
        ("created", "Priya Sharma", timedelta(0)),
        ("assigned", "Priya Sharma", timedelta(minutes=1)),
        ("started", "Rahul Verma", timedelta(minutes=2)),
        ("note", "Rahul Verma", timedelta(minutes=3)),
        ("completed", "Rahul Verma", timedelta(minutes=4)),
    ]
    assert entries[1].text == "Assigned to Rahul Verma by Priya Sharma"
    assert entries[-1].text == "Completed by Rahul Verma: Booked"
    assert count(demo_db, SyncOutbox, doc_id=row.id) == 5
    assert count(demo_db, AuditLog, entity_id=str(row.id)) == 5


def test_only_a_manager_changes_slas_and_opening_hours(demo_db, priya, meera):
    hours = hours_from_json({**hours_to_json(DEFAULT_OPENING_HOURS), "sun": "10:00-14:00"})
    faster = CallbackSettings(
        sla_minutes={
            Category.URGENT: 30,
            Category.HIGH: 120,
            Category.MEDIUM: 480,
            Category.LOW: 960,
        },
        max_attempts=2,
        retry_minutes=30,
    )
    with pytest.raises(PermissionDenied, match="needs a manager"):
        cb.update_config(demo_db, priya, faster, hours, now=NOW)

    cb.update_config(demo_db, meera, faster, hours, now=NOW)

    config = cb.get_config(demo_db)
    assert config.settings == faster and config.hours.days[6] is not None
    row = cb.add_callback(demo_db, priya, stranger(Reason.COMPLAINT), now=NOW)
    assert row.due_at == NOW + timedelta(hours=2)  # high: 120 minutes
    assert count(demo_db, AuditLog, action="callback.settings") == 1


def test_a_callback_is_found_by_the_start_of_its_id(demo_db, priya):
    row = cb.add_callback(demo_db, priya, stranger(), now=NOW)

    assert cb.resolve_id(demo_db, row.short_id) == row.id
    assert cb.resolve_id(demo_db, str(row.id)) == row.id
    with pytest.raises(NotFound, match="not a callback id"):
        cb.resolve_id(demo_db, "xyz")
