"""Sponsored campaigns billed per impression (issue #17, seed 002): billing cycles, sponsor
invoices, the campaign's payment status, pacing and which impressions count.

Pure: no database, no clock (`today` and `now` are passed in), money in paise. Seed 002's
separation holds: the campaign's settings, its billing records (sponsor invoices) and the
raw impressions stay apart; clicks and conversions are counted from impressions when asked.

The rules a clinic's manager reads:

1. A campaign is billed in cycles: weekly (seven days from the flight's first day),
   monthly (calendar months) or once at the end. A cycle's period is a range of the
   branch's dates, both ends included, clipped to the flight. A period may end today: it
   bills what has been charged so far, and the next period starts the day after it.
2. What a campaign may bill is its limit: the booked impressions, and no more than its
   budget buys at its cost per impression (budget // rate). Billed impressions never go
   above it: a cycle bills what was charged in its period and not billed before, up to
   what the limit still leaves; the rest is over-delivery, reported and never billed.
3. A recurring invoice's amount is impressions x rate. The campaign's discount (a percent)
   comes off that amount, half-up to the paisa; GST is added on what is left.
4. A deposit invoice bills the deposit up front, with GST on it. Deposits are credited at
   the end, never against a recurring invoice.
5. The final settlement bills the last period's impressions, less its discount, less every
   deposit invoiced: what is left is billed with GST; a negative balance is refunded to the
   sponsor with the GST that was charged on it.
6. Advertising is a taxable service at 18%. GST is added to the taxable value, half-up to
   the paisa: CGST and SGST, half each with the odd paisa on CGST, when the sponsor's state
   is the clinic's state; IGST at the whole rate otherwise (domain.gst rule 2's split).
7. A sponsor invoice is paid in one or more payments, never above what it still owes.
   Its status: issued (nothing paid), partially_paid, paid; a settlement that refunds is
   refund_due.
8. The campaign's payment status (seed 002's function): no_invoices when none was issued;
   fully_paid when no invoice owes anything; deposit_pending when a deposit invoice still
   owes; partially_paid otherwise.
9. Pacing compares the impressions delivered with the linear plan: booked x the elapsed
   share of the flight's days (today counted as elapsed). Within 10% of the plan either way
   (the tolerance, `PACING_TOLERANCE_PERCENT`) is on track; above it ahead, below it behind.
   Before the first day the campaign has not started; after the last it has ended.
10. An impression is a sponsored badge shown at the counter or printed on an invoice. It is
    viewable when it was printed, or shown for at least one second (`VIEWABLE_MS`) while
    the window had the focus. It is unique for the first showing to the same patient
    (or the same walk-in cart), of the same campaign, on the same day. It is charged
    (billable) when viewable, unique and the campaign still had impressions left.
11. The hard stop: once the campaign's charged impressions reach its limit, the badge is no
    longer shown nor applied. A branch offline cannot see the others' impressions, so it
    may charge at most its quota of impressions that the centre has not yet acknowledged;
    the overrun of all branches together is bounded by their quotas. At the centre the
    first impressions charged (by time, then id) up to the limit are billable and the
    rest is each branch's overrun, reported and never billed.
12. A final settlement that refunds is not a tax invoice: the deposit's tax invoice charged
    a taxable value above what was supplied, so the settlement is a credit note against it
    (section 34(1) of the CGST Act; its particulars are rule 53(1A)'s: the nature of the
    document, a number of its own series, unique in the financial year, and the number and
    date of the tax invoice it corrects), crediting the taxable value and the GST on it.
"""

from __future__ import annotations

import calendar
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from domain.errors import BadInput
from domain.gst import LineTax, split_line
from domain.money import round_half_up

GST_RATE = Decimal(18)
# Rule 6: the advertising service sold (SAC 998366, sale of other advertising space).
SAC = "998366"
PACING_TOLERANCE_PERCENT = 10
VIEWABLE_MS = 1000
_HUNDRED = Decimal(100)


class SponsorBillingError(BadInput):
    """A sponsor billing setting or request that cannot be used."""


class BillingFrequency(StrEnum):
    """Rule 1: how often a campaign is billed."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    AT_END = "at_end"


class SponsorInvoiceType(StrEnum):
    """Seed 002's invoice types."""

    DEPOSIT = "deposit"
    RECURRING = "recurring"
    FINAL_SETTLEMENT = "final_settlement"


class SponsorInvoiceStatus(StrEnum):
    """Rule 7."""

    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    REFUND_DUE = "refund_due"


class PaymentStatus(StrEnum):
    """Rule 8: seed 002's get_campaign_payment_status."""

    NO_INVOICES = "no_invoices"
    FULLY_PAID = "fully_paid"
    DEPOSIT_PENDING = "deposit_pending"
    PARTIALLY_PAID = "partially_paid"


class Pacing(StrEnum):
    """Rule 9."""

    NOT_STARTED = "not_started"
    AHEAD = "ahead"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    ENDED = "ended"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# ---------------------------------------------------------------------------- rule 1


