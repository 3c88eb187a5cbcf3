"""Campaigns (issue #16): create from a spec, launch, pause, list, and their results.

1. A campaign is created as a draft from a spec (CampaignSpec: unknown keys and wrong
   types refused by name). Its variants name templates of one channel; the channel is
   theirs. Money is in rupees in the spec, paise in the database.
2. Launching makes one execution per reachable recipient (services.campaigns.audiences),
   step 1, the campaign's channel (unique: launching twice adds nobody twice). Each
   recipient's arm comes from domain.ab_test (deterministic; the hold-out group gets an
   execution marked `skipped`, variant "holdout", so the lift can be measured). The text is
   rendered then, for that patient (domain.message_render), with DLT ids and the WhatsApp
   template in the payload the sender needs. Personal codes: each recipient gets a
   single-use code of the linked promotion. Due at the schedule's time (now by default).
   A trigger's message (services.campaigns.triggers) is queued the same way, as its step.
3. The budget: a launch whose messages (cost per message of the channel x recipients)
   would take the campaign's committed spend (every message queued, held, sending or of
   unknown fate at its channel's cost, plus what the sent ones cost) over the budget is
   refused, saying how many the budget pays for; nothing is queued. A campaign without a
   budget (0) has no limit. A trigger (its steps) is held to the same budget message by
   message (budget_allows): it never queues a message whose cost would take the committed
   spend over the budget;
   the ones it cannot afford are not queued, and how many is recorded (an audit entry
   "campaign.trigger_budget_stopped") and shown in the results (Results.budget_stopped).
4. Pausing stops the sender from taking its queued messages (they wait); launching again
   resumes. A campaign whose messages have all ended is completed by `results`.
5. Results: per variant and per channel, messages made, sent, delivered, failed, replied,
   opted out (each message counts: rates of delivery and failure are per message);
   recipients = the patients given a message of the arm, each once however many messages
   (a launch and a trigger) they had; conversions = recipients (the hold-out included)
   with an invoice within the attribution window after their first message in that arm
   (the hold-out: after the launch), or who used their personal code; revenue = those
   invoices' totals; cost = the messages' cost; ROI = (revenue - cost) / cost. The A/B
   decision is domain.ab_test's on conversions of recipients, per recipient.
6. That ROI is attributed: it counts invoices that would have come anyway. With a hold-out
   group, the lift (domain.campaign_lift) compares every recipient given a template (intent
   to treat: a failed message included) with the hold-out, both over the attribution
   window from when the campaign went out (its launch, or its scheduled time if later),
   and gives the incremental conversions, revenue and ROI, or "no measurable lift".
7. Performance over time: per day of the branch, from the campaign's first event to its
   last, the messages sent, delivered and failed and the recipients converted (on the day
   of their first attributed invoice), the hold-out left out; each adds up to the total.
8. The head office's campaigns (issue #15): with a centre, a campaign made at the head
   office reaches every branch at its next sync with its triggers (services.sync_pull),
   read-only there (its triggers too: HeadOfficeCampaign). Each branch launches and pauses
   it for its own patients, and its budget is each branch's (the committed spend is this
   branch's messages); its messages and codes are this branch's. A pull keeps this
   branch's status and launch time. What the branch pushes is its run of the campaign: a
   campaign document of its own id (run_id), naming the head office's campaign, so that
   every branch's run is one more row of the head office's view (db.central_campaigns).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    AuditLog,
    Branch,
    Campaign,
    CampaignExecution,
    InvoiceHeader,
    MessageTemplate,
    Patient,
    PromoCode,
    PromotionCampaign,
    PromotionUsageLog,
)
from domain import ab_test, campaign_lift
from domain.errors import BadInput, Refused
from domain.message_render import render
from domain.money import format_rupees, rupees_to_paise
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.campaigns import audiences, specs, templates
from services.errors import NotFound
from services.uow import UnitOfWork

STATUSES = ("draft", "scheduled", "running", "paused", "completed")
# The statuses of a message that left (results count them as sent).
SENT = ("sent", "delivered", "replied", "opted_out", "converted")
# Messages not yet sent (or perhaps sent: "unknown") whose cost is committed (rule 3).
COMMITTED = ("queued", "held", "sending", "unknown")
BUDGET_STOPPED = "campaign.trigger_budget_stopped"
ENDED = ("sent", "delivered", "failed", "replied", "opted_out", "converted", "unknown", "skipped")


class VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    template: str = Field(min_length=1, max_length=120)
    share: int = Field(default=1, ge=1, le=100)
    # Templates on further channels, in order: a recipient the first channel cannot reach
    # gets the first of these whose channel can (rule 2).
    fallbacks: list[str] = Field(default_factory=list, max_length=3)


class CampaignSpec(BaseModel):
    """A campaign as JSON (rule 1)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=120)
    objective: str = Field(default="", max_length=200)
    variants: dict[str, VariantSpec] = Field(min_length=1, max_length=2)
    holdout_percent: int = Field(default=0, ge=0, le=50)
    minimum_per_arm: int = Field(default=100, ge=1, le=1_000_000)
    audience: audiences.AudienceSpec = Field(default_factory=audiences.AudienceSpec)
    send_at: datetime | None = None
    budget: str = Field(default="0", max_length=20)
    cost_per_message: str | dict[str, str] = Field(default="0")
    promotion_code: str | None = Field(default=None, max_length=40)
    personal_codes: bool = False
    attribution_days: int = Field(default=30, ge=1, le=365)


