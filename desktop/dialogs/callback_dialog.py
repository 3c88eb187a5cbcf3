"""Adding a callback request: a registered patient (type-ahead) or a name and mobile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDateTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence
from desktop.widgets.type_ahead import TypeAheadField
from desktop.workers import BackgroundOp
from domain.callbacks import Reason, Source
from services import callbacks as callback_service
from services import patients as patient_service
from services.auth import CurrentUser
from services.callbacks import CallbackInputError, CallbackRow, NewCallback
from services.patients import PatientMatch


def to_qdatetime(instant: datetime, zone: ZoneInfo) -> QDateTime:
    """An aware instant as a QDateTime in the branch's zone."""
    return QDateTime.fromSecsSinceEpoch(
        int(instant.timestamp()), QTimeZone(zone.key.encode("ascii"))
    )


def from_qdatetime(value: QDateTime) -> datetime:
    """The instant a QDateTime stands for, as an aware UTC datetime."""
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


def date_time_edit(zone: ZoneInfo, instant: datetime) -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setTimeZone(QTimeZone(zone.key.encode("ascii")))
    edit.setDisplayFormat("ddd dd MMM yyyy HH:mm")
    edit.setCalendarPopup(True)
    edit.setDateTime(to_qdatetime(instant, zone))
    return edit


