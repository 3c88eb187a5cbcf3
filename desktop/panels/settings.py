"""The Settings panel: the branch's details (letterhead, clock, fiscal year, invoice series),
a Callbacks tab (desktop.panels.callback_settings) and a Printer tab
(desktop.panels.printer_settings). The fields and their messages are a
desktop.widgets.form.FieldForm."""

from __future__ import annotations

import calendar
import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.panels.callback_settings import CallbackSettingsPanel
from desktop.panels.counter_sessions import sessions_tab
from desktop.panels.payment_settings import PaymentSettingsPanel
from desktop.panels.printer_settings import PrinterSettingsPanel
from desktop.panels.security_settings import SecuritySettingsPanel
from desktop.panels.staff_settings import StaffSettingsPanel
from desktop.widgets.focus import FocusOnEntry
from desktop.widgets.form import FieldForm, SaveBar, restyle, timezone_combo
from desktop.workers import BackgroundOp
from domain.branch import BranchDetails, number_format_of
from domain.fiscal import fiscal_year_label
from domain.gst import STATE_CODES, state_label
from domain.invoice_numbers import format_invoice_number, validate_series
from domain.permissions import allowed
from services import branch as branch_service
from services.auth import CurrentUser
from services.branch import BranchInfo

FIELDS = (
    "name",
    "legal_name",
    "address",
    "phone",
    "gstin",
    "state_code",
    "upi_id",
    "timezone",
    "fiscal_year_start_month",
    "branch_code",
    "invoice_series",
    "number_format",
    "allow_non_compliant_numbers",
)

_HINTS = {
    "name": "The branch's short name, on screens and receipts.",
    "legal_name": "Heads every invoice (GST rule 46), like Lumen Skin Private Limited.",
    "state_code": "The GST state of the branch: the place of supply at its counter.",
    "upi_id": "Patients scan a QR code that pays this ID, like clinic@okaxis. Optional.",
    "branch_code": "1 to 4 letters or digits on every invoice number, like IND.",
    "number_format": "{BRANCH}, {SERIES}, {FY} (26-27), {FYYYY} (2026-2027), {SEQ}.",
    "allow_non_compliant_numbers": "Only for a branch that must keep its old numbers.",
    "address": "Printed under the name on invoices.",
    "phone": "Optional.",
    "gstin": "15 characters, like 29ABCDE1234F1ZW. Leave empty if the branch is not registered.",
    "timezone": "Type part of a name to search, for example Kolkata.",
    "fiscal_year_start_month": "Invoice numbers restart at 1 when a new fiscal year begins.",
    "invoice_series": "1 to 10 letters or digits, starting with a letter.",
}


