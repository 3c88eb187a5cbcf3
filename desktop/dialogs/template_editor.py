"""A message template typed by the manager, with its preview beside it for the sample
patient (rendered as it is checked when saved: unknown tags, SMS parts, the DLT match), and
the DLT fields of an SMS or the approved template of WhatsApp."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.campaigns.draft import MESSAGE_CHANNELS, PURPOSE_NAMES
from desktop.errors import error_sentence
from desktop.widgets.form import restyle
from desktop.workers import OpCounter
from domain.message_render import TAGS
from services.auth import CurrentUser
from services.campaigns import templates as template_service
from services.campaigns.templates import Preview, TemplateRow, TemplateSpec

SAVE_SHORTCUT = "Ctrl+S"


def choice_combo(name: str, choices: dict[str, str]) -> QComboBox:
    """A combo box of `choices` (key -> what the person reads), the key as each item's data."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    for key, text in choices.items():
        combo.addItem(text, key)
    return combo


def preview_text(preview: Preview) -> str:
    """The preview as the patient reads it, with the SMS's length and DLT check under it,
    or the WhatsApp body parameters as the Cloud API gets them."""
    lines = []
    if preview.subject is not None:
        lines += [f"Subject: {preview.subject}", ""]
    lines.append(preview.text)
    if preview.sms is not None:
        sms = preview.sms
        parts = "part" if sms.parts == 1 else "parts"
        lines += ["", f"{sms.units} characters ({sms.encoding}): {sms.parts} SMS {parts}"]
    if preview.dlt_ok is not None:
        lines.append(
            "Matches its DLT registration"
            if preview.dlt_ok
            else "Does not match its DLT registration"
        )
    if preview.whatsapp_parameters:
        lines += ["", "Body parameters:"]
        lines += [f"{{{{{n}}}}} = {text}" for n, text in enumerate(preview.whatsapp_parameters, 1)]
    return "\n".join(lines)


def write_template(
    db: Database,
    user: CurrentUser,
    spec: TemplateSpec,
    *,
    now: datetime,
    editing: uuid.UUID | None,
) -> uuid.UUID:
    """Add the template, or change template `editing`; its id either way."""
    if editing is None:
        return template_service.add_template(db, user, spec, now=now)
    template_service.update_template(db, user, editing, spec, now=now)
    return editing


