"""The demo clinic's callback queue as a morning finds it: a complaint gone overdue, a
request already tried once, people waiting unassigned, one answered yesterday.

`make run` and `frontdesk init --demo` open on it (services.setup.create_demo_clinic); the
tests' demo template (`initialise(demo=True)`) has an empty queue, so a test's own requests
are the only ones it sees. Every request is made through the callback service as the desk
would make it, with its activity log, audit and outbox rows, timed before `now`.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from db.engine import Database
from db.models import Patient
from domain.callbacks import Reason, Source
from services import callbacks
from services.auth import CurrentUser, sign_in
from services.demo import SEED, STAFF


@dataclass(frozen=True)
class _Request:
    hours_ago: float
    reason: Reason
    source: Source
    notes: str
    by: str  # who took the request (a demo username)
    then: tuple[str, ...] = ()  # "assign:<user>", "no_answer", "complete"
    patient: bool = True
    name: str = ""
    mobile: str = ""


QUEUE = (
    _Request(
        26,
        Reason.COMPLAINT,
        Source.PHONE,
        "Redness after yesterday's chemical peel; wants a doctor to call.",
        "meera",
        ("assign:meera", "no_answer"),
    ),
    _Request(
        20,
        Reason.BILLING_QUESTION,
        Source.WALK_IN,
        "Asked why the GST on her last invoice differs from the estimate.",
        "priya",
        ("assign:rahul",),
    ),
    _Request(
        5,
        Reason.APPOINTMENT,
        Source.PHONE,
        "Wants a Saturday slot for a HydraFacial.",
        "priya",
    ),
    _Request(
        3,
        Reason.PROMOTION_ENQUIRY,
        Source.PHONE,
        "Is the Glow Bundle offer on for hair serums too?",
        "rahul",
    ),
    _Request(
        1.5,
        Reason.CAMPAIGN_RESPONSE,
        Source.CAMPAIGN_REPLY,
        "Replied YES to the win-back e-mail.",
        "priya",
        patient=False,
        name="Kiran Desai",
        mobile="9845012345",
    ),
    _Request(
        0.5,
        Reason.FOLLOW_UP,
        Source.WALK_IN,
        "Second PRP session: confirm the date the doctor suggested.",
        "rahul",
    ),
    _Request(
        28,
        Reason.APPOINTMENT,
        Source.PHONE,
        "Move Tuesday's consultation to the evening.",
        "priya",
        ("assign:priya", "complete"),
    ),
)


def write_demo_queue(db: Database, *, now: datetime) -> int:
    """Put QUEUE into the demo clinic's callback queue as of `now`; returns how many."""
    pins = {username: pin for username, _name, _role, pin, _limit in STAFF}
    staff = {username: sign_in(db, username, pin, now=now) for username, pin in pins.items()}
    with db.session(write=False) as session:
        patients = list(session.scalars(select(Patient.id).order_by(Patient.mobile).limit(200)))
    rng = random.Random(SEED + 18)
    for request in QUEUE:
        at = now - timedelta(hours=request.hours_ago)
        row = callbacks.add_callback(
            db,
            staff[request.by],
            callbacks.NewCallback(
                reason=request.reason,
                source=request.source,
                patient_id=rng.choice(patients) if request.patient else None,
                name=request.name,
                mobile=request.mobile,
                notes=request.notes,
            ),
            now=at,
        )
        _then(db, staff, row.id, request.then, at)
    return len(QUEUE)


def _then(
    db: Database,
    staff: dict[str, CurrentUser],
    callback_id: uuid.UUID,
    steps: tuple[str, ...],
    at: datetime,
) -> None:
    """The request's later steps, ten minutes apart, each by the person it is assigned to."""
    person = staff["meera"]
    for step in steps:
        at += timedelta(minutes=10)
        if step.startswith("assign:"):
            person = staff[step.removeprefix("assign:")]
            callbacks.assign(db, person, callback_id, now=at)
        elif step == "no_answer":
            callbacks.start_call(db, person, callback_id, now=at)
            callbacks.no_answer(db, person, callback_id, now=at, note="No answer; rang twice.")
        elif step == "complete":
            callbacks.start_call(db, person, callback_id, now=at)
            callbacks.complete(db, person, callback_id, now=at, outcome="Moved to 6 pm.")
