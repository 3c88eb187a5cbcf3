"""A patient's page: who they are and how they may be messaged, with Edit; their visits and
spend; their invoices, the promotions they used and their callbacks; their dues and
advances, settled or added to by keyboard, and their payments, one taken by mistake
reversed with a reason and a manager's approval (issue #11). A manager can merge another record
of the same person into this one (issue #12) and set their credit limit.

Every read and write runs in a background op. A refused edit says why beside its field; a
mobile that another patient has asks whether they are the same family. Esc leaves the edit
(its changes dropped) and, outside an edit, closes the page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractItemModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.manager_pin import ManagerPinDialog, ask_manager_approval
from desktop.dialogs.payment_dialog import PaymentDialog, amount_text
from desktop.errors import error_sentence, log_failure
from desktop.models.patient_page_models import (
    PatientCallbacksModel,
    PatientDuesModel,
    PatientInvoicesModel,
    PatientPaymentsModel,
    PatientPromotionsModel,
    local_time,
    payment_kind_text,
    payment_method_text,
)
from desktop.models.promotion_models import short_day
from desktop.widgets.empty_table import EmptyStateTable
from desktop.widgets.form import FieldForm, restyle
from desktop.widgets.questions import whole_buttons
from desktop.widgets.type_ahead import TypeAheadField
from desktop.workers import OpCounter
from domain.errors import BadInput
from domain.money import format_rupees, rupees_to_paise
from domain.patients import NewPatient, PatientDetailsError, validate_new_patient
from domain.payments import TenderLine
from domain.permissions import allowed
from services import consent as consent_service
from services import patients as patient_service
from services import payments as payment_service
from services.auth import CurrentUser
from services.consent import ChannelState, ConsentEvent
from services.patients import Merge, MobileOnFile, PatientMatch, PatientPage
from services.payments import PaymentEntry

GENDERS = (("Not said", ""), ("Female", "female"), ("Male", "male"), ("Other", "other"))
# The channels a patient may be messaged by: (fact on the page, caption).
CHANNELS = (("sms", "SMS"), ("whatsapp", "WhatsApp"), ("email_consent", "E-mail"))
EDIT_SHORTCUT = "Ctrl+E"
MERGE_SHORTCUT = "Ctrl+M"
SETTLE_SHORTCUT = "Ctrl+D"
ADVANCE_SHORTCUT = "Ctrl+Shift+A"
CREDIT_SHORTCUT = "Ctrl+L"
REVERSE_SHORTCUT = "Ctrl+R"
WALK_IN_ACCOUNT = "The walk-in customer has no account: money is taken with each sale."
# The page's size when there is room for it; inside a smaller window it takes what it has.
PAGE_SIZE = (1000, 600)
LEFT_WIDTH = 450
_DAY = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")


def mobile_text(mobile: str) -> str:
    """'7992905876' -> '79929 05876'."""
    return f"{mobile[:5]} {mobile[5:]}" if len(mobile) == 10 else mobile


def who(patient: PatientMatch) -> str:
    """'Lakshmi Shetty (79929 05876)': two records of one person often share the name."""
    return f"{patient.name} ({mobile_text(patient.mobile)})"


def counted(number: int, one: str, many: str) -> str:
    return f"{'no' if number == 0 else number} {one if number == 1 else many}"


def moving(invoices: int, uses: int, callbacks: int) -> str:
    """'6 invoices, no promotion uses and 1 callback'."""
    return (
        f"{counted(invoices, 'invoice', 'invoices')}, "
        f"{counted(uses, 'promotion use', 'promotion uses')} and "
        f"{counted(callbacks, 'callback', 'callbacks')}"
    )


def day_text(day: date) -> str:
    """'20-01-2006', as the birth date is typed."""
    return f"{day.day:02d}-{day.month:02d}-{day.year}"


def parse_day(text: str) -> date | None:
    """A birth date typed as DD-MM-YYYY (or with / or .), or YYYY-MM-DD; None when empty."""
    typed = text.strip()
    if not typed:
        return None
    try:
        match = _DAY.match(typed)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(typed)
    except ValueError:
        raise PatientDetailsError(
            "birth_date", "Type the birth date as DD-MM-YYYY, for example 20-01-2006"
        ) from None


def consent_text(given: bool) -> str:
    return "Yes" if given else "No"


# The page's consent facts and the channel each one is (services.consent).
CONSENT_CHANNELS = {"sms": "sms", "whatsapp": "whatsapp", "email_consent": "email"}
SOURCE_WORDS = {
    "form": "on the form",
    "counter": "at the counter",
    "reply": "by reply",
    "import": "imported",
}
DNC_WORDS = {
    "unsubscribed": "unsubscribed",
    "bounced": "messages bounce",
    "manual": "blocked by the clinic",
}


def read_consent(
    db: Database, patient_id: uuid.UUID
) -> tuple[list[ChannelState], list[ConsentEvent]]:
    """The patient's consent per channel and their last consent events."""
    return consent_service.consent_state(db, patient_id), consent_service.consent_history(
        db, patient_id
    )[:3]


def consent_state_text(state: ChannelState, when: Callable[[datetime], str]) -> str:
    """'Yes, since 24 Nov at the counter' / 'No: withdrawn 24 Nov by reply' / 'No: ...'."""
    event = state.promotional
    if state.do_not_contact is not None:
        return f"No: {DNC_WORDS.get(state.do_not_contact, state.do_not_contact)}"
    if event is None:
        return "No (never asked)"
    how = SOURCE_WORDS.get(event.source, event.source)
    if event.action == "granted":
        return f"Yes, since {when(event.at)} {how}"
    return f"No: withdrawn {when(event.at)} {how}"


def read_page(db: Database, patient_id: uuid.UUID) -> tuple[PatientPage, tuple[PaymentEntry, ...]]:
    """The patient's page and their payments (none listed for the walk-in customer: they
    stand for everyone not registered)."""
    page = patient_service.patient_page(db, patient_id)
    paid = () if page.walk_in else payment_service.patient_payments(db, patient_id)
    return page, paid


