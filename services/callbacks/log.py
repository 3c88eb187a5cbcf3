"""A request's activity log: adding entries in order, reading them as sentences, and the
whole request as the document the centre receives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import CallbackActivity, CallbackRequest
from domain.callbacks import (
    Reason,
    Source,
    Status,
)
from services import documents
from services.auth import CurrentUser
from services.callbacks.records import ActivityEntry, Context


def activity_entries(
    session: Session, context: Context, callback_id: uuid.UUID
) -> tuple[ActivityEntry, ...]:
    activities = session.scalars(
        select(CallbackActivity).where(CallbackActivity.callback_id == callback_id)
    ).all()
    return tuple(_entry(context, activity) for activity in sorted(activities, key=log_order))


def log_order(activity: CallbackActivity) -> tuple[datetime, int]:
    return activity.at, int((activity.details or {}).get("seq", 0))


# ---------------------------------------------------------------------------- the log


def _local(context: Context, instant: datetime) -> str:
    return instant.astimezone(context.clock.zone).strftime("%a %d %b %H:%M")


def _entry(context: Context, activity: CallbackActivity) -> ActivityEntry:
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


class ActivityLog:
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


def request_document(session: Session, request: CallbackRequest) -> dict[str, Any]:
    session.flush()
    activities = session.scalars(
        select(CallbackActivity).where(CallbackActivity.callback_id == request.id)
    ).all()
    return documents.callback_request_json(request, sorted(activities, key=log_order))
