"""The demo clinic's sponsor (issue #17): an injectables maker paying per impression of the
free-consultation badge, mid-flight, so the Sponsors panel has something to show on
`make run`. Deterministic: the demo's own random generator and dates.

The campaign flies from 20 days before `today` to 15 days after, billed weekly: its
deposit and its first two weekly cycles are invoiced (with the impressions they billed
linked to them), the deposit and the first cycle paid, the second paid in part; the
current week's impressions are charged and not billed yet. Figures come from
domain.sponsor_billing, as a real billing cycle computes them.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import (
    Branch,
    PromotionCampaign,
    Sponsor,
    SponsoredCampaign,
    SponsoredCampaignPromotion,
    SponsorImpression,
    SponsorPayment,
    User,
)
from domain.roles import Role
from domain.sponsor_billing import (
    BillingFrequency,
    InvoiceFigures,
    Period,
    billing_periods,
    deposit_invoice,
    invoice_status,
    is_inter_state,
    recurring_invoice,
)
from services.sponsors import new_sponsor_invoice

SPONSOR_NAME = "Velvera Injectables Pvt Ltd"
SPONSOR_GSTIN = "27AAECV4821M1ZZ"  # Maharashtra: the demo clinic is in Karnataka (IGST)
CAMPAIGN_CODE = "VELVERA-CONSULT"
PROMOTION = "PREMIUM_CONSULT"
RATE = 2_500  # Rs.25 an impression
BOOKED = 400
DEPOSIT = 250_000  # Rs.2,500
FIRST_DAY = 20  # days before today
LAST_DAY = 15  # days after today


def write_demo_sponsor(
    session: Session,
    rng: random.Random,
    branch_id: uuid.UUID,
    patient_ids: list[uuid.UUID],
    *,
    now: datetime,
    today: date,
    timezone: str,
) -> None:
    """The sponsor, its campaign on PREMIUM_CONSULT, its impressions, invoices and payments."""
    zone = ZoneInfo(timezone)
    branch = session.get(Branch, branch_id)
    manager = session.scalar(select(User.id).where(User.role == Role.MANAGER.value))
    desk = session.scalar(select(User.id).where(User.role == Role.FRONT_DESK.value))
    promotion_id = session.scalar(
        select(PromotionCampaign.id).where(PromotionCampaign.campaign_code == PROMOTION)
    )
    assert branch is not None and manager is not None and promotion_id is not None
    flight = Period(today - timedelta(days=FIRST_DAY), today + timedelta(days=LAST_DAY))
    started = datetime.combine(flight.start, time(10, 0), zone)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    sponsor = Sponsor(
        id=new_id(),
        branch_id=branch_id,
        legal_name=SPONSOR_NAME,
        contact_name="Rohan Mehta",
        contact_email="billing@velvera.example",
        contact_phone="022 4890 1122",
        gstin=SPONSOR_GSTIN,
        state_code=SPONSOR_GSTIN[:2],
        billing_address="Velvera House, 8 Linking Road, Bandra West, Mumbai 400050",
        created_at=started,
        updated_at=started,
    )
    campaign = SponsoredCampaign(
        id=new_id(),
        branch_id=branch_id,
        sponsor_id=sponsor.id,
        campaign_code=CAMPAIGN_CODE,
        campaign_name="Velvera: free consultation with Botox",
        billing_frequency=BillingFrequency.WEEKLY.value,
        campaign_budget=BOOKED * RATE,
        cost_per_impression=RATE,
        booked_impressions=BOOKED,
        deposit_amount=DEPOSIT,
        discount_percent=Decimal(0),
        branch_offline_quota=None,  # a clinic on its own: no centre to acknowledge them
        start_date=flight.start,
        end_date=flight.end,
        payment_terms_days=15,
        notes="Demo: billed weekly; the current week is not billed yet.",
        created_at=started,
        updated_at=started,
    )
    session.add(sponsor)
    session.flush()
    session.add(campaign)
    session.flush()
    session.add(SponsoredCampaignPromotion(campaign_id=campaign.id, promotion_id=promotion_id))

    impressions = _impressions(
        rng, new_id, zone, branch_id, campaign, promotion_id, desk, patient_ids
    )
    impressions = [row for row in impressions if row["created_at"] <= now]
    inter_state = is_inter_state(branch.state_code or sponsor.state_code, sponsor.state_code)
    invoices: list[tuple[InvoiceFigures, Period | None, int, date]] = [
        (deposit_invoice(DEPOSIT, inter_state=inter_state), None, 0, flight.start)
    ]
    for cycle, week in enumerate(billing_periods(flight, BillingFrequency.WEEKLY)[:2], 1):
        billed = [row for row in impressions if row["charged"] and row["shown_on"] in week]
        figures = recurring_invoice(
            len(billed), RATE, discount_percent=Decimal(0), inter_state=inter_state
        )
        invoices.append((figures, week, cycle, week.end + timedelta(days=1)))
    written = []
    for figures, period, cycle, day in invoices:
        issued = datetime.combine(day, time(9, 30), zone)
        invoice = new_sponsor_invoice(
            session,
            branch,
            campaign,
            sponsor,
            figures,
            period,
            cycle=cycle,
            today=day,
            now=issued,
            created_by=manager,
            invoice_id=new_id(),
        )
        written.append(invoice)
        if period is not None:
            for row in impressions:
                if row["charged"] and row["shown_on"] in period:
                    row["sponsor_invoice_id"] = invoice.id
    session.flush()
    session.execute(insert(SponsorImpression), impressions)

    # The deposit and the first cycle paid in full, the second in part (partially_paid).
    deposit, first, second = written
    for invoice, share, method, reference, days_after in (
        (deposit, 1, "bank_transfer", "NEFT-VLV-0001", 2),
        (first, 1, "upi", "UTR602114477", 3),
        (second, 2, "bank_transfer", "NEFT-VLV-0002", 4),
    ):
        day = invoice.invoice_date + timedelta(days=days_after)
        paid_at = min(now, datetime.combine(day, time(16, 0), zone))
        amount = invoice.total_amount // share
        session.add(
            SponsorPayment(
                id=new_id(),
                branch_id=branch_id,
                sponsor_invoice_id=invoice.id,
                amount=amount,
                method=method,
                reference=reference,
                paid_at=paid_at,
                created_at=paid_at,
                created_by=manager,
            )
        )
        invoice.outstanding_amount -= amount
        invoice.status = invoice_status(
            invoice.total_amount, invoice.total_amount - invoice.outstanding_amount
        ).value
        invoice.payment_method = method
        invoice.payment_transaction_id = reference
        invoice.paid_at = paid_at
    session.flush()


def _impressions(
    rng: random.Random,
    new_id: Any,
    zone: ZoneInfo,
    branch_id: uuid.UUID,
    campaign: SponsoredCampaign,
    promotion_id: uuid.UUID,
    desk: uuid.UUID | None,
    patient_ids: list[uuid.UUID],
) -> list[dict[str, Any]]:
    """About a dozen showings a day at the counter from the flight's first day to today:
    some flashed past (not viewable), some seen twice by the same patient (not unique),
    a third of the viewable ones opened by staff, some used on an invoice."""
    rows: list[dict[str, Any]] = []
    charged = 0
    day = campaign.start_date
    last = campaign.start_date + timedelta(days=FIRST_DAY)
    while day <= last:
        seen: set[uuid.UUID] = set()
        for _ in range(rng.randint(10, 14)):
            patient = rng.choice(patient_ids)
            at = datetime.combine(day, time(rng.randint(10, 19), rng.randint(0, 59)), zone)
            shown_ms = rng.choice((400, 700)) if rng.random() < 0.1 else rng.randint(1_000, 9_000)
            viewable = shown_ms >= 1_000
            unique = viewable and patient not in seen
            if viewable:
                seen.add(patient)
            is_charged = unique and charged < BOOKED
            charged += is_charged
            clicked = viewable and rng.random() < 0.3
            converted = clicked and rng.random() < 0.6
            rows.append(
                {
                    "id": new_id(),
                    "branch_id": branch_id,
                    "campaign_id": campaign.id,
                    "promotion_id": promotion_id,
                    "patient_id": patient,
                    "invoice_id": None,
                    "user_id": desk,
                    "viewer_key": str(patient),
                    "source": "counter",
                    "shown_on": day,
                    "is_unique": unique,
                    "is_viewable": viewable,
                    "viewable_duration": shown_ms,
                    "clicked": clicked,
                    "clicked_at": at + timedelta(seconds=5) if clicked else None,
                    "converted": converted,
                    "converted_at": at + timedelta(minutes=12) if converted else None,
                    "cpi_rate": campaign.cost_per_impression,
                    "charged": is_charged,
                    "charged_at": at if is_charged else None,
                    "sponsor_invoice_id": None,
                    "created_at": at,
                }
            )
        day += timedelta(days=1)
    return rows
