"""The queue's one-query read (requests with each patient's invoice figures joined) gives
exactly what reading the requests and then the patients' history separately gives."""

from __future__ import annotations

from datetime import timedelta

from db.callback_queue import patient_history, read_requests, read_requests_with_history
from db.models import CallbackRequest
from domain.callbacks import OPEN_STATUSES, Reason, Source
from services import callbacks as cb
from services.auth import sign_in
from services.callbacks import reading as queue_read
from services.callbacks import settings as callback_settings
from services.patients import find_patients

from .conftest import NOW

OPEN = [status.value for status in OPEN_STATUSES]


def test_the_joined_read_matches_the_two_step_read(demo_db):
    priya = sign_in(demo_db, "priya", "1111")
    patients = find_patients(demo_db, "a")[:4]
    for n, patient in enumerate(patients):
        for reason in (Reason.COMPLAINT, Reason.APPOINTMENT):  # two requests per patient
            new = cb.NewCallback(reason, Source.PHONE, patient_id=patient.id)
            cb.add_callback(demo_db, priya, new, now=NOW - timedelta(hours=5 * n + 1))
    for n in range(3):
        new = cb.NewCallback(
            Reason.FOLLOW_UP, Source.WALK_IN, name=f"Caller {n}", mobile=f"98450{n}1234"
        )
        cb.add_callback(demo_db, priya, new, now=NOW - timedelta(days=n))

    with demo_db.session(write=False) as session:
        where = CallbackRequest.status.in_(OPEN)
        records, history = read_requests_with_history(session, where)
        assert sorted(records) == sorted(read_requests(session, where))
        assert history == patient_history(
            session, (r.patient_id for r in records), open_statuses=OPEN
        )
        assert set(history) == {p.id for p in patients}
        assert any(visits for visits, _ in history.values())
        context = callback_settings.read_context(session)
        joined = queue_read._rows(session, context, records, NOW, history)
        separate = queue_read._rows(session, context, records, NOW)
        assert joined == separate
    assert len(cb.queue(demo_db, priya, now=NOW).rows) == 11