def parse_spec(data: Any) -> CampaignSpec:
    """A campaign spec from JSON data; a refusal names the key."""
    return specs.parse(CampaignSpec, data, "a campaign spec")


@dataclass(frozen=True)
class CampaignRow:
    """A campaign at a glance: `recipients` are the patients it made a message for, each
    once however many it made them (a launch's and a trigger's; the hold-out group
    included), 0 for a draft; `sent` and `conversions` as its results count them, the
    hold-out's conversions left out."""

    id: uuid.UUID
    name: str
    status: str
    channel: str
    queued: int
    sent: int
    conversions: int
    recipients: int = 0
    # Received from the centre: the head office's, run here for this branch (rule 8).
    head_office: bool = False


def _campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise NotFound("That campaign is not on record.")
    return row


class HeadOfficeCampaign(Refused):
    """A change, at a branch, of a campaign the head office made for every branch."""


def refuse_head_office(campaign: Campaign, what: str) -> None:
    """Rule 8: the head office's campaign is changed on the centre only."""
    if campaign.branch_id is None:
        raise HeadOfficeCampaign(
            f"Head office manages the campaign {campaign.name} for every branch: {what} on the "
            "centre; this branch receives the change at its next sync (it launches and pauses "
            "the campaign for its own patients)."
        )


def run_branch(session: Session, campaign: Campaign) -> uuid.UUID:
    """The branch whose messages these are: the campaign's, or this branch for the head
    office's campaign (rule 8)."""
    return campaign.branch_id or this_branch_id(session)


def run_id(campaign_id: uuid.UUID, branch_id: uuid.UUID) -> uuid.UUID:
    """The id of a branch's run of the head office's campaign on the centre (rule 8): the
    same at every push of that branch, another at each branch."""
    return uuid.uuid5(campaign_id, str(branch_id))


def outbox_campaign(uow: UnitOfWork, campaign: Campaign) -> None:
    """The campaign's document for the centre; for the head office's campaign this
    branch's run of it (rule 8)."""
    document = documents.campaign_json(campaign)
    if campaign.branch_id is None:
        branch = this_branch_id(uow.session)
        document |= {"branch_id": str(branch), "head_office_campaign_id": str(campaign.id)}
        uow.outbox(documents.CAMPAIGN, run_id(campaign.id, branch), document)
    else:
        uow.outbox(documents.CAMPAIGN, campaign.id, document)


def find_campaign(db: Database, text: str) -> uuid.UUID:
    """A campaign by its id (or the start of it) or its exact name."""
    with db.session(write=False) as session:
        rows = session.execute(select(Campaign.id, Campaign.name)).all()
    wanted = text.strip().lower()
    found = [i for i, name in rows if name.lower() == wanted or str(i).startswith(wanted)]
    if len(found) != 1:
        raise NotFound(f"No single campaign is named or numbered {text!r}.")
    return found[0]


def create_campaign(
    db: Database, actor: CurrentUser, spec: CampaignSpec, *, now: datetime
) -> uuid.UUID:
    """A draft campaign from `spec` (manager; rule 1)."""
    require(actor.role, "campaign.manage")
    with UnitOfWork(db, actor, now) as uow:
        campaign_id = write_campaign(uow, db, actor, spec, now=now)
        uow.commit()
        return campaign_id


