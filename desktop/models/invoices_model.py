"""The Invoices panel's table: invoices found again, newest first (issue #11)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.models.promotion_models import Column, RowsModel
from domain.money import format_rupees
from services.invoice_search import InvoiceRow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CANCELLED = "#b42318"
_PART = "#b54708"


def day_text(day: date) -> str:
    """'02 Dec 2026'."""
    return f"{day.day:02d} {day:%b %Y}"


def mobile_text(mobile: str) -> str:
    """'7992905876' -> '79929 05876'."""
    return f"{mobile[:5]} {mobile[5:]}" if len(mobile) == 10 else mobile


# Where an invoice stands, as the Status column says it.
PAID_STATE_TEXT = {
    "paid": "Paid",
    "partly_paid": "Partly paid",
    "due": "Due",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}


def status_text(row: InvoiceRow) -> str:
    text = PAID_STATE_TEXT.get(row.paid_state, row.paid_state)
    return f"{text} (history)" if row.is_history else text


def status_tooltip(row: InvoiceRow) -> str:
    if row.owed:
        return f"{format_rupees(row.owed)} still owed"
    return ""


class InvoicesModel(RowsModel[InvoiceRow]):
    """Number, date, patient, mobile, payable, paid and status of each invoice found."""

    columns = (
        Column[InvoiceRow]("Number", lambda r: r.number),
        Column[InvoiceRow]("Date", lambda r: day_text(r.invoice_date)),
        Column[InvoiceRow]("Patient", lambda r: r.patient_name, tooltip=lambda r: r.patient_name),
        Column[InvoiceRow]("Mobile", lambda r: mobile_text(r.patient_mobile)),
        Column[InvoiceRow]("Payable Rs.", lambda r: format_rupees(r.payable, symbol=""), _RIGHT),
        Column[InvoiceRow]("Paid Rs.", lambda r: format_rupees(r.paid, symbol=""), _RIGHT),
        Column[InvoiceRow]("Status", status_text, tooltip=status_tooltip),
    )
    PAID = 5
    STATUS = 6

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.number, parent)

    def foreground(self, row: InvoiceRow, column: int) -> QColor | None:
        if column == self.STATUS and row.paid_state in ("cancelled", "due"):
            return QColor(_CANCELLED)
        if column == self.STATUS and row.paid_state == "partly_paid":
            return QColor(_PART)
        return None
