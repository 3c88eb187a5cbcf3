"""The Sponsors panel's tables (issue #17): sponsors, their campaigns with delivery and
pacing, and a campaign's invoices. Each holds the rows of its last read (services.sponsors'
frozen rows); the panel hands them over with `set_rows`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.models.promotion_models import Column, RowsModel, short_day
from domain.money import format_rupees
from domain.sponsor_billing import Pacing, PaymentStatus
from services.sponsors import CampaignStatus, InvoiceRow, SponsorRow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
PACING_COLOURS = {
    Pacing.AHEAD: "#0b5c55",
    Pacing.ON_TRACK: "#0b5c55",
    Pacing.BEHIND: "#b42318",
}
STATUS_COLOURS = {
    "issued": "#8a5a00",
    "partially_paid": "#8a5a00",
    "paid": "#0b5c55",
    "refund_due": "#b42318",
}
KIND_NAMES = {"deposit": "Deposit", "recurring": "Cycle", "final_settlement": "Final settlement"}


def words(value: str) -> str:
    """'partially_paid' -> 'Partially paid'."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def delivery_text(row: CampaignStatus) -> str:
    """'312 / 1,000' charged of the limit."""
    return f"{row.charged:,} / {row.limit:,}"


def chain_text(row: CampaignStatus) -> str:
    """', 9 charged across the chain' when the other branches' count in (rule 11's hard
    stop counts them), else nothing."""
    if row.charged_in_chain == row.charged:
        return ""
    return f", {row.charged_in_chain:,} charged across the chain"


def payment_text(status: PaymentStatus) -> str:
    return words(status.value)


class SponsorsModel(RowsModel[SponsorRow]):
    """Every sponsor: its name over its GST state and how many campaigns it has."""

    columns = (
        Column[SponsorRow](
            "Sponsor",
            lambda r: f"{r.legal_name}\n{sponsor_line(r)}",
            tooltip=lambda r: f"{r.legal_name}\nGSTIN {r.gstin or 'unregistered'}",
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: str(r.id), parent)


def sponsor_line(row: SponsorRow) -> str:
    """'State 29, 1 campaign', or 'Head office, 1 campaign' for a sponsor the branch
    received from the centre (which bills it: its GST state is the centre's concern)."""
    plural = "campaign" if row.campaigns == 1 else "campaigns"
    where = "Head office" if row.head_office else f"State {row.state_code}"
    return f"{where}, {row.campaigns} {plural}"


def campaign_title(row: CampaignStatus) -> str:
    """'GLOWCO-NOV', or 'GLOWCO-NOV (head office)' for the head office's campaign."""
    return f"{row.campaign_code} (head office)" if row.head_office else row.campaign_code


HEAD_OFFICE_CAMPAIGN = (
    "Head office runs and bills this campaign for every branch: this branch records its "
    "impressions."
)


class CampaignsModel(RowsModel[CampaignStatus]):
    """A sponsor's campaigns: delivery against the limit, today, pacing, budget left and
    payment status."""

    columns = (
        Column[CampaignStatus](
            "Campaign",
            lambda r: f"{campaign_title(r)}\n{r.campaign_name}",
            tooltip=lambda r: (
                f"{r.campaign_name} ({', '.join(r.promotions)}), "
                f"{short_day(r.start_date)} - {short_day(r.end_date)}, "
                f"{format_rupees(r.cost_per_impression)} an impression"
                + (f"\n{HEAD_OFFICE_CAMPAIGN}" if r.head_office else "")
            ),
        ),
        Column[CampaignStatus]("Delivered", delivery_text, _RIGHT),
        Column[CampaignStatus]("Today", lambda r: f"{r.charged_today:,}", _RIGHT),
        Column[CampaignStatus](
            "Pacing",
            lambda r: "Stopped" if r.stopped else words(r.pacing.value),
            tooltip=lambda r: f"Plan by today: {r.planned:,}",
        ),
        Column[CampaignStatus]("Budget left", lambda r: format_rupees(r.budget_left), _RIGHT),
        Column[CampaignStatus]("Payment", lambda r: payment_text(r.payment_status)),
    )
    PACING = 3

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.campaign_code, parent)

    def foreground(self, row: CampaignStatus, column: int) -> QColor | None:
        if column == self.PACING and not row.stopped and row.pacing in PACING_COLOURS:
            return QColor(PACING_COLOURS[row.pacing])
        return None


def period_text(row: InvoiceRow) -> str:
    """'1 - 24 Nov 2026', '25 Oct - 24 Nov 2026', or '-' for a deposit."""
    start, end = row.period_start, row.period_end
    if start is None or end is None:
        return "-"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day} - {short_day(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%b} - {short_day(end)}"
    return f"{short_day(start)} - {short_day(end)}"


def kind_text(row: InvoiceRow) -> str:
    """'Deposit', 'Cycle 2', 'Final settlement', or 'Credit note' for a settlement that
    refunds (domain.sponsor_billing rule 12)."""
    if row.invoice_type == "recurring":
        return f"Cycle {row.billing_cycle_number}"
    if row.refund:
        return "Credit note"
    return KIND_NAMES.get(row.invoice_type, row.invoice_type)


def total_text(row: InvoiceRow) -> str:
    """An invoice's total; a credit note's refund as a credit, with a minus sign
    ('-Rs.401.20'), as a reduction reads everywhere else in the app."""
    return format_rupees(-row.refund if row.refund else row.total)


def total_tooltip(row: InvoiceRow) -> str:
    if row.refund:
        return (
            f"Credit note: {format_rupees(row.refund)} credited to the sponsor "
            f"({format_rupees(row.taxable)} and its GST {format_rupees(row.tax)})"
        )
    return ""


class InvoicesModel(RowsModel[InvoiceRow]):
    """A campaign's sponsor invoices: number over kind, period, total, still owed, status."""

    columns = (
        Column[InvoiceRow]("Invoice", lambda r: f"{r.invoice_number}\n{kind_text(r)}"),
        Column[InvoiceRow](
            "Period",
            period_text,
            tooltip=lambda r: (
                f"{r.impressions:,} impressions, {r.clicks:,} clicks, {r.conversions:,} conversions"
            ),
        ),
        Column[InvoiceRow]("Total", total_text, _RIGHT, tooltip=total_tooltip),
        Column[InvoiceRow]("Owed", lambda r: format_rupees(r.outstanding), _RIGHT),
        Column[InvoiceRow]("Status", lambda r: words(r.status)),
    )
    STATUS = 4

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.invoice_number, parent)

    def foreground(self, row: InvoiceRow, column: int) -> QColor | None:
        if column == self.STATUS and row.status in STATUS_COLOURS:
            return QColor(STATUS_COLOURS[row.status])
        return None