def write_campaign(
    uow: UnitOfWork,
    db: Database,
    actor: CurrentUser,
    spec: CampaignSpec,
    *,
    now: datetime,
    audit: dict[str, Any] | None = None,
) -> uuid.UUID:
    """Rule 1 inside `uow` (not committed): the draft, its outbox row and its audit entry
    (with `audit` added to its details)."""
    budget = rupees_to_paise(spec.budget)
    if budget < 0:
        raise BadInput("budget cannot be below 0.")
    if spec.send_at is not None and spec.send_at.tzinfo is None:
        raise BadInput("send_at: give the time with its offset, like 2026-12-05T10:30+05:30.")
    session = uow.session
    variants: dict[str, Any] = {}
    orders: set[tuple[str, ...]] = set()
    purposes: set[str] = set()
    for name, variant in spec.variants.items():
        if name == ab_test.HOLDOUT:
            raise BadInput("variants: 'holdout' is the group that gets nothing; rename it.")
        chosen = [
            templates.get_template(session, templates.find_template(db, text))
            for text in (variant.template, *variant.fallbacks)
        ]
        order = tuple(t.channel for t in chosen)
        if len(set(order)) != len(order):
            raise BadInput(f"variants.{name}.fallbacks: one template a channel.")
        orders.add(order)
        purposes.update(t.purpose for t in chosen)
        variants[name] = {
            "template_id": str(chosen[0].id),
            "share": variant.share,
            "templates": {t.channel: str(t.id) for t in chosen},
        }
    if len(orders) != 1:
        raise BadInput(
            "variants: every variant's templates must be for the same channels, in the same order."
        )
    if len(purposes) != 1:
        raise BadInput("variants: every template must be promotional, or every one service.")
    order = orders.pop()
    costs = _costs(spec.cost_per_message, order)
    promotion_id, code_id = _promotion(session, spec.promotion_code)
    if spec.personal_codes and promotion_id is None:
        raise BadInput("personal_codes: link a promotion (promotion_code) to make codes from.")
    row = Campaign(
        id=uuid.uuid4(),
        branch_id=this_branch_id(session),
        name=" ".join(spec.name.split()),
        objective=spec.objective,
        channels=list(order),
        audience=spec.audience.model_dump(mode="json", exclude_none=True),
        variants={
            "arms": variants,
            "holdout_percent": spec.holdout_percent,
            "minimum_per_arm": spec.minimum_per_arm,
        },
        schedule={"at": None if spec.send_at is None else spec.send_at.isoformat()},
        budget_paise=budget,
        cost_per_message=costs,
        promotion_id=promotion_id,
        promo_code_id=code_id,
        personal_codes=spec.personal_codes,
        attribution_days=spec.attribution_days,
        status="draft",
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    outbox_campaign(uow, row)
    uow.audit("campaign.create", "campaign", row.id, {"name": row.name} | (audit or {}))
    return row.id


def _costs(given: str | dict[str, str], channels: tuple[str, ...]) -> dict[str, int]:
    """The cost of a message on each channel, in paise: one figure for all, or by channel."""
    if isinstance(given, str):
        given = dict.fromkeys(channels, given)
    unknown = sorted(set(given) - set(channels))
    if unknown:
        raise BadInput(f"cost_per_message: the campaign does not send on {', '.join(unknown)}.")
    costs = {channel: rupees_to_paise(given.get(channel, "0")) for channel in channels}
    if any(cost < 0 for cost in costs.values()):
        raise BadInput("cost_per_message cannot be below 0.")
    return costs


def _promotion(session: Session, code: str | None) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The promotion (by its campaign code) or promo code a campaign measures."""
    if not code:
        return None, None
    wanted = code.strip().upper()
    promo = session.scalar(select(PromoCode).where(func.upper(PromoCode.code) == wanted))
    if promo is not None:
        return promo.promotion_id, promo.id
    promotion = session.scalar(
        select(PromotionCampaign).where(func.upper(PromotionCampaign.campaign_code) == wanted)
    )
    if promotion is None:
        raise BadInput(f"promotion_code: no promotion or promo code is {code!r}.")
    return promotion.id, None


def _templates_by_channel(campaign: Campaign) -> dict[str, dict[str, uuid.UUID]]:
    """Each variant's template on each of the campaign's channels (one channel before
    fallbacks were possible: its only template)."""
    found = {}
    for name, arm in campaign.variants["arms"].items():
        on = arm.get("templates") or {campaign.channels[0]: arm["template_id"]}
        found[name] = {channel: uuid.UUID(str(on[channel])) for channel in on}
    return found


def _arms(campaign: Campaign) -> tuple[list[tuple[str, int]], int, int, dict[str, uuid.UUID]]:
    data = campaign.variants
    arms = data["arms"]
    shares = [(name, int(arm["share"])) for name, arm in arms.items()]
    ids = {name: uuid.UUID(arm["template_id"]) for name, arm in arms.items()}
    return shares, int(data.get("holdout_percent", 0)), int(data.get("minimum_per_arm", 1)), ids


def audience_of(
    db: Database, actor: CurrentUser, campaign_id: uuid.UUID, *, today: date, now: datetime
) -> audiences.AudienceCount:
    """The live count of a campaign's audience on its channel (manager)."""
    require(actor.role, "campaign.manage")
    with db.session(write=False) as session:
        campaign = _campaign(session, campaign_id)
        spec = audiences.parse_audience(campaign.audience)
        _shares, _holdout, _minimum, ids = _arms(campaign)
        purpose = templates.get_template(session, next(iter(ids.values()))).purpose
        channels = list(campaign.channels)
    return audiences.count_channels(
        db, actor, spec, channels, purpose=purpose, today=today, now=now
    )


@dataclass(frozen=True)
class Launch:
    campaign_id: uuid.UUID
    queued: int
    held_out: int
    already: int
    cost: int


def _personal_code(prefix: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"{prefix}-{''.join(secrets.choice(alphabet) for _ in range(6))}"


def _payload(template: MessageTemplate) -> dict[str, Any]:
    payload: dict[str, Any] = {"template_id": str(template.id), "purpose": template.purpose}
    if template.channel == "sms":
        payload |= {
            "sms_header": template.sms_header,
            "sms_dlt_template_id": template.sms_dlt_template_id,
            "sms_principal_entity_id": template.sms_principal_entity_id,
            "sms_registered_text": template.sms_registered_text,
        }
    if template.channel == "whatsapp":
        payload |= {
            "whatsapp_template_name": template.whatsapp_template_name,
            "whatsapp_language": template.whatsapp_language or "en",
        }
    return payload


def launch_campaign(
    db: Database, actor: CurrentUser, campaign_id: uuid.UUID, *, today: date, now: datetime
) -> Launch:
    """Queue the campaign's messages (manager; rules 2 and 3), or resume a paused one."""
    require(actor.role, "campaign.manage")
    with db.session(write=False) as session:
        campaign = _campaign(session, campaign_id)
        if campaign.status == "completed":
            raise Refused("That campaign is completed; copy it to send again.")
        spec = audiences.parse_audience(campaign.audience)
        _shares, _holdout, _minimum, ids = _arms(campaign)
        purpose = templates.get_template(session, next(iter(ids.values()))).purpose
        channels = list(campaign.channels)
    recipients = audiences.reachable_by_channel(
        db, actor, spec, channels, purpose=purpose, today=today, now=now
    )
    with UnitOfWork(db, actor, now) as uow:
        result = _queue(uow, campaign_id, recipients, today=today, now=now)
        uow.commit()
        return result


def _queue(
    uow: UnitOfWork,
    campaign_id: uuid.UUID,
    recipients: list[tuple[uuid.UUID, str]],
    *,
    today: date,
    now: datetime,
) -> Launch:
    session = uow.session
    campaign = _campaign(session, campaign_id)
    already = set(
        session.scalars(
            select(CampaignExecution.patient_id).where(CampaignExecution.campaign_id == campaign.id)
        )
    )
    channel_of = {p: channel for p, channel in recipients if p not in already}
    new = list(channel_of)
    arms = arms_of(campaign, new)
    sending = [p for p in new if arms[p] != ab_test.HOLDOUT]
    costs = {c: int(cost) for c, cost in (campaign.cost_per_message or {}).items()}
    cost = sum(costs.get(channel_of[p], 0) for p in sending)
    # What is queued and not sent yet counts too (committed_spend): a second launch (new
    # patients in the audience) while the first's messages wait cannot overspend.
    spent = committed_spend(session, campaign)
    if campaign.budget_paise and cost + spent > campaign.budget_paise:
        left = max(0, campaign.budget_paise - spent)
        each = {costs.get(channel_of[p], 0) for p in sending}
        if len(each) == 1:
            cost_each = each.pop()
            affordable = left // cost_each if cost_each else 0
            costing = f"at {format_rupees(cost_each)}"
        else:
            affordable, costing = 0, f"costing {format_rupees(cost)} in all"
            for price in sorted(costs.get(channel_of[p], 0) for p in sending):
                if price > left:
                    break
                left, affordable = left - price, affordable + 1
        raise Refused(
            f"{len(sending):,} messages {costing} cost more than the "
            f"budget of {format_rupees(campaign.budget_paise)}; it pays for {affordable:,}. "
            "Raise the budget or narrow the audience; nothing was queued."
        )
    due = now
    if campaign.schedule.get("at"):
        due = max(now, datetime.fromisoformat(campaign.schedule["at"]))
    queued, held, codes = queue_messages(
        session, campaign, channel_of, step=1, due=due, today=today, now=now
    )
    campaign.status = "scheduled" if due > now else "running"
    campaign.launched_at = campaign.launched_at or now
    campaign.updated_at = now
    session.flush()
    outbox_campaign(uow, campaign)
    uow.audit(
        "campaign.launch",
        "campaign",
        campaign.id,
        {"queued": queued, "held_out": held, "personal_codes": codes},
    )
    return Launch(campaign.id, queued, held, len(recipients) - len(new), cost)


def committed_spend(session: Session, campaign: Campaign) -> int:
    """Rule 3: what the campaign's messages cost or will cost (paise): the sent at what they
    cost, the queued, held, sending and unknown at their channel's cost per message."""
    e = CampaignExecution
    costs = {c: int(cost) for c, cost in (campaign.cost_per_message or {}).items()}
    spent = 0
    for channel, status, n, cost in session.execute(
        select(e.channel, e.status, func.count(), func.coalesce(func.sum(e.cost_paise), 0))
        .where(e.campaign_id == campaign.id)
        .group_by(e.channel, e.status)
    ):
        if status in SENT:
            spent += int(cost)
        elif status in COMMITTED:
            spent += n * costs.get(channel, 0)
    return spent


def budget_allows(
    session: Session,
    campaign: Campaign,
    channel_of: dict[uuid.UUID, str],
    *,
    in_arms: bool = True,
) -> tuple[dict[uuid.UUID, str], int]:
    """Rule 3 for a trigger: the patients of `channel_of` whose message the budget still
    pays for, in order (the hold-out costs nothing when `in_arms`), and how many it stopped. Each message
    is taken while the committed spend plus its cost stays within the budget; a campaign
    without a budget keeps everyone."""
    if not campaign.budget_paise:
        return channel_of, 0
    costs = {c: int(cost) for c, cost in (campaign.cost_per_message or {}).items()}
    arms = arms_of(campaign, list(channel_of)) if in_arms else {}
    left = campaign.budget_paise - committed_spend(session, campaign)
    kept: dict[uuid.UUID, str] = {}
    for patient_id, channel in channel_of.items():
        price = 0 if arms.get(patient_id) == ab_test.HOLDOUT else costs.get(channel, 0)
        if price <= left:
            kept[patient_id] = channel
            left -= price
    return kept, len(channel_of) - len(kept)


def arms_of(campaign: Campaign, patients: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each patient's arm of the campaign's A/B split (rule 2: deterministic, the hold-out
    included)."""
    shares, holdout, _minimum, _template_ids = _arms(campaign)
    return {p: ab_test.arm(ab_test.bucket(campaign.id, p), shares, holdout) for p in patients}


def queue_messages(
    session: Session,
    campaign: Campaign,
    channel_of: dict[uuid.UUID, str],
    *,
    step: int,
    due: datetime,
    today: date,
    now: datetime,
) -> tuple[int, int, int]:
    """Rule 2's executions of `step` in `session` (not committed): each patient in
    `channel_of` on the channel given (the first that reaches them), in their arm, with
    their arm's template for that channel; the hold-out's marked skipped. A launch (step 1)
    and a trigger (its step) both queue this way. Returns the messages queued, the hold-out
    left out and the personal codes made."""
    chosen = {
        name: {channel: templates.get_template(session, tid) for channel, tid in on.items()}
        for name, on in _templates_by_channel(campaign).items()
    }
    new = list(channel_of)
    arms = arms_of(campaign, new)
    promotion_code = ""
    if campaign.promo_code_id is not None:
        promotion_code = session.get_one(PromoCode, campaign.promo_code_id).code
    elif campaign.promotion_id is not None:
        promotion_code = session.get_one(PromotionCampaign, campaign.promotion_id).campaign_code
    rows: list[dict[str, Any]] = []
    codes: list[PromoCode] = []
    patients = (
        {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(new)))}
        if new
        else {}
    )
    prefix = "".join(ch for ch in campaign.name.upper() if ch.isalnum())[:6] or "CODE"
    branch_id = run_branch(session, campaign)
    tags = templates.TagValues(session, new, today)
    for patient_id in new:
        patient = patients[patient_id]
        name = arms[patient_id]
        channel = channel_of[patient_id]
        template = (chosen.get(name) or next(iter(chosen.values())))[channel]
        code = promotion_code
        if campaign.personal_codes and name != ab_test.HOLDOUT and campaign.promotion_id:
            code = _personal_code(prefix)
            codes.append(
                PromoCode(
                    id=uuid.uuid4(),
                    code=code,
                    promotion_id=campaign.promotion_id,
                    max_uses=1,
                    max_uses_per_patient=1,
                    current_uses=0,
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
            )
        values = tags.of(patient, code)
        holdout = name == ab_test.HOLDOUT
        rows.append(
            {
                "id": uuid.uuid4(),
                "branch_id": branch_id,
                "campaign_id": campaign.id,
                "patient_id": patient_id,
                "step": step,
                "channel": channel,
                "variant": name,
                "recipient": (patient.email if channel == "email" else patient.mobile) or "",
                "rendered_subject": None
                if template.subject is None
                else render(template.subject, values),
                "rendered_text": render(template.body, values),
                "payload": _payload(template)
                | (
                    {"whatsapp_components": templates.whatsapp_components(template, values)}
                    if template.channel == "whatsapp"
                    else {}
                ),
                "personal_code": code if campaign.personal_codes and not holdout else None,
                "status": "skipped" if holdout else "queued",
                "attempts": 0,
                "next_attempt_at": due,
                "error": "hold-out group: gets nothing" if holdout else None,
                "cost_paise": 0,
                "queued_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(rows), 2_000):
        session.execute(insert(CampaignExecution), rows[start : start + 2_000])
    session.add_all(codes)
    held = sum(1 for p in new if arms[p] == ab_test.HOLDOUT)
    return len(new) - held, held, len(codes)


def pause_campaign(
    db: Database, actor: CurrentUser, campaign_id: uuid.UUID, *, now: datetime
) -> None:
    """Stop the sender taking the campaign's queued messages (manager; rule 4)."""
    require(actor.role, "campaign.manage")
    with UnitOfWork(db, actor, now) as uow:
        campaign = _campaign(uow.session, campaign_id)
        if campaign.status not in ("running", "scheduled"):
            raise Refused(
                f"Only a running or scheduled campaign pauses; this one is {campaign.status}."
            )
        campaign.status = "paused"
        campaign.updated_at = now
        uow.session.flush()
        outbox_campaign(uow, campaign)
        uow.audit("campaign.pause", "campaign", campaign.id, {})
        uow.commit()


def list_campaigns(db: Database, actor: CurrentUser) -> list[CampaignRow]:
    """Every campaign with its counts at a glance, newest first (manager): sent and
    conversions counted as its results count them (rule 5), the hold-out left out."""
    require(actor.role, "campaign.manage")
    e = CampaignExecution
    with db.session(write=False) as session:
        counts: dict[tuple[uuid.UUID, str], int] = {}
        for cid, status, n in session.execute(
            select(e.campaign_id, e.status, func.count()).group_by(e.campaign_id, e.status)
        ):
            counts[(cid, status)] = n
        patients: dict[uuid.UUID, int] = dict(
            session.execute(
                select(e.campaign_id, func.count(func.distinct(e.patient_id))).group_by(
                    e.campaign_id
                )
            ).all()
        )
        rows = list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))
        return [
            CampaignRow(
                c.id,
                c.name,
                c.status,
                "+".join(c.channels),
                counts.get((c.id, "queued"), 0) + counts.get((c.id, "held"), 0),
                sum(counts.get((c.id, s), 0) for s in SENT),
                sum(
                    n
                    for variant, (n, _revenue) in _conversions(session, c).items()
                    if variant != ab_test.HOLDOUT
                )
                if patients.get(c.id)
                else 0,
                patients.get(c.id, 0),
                c.branch_id is None,
            )
            for c in rows
        ]


# ----------------------------------------------------------------------------- results


@dataclass
class ArmResult:
    """One variant's (or the hold-out's) figures; money in paise."""

    variant: str
    recipients: int = 0  # patients, each once (rule 5)
    messages: int = 0  # executions: a patient messaged twice counts twice
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    replied: int = 0
    opted_out: int = 0
    conversions: int = 0
    revenue: int = 0
    cost: int = 0

    def rate(self, count: int) -> float:
        """`count` as a share of the recipients (conversions)."""
        return count / self.recipients if self.recipients else 0.0

    def message_rate(self, count: int) -> float:
        """`count` as a share of the messages (delivered, failed ...)."""
        return count / self.messages if self.messages else 0.0


@dataclass
class Results:
    campaign_id: uuid.UUID
    name: str
    status: str
    channel: str
    arms: list[ArmResult]
    by_day: list[Day] = field(default_factory=list)
    decision: ab_test.Decision | None = None
    lift: campaign_lift.Lift | None = None
    # The messaged (the hold-out left out) by the channel each was sent on, in the
    # campaign's order; ArmResult.variant holds the channel.
    by_channel: list[ArmResult] = field(default_factory=list)
    # Trigger messages the budget stopped (rule 3): not queued, so in no count above.
    budget_stopped: int = 0

    @property
    def total(self) -> ArmResult:
        whole = ArmResult("all")
        for arm in self.arms:
            if arm.variant == ab_test.HOLDOUT:
                continue
            for name in ("recipients", "messages", "sent", "delivered", "failed", "replied", "opted_out",
                         "conversions", "revenue", "cost"):  # fmt: skip
                setattr(whole, name, getattr(whole, name) + getattr(arm, name))
        return whole

    @property
    def roi(self) -> float | None:
        """The attributed ROI (rule 5); `lift` has the incremental one (rule 6)."""
        total = self.total
        return None if not total.cost else (total.revenue - total.cost) / total.cost

    def lift_sentence(self) -> str:
        """The lift in words, or why there is none."""
        return campaign_lift.NO_HOLDOUT if self.lift is None else self.lift.sentence()


@dataclass(frozen=True)
class Converted:
    """A recipient who converted (rule 5): their variant, first attributed invoice's time
    and the attributed invoices' total (paise)."""

    variant: str
    first_at: datetime
    revenue: int


Recipient = tuple[uuid.UUID, str]  # a patient in an arm (variant)


def _converted(session: Session, campaign: Campaign) -> dict[Recipient, Converted]:
    """Recipients (rule 5: a patient once per arm) with an invoice within the attribution
    window after their first message in that arm (the hold-out: after the launch), or whose
    personal code an issued invoice used after that message (whoever's, however late); an
    invoice counts once for a recipient."""
    e, h = CampaignExecution, InvoiceHeader
    window = timedelta(days=campaign.attribution_days)
    starts: dict[Recipient, datetime] = {}
    for patient_id, variant, sent_at, queued_at in session.execute(
        select(e.patient_id, e.variant, e.sent_at, e.queued_at).where(
            e.campaign_id == campaign.id, e.status.notin_(("queued", "held", "failed"))
        )
    ):
        start = sent_at or campaign.launched_at or queued_at
        earlier = starts.get((patient_id, variant))
        starts[(patient_id, variant)] = start if earlier is None else min(earlier, start)
    if not starts:
        return {}
    arms_of_patient: dict[uuid.UUID, list[str]] = {}
    for patient_id, variant in starts:
        arms_of_patient.setdefault(patient_id, []).append(variant)
    first = min(starts.values())
    reached = select(e.patient_id).where(e.campaign_id == campaign.id)
    found: dict[Recipient, Converted] = {}
    counted: set[tuple[Recipient, uuid.UUID]] = set()

    def attribute(recipient: Recipient, invoice: uuid.UUID, at: datetime, total: int) -> None:
        if (recipient, invoice) in counted:
            return
        counted.add((recipient, invoice))
        was = found.get(recipient)
        found[recipient] = Converted(
            recipient[1],
            at if was is None else min(was.first_at, at),
            int(total) + (0 if was is None else was.revenue),
        )

    for invoice_id, patient_id, created_at, total in session.execute(
        select(h.id, h.patient_id, h.created_at, h.total_amount)
        .where(
            h.patient_id.in_(reached),
            h.status == "issued",
            h.is_history.is_(False),
            h.created_at >= first,
        )
        .order_by(h.created_at)
    ):
        # a patient whose messages all failed has no start: nothing to attribute
        for variant in arms_of_patient.get(patient_id, []):
            start = starts[(patient_id, variant)]
            if start <= created_at <= start + window:
                attribute((patient_id, variant), invoice_id, created_at, total)
    # A personal code used is a conversion of the recipient it was made for, exactly: on
    # whoever's invoice (a relative's, a walk-in's) and after the window too.
    u, code = PromotionUsageLog, PromoCode
    for patient_id, variant, invoice_id, created_at, total in session.execute(
        select(e.patient_id, e.variant, h.id, h.created_at, h.total_amount)
        .join(code, code.code == e.personal_code)
        .join(u, u.promo_code_id == code.id)
        .join(h, h.id == u.invoice_id)
        .where(
            e.campaign_id == campaign.id,
            e.personal_code.is_not(None),
            u.reversed_at.is_(None),
            h.status == "issued",
            h.is_history.is_(False),
        )
        .distinct()
    ):
        began = starts.get((patient_id, variant))
        if began is not None and created_at >= began:
            attribute((patient_id, variant), invoice_id, created_at, total)
    return found


def _conversions(
    session: Session, campaign: Campaign, found: dict[Recipient, Converted] | None = None
) -> dict[str, tuple[int, int]]:
    """Per variant: recipients who converted, and their attributed invoices' total (paise)."""
    sold: dict[str, tuple[int, int]] = {}
    for converted in (_converted(session, campaign) if found is None else found).values():
        count, revenue = sold.get(converted.variant, (0, 0))
        sold[converted.variant] = (count + 1, revenue + converted.revenue)
    return sold


@dataclass(frozen=True)
class Day:
    """One day of a campaign (the branch's date), the hold-out left out: messages sent
    and delivered that day, failures, and recipients whose first attributed invoice fell
    on it. Each column adds up to the campaign's total."""

    day: date
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    conversions: int = 0


def _by_day(
    session: Session, campaign: Campaign, converted: dict[Recipient, Converted]
) -> list[Day]:
    """Rule 7: the campaign's days from its first to its last event, none left out."""
    e = CampaignExecution
    zone = ZoneInfo(session.get_one(Branch, run_branch(session, campaign)).timezone)
    counts: dict[date, dict[str, int]] = {}

    def count(at: datetime | None, what: str) -> None:
        if at is not None:
            day = counts.setdefault(at.astimezone(zone).date(), {})
            day[what] = day.get(what, 0) + 1

    for status, sent_at, delivered_at, updated_at in session.execute(
        select(e.status, e.sent_at, e.delivered_at, e.updated_at).where(
            e.campaign_id == campaign.id, e.variant != ab_test.HOLDOUT
        )
    ):
        if status in SENT:
            count(sent_at, "sent")
        if status == "delivered":
            count(delivered_at or sent_at, "delivered")
        if status == "failed":
            count(sent_at or updated_at, "failed")
    for one in converted.values():
        if one.variant != ab_test.HOLDOUT:
            count(one.first_at, "conversions")
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        Day(first + timedelta(days=n), **counts.get(first + timedelta(days=n), {}))
        for n in range((last - first).days + 1)
    ]