class PatientPageDialog(QDialog):
    """One patient's page, read in the background and read again after each change.

    Signals:
        patient_changed(object): the patient's PatientMatch after an edit or a merge (the
            counter shows the new name).
        loaded(): the page on show is the patient as now read.
    """

    patient_changed = Signal(object)
    loaded = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        patient_id: uuid.UUID,
        *,
        timezone: str,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._patient_id = patient_id
        self._zone = ZoneInfo(timezone)
        self._clock = clock
        self._reads = OpCounter(self)
        self._writes = OpCounter(self)
        self._page: PatientPage | None = None
        self._consent: dict[str, ChannelState] = {}
        self._editing = False
        # The question asked when the new mobile is another patient's (kept for tests).
        self.family_question: QMessageBox | None = None
        self.merge_dialog: MergeDialog | None = None
        # The payment dialog (Settle, Take advance) and the credit limit question, when open.
        self.payment_dialog: PaymentDialog | None = None
        self.limit_dialog: QInputDialog | None = None
        # Reversing a payment: the reason asked, then (front desk) a manager's PIN.
        self.reason_dialog: QInputDialog | None = None
        self.manager_dialog: ManagerPinDialog | None = None
        self.setObjectName("PatientPage")
        self.setWindowTitle("Patient - Frontdesk")

        self._build(timezone)
        self._keys()
        self._size_to_window(parent)
        self.reload()

    # -- building ------------------------------------------------------------------------

    def _build(self, timezone: str) -> None:
        self.name_label = QLabel("Reading the patient...")
        self.name_label.setObjectName("CardTitle")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.since_label = QLabel()
        self.since_label.setObjectName("Muted")
        self.edit_button = QPushButton(f"&Edit details  ({EDIT_SHORTCUT})")
        self.edit_button.setAutoDefault(False)
        self.edit_button.clicked.connect(self.start_edit)
        self.merge_button = QPushButton("Merge with another record...")
        self.merge_button.setAutoDefault(False)
        self.merge_button.setToolTip(
            f"Move another record of this person into this one ({MERGE_SHORTCUT})"
        )
        self.merge_button.clicked.connect(self.open_merge)
        self.merge_button.setVisible(allowed(self._user.role, "patient.merge"))
        self.close_button = QPushButton("Close  (Esc)")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close_page)
        for button in (self.edit_button, self.merge_button, self.close_button):
            button.setMinimumWidth(button.sizeHint().width())

        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(self.name_label)
        heading.addWidget(self.since_label)
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addLayout(heading, 1)
        head.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.merge_button, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

        self.notice = QLabel()
        self.notice.setObjectName("NoticeInfo")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Message")
        self.notice.hide()

        self.details_stack = QStackedWidget()
        self._detail_pages = (self._build_view(), self._build_edit())
        for page in self._detail_pages:
            self.details_stack.addWidget(page)
        self._show_details(0)
        card = QFrame()
        card.setObjectName("Card")
        card_column = QVBoxLayout(card)
        card_column.setContentsMargins(16, 12, 16, 14)
        card_column.addWidget(self.details_stack)
        card_column.addStretch(1)
        self.details_scroll = QScrollArea()
        self.details_scroll.setWidget(card)
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # Who they are on the left, a column wide enough for the edit form and its
        # messages; what they did (the tables) takes the rest.
        self.summary = self._build_summary()
        self.payments_label = QLabel()
        self.payments_label.setObjectName("Hint")
        self.payments_label.setAccessibleName("Account")
        self.payments_label.setWordWrap(True)
        left_host = QWidget()
        left_host.setFixedWidth(LEFT_WIDTH)
        left = QVBoxLayout(left_host)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(10)
        left.addWidget(self.details_scroll, 1)
        left.addWidget(self.summary)
        left.addWidget(self.payments_label)

        # What a save or a merge did shows over the tables, where a merge's invoices land,
        # leaving the details their height.
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(self.notice)
        right.addWidget(self._build_tabs(timezone), 1)

        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(left_host)
        body.addLayout(right, 1)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(12)
        column.addLayout(head)
        column.addLayout(body, 1)

    def _build_view(self) -> QWidget:
        view = QWidget()
        grid = QGridLayout(view)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        self.facts: dict[str, QLabel] = {}
        sections = (
            (
                "Details",
                {
                    "mobile": "Mobile",
                    "email": "E-mail",
                    "birth_date": "Birth date",
                    "gender": "Gender",
                    "gstin": "GSTIN",
                },
            ),
            ("May we message them?", {channel: shown for channel, shown in CHANNELS}),
        )
        row = 0
        for heading, captions in sections:
            title = QLabel(heading)
            title.setObjectName("PaneHeading")
            title.setContentsMargins(0, 10 if row else 0, 0, 2)
            grid.addWidget(title, row, 0, 1, 2)
            row += 1
            for field, caption in captions.items():
                label = QLabel(caption)
                label.setObjectName("Muted")
                value = QLabel()
                value.setWordWrap(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setAccessibleName(caption)
                self.facts[field] = value
                grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignTop)
                row += 1
        # Consent per channel (issue #16): as easy to withdraw as to give, one button each.
        self.consent_buttons: dict[str, QPushButton] = {}
        for fact, channel in CONSENT_CHANNELS.items():
            value = self.facts[fact]
            position: tuple[int, int, int, int] = grid.getItemPosition(grid.indexOf(value))  # type: ignore[assignment]
            fact_row = position[0]
            button = QPushButton("Give")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, c=channel: self.toggle_consent(c))
            self.consent_buttons[channel] = button
            grid.addWidget(button, fact_row, 2, Qt.AlignmentFlag.AlignTop)
        self.consent_history = QLabel()
        self.consent_history.setObjectName("Hint")
        self.consent_history.setWordWrap(True)
        self.consent_history.setAccessibleName("Consent history")
        grid.addWidget(self.consent_history, row, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(row + 1, 1)
        return view

    def _build_edit(self) -> QWidget:
        edit = QWidget()
        grid = QGridLayout(edit)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        title = QLabel("Edit details")
        title.setObjectName("PaneHeading")
        grid.addWidget(title, 0, 0, 1, 3)

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.mobile_edit = QLineEdit()
        self.mobile_edit.setMaxLength(20)
        self.email_edit = QLineEdit()
        self.email_edit.setMaxLength(200)
        self.birth_edit = QLineEdit()
        self.birth_edit.setMaxLength(10)
        self.birth_edit.setPlaceholderText("DD-MM-YYYY")
        self.gender_combo = QComboBox()
        for shown, value in GENDERS:
            self.gender_combo.addItem(shown, value)
        # Created in the order they are laid out: Tab follows creation.
        self.sms_box = QCheckBox("SMS")
        self.whatsapp_box = QCheckBox("WhatsApp")
        self.email_box = QCheckBox("E-mail")
        self.gstin_edit = QLineEdit()
        self.gstin_edit.setMaxLength(15)
        self.gstin_edit.setPlaceholderText("Optional")
        for widget in (self.name_edit, self.mobile_edit, self.email_edit, self.gstin_edit):
            widget.setMinimumWidth(180)

        self.form = FieldForm(message_width=130)
        fields: Sequence[tuple[str, str, QWidget, str]] = (
            ("name", "&Name", self.name_edit, ""),
            ("mobile", "&Mobile", self.mobile_edit, "10 digits; +91 or 0 is fine."),
            ("email", "E-m&ail", self.email_edit, ""),
            ("birth_date", "&Birth date", self.birth_edit, ""),
            ("gender", "&Gender", self.gender_combo, ""),
            ("gstin", "GS&TIN", self.gstin_edit, "A registered business's."),
        )
        row = 1
        for field, caption, field_input, hint in fields:
            self.form.add_row(grid, row, field, caption, field_input, hint=hint)
            row += 1
            if field == "gender":
                row = self._consent_row(grid, row)

        self.edit_status = QLabel()
        self.edit_status.setObjectName("FieldError")
        self.edit_status.setWordWrap(True)
        self.edit_status.setAccessibleName("Save status")
        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(lambda: self.save())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Leave the details as they were (Esc)")
        self.cancel_button.clicked.connect(self.cancel_edit)
        buttons = QHBoxLayout()
        buttons.setSpacing(10)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        grid.addWidget(self.edit_status, row, 0, 1, 3)
        grid.addLayout(buttons, row + 1, 0, 1, 3)
        grid.setColumnStretch(2, 1)
        for line in (self.name_edit, self.mobile_edit, self.email_edit, self.birth_edit):
            line.returnPressed.connect(lambda: self.save())
        self.gstin_edit.returnPressed.connect(lambda: self.save())
        return edit

    def _consent_row(self, grid: QGridLayout, row: int) -> int:
        caption = QLabel("Consent")
        caption.setToolTip("The channels the patient agreed to be messaged by")
        caption.setContentsMargins(0, 2, 0, 0)
        boxes = QHBoxLayout()
        boxes.setSpacing(14)
        for box in (self.sms_box, self.whatsapp_box, self.email_box):
            box.setAccessibleName(f"May message by {box.text()}")
            boxes.addWidget(box)
        boxes.addStretch(1)
        grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(boxes, row, 1, 1, 2)
        return row + 1

    def _build_summary(self) -> QWidget:
        summary = QFrame()
        summary.setObjectName("KpiTile")
        summary.setStyleSheet(theme.section("dashboard"))
        row = QHBoxLayout(summary)
        row.setContentsMargins(16, 10, 16, 10)
        row.setSpacing(28)
        self.figures: dict[str, QLabel] = {}
        for key, caption in (("visits", "Visits"), ("last", "Last visit"), ("spent", "Spent")):
            cell, self.figures[key] = self._figure(caption)
            row.addLayout(cell)
        row.addStretch(1)
        return summary

    @staticmethod
    def _figure(caption: str) -> tuple[QVBoxLayout, QLabel]:
        """A figure of a tile: its caption over its value (the value label, to fill in)."""
        cell = QVBoxLayout()
        cell.setSpacing(0)
        name = QLabel(caption)
        name.setObjectName("KpiCaption")
        value = QLabel("-")
        value.setObjectName("KpiValue")
        value.setAccessibleName(caption)
        cell.addWidget(name)
        cell.addWidget(value)
        return cell, value

    def _build_tabs(self, timezone: str) -> QWidget:
        self.invoices_model = PatientInvoicesModel(self)
        self.promotions_model = PatientPromotionsModel(timezone, self)
        self.callbacks_model = PatientCallbacksModel(timezone, self)
        self.invoices_table = self._table(
            self.invoices_model, "No invoices yet", "Invoices for this patient show here."
        )
        self.invoices_table.set_widths({1: 118, 2: 125, 3: 80}, stretch=0)
        self.promotions_table = self._table(
            self.promotions_model, "No promotions used", "Discounts this patient had show here."
        )
        self.promotions_table.set_widths({0: 180, 1: 110}, stretch=2)
        self.callbacks_table = self._table(
            self.callbacks_model, "No callbacks", "Calls this patient asked for show here."
        )
        self.callbacks_table.set_widths({0: 165, 1: 140, 2: 90}, stretch=3)
        self.tabs = QTabWidget()
        self.tabs.setStyleSheet(theme.section("tabs-and-tables"))
        self.tabs.addTab(self.invoices_table, "In&voices")
        self.tabs.addTab(self.promotions_table, "&Promotions used")
        self.tabs.addTab(self.callbacks_table, "&Callbacks")
        # "Dues" on its tab: four long names would not fit beside the details in 1024 pixels.
        # The payments are in it too: a fifth tab would not fit beside the details either.
        self.tabs.addTab(self._build_dues(timezone), "&Dues")
        return self.tabs

    def _build_dues(self, timezone: str) -> QWidget:
        """Open invoices with what each owes, or the payments (two tabs under the figures:
        one above the other, each would get two rows in a 1024x640 window); the advance,
        the balance, the credit limit; Settle, Take advance and (a manager) Credit limit."""
        self.account_figures: dict[str, QLabel] = {}
        tile = QFrame()
        tile.setObjectName("KpiTile")
        tile.setStyleSheet(theme.section("dashboard"))
        # Two by two: four figures in a row do not fit beside the details in 1024 pixels.
        figures = QGridLayout(tile)
        figures.setContentsMargins(14, 8, 14, 8)
        figures.setHorizontalSpacing(24)
        figures.setVerticalSpacing(6)
        for number, (key, caption) in enumerate(
            (
                ("owed", "Owes"),
                ("advance", "Advance held"),
                ("balance", "Balance"),
                ("limit", "Credit limit"),
            )
        ):
            cell, self.account_figures[key] = self._figure(caption)
            figures.addLayout(cell, number // 2, number % 2)
        figures.setColumnStretch(2, 1)

        self.dues_model = PatientDuesModel(self)
        self.dues_table = self._table(
            self.dues_model, "Nothing owed", "Invoices with an amount still due show here."
        )
        self.dues_table.set_widths({0: 140, 1: 118, 2: 105}, stretch=3)

        self.settle_button = QPushButton("&Settle...")
        self.settle_button.setObjectName("PrimaryButton")
        self.settle_button.setToolTip(
            f"Take a payment for the dues, oldest invoice first ({SETTLE_SHORTCUT})"
        )
        self.settle_button.clicked.connect(self.open_settle)
        self.advance_button = QPushButton("Ta&ke advance...")
        self.advance_button.setToolTip(
            f"Money paid before a treatment, kept for a later invoice ({ADVANCE_SHORTCUT})"
        )
        self.advance_button.clicked.connect(self.open_advance)
        self.limit_button = QPushButton("Credit &limit...")
        self.limit_button.setToolTip(f"How much this patient may owe ({CREDIT_SHORTCUT})")
        self.limit_button.clicked.connect(self.open_credit_limit)
        self.limit_button.setVisible(allowed(self._user.role, "credit_limit.change"))
        keys = f"{SETTLE_SHORTCUT} settles, {ADVANCE_SHORTCUT} takes an advance"
        if allowed(self._user.role, "credit_limit.change"):
            keys += f", {CREDIT_SHORTCUT} sets the credit limit"
        # Each inner tab has its own buttons and keys under its table.
        owing, self.dues_keys = self._pane(
            "Open invoices",
            self.dues_table,
            (self.settle_button, self.advance_button, self.limit_button),
            f"{keys}.",
        )

        page = QWidget()
        page.setAccessibleName("Dues and advances")
        column = QVBoxLayout(page)
        column.setContentsMargins(8, 8, 8, 8)
        column.setSpacing(8)
        column.addWidget(tile)
        self.account_tabs = QTabWidget()
        self.account_tabs.setDocumentMode(True)
        self.account_tabs.addTab(owing, "&Open invoices")
        self.account_tabs.addTab(self._build_payments(timezone), "Pa&yments")
        column.addWidget(self.account_tabs, 1)
        self.dues_page = page
        return page

    def _build_payments(self, timezone: str) -> QWidget:
        """Every payment of the patient, newest first; Reverse payment for the one
        selected, when it is money taken and not reversed yet."""
        self.payments_model = PatientPaymentsModel(timezone, self)
        self.payments_table = self._table(
            self.payments_model, "No payments", "Money this patient paid or was paid shows here."
        )
        self.payments_table.set_widths({0: 118, 2: 120}, stretch=1)
        self.payments_table.selectionModel().selectionChanged.connect(
            lambda _selected, _deselected: self._enable_reverse()
        )
        self.reverse_button = QPushButton("&Reverse payment...")
        self.reverse_button.setToolTip(
            f"Undo the selected payment, taken by mistake, with a reason ({REVERSE_SHORTCUT})"
        )
        self.reverse_button.setEnabled(False)
        self.reverse_button.clicked.connect(self.open_reverse)
        approval = "" if allowed(self._user.role, "payment.reverse") else " with a manager's PIN"
        self.payments_page, self.payments_keys = self._pane(
            "Payments",
            self.payments_table,
            (self.reverse_button,),
            f"{REVERSE_SHORTCUT} reverses the selected payment{approval}: what it paid is owed "
            "again.",
        )
        return self.payments_page

    @staticmethod
    def _pane(
        name: str, table: QWidget, buttons: Sequence[QPushButton], keys: str
    ) -> tuple[QWidget, QLabel]:
        """A table with its buttons in a row under it and the keys they answer to; the
        pane and its keys label."""
        actions = QHBoxLayout()
        actions.setSpacing(8)
        for button in buttons:
            button.setAutoDefault(False)
            button.setMinimumWidth(button.sizeHint().width())
            actions.addWidget(button)
        actions.addStretch(1)
        hint = QLabel(keys)
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        pane = QWidget()
        pane.setAccessibleName(name)
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 6, 0, 0)
        column.setSpacing(6)
        column.addWidget(table, 1)
        column.addLayout(actions)
        column.addWidget(hint)
        return pane, hint

    @staticmethod
    def _table(model: QAbstractItemModel, title: str, detail: str) -> EmptyStateTable:
        table = EmptyStateTable(title, detail)
        table.setModel(model)
        table.setAccessibleName(title)
        return table

    def _keys(self) -> None:
        bindings: list[tuple[QKeySequence | str, Callable[[], object]]] = [
            (EDIT_SHORTCUT, self.start_edit),
            (QKeySequence(QKeySequence.StandardKey.Save), lambda: self.save()),
            (MERGE_SHORTCUT, self.open_merge),
            (SETTLE_SHORTCUT, self.open_settle),
            (ADVANCE_SHORTCUT, self.open_advance),
            (CREDIT_SHORTCUT, self.open_credit_limit),
            (REVERSE_SHORTCUT, self.open_reverse),
        ]
        self._shortcuts = []
        for keys, slot in bindings:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)

    def _size_to_window(self, parent: QWidget | None) -> None:
        width, height = PAGE_SIZE
        window = parent.window() if parent is not None else None
        if window is not None and window.isVisible():
            width = min(width, window.width() - 24)
            height = min(height, window.height() - 24)
        self.resize(width, height)

    # -- reading -------------------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing is being read or saved."""
        paying = self.payment_dialog is not None and not self.payment_dialog.is_idle()
        return self._reads.idle and self._writes.idle and not paying

    def page(self) -> PatientPage | None:
        """The page as last read."""
        return self._page

    def reload(self) -> None:
        """Read the patient's page again."""
        db, patient_id = self._db, self._patient_id
        number = self._reads.begin()
        self._reads.run(
            lambda: (*read_page(db, patient_id), read_consent(db, patient_id)),
            lambda read: self._show(number, *read),
            lambda error: self._read_failed(number, error),
        )

    def _read_failed(self, number: int, error: Exception) -> None:
        if self._reads.is_latest(number):
            self._say(f"The patient could not be read. {error_sentence(error)}", error=True)

    def _show(
        self,
        number: int,
        page: PatientPage,
        paid: Sequence[PaymentEntry],
        consents: tuple[list[ChannelState], list[ConsentEvent]],
    ) -> None:
        if not self._reads.is_latest(number):
            return
        self._page = page
        match, details = page.match, page.details
        self.setWindowTitle(f"{match.name} - Frontdesk")
        self.name_label.setText(f"{match.name}   {mobile_text(match.mobile)}")
        self.since_label.setText(f"Patient since {short_day(self._local_day(page.created_at))}")
        self.facts["mobile"].setText(mobile_text(details.mobile))
        self.facts["email"].setText(details.email or "None given")
        birth = details.birth_date
        self.facts["birth_date"].setText(
            f"{short_day(birth)} (age {self._age(birth)})" if birth else "Not given"
        )
        genders = {value: shown for shown, value in GENDERS}
        self.facts["gender"].setText(genders.get(details.gender, details.gender.title()))
        self._show_consent(*consents, walk_in=page.walk_in)
        self.facts["gstin"].setText(details.gstin or "None (not a registered business)")
        self.figures["visits"].setText(str(match.visits))
        self.figures["last"].setText(short_day(match.last_visit) if match.last_visit else "None")
        self.figures["spent"].setText(format_rupees(page.spent))
        self.invoices_model.set_rows(page.invoices)
        self.promotions_model.set_rows(page.promotions)
        self.promotions_table.resizeRowsToContents()
        self.callbacks_model.set_rows(page.callbacks)
        self.tabs.setTabText(0, f"In&voices ({len(page.invoices)})")
        self.tabs.setTabText(1, f"&Promotions used ({len(page.promotions)})")
        self.tabs.setTabText(2, f"&Callbacks ({len(page.callbacks)})")
        self._show_account(page)
        self._show_payments(paid)
        self.loaded.emit()

    def _show_consent(
        self, states: list[ChannelState], history: list[ConsentEvent], *, walk_in: bool
    ) -> None:
        def when(at: datetime) -> str:
            return short_day(self._local_day(at))

        self._consent = {state.channel: state for state in states}
        for fact, channel in CONSENT_CHANNELS.items():
            state = self._consent[channel]
            self.facts[fact].setText(consent_state_text(state, when))
            button = self.consent_buttons[channel]
            button.setText("Withdraw" if state.may_promote else "Give")
            button.setToolTip(
                f"The patient no longer wants offers by {channel}"
                if state.may_promote
                else f"The patient agrees to offers by {channel} (read them the notice)"
            )
            button.setVisible(not walk_in)
        lines = [
            f"{when(e.at)}: {e.channel} {e.purpose} {e.action} {SOURCE_WORDS.get(e.source, e.source)}"
            for e in history
        ]
        self.consent_history.setText(
            "Latest: " + "; ".join(lines) if lines else "No consent recorded yet."
        )

    def toggle_consent(self, channel: str) -> None:
        """Give or withdraw consent to offers by `channel`, as the button says."""
        state = self._consent.get(channel)
        granted = not (state is not None and state.may_promote)
        db, user, patient_id, now = self._db, self._user, self._patient_id, self._clock()
        self.consent_buttons[channel].setEnabled(False)

        def done(_event: ConsentEvent) -> None:
            self.consent_buttons[channel].setEnabled(True)
            self._say(
                f"Recorded: {'agrees to' if granted else 'no longer wants'} offers by {channel}."
            )
            self.reload()

        def failed(error: Exception) -> None:
            self.consent_buttons[channel].setEnabled(True)
            log_failure(error)
            self._say(error_sentence(error), error=True)

        self._writes.run(
            lambda: consent_service.record_consent(
                db,
                user,
                patient_id,
                channel,
                granted=granted,
                source="counter",
                now=now,
            ),
            done,
            failed,
        )

    def _show_account(self, page: PatientPage) -> None:
        account = page.account
        if account is None or page.walk_in:
            self.payments_label.setText(WALK_IN_ACCOUNT if page.walk_in else "")
            self.dues_model.set_rows([])
            for value in self.account_figures.values():
                value.setText("-")
            for button in (self.settle_button, self.advance_button, self.limit_button):
                button.setEnabled(False)
            return
        limit = account.credit_limit
        limit_text = "No limit" if limit is None else format_rupees(limit)
        balance = account.balance
        self.account_figures["owed"].setText(format_rupees(account.owed))
        self.account_figures["advance"].setText(format_rupees(account.advance))
        self.account_figures["balance"].setText(
            f"{format_rupees(abs(balance))} {'owed' if balance > 0 else 'in hand'}"
            if balance
            else format_rupees(0)
        )
        self.account_figures["limit"].setText(limit_text)
        self.dues_model.set_rows(account.dues)
        dues = len(account.dues)
        self.tabs.setTabText(3, f"&Dues ({dues})")
        self.tabs.setTabToolTip(3, "Dues, advances and payments")
        self.account_tabs.setTabText(0, f"&Open invoices ({dues})")
        if dues:
            said = (
                f"Owes {format_rupees(account.owed)} on "
                f"{counted(dues, 'invoice', 'invoices')} ({SETTLE_SHORTCUT} settles)."
            )
        else:
            said = "Owes nothing."
        if account.advance:
            said += f" Holds an advance of {format_rupees(account.advance)}."
        self.payments_label.setText(said)
        self.settle_button.setEnabled(bool(dues))
        self.advance_button.setEnabled(True)
        self.limit_button.setEnabled(True)

    def _local_day(self, at: datetime) -> date:
        return (at.astimezone(self._zone) if at.tzinfo else at).date()

    def _today(self) -> date:
        return self._clock().astimezone(self._zone).date()

    def _age(self, birth: date) -> int:
        today = self._today()
        return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.notice.setObjectName("NoticeError" if error else "NoticeInfo")
        restyle(self.notice)
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def message(self) -> str:
        """The line under the heading ('' when there is none)."""
        return self.notice.text() if not self.notice.isHidden() else ""

    # -- editing -------------------------------------------------------------------------

    def is_editing(self) -> bool:
        return self._editing

    def start_edit(self) -> None:
        """Show the details as a form, filled in as they are on record (Ctrl+E)."""
        if self._page is None or self._editing:
            return
        details = self._page.details
        self.name_edit.setText(details.name)
        self.mobile_edit.setText(details.mobile)
        self.email_edit.setText(details.email)
        self.birth_edit.setText(day_text(details.birth_date) if details.birth_date else "")
        self.gender_combo.setCurrentIndex(max(self.gender_combo.findData(details.gender), 0))
        self.sms_box.setChecked(details.consent_sms)
        self.whatsapp_box.setChecked(details.consent_whatsapp)
        self.email_box.setChecked(details.consent_email)
        self.gstin_edit.setText(details.gstin)
        for line in (self.name_edit, self.mobile_edit, self.email_edit, self.gstin_edit):
            line.setCursorPosition(0)  # the start of a long e-mail, not its end
        self.form.clear()
        self.edit_status.clear()
        self._editing = True
        self._show_details(1)
        self.summary.hide()
        self.payments_label.hide()
        self.edit_button.setEnabled(False)
        self.merge_button.setEnabled(False)
        self._say("")
        self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.name_edit.selectAll()

    def _show_details(self, index: int) -> None:
        """The view (0) or the form (1). The page not on show asks for no room: a stack
        sized for the taller form would scroll the shorter view."""
        for number, page in enumerate(self._detail_pages):
            policy = QSizePolicy.Policy.Preferred if number == index else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        self.details_stack.setCurrentIndex(index)
        self.details_stack.adjustSize()

    def cancel_edit(self) -> None:
        """Leave the form; the details stay as they are on record."""
        if not self._editing or not self._writes.idle:
            return
        self._leave_edit()
        self.edit_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _leave_edit(self) -> None:
        self._editing = False
        self._show_details(0)
        self.summary.show()
        self.payments_label.show()
        self.edit_button.setEnabled(True)
        self.merge_button.setEnabled(True)

    def edited_details(self) -> NewPatient:
        """The form as filled in; raises PatientDetailsError for a birth date not a date."""
        return NewPatient(
            name=self.name_edit.text(),
            mobile=self.mobile_edit.text(),
            email=self.email_edit.text(),
            birth_date=parse_day(self.birth_edit.text()),
            gender=str(self.gender_combo.currentData() or ""),
            consent_sms=self.sms_box.isChecked(),
            consent_email=self.email_box.isChecked(),
            consent_whatsapp=self.whatsapp_box.isChecked(),
            gstin=self.gstin_edit.text().strip().upper(),
        )

    def save(self, *, shared_mobile: bool = False) -> None:
        """Save the form in the background (Ctrl+S or Enter); `shared_mobile` once the person
        said the mobile's other patient is the same family."""
        if not self._editing or not self._writes.idle:
            return
        self.form.clear()
        self.edit_status.clear()
        db, user, patient_id = self._db, self._user, self._patient_id
        now, today = self._clock(), self._today()
        try:
            details = self.edited_details()
            unchanged = validate_new_patient(details, today=today) == self._on_record()
        except PatientDetailsError as error:
            self.form.refused(error, self.edit_status)
            return
        if unchanged:
            # Saving nothing would still audit an edit and send the patient to the centre.
            self._leave_edit()
            self._say("Nothing was changed.")
            self.edit_button.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.save_button.setEnabled(False)
        self._writes.run(
            lambda: patient_service.update_patient(
                db, user, patient_id, details, now=now, today=today, shared_mobile=shared_mobile
            ),
            self._saved,
            self._refused,
        )

    def _on_record(self) -> NewPatient | None:
        return self._page.details if self._page is not None else None

    def _saved(self, patient: PatientMatch) -> None:
        self.save_button.setEnabled(True)
        self._leave_edit()
        self._say(f"Saved the details of {patient.name}.")
        self.edit_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.patient_changed.emit(patient)
        self.reload()

    def _refused(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, MobileOnFile):
            self._ask_family(error)
        else:
            self.form.refused(error, self.edit_status)

    def _ask_family(self, error: MobileOnFile) -> None:
        """'79929 05876 is also Lakshmi Shetty's mobile. Same family?': save it shared, or
        change the mobile."""
        names = " and ".join(match.name for match in error.matches[:3])
        self.form.show_beside(PatientDetailsError("mobile", f"Also {names}'s mobile."))
        self.edit_status.setText("Not saved yet: the mobile is another patient's too.")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Mobile already on file",
            f"{mobile_text(error.mobile)} is also {names}'s mobile. Same family?",
            parent=self,
        )
        box.setInformativeText(
            "Family members may share one mobile. Save it for both, or change the mobile."
        )
        shared = box.addButton("Same family: save", QMessageBox.ButtonRole.YesRole)
        change = box.addButton("Change the mobile", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(change)
        box.setEscapeButton(change)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        whole_buttons(box)
        self.family_question = box

        def answered(button: QAbstractButton) -> None:
            self.family_question = None
            if button is shared:
                self.save(shared_mobile=True)
            else:
                self.mobile_edit.setFocus(Qt.FocusReason.OtherFocusReason)
                self.mobile_edit.selectAll()

        box.buttonClicked.connect(answered)
        box.open()

    def field_error(self, field: str) -> str | None:
        """The refusal beside a field of the form, or None."""
        return self.form.error(field)

    # -- merging -------------------------------------------------------------------------

    def open_merge(self) -> MergeDialog | None:
        """Pick another record of this person to merge into this one (managers, Ctrl+M)."""
        page = self._page
        if not self.merge_button.isVisible() or page is None or self._editing:
            return None
        dialog = MergeDialog(self._db, self._user, page.match, clock=self._clock, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.merged.connect(self._merged)
        dialog.finished.connect(lambda _result: setattr(self, "merge_dialog", None))
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _merged(self, merge: Merge, other: PatientMatch) -> None:
        moved = moving(merge.invoices, merge.uses, merge.callbacks)
        self._say(f"Merged {who(other)} into this record: {moved} moved; that record is retired.")
        self.patient_changed.emit(merge.kept)
        self.reload()

    # -- dues and advances ---------------------------------------------------------------

    def open_settle(self) -> PaymentDialog | None:
        """Settle (Ctrl+D): a payment for the dues, oldest invoice first; more than is owed
        is kept as an advance."""
        account = self._account()
        if account is None or not account.owed or not self.settle_button.isEnabled():
            return None
        db, user, clock, patient_id = self._db, self._user, self._clock, self._patient_id

        def take(line: TenderLine) -> payment_service.Receipt:
            return payment_service.settle_dues(db, user, patient_id, [line], now=clock())

        dues = counted(len(account.dues), "open invoice", "open invoices")
        return self._open_payment(
            "Settle dues",
            f"{account.patient_name}: {dues}, paid oldest first. More than is due is kept as"
            " an advance.",
            account.owed,
            take,
        )

    def open_advance(self) -> PaymentDialog | None:
        """Take advance (Ctrl+Shift+A): money kept on the account for a later invoice."""
        account = self._account()
        if account is None or not self.advance_button.isEnabled():
            return None
        db, user, clock, patient_id = self._db, self._user, self._clock, self._patient_id

        def take(line: TenderLine) -> payment_service.Receipt:
            return payment_service.take_advance(db, user, patient_id, [line], now=clock())

        held = format_rupees(account.advance)
        return self._open_payment(
            "Take an advance",
            f"{account.patient_name} holds {held}; this adds to it, for a later invoice.",
            0,
            take,
        )

    def _account(self) -> payment_service.Account | None:
        page = self._page
        if page is None or page.walk_in or self._editing or self.payment_dialog is not None:
            return None
        return page.account

    def _open_payment(
        self,
        title: str,
        what: str,
        due: int,
        take: Callable[[TenderLine], payment_service.Receipt],
    ) -> PaymentDialog:
        assert self._page is not None
        dialog = PaymentDialog(title, what, self._page.payment_methods, due, take, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.taken.connect(self._money_taken)
        dialog.finished.connect(lambda _result: setattr(self, "payment_dialog", None))
        self.payment_dialog = dialog
        self.tabs.setCurrentWidget(self.dues_page)
        self.account_tabs.setCurrentIndex(0)
        dialog.open()
        return dialog

    def _money_taken(self, receipt: payment_service.Receipt) -> None:
        parts = [f"{number} {format_rupees(amount)}" for number, amount in receipt.to_invoices]
        said = f"Paid to {', '.join(parts)}." if parts else ""
        if receipt.to_advance:
            said += f" {format_rupees(receipt.to_advance)} kept as an advance."
        self._say(said.strip())
        self.reload()

    def open_credit_limit(self) -> QInputDialog | None:
        """Credit limit (Ctrl+L, manager): how much this patient may owe; empty for the
        branch's default."""
        account = self._account()
        if (
            account is None
            or not allowed(self._user.role, "credit_limit.change")
            or self.limit_dialog is not None
        ):
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Credit limit - Frontdesk")
        dialog.setLabelText(
            f"How much may {account.patient_name} owe, in rupees?\n"
            "Leave it empty for the branch's default; 0 allows no credit."
        )
        limit = account.credit_limit
        dialog.setTextValue("" if limit is None else amount_text(limit))
        dialog.setOkButtonText("Set the limit")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.textValueSelected.connect(self.set_credit_limit)
        dialog.finished.connect(lambda _result: setattr(self, "limit_dialog", None))
        self.limit_dialog = dialog
        dialog.open()
        return dialog

    def set_credit_limit(self, typed: str) -> None:
        """Save the credit limit typed (rupees; empty: the branch's default) in the
        background, then read the page again."""
        try:
            limit = rupees_to_paise(typed) if typed.strip() else None
        except BadInput as error:
            self._say(f"The credit limit was not changed. {error_sentence(error)}", error=True)
            return
        db, user, patient_id, now = self._db, self._user, self._patient_id, self._clock()

        def refused(error: Exception) -> None:
            log_failure(error)
            self._say(f"The credit limit was not changed. {error_sentence(error)}", error=True)

        def done(_account: object) -> None:
            shown = "the branch's default" if limit is None else format_rupees(limit)
            self._say(f"The credit limit is now {shown}.")
            self.reload()

        self._writes.run(
            lambda: payment_service.set_credit_limit(db, user, patient_id, limit, now=now),
            done,
            refused,
        )

    # -- reversing a payment ---------------------------------------------------------------

    def selected_payment(self) -> PaymentEntry | None:
        """The payment selected in the Payments tab, or None."""
        rows = self.payments_table.selectionModel().selectedRows()
        return self.payments_model.row(rows[0].row()) if rows else None

    def _show_payments(self, paid: Sequence[PaymentEntry]) -> None:
        self.payments_model.set_rows(paid)
        self.payments_table.resizeRowsToContents()
        self.account_tabs.setTabText(1, f"Pa&yments ({len(paid)})")
        self._enable_reverse()

    def _enable_reverse(self) -> None:
        entry = self.selected_payment()
        self.reverse_button.setEnabled(entry is not None and entry.reversible)

    def _describe(self, entry: PaymentEntry) -> str:
        """'Rs.2,250.00 by UPI UTR4455, a sale of 24 Nov 2026 11:00 on INV-2026-000123'."""
        kind = payment_kind_text(entry.kind).lower()
        said = (
            f"{format_rupees(entry.amount)} by {payment_method_text(entry)}, "
            f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind} of {local_time(entry.at, self._zone)}"
        )
        return f"{said} on {entry.invoice_number}" if entry.invoice_number else said

    def open_reverse(self) -> QInputDialog | None:
        """Reverse payment (Ctrl+R): undo the selected payment, taken by mistake, with a
        reason; a front-desk user then needs a manager's PIN."""
        entry = self.selected_payment()
        if (
            entry is None
            or not self.reverse_button.isEnabled()
            or not self._writes.idle
            or self._editing
            or self.payment_dialog is not None
            or self.reason_dialog is not None
            or self.manager_dialog is not None
        ):
            return None
        self.tabs.setCurrentWidget(self.dues_page)
        self.account_tabs.setCurrentWidget(self.payments_page)
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Reverse a payment - Frontdesk")
        owed = " What it paid is owed again." if entry.invoice_number else ""
        dialog.setLabelText(
            f"Reverse {self._describe(entry)}?{owed}\n"
            "Why is it reversed? (required; kept in the audit)"
        )
        dialog.setOkButtonText("Reverse")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.textValueSelected.connect(lambda reason: self.reverse(entry, reason))
        dialog.finished.connect(lambda _result: setattr(self, "reason_dialog", None))
        self.reason_dialog = dialog
        dialog.open()
        return dialog

    def reverse(self, entry: PaymentEntry, reason: str) -> None:
        """Reverse `entry` for `reason`: at once for a manager, after a manager's PIN for
        anyone else. An empty reason is refused before anyone is asked."""
        reason = " ".join(reason.split())
        if not reason:
            self._say("The payment was not reversed. Say why it is reversed.", error=True)
            return
        if allowed(self._user.role, "payment.reverse"):
            self._run_reversal(entry, reason, None)
            return
        dialog = ask_manager_approval(
            self._db,
            f"Reversing {self._describe(entry)} needs a manager's approval.",
            lambda manager: self._run_reversal(entry, reason, manager),
            parent=self,
        )
        dialog.finished.connect(lambda _result: setattr(self, "manager_dialog", None))
        self.manager_dialog = dialog

    def _run_reversal(self, entry: PaymentEntry, reason: str, approver: CurrentUser | None) -> None:
        db, user, now = self._db, self._user, self._clock()
        self.reverse_button.setEnabled(False)
        self._say("Reversing the payment...")

        def refused(error: Exception) -> None:
            log_failure(error)
            self._say(f"The payment was not reversed. {error_sentence(error)}", error=True)
            self._enable_reverse()

        def done(reversal: payment_service.Reversal) -> None:
            said = f"Reversed {format_rupees(reversal.amount)} by {payment_method_text(entry)}."
            for number, amount in reversal.reopened:
                said += f" {number} owes {format_rupees(amount)} again."
            if approver is not None:
                said += f" Allowed by {approver.full_name}."
            self._say(said)
            self.reload()

        self._writes.run(
            lambda: payment_service.reverse_payment(
                db, user, entry.id, reason, now=now, approver=approver
            ),
            done,
            refused,
        )

    # -- closing -------------------------------------------------------------------------

    def reject(self) -> None:
        # Esc: out of the form first (its changes dropped), then the page closes.
        if self._editing:
            self.cancel_edit()
            return
        super().reject()

    def close_page(self) -> None:
        """Close at once, an edit not saved dropped (the Close button)."""
        if self._editing:
            self._leave_edit()
        super().reject()


class MergeDialog(QDialog):
    """Finds the other record of the person (type-ahead), says what will move to the record
    kept, and merges in the background once confirmed.

    Signals:
        merged(object, object): the Merge done, and the PatientMatch of the record retired.
    """

    merged = Signal(object, object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        kept: PatientMatch,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._kept = kept
        self._clock = clock
        self._other: PatientMatch | None = None
        self._ops = OpCounter(self)
        self._reading = 0
        self.setWindowTitle("Merge two records - Frontdesk")
        self.setMinimumWidth(620)

        heading = QLabel(f"Merge another record into {who(kept)}")
        heading.setObjectName("FormHeading")
        heading.setWordWrap(True)
        self.other_field: TypeAheadField[PatientMatch] = TypeAheadField(
            lambda text: [m for m in patient_service.find_patients(db, text) if m.id != kept.id],
            self._columns,
            list_width=520,
        )
        self.other_field.setPlaceholderText("Name or mobile of the other record")
        self.other_field.setAccessibleName("Other record")
        self.other_field.chosen.connect(self.pick)
        self.other_field.results_shown.connect(self._found)
        self.other_field.textEdited.connect(self._typed)
        caption = QLabel("&Other record")
        caption.setBuddy(self.other_field)
        find_row = QHBoxLayout()
        find_row.setSpacing(10)
        find_row.addWidget(caption)
        find_row.addWidget(self.other_field, 1)
        self.sentence = QLabel(
            "Find the other record of the same person by name or mobile, then Enter."
        )
        self.sentence.setObjectName("Hint")
        self.sentence.setWordWrap(True)
        self.sentence.setAccessibleName("What the merge does")
        self.sentence.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        self.sentence.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        buttons = QDialogButtonBox()
        self.merge_button = QPushButton("Merge")
        self.merge_button.setObjectName("PrimaryButton")
        self.merge_button.setEnabled(False)
        self.merge_button.setAutoDefault(False)
        buttons.addButton(self.merge_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.merge)
        buttons.rejected.connect(self.reject)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 18, 20, 16)
        column.setSpacing(12)
        column.addWidget(heading)
        column.addLayout(find_row)
        column.addWidget(self.sentence)
        column.addWidget(buttons)
        self.other_field.setFocus()

    @staticmethod
    def _columns(patient: PatientMatch) -> Sequence[str]:
        last = f"last {short_day(patient.last_visit)}" if patient.last_visit else "no visits"
        return (
            patient.name,
            mobile_text(patient.mobile),
            counted(patient.visits, "visit", "visits"),
            last,
        )

    def is_idle(self) -> bool:
        return self._ops.idle and not self.other_field.is_busy()

    def other(self) -> PatientMatch | None:
        return self._other

    def _typed(self, _text: str) -> None:
        # Typing again drops the record picked: Merge waits for the next pick.
        if self._other is not None:
            self._other = None
            self._ops.begin()  # a count still on its way is for the old pick
            self.merge_button.setEnabled(False)
            self._say("Hint", "Pick the other record with the arrows and Enter.")

    def _found(self, count: int) -> None:
        if count == 0 and self._other is None:
            typed = self.other_field.text().strip()
            self._say("FieldError", f"No other record matches '{typed}'.")
        elif self._other is None:
            self._say("Hint", "Pick the other record with the arrows and Enter.")

    def pick(self, other: PatientMatch) -> None:
        """Merge `other` into the record kept: read what it has, and say what will move."""
        self._other = other
        self.other_field.setText(who(other))
        self.merge_button.setEnabled(False)
        self._say("Hint", f"Reading what {who(other)} has...")
        db, number = self._db, self._ops.begin()
        self._ops.run(
            lambda: patient_service.patient_page(db, other.id),
            lambda page: self._counted(number, page),
            lambda error: self._say("FieldError", error_sentence(error)),
        )

    def _counted(self, number: int, page: PatientPage) -> None:
        if not self._ops.is_latest(number) or self._other is None:
            return
        other, kept = self._other, self._kept
        moves = moving(len(page.invoices), len(page.promotions), len(page.callbacks))
        self._say(
            "Question",
            f"Merge {who(other)} into {who(kept)}? Its {moves} move to the record kept, "
            f"{who(kept)}; the other record is then retired (kept, not deleted). "
            "Press Enter to merge.",
        )
        self.merge_button.setEnabled(True)
        self.merge_button.setDefault(True)
        self.merge_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def sentence_text(self) -> str:
        return self.sentence.text()

    def merge(self) -> None:
        """Merge the record picked into the one kept (Merge, or Enter once it is picked)."""
        other = self._other
        if other is None or not self.merge_button.isEnabled():
            return
        db, user, kept, now = self._db, self._user, self._kept, self._clock()
        self.merge_button.setEnabled(False)
        self._say("Hint", "Merging...")
        self._ops.run(
            lambda: patient_service.merge_patients(db, user, kept.id, other.id, now=now),
            lambda merge: self._done(merge, other),
            self._refused,
        )

    def _done(self, merge: Merge, other: PatientMatch) -> None:
        self.merged.emit(merge, other)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.merge_button.setEnabled(True)
        self._say("FieldError", f"Not merged. {error_sentence(error)}")

    def _say(self, kind: str, text: str) -> None:
        self.sentence.setObjectName(kind)
        restyle(self.sentence)
        self.sentence.setText(text)