class TemplateEditor(QDialog):
    """Add a template to the library (a copy of one when `copy_of` is given), or change
    one (`editing`: its channel stays, the campaigns that use it send on it).

    Signals:
        saved(object): the new template's id (uuid.UUID).
    """

    saved = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        copy_of: TemplateRow | None = None,
        editing: TemplateRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(theme.section("spec-dialog"))
        self._db, self._user, self._clock = db, user, clock
        self._saving = OpCounter(self)
        self._editing = editing
        title = "Copy of a template" if copy_of else "New template"
        self.setWindowTitle(f"Change {editing.name}" if editing else title)
        self.resize(920, 580)

        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Name")
        self.category_edit = QLineEdit("general")
        self.category_edit.setAccessibleName("Category")
        self.channel_combo = choice_combo("Channel", MESSAGE_CHANNELS)
        self.purpose_combo = choice_combo("Purpose", PURPOSE_NAMES)
        self.subject_edit = QLineEdit()
        self.subject_edit.setAccessibleName("Subject")
        self.body_edit = QPlainTextEdit()
        self.body_edit.setAccessibleName("Message")
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.setMinimumHeight(96)
        self.body_edit.setMaximumHeight(150)
        tags = ", ".join("{{ " + tag + " }}" for tag in TAGS)
        self.body_edit.setToolTip(f"Tags filled in for each patient: {tags}")
        self.dlt_id_edit = QLineEdit()
        self.dlt_id_edit.setAccessibleName("DLT template id")
        self.header_edit = QLineEdit()
        self.header_edit.setAccessibleName("Header (sender id)")
        self.header_edit.setMaxLength(11)
        self.entity_edit = QLineEdit()
        self.entity_edit.setAccessibleName("Principal entity id")
        self.registered_edit = QPlainTextEdit()
        self.registered_edit.setAccessibleName("Registered text")
        self.registered_edit.setTabChangesFocus(True)
        self.registered_edit.setFixedHeight(64)
        self.registered_edit.setToolTip(
            "The text registered on the DLT portal, with {#var#} where the message varies"
        )
        self.wa_name_edit = QLineEdit()
        self.wa_name_edit.setAccessibleName("Approved template name")
        self.wa_language_edit = QLineEdit("en")
        self.wa_language_edit.setAccessibleName("Language")
        self.wa_parameters_edit = QPlainTextEdit()
        self.wa_parameters_edit.setAccessibleName("Body parameters")
        self.wa_parameters_edit.setTabChangesFocus(True)
        self.wa_parameters_edit.setFixedHeight(84)
        self.wa_parameters_edit.setPlaceholderText("{{ first_name }}\n{{ promo_code }}")
        self.wa_parameters_edit.setToolTip(
            "The approved template's {{1}}, {{2}}, ... in order, one a line: line 1 fills "
            "{{1}}. Text and tags, filled in for each patient"
        )
        self.wa_parameters_hint = QLabel(
            "One a line, in order: line 1 fills the approved template's {{1}}, line 2 its "
            "{{2}}, and so on."
        )
        self.wa_parameters_hint.setObjectName("Muted")
        self.wa_parameters_hint.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setSpacing(8)
        self._rows: dict[str, tuple[QLabel, QWidget]] = {}
        for key, label, widget in (
            ("name", "&Name", self.name_edit),
            ("category", "Ca&tegory", self.category_edit),
            ("channel", "C&hannel", self.channel_combo),
            ("purpose", "&Purpose", self.purpose_combo),
            ("subject", "S&ubject", self.subject_edit),
            ("body", "&Message", self.body_edit),
            ("dlt_id", "DLT template id", self.dlt_id_edit),
            ("header", "Header", self.header_edit),
            ("entity", "Principal entity", self.entity_edit),
            ("registered", "Registered text", self.registered_edit),
            ("wa_name", "Approved template", self.wa_name_edit),
            ("wa_language", "Language", self.wa_language_edit),
            ("wa_parameters", "Body p&arameters", self.wa_parameters_edit),
            ("wa_hint", "", self.wa_parameters_hint),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
            self._rows[key] = (caption, widget)
        self.tags_label = QLabel(f"Tags: {tags}")
        self.tags_label.setObjectName("Muted")
        self.tags_label.setWordWrap(True)
        form_widget = QWidget()
        form_column = QVBoxLayout(form_widget)
        form_column.setContentsMargins(0, 0, 8, 0)
        form_column.addLayout(form)
        form_column.addWidget(self.tags_label)
        form_column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(form_widget)

        preview_heading = QLabel("Preview for the sample patient")
        preview_heading.setObjectName("PaneHeading")
        self.preview_edit = QPlainTextEdit()
        self.preview_edit.setObjectName("TemplatePreview")
        self.preview_edit.setAccessibleName("Preview")
        self.preview_edit.setReadOnly(True)
        self.preview_edit.setTabChangesFocus(True)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("FieldError")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        preview_pane = QFrame()
        preview_pane.setObjectName("TotalsPane")
        preview_pane.setFixedWidth(340)
        preview_column = QVBoxLayout(preview_pane)
        preview_column.setContentsMargins(14, 12, 14, 12)
        preview_column.addWidget(preview_heading)
        preview_column.addWidget(self.preview_edit, 1)
        preview_column.addWidget(self.problem_label)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.save_button = QPushButton(f"Save  {SAVE_SHORTCUT}")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        QShortcut(QKeySequence(SAVE_SHORTCUT), self).activated.connect(self.save)

        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(scroll, 1)
        top.addWidget(preview_pane)
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 16, 18, 14)
        column.addLayout(top, 1)
        column.addLayout(buttons)

        if copy_of is not None:
            self._fill(copy_of)
            self.name_edit.setText(f"{copy_of.name} (copy)")
        if editing is not None:
            self._fill(editing)
            self.name_edit.setText(editing.name)
            self.channel_combo.setEnabled(False)
            self.channel_combo.setToolTip("Its campaigns send on this channel: copy it for another")
        for edit in (
            self.name_edit,
            self.subject_edit,
            self.dlt_id_edit,
            self.header_edit,
            self.entity_edit,
            self.wa_name_edit,
            self.wa_language_edit,
        ):
            edit.textChanged.connect(self.update_preview)
        self.body_edit.textChanged.connect(self.update_preview)
        self.registered_edit.textChanged.connect(self.update_preview)
        self.wa_parameters_edit.textChanged.connect(self.update_preview)
        self.channel_combo.currentIndexChanged.connect(self._channel_changed)
        self.purpose_combo.currentIndexChanged.connect(self.update_preview)
        self._channel_changed()
        self.name_edit.setFocus()

    def _fill(self, row: TemplateRow) -> None:
        self.category_edit.setText(row.category)
        self.channel_combo.setCurrentIndex(max(0, self.channel_combo.findData(row.channel)))
        self.purpose_combo.setCurrentIndex(max(0, self.purpose_combo.findData(row.purpose)))
        self.subject_edit.setText(row.subject or "")
        self.body_edit.setPlainText(row.body)
        self.dlt_id_edit.setText(row.sms_dlt_template_id or "")
        self.header_edit.setText(row.sms_header or "")
        self.entity_edit.setText(row.sms_principal_entity_id or "")
        self.registered_edit.setPlainText(row.sms_registered_text or "")
        self.wa_name_edit.setText(row.whatsapp_template_name or "")
        self.wa_language_edit.setText(row.whatsapp_language or "en")
        self.wa_parameters_edit.setPlainText("\n".join(row.whatsapp_body_parameters))

    def _channel_changed(self) -> None:
        channel = self.channel()
        shown = {
            "subject": channel == "email",
            "dlt_id": channel == "sms",
            "header": channel == "sms",
            "entity": channel == "sms",
            "registered": channel == "sms",
            "wa_name": channel == "whatsapp",
            "wa_language": channel == "whatsapp",
            "wa_parameters": channel == "whatsapp",
            "wa_hint": channel == "whatsapp",
        }
        for key, visible in shown.items():
            caption, widget = self._rows[key]
            caption.setVisible(visible)
            widget.setVisible(visible)
        self.update_preview()

    def channel(self) -> str:
        if self._editing is not None:  # it stays (a template of the preview channel too)
            return self._editing.channel
        return str(self.channel_combo.currentData())

    def spec(self) -> TemplateSpec:
        """The template as typed (fields of other channels left out), parsed as the service
        parses a spec: a refusal names what is wrong (more than 20 body parameters, say)."""
        channel = self.channel()

        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        return template_service.parse_spec(
            dict(
                name=self.name_edit.text().strip() or "Untitled",
                category=self.category_edit.text().strip() or "general",
                channel=channel,
                purpose=str(self.purpose_combo.currentData()),
                subject=text(self.subject_edit) if channel == "email" else None,
                body=self.body_edit.toPlainText() or " ",
                sms_dlt_template_id=text(self.dlt_id_edit) if channel == "sms" else None,
                sms_header=text(self.header_edit) if channel == "sms" else None,
                sms_principal_entity_id=text(self.entity_edit) if channel == "sms" else None,
                sms_registered_text=(self.registered_edit.toPlainText().strip() or None)
                if channel == "sms"
                else None,
                whatsapp_template_name=text(self.wa_name_edit) if channel == "whatsapp" else None,
                whatsapp_language=text(self.wa_language_edit) if channel == "whatsapp" else None,
                whatsapp_body_parameters=self.body_parameters() if channel == "whatsapp" else None,
            )
        )

    def body_parameters(self) -> list[str]:
        """The WhatsApp body parameters as typed, one a line ({{1}} first); blank lines at
        the end are not parameters, a blank one between two is (and is refused)."""
        lines = self.wa_parameters_edit.toPlainText().split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def problem(self) -> str:
        """What the checks say against the template as typed ('' when none)."""
        return self.problem_label.text() if self.problem_label.isVisible() else ""

    def update_preview(self) -> None:
        """Render the template as typed for the sample patient (pure: no data is read)."""
        if not self.body_edit.toPlainText().strip():
            self.preview_edit.setPlainText("")
            self._say_problem("Type the message; tags like {{ first_name }} are filled in.")
            return
        try:
            spec = self.spec()
            preview = template_service.check_template(spec)
        except Exception as exc:  # any refusal of the checks, said in its own words
            self._say_problem(self._located(exc))
            return
        self.preview_edit.setPlainText(preview_text(preview))
        self._say_problem("")
        if self.status_label.objectName() == "FieldError":
            self._say("")  # the refusal said before is answered

    def _located(self, error: Exception) -> str:
        """The refusal's sentence, saying so when it is the body parameters' (an unknown
        tag there reads like one in the message otherwise)."""
        sentence = error_sentence(error)
        key = "whatsapp_body_parameters"
        if key in sentence:
            return sentence.replace(f"{key}: ", "Body parameters: ").replace(key, "Body parameters")
        if self.channel() != "whatsapp" or not self.body_parameters():
            return sentence
        try:
            without = self.spec().model_copy(update={"whatsapp_body_parameters": None})
            template_service.check_template(without)
        except Exception:  # the refusal is the rest of the template's
            return sentence
        return f"Body parameters: {sentence}"

    def _say_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    # -- saving ------------------------------------------------------------------------------

    def is_saving(self) -> bool:
        return not self._saving.idle

    def save(self) -> None:
        """Check and add the template (in the background); the dialog closes once saved."""
        if self.is_saving():
            return
        if not self.name_edit.text().strip():
            self._say("Give the template a name.", error=True)
            self.name_edit.setFocus()
            return
        if self.problem():
            self._say(self.problem(), error=True)
            return
        db, user, now, spec = self._db, self._user, self._clock(), self.spec()
        editing = None if self._editing is None else self._editing.id
        self._say("Saving...")
        self.save_button.setEnabled(False)
        self._saving.run(
            lambda: write_template(db, user, spec, now=now, editing=editing),
            self._saved,
            self._refused,
        )

    def _saved(self, template_id: uuid.UUID) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(template_id)
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.save_button.setEnabled(True)
        self._say(error_sentence(error), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        self.status_label.setText(text)
        restyle(self.status_label)