def went_out(campaign: Campaign) -> datetime | None:
    """When the campaign went out: its launch, or its scheduled time when that is later."""
    if campaign.launched_at is None:
        return None
    at = campaign.schedule.get("at") if campaign.schedule else None
    return max(campaign.launched_at, datetime.fromisoformat(at)) if at else campaign.launched_at


def _lift(session: Session, campaign: Campaign, cost: int) -> campaign_lift.Lift | None:
    """Rule 6: every recipient given a template against the hold-out, over the same window."""
    e, h = CampaignExecution, InvoiceHeader
    start = went_out(campaign)
    if start is None:
        return None
    end = start + timedelta(days=campaign.attribution_days)
    holdout = {
        patient_id: variant == ab_test.HOLDOUT
        for patient_id, variant in session.execute(
            select(e.patient_id, e.variant).where(e.campaign_id == campaign.id)
        )
    }
    sold: dict[uuid.UUID, int] = {}
    for patient_id, total in session.execute(
        select(h.patient_id, h.total_amount).where(
            h.patient_id.in_(select(e.patient_id).where(e.campaign_id == campaign.id)),
            h.status == "issued",
            h.is_history.is_(False),
            h.created_at >= start,
            h.created_at <= end,
        )
    ):
        sold[patient_id] = sold.get(patient_id, 0) + int(total)

    def group(held: bool) -> campaign_lift.Group:
        members = [p for p, is_held in holdout.items() if is_held == held]
        return campaign_lift.Group(
            len(members),
            sum(1 for p in members if p in sold),
            sum(sold.get(p, 0) for p in members),
        )

    return campaign_lift.measure(group(False), group(True), cost)


