"""The Printer tab of the Settings panel: where the counter prints its receipts.

A printer of this computer (through Qt's print system, by name or the default one) or an
ESC/POS thermal printer (network, USB, serial port or device file, and its address), the
paper width, and whether a cash sale opens the drawer. "Print test page" prints on what is
chosen on screen, saved or not, so a manager tries the printer before saving it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.printing import print_test_page, system_printers
from desktop.widgets.form import FieldForm, SaveBar, restyle
from desktop.workers import BackgroundOp
from domain.errors import FrontdeskError
from domain.log import ui as log
from domain.permissions import allowed
from services import branch as branch_service
from services import printer_settings as printer_service
from services.auth import CurrentUser
from services.printer_settings import ADDRESS_EXAMPLES, EscposKind, PrinterSettings

_KINDS: tuple[tuple[EscposKind, str], ...] = (
    ("network", "Network (Ethernet or Wi-Fi)"),
    ("usb", "USB"),
    ("serial", "Serial port"),
    ("file", "Device file"),
    ("none", "Not connected"),
)
_WIDTHS = (
    (48, "80 mm, 48 characters a line"),
    (42, "80 mm, 42 characters a line"),
    (32, "58 mm, 32 characters a line"),
)
_HINTS = {
    "system_printer": "The printers this computer knows. Receipts print 80 or 58 mm wide.",
    "escpos_kind": "How the thermal printer is connected.",
    "columns": "Most 80 mm printers print 48; see the printer's test page.",
    "open_drawer_on_cash": "The drawer plugged into the receipt printer.",
}
_INPUT_WIDTH = 320


class PrinterSettingsPanel(QWidget):
    """Chooses the receipt printer (manager); others see the choice read-only and may print
    a test page.

    Save (Ctrl+S) runs services.printer_settings.save_printer_settings in the background; a
    refused value shows its message beside its input.

    Signals:
        settings_saved(object): the PrinterSettings as saved.
    """

    settings_saved = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        pdf_folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._pdf_folder = pdf_folder
        self._saved = printer_service.printer_settings(db)
        self._zone = ZoneInfo(branch_service.get_branch(db).details.timezone)
        self.can_edit = allowed(user.role, "printer.change")
        self._op: BackgroundOp[PrinterSettings] | None = None
        self._test_op: BackgroundOp[str] | None = None

        self.system_radio = QRadioButton("A printer of this &computer")
        self.escpos_radio = QRadioButton("An &ESC/POS receipt printer")
        self.target_group = QButtonGroup(self)
        self.target_group.addButton(self.system_radio)
        self.target_group.addButton(self.escpos_radio)
        self.printer_combo = QComboBox()
        self.kind_combo = QComboBox()
        for kind, label in _KINDS:
            self.kind_combo.addItem(label, kind)
        self.address_edit = QLineEdit()
        self.address_edit.setMaxLength(200)
        self.width_combo = QComboBox()
        for columns, label in _WIDTHS:
            self.width_combo.addItem(label, columns)
        self.drawer_check = QCheckBox("Open the cash drawer on a cash payment")
        self.test_button = QPushButton("Print test page")
        self.test_button.setAutoDefault(False)
        self.test_button.setToolTip("Print a few lines on the printer chosen here")
        self.test_button.clicked.connect(self.print_test_page)
        self.test_status = QLabel()
        self.test_status.setObjectName("Muted")
        self.test_status.setWordWrap(True)
        self.test_status.setAccessibleName("Test page status")

        self.inputs: dict[str, QWidget] = {
            "system_printer": self.printer_combo,
            "escpos_kind": self.kind_combo,
            "escpos_address": self.address_edit,
            "columns": self.width_combo,
            "open_drawer_on_cash": self.drawer_check,
        }
        for widget in self.inputs.values():
            widget.setMinimumWidth(_INPUT_WIDTH)
            widget.setMaximumWidth(420)
        self.form = FieldForm(message_width=220)
        self.messages = self.form.messages

        heading = QLabel("Receipt printer")
        heading.setObjectName("FormHeading")
        intro = QLabel(
            "Where Print at the counter and in Invoices sends the receipt. With no printer "
            "at all, the receipt is saved as a PDF."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        self.read_only_note = QLabel(
            "Only a manager can change the printer. You can still print a test page."
        )
        self.read_only_note.setObjectName("ReadOnlyNote")
        self.read_only_note.setWordWrap(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(10)
        grid.setColumnMinimumWidth(1, _INPUT_WIDTH)
        grid.setColumnStretch(2, 1)
        grid.addWidget(self.system_radio, 0, 0, 1, 3)
        self.form.add_row(
            grid,
            1,
            "system_printer",
            "&Printer",
            self.printer_combo,
            hint=self._hint("system_printer"),
        )
        grid.addWidget(self.escpos_radio, 2, 0, 1, 3)
        self.form.add_row(
            grid, 3, "escpos_kind", "Connec&ted by", self.kind_combo, hint=self._hint("escpos_kind")
        )
        self.form.add_row(
            grid, 4, "escpos_address", "&Address", self.address_edit, hint=self._address_hint
        )
        self.form.add_row(
            grid, 5, "columns", "Paper &width", self.width_combo, hint=self._hint("columns")
        )
        self.form.add_row(
            grid,
            6,
            "open_drawer_on_cash",
            "",
            self.drawer_check,
            hint=self._hint("open_drawer_on_cash"),
        )
        self.system_radio.setContentsMargins(0, 4, 0, 0)

        self.save_bar = SaveBar(self.save, self.revert)
        self.save_button = self.save_bar.save_button
        self.revert_button = self.save_bar.revert_button
        self.status_label = self.save_bar.status_label

        test_row = QHBoxLayout()
        test_row.setSpacing(10)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_status, 1)

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
        column.addSpacing(4)
        column.addLayout(test_row)
        column.addSpacing(8)
        column.addWidget(self.save_bar)
        column.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(form)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self.save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.save_shortcut.activated.connect(self.save)

        self.setFocusProxy(self.system_radio)
        self._show_settings(self._saved)
        self._watch()
        self._apply_permissions()

    # -- building ------------------------------------------------------------------------

    def _hint(self, field: str) -> str:
        # How to fill a field in is of no use to someone who cannot edit it.
        return _HINTS[field] if self.can_edit else ""

    def _address_hint(self) -> str:
        example = ADDRESS_EXAMPLES.get(self._kind(), "")
        return f"For example {example}." if example and self.can_edit else ""

    def _watch(self) -> None:
        self.target_group.buttonToggled.connect(lambda *_: self._edited("target"))
        self.printer_combo.currentIndexChanged.connect(lambda *_: self._edited("system_printer"))
        self.kind_combo.currentIndexChanged.connect(lambda *_: self._edited("escpos_kind"))
        self.address_edit.textEdited.connect(lambda *_: self._edited("escpos_address"))
        self.width_combo.currentIndexChanged.connect(lambda *_: self._edited("columns"))
        self.drawer_check.toggled.connect(lambda *_: self._edited("open_drawer_on_cash"))

    def _apply_permissions(self) -> None:
        self.read_only_note.setVisible(not self.can_edit)
        for widget in (self.system_radio, self.escpos_radio, self.drawer_check):
            widget.setEnabled(self.can_edit)
        self.address_edit.setReadOnly(not self.can_edit)
        self.save_bar.set_editable(self.can_edit)
        self.save_shortcut.setEnabled(self.can_edit)
        self._sync()

    def _sync(self) -> None:
        """Only the inputs of the chosen kind of printer can be changed."""
        escpos = self.escpos_radio.isChecked()
        self.printer_combo.setEnabled(self.can_edit and not escpos)
        self.kind_combo.setEnabled(self.can_edit and escpos)
        self.address_edit.setEnabled(escpos and self._kind() != "none")
        self.form.set_error("escpos_address", self.form.error("escpos_address"))

    # -- reading and showing -------------------------------------------------------------

    def _kind(self) -> EscposKind:
        kind: EscposKind = self.kind_combo.currentData()
        return kind

    def settings(self) -> PrinterSettings:
        """The choice as entered (not yet validated)."""
        return PrinterSettings(
            target="escpos" if self.escpos_radio.isChecked() else "system",
            system_printer=str(self.printer_combo.currentData() or ""),
            escpos_kind=self._kind(),
            escpos_address=self.address_edit.text(),
            columns=int(self.width_combo.currentData()),
            open_drawer_on_cash=self.drawer_check.isChecked(),
        )

    def _show_settings(self, settings: PrinterSettings) -> None:
        blockers = [QSignalBlocker(w) for w in (*self.inputs.values(), self.target_group)]
        try:
            self.printer_combo.clear()
            self.printer_combo.addItem("This computer's default printer", "")
            names = system_printers()
            for name in names:
                self.printer_combo.addItem(name, name)
            if settings.system_printer and settings.system_printer not in names:
                self.printer_combo.addItem(
                    f"{settings.system_printer} (not found)", settings.system_printer
                )
            index = self.printer_combo.findData(settings.system_printer)
            self.printer_combo.setCurrentIndex(max(index, 0))
            (self.escpos_radio if settings.target == "escpos" else self.system_radio).setChecked(
                True
            )
            self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(settings.escpos_kind), 0))
            self.address_edit.setText(settings.escpos_address)
            self.width_combo.setCurrentIndex(max(self.width_combo.findData(settings.columns), 0))
            self.drawer_check.setChecked(settings.open_drawer_on_cash)
        finally:
            del blockers
        self.form.clear()
        self._sync()

    def field_error(self, field: str) -> str | None:
        """The error shown beside `field`, or None when it shows only its hint."""
        return self.form.error(field)

    def _edited(self, field: str) -> None:
        self.status_label.clear()
        if field in self.form.rows:
            self.form.set_error(field, None)
        self._sync()

    # -- test page -----------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self._op is not None or self._test_op is not None

    def print_test_page(self) -> None:
        """Print a test page on the printer chosen on screen; say how it went."""
        if self._test_op is not None:
            return
        settings = self.settings()
        try:
            settings = printer_service.validate_printer_settings(settings)
        except printer_service.PrinterSettingsError as exc:
            self.form.show_beside(exc)
            self._say_test("FieldError", str(exc))
            return
        folder = self._pdf_folder
        if not settings.uses_escpos:
            # Qt paints on a printer from the thread that owns the fonts: this one.
            try:
                self._say_test("Muted", print_test_page(settings, pdf_folder=folder))
            except FrontdeskError as exc:
                self._say_test("FieldError", str(exc))
            return
        # A network printer that is off takes seconds to say so: not on the UI thread.
        self.test_button.setEnabled(False)
        self._say_test("Muted", "Printing a test page...")
        self._test_op = (
            BackgroundOp(self, lambda: print_test_page(settings, pdf_folder=folder))
            .success(self._on_tested)
            .failure(self._on_test_failed)
            .run_in_background()
        )

    def _on_tested(self, message: str) -> None:
        self._test_op = None
        self.test_button.setEnabled(True)
        self._say_test("Muted", message)

    def _on_test_failed(self, error: Exception) -> None:
        self._test_op = None
        self.test_button.setEnabled(True)
        if not isinstance(error, FrontdeskError):
            log.error("printing a test page failed", exc_info=error)
        self._say_test("FieldError", str(error))

    def _say_test(self, kind: str, text: str) -> None:
        self.test_status.setObjectName(kind)
        restyle(self.test_status)
        self.test_status.setText(text)

    # -- saving --------------------------------------------------------------------------

    def is_saving(self) -> bool:
        return self._op is not None

    def save(self) -> None:
        """Save in the background; a refused value's message appears beside it."""
        if not self.can_edit or self._op is not None:
            return
        self.form.clear()
        settings = self.settings()
        db, user, now = self._db, self._user, self._clock()
        self.save_bar.saving()
        self._op = (
            BackgroundOp(
                self, lambda: printer_service.save_printer_settings(db, user, settings, now=now)
            )
            .success(self._on_saved)
            .failure(self._on_refused)
            .run_in_background()
        )

    def revert(self) -> None:
        """Show the settings as last saved again."""
        self._show_settings(self._saved)
        self.status_label.clear()

    def _on_saved(self, settings: PrinterSettings) -> None:
        self._op = None
        self._saved = settings
        self._show_settings(settings)
        self.save_bar.saved(self._clock().astimezone(self._zone).strftime("%H:%M"))
        log.info("printer settings saved")
        self.settings_saved.emit(settings)

    def _on_refused(self, error: Exception) -> None:
        self._op = None
        self.save_bar.refused(self.form, error)
