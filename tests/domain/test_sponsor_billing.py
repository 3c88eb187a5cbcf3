"""The rules of domain.sponsor_billing, on figures worked out by hand."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sponsor_billing import (
    BillingFrequency,
    ChargedImpression,
    InvoiceBalance,
    Pacing,
    PaymentStatus,
    Period,
    SponsorBillingError,
    SponsorInvoiceStatus,
    SponsorInvoiceType,
    add_gst,
    billable_now,
    billing_periods,
    check_payment,
    check_period,
    deposit_invoice,
    final_settlement,
    impression_limit,
    invoice_status,
    is_charged,
    is_credit_note,
    is_inter_state,
    is_viewable,
    may_show,
    pacing,
    payment_status,
    recurring_invoice,
    split_overrun,
    unique_key,
)

NO_DISCOUNT = Decimal(0)
DEPOSIT, RECURRING, FINAL = (
    SponsorInvoiceType.DEPOSIT,
    SponsorInvoiceType.RECURRING,
    SponsorInvoiceType.FINAL_SETTLEMENT,
)


# A campaign at Rs.2.00 an impression with a Rs.10,000 deposit, the sponsor in the clinic's
# state: the deposit, two recurring cycles (4,000 and 5,000 impressions) and a final
# settlement of 1,500 impressions, which leaves Rs.7,000 of the deposit to refund.


def test_the_deposit_is_billed_with_cgst_and_sgst():
    figures = deposit_invoice(10_000_00, inter_state=False)
    # 18% of 10,000 = 1,800, half each.
    assert (figures.amount, figures.tax.cgst, figures.tax.sgst, figures.tax.igst) == (
        10_000_00,
        900_00,
        900_00,
        0,
    )
    assert figures.total == 11_800_00


def test_two_recurring_cycles_bill_impressions_times_rate_plus_gst():
    first = recurring_invoice(4_000, 2_00, discount_percent=NO_DISCOUNT, inter_state=False)
    second = recurring_invoice(5_000, 2_00, discount_percent=NO_DISCOUNT, inter_state=False)
    # 4,000 x 2 = 8,000 + 1,440 GST; 5,000 x 2 = 10,000 + 1,800 GST.
    assert (first.amount, first.tax.tax, first.total) == (8_000_00, 1_440_00, 9_440_00)
    assert (second.amount, second.tax.tax, second.total) == (10_000_00, 1_800_00, 11_800_00)
    assert first.deposit_amount == second.deposit_amount == 0


def test_the_final_settlement_refunds_what_the_deposit_left_with_its_gst():
    final = final_settlement(
        1_500, 2_00, discount_percent=NO_DISCOUNT, deposits=10_000_00, inter_state=False
    )
    # 1,500 x 2 = 3,000, less the 10,000 deposit: -7,000; its GST 1,260; refund 8,260.
    assert final.amount == 3_000_00
    assert final.deposit_amount == 10_000_00
    assert final.tax.taxable_value == 7_000_00
    assert final.refund == 8_260_00
    assert final.total == 0


def test_a_final_settlement_above_the_deposit_bills_the_rest():
    final = final_settlement(
        6_000, 2_00, discount_percent=NO_DISCOUNT, deposits=10_000_00, inter_state=True
    )
    # 12,000 - 10,000 = 2,000 + 360 IGST.
    assert (final.tax.taxable_value, final.tax.igst, final.total, final.refund) == (
        2_000_00,
        360_00,
        2_360_00,
        0,
    )


def test_the_discount_is_taken_half_up_and_the_odd_paisa_of_gst_goes_to_cgst():
    figures = recurring_invoice(333, 7, discount_percent=Decimal(5), inter_state=False)
    # 333 x 7 = 2,331 paise; 5% = 116.55 -> 117; taxable 2,214; 18% = 398.52 -> 399.
    assert (figures.amount, figures.discount, figures.tax.taxable_value) == (2_331, 117, 2_214)
    assert (figures.tax.cgst, figures.tax.sgst, figures.total) == (200, 199, 2_613)


def test_a_sponsor_in_another_state_pays_igst():
    assert is_inter_state("29", "27")
    assert not is_inter_state("29", "29")
    assert add_gst(10_000, inter_state=True).igst == 1_800


def test_billed_impressions_never_exceed_the_booked_quantity():
    limit = impression_limit(booked=10_000, budget=50_000_00, rate=2_00)
    assert limit == 10_000
    assert billable_now(4_000, 0, limit) == (4_000, 0)
    assert billable_now(7_000, 4_000, limit) == (6_000, 1_000)
    assert billable_now(500, 10_000, limit) == (0, 500)


def test_the_budget_limits_the_impressions_too():
    # Rs.15,000 buys 7,500 impressions at Rs.2, fewer than the 10,000 booked.
    assert impression_limit(booked=10_000, budget=15_000_00, rate=2_00) == 7_500


def test_a_free_impression_is_refused():
    with pytest.raises(SponsorBillingError):
        impression_limit(booked=10, budget=100, rate=0)


def test_each_payment_status_is_reached():
    assert payment_status([]) is PaymentStatus.NO_INVOICES
    assert payment_status([InvoiceBalance(DEPOSIT, 0), InvoiceBalance(RECURRING, 0)]) is (
        PaymentStatus.FULLY_PAID
    )
    assert payment_status([InvoiceBalance(DEPOSIT, 5_00), InvoiceBalance(RECURRING, 9_00)]) is (
        PaymentStatus.DEPOSIT_PENDING
    )
    assert payment_status([InvoiceBalance(DEPOSIT, 0), InvoiceBalance(RECURRING, 9_00)]) is (
        PaymentStatus.PARTIALLY_PAID
    )
    # A settlement that refunds owes the clinic nothing.
    assert payment_status([InvoiceBalance(FINAL, 0)]) is PaymentStatus.FULLY_PAID


def test_an_invoice_status_follows_its_payments():
    assert invoice_status(9_440_00, 0) is SponsorInvoiceStatus.ISSUED
    assert invoice_status(9_440_00, 5_000_00) is SponsorInvoiceStatus.PARTIALLY_PAID
    assert invoice_status(9_440_00, 9_440_00) is SponsorInvoiceStatus.PAID
    assert invoice_status(0, 0, refund=8_260_00) is SponsorInvoiceStatus.REFUND_DUE


def test_a_payment_above_what_is_owed_is_refused():
    assert check_payment(5_00, 9_00) == 5_00
    with pytest.raises(SponsorBillingError, match="more than the invoice still owes"):
        check_payment(10_00, 9_00)
    with pytest.raises(SponsorBillingError):
        check_payment(0, 9_00)


def test_weekly_periods_run_seven_days_from_the_first_and_the_last_is_clipped():
    flight = Period(date(2026, 11, 2), date(2026, 11, 20))
    periods = billing_periods(flight, BillingFrequency.WEEKLY)
    assert [(p.start.day, p.end.day) for p in periods] == [(2, 8), (9, 15), (16, 20)]


def test_monthly_periods_follow_calendar_months():
    flight = Period(date(2026, 11, 15), date(2027, 1, 10))
    periods = billing_periods(flight, BillingFrequency.MONTHLY)
    assert [(p.start, p.end) for p in periods] == [
        (date(2026, 11, 15), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 10)),
    ]
    assert billing_periods(flight, BillingFrequency.AT_END) == [flight]


def test_a_period_may_end_today_but_not_tomorrow_nor_outside_the_flight():
    flight = Period(date(2026, 11, 1), date(2026, 12, 31))
    today = date(2026, 12, 3)
    assert check_period(Period(date(2026, 12, 1), today), flight, today).end == today
    with pytest.raises(SponsorBillingError, match="today at the latest"):
        check_period(Period(date(2026, 12, 1), date(2026, 12, 4)), flight, today)
    with pytest.raises(SponsorBillingError, match="outside"):
        check_period(Period(date(2026, 10, 30), date(2026, 11, 5)), flight, today)
    with pytest.raises(SponsorBillingError):
        Period(date(2026, 12, 2), date(2026, 12, 1))


def test_pacing_against_the_linear_plan_with_ten_percent_either_way():
    flight = Period(date(2026, 11, 1), date(2026, 11, 30))  # 30 days, 3,000 booked
    today = date(2026, 11, 10)  # 10 days elapsed: the plan is 1,000
    assert pacing(1_000, 3_000, flight, today).pacing is Pacing.ON_TRACK
    assert pacing(1_100, 3_000, flight, today).pacing is Pacing.ON_TRACK
    assert pacing(1_101, 3_000, flight, today).pacing is Pacing.AHEAD
    assert pacing(900, 3_000, flight, today).pacing is Pacing.ON_TRACK
    assert pacing(899, 3_000, flight, today).pacing is Pacing.BEHIND
    assert pacing(1_000, 3_000, flight, today).planned == 1_000
    assert pacing(0, 3_000, flight, date(2026, 10, 31)).pacing is Pacing.NOT_STARTED
    assert pacing(0, 3_000, flight, date(2026, 12, 1)).pacing is Pacing.ENDED


def test_half_a_second_on_screen_is_not_viewable_a_second_or_a_print_is():
    assert not is_viewable(500)
    assert not is_viewable(999)
    assert is_viewable(1000)
    assert is_viewable(0, printed=True)


def test_the_same_patient_seeing_the_badge_twice_in_a_day_counts_once():
    morning = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    seen = {unique_key("c1", "p1", morning)}
    assert unique_key("c1", "p1", morning + timedelta(hours=5)) in seen
    assert unique_key("c1", "p1", morning + timedelta(days=1)) not in seen
    assert unique_key("c1", "p2", morning) not in seen
    assert unique_key("c2", "p1", morning) not in seen
    assert is_charged(viewable=True, unique=True, room_left=True)
    assert not is_charged(viewable=True, unique=False, room_left=True)
    assert not is_charged(viewable=True, unique=True, room_left=False)


def test_the_badge_stops_at_the_limit_and_at_the_offline_quota():
    assert may_show(99, 100, 0, None)
    assert not may_show(100, 100, 0, None)
    assert may_show(10, 100, 4, 5)
    assert not may_show(10, 100, 5, 5)


def test_the_centre_bills_the_first_impressions_up_to_the_limit_and_reports_the_rest():
    start = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    rows = [
        ChargedImpression(f"a{i}", "IND", start + timedelta(minutes=2 * i)) for i in range(3)
    ] + [ChargedImpression(f"b{i}", "JYN", start + timedelta(minutes=2 * i + 1)) for i in range(3)]
    result = split_overrun(rows, 4)
    assert result.billable == ["a0", "b0", "a1", "b1"]
    assert result.overrun_by_branch == {"IND": 1, "JYN": 1}


@given(
    impressions=st.integers(0, 10**6),
    rate=st.integers(1, 10_000),
    percent=st.integers(0, 100),
    inter_state=st.booleans(),
)
def test_an_invoice_is_never_negative_and_its_tax_adds_up(impressions, rate, percent, inter_state):
    figures = recurring_invoice(
        impressions, rate, discount_percent=Decimal(percent), inter_state=inter_state
    )
    assert 0 <= figures.discount <= figures.amount
    assert figures.tax.taxable_value + figures.tax.tax == figures.tax.amount == figures.total >= 0
    assert figures.tax.cgst - figures.tax.sgst in (0, 1)


@given(
    cycles=st.lists(st.integers(0, 5_000), max_size=8),
    booked=st.integers(0, 20_000),
)
def test_cycles_never_bill_more_than_the_limit(cycles, booked):
    billed = 0
    for charged in cycles:
        now, over = billable_now(charged, billed, booked)
        assert now + over == charged
        billed += now
    assert billed <= booked


@given(
    deposit=st.integers(0, 10**8),
    impressions=st.integers(0, 10**5),
    rate=st.integers(1, 1_000),
)
def test_a_settlement_either_bills_or_refunds_never_both(deposit, impressions, rate):
    final = final_settlement(
        impressions, rate, discount_percent=NO_DISCOUNT, deposits=deposit, inter_state=False
    )
    assert final.total == 0 or final.refund == 0
    balance = impressions * rate - deposit
    assert final.tax.taxable_value == abs(balance)


@given(taxable=st.integers(0, 10**12), inter_state=st.booleans())
def test_gst_added_is_eighteen_percent_half_up_whatever_the_split(taxable, inter_state):
    split = add_gst(taxable, inter_state=inter_state)
    exact = Decimal(taxable) * 18 / 100
    assert abs(Decimal(split.tax) - exact) <= Decimal("0.5")
    assert split.taxable_value == taxable


def test_only_a_settlement_that_refunds_is_a_credit_note():
    """Rule 12: below the deposit, the settlement corrects the deposit's tax invoice."""
    refunds = final_settlement(
        3, 20_00, discount_percent=NO_DISCOUNT, deposits=400_00, inter_state=False
    )
    bills = final_settlement(
        30, 20_00, discount_percent=NO_DISCOUNT, deposits=400_00, inter_state=False
    )
    assert is_credit_note(refunds) and refunds.refund == 401_20
    assert not is_credit_note(bills) and bills.total == 236_00
    assert not is_credit_note(deposit_invoice(400_00, inter_state=False))
    assert not is_credit_note(
        recurring_invoice(5, 20_00, discount_percent=NO_DISCOUNT, inter_state=True)
    )