@dataclass(frozen=True)
class Period:
    """A billing period: the branch's dates from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise SponsorBillingError("A billing period ends on or after the day it starts")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def billing_periods(flight: Period, frequency: BillingFrequency) -> list[Period]:
    """Rule 1: the flight cut into its billing periods."""
    if frequency is BillingFrequency.AT_END:
        return [flight]
    periods: list[Period] = []
    start = flight.start
    while start <= flight.end:
        if frequency is BillingFrequency.WEEKLY:
            end = start + timedelta(days=6)
        else:
            end = _month_end(start)
        end = min(end, flight.end)
        periods.append(Period(start, end))
        start = end + timedelta(days=1)
    return periods


def check_period(period: Period, flight: Period, today: date) -> Period:
    """Rule 1: a period to bill lies within the flight and ends today at the latest."""
    if period.end > today:
        raise SponsorBillingError(
            f"A billing period ends today at the latest, not {period.end.isoformat()}"
        )
    if period.start < flight.start or period.end > flight.end:
        raise SponsorBillingError(
            f"The period {period.start.isoformat()} to {period.end.isoformat()} lies outside "
            f"the campaign's flight, {flight.start.isoformat()} to {flight.end.isoformat()}"
        )
    return period


# ---------------------------------------------------------------------------- rules 2 to 6


def impression_limit(booked: int, budget: int, rate: int) -> int:
    """Rule 2: the impressions a campaign may bill (booked, and what its budget buys)."""
    if rate <= 0:
        raise SponsorBillingError("The cost per impression is more than zero")
    return min(booked, budget // rate)


def billable_now(charged_unbilled: int, billed_before: int, limit: int) -> tuple[int, int]:
    """Rule 2: (impressions to bill, over-delivery never billed) for one cycle."""
    room = max(0, limit - billed_before)
    billed = min(charged_unbilled, room)
    return billed, charged_unbilled - billed


def discount_on(amount: int, percent: Decimal) -> int:
    """Rule 3: the campaign's discount on an amount, half-up to the paisa."""
    return round_half_up(Decimal(amount) * percent / _HUNDRED)


def add_gst(taxable: int, *, inter_state: bool, rate: Decimal = GST_RATE) -> LineTax:
    """Rule 6: GST on top of a (non-negative) taxable value, split by the sponsor's state
    as domain.gst splits it; `amount` is the taxable value with its GST."""
    if taxable < 0:
        raise SponsorBillingError("A taxable value cannot be negative")
    tax = round_half_up(Decimal(taxable) * rate / _HUNDRED)
    # Backing the tax out of the sum gives `tax` again (its rounding error is under
    # half a paisa), so the split is domain.gst rule 2's own.
    return split_line(taxable + tax, rate, inter_state=inter_state)


def is_inter_state(clinic_state: str, sponsor_state: str) -> bool:
    """Rule 6: IGST when the sponsor's state (its GSTIN's, domain.gst) is not the clinic's."""
    return clinic_state != sponsor_state


@dataclass(frozen=True)
class InvoiceFigures:
    """One sponsor invoice's figures (seed 002's columns), in paise.

    `amount` is impressions x rate (a deposit's own amount for a deposit invoice);
    `deposit_amount` the deposit credited (a settlement) or billed (a deposit invoice);
    `tax` the GST on the taxable value; `total` what the sponsor owes for it; `refund`
    what the clinic owes back (a settlement below the deposits).
    """

    invoice_type: SponsorInvoiceType
    impressions: int
    rate: int
    amount: int
    discount: int
    deposit_amount: int
    tax: LineTax
    refund: int

    @property
    def total(self) -> int:
        return 0 if self.refund else self.tax.amount


def deposit_invoice(deposit: int, *, inter_state: bool) -> InvoiceFigures:
    """Rule 4: the deposit billed up front, with GST."""
    if deposit <= 0:
        raise SponsorBillingError("This campaign has no deposit to invoice")
    return InvoiceFigures(
        SponsorInvoiceType.DEPOSIT,
        0,
        0,
        deposit,
        0,
        deposit,
        add_gst(deposit, inter_state=inter_state),
        0,
    )


def recurring_invoice(
    impressions: int, rate: int, *, discount_percent: Decimal, inter_state: bool
) -> InvoiceFigures:
    """Rule 3: one cycle's impressions x rate, less the discount, plus GST."""
    amount = impressions * rate
    discount = discount_on(amount, discount_percent)
    return InvoiceFigures(
        SponsorInvoiceType.RECURRING,
        impressions,
        rate,
        amount,
        discount,
        0,
        add_gst(amount - discount, inter_state=inter_state),
        0,
    )


def final_settlement(
    impressions: int,
    rate: int,
    *,
    discount_percent: Decimal,
    deposits: int,
    inter_state: bool,
) -> InvoiceFigures:
    """Rule 5: the last period's impressions less discount and deposits; what is left is
    billed, a negative balance is refunded with the GST charged on it."""
    amount = impressions * rate
    discount = discount_on(amount, discount_percent)
    balance = amount - discount - deposits
    tax = add_gst(abs(balance), inter_state=inter_state)
    refund = tax.amount if balance < 0 else 0
    return InvoiceFigures(
        SponsorInvoiceType.FINAL_SETTLEMENT,
        impressions,
        rate,
        amount,
        discount,
        deposits,
        tax,
        refund,
    )


