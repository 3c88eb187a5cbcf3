"""The demo clinic's sponsor (issue #17): mid-flight, so `make run` shows a Sponsors panel
with delivery, pacing, weekly invoices and payments, all consistent with the services'
own billing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from db.models import SponsorImpression
from domain.sponsor_billing import Pacing, PaymentStatus, Period
from services import auth, sponsors
from services.sponsor_demo import CAMPAIGN_CODE, SPONSOR_NAME
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import promotion


def test_the_demo_sponsor_is_mid_flight_billed_weekly_and_partly_paid(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    assert [s.legal_name for s in sponsors.list_sponsors(demo_db, manager)] == [SPONSOR_NAME]
    status = sponsors.campaign_status(demo_db, manager, CAMPAIGN_CODE, now=NOW)
    assert status.promotions == ("PREMIUM_CONSULT",) and status.open
    assert status.pacing is Pacing.ON_TRACK and 0 < status.charged < status.limit
    assert status.shown_today > 0 and status.clicks > status.conversions > 0
    deposit, first, second = status.invoices
    assert [i.invoice_number for i in status.invoices] == [
        "INDS/26-27/00001",
        "INDS/26-27/00002",
        "INDS/26-27/00003",
    ]
    # Maharashtra sponsor, Karnataka clinic: IGST 18% on Rs.2,500 and on impressions x Rs.25.
    assert (deposit.total, deposit.igst, deposit.cgst, deposit.outstanding) == (
        295_000,
        45_000,
        0,
        0,
    )
    assert (first.period_start, first.period_end) == (
        TODAY - timedelta(days=20),
        TODAY - timedelta(days=14),
    )
    assert first.amount == first.impressions * 2_500 and first.status == "paid"
    assert (
        second.outstanding == second.total - second.total // 2 and second.status == "partially_paid"
    )
    assert status.payment_status is PaymentStatus.PARTIALLY_PAID
    # The billed impressions are linked to their invoices, as a billing cycle links them.
    with demo_db.session(write=False) as session:
        linked = session.scalar(
            select(func.count()).where(SponsorImpression.sponsor_invoice_id == second.id)
        )
    assert linked == second.impressions > 0


def test_the_demo_s_weeks_bill_on_from_where_the_demo_left_off(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    status = sponsors.campaign_status(demo_db, manager, CAMPAIGN_CODE, now=NOW)
    second = status.invoices[-1]
    again = sponsors.bill_sponsor_period(
        demo_db, manager, CAMPAIGN_CODE, Period(second.period_start, second.period_end), now=NOW
    )
    assert again.already_billed and again.invoice_number == second.invoice_number
    this_week = Period(second.period_end + timedelta(days=1), TODAY)
    billed = sponsors.bill_sponsor_period(demo_db, manager, CAMPAIGN_CODE, this_week, now=NOW)
    assert billed.invoice_number == "INDS/26-27/00004"
    assert billed.impressions_billed == status.charged - status.impressions_billed > 0


def test_the_demo_badge_keeps_showing_with_no_centre_to_acknowledge_it(demo_db):
    """The demo clinic syncs with no centre: an offline quota would stop its badge (and
    PREMIUM_CONSULT with it) once that many impressions waited in the outbox."""
    desk = auth.sign_in(demo_db, "priya", "1111")
    manager = auth.sign_in(demo_db, "meera", "2222")
    consult = promotion(demo_db, "PREMIUM_CONSULT").id
    charged = [
        sponsors.record_impression(
            demo_db, desk, consult, f"walk-in-{n}", shown_ms=1500, now=NOW + timedelta(seconds=n)
        ).charged
        for n in range(30)
    ]
    assert all(charged)
    assert sponsors.campaign_status(demo_db, manager, CAMPAIGN_CODE, now=NOW).open
