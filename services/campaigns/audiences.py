"""Audiences (issue #16): who a campaign reaches, counted live while it is built.

An audience is an RFM segment from the dashboard, a hand-picked list, or every patient,
narrowed by filters (last visit older than N days, birthday within N days, visited an item,
spent more than an amount, used a promotion, not in a given campaign: the rest of an A/B
test's audience, for its winner). For one channel and purpose, the count says
how many are left out and why, in this order (the first reason that applies):

1. no mobile (SMS, WhatsApp) or no e-mail address (e-mail);
2. do-not-contact on the channel (unsubscribed, bounced, manual);
3. no consent: for a promotional message the latest consent event for the channel must
   be a grant; a service message goes unless the latest service event is a withdrawal
   (the send gate's rule 2);
4. over the frequency cap: as many promotional messages reached them in the cap's days as
   the branch allows (the gate's rule 5). A message counts once it left or may have left
   (sent, and what became of it, sending, unknown), not only once delivered: no provider's
   receipt is awaited, so counting deliveries would let the cap be broken by every message
   whose receipt never came. A failed message never left and does not count.

The same rules are checked again by the send gate when each message leaves. Counting is
one SQL statement over the patients (a correlated look-up per patient on indexed tables),
so a change to the filters is counted at once even over 100,000 patients.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    CampaignExecution,
    CatalogItem,
    ConsentLedger,
    DoNotContact,
    InvoiceHeader,
    InvoiceLineItem,
    Patient,
    PromotionUsageLog,
)
from domain import rfm
from domain.errors import BadInput
from domain.money import rupees_to_paise
from domain.permissions import require
from services import channel_settings, dashboard
from services.auth import CurrentUser
from services.campaigns import specs

NO_CONTACT = "no mobile or e-mail"
DO_NOT_CONTACT = "do-not-contact"
NO_CONSENT = "no consent"
OVER_CAP = "over the frequency cap"
REASONS = (NO_CONTACT, DO_NOT_CONTACT, NO_CONSENT, OVER_CAP)
REACHED = ("sending", "sent", "delivered", "replied", "opted_out", "converted", "unknown")


class AudienceSpec(BaseModel):
    """Who: a segment of the dashboard's RFM (its name), a list of patients, or everyone;
    then the filters. Unknown keys and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    segment: str | None = Field(default=None, max_length=60)
    patients: list[uuid.UUID] | None = Field(default=None, max_length=100_000)
    last_visit_older_than_days: int | None = Field(default=None, ge=0, le=36_500)
    birthday_within_days: int | None = Field(default=None, ge=0, le=366)
    visited_item: str | None = Field(default=None, max_length=30)
    spent_more_than: str | None = Field(default=None, max_length=20)
    used_promotion: uuid.UUID | None = None
    not_in_campaign: uuid.UUID | None = None


def parse_audience(data: Any) -> AudienceSpec:
    """An audience from JSON data (a refusal names the key)."""
    return specs.parse(AudienceSpec, data, "an audience", prefix="audience.")


@dataclass(frozen=True)
class AudienceCount:
    """The audience for a channel: how many match, how many can be reached, and how many
    are left out for each reason (REASONS, in order). For channels in order (a fallback),
    `channel` names them all, `by_channel` says how many each one reaches first, and a
    patient reached by none is left out for the first channel's reason."""

    channel: str
    matching: int
    reachable: int
    left_out: dict[str, int]
    by_channel: dict[str, int] = field(default_factory=dict)

    def sentence(self) -> str:
        out = ", ".join(f"{n:,} {why}" for why, n in self.left_out.items() if n)
        on = ""
        if len(self.by_channel) > 1:
            on = " (" + ", ".join(f"{n:,} by {c}" for c, n in self.by_channel.items()) + ")"
        return f"{self.reachable:,} of {self.matching:,} can be reached{on}" + (
            f" ({out})." if out else "."
        )


def segment_names() -> tuple[str, ...]:
    """The segments an audience may name: the dashboard's default scheme's, in its order."""
    rules = rfm.SEGMENT_TABLES[dashboard.DashboardFilters().scheme]
    return tuple(rule.name for rule in rules)


def _segment_ids(db: Database, actor: CurrentUser, segment: str, today: date) -> list[uuid.UUID]:
    report = dashboard.rfm_report(db, actor, dashboard.DashboardFilters(), today=today)
    named = {name.upper(): name for name in report.scores.segment_names}
    key = named.get(segment.strip().upper())
    if key is None:
        names = ", ".join(report.scores.segment_names)
        raise BadInput(f"segment: {segment!r} is not a segment; segments are {names}.")
    rows = dashboard.customers(db, actor, report, chart="segments", key=key)
    return [row.patient_id for row in rows]


