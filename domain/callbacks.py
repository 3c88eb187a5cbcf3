"""The callback queue's rules: priority score, category, SLA due time, order and statuses.

Everything here is pure: the caller passes the clock (`now`), the patient's history and the
branch's opening hours (domain.opening_hours.BusinessClock).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.errors import BadInput, Refused
from domain.money import group_indian
from domain.opening_hours import BusinessClock


class Reason(StrEnum):
    """Why the person wants a call."""

    APPOINTMENT = "appointment"
    BILLING_QUESTION = "billing_question"
    COMPLAINT = "complaint"
    PROMOTION_ENQUIRY = "promotion_enquiry"
    FOLLOW_UP = "follow_up"
    CAMPAIGN_RESPONSE = "campaign_response"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    Reason.APPOINTMENT: "Appointment",
    Reason.BILLING_QUESTION: "Billing question",
    Reason.COMPLAINT: "Complaint",
    Reason.PROMOTION_ENQUIRY: "Promotion enquiry",
    Reason.FOLLOW_UP: "Follow-up after treatment",
    Reason.CAMPAIGN_RESPONSE: "Campaign response",
}


class Source(StrEnum):
    """How the request reached the clinic."""

    WALK_IN = "walk_in"
    PHONE = "phone"
    CAMPAIGN_REPLY = "campaign_reply"

    @property
    def label(self) -> str:
        return {"walk_in": "Walk-in", "phone": "Phone", "campaign_reply": "Campaign reply"}[
            self.value
        ]


class Status(StrEnum):
    """Where a request stands. The last three are closed: nothing moves them again."""

    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    NO_ANSWER = "no_answer"
    RESCHEDULED = "rescheduled"
    COMPLETED = "completed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset({Status.COMPLETED, Status.UNREACHABLE, Status.CANCELLED})
OPEN_STATUSES = tuple(status for status in Status if status not in CLOSED_STATUSES)


class Category(StrEnum):
    """Priority category, from the score; each has its own SLA."""

    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return _CATEGORY_RANK[self]


_CATEGORY_RANK = {Category.URGENT: 0, Category.HIGH: 1, Category.MEDIUM: 2, Category.LOW: 3}

# The lowest score of each category (checked from the top).
CATEGORY_FLOORS: tuple[tuple[Category, int], ...] = (
    (Category.URGENT, 60),
    (Category.HIGH, 30),
    (Category.MEDIUM, 15),
    (Category.LOW, 0),
)

# ---------------------------------------------------------------------------- the score

REASON_POINTS = {
    Reason.COMPLAINT: 30,
    Reason.BILLING_QUESTION: 20,
    Reason.APPOINTMENT: 15,
    Reason.FOLLOW_UP: 15,
    Reason.PROMOTION_ENQUIRY: 10,
    Reason.CAMPAIGN_RESPONSE: 5,
}
WAITING_POINTS_PER_HOUR = 4
WAITING_POINTS_MAX = 30
MISSED_CALL_POINTS = 5
MISSED_CALLS_MAX = 15
# (spent in paise at least, points) and (visits at least, points); the best tier of each.
SPEND_TIERS = ((50_000_00, 15), (20_000_00, 10), (5_000_00, 5))
VISIT_TIERS = ((10, 5), (4, 3))


@dataclass(frozen=True)
class PatientValue:
    """What the patient's history says about them: issued invoices and what they paid."""

    visits: int = 0
    spent: int = 0  # paise


@dataclass(frozen=True)
class ScorePart:
    """One term of the score, as the UI shows it: 'complaint +30'."""

    label: str
    points: int

    def __str__(self) -> str:
        return f"{self.label} {self.points:+d}"


@dataclass(frozen=True)
class Score:
    """A request's priority: 0-100, its category and the parts that add up to it."""

    value: int
    category: Category
    parts: tuple[ScorePart, ...] = field(default=())

    def explain(self) -> str:
        """'complaint +30, waiting 3 h +12'."""
        return ", ".join(str(part) for part in self.parts if part.points)


def category_for(score: int) -> Category:
    """urgent 60-100, high 30-59, medium 15-29, low 0-14."""
    for category, floor in CATEGORY_FLOORS:
        if score >= floor:
            return category
    return Category.LOW


def _tier(value: int, tiers: tuple[tuple[int, int], ...]) -> int:
    return next((points for floor, points in tiers if value >= floor), 0)


def _visits(count: int) -> str:
    return "1 visit" if count == 1 else f"{count} visits"


