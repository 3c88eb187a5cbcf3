"""The Sponsors panel (issue #17; manager): sponsors on the left; the selected sponsor's
campaigns with delivery today, pacing and budget left; the selected campaign's invoices
with their status; add a sponsor or a campaign, run a billing cycle, record a payment and
open an invoice's PDF.

Every read and change runs in a background op (services.sponsors); the lists are read
again when the panel is shown and after every change, so impressions charged at the
counter show on coming back here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.sponsor_dialogs import (
    BillDialog,
    CampaignDialog,
    PaymentDialog,
    SponsorDialog,
)
from desktop.errors import error_sentence
from desktop.models.sponsor_models import (
    HEAD_OFFICE_CAMPAIGN,
    CampaignsModel,
    InvoicesModel,
    SponsorsModel,
    chain_text,
    payment_text,
)
from desktop.widgets.column_fit import ColumnsGiveWay
from desktop.widgets.empty_table import EmptyStateTable
from desktop.workers import OpCounter
from domain.log import ui as log
from domain.money import format_rupees
from services import sponsors
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.errors import ServiceError
from services.sponsors import BillingResult, CampaignStatus, InvoiceRow, SponsorRow

T = TypeVar("T")

SPONSORS_WIDTH = 240
SHORTCUTS = (
    ("Alt+S", "Sponsors: add a sponsor"),
    ("Alt+C", "Sponsors: add a sponsored campaign"),
    ("Alt+B", "Sponsors: run a billing cycle"),
    ("Alt+P", "Sponsors: record a payment on the selected invoice"),
    ("Alt+D", "Sponsors: open the selected invoice's PDF"),
    ("F5", "Sponsors: read the figures again"),
)


def bill_sentence(results: dict[str, BillingResult]) -> str:
    """What a billing cycle did, in one sentence."""
    if not results:
        return "No sponsored campaign runs in that period."
    issued = [f"{r.invoice_number} ({code})" for code, r in results.items() if r.invoice_number]
    parts = []
    if issued:
        parts.append("Issued " + ", ".join(issued) + ".")
    again = [code for code, r in results.items() if r.already_billed]
    if again:
        parts.append("Already billed: " + ", ".join(again) + ".")
    nothing = [code for code, r in results.items() if not r.invoice_number and not r.already_billed]
    if nothing:
        parts.append("Nothing to bill for " + ", ".join(nothing) + ".")
    over = sum(r.over_delivered for r in results.values())
    if over:
        parts.append(f"{over:,} impressions over the booking, not billed.")
    # At the centre: each branch's impressions past the limit (rule 11).
    overrun: dict[str, int] = {}
    for r in results.values():
        for branch, count in r.overrun_by_branch.items():
            overrun[branch] = overrun.get(branch, 0) + count
    if overrun:
        by_branch = ", ".join(f"{branch} {count:,}" for branch, count in sorted(overrun.items()))
        parts.append(f"Charged past the limit at branches, not billed: {by_branch}.")
    return " ".join(parts)


def _button(text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _table(
    model: Any, name: str, empty: tuple[str, str], widths: dict[int, int]
) -> EmptyStateTable:
    """A read-only table of two-line rows, its first column taking the room left."""
    table = EmptyStateTable(*empty)
    table.setObjectName(name.title().replace(" ", ""))
    table.setAccessibleName(name)
    table.setModel(model)
    table.set_widths(widths, stretch=0)
    table.verticalHeader().setDefaultSectionSize(48)
    return table


def _heading_row(title: str, *buttons: QPushButton) -> QHBoxLayout:
    """A pane's heading with its buttons at the right."""
    heading = QLabel(title)
    heading.setObjectName("PaneHeading")
    row = QHBoxLayout()
    row.setSpacing(8)
    row.addWidget(heading)
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