# ---------------------------------------------------------------------------- rules 7, 8


def is_credit_note(figures: InvoiceFigures) -> bool:
    """Rule 12: a settlement that refunds is a credit note against the deposit's invoice."""
    return figures.refund > 0


def invoice_status(total: int, paid: int, refund: int = 0) -> SponsorInvoiceStatus:
    """Rule 7: an invoice's status from what it bills and what was paid on it."""
    if refund:
        return SponsorInvoiceStatus.REFUND_DUE
    if paid >= total:
        return SponsorInvoiceStatus.PAID
    return SponsorInvoiceStatus.PARTIALLY_PAID if paid else SponsorInvoiceStatus.ISSUED


def check_payment(amount: int, outstanding: int) -> int:
    """Rule 7: a payment is more than zero and at most what the invoice still owes."""
    if amount <= 0:
        raise SponsorBillingError("A payment is more than zero")
    if amount > outstanding:
        raise SponsorBillingError(
            "This payment is more than the invoice still owes; record at most what is due"
        )
    return amount


@dataclass(frozen=True)
class InvoiceBalance:
    """What rule 8 needs of one invoice."""

    invoice_type: SponsorInvoiceType
    outstanding: int


def payment_status(invoices: Sequence[InvoiceBalance]) -> PaymentStatus:
    """Rule 8: seed 002's payment status of a campaign."""
    if not invoices:
        return PaymentStatus.NO_INVOICES
    owing = [invoice for invoice in invoices if invoice.outstanding > 0]
    if not owing:
        return PaymentStatus.FULLY_PAID
    if any(invoice.invoice_type is SponsorInvoiceType.DEPOSIT for invoice in owing):
        return PaymentStatus.DEPOSIT_PENDING
    return PaymentStatus.PARTIALLY_PAID


# ---------------------------------------------------------------------------- rule 9


@dataclass(frozen=True)
class PacingReport:
    """Rule 9: delivery against the linear plan."""

    pacing: Pacing
    delivered: int
    planned: int
    elapsed_days: int
    flight_days: int


def pacing(delivered: int, booked: int, flight: Period, today: date) -> PacingReport:
    """Rule 9: ahead, on track or behind the linear plan, within the tolerance."""
    total = flight.days
    elapsed = min(max((today - flight.start).days + 1, 0), total)
    planned = booked * elapsed // total
    if today < flight.start:
        state = Pacing.NOT_STARTED
    elif today > flight.end:
        state = Pacing.ENDED
    else:
        # delivered / (booked x elapsed / total) against 1 +- tolerance, in integers.
        scaled = delivered * total * 100
        plan = booked * elapsed
        if scaled > plan * (100 + PACING_TOLERANCE_PERCENT):
            state = Pacing.AHEAD
        elif scaled < plan * (100 - PACING_TOLERANCE_PERCENT):
            state = Pacing.BEHIND
        else:
            state = Pacing.ON_TRACK
    return PacingReport(state, delivered, planned, elapsed, total)


# ---------------------------------------------------------------------------- rules 10, 11


def is_viewable(shown_ms: int, *, printed: bool = False) -> bool:
    """Rule 10: printed, or shown for at least a second on a focused window."""
    return printed or shown_ms >= VIEWABLE_MS


def unique_key(campaign: Hashable, viewer: Hashable, moment: datetime) -> tuple[Hashable, ...]:
    """Rule 10: what makes an impression unique: campaign, patient (or cart) and the day of
    `moment` (pass it in the branch's time zone)."""
    if moment.tzinfo is None:
        raise ValueError("An impression's moment is an aware instant")
    return (campaign, viewer, moment.date())


def is_charged(*, viewable: bool, unique: bool, room_left: bool) -> bool:
    """Rule 10: an impression is billable when viewable, unique and within the limit."""
    return viewable and unique and room_left


def may_show(charged_known: int, limit: int, unacknowledged: int, quota: int | None) -> bool:
    """Rule 11: the badge is shown (and applied) while the limit is not reached and this
    branch has not used up its quota of impressions the centre has not acknowledged."""
    if charged_known >= limit:
        return False
    return quota is None or unacknowledged < quota


@dataclass(frozen=True)
class ChargedImpression:
    """What rule 11's centre needs of a charged impression."""

    id: str
    branch: str
    charged_at: datetime


@dataclass(frozen=True)
class Overrun:
    """Rule 11 at the centre: the billable impressions and each branch's overrun."""

    billable: list[str]
    overrun_by_branch: dict[str, int]


def split_overrun(impressions: Iterable[ChargedImpression], limit: int) -> Overrun:
    """Rule 11: the first `limit` charged impressions (by time, then id) are billable; the
    rest are their branches' overrun."""
    ordered = sorted(impressions, key=lambda row: (row.charged_at, row.id))
    overrun: dict[str, int] = {}
    for row in ordered[limit:]:
        overrun[row.branch] = overrun.get(row.branch, 0) + 1
    return Overrun([row.id for row in ordered[:limit]], overrun)
