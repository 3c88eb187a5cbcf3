"""The commands on a request: add, assign, start, call next, complete, no answer,
reschedule, cancel and note. Each is one unit of work that updates the request, adds its
log entries, and queues its audit entry and the whole request for the centre."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import CallbackRequest, User
from db.models import Patient as PatientRow
from domain.callbacks import (
    Action,
    CallbackDetailsError,
    CallbackSettings,
    Status,
    TransitionRefused,
    initial_due,
    next_status,
    priority_score,
    validate_note,
    validate_window,
)
from domain.patients import PatientDetailsError, normalise_mobile
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.callbacks.log import ActivityLog, request_document
from services.callbacks.reading import open_rows, patient_values, request_by_id, row_by_id
from services.callbacks.records import (
    CallbackInputError,
    CallbackRefused,
    CallbackRow,
    Context,
    NewCallback,
)
from services.callbacks.settings import read_context
from services.errors import NotFound
from services.uow import UnitOfWork


@contextmanager
def _changing(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    now: datetime,
    recorded_at: datetime | None = None,
) -> Iterator[tuple[UnitOfWork, Context, CallbackRequest]]:
    """The unit of work of a command on one request, with the context and the request."""
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        context = read_context(uow.session)
        yield uow, context, request_by_id(uow.session, callback_id)


def _finish(
    uow: UnitOfWork,
    context: Context,
    request: CallbackRequest,
    action: str,
    details: dict[str, Any] | None = None,
) -> CallbackRow:
    """Queue the request's whole document and the audit entry, and commit."""
    session, now = uow.session, uow.now
    request.updated_at = now
    uow.outbox(documents.CALLBACK_REQUEST, request.id, request_document(session, request))
    uow.audit(f"callback.{action}", "callback_request", request.id, details)
    session.flush()
    row = row_by_id(session, context, request.id, now)
    uow.commit()
    return row


# ---------------------------------------------------------------------------- writing


