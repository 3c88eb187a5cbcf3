"""Suggestions drawn from the data (issue #16): rules, each a sentence with its number and
what to do, for the Campaigns panel and `frontdesk campaign recommend`.

1. Champions (the dashboard's RFM segment) who have not visited in 90 days: a win-back.
2. Patients whose birthday is in the next 7 days and who agreed to promotional messages on
   some channel: birthday wishes.
3. Patients with no consent event at all: ask at the counter.
4. A finished A/B test with a winner: send the winner to the rest (its template, to the
   campaign's audience less everyone the campaign made a message for).
5. A campaign whose messages failed more than 10% of the time: check the channel.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, select

from db.engine import Database
from db.models import Campaign, CampaignExecution, ConsentLedger, Patient
from domain.permissions import require
from services import dashboard
from services.auth import CurrentUser
from services.campaigns import audiences, campaigns

LAPSED_DAYS = 90
FAILURE_SHARE = 0.10


@dataclass(frozen=True)
class Recommendation:
    """One suggestion: how many it concerns and the sentence that says what to do; the
    campaign it is about, for the rules about one (failures, an A/B winner). For a winner,
    what sending it to the rest takes: its template and the audience (the campaign's, less
    everyone the campaign made a message for, the hold-out included)."""

    rule: str
    count: int
    sentence: str
    campaign_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None
    audience: dict[str, Any] | None = None


def _the_rest(
    db: Database, campaign_id: uuid.UUID, winner: str
) -> tuple[uuid.UUID, dict[str, Any]]:
    """The winner's template and the campaign's audience less those it reached (rule 4)."""
    with db.session(write=False) as session:
        campaign = session.get_one(Campaign, campaign_id)
        template_id = uuid.UUID(campaign.variants["arms"][winner]["template_id"])
        audience = dict(campaign.audience) | {"not_in_campaign": str(campaign_id)}
    return template_id, audience


def recommend(
    db: Database, actor: CurrentUser, *, today: date, now: datetime
) -> list[Recommendation]:
    """The suggestions that apply today, most people first (manager)."""
    require(actor.role, "campaign.manage")
    found: list[Recommendation] = []
    report = dashboard.rfm_report(db, actor, dashboard.DashboardFilters(), today=today)
    named = {name.upper(): name for name in report.scores.segment_names}
    if "CHAMPIONS" in named:
        champions = dashboard.customers(db, actor, report, chart="segments", key=named["CHAMPIONS"])
        lapsed = [c for c in champions if c.recency >= LAPSED_DAYS]
        if lapsed:
            found.append(
                Recommendation(
                    "win_back",
                    len(lapsed),
                    f"{len(lapsed)} champions have not visited in {LAPSED_DAYS} days: start a "
                    "win-back.",
                )
            )
    birthdays = audiences.count_audience(
        db, actor, audiences.AudienceSpec(birthday_within_days=7), "sms", today=today, now=now
    )
    if birthdays.reachable:
        found.append(
            Recommendation(
                "birthday",
                birthdays.reachable,
                f"{birthdays.reachable} patients who agreed to SMS have a birthday this week: "
                "send birthday wishes.",
            )
        )
    with db.session(write=False) as session:
        never_asked = (
            session.scalar(
                select(func.count()).where(
                    Patient.retired_at.is_(None),
                    Patient.is_walk_in.is_(False),
                    ~exists().where(ConsentLedger.patient_id == Patient.id),
                )
            )
            or 0
        )
        running = session.execute(
            select(Campaign.id, Campaign.name).where(Campaign.status.in_(("running", "completed")))
        ).all()
        failures = {
            cid: (failed or 0, total)
            for cid, failed, total in session.execute(
                select(
                    CampaignExecution.campaign_id,
                    func.sum(case((CampaignExecution.status == "failed", 1), else_=0)),
                    func.count(),
                )
                .where(CampaignExecution.sent_at > now - timedelta(days=30))
                .group_by(CampaignExecution.campaign_id)
            )
        }
    if never_asked:
        found.append(
            Recommendation(
                "consent",
                int(never_asked),
                f"{never_asked} patients were never asked for their consent to messages: ask "
                "at the counter (Ctrl+K records it).",
            )
        )
    for campaign_id, name in running:
        failed, total = failures.get(campaign_id, (0, 0))
        if total and failed / total > FAILURE_SHARE:
            found.append(
                Recommendation(
                    "failures",
                    int(failed),
                    f"{failed} of {total} messages of {name} failed: check the channel in "
                    "Settings > Channels.",
                    campaign_id,
                )
            )
        decision = campaigns.campaign_results(db, actor, campaign_id).decision
        if decision is not None and decision.winner is not None:
            template_id, audience = _the_rest(db, campaign_id, decision.winner)
            found.append(
                Recommendation(
                    "ab_winner",
                    1,
                    f"{name}: {decision.reason} Send it to the rest.",
                    campaign_id,
                    template_id,
                    audience,
                )
            )
    return sorted(found, key=lambda r: -r.count)
