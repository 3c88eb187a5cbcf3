"""Sponsored campaigns on a real SQLite file: impressions, billing cycles, invoices,
payments and the payment status (issue #17). Figures worked out by hand in each test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from db.models import SyncOutbox
from domain.promotion_spec import SpecError
from domain.roles import PermissionDenied
from domain.sponsor_billing import Pacing, PaymentStatus, Period, SponsorBillingError
from services import auth, invoicing, patients, sponsors
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart, promotion
from tests.services.sponsor_helpers import (
    OTHER_STATE_GSTIN,
    a_sponsor,
    campaign_spec,
    shown,
)

CODE = "GLOWCO-NOV"
WEEK1 = Period(date(2026, 11, 1), date(2026, 11, 7))
WEEK2 = Period(date(2026, 11, 8), date(2026, 11, 14))
REST = Period(date(2026, 11, 15), date(2026, 11, 24))  # ends today (NOW is 24 Nov, IST)


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 5, 0, tzinfo=UTC)  # 10:30 in Bengaluru


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def campaign(demo_db, manager):
    a_sponsor(demo_db, manager, NOW)
    return sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(), now=NOW)


def status(db, manager):
    return sponsors.campaign_status(db, manager, CODE, now=NOW)


def test_a_deposit_two_cycles_and_a_final_settlement_with_a_refund(
    demo_db, desk, manager, campaign
):
    shown(demo_db, desk, 8, at(3))
    shown(demo_db, desk, 10, at(10))
    shown(demo_db, desk, 3, at(20))

    first = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW)
    second = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK2, now=NOW)
    final = sponsors.bill_sponsor_period(demo_db, manager, CODE, REST, final=True, now=NOW)

    assert (first.impressions_billed, second.impressions_billed, final.impressions_billed) == (
        8,
        10,
        3,
    )
    deposit, cycle1, cycle2, settlement = status(demo_db, manager).invoices
    # The deposit: Rs.400 + 18% (CGST 36 + SGST 36, the sponsor is in Karnataka too).
    assert (deposit.invoice_type, deposit.amount, deposit.cgst, deposit.sgst, deposit.igst) == (
        "deposit",
        400_00,
        36_00,
        36_00,
        0,
    )
    assert deposit.total == 472_00
    # 8 x Rs.20 = 160 + 28.80; 10 x Rs.20 = 200 + 36.
    assert (cycle1.billing_cycle_number, cycle1.amount, cycle1.tax, cycle1.total) == (
        1,
        160_00,
        28_80,
        188_80,
    )
    assert (cycle2.billing_cycle_number, cycle2.amount, cycle2.total) == (2, 200_00, 236_00)
    # 3 x Rs.20 = 60, less the 400 deposit: 340 back, with its GST 61.20.
    assert (settlement.invoice_type, settlement.amount, settlement.deposit_amount) == (
        "final_settlement",
        60_00,
        400_00,
    )
    assert (settlement.refund, settlement.total, settlement.status) == (401_20, 0, "refund_due")
    numbers = [i.invoice_number for i in (deposit, cycle1, cycle2, settlement)]
    # The demo clinic's own sponsor invoices hold 00001 to 00003; the settlement refunds, so
    # it is a credit note, numbered in the sponsor credit notes' own series (rule 12).
    assert numbers == [
        "INDS/26-27/00004",
        "INDS/26-27/00005",
        "INDS/26-27/00006",
        "INDSC26-27/00001",
    ]


def test_a_period_billed_twice_issues_nothing_new(demo_db, desk, manager, campaign):
    shown(demo_db, desk, 4, at(3))
    first = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW)
    again = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW)

    assert again.already_billed and again.invoice_number == first.invoice_number
    assert status(demo_db, manager).total_invoices == 2  # the deposit and week 1


def test_a_period_may_end_today_and_the_next_starts_after_it(demo_db, desk, manager, campaign):
    shown(demo_db, desk, 2, at(24))
    today = Period(date(2026, 11, 15), date(2026, 11, 24))
    assert (
        sponsors.bill_sponsor_period(demo_db, manager, CODE, today, now=NOW).impressions_billed == 2
    )
    with pytest.raises(SponsorBillingError, match="today at the latest"):
        sponsors.bill_sponsor_period(
            demo_db, manager, CODE, Period(date(2026, 11, 25), date(2026, 11, 25)), now=NOW
        )


def test_billed_impressions_never_exceed_the_booked_quantity(demo_db, desk, manager):
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(
        demo_db, manager, campaign_spec(booked_impressions=5, deposit_amount="0"), now=NOW
    )
    recorded = shown(demo_db, desk, 7, at(3))

    # The counter stops charging at the limit: the sixth and seventh are not charged.
    assert [r.charged for r in recorded] == [True] * 5 + [False] * 2
    result = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW)
    assert result.impressions_billed == 5
    assert status(demo_db, manager).impressions_billed == 5


def test_half_a_second_is_not_billable_and_a_patient_counts_once_a_day(
    demo_db, desk, manager, campaign
):
    glow = promotion(demo_db, "GLOW20").id
    brief = sponsors.record_impression(demo_db, desk, glow, "p1", shown_ms=500, now=at(3))
    seen = sponsors.record_impression(demo_db, desk, glow, "p1", shown_ms=1200, now=at(3))
    twice = sponsors.record_impression(demo_db, desk, glow, "p1", shown_ms=4000, now=at(3))
    printed = sponsors.record_impression(demo_db, desk, glow, "p2", printed=True, now=at(3))
    next_day = sponsors.record_impression(demo_db, desk, glow, "p1", shown_ms=1000, now=at(4))

    assert (brief.viewable, brief.charged) == (False, False)
    assert (seen.unique, seen.charged) == (True, True)
    assert (twice.unique, twice.charged) == (False, False)
    assert printed.charged and next_day.charged
    assert (
        sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW).impressions_billed == 3
    )


def test_a_promotion_not_sponsored_records_nothing(demo_db, desk, campaign):
    festive = promotion(demo_db, "FESTIVE500").id
    assert (
        sponsors.record_impression(demo_db, desk, festive, "p1", shown_ms=2000, now=at(3)) is None
    )


def test_the_badge_closes_at_the_limit_and_at_the_offline_quota(demo_db, desk, manager):
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(
        demo_db,
        manager,
        campaign_spec(booked_impressions=50, deposit_amount="0", branch_offline_quota=3),
        now=NOW,
    )
    glow = promotion(demo_db, "GLOW20").id
    shown(demo_db, desk, 3, NOW)
    assert not sponsors.sponsored_badges(demo_db, now=NOW)[glow].open
    # The centre acknowledged them (a sync round marked them sent): the badge opens again.
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            SyncOutbox.__table__.update()
            .where(SyncOutbox.doc_type == "sponsor_impression")
            .values(sent_at=NOW)
        )
    assert sponsors.sponsored_badges(demo_db, now=NOW)[glow].open


def test_a_spent_campaign_s_promotion_is_neither_quoted_nor_saved(demo_db, desk, manager):
    """Rule 11's hard stop at the counter: the booked impressions charged, the sponsored
    promotion no longer applies, to a quote or to a saved invoice."""
    a_sponsor(demo_db, manager, NOW)
    spec = campaign_spec(booked_impressions=2, deposit_amount="0", promotions=["FESTIVE500"])
    sponsors.add_sponsored_campaign(demo_db, manager, spec, now=NOW)
    # A patient who has not had FESTIVE500 yet (once per patient).
    request = cart(demo_db, "HYDRAFACIAL", patient=patients.find_patients(demo_db, "a")[0].id)

    def applied(priced):
        return {a.campaign_code for a in priced.applied}

    assert "FESTIVE500" in applied(invoicing.quote(demo_db, desk, request, now=NOW).priced)
    shown(demo_db, desk, 2, NOW, code="FESTIVE500")
    assert "FESTIVE500" not in applied(invoicing.quote(demo_db, desk, request, now=NOW).priced)
    saved = invoicing.save_invoice(demo_db, desk, request, now=NOW)
    assert saved.campaigns_applied is None or all(
        a["campaign_code"] != "FESTIVE500" for a in saved.campaigns_applied["applied_promotions"]
    )


def test_clicks_and_conversions_are_counted_from_the_impressions(demo_db, desk, manager, campaign):
    glow = promotion(demo_db, "GLOW20").id
    shown(demo_db, desk, 3, at(3))
    assert sponsors.record_sponsor_click(demo_db, desk, glow, "p0", now=at(3)) == 1
    assert sponsors.record_sponsor_click(demo_db, desk, glow, "p1", now=at(3)) == 1
    sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW)
    # Marked after the invoice was issued: the period's figures still count it.
    assert sponsors.record_sponsor_conversions(demo_db, desk, None, [glow], "p1", now=at(3)) == 1

    week1 = status(demo_db, manager).invoices[1]
    assert (week1.impressions, week1.clicks, week1.conversions) == (3, 2, 1)


def test_each_payment_status_is_reached(demo_db, desk, manager):
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(deposit_amount="0"), now=NOW)
    assert status(demo_db, manager).payment_status is PaymentStatus.NO_INVOICES

    shown(demo_db, desk, 5, at(3))
    week1 = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=NOW).invoice_number
    assert status(demo_db, manager).payment_status is PaymentStatus.PARTIALLY_PAID

    # 5 x 20 = 100 + 18 = 118.00: paid in two parts.
    part = sponsors.record_sponsor_payment(
        demo_db, manager, week1, 50_00, method="upi", reference="UTR1", now=NOW
    )
    assert (part.outstanding, part.status) == (68_00, "partially_paid")
    rest = sponsors.record_sponsor_payment(
        demo_db, manager, week1, 68_00, method="bank_transfer", reference="NEFT2", now=NOW
    )
    assert (rest.outstanding, rest.status) == (0, "paid")
    summary = status(demo_db, manager)
    assert summary.payment_status is PaymentStatus.FULLY_PAID
    assert (summary.paid, summary.outstanding, summary.impressions_billed) == (118_00, 0, 5)


def test_an_unpaid_deposit_is_deposit_pending(demo_db, manager, campaign):
    assert status(demo_db, manager).payment_status is PaymentStatus.DEPOSIT_PENDING


def test_a_payment_above_what_is_owed_is_refused(demo_db, manager, campaign):
    deposit = status(demo_db, manager).invoices[0].invoice_number
    with pytest.raises(SponsorBillingError, match="more than the invoice still owes"):
        sponsors.record_sponsor_payment(demo_db, manager, deposit, 500_00, method="upi", now=NOW)


def test_a_sponsor_in_another_state_is_billed_igst(demo_db, desk, manager):
    a_sponsor(demo_db, manager, NOW, gstin=OTHER_STATE_GSTIN)
    sponsors.add_sponsored_campaign(
        demo_db, manager, campaign_spec(sponsor="Dermaline Labs Ltd"), now=NOW
    )
    deposit = status(demo_db, manager).invoices[0]
    assert (deposit.cgst, deposit.sgst, deposit.igst, deposit.place_of_supply) == (
        0,
        0,
        72_00,
        "27",
    )


def test_pacing_and_delivery_today(demo_db, desk, manager, campaign):
    # 24 of 30 days elapsed: the plan is 60 x 24 / 30 = 48; 10 delivered is behind.
    shown(demo_db, desk, 6, at(10))
    shown(demo_db, desk, 4, NOW, prefix="t")
    summary = status(demo_db, manager)
    assert (summary.shown_today, summary.charged_today, summary.charged) == (4, 4, 10)
    assert (summary.pacing, summary.planned) == (Pacing.BEHIND, 48)
    assert summary.budget_left == 1_200_00 - 10 * 20_00


def test_a_campaign_spec_refuses_unknown_keys_by_name(demo_db, manager):
    a_sponsor(demo_db, manager, NOW)
    with pytest.raises(SpecError, match="'deposit' is not a field"):
        sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(deposit="400"), now=NOW)


def test_a_sponsor_gstin_is_checked_as_the_branch_s(demo_db, manager):
    with pytest.raises(SpecError, match="last character"):
        a_sponsor(demo_db, manager, NOW, gstin="29AAGCS1234K1Z8")


def test_the_front_desk_cannot_bill(demo_db, desk, campaign):
    with pytest.raises(PermissionDenied):
        sponsors.bill_sponsor_period(demo_db, desk, CODE, WEEK1, now=NOW)


def test_a_stopped_campaign_shows_and_charges_nothing_until_resumed(
    demo_db, desk, manager, campaign
):
    """`sponsor campaign stop`: no badge, no impression recorded; the promotion itself
    stays the clinic's; billing what was charged before goes on; resumed, it shows again."""
    glow = promotion(demo_db, "GLOW20").id
    assert [r.charged for r in shown(demo_db, desk, 2, at(3))] == [True, True]
    sponsors.stop_campaign(demo_db, manager, CODE, stopped=True, now=at(4))
    assert glow not in sponsors.sponsored_badges(demo_db, now=at(4))
    assert sponsors.record_impression(demo_db, desk, glow, "p9", shown_ms=2000, now=at(4)) is None
    stopped = status(demo_db, manager)
    assert stopped.stopped and not stopped.open and stopped.charged == 2
    with pytest.raises(sponsors.SponsorError, match=f"Campaign {CODE} is stopped already"):
        sponsors.stop_campaign(demo_db, manager, CODE, stopped=True, now=at(4))
    # The promotion is the clinic's own: it still applies, without the sponsor's badge.
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "HYDRAFACIAL", "SPF50"), now=at(4))
    applied = {a["campaign_code"] for a in saved.campaigns_applied["applied_promotions"]}
    assert "GLOW20" in applied
    billed = sponsors.bill_sponsor_period(demo_db, manager, CODE, WEEK1, now=at(8))
    assert billed.impressions_billed == 2
    with pytest.raises(PermissionDenied):
        sponsors.stop_campaign(demo_db, desk, CODE, stopped=False, now=at(8))
    sponsors.stop_campaign(demo_db, manager, CODE, stopped=False, now=at(8))
    assert sponsors.sponsored_badges(demo_db, now=at(8))[glow].open
    assert not status(demo_db, manager).stopped
    with pytest.raises(sponsors.SponsorError, match="is running already"):
        sponsors.stop_campaign(demo_db, manager, CODE, stopped=False, now=at(8))
