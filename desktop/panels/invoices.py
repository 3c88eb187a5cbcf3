"""Invoices found again (issue #11): search by number, patient name or mobile, dates and
status (paid, due, cancelled, refunded); reprint the A4 invoice or the 80 mm receipt; take a
payment on one (Y); refund lines of one by a credit note (F); a manager cancels with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.counter.session import pdf_file_name
from desktop.dialogs.payment_dialog import PaymentDialog
from desktop.dialogs.refund_dialog import (
    RefundDialog,
    RefundStart,
    read_refund_start,
    refund_dialog,
)
from desktop.errors import error_sentence, log_failure
from desktop.models.invoices_model import InvoicesModel
from desktop.workers import OpCounter
from domain.money import format_rupees
from domain.payments import TenderLine
from domain.permissions import allowed
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.credit_notes import CreditNoteDocument
from services.invoice_document import InvoiceDocument
from services.invoice_search import InvoiceRow, find_invoices
from services.payment_settings import PaymentSettings, payment_settings
from services.payments import Receipt, take_payment
from services.printer_settings import PrinterSettings

SHORTCUTS = (
    ("Enter / P", "Invoices: write the A4 invoice and open it"),
    ("R", "Invoices: print the receipt again (Settings, Printer)"),
    ("Y", "Invoices: take a payment on the chosen invoice"),
    ("F", "Invoices: refund the chosen invoice (credit note)"),
)
# The search waits this long after the last key before it reads.
TYPING_PAUSE_MS = 250
# The most invoices one search shows.
LIMIT = 200
# Before this day a date field means "any day" (it shows 'Any').
NO_DATE = QDate(2000, 1, 1)
STATUSES: tuple[tuple[str, str | None], ...] = (
    ("Any", None),
    ("Due", "due"),
    ("Paid", "paid"),
    ("Refunded", "refunded"),
    ("Cancelled", "cancelled"),
    ("Issued", "issued"),
)


def _date_field(name: str) -> QDateEdit:
    field = QDateEdit()
    field.setObjectName(name)
    field.setDisplayFormat("dd-MM-yyyy")
    field.setMinimumDate(NO_DATE)
    field.setSpecialValueText("Any")
    field.setCalendarPopup(True)
    field.setDate(NO_DATE)
    field.setToolTip("Any: no limit. Type a date, or press the arrow for a calendar.")
    return field


def _day(field: QDateEdit) -> date | None:
    value = field.date()
    return None if value == NO_DATE else date(value.year(), value.month(), value.day())


class InvoicesPanel(QWidget):
    """The search line, the table of invoices found, and what can be done with one."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        invoice_folder: Path,
        open_file: Callable[[Path], object] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._branch_info = branch_info
        self._clock = clock
        self.invoice_folder = invoice_folder
        self._open_file = open_file
        self._searches = OpCounter(self)
        self._prints = OpCounter(self)
        self._cancels = OpCounter(self)
        self._payments = OpCounter(self)
        self.reason_dialog: QInputDialog | None = None
        self.payment_dialog: PaymentDialog | None = None
        self._refunds = OpCounter(self)
        self.refund_dialog: RefundDialog | None = None
        self.last_pdf: Path | None = None

        self.search = QLineEdit()
        self.search.setObjectName("invoiceSearch")
        self.search.setPlaceholderText("Number, patient name or mobile")
        self.search.setClearButtonEnabled(True)
        self.start = _date_field("invoicesFrom")
        self.end = _date_field("invoicesTo")
        self.status = QComboBox()
        self.status.setObjectName("invoicesStatus")
        for text, value in STATUSES:
            self.status.addItem(text, value)

        filters = QHBoxLayout()
        for text, field in (
            ("&Search", self.search),
            ("&From", self.start),
            ("&To", self.end),
            ("Stat&us", self.status),
        ):
            label = QLabel(text)
            label.setBuddy(field)
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(text.replace("&", "")) + 6)
            if field is not self.search:
                filters.addSpacing(8)
            filters.addWidget(label)
            filters.addWidget(field, 3 if field is self.search else 0)

        self.model = InvoicesModel(self)
        self.table = QTableView()
        self.table.setObjectName("invoicesTable")
        self.table.setModel(self.model)
        self.table.setStyleSheet(theme.section("tabs-and-tables"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        self.start.installEventFilter(self)
        self.end.installEventFilter(self)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable_actions())
        self.table.doubleClicked.connect(lambda _index: self.open_selected())

        self.message = QLabel()
        self.message.setObjectName("invoicesMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.open_button = QPushButton("Open A4  (Enter)")
        self.open_button.setToolTip("Write the A4 invoice as a PDF and open it (Enter or P)")
        self.open_button.clicked.connect(lambda: self.open_selected())
        self.receipt_button = QPushButton("Print receipt  (R)")
        self.receipt_button.setToolTip(
            "Print the receipt on the counter's printer (Settings, Printer); with no printer "
            "it is saved as a PDF and opened (R)"
        )
        self.receipt_button.clicked.connect(self.print_receipt)
        self.pay_button = QPushButton("Take payment  (Y)")
        self.pay_button.setToolTip("Take a payment on the chosen invoice (Y)")
        self.pay_button.clicked.connect(self.ask_for_payment)
        self.cancel_button: QPushButton | None = None
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        actions.addWidget(self.open_button)
        actions.addWidget(self.receipt_button)
        actions.addWidget(self.pay_button)
        self.refund_button = QPushButton("Refund  (F)")
        self.refund_button.setToolTip("Refund lines of the chosen invoice by a credit note (F)")
        self.refund_button.clicked.connect(self.ask_for_refund)
        actions.addWidget(self.refund_button)
        if allowed(user.role, "invoice.cancel"):
            self.cancel_button = QPushButton("Cancel invoice...")
            self.cancel_button.setToolTip("Cancel the chosen invoice, with a reason (manager)")
            self.cancel_button.clicked.connect(self.ask_to_cancel)
            actions.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._typing.start())
        self.search.returnPressed.connect(self._search_now)
        self.start.dateChanged.connect(lambda _d: self.refresh())
        self.end.dateChanged.connect(lambda _d: self.refresh())
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        self.setFocusProxy(self.search)
        self._enable_actions()
        self.refresh()

    # -- searching -----------------------------------------------------------------------

    def is_idle(self) -> bool:
        return (
            not self._typing.isActive()
            and self._searches.idle
            and self._prints.idle
            and self._cancels.idle
            and self._payments.idle
            and (self.payment_dialog is None or self.payment_dialog.is_idle())
            and self._refunds.idle
            and (self.refund_dialog is None or self.refund_dialog.is_idle())
        )

    def set_branch_info(self, info: BranchInfo) -> None:
        self._branch_info = info

    def _search_now(self) -> None:
        """Enter in the search box: search at once and move to the first invoice found."""
        self._typing.stop()
        self.refresh(focus_table=True)

    def refresh(self, *, focus_table: bool = False, note: str = "") -> None:
        """Read the invoices for the search line, the dates and the status, in the background."""
        self._typing.stop()
        text = self.search.text()
        start, end = _day(self.start), _day(self.end)
        status = self.status.currentData()
        db = self._db
        run = self._searches.begin()

        def found(rows: list[InvoiceRow]) -> None:
            if not self._searches.is_latest(run):
                return
            chosen = self.selected()
            self.model.set_rows(rows)
            if rows:
                row = self.model.row_of(chosen.number) if chosen is not None else -1
                self.table.selectRow(max(row, 0))
            count = len(rows)
            if not rows:
                said = "No invoice matches."
            elif count == LIMIT:
                said = f"The newest {LIMIT} invoices; type more to narrow them."
            else:
                said = f"{count} invoice{'s' * (count != 1)}."
            self.message.setText(note or said)
            self._enable_actions()
            if focus_table and rows:
                self.table.setFocus()

        def refused(error: Exception) -> None:
            if self._searches.is_latest(run):
                log_failure(error)
                self.model.set_rows([])
                self.message.setText(error_sentence(error))
                self._enable_actions()

        self._searches.run(
            lambda: find_invoices(db, text, start=start, end=end, status=status, limit=LIMIT),
            found,
            refused,
        )

    def selected(self) -> InvoiceRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _enable_actions(self) -> None:
        row = self.selected()
        self.open_button.setEnabled(row is not None)
        self.receipt_button.setEnabled(row is not None)
        self.pay_button.setEnabled(row is not None and row.owed > 0)
        self.refund_button.setEnabled(row is not None and row.status != "cancelled")
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(row is not None and row.status == "issued")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched in (self.start, self.end) and event.type() == QEvent.Type.KeyPress:
            # A date field showing 'Any' keeps Tab for its own sections and never lets go;
            # here Tab leaves it (arrows move between day, month and year).
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                self.focusNextPrevChild(event.key() == Qt.Key.Key_Tab)
                return True
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
                return False
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_P):
                self.open_selected()
                return True
            if key == Qt.Key.Key_R:
                self.print_receipt()
                return True
            if key == Qt.Key.Key_Y:
                self.ask_for_payment()
                return True
            if key == Qt.Key.Key_F:
                self.ask_for_refund()
                return True
        if watched is self.table and event.type() == QEvent.Type.FocusIn:
            self._enable_actions()
        return super().eventFilter(watched, event)

    # -- printing ------------------------------------------------------------------------

    def open_selected(self) -> None:
        """Write the chosen invoice as its A4 PDF, then open it (Enter, P)."""
        row = self.selected()
        if row is None:
            return
        db, number = self._db, row.number
        folder = self.invoice_folder
        path = folder / pdf_file_name(number)
        self.message.setText(f"Writing the invoice {number}...")

        def write() -> Path:
            from services.invoice_pdf import render_invoice_pdf
            from services.invoicing import invoice_by_number

            document = invoice_by_number(db, number)
            folder.mkdir(parents=True, exist_ok=True)
            render_invoice_pdf(document, path, variant="a4")
            return path

        def written(done: Path) -> None:
            self.last_pdf = done
            opened = self._open_file(done) if self._open_file is not None else False
            if opened is False or opened is None:
                self.message.setText(f"PDF saved to {done}")
            else:
                self.message.setText(f"Opened the invoice {number} ({done.name}).")

        def failed(error: Exception) -> None:
            log_failure(error)
            self.message.setText(error_sentence(error))

        self._prints.run(write, written, failed)

    def print_receipt(self) -> None:
        """Reprint the chosen invoice's receipt where Settings > Printer says (R)."""
        row = self.selected()
        if row is None:
            return
        db, number, folder = self._db, row.number, self.invoice_folder
        self.message.setText(f"Printing the receipt of {number}...")
        # Imported on the first print: Qt's print support is not needed to start the app.
        from desktop import printing
        from services.invoicing import invoice_by_number
        from services.printer_settings import printer_settings

        def load() -> tuple[InvoiceDocument, PrinterSettings]:
            return invoice_by_number(db, number), printer_settings(db)

        def loaded(found: tuple[InvoiceDocument, PrinterSettings]) -> None:
            document, settings = found
            printing.start_receipt(
                self._prints,
                document,
                settings,
                self,
                said=self.message.setText,
                failed=failed,
                pdf_folder=folder,
                open_file=self._open_file,
            )

        def failed(error: Exception) -> None:
            log_failure(error)
            self.message.setText(error_sentence(error))

        self._prints.run(load, loaded, failed)

    # -- cancelling ----------------------------------------------------------------------

    def ask_to_cancel(self) -> None:
        """Ask the manager why the chosen invoice is cancelled (the dialog stays open)."""
        row = self.selected()
        if row is None or self.cancel_button is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(f"Cancel invoice {row.number}")
        dialog.setLabelText(
            f"Why is {row.number} ({row.patient_name}) cancelled?\n"
            "It is kept, marked cancelled, and its promotion uses are given back."
        )
        dialog.setOkButtonText("Cancel the invoice")
        dialog.setCancelButtonText("Keep it")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.textValueSelected.connect(lambda reason: self.cancel(row.number, reason))
        self.reason_dialog = dialog
        dialog.open()

    def cancel(self, number: str, reason: str) -> None:
        """Cancel invoice `number` for `reason` in the background; the table reads again."""
        from services.invoicing import cancel_invoice

        db, user, now = self._db, self._user, self._clock()
        self.reason_dialog = None

        def done(_document: object) -> None:
            self.refresh(note=f"Invoice {number} is cancelled.")
            self.table.setFocus()

        def refused(error: Exception) -> None:
            log_failure(error)
            self.message.setText(error_sentence(error))

        self._cancels.run(
            lambda: cancel_invoice(db, user, number, reason=reason, now=now), done, refused
        )

    # -- taking a payment ----------------------------------------------------------------

    def ask_for_payment(self) -> None:
        """Y: the payment dialog for the chosen invoice, for what it still owes."""
        row = self.selected()
        if row is None:
            return
        if row.owed <= 0:
            self.message.setText(f"Invoice {row.number} owes nothing.")
            return
        db = self._db
        self.message.setText(f"Reading the payment methods for {row.number}...")
        self._payments.run(
            lambda: payment_settings(db),
            lambda settings: self._open_payment(row, settings),
            self._payment_refused,
        )

    def _open_payment(self, row: InvoiceRow, settings: PaymentSettings) -> None:
        db, user, clock, number = self._db, self._user, self._clock, row.number

        def take(line: TenderLine) -> Receipt:
            return take_payment(db, user, number, [line], now=clock())

        dialog = PaymentDialog(
            "Take a payment",
            f"Invoice {number}, {row.patient_name}: payable {format_rupees(row.payable)},"
            f" paid {format_rupees(row.paid)}.",
            settings.offered,
            row.owed,
            take,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.taken.connect(lambda receipt: self._paid(number, receipt))
        dialog.finished.connect(lambda _result: self._payment_closed())
        self.payment_dialog = dialog
        self.message.setText("")
        dialog.open()

    def _payment_closed(self, *, refund: bool = False) -> None:
        if refund:
            self.refund_dialog = None
        else:
            self.payment_dialog = None
        self.table.setFocus()

    def _paid(self, number: str, receipt: Receipt) -> None:
        taken = sum(amount for _number, amount in receipt.to_invoices) + receipt.to_advance
        note = f"Took {format_rupees(taken)} on {number}."
        if receipt.to_advance:
            note += f" {format_rupees(receipt.to_advance)} is kept as an advance."
        self.refresh(note=note)

    def _payment_refused(self, error: Exception) -> None:
        log_failure(error)
        self.message.setText(error_sentence(error))

    # -- refunding (credit note) ---------------------------------------------------------

    def ask_for_refund(self) -> None:
        """F: the refund dialog for the chosen invoice (desktop/dialogs/refund_dialog.py)."""
        row = self.selected()
        if row is None or row.status == "cancelled":
            self.message.setText("Choose an invoice that is not cancelled to refund it.")
            return
        db, number = self._db, row.number
        self.message.setText(f"Reading {number} for a refund...")
        self._refunds.run(
            lambda: read_refund_start(db, number), self._open_refund, self._payment_refused
        )

    def _open_refund(self, start: RefundStart) -> None:
        dialog = refund_dialog(self._db, self._user, start, self._clock, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.issued.connect(self._refunded)
        dialog.finished.connect(lambda _result: self._payment_closed(refund=True))
        self.refund_dialog = dialog
        self.message.setText("")
        dialog.open()

    def _refunded(self, note: CreditNoteDocument) -> None:
        """The credit note is issued: the list reads again; its PDF is written and opened."""
        said = f"Credit note {note.number}: {format_rupees(note.total_amount)}."
        self.refresh(note=said)
        path = self.invoice_folder / pdf_file_name(note.number)

        def write() -> Path:
            from services.credit_note_pdf import render_credit_note_pdf

            path.parent.mkdir(parents=True, exist_ok=True)
            render_credit_note_pdf(note, path)
            return path

        def written(done: Path) -> None:
            self.last_pdf = done
            if self._open_file is not None:
                self._open_file(done)

        self._prints.run(write, written, self._payment_refused)
