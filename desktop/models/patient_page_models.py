"""The patient page's tables: the patient's invoices, the promotions they used, their
callbacks and their payments, newest first as the service reads them, times in the branch's
zone; and the invoices they still owe on, oldest first (the order a settlement pays them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.models.promotion_models import Column, RowsModel, short_day, status_text
from domain.callbacks import Reason, Status
from domain.money import format_rupees
from services.patients import PatientCallback, PatientInvoice, PatientPromotion
from services.payments import Due, PaymentEntry

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# An invoice that no longer counts (cancelled, refunded) reads muted; an issued one plainly.
_MUTED = QColor("#7b8794")
# What each kind of payment row is called on the page.
PAYMENT_KINDS = {
    "sale": "Sale",
    "settlement": "Settlement",
    "advance": "Advance",
    "refund": "Refund",
    "reversal": "Reversal",
}


def local_time(at: datetime, zone: ZoneInfo) -> str:
    """'10 Apr 2025 12:45' in the branch's zone (a naive time is taken as already local)."""
    if at.tzinfo is not None:
        at = at.astimezone(zone)
    return f"{short_day(at.date())} {at:%H:%M}"


def reason_text(reason: str) -> str:
    """A callback's reason as the Callbacks panel names it ('Complaint')."""
    try:
        return Reason(reason).label
    except ValueError:
        return status_text(reason.replace("_", " "))


def callback_status_text(status: str) -> str:
    try:
        return Status(status).label
    except ValueError:
        return status_text(status.replace("_", " "))


class PatientInvoicesModel(RowsModel[PatientInvoice]):
    """The patient's invoices: number, date, payable and status."""

    columns = (
        Column[PatientInvoice]("Number", lambda r: r.number),
        Column[PatientInvoice]("Date", lambda r: short_day(r.invoice_date)),
        Column[PatientInvoice]("Payable", lambda r: format_rupees(r.payable), _RIGHT),
        Column[PatientInvoice]("Status", lambda r: status_text(r.status)),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.number, parent)

    def foreground(self, row: PatientInvoice, column: int) -> QColor | None:
        return None if row.status == "issued" else _MUTED


class PatientPromotionsModel(RowsModel[PatientPromotion]):
    """The promotions the patient used: which, the discount, and on which invoice when."""

    def __init__(self, timezone: str = "UTC", parent: Any = None) -> None:
        super().__init__(lambda r: f"{r.invoice_number}/{r.campaign_code}", parent)
        zone = ZoneInfo(timezone)
        # The invoice over the time it was used: two lines, so a long code keeps its room.
        self.columns = (
            Column[PatientPromotion]("Promotion", lambda r: r.campaign_code),
            Column[PatientPromotion]("Discount", lambda r: format_rupees(r.discount), _RIGHT),
            Column[PatientPromotion](
                "Used on", lambda r: f"{r.invoice_number}\n{local_time(r.used_at, zone)}"
            ),
        )


class PatientCallbacksModel(RowsModel[PatientCallback]):
    """The patient's callbacks: when asked, why, where they stand and how they ended."""

    def __init__(self, timezone: str = "UTC", parent: Any = None) -> None:
        super().__init__(lambda r: f"{r.requested_at.isoformat()}/{r.reason}", parent)
        zone = ZoneInfo(timezone)
        self.columns = (
            Column[PatientCallback]("Asked", lambda r: local_time(r.requested_at, zone)),
            Column[PatientCallback]("Reason", lambda r: reason_text(r.reason)),
            Column[PatientCallback]("Status", lambda r: callback_status_text(r.status)),
            Column[PatientCallback](
                "Outcome", lambda r: r.outcome or "-", tooltip=lambda r: r.outcome or ""
            ),
        )


class PatientDuesModel(RowsModel[Due]):
    """The patient's open invoices: number, date, payable and what each still owes."""

    columns = (
        Column[Due]("Number", lambda r: r.invoice_number),
        Column[Due]("Date", lambda r: short_day(r.invoice_date)),
        Column[Due]("Payable", lambda r: format_rupees(r.total_amount), _RIGHT),
        Column[Due]("Owes", lambda r: format_rupees(r.owed), _RIGHT),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.invoice_number, parent)


def payment_kind_text(kind: str) -> str:
    return PAYMENT_KINDS.get(kind, status_text(kind.replace("_", " ")))


def payment_method_text(entry: PaymentEntry) -> str:
    """'UPI UTR4455', the branch's name for the method and the reference, when there is one."""
    return f"{entry.label} {entry.reference}".strip()


def payment_detail(entry: PaymentEntry) -> str:
    """What a payment did, under its kind: the invoice ('IND/26-27/02129, reversed'); a
    reversal's reason; an advance kept for later."""
    if entry.reverses_id is not None:
        return entry.notes or "Reversed"
    paid_to = entry.invoice_number or ("Kept as an advance" if entry.kind == "advance" else "-")
    return f"{paid_to}, reversed" if entry.reversed else paid_to


def payment_tooltip(entry: PaymentEntry) -> str:
    """Everything about the row, for a detail cut short in a narrow window."""
    parts = [payment_method_text(entry), entry.invoice_number or "", entry.notes]
    return " - ".join(part for part in parts if part)


class PatientPaymentsModel(RowsModel[PaymentEntry]):
    """The patient's payments, newest first, in two-line cells: the day over the time; the
    kind and method over what it paid (or a reversal's reason); the amount."""

    def __init__(self, timezone: str = "UTC", parent: Any = None) -> None:
        super().__init__(lambda r: str(r.id), parent)
        zone = ZoneInfo(timezone)
        self.columns = (
            Column[PaymentEntry](
                "When", lambda r: "\n".join(local_time(r.at, zone).rsplit(" ", 1))
            ),
            Column[PaymentEntry](
                "Payment",
                lambda r: (
                    f"{payment_kind_text(r.kind)} by {payment_method_text(r)}\n{payment_detail(r)}"
                ),
                tooltip=payment_tooltip,
            ),
            Column[PaymentEntry]("Amount", lambda r: format_rupees(r.amount), _RIGHT),
        )

    def foreground(self, row: PaymentEntry, column: int) -> QColor | None:
        # A reversed payment and the reversal itself no longer count: muted.
        return _MUTED if row.reversed or row.reverses_id is not None else None
