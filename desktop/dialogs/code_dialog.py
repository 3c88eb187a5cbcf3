"""Creating or changing a promo code: the promotion it unlocks, its dates, its daily active
hours in a time zone of its own, and its limits (services.promotions.save_code)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import Qt, QTime
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.spec_form import (
    INPUT_WIDTH,
    OptionalDateEdit,
    SpecDialog,
    optional_text,
    plain_number_box,
)
from desktop.widgets.form import timezone_combo
from services import promotions as promotion_service
from services.auth import CurrentUser
from services.promotions import CodeRow, PromotionRow


def _time_edit(value: time) -> QTimeEdit:
    edit = QTimeEdit(QTime(value.hour, value.minute))
    edit.setDisplayFormat("HH:mm")
    edit.setMinimumWidth(90)
    plain_number_box(edit)  # typed as HH:MM (the up and down keys step it too)
    return edit


class _EllipsisCombo(QComboBox):
    """A combo box that ends a text too long for it with an ellipsis, not mid-letter, and
    shows the whole text as its tooltip (promotion names are long)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentTextChanged.connect(self.setToolTip)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox,
            option,
            QStyle.SubControl.SC_ComboBoxEditField,
            self,
        )
        option.currentText = self.fontMetrics().elidedText(
            option.currentText,
            Qt.TextElideMode.ElideRight,
            field.width(),
        )
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


