"""The callback queue: adding requests, ordering them, and recording every call (seed 004).

Every write is one transaction that updates the request, adds its activity-log entry (or
entries), an audit entry and an outbox row carrying the whole request with its log. The
rules (score, SLA, order, statuses) are in domain.callbacks; opening hours and SLAs are
branch settings kept in app_settings.

The package splits by concern: `records` (plain data and errors), `settings` (SLAs and
opening hours), `reading` (the queue read and scored), `log` (the activity log and the document)
and `commands` (every change). Import from here.
"""

from services.callbacks.commands import (
    add_callback,
    add_note,
    assign,
    call_next,
    cancel,
    complete,
    no_answer,
    reschedule,
    start_call,
    take_call,
)
from services.callbacks.reading import get_callback, overdue_count, queue, resolve_id
from services.callbacks.records import (
    ActivityEntry,
    CallbackConfig,
    CallbackDetail,
    CallbackInputError,
    CallbackRefused,
    CallbackRow,
    NewCallback,
    QueueSnapshot,
)
from services.callbacks.settings import (
    CALLBACK_SETTINGS_KEY,
    OPENING_HOURS_KEY,
    get_config,
    update_config,
)

__all__ = [
    "CALLBACK_SETTINGS_KEY",
    "OPENING_HOURS_KEY",
    "ActivityEntry",
    "CallbackConfig",
    "CallbackDetail",
    "CallbackInputError",
    "CallbackRefused",
    "CallbackRow",
    "NewCallback",
    "QueueSnapshot",
    "add_callback",
    "add_note",
    "assign",
    "call_next",
    "cancel",
    "complete",
    "get_callback",
    "get_config",
    "no_answer",
    "overdue_count",
    "queue",
    "reschedule",
    "resolve_id",
    "start_call",
    "take_call",
    "update_config",
]
