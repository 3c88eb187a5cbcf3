"""The callback queue: adding requests, ordering them, and recording every call (seed 004).

Every write is one transaction that updates the request, adds its activity-log entry (or
entries), an audit entry and an outbox row carrying the whole request with its log. The
rules (score, SLA, order, statuses) are in domain.callbacks; opening hours and SLAs are
branch settings kept in app_settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.callback_queue import (
    RequestRecord,
    patient_history,
    read_requests,
    stream_requests_with_history,
)
from db.engine import Database
from db.models import AppSetting, Branch, CallbackActivity, CallbackRequest, User
from db.models import Patient as PatientRow
from domain.callbacks import (
    OPEN_STATUSES,
    Action,
    CallbackDetailsError,
    CallbackSettings,
    CallbackSettingsError,
    Category,
    PatientValue,
    Reason,
    Score,
    Source,
    Status,
    TransitionRefused,
    initial_due,
    next_status,
    priority_score,
    queue_key,
    validate_note,
    validate_settings,
    validate_window,
)
from domain.opening_hours import (
    DEFAULT_OPENING_HOURS,
    BusinessClock,
    OpeningHours,
    OpeningHoursError,
    hours_from_json,
    hours_to_json,
    validate_opening_hours,
)
from domain.patients import PatientDetailsError, normalise_mobile
from domain.roles import Role, require_role
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import NotFound, ServiceError
from services.uow import UnitOfWork

CALLBACK_SETTINGS_KEY = "callback_settings"
OPENING_HOURS_KEY = "opening_hours"


class CallbackRefused(ServiceError):
    """The request cannot be changed that way; the message says what to do instead."""


class CallbackInputError(ServiceError):
    """Details that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class NewCallback:
    """What the desk types to add a request: a patient, or a name and mobile."""

    reason: Reason
    source: Source = Source.PHONE
    patient_id: uuid.UUID | None = None
    name: str = ""
    mobile: str = ""
    notes: str = ""
    preferred_from: datetime | None = None
    preferred_to: datetime | None = None


class CallbackRow(NamedTuple):
    """One request as the queue shows it, scored at the snapshot's instant.

    `key` is the request's id as stored (32 hex digits); `id` makes the UUID of it.
    `waited` is opening time since the request; `value` is None for someone not registered.
    A NamedTuple rather than a frozen dataclass: as immutable, and a queue reading makes
    thousands of them, each a fifth of the cost of a frozen dataclass's field-by-field
    __init__ (and a UUID each, made only when asked for).
    """

    key: str
    patient_id: uuid.UUID | None
    name: str
    mobile: str
    reason: Reason
    source: Source
    notes: str
    status: Status
    requested_at: datetime
    due_at: datetime
    not_before: datetime | None
    preferred_from: datetime | None
    preferred_to: datetime | None
    created_by_name: str
    assigned_to: uuid.UUID | None
    assigned_name: str | None
    attempts: int
    max_attempts: int
    outcome: str | None
    closed_at: datetime | None
    value: PatientValue | None
    waited: timedelta
    score: Score
    at: datetime

    @property
    def id(self) -> uuid.UUID:
        """The request's id (made afresh on each use: compare `key` in a loop over rows)."""
        return uuid.UUID(hex=self.key)

    @property
    def category(self) -> Category:
        return self.score.category

    @property
    def overdue(self) -> bool:
        return self.status.is_open and self.due_at < self.at

    @property
    def waiting_for_retry(self) -> bool:
        """Not to be called yet: rescheduled to, or retrying at, a later time."""
        return self.not_before is not None and self.not_before > self.at

    @property
    def short_id(self) -> str:
        return self.key[:8]


@dataclass(frozen=True)
class ActivityEntry:
    """One line of a request's log, with who and when, and a sentence for people."""

    at: datetime
    user_id: uuid.UUID
    user_name: str
    activity: str
    from_status: Status | None
    to_status: Status | None
    note: str
    details: dict[str, Any]
    text: str


@dataclass(frozen=True)
class CallbackDetail:
    """A request with its whole log, oldest first."""

    row: CallbackRow
    activities: tuple[ActivityEntry, ...]


@dataclass(frozen=True)
class QueueSnapshot:
    """The open requests in queue order, scored at `at`."""

    at: datetime
    rows: tuple[CallbackRow, ...]


@dataclass(frozen=True)
class CallbackConfig:
    """The branch's callback settings, opening hours and time zone."""

    settings: CallbackSettings
    hours: OpeningHours
    timezone: str

    def clock(self) -> BusinessClock:
        return BusinessClock(self.hours, self.timezone)