def add_callback(
    db: Database,
    actor: CurrentUser,
    new: NewCallback,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
) -> CallbackRow:
    """Add a request to the queue (any signed-in user); its due time is the SLA of its
    category at `now`, counted in opening hours (or the start of the preferred window)."""
    require(actor.role, "callback.work", "Adding a callback")
    try:
        notes = validate_note(new.notes)
        preferred_from, preferred_to = validate_window(new.preferred_from, new.preferred_to)
    except CallbackDetailsError as exc:
        raise CallbackInputError(exc.field, f"{exc}.") from exc
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        context = read_context(session)
        name, mobile = _contact(session, new)
        value = (
            patient_values(session, [new.patient_id]).get(new.patient_id)
            if new.patient_id
            else None
        )
        score = priority_score(new.reason, value, timedelta(0), 0)
        due = initial_due(
            now, score.category, context.config.settings, context.clock, preferred_from
        )
        request = CallbackRequest(
            branch_id=context.branch_id,
            patient_id=new.patient_id,
            contact_name=name,
            mobile=mobile,
            reason=new.reason.value,
            source=new.source.value,
            notes=notes,
            preferred_from=preferred_from,
            preferred_to=preferred_to,
            requested_at=now,
            created_by=actor.id,
            status=Status.NEW.value,
            attempts=0,
            sla_category=score.category.value,
            due_at=due,
            not_before=preferred_from if preferred_from and preferred_from > now else None,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        ActivityLog(session, request, actor).add(
            "created",
            now,
            to_status=Status.NEW,
            note=notes,
            reason=new.reason.value,
            source=new.source.value,
            score=score.value,
            category=score.category.value,
            due_at=due.isoformat(),
        )
        return _finish(
            uow,
            context,
            request,
            "add",
            {"reason": new.reason.value, "category": score.category.value},
        )


def _contact(session: Session, new: NewCallback) -> tuple[str, str]:
    if new.patient_id is not None:
        patient = session.get(PatientRow, new.patient_id)
        if patient is None or patient.retired_at is not None:
            raise NotFound("That patient is not on record; search again or type a name and mobile.")
        return patient.name, patient.mobile
    name = " ".join(new.name.split())
    if not name:
        raise CallbackInputError("name", "Type the person's name, or pick a registered patient.")
    if len(name) > 120:
        raise CallbackInputError("name", "Keep the name under 120 characters.")
    try:
        mobile = normalise_mobile(new.mobile)
    except PatientDetailsError as exc:
        raise CallbackInputError("mobile", f"{exc}.") from exc
    return name, mobile


def _move(
    request: CallbackRequest, action: Action, settings: CallbackSettings
) -> tuple[Status, Status]:
    before = Status(request.status)
    try:
        after = next_status(
            before, action, attempts=request.attempts, max_attempts=settings.max_attempts
        )
    except TransitionRefused as exc:
        raise CallbackRefused(str(exc)) from exc
    request.status = after.value
    return before, after


def _assign(
    log: ActivityLog,
    request: CallbackRequest,
    assignee: uuid.UUID,
    now: datetime,
    settings: CallbackSettings,
) -> None:
    before, after = _move(request, Action.ASSIGN, settings)
    request.assigned_to = assignee
    request.assigned_at = now
    log.add("assigned", now, from_status=before, to_status=after, assigned_to=str(assignee))


def _start(
    log: ActivityLog, request: CallbackRequest, now: datetime, settings: CallbackSettings
) -> None:
    before, after = _move(request, Action.START, settings)
    log.add("started", now, from_status=before, to_status=after)


def _user_id(session: Session, username: str | None, actor: CurrentUser) -> uuid.UUID:
    if username is None:
        return actor.id
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.is_active or user.retired_at is not None:
        raise NotFound(f"There is no active user called '{username}'.")
    return user.id


def assign(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
    to_username: str | None = None,
) -> CallbackRow:
    """Assign a waiting request to a member of staff (to the actor by default)."""
    require(actor.role, "callback.work", "Assigning a callback")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        assignee = _user_id(session, to_username, actor)
        _assign(
            ActivityLog(session, request, actor), request, assignee, now, context.config.settings
        )
        return _finish(uow, context, request, "assign", {"to": str(assignee)})


def start_call(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
) -> CallbackRow:
    """Mark an assigned request's call as under way."""
    require(actor.role, "callback.work", "Starting a callback")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        _start(ActivityLog(session, request, actor), request, now, context.config.settings)
        return _finish(uow, context, request, "start")


def take_call(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime
) -> CallbackRow:
    """Assign a request to the actor (if it is not theirs yet) and start the call, at once."""
    require(actor.role, "callback.work", "Calling back")
    with _changing(db, actor, callback_id, now) as (uow, context, request):
        session = uow.session
        _take(session, context, request, actor, now)
        return _finish(uow, context, request, "take")


def _take(
    session: Session, context: Context, request: CallbackRequest, actor: CurrentUser, now: datetime
) -> None:
    log = ActivityLog(session, request, actor)
    settings = context.config.settings
    status = Status(request.status)
    if status is Status.IN_PROGRESS:
        raise CallbackRefused(
            f"{context.names.get(request.assigned_to or actor.id, 'Someone')} is already on "
            "this call; pick another request."
        )
    if status is not Status.ASSIGNED or request.assigned_to != actor.id:
        _assign(log, request, actor.id, now, settings)
    _start(log, request, now, settings)


def call_next(db: Database, actor: CurrentUser, *, now: datetime) -> CallbackRow | None:
    """Take the top request the actor may call now, assign it to them and start the call.

    Skipped: requests assigned to someone else, calls under way, and requests rescheduled
    to (or waiting to retry at) a later time. None when nobody is waiting."""
    require(actor.role, "callback.work", "Calling back")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = read_context(session)
        for row in open_rows(session, context, now):
            mine_or_free = row.assigned_to in (None, actor.id) or row.status in (
                Status.NO_ANSWER,
                Status.RESCHEDULED,
            )
            if row.status is Status.IN_PROGRESS or not mine_or_free or row.waiting_for_retry:
                continue
            request = request_by_id(session, row.id)
            _take(session, context, request, actor, now)
            return _finish(uow, context, request, "call_next")
        return None


def complete(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
    outcome: str = "",
) -> CallbackRow:
    """Close a call under way as completed, with what was agreed."""
    require(actor.role, "callback.work", "Completing a callback")
    note = _note(outcome, "outcome")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        before, after = _move(request, Action.COMPLETE, context.config.settings)
        request.outcome = note or "Completed"
        request.closed_at = now
        request.not_before = None
        ActivityLog(session, request, actor).add(
            "completed", now, from_status=before, to_status=after, note=note
        )
        return _finish(uow, context, request, "complete")


def no_answer(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
    note: str = "",
) -> CallbackRow:
    """Count an unanswered call: back to the queue with a retry time, or, at the last
    allowed attempt, closed as unreachable."""
    require(actor.role, "callback.work", "Recording a call")
    text = _note(note, "note")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        settings = context.config.settings
        before, after = _move(request, Action.NO_ANSWER, settings)
        request.attempts += 1
        details: dict[str, Any] = {
            "attempt": request.attempts,
            "max_attempts": settings.max_attempts,
        }
        if after is Status.UNREACHABLE:
            request.closed_at = now
            request.not_before = None
            request.outcome = f"Unreachable after {request.attempts} unanswered calls"
        else:
            retry = context.clock.add(now, timedelta(minutes=settings.retry_minutes))
            request.not_before = retry
            request.due_at = retry
            details["retry_at"] = retry.isoformat()
        ActivityLog(session, request, actor).add(
            "no_answer", now, from_status=before, to_status=after, note=text, **details
        )
        return _finish(uow, context, request, "no_answer", details)


def reschedule(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    to: datetime,
    now: datetime,
    recorded_at: datetime | None = None,
    note: str = "",
) -> CallbackRow:
    """Move a request to a new time (within opening hours, in the future): it is due then,
    and "Call next" leaves it alone until then."""
    require(actor.role, "callback.work", "Rescheduling a callback")
    text = _note(note, "note")
    if to.tzinfo is None:
        raise CallbackInputError("to", "Give the new time with its time zone.")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        if to <= now:
            raise CallbackInputError("to", "Pick a time in the future to call back.")
        if not context.clock.is_open(to):
            local = to.astimezone(context.clock.zone)
            raise CallbackInputError(
                "to",
                f"The branch is closed at {local:%H:%M} on {local:%A %d %b}; "
                "pick a time within opening hours.",
            )
        before, after = _move(request, Action.RESCHEDULE, context.config.settings)
        request.due_at = to
        request.not_before = to
        ActivityLog(session, request, actor).add(
            "rescheduled",
            now,
            from_status=before,
            to_status=after,
            note=text,
            due_at=to.isoformat(),
        )
        return _finish(uow, context, request, "reschedule", {"to": to.isoformat()})


def cancel(
    db: Database,
    actor: CurrentUser,
    callback_id: uuid.UUID,
    *,
    reason: str,
    now: datetime,
    recorded_at: datetime | None = None,
) -> CallbackRow:
    """Cancel an open request; the reason is required and kept as its outcome."""
    require(actor.role, "callback.work", "Cancelling a callback")
    text = _note(reason, "reason")
    if not text:
        raise CallbackInputError("reason", "Say why the callback is cancelled.")
    with _changing(db, actor, callback_id, now, recorded_at) as (uow, context, request):
        session = uow.session
        before, after = _move(request, Action.CANCEL, context.config.settings)
        request.outcome = text
        request.closed_at = now
        request.not_before = None
        ActivityLog(session, request, actor).add(
            "cancelled", now, from_status=before, to_status=after, note=text
        )
        return _finish(uow, context, request, "cancel")


def add_note(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, note: str, now: datetime
) -> CallbackRow:
    """Add a note to a request's log (open or closed)."""
    require(actor.role, "callback.work", "Adding a note")
    text = _note(note, "note")
    if not text:
        raise CallbackInputError("note", "Type the note first.")
    with _changing(db, actor, callback_id, now) as (uow, context, request):
        session = uow.session
        ActivityLog(session, request, actor).add("note", now, note=text)
        return _finish(uow, context, request, "note")


def _note(text: str, field_name: str) -> str:
    try:
        return validate_note(text, field_name)
    except CallbackDetailsError as exc:
        raise CallbackInputError(exc.field, f"{exc}.") from exc
