"""The Payments tab of the Settings panel (issue #11): each way of paying with its name,
whether the tender offers it and whether it needs a reference (a card slip, a UPI
transaction id); the credit limit for patients with none of their own. A manager saves
them (services.payment_settings); Cash stays on, the drawer and the day's close need it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.dialogs.payment_dialog import amount_text
from desktop.widgets.form import FieldForm, SaveBar
from desktop.workers import BackgroundOp
from domain.errors import BadInput
from domain.money import rupees_to_paise
from domain.payments import Method
from domain.permissions import allowed
from services.auth import CurrentUser
from services.centre_settings import set_by_centre
from services.payment_settings import (
    PAYMENT_SETTINGS_KEY,
    MethodSetting,
    PaymentSettings,
    payment_settings,
    save_payment_settings,
)

LIMIT_FIELD = "default_credit_limit"
_HINTS = {
    Method.CASH: "Always offered: the drawer and the day's close count it.",
    Method.UPI: "The QR on the tender pays the branch's UPI ID (Branch tab).",
    Method.CARD: "A card slip's number is usually asked for.",
    Method.WALLET: "Paytm, PhonePe and the like.",
    Method.ON_ACCOUNT: "The patient owes it; a registered patient only.",
}


class _MethodRow:
    """One way of paying: its name, offered, needs a reference."""

    def __init__(self, setting: MethodSetting) -> None:
        self.method = setting.method
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(20)
        self.name_edit.setFixedWidth(160)
        self.offered_check = QCheckBox("Offered")
        self.offered_check.setAccessibleName(f"{setting.method.label} offered")
        self.reference_check = QCheckBox("Needs a reference")
        self.reference_check.setAccessibleName(f"{setting.method.label} needs a reference")
        self.container = QWidget()
        row = QHBoxLayout(self.container)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(14)
        row.addWidget(self.name_edit)
        row.addWidget(self.offered_check)
        row.addWidget(self.reference_check)
        row.addStretch(1)
        if setting.method is Method.ON_ACCOUNT:
            # Nothing changes hands: there is no slip to ask for.
            self.reference_check.hide()

    def show(self, setting: MethodSetting) -> None:
        self.name_edit.setText(setting.label)
        self.offered_check.setChecked(setting.enabled)
        self.reference_check.setChecked(setting.needs_reference)

    def value(self) -> MethodSetting:
        return MethodSetting(
            self.method,
            self.name_edit.text(),
            self.offered_check.isChecked(),
            self.reference_check.isChecked(),
        )


class PaymentSettingsPanel(QWidget):
    """Edits the branch's payment methods and default credit limit (manager only).

    Save (Ctrl+S) runs services.payment_settings.save_payment_settings in the background; a
    refusal is said in the line beside Save (a credit limit that is not an amount, beside
    it). Anyone else sees the settings read-only.

    Signals:
        settings_saved(object): the PaymentSettings as saved.
    """

    settings_saved = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        timezone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._saved = payment_settings(db)
        self.set_by_centre = set_by_centre(db, PAYMENT_SETTINGS_KEY)
        self.can_edit = allowed(user.role, "payment_methods.change") and not self.set_by_centre
        self._op: BackgroundOp[PaymentSettings] | None = None

        heading = QLabel("Payments")
        heading.setObjectName("FormHeading")
        intro = QLabel(
            "How patients may pay at this branch. The tender numbers the offered ones 1, 2, "
            "3... in this order; a method that needs a reference asks for it before it is taken."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        self.read_only_note = QLabel(
            "Head office sets the payment methods for every branch: they change when it "
            "changes them on the centre."
            if self.set_by_centre
            else "Only a manager can change these settings. Ask a manager to sign in to edit them."
        )
        self.read_only_note.setObjectName("ReadOnlyNote")
        self.read_only_note.setWordWrap(True)

        self.form = FieldForm(message_width=200)
        methods_title = QLabel("Ways of paying")
        methods_title.setObjectName("PaneHeading")
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(2, 1)
        self.rows: dict[Method, _MethodRow] = {}
        for number, setting in enumerate(self._saved.methods):
            row = self.rows[setting.method] = _MethodRow(setting)
            self.form.add_row(
                grid,
                number,
                f"method_{setting.method.value}",
                setting.method.label,
                row.container,
                hint=_HINTS.get(setting.method, "") if self.can_edit else "",
                focus=row.name_edit,
                marked=(row.name_edit,),
            )
        self.rows[Method.CASH].offered_check.setEnabled(False)
        self.rows[Method.CASH].offered_check.setToolTip("Cash cannot be switched off")

        credit_title = QLabel("Credit")
        credit_title.setObjectName("PaneHeading")
        credit_title.setContentsMargins(0, 10, 0, 0)
        self.limit_edit = QLineEdit()
        self.limit_edit.setMaxLength(14)
        self.limit_edit.setFixedWidth(160)
        self.limit_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.limit_edit.setPlaceholderText("No limit")
        credit = QGridLayout()
        credit.setHorizontalSpacing(14)
        credit.setColumnStretch(2, 1)
        self.form.add_row(
            credit,
            0,
            LIMIT_FIELD,
            "Default credit &limit Rs.",
            self.limit_edit,
            hint=(
                "What a patient with no limit of their own may owe. Empty: no limit."
                if self.can_edit
                else ""
            ),
        )

        self.save_bar = SaveBar(self.save, self.revert)
        self.save_button = self.save_bar.save_button
        self.revert_button = self.save_bar.revert_button
        self.status_label = self.save_bar.status_label

        form = QWidget()
        form.setObjectName("SettingsForm")
        column = QVBoxLayout(form)
        column.setContentsMargins(28, 22, 28, 22)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addWidget(self.read_only_note)
        column.addSpacing(4)
        column.addWidget(methods_title)
        column.addLayout(grid)
        column.addWidget(credit_title)
        column.addLayout(credit)
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

        self.setFocusProxy(self.rows[Method.CASH].name_edit)
        self._show_settings(self._saved)
        self._watch()
        self._apply_permissions()

    # -- building ------------------------------------------------------------------------

    def _watch(self) -> None:
        for method, row in self.rows.items():
            field = f"method_{method.value}"
            row.name_edit.textEdited.connect(lambda *_, f=field: self._edited(f))
            row.offered_check.toggled.connect(lambda *_, f=field: self._edited(f))
            row.reference_check.toggled.connect(lambda *_, f=field: self._edited(f))
        self.limit_edit.textEdited.connect(lambda *_: self._edited(LIMIT_FIELD))

    def _apply_permissions(self) -> None:
        self.read_only_note.setVisible(not self.can_edit)
        for method, row in self.rows.items():
            row.name_edit.setReadOnly(not self.can_edit)
            row.offered_check.setEnabled(self.can_edit and method is not Method.CASH)
            row.reference_check.setEnabled(self.can_edit)
        self.limit_edit.setReadOnly(not self.can_edit)
        self.save_bar.set_editable(self.can_edit)
        self.save_shortcut.setEnabled(self.can_edit)

    # -- reading and showing -------------------------------------------------------------

    def settings(self) -> PaymentSettings:
        """The settings as entered; BadInput (beside the limit) for a limit not an amount."""
        typed = self.limit_edit.text()
        limit = rupees_to_paise(typed) if typed.strip() else None
        return PaymentSettings(tuple(row.value() for row in self.rows.values()), limit)

    def _show_settings(self, settings: PaymentSettings) -> None:
        boxes: list[QWidget] = [self.limit_edit]
        for row in self.rows.values():
            boxes += [row.name_edit, row.offered_check, row.reference_check]
        blockers = [QSignalBlocker(box) for box in boxes]
        try:
            for setting in settings.methods:
                if setting.method in self.rows:
                    self.rows[setting.method].show(setting)
            limit = settings.default_credit_limit
            self.limit_edit.setText("" if limit is None else amount_text(limit))
        finally:
            del blockers
        self.form.clear()

    def field_error(self, field: str) -> str | None:
        """The error shown beside `field`, or None when it shows only its hint."""
        return self.form.error(field)

    def _edited(self, field: str) -> None:
        self.status_label.clear()
        self.form.set_error(field, None)

    # -- saving --------------------------------------------------------------------------

    def is_saving(self) -> bool:
        return self._op is not None

    def save(self) -> None:
        """Save in the background; a refusal is said beside Save (or beside the limit)."""
        if not self.can_edit or self._op is not None:
            return
        self.form.clear()
        try:
            settings = self.settings()
        except BadInput as error:
            self.form.refused(error, self.status_label, field=LIMIT_FIELD)
            return
        db, user, now = self._db, self._user, self._clock()
        self.save_bar.saving()
        self._op = (
            BackgroundOp(self, lambda: save_payment_settings(db, user, settings, now=now))
            .success(self._on_saved)
            .failure(self._on_refused)
            .run_in_background()
        )

    def revert(self) -> None:
        """Show the settings as last saved again."""
        self._show_settings(self._saved)
        self.status_label.clear()

    def _on_saved(self, settings: PaymentSettings) -> None:
        self._op = None
        self._saved = settings
        self._show_settings(settings)
        self.save_bar.saved(self._clock().astimezone(self._zone).strftime("%H:%M"))
        self.settings_saved.emit(settings)

    def _on_refused(self, error: Exception) -> None:
        self._op = None
        self.save_bar.refused(self.form, error)
