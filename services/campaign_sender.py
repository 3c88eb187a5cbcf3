"""Sending campaign messages that are due (issue #16): `send_due`, run by
`frontdesk campaign send-due` (a scheduled task) and by the open app's worker.

A message is sent at most once:

1. One sender per database at a time: a lock file beside it (the operating system frees
   it when the process ends, however it ends). A second sender started meanwhile does
   nothing and says so.
2. An execution found `sending` when a round starts was being sent by a sender that died
   (killed, power cut) between marking it and recording the answer. Nobody knows whether
   the provider took it, so it becomes `unknown`: shown in the campaign's results, never
   sent again by itself.
3. Each due execution passes the send gate (domain.send_gate) in its own transaction,
   which commits `sending` (or `held`, `skipped`, `failed`) BEFORE the provider is called.
4. The provider's answer is recorded in the next transaction: `sent` with its id, cost and
   time; a temporary failure goes back to `queued` with a growing delay (1, 5, 30 minutes,
   2 and 6 hours; `failed` after MAX_ATTEMPTS); a final refusal is `failed`; no answer
   after the request left is `unknown` (services.channels.base, rule 4).
5. A channel that is off leaves its messages queued, untouched, until it is switched on.
6. Hold-out executions (variant "holdout") are never sent: they measure the lift.

Only the final state of a message is audited and sent to the centre (one audit entry and
one document per message); `sending` is bookkeeping for rule 2 and stays local.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Campaign,
    CampaignExecution,
    DoNotContact,
    MessageTemplate,
    Patient,
)
from domain import log
from domain.send_gate import PROMOTIONAL, Candidate, Outcome, SendingRules, check
from services import channel_settings, consent, documents
from services.auth import CurrentUser
from services.branch import get_branch
from services.channels.base import (
    Channel,
    OutgoingMessage,
    Rejected,
    Sent,
    TryAgain,
    Uncertain,
)
from services.uow import UnitOfWork

BATCH = 500
MAX_ATTEMPTS = 6
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# Statuses of a message that reached, or may have reached, the patient (the cap counts them).
REACHED = ("sending", "sent", "delivered", "replied", "opted_out", "converted", "unknown")
HOLDOUT = "holdout"


@dataclass
class SendResult:
    """What one round did, by outcome (counts of executions)."""

    sent: int = 0
    held: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0
    unknown: int = 0
    interrupted: int = 0
    waiting: dict[str, int] = field(default_factory=dict)
    busy: bool = False
    triggered: int = 0

    def sentence(self) -> str:
        if self.busy:
            return "Another sender is running on this database; nothing was sent."
        parts = [f"Sent {self.sent} message(s)"]
        for count, words in (
            (self.held, "held for the promotional window"),
            (self.skipped, "skipped by the rules (consent, do-not-contact, the cap)"),
            (self.failed, "failed for good"),
            (self.retrying, "to be tried again"),
            (self.unknown + self.interrupted, "unknown (may have gone; not repeated)"),
        ):
            if count:
                parts.append(f"{count} {words}")
        text = "; ".join(parts) + "."
        if self.waiting:
            off = ", ".join(f"{n} by {c}" for c, n in sorted(self.waiting.items()))
            text += f" Waiting for a channel to be switched on: {off}."
        return text


ChannelOpener = Callable[[str], Channel | None]


def _lock_path(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".send.lock")


def send_due(
    db: Database,
    actor: CurrentUser,
    at: datetime,
    *,
    limit: int = BATCH,
    open_channel: ChannelOpener | None = None,
) -> SendResult:
    """Send what is due at `at` (rules 1 to 6); `open_channel` gives the channel of a
    channel's name (default: the saved settings, services.channel_settings)."""
    result = SendResult()
    lock = FileLock(_lock_path(db), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        result.busy = True
        return result
    opened: dict[str, Channel | None] = {}
    try:
        result.triggered = _run_triggers(db, actor, at)
        result.interrupted = _mark_interrupted(db, actor, at)
        settings = channel_settings.channel_settings(db)
        opener = open_channel or (lambda name: channel_settings.open_channel(db, name, settings))
        rules = channel_settings.sending_rules(db)
        zone = ZoneInfo(get_branch(db).details.timezone)
        for execution_id, channel_name in _due(db, at, limit):
            if channel_name not in opened:
                opened[channel_name] = opener(channel_name)
            channel = opened[channel_name]
            if channel is None:
                result.waiting[channel_name] = result.waiting.get(channel_name, 0) + 1
                continue
            _send_one(db, actor, at, execution_id, channel, rules, zone, result)
    finally:
        for channel in opened.values():
            if channel is not None:
                channel.close()
        lock.release()
    return result


def _run_triggers(db: Database, actor: CurrentUser, at: datetime) -> int:
    """The campaigns' triggers first, when the campaigns core provides them."""
    try:
        triggers = importlib.import_module("services.campaigns.triggers")
    except ModuleNotFoundError:
        return 0
    run = getattr(triggers, "run_due_triggers", None)
    if run is None:
        return 0
    done = run(db, actor, at)
    return done if isinstance(done, int) else 0


def _mark_interrupted(db: Database, actor: CurrentUser, at: datetime) -> int:
    """Rule 2: every execution left `sending` becomes `unknown`."""
    with UnitOfWork(db, actor, at) as uow:
        rows = uow.session.scalars(
            select(CampaignExecution).where(CampaignExecution.status == "sending")
        ).all()
        for row in rows:
            row.status = "unknown"
            row.error = (
                "The sender stopped while this message was being sent; it may have gone. "
                "It is not sent again by itself."
            )
            row.updated_at = at
            uow.outbox(documents.CAMPAIGN_EXECUTION, row.id, documents.campaign_execution_json(row))
        if rows:
            uow.audit(
                "campaign.send_interrupted",
                "campaign_execution",
                None,
                {"executions": [str(r.id) for r in rows]},
            )
            uow.commit()
        return len(rows)


def _due(db: Database, at: datetime, limit: int) -> list[tuple[uuid.UUID, str]]:
    """Executions due at `at`: queued or held, their time come, not hold-out."""
    e = CampaignExecution
    with db.session(write=False) as session:
        rows = session.execute(
            select(e.id, e.channel)
            .where(
                e.status.in_(("queued", "held")),
                or_(e.next_attempt_at.is_(None), e.next_attempt_at <= at),
                e.variant != HOLDOUT,
            )
            .order_by(e.next_attempt_at, e.queued_at, e.id)
            .limit(limit)
        ).all()
    return [(row.id, row.channel) for row in rows]


def _template(session: Session, execution: CampaignExecution) -> MessageTemplate | None:
    template_id = (execution.payload or {}).get("template_id")
    if template_id:
        return session.get(MessageTemplate, uuid.UUID(str(template_id)))
    campaign = session.get(Campaign, execution.campaign_id)
    variants = (campaign.variants or {}) if campaign is not None else {}
    chosen = variants.get(execution.variant) if isinstance(variants, dict) else None
    if isinstance(chosen, dict):
        chosen = chosen.get("template_id")
    if chosen:
        return session.get(MessageTemplate, uuid.UUID(str(chosen)))
    return None


def _purpose(execution: CampaignExecution, template: MessageTemplate | None) -> str:
    purpose = (execution.payload or {}).get("purpose")
    if purpose:
        return str(purpose)
    return template.purpose if template is not None else PROMOTIONAL


def latest_consent(
    session: Session, patient_id: uuid.UUID, channel: str, purpose: str
) -> str | None:
    """The consent action that holds for (patient, channel, purpose), or None (domain.consent
    rule 1; services.consent reads the patient form's box for promotional consent)."""
    if purpose != PROMOTIONAL:
        return consent.service_action(session, patient_id, channel)
    patient = session.get(Patient, patient_id)
    event = None if patient is None else consent.promotional_event(session, patient, channel)
    return None if event is None else event.action


def do_not_contact(session: Session, patient_id: uuid.UUID, channel: str) -> str | None:
    """The reason the channel is blocked for the patient, or None."""
    d = DoNotContact
    return session.scalar(
        select(d.reason)
        .where(d.patient_id == patient_id, d.channel == channel, d.lifted_at.is_(None))
        .order_by(d.at.desc())
        .limit(1)
    )


def _recent_promotional(
    session: Session, patient_id: uuid.UUID, since: datetime, exclude: uuid.UUID
) -> list[datetime]:
    """When promotional messages reached the patient since `since` (any channel)."""
    e = CampaignExecution
    rows = session.execute(
        select(e, e.sent_at, e.updated_at).where(
            e.patient_id == patient_id,
            e.id != exclude,
            e.status.in_(REACHED),
            or_(e.sent_at > since, and_(e.sent_at.is_(None), e.updated_at > since)),
        )
    ).all()
    times = []
    for row in rows:
        if _purpose(row[0], _template(session, row[0])) == PROMOTIONAL:
            times.append(row.sent_at or row.updated_at)
    return times


def _candidate(
    session: Session, execution: CampaignExecution, rules: SendingRules, at: datetime
) -> Candidate:
    template = _template(session, execution)
    purpose = _purpose(execution, template)
    payload = execution.payload or {}
    return Candidate(
        channel=execution.channel,
        purpose=purpose,
        consent=latest_consent(session, execution.patient_id, execution.channel, purpose),
        do_not_contact=do_not_contact(session, execution.patient_id, execution.channel),
        recent_promotional=_recent_promotional(
            session, execution.patient_id, at - timedelta(days=rules.cap_days), execution.id
        ),
        text=execution.rendered_text,
        registered_text=payload.get("sms_registered_text")
        or (template.sms_registered_text if template is not None else None),
    )


def _message(execution: CampaignExecution) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=execution.recipient,
        text=execution.rendered_text,
        subject=execution.rendered_subject,
        payload=dict(execution.payload or {}),
        reference=str(execution.id),
    )