def priority_score(
    reason: Reason, value: PatientValue | None, waited: timedelta, missed_calls: int
) -> Score:
    """The priority of a callback request, 0-100, with its parts.

    score = reason + patient value + waiting + missed calls, capped at 100, where

    - reason: complaint +30, billing question +20, appointment +15, follow-up after
      treatment +15, promotion enquiry +10, campaign response +5 (a complaint is the
      heaviest reason on purpose: an unhappy patient is called first);
    - patient value (registered patients only, from their issued invoices): spent
      Rs.50,000 or more +15, Rs.20,000 +10, Rs.5,000 +5; plus 10 or more visits +5,
      4 or more +3;
    - waiting: +4 per whole hour the branch has been open since the request, at most +30
      (`waited` is opening time, so a night does not count);
    - missed calls: +5 for each call that went unanswered, at most +15.

    The category follows from the score: urgent 60+, high 30+, medium 15+, low below.
    """
    return _score(reason, value, int(waited.total_seconds() // 3600), missed_calls)


@functools.lru_cache(maxsize=4096)
def _score(reason: Reason, value: PatientValue | None, hours: int, missed_calls: int) -> Score:
    """The score itself, cached: the same inputs always give the same Score."""
    parts = [ScorePart(reason.label.lower(), REASON_POINTS[reason])]
    if value is not None:
        spend = _tier(value.spent, SPEND_TIERS)
        visits = _tier(value.visits, VISIT_TIERS)
        if spend or visits:
            parts.append(
                ScorePart(
                    f"patient value (Rs.{group_indian(value.spent // 100)}, {_visits(value.visits)})",
                    spend + visits,
                )
            )
    waiting = min(hours * WAITING_POINTS_PER_HOUR, WAITING_POINTS_MAX)
    if waiting:
        parts.append(ScorePart(f"waiting {hours} h", waiting))
    if missed_calls > 0:
        noun = "missed call" if missed_calls == 1 else "missed calls"
        parts.append(
            ScorePart(
                f"{missed_calls} {noun}", min(missed_calls * MISSED_CALL_POINTS, MISSED_CALLS_MAX)
            )
        )
    total = max(0, min(100, sum(part.points for part in parts)))
    return Score(total, category_for(total), tuple(parts))


# ---------------------------------------------------------------------------- settings


DEFAULT_SLA_MINUTES = {
    Category.URGENT: 60,
    Category.HIGH: 4 * 60,
    Category.MEDIUM: 24 * 60,
    Category.LOW: 72 * 60,
}
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_MINUTES = 120


class CallbackSettingsError(BadInput):
    """Settings that cannot be saved; the message says what to fix and `field` names the
    setting ("sla_urgent".."sla_low", "max_attempts", "retry_minutes"; "" when it is none)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CallbackSettings:
    """SLA per category (minutes of opening time), attempts before a request is closed as
    unreachable, and how long (opening time) to wait before trying again after no answer."""

    sla_minutes: dict[Category, int] = field(default_factory=lambda: dict(DEFAULT_SLA_MINUTES))
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_minutes: int = DEFAULT_RETRY_MINUTES

    def sla(self, category: Category) -> timedelta:
        return timedelta(minutes=self.sla_minutes[category])


def validate_settings(settings: CallbackSettings) -> CallbackSettings:
    """SLAs of at least a minute that grow from urgent to low; 1-10 attempts; a retry delay."""
    if set(settings.sla_minutes) != set(Category):
        raise CallbackSettingsError("Give an SLA for each category: urgent, high, medium, low")
    previous = 0
    for category in Category:
        minutes = settings.sla_minutes[category]
        if minutes < 1:
            raise CallbackSettingsError(
                f"The {category.value} SLA must be at least one minute", f"sla_{category.value}"
            )
        if minutes < previous:
            raise CallbackSettingsError(
                f"The {category.value} SLA cannot be shorter than a more urgent category's",
                f"sla_{category.value}",
            )
        previous = minutes
    if not 1 <= settings.max_attempts <= 10:
        raise CallbackSettingsError("Allow between 1 and 10 call attempts", "max_attempts")
    if not 0 <= settings.retry_minutes <= 7 * 24 * 60:
        raise CallbackSettingsError(
            "The retry delay must be between 0 minutes and a week", "retry_minutes"
        )
    return settings


def sla_due(
    requested_at: datetime, category: Category, settings: CallbackSettings, clock: BusinessClock
) -> datetime:
    """When a request of `category` made at `requested_at` is due: its SLA of opening time."""
    return clock.add(requested_at, settings.sla(category))


# ---------------------------------------------------------------------------- statuses


class Action(StrEnum):
    """What a person does to a request."""

    ASSIGN = "assign"
    START = "start"
    COMPLETE = "complete"
    NO_ANSWER = "no_answer"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"

    @property
    def verb(self) -> str:
        return {
            "assign": "assigned",
            "start": "started",
            "complete": "completed",
            "no_answer": "marked as not answered",
            "reschedule": "rescheduled",
            "cancel": "cancelled",
        }[self.value]


_WAITING = frozenset({Status.NEW, Status.NO_ANSWER, Status.RESCHEDULED})
ALLOWED: dict[Action, frozenset[Status]] = {
    Action.ASSIGN: _WAITING | {Status.ASSIGNED},
    Action.START: frozenset({Status.ASSIGNED}),
    Action.COMPLETE: frozenset({Status.IN_PROGRESS}),
    Action.NO_ANSWER: frozenset({Status.IN_PROGRESS}),
    Action.RESCHEDULE: _WAITING | {Status.ASSIGNED, Status.IN_PROGRESS},
    Action.CANCEL: _WAITING | {Status.ASSIGNED, Status.IN_PROGRESS},
}


class TransitionRefused(Refused, ValueError):
    """The action does not apply to a request in its status; the message says what to do."""


def _refusal(status: Status, action: Action) -> str:
    if status in CLOSED_STATUSES:
        return (
            f"This callback is already {status.label.lower()}, so it cannot be "
            f"{action.verb}. Add a new request if the person needs another call."
        )
    if status is Status.IN_PROGRESS and action in (Action.START, Action.ASSIGN):
        return "This call is already in progress; record how it went (done, no answer) first."
    if action is Action.START:
        return "Assign this callback to someone before starting the call."
    if action in (Action.COMPLETE, Action.NO_ANSWER):
        return (
            f"This callback is {status.label.lower()}, not in progress: start the call "
            "before recording how it went."
        )
    return f"A callback that is {status.label.lower()} cannot be {action.verb}."


def next_status(status: Status, action: Action, *, attempts: int, max_attempts: int) -> Status:
    """The status after `action`, or TransitionRefused with what to do instead.

    `attempts` counts unanswered calls before this one; the unanswered call that reaches
    `max_attempts` closes the request as unreachable.
    """
    if status not in ALLOWED[action]:
        raise TransitionRefused(_refusal(status, action))
    return {
        Action.ASSIGN: Status.ASSIGNED,
        Action.START: Status.IN_PROGRESS,
        Action.COMPLETE: Status.COMPLETED,
        Action.NO_ANSWER: (
            Status.UNREACHABLE if attempts + 1 >= max_attempts else Status.NO_ANSWER
        ),
        Action.RESCHEDULE: Status.RESCHEDULED,
        Action.CANCEL: Status.CANCELLED,
    }[action]


# ---------------------------------------------------------------------------- the queue


def queue_key(
    category: Category, due_at: datetime, requested_at: datetime, request_id: str
) -> tuple[bool, datetime, datetime, str]:
    """Sort key of the queue: urgent first, then by due time, then by the original request
    time (so nobody loses their place because someone else was added), then by id."""
    return (category is not Category.URGENT, due_at, requested_at, request_id)


# ---------------------------------------------------------------------------- new requests


class CallbackDetailsError(BadInput):
    """A request that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


MAX_NOTE_LENGTH = 2000


def validate_window(
    preferred_from: datetime | None, preferred_to: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """A preferred time window: either end may be open, but it must not end before it starts."""
    if preferred_from and preferred_to and preferred_to <= preferred_from:
        raise CallbackDetailsError(
            "preferred_to", "The preferred time window must end after it starts"
        )
    return preferred_from, preferred_to


def validate_note(text: str, field: str = "notes") -> str:
    """Notes are trimmed and at most 2,000 characters."""
    note = text.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise CallbackDetailsError(field, f"Keep the note under {MAX_NOTE_LENGTH} characters")
    return note


def initial_due(
    requested_at: datetime,
    category: Category,
    settings: CallbackSettings,
    clock: BusinessClock,
    preferred_from: datetime | None = None,
) -> datetime:
    """The SLA due time, or the start of the preferred window when the person asked for later."""
    due = sla_due(requested_at, category, settings, clock)
    return max(due, preferred_from) if preferred_from else due
