"""The counter: find the patient, add items, see every discount, save and print the invoice.

The panel is a view over a CounterSession (desktop/counter/session.py), which owns the cart,
the patient, the codes, the quote, the save and the PDF, in named states, and refuses a
change outside editing with a sentence. The panel turns keys, clicks and scans into the
session's actions and shows what it says. The session's service calls run here: reads
(search, look-ups, pricing) through one serialized pool, in the order they were asked for;
saving and the PDF in the shared pool.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QPoint,
    QStandardPaths,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.counter.badge_views import BadgeViews
from desktop.counter.session import (
    EDITABLE,
    CounterSession,
    CounterState,
    ParkedCart,
    QuantityQuestion,
)
from desktop.dialogs.manager_pin import ask_manager_approval
from desktop.dialogs.patient_page import PatientPageDialog
from desktop.errors import error_sentence
from desktop.models.cart_model import DISCOUNT, ITEM
from desktop.widgets.barcode_scanner import BarcodeListener
from desktop.widgets.cart_table import CartTable
from desktop.widgets.new_patient import NewPatientDialog, split_search_text
from desktop.widgets.promo_codes import CodeLine, PromoCodes
from desktop.widgets.tender_pane import TenderPane, UpiCard
from desktop.widgets.totals_pane import TotalsPane
from desktop.widgets.type_ahead import TypeAheadField
from desktop.workers import OpCounter
from domain import log
from domain.money import format_rupees
from domain.payments import Method, TenderLine, upi_link
from services import catalog, consent, patients, payments, promotions, sponsors
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.catalog import CatalogEntry
from services.invoice_document import InvoiceDocument
from services.invoicing import CartRequest, Quote
from services.patients import PatientMatch
from services.payment_settings import payment_settings
from services.printer_settings import PrinterSettings
from services.promotions import CodeRow

T = TypeVar("T")

# What F1 lists for this panel.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Alt+P", "Invoice: go to the patient search"),
    ("Ctrl+Shift+N", "Invoice: register a new patient"),
    ("Alt+I", "Invoice: go to Add item (code, name or barcode)"),
    ("Enter", "Invoice: pick the highlighted patient or item"),
    ("Down / Up", "Invoice: from Add item into the cart, and back"),
    ("Del", "Invoice: remove the selected line"),
    ("+ / -", "Invoice: one more / one less of the selected line"),
    ("F2", "Invoice: type the selected line's quantity"),
    ("Ctrl+D", "Invoice: manual discount in percent on the selected line"),
    ("Ctrl+I", "Invoice: open the selected line's badge (who sponsors it; a click on it too)"),
    ("Alt+C", "Invoice: go to the promo code"),
    ("F9 / Ctrl+S", "Invoice: take the payment (the tender step)"),
    ("1-6", "Payment: pick the method (1 Cash, 2 UPI, ...); Enter takes the amount"),
    ("Ctrl+S", "Payment: save the invoice with its payments, then print the receipt"),
    ("Esc", "Payment: back to the cart"),
    ("Ctrl+P", "Invoice: print the receipt again"),
    ("Ctrl+Shift+P", "Invoice: open the A4 PDF"),
    ("Ctrl+N", "Invoice: start a new invoice"),
    ("Ctrl+B", "Invoice: request a callback for this patient (opens Callbacks)"),
    ("F3", "Invoice: the chosen patient's page (details, edit, invoices)"),
    ("Ctrl+K, 1-4", "Invoice: the patient agrees to offers by 1 SMS, 2 WhatsApp, 3 E-mail, 4 all"),
)
CALLBACK_SHORTCUT = "Ctrl+B"
CONSENT_SHORTCUT = "Ctrl+K"
# What Ctrl+K offers: the digit, the words, the channels consented to.
CONSENT_CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("1", "SMS", ("sms",)),
    ("2", "WhatsApp", ("whatsapp",)),
    ("3", "E-mail", ("email",)),
    ("4", "SMS, WhatsApp and e-mail", ("sms", "whatsapp", "email")),
)
PATIENT_PAGE_SHORTCUT = "F3"
# Opens the selected line's promotion badge (a click on the badge does the same, issue #17).
BADGE_SHORTCUT = "Ctrl+I"

_MONTHS = calendar.month_abbr
MAX_HINTS = 3
# The counter's two arrangements (see _arrange): below COMPACT_BELOW px of panel width the
# wide one would squeeze the item names to nothing.
COMPACT_BELOW = 1240
FIELD_WIDTH = 340
COMPACT_FIELD_WIDTH = 200
SIDE_WIDTH = 340
COMPACT_SIDE_WIDTH = 300
# The promotions that did not apply, listed under the totals (the tooltip has them all).
MAX_NOT_APPLIED = 2
# How often the time a sponsored badge has been seen is counted (it is billable at 1 s).
BADGE_TICK_MS = 200


def default_invoice_folder() -> Path:
    """Documents/Frontdesk/invoices for the person signed in to the computer."""
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    return Path(documents) / "Frontdesk" / "invoices"


def open_with_system(path: Path) -> bool:
    """Open a file in the computer's own viewer (the PDF reader prints it)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def short_date(day: date, today: date) -> str:
    """'12 Mar' this year, '12 Mar 2025' before."""
    text = f"{day.day} {_MONTHS[day.month]}"
    return text if day.year == today.year else f"{text} {day.year}"


def mobile_text(mobile: str) -> str:
    """'9845012345' -> '98450 12345'."""
    return f"{mobile[:5]} {mobile[5:]}" if len(mobile) == 10 else mobile


def code_status_text(code: CodeRow) -> str:
    """What the counter says of a known code: '3 uses remaining', 'Paused', ..."""
    if code.status == "paused":
        return f"{code.code} is paused"
    if code.status == "expired":
        return f"{code.code} has expired"
    if code.uses_remaining is None:
        text = "No limit on uses"
    else:
        plural = "use" if code.uses_remaining == 1 else "uses"
        text = f"{code.uses_remaining} {plural} remaining"
    if code.active_hours.enabled:
        text += f", only {code.active_hours.describe()}"
    return text


def visits_text(patient: PatientMatch, today: date) -> str:
    """'last visit 12 Mar, 6 visits', or 'no visits yet'."""
    if not patient.visits or patient.last_visit is None:
        return "no visits yet"
    plural = "visit" if patient.visits == 1 else "visits"
    return f"last visit {short_date(patient.last_visit, today)}, {patient.visits} {plural}"