def _matching(
    spec: AudienceSpec, ids: Sequence[uuid.UUID] | None, today: date
) -> Select[uuid.UUID]:
    """The patients the audience names, as a SELECT of ids (SQL, not rows)."""
    p = Patient
    where: list[ColumnElement[bool]] = [p.retired_at.is_(None), p.is_walk_in.is_(False)]
    if ids is not None:
        where.append(p.id.in_(ids))
    issued = and_(InvoiceHeader.patient_id == p.id, InvoiceHeader.status == "issued")
    if spec.last_visit_older_than_days is not None:
        since = today - timedelta(days=spec.last_visit_older_than_days)
        where.append(~exists().where(issued, InvoiceHeader.invoice_date > since))
    if spec.visited_item:
        code = spec.visited_item.strip().upper()
        where.append(
            exists()
            .where(issued, InvoiceLineItem.invoice_id == InvoiceHeader.id)
            .where(func.upper(InvoiceLineItem.item_code) == code)
        )
    if spec.spent_more_than:
        floor = rupees_to_paise(spec.spent_more_than)
        spent = (
            select(func.coalesce(func.sum(InvoiceHeader.total_amount), 0))
            .where(issued)
            .scalar_subquery()
        )
        where.append(spent > floor)
    if spec.used_promotion is not None:
        where.append(
            exists().where(
                PromotionUsageLog.patient_id == p.id,
                PromotionUsageLog.campaign_id == spec.used_promotion,
            )
        )
    if spec.not_in_campaign is not None:
        where.append(
            ~exists().where(
                CampaignExecution.patient_id == p.id,
                CampaignExecution.campaign_id == spec.not_in_campaign,
            )
        )
    if spec.birthday_within_days is not None:
        days = [today + timedelta(days=n) for n in range(spec.birthday_within_days + 1)]
        where.append(birthday_on(p.birth_date, days))
    return select(p.id).where(*where)


def birthday_on(
    birth_date: SQLColumnExpression[date | None], days: Sequence[date]
) -> ColumnElement[bool]:
    """Whether the birth date falls on the month and day of one of `days`, in SQL that both
    SQLite (a branch) and PostgreSQL (the centre) run: EXTRACT, not SQLite's strftime."""
    month_day = extract("month", birth_date) * 100 + extract("day", birth_date)
    return month_day.in_(sorted({day.month * 100 + day.day for day in days}))


def _reason(channel: str, purpose: str, cap: int, since: datetime) -> ColumnElement[str]:
    """Why a patient is left out on `channel` (the module's order), or '' when reachable."""
    p = Patient
    contact = p.email if channel == "email" else p.mobile
    blocked = exists().where(
        DoNotContact.patient_id == p.id,
        DoNotContact.channel == channel,
        DoNotContact.lifted_at.is_(None),
    )
    latest = (
        select(ConsentLedger.action)
        .where(
            ConsentLedger.patient_id == p.id,
            ConsentLedger.channel == channel,
            ConsentLedger.purpose == purpose,
        )
        .order_by(ConsentLedger.at.desc(), ConsentLedger.action.desc())
        .limit(1)
        .scalar_subquery()
    )
    # No event at all is no consent for a promotional message (coalesce: NULL is not
    # "not granted" in SQL, it is unknown, and CASE would let it through).
    action = func.coalesce(latest, "")
    consented = action == "granted" if purpose == "promotional" else action != "withdrawn"
    reached = (
        select(func.count())
        .where(
            CampaignExecution.patient_id == p.id,
            CampaignExecution.status.in_(REACHED),
            # As the send gate counts them: an unknown or in-flight message has no
            # sent_at; it may have reached them when it was last touched.
            or_(
                CampaignExecution.sent_at > since,
                and_(CampaignExecution.sent_at.is_(None), CampaignExecution.updated_at > since),
            ),
        )
        .scalar_subquery()
    )
    over = reached >= cap if purpose == "promotional" else literal(False)
    return case(
        (or_(contact.is_(None), contact == ""), NO_CONTACT),
        (blocked, DO_NOT_CONTACT),
        (~consented, NO_CONSENT),
        (over, OVER_CAP),
        else_="",
    )


def _query(
    session: Session,
    db: Database,
    spec: AudienceSpec,
    ids: Sequence[uuid.UUID] | None,
    channel: str,
    purpose: str,
    *,
    today: date,
    now: datetime,
) -> Select[uuid.UUID, str]:
    rules = channel_settings.sending_rules(db)
    since = now - timedelta(days=rules.cap_days)
    matching = _matching(spec, ids, today).subquery()
    reason = _reason(channel, purpose, rules.cap_messages, since).label("reason")
    return select(Patient.id, reason).where(Patient.id.in_(select(matching.c.id)))


def _first_reachable(
    db: Database,
    actor: CurrentUser,
    spec: AudienceSpec,
    channels: Sequence[str],
    purpose: str,
    *,
    today: date,
    now: datetime,
) -> list[tuple[uuid.UUID, str, str]]:
    """(patient, the first of `channels` that reaches them or '', the first channel's
    reason) for every patient the audience names: one statement, a reason per channel."""
    require(actor.role, "campaign.manage")
    ids = _ids(db, actor, spec, today)
    with db.session(write=False) as session:
        return _first_channels(session, db, spec, ids, channels, purpose, today=today, now=now)


