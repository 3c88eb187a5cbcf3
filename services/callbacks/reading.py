"""Reading the queue: each request scored at the instant asked for, in queue order."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.callback_queue import (
    RequestRecord,
    patient_history,
    read_requests,
    stream_requests_with_history,
)
from db.engine import Database
from db.models import CallbackRequest
from domain.callbacks import (
    OPEN_STATUSES,
    PatientValue,
    Reason,
    Score,
    Source,
    Status,
    priority_score,
    queue_key,
)
from domain.permissions import require
from services import ids
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.callbacks.log import activity_entries
from services.callbacks.records import (
    CallbackDetail,
    CallbackRow,
    Context,
    QueueSnapshot,
)
from services.callbacks.settings import read_context
from services.errors import NotFound

# ---------------------------------------------------------------------------- reading


_OPEN = [status.value for status in OPEN_STATUSES]
_OPEN_VALUES = frozenset(_OPEN)
# Plain dict look-ups: calling an enum class costs more, thousands of times per reading.
_STATUSES = {status.value: status for status in Status}
_REASONS = {reason.value: reason for reason in Reason}
_SOURCES = {source.value: source for source in Source}
_HOUR = timedelta(hours=1)
_UNREGISTERED: tuple[None, None] = (None, None)


def patient_values(
    session: Session, patient_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, Any]:
    history = patient_history(session, patient_ids, open_statuses=_OPEN)
    return {pid: PatientValue(visits, spent) for pid, (visits, spent) in history.items()}


def _rows(
    session: Session,
    context: Context,
    records: Iterable[RequestRecord],
    now: datetime,
    history: dict[uuid.UUID, tuple[int, int]] | None = None,
) -> list[CallbackRow]:
    """The rows of `records` scored at `now`; `history` is each patient's (visits, paise
    spent) when already read with the records (read here otherwise)."""
    if history is None:
        records = list(records)
        history = patient_history(
            session, (record.patient_id for record in records), open_statuses=_OPEN
        )
    # One look-up per row: the patient's value and the figures it was made from.
    values: dict[uuid.UUID | None, tuple[PatientValue, tuple[int, int]] | tuple[None, None]]
    values = {pid: (PatientValue(*figures), figures) for pid, figures in history.items()}
    max_attempts = context.config.settings.max_attempts
    clock, names = context.clock, context.names
    position = clock.position
    now_position = position(now)
    zero = timedelta(0)
    # A score depends only on the reason, the patient's figures, whole hours waited and
    # missed calls: thousands of requests share a few hundred scores.
    scores: dict[tuple[str, tuple[int, int] | None, int, int], Score] = {}
    rows = []
    # Unpacked in one step: a queue reading has thousands of records.
    for (
        key,
        patient_id,
        name,
        mobile,
        reason,
        source,
        notes,
        status,
        requested_at,
        due_at,
        not_before,
        preferred_from,
        preferred_to,
        created_by,
        assigned_to,
        attempts,
        outcome,
        closed_at,
    ) in records:
        value, figures = values.get(patient_id, _UNREGISTERED)
        if status in _OPEN_VALUES:
            waited = now_position - position(requested_at)
            if waited < zero:
                waited = zero
        else:
            waited = clock.between(requested_at, closed_at or now)
        scored = (reason, figures, waited // _HOUR, attempts)
        score = scores.get(scored)
        if score is None:
            score = scores[scored] = priority_score(_REASONS[reason], value, waited, attempts)
        rows.append(
            CallbackRow(
                key,
                patient_id,
                name,
                mobile,
                _REASONS[reason],
                _SOURCES[source],
                notes,
                _STATUSES[status],
                requested_at,
                due_at,
                not_before,
                preferred_from,
                preferred_to,
                names.get(created_by, "?"),
                assigned_to,
                names.get(assigned_to) if assigned_to else None,
                attempts,
                max_attempts,
                outcome,
                closed_at,
                value,
                waited,
                score,
                now,
            )
        )
    return rows


def _ordered(rows: list[CallbackRow]) -> list[CallbackRow]:
    return sorted(
        rows,
        key=lambda row: queue_key(row.score.category, row.due_at, row.requested_at, row.key),
    )


def open_rows(session: Session, context: Context, now: datetime) -> list[CallbackRow]:
    records, history = stream_requests_with_history(
        session,
        CallbackRequest.status.in_(_OPEN),
        CallbackRequest.branch_id == context.branch_id,
    )
    return _ordered(_rows(session, context, records, now, history))


def queue(db: Database, actor: CurrentUser, *, now: datetime) -> QueueSnapshot:
    """The open requests, urgent first, then by due time, then by request time."""
    require(actor.role, "callback.read")
    with db.session(write=False) as session:
        context = read_context(session)
        return QueueSnapshot(now, tuple(open_rows(session, context, now)))


def overdue_count(db: Database, actor: CurrentUser, *, now: datetime) -> int:
    """How many open requests of this branch are past their due time at `now` (the queue's
    Overdue filter: open, due before `now`), counted by the database."""
    require(actor.role, "callback.read")
    with db.session(write=False) as session:
        query = select(func.count(CallbackRequest.id)).where(
            CallbackRequest.retired_at.is_(None),
            CallbackRequest.status.in_(_OPEN),
            CallbackRequest.branch_id == this_branch_id(session),
            CallbackRequest.due_at < now,
        )
        return int(session.scalar(query) or 0)


def row_by_id(
    session: Session, context: Context, callback_id: uuid.UUID, now: datetime
) -> CallbackRow:
    session.flush()
    return _rows(session, context, read_requests(session, CallbackRequest.id == callback_id), now)[
        0
    ]


def request_by_id(session: Session, callback_id: uuid.UUID) -> CallbackRequest:
    request = session.get(CallbackRequest, callback_id)
    if request is None or request.retired_at is not None:
        raise NotFound("That callback is not on record; refresh the queue.")
    return request


def get_callback(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime
) -> CallbackDetail:
    """One request (open or closed) with its activity log, oldest entry first."""
    require(actor.role, "callback.read")
    with db.session(write=False) as session:
        context = read_context(session)
        request_by_id(session, callback_id)
        entries = activity_entries(session, context, callback_id)
        return CallbackDetail(row_by_id(session, context, callback_id, now), entries)


def resolve_id(db: Database, text: str) -> uuid.UUID:
    """The request named by its id or the first characters of it (at least six)."""
    return ids.resolve_id(
        db, CallbackRequest.id, text, what="callback", hint="'frontdesk callback queue'"
    )
