"""The Sponsors panel's dialogs (issue #17): a sponsor, a sponsored campaign, a billing
cycle and a sponsor's payment. Each saves with one services.sponsors call in the
background; a refusal that names a field shows beside it (desktop.dialogs.spec_form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.spec_form import INPUT_WIDTH, SpecDialog, plain_number_box, split_list
from domain.errors import BadInput
from domain.money import format_rupees, rupees_to_paise
from domain.sponsor_billing import BillingFrequency, Period
from domain.sponsor_spec import SponsorSpec
from services import sponsors
from services.auth import CurrentUser

FREQUENCIES = (
    (BillingFrequency.WEEKLY, "Weekly"),
    (BillingFrequency.MONTHLY, "Monthly"),
    (BillingFrequency.AT_END, "Once, at the end"),
)
METHOD_NAMES = {
    "bank_transfer": "Bank transfer",
    "upi": "UPI",
    "cheque": "Cheque",
    "card": "Card",
    "cash": "Cash",
}
# A row of a dialog's form: field, caption (with its mnemonic), input, hint.
Row = tuple[str, str, QWidget, str]


def _line(placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setMinimumWidth(INPUT_WIDTH)
    edit.setPlaceholderText(placeholder)
    return edit


def _date_edit(day: date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd MMM yyyy")
    edit.setMinimumWidth(160)
    plain_number_box(edit)  # typed like the other fields; the arrow opens a calendar
    return edit


def _day(edit: QDateEdit) -> date:
    value = edit.date().toPython()
    assert isinstance(value, date)
    return value


class _FormDialog(SpecDialog):
    """A heading, rows of captioned inputs with their messages, the status and Save."""

    def _lay_out(
        self, title: str, heading: str, rows: Sequence[Row], size: tuple[int, int]
    ) -> None:
        self.setWindowTitle(title)
        self.setStyleSheet(theme.section("spec-dialog"))  # the promotion dialogs' look
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        for row, (field, caption, widget, hint) in enumerate(rows):
            self.form.add_row(grid, row, field, caption, widget, hint=hint)
        grid.setColumnMinimumWidth(0, 96)
        grid.setColumnStretch(2, 1)
        label = QLabel(heading)
        label.setObjectName("FormHeading")
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 18, 24, 16)
        column.setSpacing(10)
        column.addWidget(label)
        column.addLayout(grid)
        column.addStretch(1)
        column.addWidget(self.status_label)
        column.addWidget(self.button_box())
        self.fit(*size)
        rows[0][2].setFocus()


class SponsorDialog(_FormDialog):
    """A new sponsor: legal name, GSTIN (its state read from it) or state, contact, address."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user, self._clock = db, user, clock
        self.name_edit = _line("As on the sponsor's GST registration")
        self.gstin_edit = _line("e.g. 27AABCG5678L1Z2")
        self.state_edit = _line("e.g. 27 (read from the GSTIN if given)")
        self.contact_edit = _line()
        self.email_edit = _line()
        self.phone_edit = _line()
        self.address_edit = _line("Printed on its invoices")
        self.fallback_field = "legal_name"
        self._lay_out(
            "New sponsor",
            "Sponsor",
            [
                ("legal_name", "&Legal name", self.name_edit, ""),
                ("gstin", "&GSTIN", self.gstin_edit, "Empty for an unregistered sponsor."),
                ("state_code", "&State code", self.state_edit, "Decides CGST+SGST or IGST."),
                ("contact_name", "&Contact", self.contact_edit, ""),
                ("contact_email", "&E-mail", self.email_edit, ""),
                ("contact_phone", "&Phone", self.phone_edit, ""),
                ("billing_address", "&Address", self.address_edit, ""),
            ],
            (820, 460),
        )

    def spec(self) -> dict[str, Any]:
        return {
            "legal_name": self.name_edit.text(),
            "gstin": self.gstin_edit.text(),
            "state_code": self.state_edit.text(),
            "contact_name": self.contact_edit.text(),
            "contact_email": self.email_edit.text(),
            "contact_phone": self.phone_edit.text(),
            "billing_address": self.address_edit.text(),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now = self._db, self._user, self._clock()
        return lambda: sponsors.add_sponsor(db, user, SponsorSpec(**spec), now=now)


class CampaignDialog(_FormDialog):
    """A new sponsored campaign: the promotions whose badges the sponsor pays for, how it is
    billed, its budget, rate, booked impressions, deposit and flight."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        sponsor_names: Sequence[str],
        *,
        sponsor: str | None,
        today: date,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user, self._clock = db, user, clock
        self.code_edit = _line("e.g. GLOWCO-DEC")
        self.name_edit = _line("e.g. Glowco serum month")
        self.sponsor_combo = QComboBox()
        self.sponsor_combo.setMinimumWidth(INPUT_WIDTH)
        self.sponsor_combo.addItems(list(sponsor_names))
        if sponsor is not None:
            self.sponsor_combo.setCurrentText(sponsor)
        self.promotions_edit = _line("Promotion codes, e.g. GLOW20, FESTIVE500")
        self.frequency_combo = QComboBox()
        for value, text in FREQUENCIES:
            self.frequency_combo.addItem(text, value.value)
        self.frequency_combo.setCurrentIndex(1)
        self.budget_edit = _line("Rupees")
        self.rate_edit = _line("Rupees an impression, e.g. 2.50")
        self.booked_edit = _line("e.g. 1000")
        self.deposit_edit = _line("Rupees (0 for none)")
        self.start_edit = _date_edit(today)
        self.end_edit = _date_edit(today)
        self.fallback_field = "campaign_code"
        self._lay_out(
            "New sponsored campaign",
            "Sponsored campaign",
            [
                ("campaign_code", "C&ode", self.code_edit, ""),
                ("campaign_name", "&Name", self.name_edit, ""),
                ("sponsor", "&Sponsor", self.sponsor_combo, ""),
                ("promotions", "&Promotions", self.promotions_edit, "Their badges are billed."),
                ("billing_frequency", "&Billed", self.frequency_combo, ""),
                ("campaign_budget", "Bud&get", self.budget_edit, "Before GST."),
                ("cost_per_impression", "&Rate", self.rate_edit, "Per billable impression."),
                ("booked_impressions", "Boo&ked", self.booked_edit, "The badge stops there."),
                ("deposit_amount", "&Deposit", self.deposit_edit, "Invoiced at once."),
                ("start_date", "&From", self.start_edit, ""),
                ("end_date", "&Until", self.end_edit, "Both days included."),
            ],
            (860, 620),
        )

    def spec(self) -> dict[str, Any]:
        booked = self.booked_edit.text().strip()
        return {
            "campaign_code": self.code_edit.text(),
            "campaign_name": self.name_edit.text(),
            "sponsor": self.sponsor_combo.currentText(),
            "promotions": split_list(self.promotions_edit.text()),
            "billing_frequency": self.frequency_combo.currentData(),
            "campaign_budget": self.budget_edit.text().strip(),
            "cost_per_impression": self.rate_edit.text().strip(),
            "booked_impressions": int(booked) if booked.isdigit() else booked,
            "deposit_amount": self.deposit_edit.text().strip() or "0",
            "start_date": _day(self.start_edit).isoformat(),
            "end_date": _day(self.end_edit).isoformat(),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now = self._db, self._user, self._clock()
        return lambda: sponsors.add_sponsored_campaign(db, user, spec, now=now)


class BillDialog(_FormDialog):
    """A billing cycle: a period (it may end today) for one campaign or all, or the final
    settlement. The same period billed again issues nothing new."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        campaign: str | None,
        start: date,
        today: date,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user, self._clock = db, user, clock
        self.campaign = campaign
        self.start_edit = _date_edit(start)
        self.end_edit = _date_edit(today)
        self.final_box = QCheckBox("The final settlement (deposits credited or refunded)")
        self.fallback_field = "period"
        self._lay_out(
            "Run a billing cycle",
            f"Bill {campaign}" if campaign else "Bill every campaign",
            [
                ("period", "&From", self.start_edit, "The first day billed."),
                ("end", "&Until", self.end_edit, "It may be today."),
                ("final", "&Kind", self.final_box, ""),
            ],
            (780, 300),
        )
        self.save_button.setText("&Bill")

    def spec(self) -> dict[str, Any]:
        return {
            "start": _day(self.start_edit),
            "end": _day(self.end_edit),
            "final": self.final_box.isChecked(),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now, code = self._db, self._user, self._clock(), self.campaign

        def bill() -> dict[str, sponsors.BillingResult]:
            period = Period(spec["start"], spec["end"])
            if code is None:
                return sponsors.bill_every_campaign(db, user, period, final=spec["final"], now=now)
            result = sponsors.bill_sponsor_period(
                db, user, code, period, final=spec["final"], now=now
            )
            return {code: result}

        return bill


class PaymentDialog(_FormDialog):
    """A sponsor's payment on one invoice: part or all of what it still owes."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        invoice: sponsors.InvoiceRow,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user, self._clock = db, user, clock
        self.invoice = invoice
        self.amount_edit = _line("Rupees")
        self.amount_edit.setText(f"{invoice.outstanding // 100}.{invoice.outstanding % 100:02d}")
        self.method_combo = QComboBox()
        for method in sponsors.METHODS:
            self.method_combo.addItem(METHOD_NAMES.get(method, method), method)
        self.reference_edit = _line("UTR, cheque number")
        self.fallback_field = "amount"
        self._lay_out(
            f"Payment on {invoice.invoice_number}",
            f"Payment on {invoice.invoice_number}",
            [
                (
                    "amount",
                    "&Amount",
                    self.amount_edit,
                    f"It owes {format_rupees(invoice.outstanding)}.",
                ),
                ("method", "&Method", self.method_combo, ""),
                ("reference", "&Reference", self.reference_edit, "The transaction id."),
            ],
            (780, 300),
        )
        self.save_button.setText("&Record payment")
        self.amount_edit.selectAll()

    def spec(self) -> dict[str, Any]:
        return {
            "amount": self.amount_edit.text(),
            "method": self.method_combo.currentData(),
            "reference": self.reference_edit.text().strip(),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now, number = self._db, self._user, self._clock(), self.invoice.invoice_number

        def pay() -> sponsors.PaymentRecorded:
            try:
                amount = rupees_to_paise(spec["amount"])
            except BadInput as exc:
                raise BadInput(f"{exc} (the amount)") from None
            return sponsors.record_sponsor_payment(
                db,
                user,
                number,
                amount,
                method=spec["method"],
                reference=spec["reference"],
                now=now,
            )

        return pay
