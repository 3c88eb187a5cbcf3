"""Campaign triggers (issue #16): an event about one patient starts a message or a callback.

1. Kinds, each checked for the instant `at` less the trigger's delay ("the moment"):
   - invoice_saved: an invoice of the patient was saved in the day before the moment;
   - no_visit_days ({"days": N}): the patient's last visit was exactly N days before the
     moment's day (so each lapse is caught once, on its day);
   - birthday: the patient's birthday is the moment's day;
   - promotion_expiring ({"promotion_code": CODE, "days": N}): the promotion ends N days
     after the moment's day, and the patient used it;
   - callback_completed: a callback of the patient was completed in the day before.
2. Actions: send_template queues a message, rendered then (the send gate still decides
   when it leaves); create_callback adds a follow-up request to the callback queue. A
   trigger whose template is one of its campaign's (as the builder makes them) sends the
   campaign's message as its launch does (services.campaigns.campaigns, rule 2): each
   patient on the first of the campaign's channels, in order, that reaches them (consent,
   contact, do-not-contact, the frequency cap, as an audience is counted; nobody reached,
   nothing queued), in their arm of the A/B split (the same deterministic arm as at the
   launch; the hold-out's execution is marked skipped), with that arm's template for that
   channel. A trigger with a template of its own sends that template on its channel, to
   every patient the event happened to (variant "trigger").
3. A trigger fires at most once per patient: each trigger is a step of its campaign (2, 3,
   ... in the order they were added; the launch is step 1), and an execution is unique per
   recipient, campaign, step and channel; a patient with an execution of the step on any
   of the campaign's channels is not queued again on another. Running the triggers again
   does nothing new; a callback is recorded as an execution of the "callback" channel,
   written before the request is added (at most once: a crash between the two loses the
   request, never doubles it).
4. Only the triggers of running campaigns fire.
5. The campaign's budget holds for a trigger's messages (services.campaigns.campaigns,
   rule 3, budget_allows): a message whose cost would take the campaign's committed spend
   over its budget is not queued; how many were stopped is audited per firing
   (campaign.trigger_budget_stopped) for the results to show. A callback costs nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Branch,
    CallbackRequest,
    Campaign,
    CampaignExecution,
    CampaignTrigger,
    InvoiceHeader,
    Patient,
    PromotionCampaign,
    PromotionUsageLog,
)
from domain.callbacks import Reason, Source
from domain.errors import BadInput, FrontdeskError
from domain.message_render import render
from domain.permissions import require
from services import callbacks, documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.campaigns import audiences, campaigns, templates
from services.campaigns.campaigns import _campaign, _payload, _templates_by_channel
from services.uow import UnitOfWork

KINDS = ("invoice_saved", "no_visit_days", "birthday", "promotion_expiring", "callback_completed")
ACTIONS = ("send_template", "create_callback")
CALLBACK = "callback"


@dataclass(frozen=True)
class TriggerSpec:
    kind: str
    action: str
    template: str | None = None
    delay_minutes: int = 0
    conditions: dict[str, Any] | None = None


def _conditions(spec: TriggerSpec) -> dict[str, Any]:
    """The trigger's conditions once its spec is checked (the module's rules)."""
    if spec.kind not in KINDS:
        raise BadInput(f"kind: one of {', '.join(KINDS)}, not {spec.kind!r}.")
    if spec.action not in ACTIONS:
        raise BadInput(f"action: send_template or create_callback, not {spec.action!r}.")
    if not 0 <= spec.delay_minutes <= 60 * 24 * 365:
        raise BadInput("delay_minutes: from 0 to a year.")
    conditions = dict(spec.conditions or {})
    if spec.kind == "no_visit_days" and not isinstance(conditions.get("days"), int):
        raise BadInput("conditions.days: how many days without a visit, a whole number.")
    if spec.kind == "promotion_expiring" and not (
        isinstance(conditions.get("days"), int)
        and isinstance(conditions.get("promotion_code"), str)
    ):
        raise BadInput("conditions: promotion_code and days (before it ends) are needed.")
    if spec.action == "send_template" and not spec.template:
        raise BadInput("template: a message needs its template.")
    return conditions


def _write(
    uow: UnitOfWork, db: Database, campaign_id: uuid.UUID, spec: TriggerSpec, *, audit: bool
) -> uuid.UUID:
    conditions = _conditions(spec)
    session = uow.session
    campaign = _campaign(session, campaign_id)
    campaigns.refuse_head_office(campaign, "add its triggers")
    template_id = None
    if spec.action == "send_template" and spec.template:
        template_id = templates.find_template(db, spec.template)
    row = CampaignTrigger(
        id=uuid.uuid4(),
        branch_id=this_branch_id(session),
        campaign_id=campaign.id,
        kind=spec.kind,
        conditions=conditions,
        delay_minutes=spec.delay_minutes,
        action=spec.action,
        template_id=template_id,
        is_active=True,
    )
    session.add(row)
    session.flush()
    uow.outbox(documents.CAMPAIGN_TRIGGER, row.id, documents.campaign_trigger_json(row))
    if audit:
        uow.audit("campaign.trigger_add", "campaign", campaign.id, {"kind": spec.kind})
    return row.id


def add_trigger(
    db: Database, actor: CurrentUser, campaign_id: uuid.UUID, spec: TriggerSpec, *, now: datetime
) -> uuid.UUID:
    """Add a trigger to a campaign (manager; the module's rules)."""
    require(actor.role, "campaign.manage")
    _conditions(spec)
    with UnitOfWork(db, actor, now) as uow:
        trigger_id = _write(uow, db, campaign_id, spec, audit=True)
        uow.commit()
        return trigger_id


def create_with_trigger(
    db: Database,
    actor: CurrentUser,
    spec: campaigns.CampaignSpec,
    trigger: TriggerSpec,
    *,
    now: datetime,
) -> uuid.UUID:
    """A draft campaign and its trigger in one transaction (manager): a trigger refused
    leaves no campaign behind, so trying again does not make a second draft."""
    require(actor.role, "campaign.manage")
    _conditions(trigger)
    with UnitOfWork(db, actor, now) as uow:
        # One unit of work, one audit entry: the campaign's names its trigger.
        campaign_id = campaigns.write_campaign(
            uow, db, actor, spec, now=now, audit={"trigger": trigger.kind}
        )
        _write(uow, db, campaign_id, trigger, audit=False)
        uow.commit()
        return campaign_id


def _step(session: Session, trigger: CampaignTrigger) -> int:
    """The trigger's step in its campaign (rule 3): 2 for the first trigger added."""
    ids = session.scalars(
        select(CampaignTrigger.id)
        .where(CampaignTrigger.campaign_id == trigger.campaign_id)
        .order_by(CampaignTrigger.id)
    ).all()
    return 2 + list(ids).index(trigger.id)


def _who(
    session: Session, trigger: CampaignTrigger, moment: datetime, day: date
) -> list[uuid.UUID]:
    """The patients the trigger's event happened to (rule 1)."""
    kind, conditions = trigger.kind, trigger.conditions or {}
    issued = InvoiceHeader.status == "issued"
    if kind == "invoice_saved":
        return list(
            session.scalars(
                select(InvoiceHeader.patient_id)
                .where(issued, InvoiceHeader.is_history.is_(False))
                .where(InvoiceHeader.created_at > moment - timedelta(days=1))
                .where(InvoiceHeader.created_at <= moment)
                .distinct()
            )
        )
    if kind == "no_visit_days":
        last = func.max(InvoiceHeader.invoice_date)
        lapsed = day - timedelta(days=int(conditions["days"]))
        return list(
            session.scalars(
                select(InvoiceHeader.patient_id)
                .where(issued)
                .group_by(InvoiceHeader.patient_id)
                .having(last == lapsed)
            )
        )
    if kind == "birthday":
        return list(
            session.scalars(
                select(Patient.id).where(
                    Patient.retired_at.is_(None),
                    audiences.birthday_on(Patient.birth_date, [day]),
                )
            )
        )
    if kind == "promotion_expiring":
        ends = day + timedelta(days=int(conditions["days"]))
        promotion = session.scalar(
            select(PromotionCampaign.id).where(
                func.upper(PromotionCampaign.campaign_code)
                == str(conditions["promotion_code"]).upper(),
                PromotionCampaign.end_date == ends,
            )
        )
        if promotion is None:
            return []
        return [
            p
            for p in session.scalars(
                select(PromotionUsageLog.patient_id)
                .where(PromotionUsageLog.campaign_id == promotion)
                .distinct()
            )
            if p is not None
        ]
    done = select(CallbackRequest.patient_id).where(
        CallbackRequest.status == "completed",
        CallbackRequest.closed_at > moment - timedelta(days=1),
        CallbackRequest.closed_at <= moment,
        CallbackRequest.patient_id.is_not(None),
    )
    return [p for p in session.scalars(done.distinct()) if p is not None]


def run_due_triggers(db: Database, actor: CurrentUser, at: datetime) -> int:
    """Fire every due trigger of the running campaigns once per patient (the module's
    rules); returns how many messages were queued and callbacks added."""
    with db.session(write=False) as session:
        triggers = session.scalars(
            select(CampaignTrigger)
            .join(Campaign, Campaign.id == CampaignTrigger.campaign_id)
            .where(CampaignTrigger.is_active.is_(True), Campaign.status == "running")
        ).all()
        zone = ZoneInfo(session.get_one(Branch, this_branch_id(session)).timezone)
    fired = 0
    for trigger in triggers:
        moment = at - timedelta(minutes=trigger.delay_minutes)
        with UnitOfWork(db, actor, at) as uow:
            day = moment.astimezone(zone).date()
            queued, callback_for, stopped = _fire(uow, db, trigger, moment, day, at)
            if stopped:
                uow.audit(
                    campaigns.BUDGET_STOPPED,
                    "campaign",
                    trigger.campaign_id,
                    {"kind": trigger.kind, "messages": stopped},
                )
            if queued or callback_for:
                uow.audit(
                    "campaign.trigger_fired",
                    "campaign",
                    trigger.campaign_id,
                    {"kind": trigger.kind, "messages": queued, "callbacks": len(callback_for)},
                )
            uow.commit()
        fired += queued
        for patient_id, execution_id in callback_for:
            fired += _add_callback(db, actor, trigger, patient_id, execution_id, at)
    return fired


def _fire(
    uow: UnitOfWork,
    db: Database,
    trigger: CampaignTrigger,
    moment: datetime,
    day: date,
    at: datetime,
) -> tuple[int, list[tuple[uuid.UUID, uuid.UUID]], int]:
    """Fire `trigger` (rules 1 to 5): messages queued, callbacks to add and messages the
    budget stopped."""
    session = uow.session
    step = _step(session, trigger)
    campaign = session.get_one(Campaign, trigger.campaign_id)
    channel = CALLBACK
    template = None
    if trigger.action == "send_template" and trigger.template_id is not None:
        if _is_the_campaigns(campaign, trigger.template_id):
            queued, stopped = _fire_campaign(session, db, trigger, campaign, step, moment, day, at)
            return queued, [], stopped
        template = templates.get_template(session, trigger.template_id)
        channel = template.channel
    done = set(
        session.scalars(
            select(CampaignExecution.patient_id).where(
                CampaignExecution.campaign_id == campaign.id,
                CampaignExecution.step == step,
                CampaignExecution.channel == channel,
            )
        )
    )
    who = [p for p in dict.fromkeys(_who(session, trigger, moment, day)) if p not in done]
    if not who:
        return 0, [], 0
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_(who), Patient.is_walk_in.is_(False))
        )
    }
    stopped = 0
    if template is not None:
        affordable, stopped = campaigns.budget_allows(
            session, campaign, dict.fromkeys(patients, channel), in_arms=False
        )
        patients = {p: patients[p] for p in affordable}
    tags = templates.TagValues(session, list(patients), day)
    rows: list[dict[str, Any]] = []
    for patient in patients.values():
        if template is not None:
            values = tags.of(patient)
            text = render(template.body, values)
            subject = None if template.subject is None else render(template.subject, values)
            recipient = (patient.email if channel == "email" else patient.mobile) or ""
            payload: dict[str, Any] = _payload(template)
            if channel == "whatsapp":
                payload["whatsapp_components"] = templates.whatsapp_components(template, values)
            status = "queued"
        else:
            text, subject, recipient = f"Call back after {trigger.kind}", None, patient.mobile
            payload, status = {"trigger": trigger.kind}, "sending"
        rows.append(
            {
                "id": uuid.uuid4(),
                "branch_id": campaigns.run_branch(session, campaign),
                "campaign_id": campaign.id,
                "patient_id": patient.id,
                "step": step,
                "channel": channel,
                "variant": "trigger",
                "recipient": recipient,
                "rendered_subject": subject,
                "rendered_text": text,
                "payload": payload,
                "status": status,
                "attempts": 0,
                "next_attempt_at": at,
                "cost_paise": 0,
                "queued_at": at,
                "updated_at": at,
            }
        )
    if rows:
        session.execute(insert(CampaignExecution), rows)
    if template is not None:
        return len(rows), [], stopped
    return 0, [(row["patient_id"], row["id"]) for row in rows], 0