class CodeDialog(SpecDialog):
    """A promo code's fields, with each refusal shown beside the field it is about.

    `code` is the code being changed (None for a new one); `promotions` fill the picker.

    Signals (from SpecDialog):
        saved(object): the CodeRow as saved.
    """

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        promotions: Sequence[PromotionRow],
        *,
        now: Callable[[], datetime],
        today: date,
        default_timezone: str,
        code: CodeRow | None = None,
        promotion_code: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._now = now
        self.replacing = None if code is None else code.code
        self.setWindowTitle("New promo code" if code is None else f"Edit {code.code}")
        self.setObjectName("CodeDialog")
        self.setStyleSheet(theme.section("spec-dialog"))
        self.fallback_field = "code"
        form = self.form

        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(40)
        self.code_edit.setPlaceholderText("e.g. MORNING10")
        self.promotion_combo = _EllipsisCombo()
        # Codes unlock promotions marked "requires code"; those come first.
        ordered = sorted(promotions, key=lambda p: (not p.requires_code, p.campaign_code))
        for promotion in ordered:
            note = "" if promotion.requires_code else "  (applies without a code too)"
            self.promotion_combo.addItem(
                f"{promotion.campaign_code} - {promotion.campaign_name}{note}",
                promotion.campaign_code,
            )
        self.promotion_combo.setMinimumContentsLength(24)
        self.promotion_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.from_edit = OptionalDateEdit("Any start")
        self.to_edit = OptionalDateEdit("No end")

        self.hours_box = QCheckBox("Only during these hours each day")
        self.start_time = _time_edit(time(6, 0))
        self.end_time = _time_edit(time(9, 0))
        self.timezone_combo = timezone_combo()
        self.timezone_combo.setCurrentText(default_timezone)
        hours_row = QWidget()
        hours_layout = QHBoxLayout(hours_row)
        hours_layout.setContentsMargins(0, 0, 0, 0)
        hours_layout.setSpacing(8)
        hours_layout.addWidget(self.start_time)
        to_label = QLabel("to")
        to_label.setObjectName("Muted")
        hours_layout.addWidget(to_label)
        hours_layout.addWidget(self.end_time)
        hours_layout.addStretch(1)

        self.max_uses_edit = QLineEdit()
        self.max_uses_edit.setPlaceholderText("No limit")
        self.per_patient_edit = QLineEdit()
        self.per_patient_edit.setPlaceholderText("No limit")
        for edit in (self.max_uses_edit, self.per_patient_edit):
            edit.setMaximumWidth(160)
        self.auto_box = QCheckBox("Expire the code when it reaches its limit")
        self.auto_box.setChecked(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.setColumnMinimumWidth(0, 120)
        grid.setColumnMinimumWidth(1, INPUT_WIDTH)
        grid.setColumnStretch(2, 1)
        rows: list[tuple[str, str, QWidget, str, QWidget | None]] = [
            ("code", "&Code", self.code_edit, "3-40 letters, digits or '-'.", None),
            (
                "promotion_code",
                "&Promotion",
                self.promotion_combo,
                "What the code unlocks.",
                None,
            ),
            ("valid_from", "Valid &from", self.from_edit, "", self.from_edit.date_edit),
            (
                "valid_to",
                "Valid &until",
                self.to_edit,
                "The last day it works.",
                self.to_edit.date_edit,
            ),
            ("enabled", "Active &hours", self.hours_box, "", None),
            (
                "start_time",
                "From - to",
                hours_row,
                "Both ends included; 22:00 to 02:00 crosses midnight.",
                self.start_time,
            ),
            (
                "timezone",
                "&Time zone",
                self.timezone_combo,
                "The clock the hours are read on. Type part of a name, e.g. Kolkata.",
                None,
            ),
            ("max_uses", "&Max uses", self.max_uses_edit, "Invoices in total.", None),
            ("max_uses_per_patient", "Uses per patie&nt", self.per_patient_edit, "", None),
            ("auto_deactivate_on_max_uses", "At the limit", self.auto_box, "", None),
        ]
        for row, (field, caption, widget, hint, focus) in enumerate(rows):
            form.add_row(grid, row, field, caption, widget, hint=hint, focus=focus)
        # The end time's errors share the row of the start time.
        start = form.rows["start_time"]
        form.add_field("end_time", self.end_time, start.message, hint=start.hint)

        heading = QLabel("Promo code")
        heading.setObjectName("FormHeading")
        buttons = self.button_box()

        column = QVBoxLayout(self)
        column.setContentsMargins(24, 18, 24, 16)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addLayout(grid)
        column.addStretch(1)
        column.addWidget(self.status_label)
        column.addWidget(buttons)
        self.fit(860, 560)

        self.hours_box.toggled.connect(self._hours_toggled)
        self.from_edit.set_date(None, default=today)
        self.to_edit.set_date(None, default=today)
        if code is not None:
            self.show_code(code)
        elif promotion_code is not None:
            self.promotion_combo.setCurrentIndex(
                max(self.promotion_combo.findData(promotion_code), 0)
            )
        self._hours_toggled(self.hours_box.isChecked())

    def _hours_toggled(self, enabled: bool) -> None:
        for widget in (self.start_time, self.end_time, self.timezone_combo):
            widget.setEnabled(enabled)

    def show_code(self, code: CodeRow) -> None:
        """Fill the form from a code as listed."""
        self.code_edit.setText(code.code)
        index = self.promotion_combo.findData(code.promotion_code)
        if index < 0:
            self.promotion_combo.addItem(code.promotion_code, code.promotion_code)
            index = self.promotion_combo.count() - 1
        self.promotion_combo.setCurrentIndex(index)
        self.from_edit.set_date(code.valid_from)
        self.to_edit.set_date(code.valid_to)
        hours = code.active_hours
        self.hours_box.setChecked(hours.enabled)
        self.start_time.setTime(QTime(hours.start.hour, hours.start.minute))
        self.end_time.setTime(QTime(hours.end.hour, hours.end.minute))
        self.timezone_combo.setCurrentText(hours.timezone)
        self.max_uses_edit.setText("" if code.max_uses is None else str(code.max_uses))
        per_patient = code.max_uses_per_patient
        self.per_patient_edit.setText("" if per_patient is None else str(per_patient))
        self.auto_box.setChecked(code.auto_deactivate_on_max_uses)

    def spec(self) -> dict[str, Any]:
        return {
            "code": self.code_edit.text(),
            "promotion_code": self.promotion_combo.currentData() or "",
            "valid_from": self.from_edit.iso(),
            "valid_to": self.to_edit.iso(),
            "active_hours": {
                "enabled": self.hours_box.isChecked(),
                "start_time": self.start_time.time().toString("HH:mm"),
                "end_time": self.end_time.time().toString("HH:mm"),
                "timezone": self.timezone_combo.currentText().strip(),
            },
            "max_uses": optional_text(self.max_uses_edit),
            "max_uses_per_patient": optional_text(self.per_patient_edit),
            "auto_deactivate_on_max_uses": self.auto_box.isChecked(),
        }

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        db, user, now, replacing = self._db, self._user, self._now(), self.replacing
        return lambda: promotion_service.save_code(db, user, spec, now=now, replacing=replacing)
