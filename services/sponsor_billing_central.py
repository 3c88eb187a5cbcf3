"""Billing the chain's sponsored impressions once, at the centre (issue #17; rule 11 of
domain.sponsor_billing).

Every branch charges impressions on its own, offline too, bounded by its offline quota;
they reach the centre with the other documents. The head office bills on the centre's own
copy of the campaign (its settings, deposit and invoices), with the same billing cycle as
a branch: services.sponsors.bill_sponsor_period asks `at_centre` and, there, takes the
impressions a cycle counts from `chain_cycle` instead of its own table. Those are every
branch's charged impressions of the promotions the centre's campaign sponsors
(db.central_sponsors), of which only the first `limit` charged in the chain, by time, are
billable (split_overrun); the rest is each branch's overrun, reported by branch code and
never billed. The centre records what it billed, so an impression pushed again, or a
period billed again, is not billed twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import central, central_sponsors
from db.models import SponsoredCampaign, SponsoredCampaignPromotion, SponsorInvoice
from domain.sponsor_billing import ChargedImpression, Period, impression_limit, split_overrun


def at_centre(session: Session) -> bool:
    """The session is on the centre (its PostgreSQL, with the centre-only tables)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return central.central_schema(session.connection()) is not None


@dataclass(frozen=True)
class ChainCycle:
    """What a billing cycle at the centre counts: `unbilled(session, campaign, period)`
    names the chain's billable impressions of the period not billed yet, first charged
    first; `link(session, invoice, ids)` records that the invoice billed them. `charged` is
    the chain's charged impressions in the flight, `overrun_by_branch` those past the limit
    by branch code (rule 11), never billed."""

    unbilled: Callable[[Session, SponsoredCampaign, Period], list[uuid.UUID]]
    link: Callable[[Session, SponsorInvoice, list[uuid.UUID]], None]
    charged: int
    overrun_by_branch: dict[str, int]


def _promotions(session: Session, campaign_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(SponsoredCampaignPromotion.promotion_id).where(
                SponsoredCampaignPromotion.campaign_id == campaign_id
            )
        )
    )


def chain_counts(
    session: Session, campaign_id: uuid.UUID, start: date, end: date, today: date
) -> central_sponsors.ChainCounts:
    """At the centre: every branch's impressions of the campaign's promotions shown from
    `start` to `end` (a campaign's delivery, an invoice period's clicks and conversions)."""
    return central_sponsors.chain_counts(
        session.connection(), _promotions(session, campaign_id), start, end, today
    )


def chain_cycle(session: Session, campaign: SponsoredCampaign) -> ChainCycle:
    """Rule 11 at the centre, for one of the centre's campaigns (inside the cycle's
    transaction; makes the centre's billing record on first use)."""
    connection = session.connection()
    central_sponsors.create_sponsor_tables(connection)
    rows = central_sponsors.charged_impressions(
        connection, _promotions(session, campaign.id), campaign.start_date, campaign.end_date
    )
    limit = impression_limit(
        campaign.booked_impressions, campaign.campaign_budget, campaign.cost_per_impression
    )
    split = split_overrun(
        (ChargedImpression(str(r.id), r.branch_code, r.charged_at) for r in rows), limit
    )
    billable = set(split.billable)
    by_id = {r.id: r for r in rows}

    def unbilled(
        _session: Session, _campaign: SponsoredCampaign, period: Period
    ) -> list[uuid.UUID]:
        return [
            r.id for r in rows if str(r.id) in billable and not r.billed and r.shown_on in period
        ]

    def link(_session: Session, invoice: SponsorInvoice, ids: list[uuid.UUID]) -> None:
        central_sponsors.record_billed(connection, invoice.id, [by_id[i] for i in ids])

    return ChainCycle(unbilled, link, len(rows), dict(sorted(split.overrun_by_branch.items())))
