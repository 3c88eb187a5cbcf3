"""Registering a patient from the counter: a small dialog, each refusal shown beside its field."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence
from desktop.widgets.questions import whole_buttons
from desktop.workers import BackgroundOp
from domain.patients import NewPatient, PatientDetailsError
from services import patients as patient_service
from services.auth import CurrentUser
from services.patients import MobileOnFile, PatientMatch

_HINTS = {
    "name": "As the patient spells it.",
    "mobile": "10 digits; +91 or a leading 0 is fine.",
    "email": "Optional.",
}
_GENDERS = (("Not said", ""), ("Female", "female"), ("Male", "male"), ("Other", "other"))


def split_search_text(text: str) -> tuple[str, str]:
    """What was typed in the patient search, as a (name, mobile) to start the form with."""
    digits = "".join(re.findall(r"\d", text))
    name = " ".join(re.sub(r"[\d+()-]", " ", text).split())
    return name.title() if name.islower() else name, digits


class NewPatientDialog(QDialog):
    """Name, mobile, e-mail, gender and message consent; Enter saves through the service.

    Signals:
        patient_added(object): the PatientMatch of the patient just registered.
    """

    patient_added = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        today: Callable[[], date],
        name: str = "",
        mobile: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._today = today
        self._op: BackgroundOp[PatientMatch] | None = None
        self.patient: PatientMatch | None = None
        # The question asked when the mobile is already a patient's (kept for tests).
        self.family_question: QMessageBox | None = None
        self.setWindowTitle("New patient - Frontdesk")
        self.setObjectName("NewPatientDialog")

        self.name_edit = QLineEdit(name)
        self.name_edit.setMaxLength(120)
        self.mobile_edit = QLineEdit(mobile)
        self.mobile_edit.setMaxLength(20)
        self.mobile_edit.setPlaceholderText("98450 12345")
        self.email_edit = QLineEdit()
        self.email_edit.setMaxLength(200)
        self.gender_combo = QComboBox()
        for shown, value in _GENDERS:
            self.gender_combo.addItem(shown, value)
        self.sms_box = QCheckBox("SMS")
        self.whatsapp_box = QCheckBox("WhatsApp")
        self.email_box = QCheckBox("E-mail")

        self.inputs: dict[str, QWidget] = {
            "name": self.name_edit,
            "mobile": self.mobile_edit,
            "email": self.email_edit,
        }
        self.messages: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.setColumnMinimumWidth(1, 260)
        grid.setColumnStretch(2, 1)
        labels = {"name": "&Name", "mobile": "&Mobile", "email": "&E-mail"}
        for row, (field, caption) in enumerate(labels.items()):
            label = QLabel(caption)
            label.setBuddy(self.inputs[field])
            label.setContentsMargins(0, 6, 0, 0)
            message = QLabel(_HINTS[field])
            message.setObjectName("Hint")
            message.setWordWrap(True)
            message.setMinimumWidth(200)
            message.setContentsMargins(0, 6, 0, 0)
            self.messages[field] = message
            self.inputs[field].setAccessibleName(caption.replace("&", ""))
            top = Qt.AlignmentFlag.AlignTop
            grid.addWidget(label, row, 0, top)
            grid.addWidget(self.inputs[field], row, 1, top)
            grid.addWidget(message, row, 2, top)
        gender_label = QLabel("&Gender")
        gender_label.setBuddy(self.gender_combo)
        grid.addWidget(gender_label, 3, 0)
        grid.addWidget(self.gender_combo, 3, 1)
        consent_label = QLabel("May message by")
        consent_row = QHBoxLayout()
        consent_row.setSpacing(14)
        for box in (self.sms_box, self.whatsapp_box, self.email_box):
            consent_row.addWidget(box)
        consent_row.addStretch(1)
        grid.addWidget(consent_label, 4, 0)
        grid.addLayout(consent_row, 4, 1, 1, 2)

        for field, edit in (("name", self.name_edit), ("mobile", self.mobile_edit)):
            edit.textEdited.connect(lambda _text, f=field: self._set_message(f, None))
        self.email_edit.textEdited.connect(lambda _text: self._set_message("email", None))

        self.status_label = QLabel()
        self.status_label.setObjectName("FieldError")
        self.status_label.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save patient")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        heading = QLabel("Register a new patient")
        heading.setObjectName("FormHeading")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addLayout(grid)
        layout.addWidget(self.status_label)
        layout.addWidget(buttons)
        self.resize(max(640, self.sizeHint().width()), self.sizeHint().height())
        (self.mobile_edit if name and not mobile else self.name_edit).setFocus()

    def details(self) -> NewPatient:
        return NewPatient(
            name=self.name_edit.text(),
            mobile=self.mobile_edit.text(),
            email=self.email_edit.text(),
            gender=str(self.gender_combo.currentData() or ""),
            consent_sms=self.sms_box.isChecked(),
            consent_email=self.email_box.isChecked(),
            consent_whatsapp=self.whatsapp_box.isChecked(),
        )

    def field_error(self, field: str) -> str | None:
        label = self.messages[field]
        return label.text() if label.objectName() == "FieldError" else None

    def is_saving(self) -> bool:
        return self._op is not None

    def save(self, *, shared_mobile: bool = False) -> None:
        """Register the patient in the background; a refused field says why beside it, and a
        mobile already on file asks whether this is the same family (`shared_mobile`)."""
        if self._op is not None:
            return
        for field in self.messages:
            self._set_message(field, None)
        self.status_label.clear()
        details, db, user = self.details(), self._db, self._user
        now, today = self._clock(), self._today()
        self.save_button.setEnabled(False)
        self._op = (
            BackgroundOp(
                self,
                lambda: patient_service.add_patient(
                    db, user, details, now=now, today=today, shared_mobile=shared_mobile
                ),
            )
            .success(self._saved)
            .failure(self._refused)
            .run_in_background()
        )

    def _saved(self, patient: PatientMatch) -> None:
        self._op = None
        self.save_button.setEnabled(True)
        self.patient = patient
        self.patient_added.emit(patient)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self._op = None
        self.save_button.setEnabled(True)
        if isinstance(error, MobileOnFile):
            self._ask_family(error)
        elif isinstance(error, PatientDetailsError) and error.field in self.inputs:
            self._set_message(error.field, str(error))
            self.inputs[error.field].setFocus()
        else:
            self.status_label.setText(f"Not saved. {error_sentence(error)}")

    def _ask_family(self, error: MobileOnFile) -> None:
        """'7992905876 is Lakshmi Shetty's; same family?': pick them, or add this patient
        sharing the mobile."""
        self._set_message("mobile", str(error))
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Mobile already on file",
            f"{error}",
            parent=self,
        )
        picks = {}
        for match in error.matches[:3]:
            button = box.addButton(f"Bill {match.name}", QMessageBox.ButtonRole.AcceptRole)
            picks[button] = match
        add = box.addButton("Add as family member", QMessageBox.ButtonRole.YesRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(add)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        whole_buttons(box)
        self.family_question = box

        def answered(button: QAbstractButton) -> None:
            self.family_question = None
            if button is add:
                self.save(shared_mobile=True)
            elif button in picks:
                self._saved(picks[button])

        box.buttonClicked.connect(answered)
        box.open()

    def _set_message(self, field: str, error: str | None) -> None:
        label, widget = self.messages[field], self.inputs[field]
        label.setObjectName("Hint" if error is None else "FieldError")
        label.setText(_HINTS[field] if error is None else error)
        widget.setProperty("invalid", error is not None)
        for restyled in (label, widget):
            restyled.style().unpolish(restyled)
            restyled.style().polish(restyled)