class SponsorsPanel(QWidget):
    """Sponsors, their campaigns and invoices; the dialogs that change them.

    Signals:
        refreshed(): the lists on show were just read again.
        pdf_written(str): a sponsor invoice's PDF was written to this path.
    """

    refreshed = Signal()
    pdf_written = Signal(str)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        pdf_folder: Path,
        open_file: Callable[[Path], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(theme.section("tabs-and-tables"))
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        self._pdf_folder = pdf_folder
        self._open_file = open_file
        self._reads = OpCounter(self)
        self._writes = OpCounter(self)
        self._campaigns: list[CampaignStatus] = []
        self.dialog: QDialog | None = None

        self.sponsors = SponsorsModel(self)
        self.campaigns = CampaignsModel(self)
        self.invoices = InvoicesModel(self)
        self._build()
        self._shortcuts()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.sponsors_table = _table(
            self.sponsors, "Sponsors", ("No sponsors yet", "Press + Sponsor to add one."), {}
        )
        self.new_sponsor_button = _button("+ Sponsor", "Add a sponsor (Alt+S)", self.new_sponsor)
        sponsors_top = _heading_row("Sponsors", self.new_sponsor_button)
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addLayout(sponsors_top)
        left.addWidget(self.sponsors_table, 1)
        left_frame = QFrame()
        left_frame.setFixedWidth(SPONSORS_WIDTH)
        left_frame.setLayout(left)
        left.setContentsMargins(0, 0, 0, 0)

        self.campaigns_table = _table(
            self.campaigns,
            "Sponsored campaigns",
            ("No campaigns", "Press + Campaign to add one for the selected sponsor."),
            {1: 96, 2: 66, 3: 88, 4: 108, 5: 136},
        )
        self.new_campaign_button = _button(
            "+ Campaign", "Add a sponsored campaign (Alt+C)", self.new_campaign
        )
        self.bill_button = _button(
            "Bill...",
            "Run a billing cycle for the selected campaign, or every campaign (Alt+B)",
            self.bill,
        )
        self.stop_button = _button(
            "Stop",
            "Stop the selected campaign: no more badges shown or charged; Resume starts it "
            "again (Alt+T)",
            self.toggle_stop,
        )
        campaigns_top = _heading_row(
            "Campaigns", self.new_campaign_button, self.stop_button, self.bill_button
        )
        # At the smallest window what the summary under the list says anyway (today's
        # impressions, then the payment status) gives way to the campaign's code.
        ColumnsGiveWay(
            self.campaigns_table, (1, 3, 4, 5, 2), frozenset({2, 5}), stretch_at_least=160
        )

        self.summary_label = QLabel()
        self.summary_label.setObjectName("Muted")
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Campaign summary")

        self.invoices_table = _table(
            self.invoices,
            "Sponsor invoices",
            ("No invoices", "Bill a period (or add a deposit) and its invoice shows here."),
            {1: 150, 2: 104, 3: 104, 4: 116},
        )
        self.pay_button = _button(
            "Record payment...", "A payment on the selected invoice (Alt+P)", self.record_payment
        )
        self.pdf_button = _button(
            "Open PDF", "The selected invoice as a PDF (Alt+D)", self.open_pdf
        )
        invoices_top = _heading_row("Invoices", self.pay_button, self.pdf_button)
        # The invoice's number is read whole; its period (on its PDF) gives way first.
        self.invoices_table.ensurePolished()  # measured in the style sheet's font
        number = self.invoices_table.fontMetrics().horizontalAdvance("INDS/26-27/00000") + 32
        ColumnsGiveWay(
            self.invoices_table, (2, 4, 3, 1), frozenset({1, 3}), stretch_at_least=number
        )

        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Status")

        right = QVBoxLayout()
        right.setSpacing(8)
        right.addLayout(campaigns_top)
        right.addWidget(self.campaigns_table, 3)
        right.addWidget(self.summary_label)
        right.addLayout(invoices_top)
        right.addWidget(self.invoices_table, 2)
        right.addWidget(self.status_label)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(20, 14, 20, 16)
        outer.setSpacing(18)
        outer.addWidget(left_frame)
        outer.addLayout(right, 1)

        self.sponsors_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._show_campaigns()
        )
        self.campaigns_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._show_invoices()
        )
        self.invoices_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._update_buttons()
        )
        self.invoices_table.doubleClicked.connect(lambda _index: self.open_pdf())
        # Each pane's table, then its buttons. The sponsors' table comes first: it is the
        # panel's focus proxy, where a Tab coming round the window lands.
        chain = [
            self.sponsors_table,
            self.new_sponsor_button,
            self.campaigns_table,
            self.new_campaign_button,
            self.stop_button,
            self.bill_button,
            self.invoices_table,
            self.pay_button,
            self.pdf_button,
        ]
        for before, after in zip(chain, chain[1:], strict=False):
            self.setTabOrder(before, after)
        self.setFocusProxy(self.sponsors_table)
        self._update_buttons()

    def _shortcuts(self) -> None:
        bindings: list[tuple[str, Callable[[], object]]] = [
            ("Alt+S", self.new_sponsor),
            ("Alt+C", self.new_campaign),
            ("Alt+B", self.bill),
            ("Alt+T", self.toggle_stop),
            ("Alt+P", self.record_payment),
            ("Alt+D", self.open_pdf),
            ("F5", self.refresh),
        ]
        self._shortcut_objects = []
        for keys, slot in bindings:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcut_objects.append(shortcut)

    # -- background work -----------------------------------------------------------------

    def _run(
        self,
        ops: OpCounter,
        call: Callable[[], T],
        on_success: Callable[[T], object],
    ) -> None:
        ops.run(call, on_success, self._failed)

    def is_idle(self) -> bool:
        """Nothing is being read, billed or written."""
        return self._reads.idle and self._writes.idle

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, ServiceError):
            log.error("sponsors panel: %s", error, exc_info=error)
        self.say(error_sentence(error), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        self.status_label.setText(text)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides what "today" is)."""
        self._branch = info

    # -- reading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def refresh(self) -> None:
        """Read the sponsors and every campaign again, keeping what was selected."""
        number = self._reads.begin()
        db, user, now = self._db, self._user, self._clock()

        def read() -> tuple[list[SponsorRow], list[CampaignStatus]]:
            return sponsors.list_sponsors(db, user), sponsors.sponsor_campaigns(db, user, now=now)

        self._run(self._reads, read, lambda rows: self._listed(number, *rows))

    def _listed(
        self, number: int, sponsor_rows: list[SponsorRow], campaigns: list[CampaignStatus]
    ) -> None:
        if not self._reads.is_latest(number):
            return
        sponsor = self.selected_sponsor()
        campaign = self.selected_campaign()
        invoice = self.selected_invoice()
        self._campaigns = campaigns
        self.sponsors.set_rows(sponsor_rows)
        self._select(self.sponsors_table, self.sponsors, str(sponsor.id) if sponsor else "")
        self._show_campaigns(campaign.campaign_code if campaign else "")
        if invoice is not None:
            self._select(self.invoices_table, self.invoices, invoice.invoice_number)
        self.refreshed.emit()

    @staticmethod
    def _select(table: EmptyStateTable, model: Any, key: str) -> None:
        """Select the row `key`, or the first row."""
        row = max(model.row_of(key), 0) if key else 0
        if model.rowCount():
            table.setCurrentIndex(model.index(row, 0))

    def _show_campaigns(self, keep: str = "") -> None:
        sponsor = self.selected_sponsor()
        rows = [
            c for c in self._campaigns if sponsor is not None and c.sponsor == sponsor.legal_name
        ]
        self.campaigns.set_rows(rows)
        self._select(self.campaigns_table, self.campaigns, keep)
        self._show_invoices()

    def _show_invoices(self) -> None:
        campaign = self.selected_campaign()
        self.invoices.set_rows(list(campaign.invoices) if campaign else [])
        self._select(self.invoices_table, self.invoices, "")
        self.summary_label.setText(self.summary(campaign) if campaign else "")
        self._update_buttons()

    @staticmethod
    def summary(c: CampaignStatus) -> str:
        """The selected campaign in two lines: delivery and plan, then the money."""
        return (
            f"{c.campaign_code}: {c.charged:,} of {c.limit:,} impressions delivered "
            f"({c.pacing.label}, plan {c.planned:,}){chain_text(c)}; {c.charged_today:,} today; "
            f"{c.clicks:,} clicks, {c.conversions:,} conversions; badge "
            f"{'stopped by a manager' if c.stopped else 'on show' if c.open else 'stopped'}.\n"
            f"Invoiced {format_rupees(c.invoiced)}, paid {format_rupees(c.paid)}, "
            f"owed {format_rupees(c.outstanding)}: {payment_text(c.payment_status).lower()}."
            + (f" {HEAD_OFFICE_CAMPAIGN}" if c.head_office else "")
        )

    def _update_buttons(self) -> None:
        has_sponsor = self.sponsors.rowCount() > 0
        self.new_campaign_button.setEnabled(has_sponsor)
        # The head office's campaigns are billed on the centre (services.sponsors).
        campaign = self.selected_campaign()
        self.bill_button.setEnabled(
            any(not c.head_office for c in self._campaigns)
            and (campaign is None or not campaign.head_office)
        )
        self.stop_button.setText("Resume" if campaign is not None and campaign.stopped else "Stop")
        self.stop_button.setEnabled(campaign is not None and not campaign.head_office)
        invoice = self.selected_invoice()
        self.pay_button.setEnabled(invoice is not None and invoice.outstanding > 0)
        self.pdf_button.setEnabled(invoice is not None)

    # -- selection -----------------------------------------------------------------------

    @staticmethod
    def _current(table: EmptyStateTable, model: Any) -> Any:
        row = table.currentIndex().row()
        return model.row(row) if 0 <= row < model.rowCount() else None

    def selected_sponsor(self) -> SponsorRow | None:
        found: SponsorRow | None = self._current(self.sponsors_table, self.sponsors)
        return found

    def selected_campaign(self) -> CampaignStatus | None:
        found: CampaignStatus | None = self._current(self.campaigns_table, self.campaigns)
        return found

    def selected_invoice(self) -> InvoiceRow | None:
        found: InvoiceRow | None = self._current(self.invoices_table, self.invoices)
        return found

    def select_sponsor(self, legal_name: str) -> bool:
        row = next(
            (i for i, r in enumerate(self.sponsors.rows()) if r.legal_name == legal_name), -1
        )
        if row >= 0:
            self.sponsors_table.setCurrentIndex(self.sponsors.index(row, 0))
        return row >= 0

    # -- changing ------------------------------------------------------------------------

    def _open(self, dialog: QDialog, done: Callable[[Any], object]) -> QDialog:
        self.dialog = dialog
        before = self.focusWidget() or self.sponsors_table

        def closed() -> None:
            self.dialog = None
            before.setFocus(Qt.FocusReason.OtherFocusReason)  # the keyboard carries on here

        dialog.saved.connect(done)  # type: ignore[attr-defined]
        dialog.finished.connect(lambda _result: closed())
        dialog.open()
        return dialog

    def new_sponsor(self) -> QDialog:
        """Open the new sponsor dialog; the lists are read again once it saves."""

        def added(row: SponsorRow) -> None:
            self.say(f"Added sponsor {row.legal_name}.")
            self._after_change()

        dialog = SponsorDialog(self._db, self._user, clock=self._clock, parent=self)
        return self._open(dialog, added)

    def new_campaign(self) -> QDialog | None:
        """Open the new campaign dialog for the selected sponsor."""
        if not self.sponsors.rowCount():
            self.say("Add the sponsor first.", error=True)
            return None
        sponsor = self.selected_sponsor()

        def added(code: str) -> None:
            self.say(f"Added sponsored campaign {code}.")
            self._after_change()

        dialog = CampaignDialog(
            self._db,
            self._user,
            [r.legal_name for r in self.sponsors.rows()],
            sponsor=sponsor.legal_name if sponsor else None,
            today=self._today(),
            clock=self._clock,
            parent=self,
        )
        return self._open(dialog, added)

    def bill(self) -> QDialog | None:
        """Open the billing cycle dialog: the selected campaign, from the day after its last
        billed period (or its first day) to today."""
        campaign = self.selected_campaign()
        if campaign is not None and campaign.head_office:
            self.say(HEAD_OFFICE_CAMPAIGN, error=True)
            return None
        today = self._today()
        start = today.replace(day=1)
        if campaign is not None:
            ends = [i.period_end for i in campaign.invoices if i.period_end is not None]
            start = max(ends) + timedelta(days=1) if ends else campaign.start_date
            start = min(start, today)

        def billed(results: dict[str, BillingResult]) -> None:
            self.say(bill_sentence(results))
            self._after_change()

        dialog = BillDialog(
            self._db,
            self._user,
            campaign=campaign.campaign_code if campaign else None,
            start=start,
            today=today,
            clock=self._clock,
            parent=self,
        )
        return self._open(dialog, billed)

    def toggle_stop(self) -> None:
        """Stop the selected campaign, or resume it when it is stopped."""
        campaign = self.selected_campaign()
        if campaign is None:
            self.say("Select a campaign first.", error=True)
            return
        if campaign.head_office:
            self.say(HEAD_OFFICE_CAMPAIGN, error=True)
            return
        db, user, now = self._db, self._user, self._clock()
        code, stop = campaign.campaign_code, not campaign.stopped

        def write() -> None:
            sponsors.stop_campaign(db, user, code, stopped=stop, now=now)

        def done(_nothing: None) -> None:
            self.say(
                f"Stopped {code}: its badges are no longer shown or charged (Alt+T resumes it)."
                if stop
                else f"Resumed {code}: its badges show again."
            )
            self._after_change()

        self._run(self._writes, write, done)

    def record_payment(self) -> QDialog | None:
        """Open the payment dialog for the selected invoice."""
        invoice = self.selected_invoice()
        if invoice is None or invoice.outstanding <= 0:
            self.say("Select an invoice that still owes something.", error=True)
            return None

        def paid(done: sponsors.PaymentRecorded) -> None:
            self.say(
                f"Recorded. {done.invoice_number} still owes {format_rupees(done.outstanding)}."
            )
            self._after_change()

        dialog = PaymentDialog(self._db, self._user, invoice, clock=self._clock, parent=self)
        return self._open(dialog, paid)

    def _after_change(self) -> None:
        self.refresh()

    def open_pdf(self) -> None:
        """Write the selected invoice's PDF and open it."""
        invoice = self.selected_invoice()
        if invoice is None:
            return
        db, user, number = self._db, self._user, invoice.invoice_number
        path = self._pdf_folder / f"{number.replace('/', '-')}.pdf"

        def write() -> Path:
            # Imported here: reportlab stays out of start-up (bench/startup.py).
            from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf

            render_sponsor_invoice_pdf(sponsors.sponsor_invoice_document(db, user, number), path)
            return path

        def written(done: Path) -> None:
            self.say(f"Wrote {done}.")
            self.pdf_written.emit(str(done))
            if self._open_file is not None:
                self._open_file(done)

        self._run(self._writes, write, written)