def _first_channels(
    session: Session,
    db: Database,
    spec: AudienceSpec,
    ids: Sequence[uuid.UUID] | None,
    channels: Sequence[str],
    purpose: str,
    *,
    today: date,
    now: datetime,
) -> list[tuple[uuid.UUID, str, str]]:
    rules = channel_settings.sending_rules(db)
    since = now - timedelta(days=rules.cap_days)
    matching = _matching(spec, ids, today).subquery()
    reasons = [_reason(c, purpose, rules.cap_messages, since) for c in channels]
    rows = session.execute(
        select(Patient.id, *reasons).where(Patient.id.in_(select(matching.c.id)))
    ).all()
    found = []
    for patient_id, *why in rows:
        first = next((c for c, reason in zip(channels, why, strict=True) if not reason), "")
        found.append((patient_id, first, "" if first else why[0]))
    return found


def first_channels_of(
    session: Session,
    db: Database,
    patients: Sequence[uuid.UUID],
    channels: Sequence[str],
    *,
    purpose: str,
    today: date,
    now: datetime,
) -> dict[uuid.UUID, str]:
    """Of `patients`, those one of `channels` reaches, each with the first that does: a
    trigger's recipients, by the rules a launch's audience is counted by. No role is asked:
    triggers fire for whoever runs the sender, on patients an event chose, not an audience
    a manager built."""
    if not patients:
        return {}
    rows = _first_channels(
        session, db, AudienceSpec(), list(patients), channels, purpose, today=today, now=now
    )
    return {patient_id: first for patient_id, first, _why in rows if first}


def count_channels(
    db: Database,
    actor: CurrentUser,
    spec: AudienceSpec,
    channels: Sequence[str],
    *,
    purpose: str = "promotional",
    today: date,
    now: datetime,
) -> AudienceCount:
    """The live count of an audience on `channels` in order, each patient on the first that
    reaches them (manager); one channel is count_audience."""
    if len(channels) == 1:
        count = count_audience(db, actor, spec, channels[0], purpose=purpose, today=today, now=now)
        return AudienceCount(
            count.channel,
            count.matching,
            count.reachable,
            count.left_out,
            {count.channel: count.reachable},
        )
    rows = _first_reachable(db, actor, spec, channels, purpose, today=today, now=now)
    by_channel = {c: sum(1 for _p, first, _why in rows if first == c) for c in channels}
    left_out = {why: sum(1 for _p, _first, w in rows if w == why) for why in REASONS}
    return AudienceCount(
        "+".join(channels), len(rows), sum(by_channel.values()), left_out, by_channel
    )


def reachable_by_channel(
    db: Database,
    actor: CurrentUser,
    spec: AudienceSpec,
    channels: Sequence[str],
    *,
    purpose: str = "promotional",
    today: date,
    now: datetime,
) -> list[tuple[uuid.UUID, str]]:
    """The patients a launch queues messages for, each with the first of `channels` (in
    order) that reaches them: consent, contact details, no do-not-contact, under the cap."""
    rows = _first_reachable(db, actor, spec, channels, purpose, today=today, now=now)
    return [(patient_id, first) for patient_id, first, _why in rows if first]


def _ids(
    db: Database, actor: CurrentUser, spec: AudienceSpec, today: date
) -> list[uuid.UUID] | None:
    if spec.segment:
        segment = _segment_ids(db, actor, spec.segment, today)
        return segment if spec.patients is None else sorted(set(segment) & set(spec.patients))
    return spec.patients


def count_audience(
    db: Database,
    actor: CurrentUser,
    spec: AudienceSpec,
    channel: str,
    *,
    purpose: str = "promotional",
    today: date,
    now: datetime,
) -> AudienceCount:
    """The live count of an audience on `channel` (manager; the module's rules)."""
    require(actor.role, "campaign.manage")
    ids = _ids(db, actor, spec, today)
    with db.session(write=False) as session:
        inner = _query(session, db, spec, ids, channel, purpose, today=today, now=now).subquery()
        counts: dict[str, int] = dict(
            session.execute(select(inner.c.reason, func.count()).group_by(inner.c.reason)).all()
        )
    left_out = {why: int(counts.get(why, 0)) for why in REASONS}
    reachable = int(counts.get("", 0))
    return AudienceCount(channel, reachable + sum(left_out.values()), reachable, left_out)


def reachable_patients(
    db: Database,
    actor: CurrentUser,
    spec: AudienceSpec,
    channel: str,
    *,
    purpose: str = "promotional",
    today: date,
    now: datetime,
) -> list[uuid.UUID]:
    """The patients a launch queues messages for: the audience less those left out."""
    require(actor.role, "campaign.manage")
    ids = _ids(db, actor, spec, today)
    with db.session(write=False) as session:
        inner = _query(session, db, spec, ids, channel, purpose, today=today, now=now).subquery()
        return list(session.scalars(select(inner.c.id).where(inner.c.reason == "")))


def used_catalog_code(session: Session, code: str) -> bool:
    """Whether `code` is an item of the catalog (for a filter typed by hand)."""
    return (
        session.scalar(select(CatalogItem.id).where(CatalogItem.code == code.upper())) is not None
    )