class InvoiceEntryPanel(QWidget):
    """Writes one invoice at a time, by keyboard from start to finish.

    Signals:
        invoice_saved(str): the id of the invoice just saved.
        callback_requested(object): the person asked for a callback to this patient
            (PatientMatch); the window opens the Callbacks panel's add dialog for them.
        pdf_written(str): the path of the invoice's PDF, just written.
        priced(): the prices on show are those of the cart as it is now.
    """

    invoice_saved = Signal(str)
    callback_requested = Signal(object)
    pdf_written = Signal(str)
    priced = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        invoice_folder: Path | None = None,
        open_file: Callable[[Path], object] | None = open_with_system,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        self._open_file = open_file

        # One thread: searches, look-ups and pricing run one after another, in order.
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(1)
        self._ops = OpCounter(self)
        self.session = CounterSession(
            db,
            user,
            run=self._run,
            clock=clock,
            invoice_folder=invoice_folder or default_invoice_folder(),
            parent=self,
        )
        self.cart = self.session.cart
        self._code_lookup = 0
        self._discard_armed = False
        # The PDF being written is opened once written (after a save with no printer to
        # print the receipt on, or Open A4 PDF).
        self._open_when_written = False
        # After a save: whether the receipt went to a printer (None: not known yet).
        self._receipt_printed: bool | None = None
        self._pdf_ready: str | None = None
        self._prints = OpCounter(self)
        self._question: QMessageBox | None = None
        self._tender_started = False
        self.manager_dialog: QDialog | None = None
        self.consent_menu: QMenu | None = None
        # Sponsored badges on show, timed while the window has the focus (issue #17).
        self.badge_views = BadgeViews(self._record_badge, clock)
        self._badge_timer = QTimer(self)
        self._badge_timer.setInterval(BADGE_TICK_MS)
        self._badge_timer.timeout.connect(self.tick_badges)
        self._badge_lookup = 0
        self._sponsored: dict[uuid.UUID, sponsors.SponsoredBadge] = {}
        # Badges opened before their showing was recorded: clicked once it is.
        self._clicks_waiting: set[tuple[uuid.UUID, str]] = set()
        # (badge, viewer) whose code staff applied on this cart: clicked once, not at
        # every quote after.
        self._applied_by_code: set[tuple[uuid.UUID, str]] = set()

        session = self.session
        session.changed.connect(self._session_changed)
        session.quote_changed.connect(self._show_quote)
        session.state_changed.connect(self._state_changed)
        session.said.connect(self._said)
        session.saved.connect(self._saved)
        session.pdf_written.connect(self._pdf_written)
        session.pdf_failed.connect(self._pdf_failed)
        session.code_known.connect(lambda _code: self._show_codes())
        session.tender_changed.connect(self._show_tender)
        session.approval_needed.connect(self._ask_manager)
        self.cart.discount_proposed.connect(session.propose_discount)
        self.cart.quantity_proposed.connect(self._quantity_typed)

        self._build()
        self.scanner = BarcodeListener(self)
        self.scanner.scanned.connect(self._scanned)
        self._shortcuts()
        self.setFocusProxy(self.patient_field)
        self._show_patient()
        self._show_quote()
        self._say("")

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        db = self._db
        self.patient_field: TypeAheadField[PatientMatch] = TypeAheadField(
            lambda text: patients.find_patients(db, text),
            self._patient_columns,
            pool=self._reads,
            list_width=560,
        )
        self.patient_field.setObjectName("PatientSearch")
        self.patient_field.setPlaceholderText("Name or mobile")
        self.patient_field.setAccessibleName("Patient")
        self.patient_field.setClearButtonEnabled(True)
        self.patient_field.chosen.connect(self.choose_patient)
        self.patient_field.entered.connect(self._patient_entered)
        self.patient_field.results_shown.connect(self._patients_found)
        patient_label = QLabel("&Patient")
        patient_label.setObjectName("FieldCaption")
        patient_label.setBuddy(self.patient_field)

        self.patient_name_label = QLabel()
        self.patient_name_label.setObjectName("PatientName")
        self.patient_detail_label = QLabel()
        self.patient_detail_label.setObjectName("Muted")
        self.new_patient_button = QPushButton("+ New patient")
        self.new_patient_button.setToolTip("Register a new patient (Ctrl+Shift+N)")
        self.new_patient_button.setAutoDefault(False)
        self.new_patient_button.clicked.connect(self.new_patient)
        self.callback_button = QPushButton("Request a callback")
        self.callback_button.setObjectName("RequestCallback")
        self.callback_button.setToolTip(
            f"Ask for a call back to this patient, in the Callbacks queue ({CALLBACK_SHORTCUT})"
        )
        self.callback_button.setAccessibleName("Request a callback")
        self.callback_button.setAutoDefault(False)
        self.callback_button.clicked.connect(self.request_callback)
        # A light button beside the visits: the name above leaves no room for one.
        self.patient_page_button = QToolButton()
        self.patient_page_button.setObjectName("HeaderButton")
        self.patient_page_button.setText("Patient page")
        self.patient_page_button.setToolTip(
            f"Details, edit, invoices and callbacks ({PATIENT_PAGE_SHORTCUT})"
        )
        self.patient_page_button.setAccessibleName("Patient page")
        self.patient_page_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.patient_page_button.clicked.connect(self.open_patient_page)
        self.patient_info = QWidget()
        chosen = QVBoxLayout(self.patient_info)
        chosen.setContentsMargins(0, 0, 0, 0)
        chosen.setSpacing(1)
        chosen.addWidget(self.patient_name_label)
        detail_row = QHBoxLayout()
        detail_row.setSpacing(6)
        detail_row.addWidget(self.patient_detail_label, 1)
        detail_row.addWidget(self.patient_page_button, 0, Qt.AlignmentFlag.AlignTop)
        chosen.addLayout(detail_row)

        self.item_field: TypeAheadField[CatalogEntry] = TypeAheadField(
            lambda text: catalog.find_items(db, text),
            self._item_columns,
            pool=self._reads,
            list_width=560,
        )
        self.item_field.setObjectName("ItemSearch")
        self.item_field.setPlaceholderText("Code, name or scan a barcode")
        self.item_field.setAccessibleName("Add item")
        self.item_field.chosen.connect(self._item_chosen)
        self.item_field.entered.connect(self._item_entered)
        self.item_field.installEventFilter(self)
        item_label = QLabel("Add &item")
        item_label.setObjectName("FieldCaption")
        item_label.setBuddy(self.item_field)
        self.item_message = QLabel("Enter adds it; the field stays ready for the next item.")
        self.item_message.setObjectName("Hint")

        self._patient_label = patient_label
        self._item_label = item_label
        self._head = QGridLayout()
        self._head.setHorizontalSpacing(12)
        self._head.setVerticalSpacing(10)
        # The buttons keep their whole text; the hint beside Add item wraps instead.
        self.item_message.setWordWrap(True)
        self.patient_detail_label.setWordWrap(True)
        for button in (self.new_patient_button, self.callback_button):
            button.setMinimumWidth(button.sizeHint().width())

        self.table = CartTable()
        self.table.setModel(self.cart)
        self.table.setAccessibleName("Cart")
        self.table.remove_requested.connect(self.remove_line)
        self.table.step_requested.connect(self._step)
        self.table.leave_up.connect(self.item_field.setFocus)
        self.table.badge_opened.connect(self.open_badge)
        self.cart.rowsInserted.connect(lambda *_: self.table.resizeRowsToContents())

        self.hints_label = QLabel()
        self.hints_label.setObjectName("HintBar")
        self.hints_label.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("NoticeError")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Message")

        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(self._head)
        left.addWidget(self.table, 1)
        self.upi_card = UpiCard()
        left.addWidget(self.upi_card)
        left.addWidget(self.hints_label)
        left.addWidget(self.notice)

        self.totals = TotalsPane()
        # Why a promotion of this cart gave nothing (the quote's explanations), under the
        # totals: the person can tell the patient, not only the CLI.
        self.not_applied_heading = QLabel("Not applied")
        self.not_applied_heading.setObjectName("FieldCaption")
        self.not_applied_label = QLabel()
        self.not_applied_label.setObjectName("Hint")
        self.not_applied_label.setAccessibleName("Promotions not applied")
        self.not_applied_label.setWordWrap(True)
        self.not_applied_box = QWidget()
        not_applied = QVBoxLayout(self.not_applied_box)
        not_applied.setContentsMargins(0, 0, 0, 0)
        not_applied.setSpacing(2)
        not_applied.addWidget(self.not_applied_heading)
        not_applied.addWidget(self.not_applied_label)

        self.promo_codes = PromoCodes()
        self.promo_codes.apply_requested.connect(self._apply_typed_code)
        self.promo_codes.remove_requested.connect(self.remove_code)
        self.promo_codes.typed.connect(self._code_typed)
        self.code_field = self.promo_codes.code_field
        self.apply_button = self.promo_codes.apply_button
        # Once saved, the code row and the reasons make room for the saved card.
        self.code_row = self.promo_codes.entry_row

        self.saved_card = QFrame()
        self.saved_card.setObjectName("SavedCard")
        self.saved_label = QLabel()
        self.saved_label.setObjectName("SavedNumber")
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved_detail = QLabel()
        self.saved_detail.setObjectName("SavedDetail")
        self.pdf_label = QLabel()
        self.pdf_label.setObjectName("Muted")
        self.print_button = QPushButton("Print receipt  (Ctrl+P)")
        self.print_button.setAutoDefault(False)
        self.print_button.setToolTip("Print the receipt again on the counter's printer")
        self.print_button.clicked.connect(self.print_receipt)
        self.pdf_button = QPushButton("Open A4 PDF  (Ctrl+Shift+P)")
        self.pdf_button.setAutoDefault(False)
        self.pdf_button.setToolTip("Open the invoice's A4 PDF in the PDF viewer")
        self.pdf_button.clicked.connect(self.print_again)
        self.new_button = QPushButton("New invoice  (Ctrl+N)")
        self.new_button.setObjectName("PrimaryButton")
        self.new_button.setAutoDefault(False)
        self.new_button.clicked.connect(self.new_invoice)
        saved_column = QVBoxLayout(self.saved_card)
        saved_column.setContentsMargins(14, 12, 14, 14)
        saved_column.setSpacing(6)
        saved_column.addWidget(self.saved_label)
        saved_column.addWidget(self.saved_detail)
        saved_column.addWidget(self.pdf_label)
        saved_column.addSpacing(4)
        saved_column.addWidget(self.print_button)
        saved_column.addWidget(self.pdf_button)
        saved_column.addWidget(self.new_button)
        self.saved_card.hide()

        self.tender_pane = TenderPane()
        self.tender_pane.add_requested.connect(self._add_payment)
        self.tender_pane.remove_requested.connect(self.session.remove_payment)
        self.tender_pane.back_requested.connect(self.back_to_cart)
        self.tender_pane.save_requested.connect(self.save)
        self.tender_pane.method_changed.connect(lambda _m: self._show_upi_qr())
        self.tender_pane.hide()

        self.save_button = QPushButton()
        self.save_button.setObjectName("SaveInvoiceButton")
        self.save_button.setAutoDefault(False)
        self.save_button.setMinimumHeight(44)
        self.save_button.clicked.connect(self.save)

        right_host = self._side = QFrame()
        right_host.setObjectName("InvoiceSide")
        right = QVBoxLayout(right_host)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(12)
        right.addWidget(self.totals)
        right.addWidget(self.not_applied_box)
        right.addWidget(self.promo_codes)
        right.addWidget(self.tender_pane)
        right.addStretch(1)
        right.addWidget(self.saved_card)
        right.addWidget(self.save_button)

        outer = self._outer = QHBoxLayout(self)
        outer.addLayout(left, 1)
        outer.addWidget(right_host)
        self._compact: bool | None = None
        self._arrange(compact=False)

    # -- the layout at each width ---------------------------------------------------------

    def _arrange(self, *, compact: bool) -> None:
        """Wide: the patient's details and the item message beside their fields, a 340 px
        side. Compact (a narrow window, down to the app's minimum): both go under their
        fields, the side and the table's figures narrow, so item names keep their room."""
        if compact == self._compact:
            return
        self._compact = compact
        self.tender_pane.set_compact(compact)
        head = self._head
        placed = (
            self._patient_label,
            self.patient_field,
            self.patient_info,
            self.new_patient_button,
            self._item_label,
            self.item_field,
            self.item_message,
            self.callback_button,
        )
        for widget in placed:
            head.removeWidget(widget)
        for column in range(4):
            head.setColumnStretch(column, 0)
            head.setColumnMinimumWidth(column, 0)
        head.addWidget(self._patient_label, 0, 0)
        head.addWidget(self.patient_field, 0, 1)
        if compact:
            head.addWidget(self.new_patient_button, 0, 2)
            head.addWidget(self.patient_info, 1, 1, 1, 2)
            head.addWidget(self._item_label, 2, 0)
            head.addWidget(self.item_field, 2, 1)
            head.addWidget(self.callback_button, 2, 2)
            head.addWidget(self.item_message, 3, 1, 1, 2)
            head.setColumnStretch(1, 1)
        else:
            head.addWidget(self.patient_info, 0, 2)
            head.addWidget(self.new_patient_button, 0, 3)
            head.addWidget(self._item_label, 1, 0)
            head.addWidget(self.item_field, 1, 1)
            head.addWidget(self.item_message, 1, 2)
            # Under "+ New patient": the other thing to do for the patient chosen.
            head.addWidget(self.callback_button, 1, 3)
            head.setColumnMinimumWidth(1, FIELD_WIDTH)
            head.setColumnStretch(2, 1)
        field_width = COMPACT_FIELD_WIDTH if compact else FIELD_WIDTH
        self.patient_field.setMinimumWidth(field_width)
        self.item_field.setMinimumWidth(field_width)
        head.setVerticalSpacing(6 if compact else 10)
        self._side.setFixedWidth(COMPACT_SIDE_WIDTH if compact else SIDE_WIDTH)
        if compact:
            self._outer.setContentsMargins(10, 10, 10, 10)
            self._outer.setSpacing(10)
        else:
            self._outer.setContentsMargins(20, 16, 20, 16)
            self._outer.setSpacing(18)
        self.table.configure_columns(compact=compact)
        self._update_save_button()

    def is_compact(self) -> bool:
        """The narrow arrangement is on show."""
        return bool(self._compact)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        self._arrange(compact=event.size().width() < COMPACT_BELOW)
        super().resizeEvent(event)

    # -- Tab ---------------------------------------------------------------------------------

    def tab_order(self) -> list[QWidget]:
        """Where Tab goes, in the order of the work: patient, items, cart, codes, save (or
        the saved invoice's buttons), then the patient's other buttons. Hidden or disabled
        controls are passed over."""
        return [
            self.patient_field,
            self.item_field,
            self.table,
            self.code_field,
            self.apply_button,
            *self.promo_codes.remove_buttons(),
            self.save_button,
            self.print_button,
            self.pdf_button,
            self.new_button,
            self.new_patient_button,
            self.callback_button,
            self.patient_page_button,
        ]

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt's names)
        # The order is kept here rather than in Qt's focus chain: the code rows come and
        # go, and setTabOrder on a chain that changes under it loses the cart and the codes.
        reachable = [w for w in self.tab_order() if w.isVisibleTo(self) and w.isEnabled()]
        focus = QApplication.focusWidget()
        here = next_index = None
        for index, widget in enumerate(reachable):
            if focus is not None and (focus is widget or widget.isAncestorOf(focus)):
                here = index
                break
        if here is None or not reachable:
            return super().focusNextPrevChild(next)
        next_index = (here + (1 if next else -1)) % len(reachable)
        reason = Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason
        reachable[next_index].setFocus(reason)
        return True

    def _shortcuts(self) -> None:
        bindings: list[tuple[QKeySequence | str, Callable[[], object]]] = [
            (QKeySequence(QKeySequence.StandardKey.Save), self.save),
            ("F9", self.tender),
            ("Ctrl+Return", self.tender),
            ("Ctrl+N", self.new_invoice),
            ("Ctrl+Shift+N", self.new_patient),
            ("Ctrl+P", self.print_receipt),
            ("Ctrl+Shift+P", self.print_again),
            ("Ctrl+D", self.edit_discount),
            (CALLBACK_SHORTCUT, self.request_callback),
            (PATIENT_PAGE_SHORTCUT, self.open_patient_page),
            (CONSENT_SHORTCUT, self.ask_consent),
            (BADGE_SHORTCUT, lambda: self.open_badge(self.table.currentIndex().row())),
        ]
        self._shortcut_objects = []
        for keys, slot in bindings:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
            self._shortcut_objects.append(shortcut)

    def _patient_columns(self, patient: PatientMatch) -> Sequence[str]:
        today = self._today()
        last = f"last {short_date(patient.last_visit, today)}" if patient.last_visit else "new"
        plural = "visit" if patient.visits == 1 else "visits"
        return (patient.name, mobile_text(patient.mobile), f"{patient.visits} {plural}", last)

    @staticmethod
    def _item_columns(entry: CatalogEntry) -> Sequence[str]:
        return (entry.code, entry.name, format_rupees(entry.price))

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides what "today" is)."""
        self._branch = info

    # -- background work -----------------------------------------------------------------

    def _run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object],
        *,
        reads: bool = True,
    ) -> None:
        self._ops.run(call, on_success, on_failure, self._reads if reads else None)

    def is_idle(self) -> bool:
        """Nothing is searching, pricing, saving or writing a PDF."""
        return (
            self._ops.idle
            and self._prints.idle
            and not self.patient_field.is_busy()
            and not self.item_field.is_busy()
        )

    def state(self) -> CounterState:
        return self.session.state

    def is_pricing(self) -> bool:
        return self.session.state == CounterState.PRICING

    @property
    def invoice_folder(self) -> Path:
        return self.session.invoice_folder

    def _patients_found(self, count: int) -> None:
        """A search that finds nobody says so and points at "+ New patient"."""
        typed = self.patient_field.text().strip()
        if count == 0 and len(typed) >= 3:
            self._say(
                f"No patient matches '{typed}'. Press Ctrl+Shift+N (+ New patient) to "
                "register them.",
                error=False,
            )
        elif self.notice.text().startswith("No patient matches"):
            self._say("")

    # -- messages ------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = True) -> None:
        self.notice.setObjectName("NoticeError" if error else "NoticeInfo")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))
        self.notice.style().unpolish(self.notice)
        self.notice.style().polish(self.notice)

    def _said(self, text: str, error: bool) -> None:
        self._say(text, error=error)

    def message(self) -> str:
        """The message under the cart (empty when there is none)."""
        return self.notice.text()

    def _failed(self, error: Exception) -> None:
        log.ui.error("invoice entry: %s", error, exc_info=error)
        self._say(error_sentence(error))

    # -- states --------------------------------------------------------------------------

    def _state_changed(self, _state: str) -> None:
        state = self.session.state
        editable = self.session.can_edit()
        for widget in (
            self.patient_field,
            self.item_field,
            self.code_field,
            self.apply_button,
            self.new_patient_button,
        ):
            # While saving, the fields stay enabled (a scan there is heard, and refused).
            widget.setEnabled(state != CounterState.SAVED)
        self.patient_field.setClearButtonEnabled(editable)
        self.code_row.setVisible(state != CounterState.SAVED)
        if state == CounterState.SAVED:
            # What could still be added or used no longer helps a saved invoice.
            self.not_applied_box.hide()
            self.hints_label.hide()
            self._show_code_status(None)
        self.totals.set_updating(state == CounterState.PRICING)
        tendering = state == CounterState.TENDERING
        if not tendering:
            self._tender_started = False
            self.upi_card.show_payment(None)
        self.tender_pane.setVisible(tendering)
        self.promo_codes.setVisible(not tendering)
        if tendering:
            self.not_applied_box.hide()
        self._update_save_button()
        if state == CounterState.SAVED:
            self._show_codes()

    def _session_changed(self) -> None:
        self._discard_armed = False

    # -- the patient ---------------------------------------------------------------------

    def patient(self) -> PatientMatch | None:
        return self.session.patient()

    def choose_patient(self, patient: PatientMatch) -> None:
        """Bill `patient`; the focus moves on to Add item."""
        if not self.session.choose_patient(patient):
            return
        self.patient_field.setText(patient.name)
        self._show_patient()
        self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def request_callback(self) -> None:
        """Ask for a callback to the patient of this invoice (Ctrl+B), saved or not."""
        patient = self.session.patient()
        if patient is None:
            self._say("Choose the patient to call back first.")
            self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self._say("")
        self.callback_requested.emit(patient)

    def ask_consent(self) -> QMenu | None:
        """Ctrl+K: record, in one more key, that the patient agrees to offers by a channel
        (the front desk has read out the notice; services.consent keeps it with the event)."""
        patient = self.session.patient()
        if patient is None:
            self._say("Choose the patient first, then Ctrl+K records their consent.")
            self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        menu = QMenu(self)
        menu.setObjectName("ConsentMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        title = menu.addAction(f"{patient.name} agrees to offers by:")
        title.setEnabled(False)
        for digit, words, channels in CONSENT_CHOICES:
            action = menu.addAction(f"&{digit}  {words}")
            action.triggered.connect(
                lambda _checked=False, w=words, c=channels: self._consent_given(patient, w, c)
            )
        menu.popup(self.patient_field.mapToGlobal(QPoint(0, self.patient_field.height())))
        self.consent_menu = menu
        return menu

    def _consent_given(self, patient: PatientMatch, words: str, channels: tuple[str, ...]) -> None:
        db, user, now = self._db, self._user, self._clock()

        def record() -> None:
            for channel in channels:
                consent.record_consent(
                    db, user, patient.id, channel, granted=True, source="counter", now=now
                )

        self._run(
            record,
            lambda _done: self._say(
                f"Recorded: {patient.name} agrees to offers by {words}. Withdrawing is as easy "
                "(the patient page, F3).",
                error=False,
            ),
            self._failed,
            reads=False,
        )

    def open_patient_page(self) -> PatientPageDialog | None:
        """The chosen patient's page (F3); an edit there shows here too."""
        patient = self.session.patient()
        if patient is None:
            self._say("Choose the patient first, then F3 opens their page.")
            self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return None
        page = PatientPageDialog(
            self._db,
            self._user,
            patient.id,
            timezone=self._branch.details.timezone,
            clock=self._clock,
            parent=self,
        )
        page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        page.patient_changed.connect(self._patient_edited)
        page.open()
        return page

    def _patient_edited(self, patient: PatientMatch) -> None:
        current = self.session.patient()
        if current is None or current.id != patient.id:
            return
        if self.session.can_edit():
            self.session.choose_patient(patient)
            self.patient_field.setText(patient.name)
        # A saved invoice keeps the name it was saved with; the counter shows the new one.
        self._show_patient(patient)

    def _show_patient(self, shown: PatientMatch | None = None) -> None:
        patient = shown or self.session.patient()
        if patient is None:
            self.patient_name_label.setText("No patient chosen")
            self.patient_name_label.setObjectName("PatientNone")
            self.patient_detail_label.setText("Type part of a name or mobile, then Enter")
        else:
            self.patient_name_label.setText(f"{patient.name}   {mobile_text(patient.mobile)}")
            self.patient_name_label.setObjectName("PatientName")
            self.patient_detail_label.setText(visits_text(patient, self._today()))
        self.patient_name_label.style().unpolish(self.patient_name_label)
        self.patient_name_label.style().polish(self.patient_name_label)
        self.callback_button.setEnabled(patient is not None)
        self.patient_page_button.setVisible(patient is not None)

    def _patient_entered(self, text: str) -> None:
        typed = text.strip()
        patient = self.session.patient()
        if patient is not None and (not typed or typed == patient.name):
            self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)
        elif typed:
            self.patient_field.search_now(pick_single=True)

    def new_patient(self) -> NewPatientDialog | None:
        """Open the new-patient form, started with what was typed in the search."""
        if self.session.refuses("no patient was registered"):
            return None
        typed = self.patient_field.text()
        patient = self.session.patient()
        if patient is not None and typed.strip() == patient.name:
            typed = ""
        name, mobile = split_search_text(typed)
        dialog = NewPatientDialog(
            self._db,
            self._user,
            clock=self._clock,
            today=self._today,
            name=name,
            mobile=mobile,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.patient_added.connect(self.choose_patient)
        dialog.open()
        return dialog

    # -- adding items --------------------------------------------------------------------

    def _item_chosen(self, entry: CatalogEntry) -> None:
        self.add_item(entry)

    def _item_entered(self, text: str) -> None:
        typed = text.strip()
        if not typed:
            return
        db = self._db

        def look_up() -> tuple[CatalogEntry | None, list[CatalogEntry]]:
            exact = catalog.item_by_code(db, typed)
            return exact, [] if exact else catalog.find_items(db, typed)

        def found(result: tuple[CatalogEntry | None, list[CatalogEntry]]) -> None:
            exact, matches = result
            if exact is None and len(matches) == 1:
                exact = matches[0]
            if exact is not None:
                self.add_item(exact, clear_field=self.item_field.text().strip() == typed)
            elif matches:
                self.item_field.show_results(matches, typed)
                self._item_message(
                    f"{len(matches)} items match; pick one with the arrows and Enter."
                )
            else:
                self._item_message(f"Nothing in the catalog matches '{typed}'.", error=True)

        self._run(look_up, found, self._failed)

    def _item_message(self, text: str, *, error: bool = False) -> None:
        self.item_message.setObjectName("FieldError" if error else "Hint")
        self.item_message.setText(text)
        self.item_message.style().unpolish(self.item_message)
        self.item_message.style().polish(self.item_message)

    def add_item(self, entry: CatalogEntry, *, clear_field: bool = True) -> None:
        """Add one of `entry` to the cart (a line already holding it gets one more)."""
        row = self.session.add_item(entry)
        if row is None:
            return
        self._select(row)
        quantity = self.cart.row(row).quantity
        added = f"Added {entry.name}" + (f" (now {quantity})" if quantity > 1 else "") + "."
        self._item_message(added)
        if clear_field:
            self.item_field.clear()
            self.item_field.cancel()

    def _scanned(self, code: str, widget: object) -> None:
        if isinstance(widget, TypeAheadField):
            widget.cancel()
        db = self._db

        def found(entry: CatalogEntry | None) -> None:
            if entry is None:
                self._say(f"No item has the barcode {code}. Check that it is in the catalog.")
            else:
                self.add_item(entry, clear_field=False)

        self._run(lambda: catalog.item_by_code(db, code), found, self._failed)

    def _select(self, row: int) -> None:
        index = self.cart.index(row, ITEM)
        selection = self.table.selectionModel()
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
        # Down from Add item (no list open) goes into the cart.
        if (
            watched is self.item_field
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and not self.item_field.suggestions_visible()
            and not self.cart.is_empty()
        ):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
            if self.table.currentIndex().row() < 0:
                self._select(0)
            return True
        return super().eventFilter(watched, event)

    # -- changing lines ------------------------------------------------------------------

    def remove_line(self, row: int) -> None:
        if not 0 <= row < self.cart.rowCount():
            return
        name = self.cart.row(row).entry.name
        if not self.session.remove_line(row):
            return
        if self.cart.is_empty():
            self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._select(min(row, self.cart.rowCount() - 1))
        self._item_message(f"Removed {name}.")

    def _step(self, row: int, step: int) -> None:
        self._ask_quantity(self.session.step_quantity(row, step))

    def _quantity_typed(self, uid: int, quantity: int) -> None:
        self._ask_quantity(self.session.set_quantity(uid, quantity))

    def _ask_quantity(self, question: QuantityQuestion | None) -> None:
        """Rule 4 of the session: an unusual quantity is taken only once confirmed."""
        if question is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unusual quantity",
            question.question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("QuantityQuestion")
        box.button(QMessageBox.StandardButton.Yes).setText(f"Bill {question.quantity}")
        box.button(QMessageBox.StandardButton.No).setText("Keep the quantity")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def answered(button: int) -> None:
            self._question = None
            if button == QMessageBox.StandardButton.Yes:
                self.session.set_quantity(question.uid, question.quantity, confirmed=True)
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

        box.finished.connect(answered)
        self._question = box
        box.open()

    def quantity_question(self) -> QMessageBox | None:
        """The unusual-quantity question on show, if any."""
        return self._question

    def edit_discount(self) -> None:
        """Open the Discount cell of the selected line for a manual percentage."""
        row = self.table.currentIndex().row()
        if not self.session.can_edit() or row < 0:
            if self.cart.rowCount() and self.session.can_edit():
                self._say("Select a line in the cart first (Down from Add item).")
            return
        index = self.cart.index(row, DISCOUNT)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    # -- promo codes ---------------------------------------------------------------------

    def apply_code(self) -> None:
        """Apply the code typed in the field (Enter there, or Apply)."""
        self._apply_typed_code(self.code_field.text().strip().upper())

    def _apply_typed_code(self, code: str) -> None:
        if not code or not self.session.can_edit():
            self.session.apply_code(code)  # says why, when it is refused
            return
        self.code_field.clear()
        self._show_code_status(None)
        self.session.apply_code(code)
        self._show_codes()

    def remove_code(self, code: str) -> None:
        if self.session.remove_code(code):
            self._show_codes()
            self.code_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def codes(self) -> list[str]:
        return self.session.codes()

    def _code_typed(self, text: str) -> None:
        self._code_lookup += 1
        if not text.strip():
            self._show_code_status(None)
            return
        code, sequence, db = text.strip().upper(), self._code_lookup, self._db

        def found(row: CodeRow | None) -> None:
            if sequence == self._code_lookup:
                self._show_code_status(row)

        self._run(lambda: promotions.code_at_counter(db, code), found, self._failed)

    def _show_code_status(self, row: CodeRow | None) -> None:
        self.promo_codes.show_status("" if row is None else code_status_text(row))

    def code_status_message(self) -> str:
        """What the line under the code field says of the code being typed ('' if nothing)."""
        return self.promo_codes.status_message()

    def _show_codes(self) -> None:
        quote = self.session.current_quote()
        outcomes = {c.code: c for c in quote.priced.codes} if quote else {}
        saved = self.session.state == CounterState.SAVED
        lines = []
        for code in self.session.codes():
            outcome = outcomes.get(code)
            if outcome is None:
                text, kind = f"{code}: checking...", "CodeChecking"
            elif outcome.applied:
                text, kind = f"{code} applied", "CodeApplied"
                known = self.session.code_row(code)
                if known is not None and known.uses_remaining is not None:
                    text += f" ({code_status_text(known)})"
            elif saved:
                text, kind = f"{code} was not used. {outcome.message}", "CodeRefused"
            else:
                text = f"{code} cannot be used. {outcome.message} Remove it, or save without it."
                kind = "CodeRefused"
            lines.append(CodeLine(code, text, kind, not saved, self.session.can_edit()))
        self.promo_codes.show_codes(lines)

    def remove_buttons(self) -> list[QToolButton]:
        """Each code's Remove button, in the order the codes were typed."""
        return self.promo_codes.remove_buttons()

    def code_messages(self) -> list[str]:
        """What the codes area says, one entry per code typed."""
        return self.promo_codes.messages()

    # -- pricing -------------------------------------------------------------------------

    def request(self) -> CartRequest:
        """The cart as it stands, for the services."""
        return self.session.request()

    def current_quote(self) -> Quote | None:
        return self.session.current_quote()

    def _show_quote(self) -> None:
        quote = self.session.current_quote()
        self.totals.set_updating(self.session.state == CounterState.PRICING)
        if quote is not None:
            self.cart.apply_prices(quote.priced)
            self.table.resizeRowsToContents()
        self.totals.show_priced(quote.priced if quote else None)
        hints = [miss.message for miss in quote.priced.near_misses] if quote else []
        self.hints_label.setText("\n".join(f"Hint: {hint}" for hint in hints[:MAX_HINTS]))
        self.hints_label.setVisible(bool(hints))
        self._show_not_applied(quote)
        self._show_codes()
        self._update_save_button()
        self._time_badges(quote)
        if quote is not None:
            self.priced.emit()

    # -- sponsored badges (issue #17) -----------------------------------------------------

    def _badges_focused(self) -> bool:
        """The counter is on show in the window that has the focus (rule 10's viewable)."""
        return self.isVisible() and self.window().isActiveWindow()

    def _time_badges(self, quote: Quote | None) -> None:
        """Time the sponsored badges among those this quote puts on the cart's lines."""
        self._badge_lookup += 1
        shown = (
            {
                uuid.UUID(line.promotion_id)
                for line in quote.priced.lines
                if line.badge_text and line.promotion_id
            }
            if quote is not None and self.session.state != CounterState.SAVED
            else set()
        )
        # Promotions staff applied with a code: applying a sponsored badge clicks it.
        by_code = (
            {uuid.UUID(c.promotion_id) for c in quote.priced.codes if c.applied and c.promotion_id}
            if quote is not None
            else set()
        )
        if not shown:
            self._badges_known(self._badge_lookup, shown, {})
            return
        lookup, db, now = self._badge_lookup, self._db, self._clock()
        self._run(
            lambda: sponsors.sponsored_badges(db, now=now),
            lambda badges: self._badges_known(lookup, shown, badges, by_code),
            lambda error: log.ui.warning("sponsored badges not read: %s", error),
        )

    def _badges_known(
        self,
        lookup: int,
        shown: set[uuid.UUID],
        badges: dict[uuid.UUID, sponsors.SponsoredBadge],
        by_code: set[uuid.UUID] | None = None,
    ) -> None:
        if lookup != self._badge_lookup:
            return  # a newer quote is on show
        patient = self.session.patient()
        viewer = self.badge_views.viewer(patient.id if patient else None)
        self._sponsored = badges
        sponsored = {pid for pid in shown if pid in badges and badges[pid].open}
        self.badge_views.show(sponsored, viewer, focused=self._badges_focused())
        for promotion_id in sponsored & (by_code or set()):
            if (promotion_id, viewer) not in self._applied_by_code:
                self._applied_by_code.add((promotion_id, viewer))
                self._click(promotion_id, viewer)
        self._tick_while_shown()

    def tick_badges(self) -> None:
        """Count the time the sponsored badges on show have been seen (every BADGE_TICK_MS)."""
        self.badge_views.tick(self._badges_focused())
        self._tick_while_shown()

    def _tick_while_shown(self) -> None:
        if self.badge_views.on_show() and not self._badge_timer.isActive():
            self._badge_timer.start()
        elif not self.badge_views.on_show():
            self._badge_timer.stop()

    def _record_badge(self, promotion_id: uuid.UUID, viewer: str, shown_ms: int) -> None:
        """Record one showing (clicked, when staff opened it meanwhile). On the reads'
        thread, so the impressions of a cart are written before its clicks and conversions
        and the next quote sees the hard stop."""
        db, user, now = self._db, self._user, self._clock()
        patient_id = None if viewer.startswith("cart:") else uuid.UUID(viewer)
        opened = (promotion_id, viewer) in self._clicks_waiting
        self._clicks_waiting.discard((promotion_id, viewer))

        def record() -> sponsors.ImpressionRecorded | None:
            done = sponsors.record_impression(
                db, user, promotion_id, viewer, shown_ms=shown_ms, patient_id=patient_id, now=now
            )
            if opened and done is not None:
                sponsors.record_sponsor_click(db, user, promotion_id, viewer, now=now)
            return done

        def recorded(done: sponsors.ImpressionRecorded | None) -> None:
            if done is not None and done.charged:
                self.session.reprice()  # this one may have spent the campaign (rule 11)

        self._run(
            record,
            recorded,
            lambda error: log.ui.warning("sponsored impression not recorded: %s", error),
        )

    def open_badge(self, row: int) -> None:
        """Staff open a line's badge (a click on it, or Ctrl+I on the line): the counter
        says what it gives and, for a sponsored one, who pays for it; the showing to this
        viewer is recorded clicked (seed 002's `clicked`), now or once it is recorded."""
        priced = self.cart.row(row).priced if 0 <= row < self.cart.rowCount() else None
        if priced is None or not priced.badge_text or not priced.promotion_id:
            self._item_message("Select a line with a promotion badge to open it.", error=True)
            return
        promotion_id = uuid.UUID(priced.promotion_id)
        badge = self._sponsored.get(promotion_id)
        patient = self.session.patient()
        viewer = self.badge_views.viewer(patient.id if patient else None)
        on_show = promotion_id in self.badge_views.shown_promotions()
        if badge is None or not on_show:
            self._item_message(f"{priced.badge_text}.")
            return
        self._item_message(f"{priced.badge_text}, sponsored by {badge.sponsor}.")
        self._click(promotion_id, viewer)

    def _click(self, promotion_id: uuid.UUID, viewer: str) -> None:
        """Staff opened or applied this sponsored badge: its showing to `viewer` is
        clicked, now, or once it is recorded (within its first second it is not yet)."""
        if self.badge_views.is_showing(promotion_id, viewer):
            self._clicks_waiting.add((promotion_id, viewer))
            return
        db, user, now = self._db, self._user, self._clock()
        self._run(
            lambda: sponsors.record_sponsor_click(db, user, promotion_id, viewer, now=now),
            lambda _count: None,
            lambda error: log.ui.warning("sponsored click not recorded: %s", error),
        )

    def _badges_converted(self, document: InvoiceDocument) -> None:
        """The saved invoice used these sponsored promotions: their badges are printed on
        it (an impression each, rule 10; billed only if none was seen today) and their
        impressions converted."""
        shown = self.badge_views.shown_promotions()
        patient = self.session.patient()
        viewer = self.badge_views.viewer(patient.id if patient else None)
        self.badge_views.clear()
        self._applied_by_code.clear()
        self._tick_while_shown()
        used = [
            uuid.UUID(str(applied["promotion_id"]))
            for applied in (document.campaigns_applied or {}).get("applied_promotions", [])
        ]
        converted = [pid for pid in used if pid in shown]
        if not converted:
            return
        db, user, now, invoice_id = self._db, self._user, self._clock(), document.id
        patient_id = patient.id if patient else None

        def record() -> int:
            for promotion_id in converted:
                sponsors.record_impression(
                    db,
                    user,
                    promotion_id,
                    viewer,
                    printed=True,
                    patient_id=patient_id,
                    invoice_id=invoice_id,
                    now=now,
                )
            return sponsors.record_sponsor_conversions(
                db, user, invoice_id, converted, viewer, now=now
            )

        self._run(
            record,
            lambda _count: None,
            lambda error: log.ui.warning("sponsored conversions not recorded: %s", error),
        )

    def _show_not_applied(self, quote: Quote | None) -> None:
        """Why each promotion related to the cart gave nothing, under the totals. One that
        a hint below the cart already explains (add this, spend that) is not said twice;
        the tooltip lists them all."""
        missed = list(quote.priced.not_applied) if quote else []
        hinted = {near.promotion_id for near in quote.priced.near_misses} if quote else set()
        lines = [miss.message for miss in missed if miss.promotion_id not in hinted]
        self.not_applied_label.setText("\n".join(lines[:MAX_NOT_APPLIED]))
        self.not_applied_label.setToolTip(
            "\n".join(f"{miss.campaign_name}: {miss.message}" for miss in missed)
        )
        self.not_applied_box.setVisible(bool(lines) and self.session.state != CounterState.SAVED)

    def not_applied_messages(self) -> list[str]:
        """What the counter says of the promotions that did not apply, one line each."""
        text = self.not_applied_label.text()
        return text.split("\n") if text and self.not_applied_box.isVisibleTo(self) else []

    def _update_save_button(self) -> None:
        quote = self.session.current_quote()
        refused = quote.refused_codes if quote else []
        text = "Save without the code" if refused else "Save && print"
        # A narrow window has no room for the shortcut beside the longer text.
        shortcut = "Ctrl+S"
        if not (refused and self._compact):
            text += f"  ({shortcut})"
        state = self.session.state
        self.save_button.setText(text)
        self.save_button.setToolTip(f"Save the invoice, then open its PDF ({shortcut})")
        self.save_button.setVisible(state not in (CounterState.SAVED, CounterState.TENDERING))
        self.save_button.setEnabled(state in EDITABLE and not self.cart.is_empty())
        if state in EDITABLE:
            text = "Pay without the code" if refused else "Take payment"
            if not (refused and self._compact):
                text += "  (F9)"
            self.save_button.setText(text)
            self.save_button.setToolTip("Go to the payment step (F9 or Ctrl+S)")

    # -- saving --------------------------------------------------------------------------

    def is_saving(self) -> bool:
        return self.session.state == CounterState.SAVING

    def saved_invoice(self) -> InvoiceDocument | None:
        return self.session.saved_invoice()

    def pdf_path(self) -> Path | None:
        return self.session.pdf_path()

    def has_unsaved_cart(self) -> bool:
        return self.session.has_unsaved_cart()

    def save(self) -> None:
        """Ctrl+S: from the cart, the payment step; from the payment step, save the invoice
        with its payments (an amount typed but not yet taken is taken first), then write
        and open its PDF."""
        state = self.session.state
        if state == CounterState.SAVED:
            return
        if state in EDITABLE:
            self.tender()
            return
        if (
            state == CounterState.TENDERING
            and self.session.tender_state().due > 0
            and not self.session.payments()
        ):
            self.tender_pane.take_typed()  # the amount on show, with its method
        if self.session.save():
            return
        if self.cart.is_empty():
            self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.session.patient() is None:
            self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def save_on_account(self) -> None:
        """Save as it is with no payment taken (closing the window with a cart): all of it
        on the patient's account, owed."""
        if self.session.state == CounterState.TENDERING:
            self.session.back_to_cart()
        if not self.session.save():
            self.save()  # says what is missing and moves to it

    # -- the payment step ----------------------------------------------------------------

    def tender(self) -> None:
        """F9: go to the payment step with the cart's prices."""
        if self.session.state == CounterState.TENDERING:
            self.tender_pane.methods.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if self.session.tender():
            return
        if self.cart.is_empty():
            self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.session.patient() is None:
            self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def back_to_cart(self) -> None:
        """Esc on the payment step: the cart can change again."""
        if self.session.back_to_cart():
            self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_tender(self) -> None:
        if self.session.state != CounterState.TENDERING:
            return
        if not self._tender_started:
            self._tender_started = True
            self._load_methods()
        self.tender_pane.show_state(self.session.tender_state(), self.session.payments())
        self._show_upi_qr()

    def _load_methods(self) -> None:
        db = self._db
        patient = self.session.patient()
        offered = payment_settings(db).offered
        self.tender_pane.set_methods(offered)
        self.tender_pane.start()
        if patient is None:
            return
        # The advance the patient holds is offered when it is read.
        patient_id = patient.id

        def read() -> int:
            return payments.patient_account(db, patient_id).advance

        def shown(advance: int) -> None:
            if self.session.state == CounterState.TENDERING and advance > 0:
                self.tender_pane.set_methods(offered, advance=advance)
                self.tender_pane.show_state(self.session.tender_state(), self.session.payments())

        self._run(read, shown, self._failed)

    def _add_payment(self, line: TenderLine) -> None:
        if self.session.add_payment(line):
            self.tender_pane.after_line()

    def _show_upi_qr(self) -> None:
        upi_id = self._branch.details.upi_id or ""
        due = self.session.tender_state().due
        tendering = self.session.state == CounterState.TENDERING
        if not tendering or self.tender_pane.method() is not Method.UPI or not upi_id or not due:
            self.upi_card.show_payment(None)
            return
        name = self._branch.details.name
        self.upi_card.show_payment(
            upi_link(upi_id, name, due, "Invoice"),
            f"Scan to pay {format_rupees(due)} to {upi_id}",
        )

    def _ask_manager(self, sentence: str) -> None:
        """A manager's PIN on the spot allows what the person may not do alone."""
        self.manager_dialog = ask_manager_approval(
            self._db, sentence, self.session.approve, parent=self
        )
        # Once the dialog has gone and its window given focus back.
        self.manager_dialog.finished.connect(lambda _r: QTimer.singleShot(0, self._after_manager))

    def _after_manager(self) -> None:
        """Back where the refused step was: the payment, or the cart."""
        self.manager_dialog = None
        self.window().activateWindow()
        if self.session.state == CounterState.TENDERING:
            self.tender_pane.methods.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _saved(self, document: InvoiceDocument) -> None:
        self._badges_converted(document)
        self._show_codes()
        self._item_message("")
        self.saved_label.setText(f"Saved {document.invoice_number}")
        self.saved_detail.setText(
            f"{format_rupees(document.total_amount)} for {document.patient_name}"
        )
        self.pdf_label.setText("Writing the PDF...")
        self.pdf_label.setToolTip("")
        self.saved_card.show()
        self._update_save_button()
        self.new_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self._open_when_written = True
        self._receipt_printed = None
        self._pdf_ready = None
        self._print_receipt_of(document, after_save=True)
        self.invoice_saved.emit(str(document.id))

    # -- the PDF -------------------------------------------------------------------------

    def _pdf_written(self, path: str) -> None:
        self._pdf_ready = path
        self.pdf_written.emit(path)
        self._open_written_pdf()

    def _open_written_pdf(self) -> None:
        """After a save the A4 PDF stands in for the receipt where no printer printed it:
        opened once both the PDF and the printer's answer are in."""
        path = self._pdf_ready
        if path is None or self._receipt_printed is None:
            return
        opening = (
            self._open_when_written and not self._receipt_printed and self._open_file is not None
        )
        if not self._receipt_printed:
            self.pdf_label.setText("PDF written and opened." if opening else "PDF written.")
        self.pdf_label.setToolTip(path)
        if self._open_when_written and not self._receipt_printed:
            self._open(Path(path))
        self._open_when_written = False

    def _pdf_failed(self, detail: str) -> None:
        self._open_when_written = False
        self.pdf_label.setText("The PDF was not written: press Print again.")
        self.pdf_label.setToolTip(detail)

    def _open(self, path: Path) -> None:
        if self._open_file is not None:
            self._open_file(path)

    def print_again(self) -> None:
        """Open the saved invoice's A4 PDF (writing it first if it is missing)."""
        if self.session.saved_invoice() is None:
            return
        path = self.session.pdf_path()
        if path is not None and path.exists():
            self._open(path)
        else:
            self._open_when_written = True
            self._receipt_printed = False
            self.session.write_pdf()

    def print_receipt(self) -> None:
        """Print the saved invoice's receipt again (Ctrl+P)."""
        document = self.session.saved_invoice()
        if document is not None and self._prints.idle:
            self._print_receipt_of(document, after_save=False)

    def _print_receipt_of(self, document: InvoiceDocument, *, after_save: bool) -> None:
        """The receipt on the printer the settings name. Straight after a save, with no
        printer to reach, the A4 PDF opens instead (as it always did); asked for again, the
        receipt itself becomes a PDF beside the invoice's."""
        db = self._db
        # Imported on the first print: Qt's print support is not needed to start the app.
        from desktop import printing
        from services.printer_settings import printer_settings

        def loaded(settings: PrinterSettings) -> None:
            if self.session.saved_invoice() is not document:
                return  # a new invoice was started meanwhile
            if after_save and not printing.reaches_a_printer(settings):
                self._receipt_printed = False
                self._open_written_pdf()
                return
            self.pdf_label.setText("Printing the receipt...")
            printing.start_receipt(
                self._prints,
                document,
                settings,
                self,
                said=printed,
                failed=not_printed,
                pdf_folder=self.session.invoice_folder,
                open_file=self._open_file,
            )

        def printed(sentence: str) -> None:
            self._receipt_printed = True
            self.pdf_label.setText(sentence)
            self._open_written_pdf()

        def not_printed(error: Exception) -> None:
            self._receipt_printed = True  # the message is about the printer, not the PDF
            self.pdf_label.setText(f"{error_sentence(error)} Press Ctrl+P to try again.")
            self._open_written_pdf()

        self._prints.run(lambda: printer_settings(db), loaded, not_printed)

    # -- starting over, parking ----------------------------------------------------------

    def new_invoice(self) -> None:
        """Start a new invoice (Ctrl+N). An unsaved cart needs a second Ctrl+N to discard."""
        if self.session.state == CounterState.SAVING:
            self.session.new_invoice()  # says to wait
            return
        if self.session.has_unsaved_cart() and not self._discard_armed:
            self._discard_armed = True
            self._say("This invoice is not saved. Press Ctrl+N again to discard it.")
            return
        self.discard()
        self.patient_field.setFocus(Qt.FocusReason.OtherFocusReason)

    def discard(self) -> None:
        """Start over at once: an unsaved cart is dropped without asking."""
        self._discard_armed = False
        self._open_when_written = False
        self._pdf_ready = None
        if not self.session.new_invoice():
            return
        self.badge_views.clear()
        self._applied_by_code.clear()
        self._tick_while_shown()
        self._show_code_status(None)
        self.saved_card.hide()
        self.patient_field.clear()
        self.patient_field.cancel()
        self.item_field.clear()
        self.item_field.cancel()
        self.code_field.clear()
        self._show_patient()
        self._item_message("Enter adds it; the field stays ready for the next item.")

    def park(self) -> ParkedCart | None:
        """The unsaved cart, set aside to come back after the next sign-in (None if empty)."""
        return self.session.park()

    def restore(self, parked: ParkedCart) -> None:
        """Put a parked cart back on the counter."""
        self.discard()
        if not self.session.restore(parked):
            return
        patient = self.session.patient()
        self.patient_field.setText(patient.name if patient else "")
        self._show_patient()
        self._show_codes()
        if not self.cart.is_empty():
            self._select(self.cart.rowCount() - 1)
        self.item_field.setFocus(Qt.FocusReason.OtherFocusReason)
