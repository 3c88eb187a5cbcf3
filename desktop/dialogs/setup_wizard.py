"""The first run with no database (issue #14): set up the clinic, or open the demo clinic.

One page: the clinic's legal name, the branch's name and code, address and phone, GSTIN and
state, time zone, the month the fiscal year starts, the invoice series and number format,
and the first admin (name, user name, PIN twice), and, optionally, the head office's
central database (host, database, this branch's role and its password, which goes to the
OS keyring). The details are checked as Settings checks them (domain.branch.validate_branch,
services.sync_settings); a refusal is shown beside its field. Everything can be changed
later in Settings (Branch, Sync).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence, log_failure
from desktop.widgets.form import timezone_combo
from desktop.workers import OpCounter
from domain.branch import BranchDetails
from domain.gst import STATE_CODES, state_label
from domain.invoice_numbers import DEFAULT_FORMAT
from services import auth, setup
from services.setup import InitResult
from services.sync_settings import (
    SyncSettings,
    SyncSettingsError,
    save_sync_settings,
    validate_sync_settings,
)

DEMO, CLINIC = "demo", "clinic"
PINS_DIFFER = "The two PINs differ: type the same PIN twice."


class SetupWizard(QDialog):
    """Set up a new clinic, or choose the demo clinic (`choice` says which)."""

    def __init__(
        self, db: Database, *, clock: Callable[[], datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SetupWizard")
        self.setWindowTitle("Welcome to Frontdesk")
        self._db = db
        self._clock = clock
        self._ops = OpCounter(self)
        self.choice: str | None = None
        self.errors: dict[str, QLabel] = {}
        self.inputs: dict[str, QWidget] = {}

        title = QLabel("Welcome to Frontdesk")
        title.setObjectName("LoginTitle")
        intro = QLabel(
            "Tell Frontdesk about your clinic to start billing, or look around the demo "
            "clinic first. Everything here can be changed later in Settings."
        )
        intro.setWordWrap(True)
        intro.setObjectName("Muted")

        self.legal_name = self._line("legal_name", "Lumen Skin & Aesthetics Private Limited")
        self.name = self._line("name", "Indiranagar")
        self.code = self._line("branch_code", "IND")
        self.code.setMaxLength(4)
        self.address = self._line("address", "12 100 Feet Road, Indiranagar, Bengaluru 560038")
        self.phone = self._line("phone", "080 4123 4567")
        self.gstin = self._line("gstin", "29ABCDE1234F1ZW (leave empty if not registered)")
        self.gstin.textChanged.connect(self._gstin_typed)
        self.state = QComboBox()
        for code, _name in sorted(STATE_CODES.items()):
            self.state.addItem(state_label(code), code)
        self.state.setCurrentIndex(self.state.findData("29"))
        self.inputs["state_code"] = self.state
        self.timezone = timezone_combo()
        self.timezone.setCurrentText("Asia/Kolkata")
        self.inputs["timezone"] = self.timezone
        self.fiscal_month = QComboBox()
        for month in range(1, 13):
            self.fiscal_month.addItem(calendar.month_name[month], month)
        self.fiscal_month.setCurrentIndex(3)  # April, India's fiscal year
        self.inputs["fiscal_year_start_month"] = self.fiscal_month
        self.series = self._line("invoice_series", "SVC")
        self.series.setText("SVC")
        self.number_format = self._line("number_format", DEFAULT_FORMAT)
        self.number_format.setText(DEFAULT_FORMAT)
        self.admin_name = self._line("admin_name", "Arun Kumar")
        self.username = self._line("username", "admin")
        self.username.setText("admin")
        self.pin = self._line("pin", "")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_again = self._line("pin_again", "")
        self.pin_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.central_host = self._line(
            "host", "Optional: the head office's server, like hq.example.in"
        )
        self.central_database = self._line("database", "frontdesk")
        self.central_role = self._line("role", "from 'frontdesk central add-branch'")
        self.central_password = self._line("central_password", "")
        self.central_password.setEchoMode(QLineEdit.EchoMode.Password)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        rows = [
            ("Legal name", "legal_name"),
            ("Branch name", "name"),
            ("Branch code", "branch_code"),
            ("Address", "address"),
            ("Phone", "phone"),
            ("GSTIN", "gstin"),
            ("GST state", "state_code"),
            ("Time zone", "timezone"),
            ("Fiscal year starts in", "fiscal_year_start_month"),
            ("Invoice series", "invoice_series"),
            ("Invoice number format", "number_format"),
            ("Admin's full name", "admin_name"),
            ("Admin's user name", "username"),
            ("Admin's PIN", "pin"),
            ("PIN again", "pin_again"),
            ("Head office server", "host"),
            ("Central database", "database"),
            ("This branch's role", "role"),
            ("Role's password", "central_password"),
        ]
        for row, (label, field) in enumerate(rows):
            caption = QLabel(label)
            caption.setBuddy(self.inputs[field])
            error = QLabel()
            error.setObjectName("FieldError")
            error.setWordWrap(True)
            error.hide()
            self.errors[field] = error
            grid.addWidget(caption, 2 * row, 0)
            grid.addWidget(self.inputs[field], 2 * row, 1)
            grid.addWidget(error, 2 * row + 1, 1)
        grid.setColumnStretch(1, 1)
        form = QWidget()
        form.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.message = QLabel()
        self.message.setObjectName("FieldError")
        self.message.setWordWrap(True)
        self.demo_button = QPushButton("Open the &demo clinic")
        self.demo_button.setAutoDefault(False)
        self.demo_button.clicked.connect(self.open_demo)
        self.create_button = QPushButton("&Create my clinic")
        self.create_button.setObjectName("PrimaryButton")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_clinic)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)

        column = QVBoxLayout(self)
        column.setContentsMargins(24, 20, 24, 18)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(intro)
        column.addWidget(scroll, 1)
        column.addWidget(self.message)
        column.addLayout(buttons)
        self.resize(720, 680)
        self.legal_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _line(self, field: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(f"setup_{field}")
        edit.setPlaceholderText(placeholder)
        self.inputs[field] = edit
        return edit

    def _gstin_typed(self, text: str) -> None:
        """The first two characters of a GSTIN are its state: pick it."""
        index = self.state.findData(text.strip()[:2])
        if index >= 0:
            self.state.setCurrentIndex(index)

    # -- choosing ------------------------------------------------------------------------

    def is_idle(self) -> bool:
        return self._ops.idle

    def open_demo(self) -> None:
        self.choice = DEMO
        self.accept()

    def central(self) -> SyncSettings | None:
        """The head office's connection, when a server was named (None: set it later)."""
        if not self.central_host.text().strip():
            return None
        return SyncSettings(
            host=self.central_host.text(),
            database=self.central_database.text(),
            role=self.central_role.text(),
        )

    def details(self) -> BranchDetails:
        name = self.name.text().strip()
        return BranchDetails(
            name=name,
            address=self.address.text(),
            gstin=self.gstin.text().strip().upper(),
            timezone=self.timezone.currentText().strip(),
            fiscal_year_start_month=int(self.fiscal_month.currentData()),
            invoice_series=self.series.text(),
            phone=self.phone.text(),
            legal_name=self.legal_name.text().strip() or name,
            branch_code=self.code.text().strip() or name[:4],
            number_format=self.number_format.text().strip() or DEFAULT_FORMAT,
            state_code=str(self.state.currentData()),
        )

    def create_clinic(self) -> None:
        """Check the form and set the clinic up (in the background); shut on success."""
        if not self._ops.idle:
            return
        self._clear_errors()
        if not self.legal_name.text().strip():
            self._refuse("legal_name", "The legal name heads every invoice: type it.")
            return
        if self.pin.text() != self.pin_again.text():
            self._refuse("pin_again", PINS_DIFFER)
            return
        central = self.central()
        if central is not None:
            try:  # checked before anything is written: the clinic is set up whole or not
                central = validate_sync_settings(central)
            except SyncSettingsError as exc:
                self._refuse(exc.field, str(exc))
                return
        db, now = self._db, self._clock()
        details = self.details()
        username, full_name, pin = self.username.text(), self.admin_name.text(), self.pin.text()
        password = self.central_password.text()
        self.create_button.setEnabled(False)
        self.message.setText("Setting up your clinic...")

        def run() -> InitResult:
            result = setup.initialise(
                db,
                demo=False,
                now=now,
                today=now.date(),
                admin_username=username,
                admin_pin=pin,
                details=details,
                admin_full_name=full_name,
            )
            if central is not None:
                admin = auth.sign_in(db, username, pin, now=now)
                save_sync_settings(db, admin, central, password=password or None, now=now)
            return result

        self._ops.run(run, self._created, self._failed)

    def _created(self, _result: InitResult) -> None:
        self.choice = CLINIC
        self.accept()

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.create_button.setEnabled(True)
        field = getattr(error, "field", None)
        if isinstance(field, str) and field in self.errors:
            self._refuse(field, error_sentence(error))
        else:
            self.message.setText(error_sentence(error))

    def _refuse(self, field: str, sentence: str) -> None:
        self.message.setText("Check the field marked below.")
        self.errors[field].setText(sentence)
        self.errors[field].show()
        self.inputs[field].setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        self.message.setText("")
        for error in self.errors.values():
            error.hide()