def _is_the_campaigns(campaign: Campaign, template_id: uuid.UUID) -> bool:
    """Whether `template_id` is one of the campaign's own templates (rule 2)."""
    return any(template_id in on.values() for on in _templates_by_channel(campaign).values())


def _fire_campaign(
    session: Session,
    db: Database,
    trigger: CampaignTrigger,
    campaign: Campaign,
    step: int,
    moment: datetime,
    day: date,
    at: datetime,
) -> tuple[int, int]:
    """Rule 2's campaign message for the patients the event happened to, not yet given
    this step on any channel (rule 3), as far as the budget pays (rule 5); returns how
    many messages were queued and how many the budget stopped."""
    done = set(
        session.scalars(
            select(CampaignExecution.patient_id).where(
                CampaignExecution.campaign_id == campaign.id, CampaignExecution.step == step
            )
        )
    )
    who = [p for p in dict.fromkeys(_who(session, trigger, moment, day)) if p not in done]
    if not who:
        return 0, 0
    first = next(iter(_templates_by_channel(campaign).values()))[campaign.channels[0]]
    purpose = templates.get_template(session, first).purpose
    channel_of = audiences.first_channels_of(
        session, db, who, list(campaign.channels), purpose=purpose, today=day, now=at
    )
    channel_of, stopped = campaigns.budget_allows(session, campaign, channel_of)
    queued, _held, _codes = campaigns.queue_messages(
        session, campaign, channel_of, step=step, due=at, today=day, now=at
    )
    return queued, stopped


def _add_callback(
    db: Database,
    actor: CurrentUser,
    trigger: CampaignTrigger,
    patient_id: uuid.UUID,
    execution_id: uuid.UUID,
    at: datetime,
) -> int:
    """The follow-up request of a create_callback trigger (rule 3: its execution first)."""
    new = callbacks.NewCallback(
        reason=Reason.FOLLOW_UP,
        source=Source.CAMPAIGN_REPLY,
        patient_id=patient_id,
        notes=f"Campaign trigger: {trigger.kind.replace('_', ' ')}",
    )
    try:
        callbacks.add_callback(db, actor, new, now=at)
        status, error = "sent", None
    except FrontdeskError as exc:
        status, error = "failed", str(exc)
    with UnitOfWork(db, actor, at) as uow:
        uow.session.execute(
            update(CampaignExecution)
            .where(CampaignExecution.id == execution_id)
            .values(status=status, error=error, sent_at=at, updated_at=at)
        )
        uow.audit("campaign.trigger_callback", "campaign", trigger.campaign_id, {"status": status})
        uow.commit()
    return 1 if status == "sent" else 0
