"""The patient page's tables: the patient's invoices, the promotions they used and their
callbacks, newest first as the service reads them, times in the branch's zone; and the
invoices they still owe on, oldest first (the order a settlement pays them)."""

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
from services.payments import Due

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# An invoice that no longer counts (cancelled, refunded) reads muted; an issued one plainly.
_MUTED = QColor("#7b8794")


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