class AddCallbackDialog(QDialog):
    """Who to call (a patient found by name or phone, or a name and mobile), why, how the
    request came in, notes and an optional preferred time window. Enter adds.

    Signals:
        added(object): the CallbackRow of the request just added.
    """

    added = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        timezone: str,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a callback")
        self.setMinimumWidth(560)
        self._db = db
        self._user = user
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._patient: PatientMatch | None = None
        self._saving = False

        self.patient_field: TypeAheadField[PatientMatch] = TypeAheadField(
            lambda text: patient_service.find_patients(db, text),
            self._columns,
            list_width=460,
        )
        self.patient_field.setPlaceholderText("Search a registered patient by name or phone")
        self.patient_field.chosen.connect(self.set_patient)
        self.patient_label = QLabel("Not a registered patient: type the name and mobile below.")
        self.patient_label.setObjectName("Hint")
        self.patient_label.setWordWrap(True)
        self.clear_patient_button = QPushButton("Not this patient")
        self.clear_patient_button.setAutoDefault(False)
        self.clear_patient_button.clicked.connect(lambda: self.set_patient(None))
        self.clear_patient_button.hide()

        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.mobile_edit = QLineEdit()
        self.mobile_edit.setMaxLength(20)
        self.mobile_edit.setPlaceholderText("10 digits")
        self.reason_combo = QComboBox()
        for reason in Reason:
            self.reason_combo.addItem(reason.label, reason.value)
        self.source_combo = QComboBox()
        for source in Source:
            self.source_combo.addItem(source.label, source.value)
        self.source_combo.setCurrentIndex(self.source_combo.findData(Source.PHONE.value))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.notes_edit.setPlaceholderText("What the person asked about")

        now = clock()
        self.window_check = QCheckBox("Preferred time")
        self.window_from = date_time_edit(self._zone, now + timedelta(hours=1))
        self.window_to = date_time_edit(self._zone, now + timedelta(hours=3))
        self.window_check.toggled.connect(self._window_toggled)
        self._window_toggled(False)

        self.error_label = QLabel()
        self.error_label.setObjectName("FieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        rows: list[tuple[str, QWidget]] = [
            ("&Patient", self.patient_field),
            ("", self.patient_label),
            ("&Name", self.name_edit),
            ("&Mobile", self.mobile_edit),
            ("&Reason", self.reason_combo),
            ("&Source", self.source_combo),
            ("N&otes", self.notes_edit),
        ]
        for number, (text, widget) in enumerate(rows):
            if text:
                label = QLabel(text)
                label.setBuddy(widget)
                grid.addWidget(label, number, 0)
            if widget is self.patient_label:
                line = QHBoxLayout()
                line.addWidget(self.patient_label, 1)
                line.addWidget(self.clear_patient_button)
                grid.addLayout(line, number, 1)
            else:
                grid.addWidget(widget, number, 1)
        window_row = QHBoxLayout()
        window_row.setSpacing(8)
        window_row.addWidget(self.window_from, 1)
        window_row.addWidget(QLabel("to"))
        window_row.addWidget(self.window_to, 1)
        grid.addWidget(self.window_check, len(rows), 0)
        grid.addLayout(window_row, len(rows), 1)
        grid.setColumnStretch(1, 1)

        self.buttons = QDialogButtonBox()
        self.add_button = self.buttons.addButton("Add", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setObjectName("PrimaryButton")
        self.add_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 18, 20, 16)
        column.setSpacing(12)
        column.addLayout(grid)
        column.addWidget(self.error_label)
        column.addWidget(self.buttons)
        self.patient_field.setFocus()

    # -- the patient ---------------------------------------------------------------------

    @staticmethod
    def _columns(patient: PatientMatch) -> Sequence[str]:
        visits = "1 visit" if patient.visits == 1 else f"{patient.visits} visits"
        return (patient.name, patient.mobile, visits)

    def set_patient(self, patient: PatientMatch | None) -> None:
        """Call back this registered patient (None: someone not registered)."""
        self._patient = patient
        self.patient_field.cancel()
        registered = patient is not None
        if patient is not None:
            self.patient_field.setText(patient.name)
            self.name_edit.setText(patient.name)
            self.mobile_edit.setText(patient.mobile)
            self.patient_label.setText(
                f"{patient.name}, {patient.mobile}: registered patient ({self._columns(patient)[2]})"
            )
            self.reason_combo.setFocus()
        else:
            self.patient_field.clear()
            self.patient_label.setText("Not a registered patient: type the name and mobile below.")
        self.name_edit.setReadOnly(registered)
        self.mobile_edit.setReadOnly(registered)
        self.clear_patient_button.setVisible(registered)

    def patient(self) -> PatientMatch | None:
        return self._patient

    def _window_toggled(self, on: bool) -> None:
        self.window_from.setEnabled(on)
        self.window_to.setEnabled(on)

    # -- adding --------------------------------------------------------------------------

    def request(self) -> NewCallback:
        """The request as filled in."""
        reason = self.reason_combo.currentData()
        source = self.source_combo.currentData()
        window = self.window_check.isChecked()
        return NewCallback(
            reason=Reason(reason),
            source=Source(source),
            patient_id=self._patient.id if self._patient else None,
            name=self.name_edit.text(),
            mobile=self.mobile_edit.text(),
            notes=self.notes_edit.toPlainText(),
            preferred_from=from_qdatetime(self.window_from.dateTime()) if window else None,
            preferred_to=from_qdatetime(self.window_to.dateTime()) if window else None,
        )

    def is_saving(self) -> bool:
        return self._saving

    def submit(self) -> None:
        """Add the request through the service, off the UI thread."""
        if self._saving:
            return
        self._saving = True
        self.add_button.setEnabled(False)
        new, now = self.request(), self._clock()
        db, user = self._db, self._user
        BackgroundOp(self, lambda: callback_service.add_callback(db, user, new, now=now)).success(
            self._added
        ).failure(self._refused).run_in_background()

    def _added(self, row: CallbackRow) -> None:
        self._saving = False
        self.added.emit(row)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self._saving = False
        self.add_button.setEnabled(True)
        self.error_label.setText(error_sentence(error))
        self.error_label.show()
        focus = {"name": self.name_edit, "mobile": self.mobile_edit}
        if isinstance(error, CallbackInputError) and error.field in focus:
            focus[error.field].setFocus()
            focus[error.field].selectAll()

    def error(self) -> str:
        return self.error_label.text() if self.error_label.isVisible() else ""
