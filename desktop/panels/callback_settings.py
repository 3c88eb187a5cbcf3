"""The Callbacks tab of the Settings panel: SLAs, call attempts, retry delay, opening hours.

SLAs and the retry delay are shown in hours of *opening time* (services.callbacks counts
them only while the branch is open); they are stored in minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSignalBlocker, Qt, QTime, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.widgets.form import FieldForm, SaveBar
from desktop.workers import BackgroundOp
from domain.callbacks import CallbackSettings, Category
from domain.log import ui as log
from domain.opening_hours import WEEKDAY_NAMES, WEEKDAYS, DayHours, OpeningHours
from domain.permissions import allowed
from services import callbacks as callback_service
from services.auth import CurrentUser
from services.callbacks import CallbackConfig

SLA_FIELDS = tuple(f"sla_{category.value}" for category in Category)
HOURS_FIELDS = tuple(f"hours_{day}" for day in WEEKDAYS)
FIELDS = (*SLA_FIELDS, "max_attempts", "retry_minutes", *HOURS_FIELDS)

_SLA_HINTS = {
    Category.URGENT: "Score 60 or more.",
    Category.HIGH: "Score 30 to 59.",
    Category.MEDIUM: "Score 15 to 29.",
    Category.LOW: "Score below 15.",
}
_HINTS = {
    **{f"sla_{category.value}": hint for category, hint in _SLA_HINTS.items()},
    "max_attempts": "Unanswered calls, then it is closed as unreachable.",
    "retry_minutes": "Before the next try after no answer.",
}
_INPUT_WIDTH = 120
_TIME_FORMAT = "HH:mm"


def _hours_box(maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(2)
    box.setRange(0, maximum)
    box.setSingleStep(0.5)
    box.setSuffix(" h")
    box.setAlignment(Qt.AlignmentFlag.AlignRight)
    box.setFixedWidth(_INPUT_WIDTH)
    return box


def _time_edit() -> QTimeEdit:
    edit = QTimeEdit()
    edit.setDisplayFormat(_TIME_FORMAT)
    edit.setFixedWidth(72)
    edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return edit


def _qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _time(value: QTime) -> time:
    return time(value.hour(), value.minute())


class _DayRow:
    """One weekday: an "Open" toggle and the from/to times (kept while the day is closed)."""

    def __init__(self, name: str) -> None:
        self.open_check = QCheckBox("Open")
        self.open_check.setAccessibleName(f"{name} open")
        self.opens = _time_edit()
        self.opens.setAccessibleName(f"{name} opens")
        self.closes = _time_edit()
        self.closes.setAccessibleName(f"{name} closes")
        # What a closed day offers when it is opened: the usual hours.
        self.opens.setTime(QTime(10, 0))
        self.closes.setTime(QTime(20, 0))
        self.to_label = QLabel("to")
        self.container = QWidget()
        row = QHBoxLayout(self.container)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(self.open_check)
        row.addSpacing(6)
        row.addWidget(self.opens)
        row.addWidget(self.to_label)
        row.addWidget(self.closes)
        row.addStretch(1)
        self.open_check.toggled.connect(self._sync)

    def _sync(self) -> None:
        is_open = self.open_check.isChecked()
        for widget in (self.opens, self.closes, self.to_label):
            widget.setEnabled(is_open)

    def focus_target(self) -> QWidget:
        """Where the cursor goes when the day's hours are refused."""
        return self.closes if self.open_check.isChecked() else self.open_check

    def show(self, hours: DayHours | None) -> None:
        if hours is not None:
            self.opens.setTime(_qtime(hours.opens))
            self.closes.setTime(_qtime(hours.closes))
        self.open_check.setChecked(hours is not None)
        self._sync()

    def value(self) -> DayHours | None:
        if not self.open_check.isChecked():
            return None
        return DayHours(_time(self.opens.time()), _time(self.closes.time()))


