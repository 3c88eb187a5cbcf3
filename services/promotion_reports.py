"""Seed 000's promotion reports for managers: what each campaign gave, and to whom."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from db import central_dashboard as chain
from db import central_reports
from db import promotion_reports as queries
from db.engine import Database
from domain.errors import BadInput
from domain.money import round_half_up
from domain.permissions import require
from services.auth import CurrentUser


@dataclass(frozen=True)
class CampaignEffect:
    """One promotion's effectiveness; amounts in paise."""

    promotion_id: uuid.UUID
    campaign_code: str
    campaign_name: str
    promotion_type: str
    is_active: bool
    current_uses: int
    uses: int
    unique_patients: int
    total_discount: int
    average_discount: int


@dataclass(frozen=True)
class PromotedInvoice:
    """An invoice that carried promotions; amounts in paise."""

    invoice_id: uuid.UUID
    invoice_number: str
    invoice_date: date
    patient_name: str
    patient_mobile: str
    total_discount: int
    total_amount: int
    campaign_codes: tuple[str, ...]


@dataclass(frozen=True)
class TimelinePoint:
    """Uses of one promotion on one business day; `discount` in paise."""

    day: date
    campaign_code: str
    campaign_name: str
    uses: int
    discount: int


@dataclass(frozen=True)
class TopPatient:
    """A patient ranked by what promotions saved them; `total_savings` in paise."""

    patient_id: uuid.UUID
    name: str
    mobile: str
    promotions_used: int
    uses: int
    total_savings: int
    last_promotion_at: datetime


def _manager(actor: CurrentUser) -> None:
    require(actor.role, "promotion_reports.read")


def chain_scope(db: Database, codes: Sequence[str]) -> chain.Scope:
    """The head office's branch filter: on the centre, the branches with these codes (none:
    the whole chain), after taking in what was pushed since the last reading; a code the
    centre does not know, or a filter on a branch's own file, is refused with a sentence."""
    if not db.on_centre:
        if codes:
            raise BadInput(
                "A branch filter is for the head office: run the report on the centre "
                "(frontdesk --central URL ...)."
            )
        return chain.Scope()
    chain.catch_up(db)
    with db.session(write=False) as session:
        chosen = central_reports.chosen_branches(session, codes)
    return chain.Scope(tuple(branch.branch_id for branch in chosen)) if codes else chain.Scope()


def campaign_effectiveness(
    db: Database, actor: CurrentUser, *, scope: chain.Scope | None = None
) -> list[CampaignEffect]:
    """Uses, unique patients, total and average discount of every promotion (on the
    centre: the chain's, or `scope`'s branches')."""
    _manager(actor)
    with db.session(write=False) as session:
        if db.on_centre:
            chain.catch_up(db)
            rows = chain.campaign_effectiveness(session, scope or chain.Scope())
        else:
            rows = queries.campaign_effectiveness(session)
    return [
        CampaignEffect(
            promotion_id=row["id"],
            campaign_code=row["campaign_code"],
            campaign_name=row["campaign_name"],
            promotion_type=row["promotion_type"],
            is_active=row["is_active"],
            current_uses=row["current_uses"],
            uses=row["uses"],
            unique_patients=row["unique_patients"],
            total_discount=row["total_discount"],
            average_discount=round_half_up(Decimal(row["total_discount"]) / row["uses"])
            if row["uses"]
            else 0,
        )
        for row in rows
    ]


def promoted_invoices(
    db: Database, actor: CurrentUser, *, limit: int = 50, scope: chain.Scope | None = None
) -> list[PromotedInvoice]:
    """The latest issued invoices that carried promotions (on the centre: the chain's, or
    `scope`'s branches')."""
    _manager(actor)
    with db.session(write=False) as session:
        if db.on_centre:
            chain.catch_up(db)
            rows = chain.promoted_invoices(session, limit=limit, scope=scope or chain.Scope())
        else:
            rows = queries.promoted_invoices(session, limit=limit)
    return [
        PromotedInvoice(
            invoice_id=row["id"],
            invoice_number=row["invoice_number"],
            invoice_date=row["invoice_date"],
            patient_name=row["name"],
            patient_mobile=row["mobile"],
            total_discount=row["total_discount"],
            total_amount=row["total_amount"],
            campaign_codes=tuple(
                entry["campaign_code"]
                for entry in row["campaigns_applied"].get("applied_promotions", [])
            ),
        )
        for row in rows
    ]


def usage_timeline(
    db: Database,
    actor: CurrentUser,
    *,
    today: date,
    days: int = 30,
    scope: chain.Scope | None = None,
) -> list[TimelinePoint]:
    """Uses per day and promotion over the last `days` business days, newest first."""
    _manager(actor)
    if days < 1:
        raise ValueError("the timeline needs at least one day")
    with db.session(write=False) as session:
        window = {"first_day": today - timedelta(days=days - 1), "last_day": today}
        if db.on_centre:
            chain.catch_up(db)
            rows = chain.usage_timeline(session, **window, scope=scope or chain.Scope())
        else:
            rows = queries.usage_timeline(session, **window)
    return [
        TimelinePoint(
            row["invoice_date"],
            row["campaign_code"],
            row["campaign_name"],
            row["uses"],
            row["discount"],
        )
        for row in rows
    ]


def top_patients(
    db: Database, actor: CurrentUser, *, limit: int = 20, scope: chain.Scope | None = None
) -> list[TopPatient]:
    """Patients who saved most through promotions."""
    _manager(actor)
    with db.session(write=False) as session:
        if db.on_centre:
            chain.catch_up(db)
            rows = chain.top_patients(session, limit=limit, scope=scope or chain.Scope())
        else:
            rows = queries.top_patients(session, limit=limit)
    return [
        TopPatient(
            patient_id=row["id"],
            name=row["name"],
            mobile=row["mobile"],
            promotions_used=row["promotions_used"],
            uses=row["uses"],
            total_savings=row["total_savings"],
            last_promotion_at=row["last_promotion_at"],
        )
        for row in rows
    ]