class SettingsPanel(QWidget):
    """Edits this branch's details; a front-desk user sees them read-only.

    Save (Ctrl+S) runs services.branch.update_branch in the background; a refused field
    shows its message beside the field.

    Signals:
        branch_saved(object): the BranchInfo as saved.
        backup_restored(str): a backup was restored from this path (Backups tab).
    """

    branch_saved = Signal(object)
    backup_restored = Signal(str)
    # The documents still waiting for the centre (None: no centre), from the Sync tab.
    sync_pending = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._saved = branch_info
        self.can_edit = allowed(user.role, "branch.change")
        self._op: BackgroundOp[BranchInfo] | None = None

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.address_edit = QPlainTextEdit()
        self.address_edit.setTabChangesFocus(True)
        self.address_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.address_edit.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.address_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.phone_edit = QLineEdit()
        self.phone_edit.setMaxLength(30)
        self.gstin_edit = QLineEdit()
        self.gstin_edit.setMaxLength(15)
        self.gstin_edit.setPlaceholderText("Not registered")
        self.timezone_combo = timezone_combo()
        self.month_combo = QComboBox()
        for month in range(1, 13):
            self.month_combo.addItem(calendar.month_name[month], month)
        self.series_edit = QLineEdit()
        self.series_edit.setMaxLength(10)
        self.legal_name_edit = QLineEdit()
        self.legal_name_edit.setMaxLength(200)
        self.state_combo = QComboBox()
        self.state_combo.addItem("Not set", "")
        for code in sorted(STATE_CODES):
            self.state_combo.addItem(state_label(code), code)
        self.upi_edit = QLineEdit()
        self.upi_edit.setMaxLength(100)
        self.upi_edit.setPlaceholderText("No UPI QR")
        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(4)
        self.format_edit = QLineEdit()
        self.format_edit.setMaxLength(40)
        self.allow_long_check = QCheckBox("Keep a format that is not GST-compliant")

        self.inputs: dict[str, QWidget] = {
            "name": self.name_edit,
            "address": self.address_edit,
            "phone": self.phone_edit,
            "gstin": self.gstin_edit,
            "timezone": self.timezone_combo,
            "fiscal_year_start_month": self.month_combo,
            "invoice_series": self.series_edit,
            "legal_name": self.legal_name_edit,
            "state_code": self.state_combo,
            "upi_id": self.upi_edit,
            "branch_code": self.code_edit,
            "number_format": self.format_edit,
            "allow_non_compliant_numbers": self.allow_long_check,
        }
        labels = {
            "name": "&Name",
            "address": "&Address",
            "phone": "&Phone",
            "gstin": "&GSTIN",
            "timezone": "&Time zone",
            "fiscal_year_start_month": "&Fiscal year starts in",
            "invoice_series": "&Invoice series",
            "legal_name": "&Legal name",
            "state_code": "GST &state",
            "upi_id": "&UPI ID",
            "branch_code": "Branch &code",
            "number_format": "N&umber format",
            "allow_non_compliant_numbers": "",
        }
        self.form = FieldForm(message_width=220)
        self.messages = self.form.messages

        heading = QLabel("Branch details")
        heading.setObjectName("FormHeading")
        intro = QLabel(
            "What this branch prints on its invoices, its clock, and how it numbers invoices."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.setColumnMinimumWidth(1, 320)
        grid.setColumnStretch(1, 0)
        grid.setColumnStretch(2, 1)
        for row, field in enumerate(FIELDS):
            hint = functools.partial(self._hint, field)
            self.form.add_row(grid, row, field, labels[field], self.inputs[field], hint=hint)
            self.inputs[field].setMinimumWidth(320)
            self.inputs[field].setMaximumWidth(420)

        self.save_bar = SaveBar(self.save, self.revert)
        self.save_button = self.save_bar.save_button
        self.revert_button = self.save_bar.revert_button
        self.status_label = self.save_bar.status_label

        self.read_only_note = QLabel(
            "Only a manager can change these details. Ask a manager to sign in to edit them."
        )
        self.read_only_note.setObjectName("ReadOnlyNote")
        self.read_only_note.setWordWrap(True)

        form = QWidget()
        form.setObjectName("SettingsForm")
        column = QVBoxLayout(form)
        column.setContentsMargins(28, 22, 28, 22)
        column.setSpacing(12)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addWidget(self.read_only_note)
        column.addSpacing(4)
        column.addLayout(grid)
        column.addSpacing(8)
        column.addWidget(self.save_bar)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(form)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        # The flat tabs of Promotions and the Dashboard, on the bar alone: a stylesheet on
        # the whole tab widget would restyle every field of every tab (60 ms to open).
        self.tabs.tabBar().setStyleSheet(theme.section("tab-bar"))
        self.tabs.addTab(scroll, "Branch")
        # The other tabs start as empty pages, each built when it is first chosen or asked
        # for (panel.callbacks, ...): nine tabs built as Settings opened held the window
        # ~0.3 s (make bench, panel-stall), and most are never looked at in a session.
        self._later: dict[str, Callable[[], QWidget]] = {
            "Callbacks": lambda: CallbackSettingsPanel(db, user, clock=clock),
            "Counter session": lambda: sessions_tab(db, user, branch_info.details.timezone),
            "Printer": lambda: PrinterSettingsPanel(db, user, clock=clock),
        }
        # The ways of paying and the credit limit are a manager's to set.
        if allowed(user.role, "payment_methods.change"):
            self._later["Payments"] = lambda: PaymentSettingsPanel(
                db, user, clock=clock, timezone=branch_info.details.timezone
            )
        # Who may sign in is the admins' business only: nobody else sees the tab.
        if allowed(user.role, "staff.manage"):
            self._later["Staff"] = lambda: StaffSettingsPanel(db, user, branch_info, clock=clock)
        if allowed(user.role, "campaign.manage"):
            self._later["Channels"] = functools.partial(self._channels_tab, db, user, clock)
        if allowed(user.role, "screen_lock.change"):
            self._later["Security"] = lambda: SecuritySettingsPanel(db, user, clock=clock)
        if allowed(user.role, "backup.settings"):
            self._later["Backups"] = functools.partial(
                self._backups_tab, db, user, clock, branch_info.details.timezone
            )
        if allowed(user.role, "sync.settings"):
            self._later["Sync"] = functools.partial(self._sync_tab, db, user, clock)
        self._built: dict[str, QWidget] = {}
        self._placeholders: dict[str, QWidget] = {}
        for title in self._later:
            self._placeholders[title] = QWidget()
            self.tabs.addTab(self._placeholders[title], title)
        self.tabs.currentChanged.connect(self._tab_chosen)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)

        # On the Branch tab only: the Callbacks tab saves its own settings with Ctrl+S.
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, scroll)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(self.save)

        FocusOnEntry(self, self.name_edit)
        self._show_details(branch_info.details)
        for field in FIELDS:
            self._watch(field)
        self._apply_permissions()

    # -- building ------------------------------------------------------------------------

    def _backups_tab(
        self, db: Database, user: CurrentUser, clock: Callable[[], datetime], timezone: str
    ) -> QWidget:
        # Imported when the tab is first shown: admins only, and rarely.
        from desktop.panels.backup_settings import BackupSettingsPanel

        panel = BackupSettingsPanel(db, user, clock=clock, timezone=timezone)
        panel.restored.connect(self.backup_restored)
        return panel

    def _channels_tab(
        self, db: Database, user: CurrentUser, clock: Callable[[], datetime]
    ) -> QWidget:
        # Imported when the tab is first shown: managers only (it brings in the channels).
        from desktop.panels.channel_settings import ChannelSettingsPanel

        return ChannelSettingsPanel(db, user, clock=clock)

    def _sync_tab(self, db: Database, user: CurrentUser, clock: Callable[[], datetime]) -> QWidget:
        # Imported when the tab is first shown: admins only (it brings in the sync code).
        from desktop.panels.sync_settings import SyncSettingsPanel

        panel = SyncSettingsPanel(db, user, clock=clock)
        panel.synced.connect(self.sync_pending)
        return panel

    def _tab(self, title: str) -> QWidget:
        """A later tab's panel, built now (in its placeholder's place) if it is not yet."""
        built = self._built.get(title)
        if built is not None:
            return built
        built = self._built[title] = self._later[title]()
        placeholder = self._placeholders.pop(title)
        index, current = self.tabs.indexOf(placeholder), self.tabs.currentIndex()
        with QSignalBlocker(self.tabs):
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, built, title)
            self.tabs.setCurrentIndex(current)
        placeholder.deleteLater()
        return built

    def _tab_chosen(self, index: int) -> None:
        title = self.tabs.tabText(index)
        if title in self._placeholders:
            self.tabs.setCurrentWidget(self._tab(title))

    @property
    def callbacks(self) -> CallbackSettingsPanel:
        """The Callbacks tab's panel."""
        panel = self._tab("Callbacks")
        assert isinstance(panel, CallbackSettingsPanel)
        return panel

    @property
    def payments(self) -> PaymentSettingsPanel | None:
        """The Payments tab's panel, for a manager only."""
        if "Payments" not in self._later:
            return None
        panel = self._tab("Payments")
        assert isinstance(panel, PaymentSettingsPanel)
        return panel

    @property
    def printer(self) -> PrinterSettingsPanel:
        """The Printer tab's panel."""
        panel = self._tab("Printer")
        assert isinstance(panel, PrinterSettingsPanel)
        return panel

    @property
    def staff(self) -> StaffSettingsPanel | None:
        """The Staff tab's panel, for an admin only."""
        if "Staff" not in self._later:
            return None
        panel = self._tab("Staff")
        assert isinstance(panel, StaffSettingsPanel)
        return panel

    @property
    def backups(self) -> QWidget | None:
        """The Backups tab's panel (desktop.panels.backup_settings), for an admin only."""
        return self._tab("Backups") if "Backups" in self._later else None

    @property
    def channels(self) -> QWidget | None:
        """The Channels tab's panel (desktop.panels.channel_settings), for a manager."""
        return self._tab("Channels") if "Channels" in self._later else None

    @property
    def sync(self) -> QWidget | None:
        """The Sync tab's panel (desktop.panels.sync_settings), for an admin only."""
        return self._tab("Sync") if "Sync" in self._later else None

    def _watch(self, field: str) -> None:
        widget = self.inputs[field]
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(lambda *_: self._edited(field))
        elif isinstance(widget, QPlainTextEdit):
            widget.textChanged.connect(lambda: self._edited(field))
        elif isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(lambda *_: self._edited(field))
        elif isinstance(widget, QCheckBox):
            widget.toggled.connect(lambda *_: self._edited(field))

    def _apply_permissions(self) -> None:
        self.read_only_note.setVisible(not self.can_edit)
        for widget in (
            self.name_edit,
            self.phone_edit,
            self.gstin_edit,
            self.series_edit,
            self.legal_name_edit,
            self.upi_edit,
            self.code_edit,
            self.format_edit,
        ):
            widget.setReadOnly(not self.can_edit)
        self.state_combo.setEnabled(self.can_edit)
        self.allow_long_check.setEnabled(self.can_edit)
        self.address_edit.setReadOnly(not self.can_edit)
        restyle(self.address_edit)  # its [readOnly] style is chosen when polished
        self.timezone_combo.setEnabled(self.can_edit)
        self.month_combo.setEnabled(self.can_edit)
        self.save_bar.set_editable(self.can_edit)
        self.save_shortcut.setEnabled(self.can_edit)

    # -- reading and showing -------------------------------------------------------------

    def details(self) -> BranchDetails:
        """The details as typed (not yet validated)."""
        month = self.month_combo.currentData()
        return BranchDetails(
            name=self.name_edit.text(),
            address=self.address_edit.toPlainText(),
            gstin=self.gstin_edit.text(),
            timezone=self.timezone_combo.currentText(),
            fiscal_year_start_month=int(month) if month is not None else 0,
            invoice_series=self.series_edit.text(),
            phone=self.phone_edit.text(),
            legal_name=self.legal_name_edit.text(),
            branch_code=self.code_edit.text(),
            number_format=self.format_edit.text(),
            state_code=str(self.state_combo.currentData() or ""),
            upi_id=self.upi_edit.text(),
            allow_non_compliant_numbers=self.allow_long_check.isChecked(),
        )

    def _show_details(self, details: BranchDetails) -> None:
        blockers = [QSignalBlocker(widget) for widget in self.inputs.values()]
        try:
            self.name_edit.setText(details.name)
            self.address_edit.setPlainText(details.address)
            self.phone_edit.setText(details.phone)
            self.gstin_edit.setText(details.gstin)
            self.timezone_combo.setCurrentText(details.timezone)
            index = self.month_combo.findData(details.fiscal_year_start_month)
            self.month_combo.setCurrentIndex(max(index, 0))
            self.series_edit.setText(details.invoice_series)
            self.legal_name_edit.setText(details.legal_name or "")
            self.state_combo.setCurrentIndex(max(self.state_combo.findData(details.state_code), 0))
            self.upi_edit.setText(details.upi_id or "")
            self.code_edit.setText(details.branch_code or "")
            self.format_edit.setText(details.number_format or "")
            self.allow_long_check.setChecked(False)
        finally:
            del blockers
        self.form.clear()

    def _hint(self, field: str) -> str:
        if field != "number_format":
            # How to fill a field in is of no use to someone who cannot edit it.
            return _HINTS[field] if self.can_edit else ""
        details = self.details()
        try:
            checked = number_format_of(replace(details, allow_non_compliant_numbers=True))
            series = validate_series(details.invoice_series)
            zone = ZoneInfo(details.timezone)
            year = fiscal_year_label(
                self._clock().astimezone(zone).date(), details.fiscal_year_start_month
            )
        except (ValueError, KeyError):
            return _HINTS[field]
        if checked is None:
            return _HINTS[field]
        example = format_invoice_number(
            series, year, 1, template=checked.template, branch_code=details.branch_code or ""
        )
        warning = "".join(f" {w}." for w in checked.warnings)
        return f"Invoice numbers will look like {example}.{warning}"

    def field_error(self, field: str) -> str | None:
        """The error shown beside `field`, or None when it shows only its hint."""
        return self.form.error(field)

    def _edited(self, field: str) -> None:
        self.status_label.clear()
        self.form.set_error(field, None)
        if field in ("timezone", "fiscal_year_start_month", "branch_code", "invoice_series"):
            # The example number follows the clock, the fiscal year, the code and the series.
            self.form.set_error("number_format", self.field_error("number_format"))

    # -- saving --------------------------------------------------------------------------

    def is_saving(self) -> bool:
        return self._op is not None

    def save(self) -> None:
        """Save the details in the background; errors appear beside their fields."""
        if not self.can_edit or self._op is not None:
            return
        self.form.clear()
        details = self.details()
        db, user, now = self._db, self._user, self._clock()
        self.save_bar.saving()
        self._op = (
            BackgroundOp(self, lambda: branch_service.update_branch(db, user, details, now=now))
            .success(self._on_saved)
            .failure(self._on_refused)
            .run_in_background()
        )

    def revert(self) -> None:
        """Show the details as last saved again."""
        self._show_details(self._saved.details)
        self.status_label.clear()

    def _on_saved(self, info: BranchInfo) -> None:
        self._op = None
        self._saved = info
        self._show_details(info.details)
        self.save_bar.saved(
            self._clock().astimezone(ZoneInfo(info.details.timezone)).strftime("%H:%M")
        )
        self.branch_saved.emit(info)

    def _on_refused(self, error: Exception) -> None:
        self._op = None
        self.save_bar.refused(self.form, error)