class CallbackSettingsPanel(QWidget):
    """Edits the callback SLAs, attempts, retry delay and opening hours (manager only).

    Save (Ctrl+S) runs services.callbacks.update_config in the background; a refused value
    shows its message beside its input. A front-desk user sees the settings read-only.

    Signals:
        config_saved(object): the CallbackConfig as saved.
    """

    config_saved = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._saved = callback_service.get_config(db)
        self.can_edit = allowed(user.role, "callback.settings")
        self._op: BackgroundOp[CallbackConfig] | None = None

        self.sla_boxes = {category: _hours_box(24 * 90) for category in Category}
        self.attempts_box = QSpinBox()
        self.attempts_box.setRange(0, 20)
        self.attempts_box.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.attempts_box.setFixedWidth(_INPUT_WIDTH)
        self.retry_box = _hours_box(24 * 14)
        self.days = {key: _DayRow(name) for key, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)}

        self.inputs: dict[str, QWidget] = {
            **{f"sla_{c.value}": box for c, box in self.sla_boxes.items()},
            "max_attempts": self.attempts_box,
            "retry_minutes": self.retry_box,
            **{f"hours_{key}": row.container for key, row in self.days.items()},
        }
        self.form = FieldForm(message_width=160, centred=True)
        self.messages = self.form.messages

        heading = QLabel("Callbacks")
        heading.setObjectName("FormHeading")
        intro = QLabel(
            "Hours are counted only while the branch is open. Requests already in the queue "
            "keep their due times; new ones use these settings."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        self.read_only_note = QLabel(
            "Only a manager can change these settings. Ask a manager to sign in to edit them."
        )
        self.read_only_note.setObjectName("ReadOnlyNote")
        self.read_only_note.setWordWrap(True)

        calls = self._grid()
        calls_title = QLabel("Call back within")
        calls_title.setObjectName("PaneHeading")
        labels = {
            **{f"sla_{c.value}": f"{c.value.capitalize()}" for c in Category},
            "max_attempts": "Attempts",
            "retry_minutes": "Retry after",
        }
        row = 0
        for field in (*SLA_FIELDS, "max_attempts", "retry_minutes"):
            if field == "max_attempts":
                sub = QLabel("Unanswered calls")
                sub.setObjectName("PaneHeading")
                sub.setContentsMargins(0, 10, 0, 0)
                calls.addWidget(sub, row, 0, 1, 3)
                row += 1
            self._add_row(calls, row, field, labels[field])
            row += 1

        hours = self._grid()
        hours_title = QLabel("Opening hours")
        hours_title.setObjectName("PaneHeading")
        for row, (key, name) in enumerate(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)):
            self._add_row(hours, 2 * row, f"hours_{key}", name)

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
        left, right = QVBoxLayout(), QVBoxLayout()
        for side, title, grid in ((left, calls_title, calls), (right, hours_title, hours)):
            side.setSpacing(10)
            side.addWidget(title)
            side.addLayout(grid)
            side.addStretch(1)
        sections = QHBoxLayout()
        sections.setSpacing(40)
        sections.addLayout(left, 1)
        sections.addLayout(right, 1)
        column.addLayout(sections)
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

        self.setFocusProxy(self.sla_boxes[Category.URGENT])
        self._show_config(self._saved)
        self._watch()
        self._apply_permissions()

    # -- building ------------------------------------------------------------------------

    @staticmethod
    def _grid() -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        grid.setColumnMinimumWidth(0, 90)
        grid.setColumnStretch(2, 1)
        return grid

    def _add_row(self, grid: QGridLayout, row: int, field: str, text: str) -> None:
        hint = _HINTS.get(field, "") if self.can_edit else ""
        if field.startswith("hours_"):
            # A day is three inputs: its times are marked, the cursor goes to what can be
            # fixed, and a refusal shows under the day (the hours leave no room beside them
            # in a 1024-pixel window).
            day = self.days[field.removeprefix("hours_")]
            self.form.add_row(
                grid,
                row,
                field,
                text,
                self.inputs[field],
                hint=hint,
                focus=day.focus_target,
                marked=(day.opens, day.closes),
                below=True,
            )
        else:
            self.form.add_row(grid, row, field, text, self.inputs[field], hint=hint)

    def _watch(self) -> None:
        for category, box in self.sla_boxes.items():
            box.valueChanged.connect(lambda *_, f=f"sla_{category.value}": self._edited(f))
        self.attempts_box.valueChanged.connect(lambda *_: self._edited("max_attempts"))
        self.retry_box.valueChanged.connect(lambda *_: self._edited("retry_minutes"))
        for key, day in self.days.items():
            field = f"hours_{key}"
            day.open_check.toggled.connect(lambda *_, f=field: self._edited(f))
            day.opens.timeChanged.connect(lambda *_, f=field: self._edited(f))
            day.closes.timeChanged.connect(lambda *_, f=field: self._edited(f))

    def _spin_boxes(self) -> list[QAbstractSpinBox]:
        boxes: list[QAbstractSpinBox] = [*self.sla_boxes.values()]
        boxes += [self.attempts_box, self.retry_box]
        for day in self.days.values():
            boxes += [day.opens, day.closes]
        return boxes

    def _apply_permissions(self) -> None:
        self.read_only_note.setVisible(not self.can_edit)
        for box in self._spin_boxes():
            box.setReadOnly(not self.can_edit)
        for day in self.days.values():
            day.open_check.setEnabled(self.can_edit)
        self.save_bar.set_editable(self.can_edit)
        self.save_shortcut.setEnabled(self.can_edit)

    # -- reading and showing -------------------------------------------------------------

    def settings(self) -> CallbackSettings:
        """The SLAs, attempts and retry delay as entered (not yet validated)."""
        return CallbackSettings(
            sla_minutes={c: round(box.value() * 60) for c, box in self.sla_boxes.items()},
            max_attempts=self.attempts_box.value(),
            retry_minutes=round(self.retry_box.value() * 60),
        )

    def opening_hours(self) -> OpeningHours:
        """The week's hours as entered (not yet validated)."""
        return OpeningHours(tuple(day.value() for day in self.days.values()))

    def _show_config(self, config: CallbackConfig) -> None:
        blockers = [QSignalBlocker(box) for box in self._spin_boxes()]
        blockers += [QSignalBlocker(day.open_check) for day in self.days.values()]
        try:
            for category, box in self.sla_boxes.items():
                box.setValue(config.settings.sla_minutes[category] / 60)
            self.attempts_box.setValue(config.settings.max_attempts)
            self.retry_box.setValue(config.settings.retry_minutes / 60)
            for day, hours in zip(self.days.values(), config.hours.days, strict=True):
                day.show(hours)
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
        """Save in the background; a refused value's message appears beside it."""
        if not self.can_edit or self._op is not None:
            return
        self.form.clear()
        settings, hours = self.settings(), self.opening_hours()
        db, user, now = self._db, self._user, self._clock()
        self.save_bar.saving()
        self._op = (
            BackgroundOp(
                self, lambda: callback_service.update_config(db, user, settings, hours, now=now)
            )
            .success(self._on_saved)
            .failure(self._on_refused)
            .run_in_background()
        )

    def revert(self) -> None:
        """Show the settings as last saved again."""
        self._show_config(self._saved)
        self.status_label.clear()

    def _on_saved(self, config: CallbackConfig) -> None:
        self._op = None
        self._saved = config
        self._show_config(config)
        self.save_bar.saved(self._clock().astimezone(ZoneInfo(config.timezone)).strftime("%H:%M"))
        log.info("callback settings saved")
        self.config_saved.emit(config)

    def _on_refused(self, error: Exception) -> None:
        self._op = None
        self.save_bar.refused(self.form, error)
