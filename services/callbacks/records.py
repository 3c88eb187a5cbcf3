"""The callback queue's plain data: what the desk types, what the queue shows, and the
errors its commands raise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from domain.callbacks import (
    CallbackSettings,
    Category,
    PatientValue,
    Reason,
    Score,
    Source,
    Status,
)
from domain.opening_hours import (
    BusinessClock,
    OpeningHours,
)
from services.errors import BadInput, ServiceError


class CallbackRefused(ServiceError):
    """The request cannot be changed that way; the message says what to do instead."""


class CallbackInputError(BadInput):
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
class Context:
    config: CallbackConfig
    clock: BusinessClock
    branch_id: uuid.UUID
    names: dict[uuid.UUID, str] = field(default_factory=dict)