def _finish(
    uow: UnitOfWork, execution: CampaignExecution, status: str, details: Mapping[str, Any]
) -> None:
    execution.status = status
    execution.updated_at = uow.now
    uow.outbox(
        documents.CAMPAIGN_EXECUTION, execution.id, documents.campaign_execution_json(execution)
    )
    uow.audit(
        f"campaign.message_{status}",
        "campaign_execution",
        execution.id,
        {"channel": execution.channel, **details},
    )


def _send_one(
    db: Database,
    actor: CurrentUser,
    at: datetime,
    execution_id: uuid.UUID,
    channel: Channel,
    rules: SendingRules,
    zone: ZoneInfo,
    result: SendResult,
) -> None:
    # Rule 3: the gate, and `sending` committed before the provider hears of it.
    with UnitOfWork(db, actor, at) as uow:
        execution = uow.session.get(CampaignExecution, execution_id)
        if execution is None or execution.status not in ("queued", "held"):
            return  # another round took it meanwhile
        verdict = check(_candidate(uow.session, execution, rules, at), rules, at, zone)
        if verdict.outcome is Outcome.SEND:
            message = _message(execution)
            claimed = uow.session.execute(
                update(CampaignExecution)
                .where(
                    CampaignExecution.id == execution_id,
                    CampaignExecution.status.in_(("queued", "held")),
                )
                .values(status="sending", attempts=CampaignExecution.attempts + 1, updated_at=at)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return
            cost_per_message = _cost(uow.session, execution)
            uow.commit()
        elif verdict.outcome is Outcome.HOLD:
            execution.status = "held"
            execution.next_attempt_at = verdict.until
            execution.updated_at = at
            execution.error = verdict.reason
            uow.commit()  # a wait is not a final state: neither audited nor sent to the centre
            result.held += 1
            return
        else:
            execution.error = verdict.reason
            _finish(uow, execution, verdict.outcome.value, {"reason": verdict.reason})
            uow.commit()
            if verdict.outcome is Outcome.SKIP:
                result.skipped += 1
            else:
                result.failed += 1
            return

    # Rule 4: the provider, outside any transaction, then its answer recorded.
    outcome: Sent | TryAgain | Rejected | Uncertain
    try:
        outcome = channel.send(message)
    except (TryAgain, Rejected, Uncertain) as failure:
        outcome = failure
    except Exception as exc:  # a bug in an adapter: the message may have gone
        log.campaigns.exception("sending %s failed unexpectedly", execution_id)
        outcome = Uncertain(f"The sender failed unexpectedly ({type(exc).__name__}).")
    _record(db, actor, at, execution_id, outcome, cost_per_message, result)


def _cost(session: Session, execution: CampaignExecution) -> int | None:
    campaign = session.get(Campaign, execution.campaign_id)
    costs = (getattr(campaign, "cost_per_message", None) or {}) if campaign is not None else {}
    value = costs.get(execution.channel) if isinstance(costs, dict) else None
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _record(
    db: Database,
    actor: CurrentUser,
    at: datetime,
    execution_id: uuid.UUID,
    outcome: Sent | TryAgain | Rejected | Uncertain,
    cost_per_message: int | None,
    result: SendResult,
) -> None:
    with UnitOfWork(db, actor, at) as uow:
        execution = uow.session.get_one(CampaignExecution, execution_id)
        if isinstance(outcome, Sent):
            execution.provider_id = outcome.provider_id
            execution.cost_paise = (
                outcome.cost_paise if outcome.cost_paise is not None else cost_per_message or 0
            )
            execution.sent_at = at
            execution.error = None
            _finish(uow, execution, "sent", {"provider_id": outcome.provider_id})
            result.sent += 1
        elif isinstance(outcome, TryAgain) and execution.attempts < MAX_ATTEMPTS:
            delay = BACKOFF[min(execution.attempts, len(BACKOFF)) - 1]
            execution.status = "queued"
            execution.next_attempt_at = at + delay
            execution.error = str(outcome)
            execution.updated_at = at
            result.retrying += 1
        else:
            execution.error = str(outcome)
            status = "unknown" if isinstance(outcome, Uncertain) else "failed"
            _finish(uow, execution, status, {"error": str(outcome)})
            if status == "unknown":
                result.unknown += 1
            else:
                result.failed += 1
        uow.commit()