def campaign_results(db: Database, actor: CurrentUser, campaign_id: uuid.UUID) -> Results:
    """The campaign's results (manager; rule 5)."""
    require(actor.role, "campaign.manage")
    e = CampaignExecution
    with db.session(write=False) as session:
        campaign = _campaign(session, campaign_id)
        converted = _converted(session, campaign)
        sold = _conversions(session, campaign, converted)
        statuses = session.execute(
            select(
                e.variant,
                e.channel,
                e.status,
                func.count(),
                func.coalesce(func.sum(e.cost_paise), 0),
            )
            .where(e.campaign_id == campaign.id)
            .group_by(e.variant, e.channel, e.status)
        ).all()
        by_day = _by_day(session, campaign, converted)
        arms: dict[str, ArmResult] = {}
        channels: dict[str, ArmResult] = {c: ArmResult(c) for c in campaign.channels}
        for variant, channel, status, n, cost in statuses:
            _tally(arms.setdefault(variant, ArmResult(variant)), status, n, int(cost))
            if variant != ab_test.HOLDOUT:
                _tally(channels.setdefault(channel, ArmResult(channel)), status, n, int(cost))
        for variant, n in session.execute(
            select(e.variant, func.count(func.distinct(e.patient_id)))
            .where(e.campaign_id == campaign.id)
            .group_by(e.variant)
        ):
            arms[variant].recipients = int(n)
        for channel, n in session.execute(
            select(e.channel, func.count(func.distinct(e.patient_id)))
            .where(e.campaign_id == campaign.id, e.variant != ab_test.HOLDOUT)
            .group_by(e.channel)
        ):
            channels[channel].recipients = int(n)
        for variant, (n, revenue) in sold.items():
            if variant in arms:
                arms[variant].conversions, arms[variant].revenue = int(n), int(revenue)
        channel_of = dict(
            session.execute(
                select(e.patient_id, e.channel).where(
                    e.campaign_id == campaign.id, e.variant != ab_test.HOLDOUT
                )
            ).all()
        )
        for (patient_id, _variant), one in converted.items():
            if one.variant != ab_test.HOLDOUT and patient_id in channel_of:
                by = channels[channel_of[patient_id]]
                by.conversions, by.revenue = by.conversions + 1, by.revenue + one.revenue
        _shares, _holdout, minimum, _ids = _arms(campaign)
        decision = (
            ab_test.decide(
                {a.variant: (a.conversions, a.recipients) for a in arms.values()}, minimum
            )
            if len([a for a in arms if a != ab_test.HOLDOUT]) == 2
            else None
        )
        ordered = sorted(arms.values(), key=lambda a: (a.variant == ab_test.HOLDOUT, a.variant))
        results = Results(
            campaign.id,
            campaign.name,
            campaign.status,
            "+".join(campaign.channels),
            ordered,
            by_day,
            decision,
        )
        results.lift = _lift(session, campaign, results.total.cost)
        results.by_channel = list(channels.values())
        results.budget_stopped = _budget_stopped(session, campaign)
        return results


def _budget_stopped(session: Session, campaign: Campaign) -> int:
    """Rule 3: the trigger messages the campaign's budget stopped, as their firings
    recorded them."""
    return sum(
        int((details or {}).get("messages", 0))
        for details in session.scalars(
            select(AuditLog.details).where(
                AuditLog.action == BUDGET_STOPPED,
                AuditLog.entity_type == "campaign",
                AuditLog.entity_id == str(campaign.id),
            )
        )
    )


def _tally(arm: ArmResult, status: str, count: int, cost: int) -> None:
    """Add `count` messages of `status` costing `cost` to `arm` (its recipients are counted
    apart, rule 5)."""
    arm.messages += count
    arm.cost += cost
    if status in SENT:
        arm.sent += count
    if status in ("delivered", "failed", "replied", "opted_out"):
        setattr(arm, status, getattr(arm, status) + count)