@dataclass(frozen=True)
class _Context:
    config: CallbackConfig
    clock: BusinessClock
    branch_id: uuid.UUID
    names: dict[uuid.UUID, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- settings


def _settings_from_json(data: dict[str, Any] | None) -> CallbackSettings:
    if not data:
        return CallbackSettings()
    defaults = CallbackSettings()
    sla = {
        category: int(data.get("sla_minutes", {}).get(category.value, minutes))
        for category, minutes in defaults.sla_minutes.items()
    }
    return CallbackSettings(
        sla_minutes=sla,
        max_attempts=int(data.get("max_attempts", defaults.max_attempts)),
        retry_minutes=int(data.get("retry_minutes", defaults.retry_minutes)),
    )


def _settings_to_json(settings: CallbackSettings) -> dict[str, Any]:
    return {
        "sla_minutes": {c.value: m for c, m in settings.sla_minutes.items()},
        "max_attempts": settings.max_attempts,
        "retry_minutes": settings.retry_minutes,
    }


def _config(session: Session) -> CallbackConfig:
    branch = session.get_one(Branch, this_branch_id(session))
    settings_row = session.get(AppSetting, CALLBACK_SETTINGS_KEY)
    hours_row = session.get(AppSetting, OPENING_HOURS_KEY)
    hours = hours_from_json(hours_row.value) if hours_row else DEFAULT_OPENING_HOURS
    return CallbackConfig(
        _settings_from_json(settings_row.value if settings_row else None), hours, branch.timezone
    )


def _context(session: Session) -> _Context:
    config = _config(session)
    names = dict(session.execute(select(User.id, User.full_name)).all())
    return _Context(config, config.clock(), this_branch_id(session), names)


def get_config(db: Database) -> CallbackConfig:
    """The SLAs, attempts, retry delay, opening hours and time zone in force."""
    with db.session(write=False) as session:
        return _config(session)


def update_config(
    db: Database,
    actor: CurrentUser,
    settings: CallbackSettings,
    hours: OpeningHours,
    *,
    now: datetime,
) -> CallbackConfig:
    """Save the SLAs, attempts, retry delay and opening hours (manager); audited.

    Requests already in the queue keep their due times; new ones use the new settings."""
    require_role(actor.role, Role.MANAGER, "Changing the callback settings and opening hours")
    try:
        clean = validate_settings(settings)
        clean_hours = validate_opening_hours(hours)
    except (CallbackSettingsError, OpeningHoursError) as exc:
        # The field names the input to fix: "sla_high", "max_attempts", "hours_sat", ...
        raise CallbackInputError(exc.field or "settings", f"{exc}.") from exc
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        before = _config(session)
        for key, value in (
            (CALLBACK_SETTINGS_KEY, _settings_to_json(clean)),
            (OPENING_HOURS_KEY, hours_to_json(clean_hours)),
        ):
            row = session.get(AppSetting, key)
            if row is None:
                session.add(AppSetting(key=key, value=value))
            else:
                row.value = value
        uow.audit(
            "callback.settings",
            "branch",
            actor.branch_id,
            {
                "from": {
                    **_settings_to_json(before.settings),
                    "hours": hours_to_json(before.hours),
                },
                "to": {**_settings_to_json(clean), "hours": hours_to_json(clean_hours)},
            },
        )
        uow.commit()
        return CallbackConfig(clean, clean_hours, before.timezone)


# ---------------------------------------------------------------------------- reading


_OPEN = [status.value for status in OPEN_STATUSES]
_OPEN_VALUES = frozenset(_OPEN)
# Plain dict look-ups: calling an enum class costs more, thousands of times per reading.
_STATUSES = {status.value: status for status in Status}
_REASONS = {reason.value: reason for reason in Reason}
_SOURCES = {source.value: source for source in Source}
_HOUR = timedelta(hours=1)
_UNREGISTERED: tuple[None, None] = (None, None)


def _values(session: Session, patient_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    history = patient_history(session, patient_ids, open_statuses=_OPEN)
    return {pid: PatientValue(visits, spent) for pid, (visits, spent) in history.items()}


def _rows(
    session: Session,
    context: _Context,
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


def _open_rows(session: Session, context: _Context, now: datetime) -> list[CallbackRow]:
    records, history = stream_requests_with_history(
        session,
        CallbackRequest.status.in_(_OPEN),
        CallbackRequest.branch_id == context.branch_id,
    )
    return _ordered(_rows(session, context, records, now, history))


def queue(db: Database, actor: CurrentUser, *, now: datetime) -> QueueSnapshot:
    """The open requests, urgent first, then by due time, then by request time."""
    require_role(actor.role, Role.FRONT_DESK, "Reading the callback queue")
    with db.session(write=False) as session:
        context = _context(session)
        return QueueSnapshot(now, tuple(_open_rows(session, context, now)))


def overdue_count(db: Database, actor: CurrentUser, *, now: datetime) -> int:
    """How many open requests of this branch are past their due time at `now` (the queue's
    Overdue filter: open, due before `now`), counted by the database."""
    require_role(actor.role, Role.FRONT_DESK, "Reading the callback queue")
    with db.session(write=False) as session:
        query = select(func.count(CallbackRequest.id)).where(
            CallbackRequest.retired_at.is_(None),
            CallbackRequest.status.in_(_OPEN),
            CallbackRequest.branch_id == this_branch_id(session),
            CallbackRequest.due_at < now,
        )
        return int(session.scalar(query) or 0)


def _row(session: Session, context: _Context, callback_id: uuid.UUID, now: datetime) -> CallbackRow:
    session.flush()
    return _rows(session, context, read_requests(session, CallbackRequest.id == callback_id), now)[
        0
    ]


def _activity_entries(
    session: Session, context: _Context, callback_id: uuid.UUID
) -> tuple[ActivityEntry, ...]:
    activities = session.scalars(
        select(CallbackActivity).where(CallbackActivity.callback_id == callback_id)
    ).all()
    return tuple(_entry(context, activity) for activity in sorted(activities, key=_log_order))


def _log_order(activity: CallbackActivity) -> tuple[datetime, int]:
    return activity.at, int((activity.details or {}).get("seq", 0))


def get_callback(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime
) -> CallbackDetail:
    """One request (open or closed) with its activity log, oldest entry first."""
    require_role(actor.role, Role.FRONT_DESK, "Reading a callback")
    with db.session(write=False) as session:
        context = _context(session)
        _request(session, callback_id)
        entries = _activity_entries(session, context, callback_id)
        return CallbackDetail(_row(session, context, callback_id, now), entries)


def resolve_id(db: Database, text: str) -> uuid.UUID:
    """The request named by its id or the first characters of it (at least six)."""
    key = text.strip().lower().replace("-", "")
    try:
        return uuid.UUID(key) if len(key) == 32 else _by_prefix(db, key)
    except ValueError:
        raise NotFound(
            f"'{text}' is not a callback id; copy it from 'frontdesk callback queue'."
        ) from None


def _by_prefix(db: Database, prefix: str) -> uuid.UUID:
    if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
        raise ValueError(prefix)
    with db.session(write=False) as session:
        matches = [
            i for i in session.scalars(select(CallbackRequest.id)) if i.hex.startswith(prefix)
        ]
    if len(matches) != 1:
        raise NotFound(
            f"No callback id starts with '{prefix}'."
            if not matches
            else f"{len(matches)} callbacks start with '{prefix}'; give more of the id."
        )
    return matches[0]


# ---------------------------------------------------------------------------- the log


def _local(context: _Context, instant: datetime) -> str:
    return instant.astimezone(context.clock.zone).strftime("%a %d %b %H:%M")


def _entry(context: _Context, activity: CallbackActivity) -> ActivityEntry:
    details = dict(activity.details or {})
    who = context.names.get(activity.user_id, "?")
    kind = activity.activity
    note = activity.note
    if kind == "created":
        reason = Reason(details["reason"]).label.lower()
        text = f"Created by {who}: {reason}, {Source(details['source']).label.lower()}"
    elif kind == "assigned":
        assignee = context.names.get(uuid.UUID(details["assigned_to"]), "?")
        text = f"Taken by {who}" if assignee == who else f"Assigned to {assignee} by {who}"
    elif kind == "started":
        text = f"Call started by {who}"
    elif kind == "no_answer":
        attempt, limit = details["attempt"], details["max_attempts"]
        text = f"No answer ({attempt}/{limit}), {who}"
        if activity.to_status == Status.UNREACHABLE.value:
            text += ": closed as unreachable"
        else:
            text += f"; try again {_local(context, datetime.fromisoformat(details['retry_at']))}"
    elif kind == "completed":
        text = f"Completed by {who}"
    elif kind == "rescheduled":
        text = (
            f"Rescheduled to {_local(context, datetime.fromisoformat(details['due_at']))} by {who}"
        )
    elif kind == "cancelled":
        text = f"Cancelled by {who}"
    else:
        text = f"Note by {who}"
    if note:
        text += f": {note}" if kind in ("completed", "cancelled", "note") else f" ({note})"
    return ActivityEntry(
        at=activity.at,
        user_id=activity.user_id,
        user_name=who,
        activity=kind,
        from_status=Status(activity.from_status) if activity.from_status else None,
        to_status=Status(activity.to_status) if activity.to_status else None,
        note=note,
        details=details,
        text=text,
    )


class _Log:
    """Adds activity entries to one request within one transaction, numbered in order
    (`details["seq"]`, counted over the request's whole log)."""

    def __init__(self, session: Session, request: CallbackRequest, actor: CurrentUser) -> None:
        self.session = session
        self.request = request
        self.actor = actor
        # Entries of one transaction share an instant: a running number keeps their order.
        self.seq = (
            session.scalar(
                select(func.count())
                .select_from(CallbackActivity)
                .where(CallbackActivity.callback_id == request.id)
            )
            or 0
        )

    def add(
        self,
        kind: str,
        now: datetime,
        *,
        from_status: Status | None = None,
        to_status: Status | None = None,
        note: str = "",
        **details: Any,
    ) -> None:
        self.seq += 1
        self.session.add(
            CallbackActivity(
                callback_id=self.request.id,
                branch_id=self.request.branch_id,
                at=now,
                user_id=self.actor.id,
                activity=kind,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value if to_status else None,
                note=note,
                details={"seq": self.seq, **details},
            )
        )


def _document(session: Session, request: CallbackRequest) -> dict[str, Any]:
    session.flush()
    activities = session.scalars(
        select(CallbackActivity).where(CallbackActivity.callback_id == request.id)
    ).all()
    return documents.callback_request_json(request, sorted(activities, key=_log_order))


def _finish(
    uow: UnitOfWork,
    context: _Context,
    request: CallbackRequest,
    action: str,
    details: dict[str, Any] | None = None,
) -> CallbackRow:
    """Queue the request's whole document and the audit entry, and commit."""
    session, now = uow.session, uow.now
    request.updated_at = now
    uow.outbox(documents.CALLBACK_REQUEST, request.id, _document(session, request))
    uow.audit(f"callback.{action}", "callback_request", request.id, details)
    session.flush()
    row = _row(session, context, request.id, now)
    uow.commit()
    return row


# ---------------------------------------------------------------------------- writing


def add_callback(
    db: Database, actor: CurrentUser, new: NewCallback, *, now: datetime
) -> CallbackRow:
    """Add a request to the queue (any signed-in user); its due time is the SLA of its
    category at `now`, counted in opening hours (or the start of the preferred window)."""
    require_role(actor.role, Role.FRONT_DESK, "Adding a callback")
    try:
        notes = validate_note(new.notes)
        preferred_from, preferred_to = validate_window(new.preferred_from, new.preferred_to)
    except CallbackDetailsError as exc:
        raise CallbackInputError(exc.field, f"{exc}.") from exc
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        name, mobile = _contact(session, new)
        value = _values(session, [new.patient_id]).get(new.patient_id) if new.patient_id else None
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
        _Log(session, request, actor).add(
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


def _request(session: Session, callback_id: uuid.UUID) -> CallbackRequest:
    request = session.get(CallbackRequest, callback_id)
    if request is None or request.retired_at is not None:
        raise NotFound("That callback is not on record; refresh the queue.")
    return request


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
    log: _Log,
    request: CallbackRequest,
    assignee: uuid.UUID,
    now: datetime,
    settings: CallbackSettings,
) -> None:
    before, after = _move(request, Action.ASSIGN, settings)
    request.assigned_to = assignee
    request.assigned_at = now
    log.add("assigned", now, from_status=before, to_status=after, assigned_to=str(assignee))


def _start(log: _Log, request: CallbackRequest, now: datetime, settings: CallbackSettings) -> None:
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
    to_username: str | None = None,
) -> CallbackRow:
    """Assign a waiting request to a member of staff (to the actor by default)."""
    require_role(actor.role, Role.FRONT_DESK, "Assigning a callback")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        assignee = _user_id(session, to_username, actor)
        _assign(_Log(session, request, actor), request, assignee, now, context.config.settings)
        return _finish(uow, context, request, "assign", {"to": str(assignee)})


def start_call(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime
) -> CallbackRow:
    """Mark an assigned request's call as under way."""
    require_role(actor.role, Role.FRONT_DESK, "Starting a callback")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        _start(_Log(session, request, actor), request, now, context.config.settings)
        return _finish(uow, context, request, "start")


def take_call(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime
) -> CallbackRow:
    """Assign a request to the actor (if it is not theirs yet) and start the call, at once."""
    require_role(actor.role, Role.FRONT_DESK, "Calling back")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        _take(session, context, request, actor, now)
        return _finish(uow, context, request, "take")


def _take(
    session: Session, context: _Context, request: CallbackRequest, actor: CurrentUser, now: datetime
) -> None:
    log = _Log(session, request, actor)
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
    require_role(actor.role, Role.FRONT_DESK, "Calling back")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        for row in _open_rows(session, context, now):
            mine_or_free = row.assigned_to in (None, actor.id) or row.status in (
                Status.NO_ANSWER,
                Status.RESCHEDULED,
            )
            if row.status is Status.IN_PROGRESS or not mine_or_free or row.waiting_for_retry:
                continue
            request = _request(session, row.id)
            _take(session, context, request, actor, now)
            return _finish(uow, context, request, "call_next")
        return None


def complete(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime, outcome: str = ""
) -> CallbackRow:
    """Close a call under way as completed, with what was agreed."""
    require_role(actor.role, Role.FRONT_DESK, "Completing a callback")
    note = _note(outcome, "outcome")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        before, after = _move(request, Action.COMPLETE, context.config.settings)
        request.outcome = note or "Completed"
        request.closed_at = now
        request.not_before = None
        _Log(session, request, actor).add(
            "completed", now, from_status=before, to_status=after, note=note
        )
        return _finish(uow, context, request, "complete")


def no_answer(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, now: datetime, note: str = ""
) -> CallbackRow:
    """Count an unanswered call: back to the queue with a retry time, or, at the last
    allowed attempt, closed as unreachable."""
    require_role(actor.role, Role.FRONT_DESK, "Recording a call")
    text = _note(note, "note")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        settings = context.config.settings
        request = _request(session, callback_id)
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
        _Log(session, request, actor).add(
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
    note: str = "",
) -> CallbackRow:
    """Move a request to a new time (within opening hours, in the future): it is due then,
    and "Call next" leaves it alone until then."""
    require_role(actor.role, Role.FRONT_DESK, "Rescheduling a callback")
    text = _note(note, "note")
    if to.tzinfo is None:
        raise CallbackInputError("to", "Give the new time with its time zone.")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        if to <= now:
            raise CallbackInputError("to", "Pick a time in the future to call back.")
        if not context.clock.is_open(to):
            local = to.astimezone(context.clock.zone)
            raise CallbackInputError(
                "to",
                f"The branch is closed at {local:%H:%M} on {local:%A %d %b}; "
                "pick a time within opening hours.",
            )
        request = _request(session, callback_id)
        before, after = _move(request, Action.RESCHEDULE, context.config.settings)
        request.due_at = to
        request.not_before = to
        _Log(session, request, actor).add(
            "rescheduled",
            now,
            from_status=before,
            to_status=after,
            note=text,
            due_at=to.isoformat(),
        )
        return _finish(uow, context, request, "reschedule", {"to": to.isoformat()})


def cancel(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, reason: str, now: datetime
) -> CallbackRow:
    """Cancel an open request; the reason is required and kept as its outcome."""
    require_role(actor.role, Role.FRONT_DESK, "Cancelling a callback")
    text = _note(reason, "reason")
    if not text:
        raise CallbackInputError("reason", "Say why the callback is cancelled.")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        before, after = _move(request, Action.CANCEL, context.config.settings)
        request.outcome = text
        request.closed_at = now
        request.not_before = None
        _Log(session, request, actor).add(
            "cancelled", now, from_status=before, to_status=after, note=text
        )
        return _finish(uow, context, request, "cancel")


def add_note(
    db: Database, actor: CurrentUser, callback_id: uuid.UUID, *, note: str, now: datetime
) -> CallbackRow:
    """Add a note to a request's log (open or closed)."""
    require_role(actor.role, Role.FRONT_DESK, "Adding a note")
    text = _note(note, "note")
    if not text:
        raise CallbackInputError("note", "Type the note first.")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        context = _context(session)
        request = _request(session, callback_id)
        _Log(session, request, actor).add("note", now, note=text)
        return _finish(uow, context, request, "note")


def _note(text: str, field_name: str) -> str:
    try:
        return validate_note(text, field_name)
    except CallbackDetailsError as exc:
        raise CallbackInputError(exc.field, f"{exc}.") from exc
