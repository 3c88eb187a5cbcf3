"""The Channels tab of the Settings panel (manager; issue #16): how campaign messages
leave. One channel at a time: its mode (off, live, or written to the preview folder), its
settings, its secret (kept in the OS keyring), a test message; then the branch's sending
rules, the frequency cap and the promotional windows (services.channel_settings).

Saving and the test message run on a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence, log_failure
from desktop.workers import OpCounter
from domain.send_gate import SendingRules
from services import channel_settings as cs
from services.auth import CurrentUser
from services.centre_settings import set_by_centre
from services.channels.base import OutgoingMessage, Sent
from services.channels.email import EmailSettings
from services.channels.preview import PreviewSettings
from services.channels.sms import SmsSettings
from services.channels.whatsapp import WhatsAppSettings

CHANNEL_TITLES = {
    "email": "E-mail",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "preview": "Preview folder",
}
MODE_TITLES = {
    "off": "Off (messages wait)",
    "live": "Live",
    "preview": "Write to the preview folder",
}
SECRET_TITLES = {"email": "SMTP password", "sms": "Password or API key", "whatsapp": "Access token"}


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _combo(name: str, items: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    for key, title in items.items():
        combo.addItem(title, key)
    return combo


def _pick(combo: QComboBox, key: str) -> None:
    combo.setCurrentIndex(max(0, combo.findData(key)))


def _time_edit(name: str) -> QTimeEdit:
    edit = QTimeEdit()
    edit.setDisplayFormat("HH:mm")
    edit.setAccessibleName(name)
    return edit


LABEL_WIDTH = 140
FORM_WIDTH = 780


def _align(*forms: QFormLayout) -> None:
    """One label column for forms stacked under each other."""
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            label = None if item is None else item.widget()
            if label is not None:
                label.setMinimumWidth(LABEL_WIDTH)


class ChannelSettingsPanel(QWidget):
    """Settings > Channels."""

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
        self._ops = OpCounter(self)
        self.rules_set_by_centre = False
        self._settings = cs.ChannelSettings()

        title = QLabel("How campaign messages leave")
        title.setObjectName("FormHeading")
        intro = QLabel(
            "Each channel is off (its messages wait), live (sent through your provider), or "
            "written to the preview folder instead. Passwords and tokens are kept in this "
            "computer's password store, never in the database."
        )
        intro.setObjectName("Hint")
        intro.setWordWrap(True)

        self.channel_combo = _combo("Channel", CHANNEL_TITLES)
        self.mode_combo = _combo("Mode", MODE_TITLES)
        top = QFormLayout()
        top.addRow("Channel", self.channel_combo)
        top.addRow("Mode", self.mode_combo)

        # E-mail
        self.email_host = _line("SMTP host", "smtp.example.in")
        self.email_port = QSpinBox()
        self.email_port.setRange(1, 65535)
        self.email_port.setAccessibleName("SMTP port")
        self.email_security = _combo(
            "Security",
            {"starttls": "STARTTLS (587)", "tls": "TLS (465)", "plain": "Plain (a local relay)"},
        )
        self.email_username = _line("SMTP user name")
        self.email_sender = _line("From address", "hello@yourclinic.in")
        self.email_sender_name = _line("From name", "Glow Clinic")
        self.email_ca_file = _line("CA certificate file", "optional: a relay's own CA")
        email = QFormLayout()
        email.addRow("Host", self.email_host)
        email.addRow("Port", self.email_port)
        email.addRow("Security", self.email_security)
        email.addRow("User name", self.email_username)
        email.addRow("From address", self.email_sender)
        email.addRow("From name", self.email_sender_name)
        email.addRow("CA file", self.email_ca_file)

        # SMS
        self.sms_provider = _combo(
            "SMS provider", {"gupshup": "Gupshup Enterprise", "json": "Other (JSON API)"}
        )
        self.sms_url = _line("Provider URL")
        self.sms_account = _line("Provider user id")
        self.sms_header = _line("DLT header (sender id)", "GLOWCL")
        self.sms_entity = _line("DLT principal entity id")
        sms = QFormLayout()
        sms.addRow("Provider", self.sms_provider)
        sms.addRow("URL", self.sms_url)
        sms.addRow("User id", self.sms_account)
        sms.addRow("DLT header", self.sms_header)
        sms.addRow("DLT entity id", self.sms_entity)

        # WhatsApp
        self.wa_url = _line("Cloud API URL")
        self.wa_version = _line("Graph API version")
        self.wa_number = _line("Phone number id", "from Meta's WhatsApp Manager")
        whatsapp = QFormLayout()
        whatsapp.addRow("API URL", self.wa_url)
        whatsapp.addRow("Version", self.wa_version)
        whatsapp.addRow("Phone number id", self.wa_number)

        # Preview
        self.preview_folder = _line("Preview folder", "beside the database: sent-messages")
        preview = QFormLayout()
        preview.addRow("Folder", self.preview_folder)

        _align(top, email, sms, whatsapp, preview)
        self.email_port.setMaximumWidth(120)
        self.forms = QStackedWidget()
        for layout in (email, sms, whatsapp, preview):
            page = QWidget()
            layout.setContentsMargins(0, 0, 0, 0)
            page.setLayout(layout)
            self.forms.addWidget(page)

        self.secret_label = QLabel()
        self.secret_edit = _line("Secret", "unchanged")
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        secret = QFormLayout()
        secret.addRow(self.secret_label, self.secret_edit)
        self.secret_label.setMinimumWidth(LABEL_WIDTH)

        self.save_button = QPushButton("Save channel")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.test_to = _line("Send a test to", "an e-mail address or +91 mobile")
        self.test_button = QPushButton("Send test")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.send_test)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addSpacing(16)
        buttons.addWidget(self.test_to, 1)
        buttons.addWidget(self.test_button)
        self.message = QLabel()
        self.message.setObjectName("Muted")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        rules_title = QLabel("Sending rules")
        rules_title.setObjectName("FormHeading")
        self.cap_spin = QSpinBox()
        self.cap_spin.setRange(0, 50)
        self.cap_spin.setAccessibleName("Promotional messages per patient")
        self.cap_days_spin = QSpinBox()
        self.cap_days_spin.setRange(1, 90)
        self.cap_days_spin.setSuffix(" days")
        self.cap_days_spin.setAccessibleName("In this many days")
        cap = QHBoxLayout()
        cap.addWidget(self.cap_spin)
        cap.addWidget(QLabel("promotional messages per patient in"))
        cap.addWidget(self.cap_days_spin)
        cap.addStretch(1)
        self.window_edits: dict[str, tuple[QTimeEdit, QTimeEdit]] = {}
        rules = QFormLayout()
        rules.addRow("At most", cap)
        for channel in ("email", "whatsapp"):
            start = _time_edit(f"{CHANNEL_TITLES[channel]} window opens")
            end = _time_edit(f"{CHANNEL_TITLES[channel]} window closes")
            self.window_edits[channel] = (start, end)
            row = QHBoxLayout()
            row.addWidget(start)
            row.addWidget(QLabel("to"))
            row.addWidget(end)
            row.addStretch(1)
            rules.addRow(f"{CHANNEL_TITLES[channel]} between", row)
        sms_rule = QLabel("SMS: 10:00 to 21:00 India time (TRAI's rule for promotional SMS).")
        sms_rule.setObjectName("Hint")
        rules.addRow("", sms_rule)
        self.rules_button = QPushButton("Save rules")
        self.rules_button.setAutoDefault(False)
        self.rules_button.clicked.connect(self.save_rules)
        self.rules_message = QLabel()
        self.rules_message.setObjectName("Muted")
        self.rules_message.setWordWrap(True)
        rules_row = QHBoxLayout()
        rules_row.addWidget(self.rules_button)
        rules_row.addWidget(self.rules_message, 1)

        # In a scroll area: at the smallest window the rules would otherwise be cut off.
        content = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        column = QVBoxLayout(content)
        column.setContentsMargins(24, 18, 24, 18)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(intro)
        column.addLayout(top)
        column.addWidget(self.forms)
        column.addLayout(secret)
        column.addLayout(buttons)
        column.addWidget(self.message)
        column.addSpacing(8)
        column.addWidget(rules_title)
        column.addLayout(rules)
        column.addLayout(rules_row)
        column.addStretch(1)
        _align(rules)
        content.setMaximumWidth(FORM_WIDTH)

        self.channel_combo.currentIndexChanged.connect(self._channel_chosen)
        self.reload()

    # -- reading -------------------------------------------------------------------------

    def is_idle(self) -> bool:
        return self._ops.idle

    @property
    def channel(self) -> str:
        return str(self.channel_combo.currentData())

    def reload(self) -> None:
        db = self._db
        self._ops.run(
            lambda: (
                cs.channel_settings(db),
                cs.sending_rules(db),
                set_by_centre(db, cs.SENDING_RULES_KEY),
            ),
            self._show,
            self._failed,
        )

    def _show(self, found: tuple[cs.ChannelSettings, SendingRules, bool]) -> None:
        settings, rules, by_centre = found
        self._settings = settings
        e, s, w = settings.email, settings.sms, settings.whatsapp
        self.email_host.setText(e.host)
        self.email_port.setValue(e.port)
        _pick(self.email_security, e.security)
        self.email_username.setText(e.username)
        self.email_sender.setText(e.sender)
        self.email_sender_name.setText(e.sender_name)
        self.email_ca_file.setText(e.ca_file)
        _pick(self.sms_provider, s.provider)
        self.sms_url.setText(s.url)
        self.sms_account.setText(s.account)
        self.sms_header.setText(s.header)
        self.sms_entity.setText(s.principal_entity_id)
        self.wa_url.setText(w.base_url)
        self.wa_version.setText(w.version)
        self.wa_number.setText(w.phone_number_id)
        self.preview_folder.setText(settings.preview.folder)
        self.cap_spin.setValue(rules.cap_messages)
        self.cap_days_spin.setValue(rules.cap_days)
        for channel, (start, end) in self.window_edits.items():
            opens, closes = rules.windows.get(channel, (time(0), time(23, 59)))
            start.setTime(QTime(opens.hour, opens.minute))
            end.setTime(QTime(closes.hour, closes.minute))
        # Once head office sets the rules for every branch, they are shown, not changed here.
        self.rules_set_by_centre = by_centre
        for widget in (self.cap_spin, self.cap_days_spin, self.rules_button):
            widget.setEnabled(not by_centre)
        for start, end in self.window_edits.values():
            start.setEnabled(not by_centre)
            end.setEnabled(not by_centre)
        if by_centre:
            self.rules_message.setText(
                "Head office sets these rules for every branch: they change when it changes "
                "them on the centre."
            )
        self._channel_chosen()

    def _channel_chosen(self) -> None:
        channel = self.channel
        current = self.channel_combo.currentIndex()
        self.forms.setCurrentIndex(current)
        # The stack takes the height of the page shown, not of its tallest page.
        for index in range(self.forms.count()):
            policy = (
                QSizePolicy.Policy.Preferred if index == current else QSizePolicy.Policy.Ignored
            )
            page = self.forms.widget(index)
            if page is not None:
                page.setSizePolicy(policy, policy)
        self.forms.adjustSize()
        is_preview = channel == "preview"
        self.mode_combo.setEnabled(not is_preview)
        _pick(self.mode_combo, self._settings.mode(channel))
        self.secret_label.setText(SECRET_TITLES.get(channel, ""))
        self.secret_label.setVisible(not is_preview)
        self.secret_edit.setVisible(not is_preview)
        self.secret_edit.clear()
        self.test_to.setEnabled(not is_preview)
        self.test_button.setEnabled(not is_preview)

    def chosen(self) -> EmailSettings | SmsSettings | WhatsAppSettings | PreviewSettings:
        """The form of the channel shown, as settings."""
        channel = self.channel
        if channel == "email":
            return EmailSettings(
                host=self.email_host.text(),
                port=self.email_port.value(),
                security=str(self.email_security.currentData()),
                username=self.email_username.text(),
                sender=self.email_sender.text(),
                sender_name=self.email_sender_name.text(),
                ca_file=self.email_ca_file.text(),
            )
        if channel == "sms":
            return replace(
                self._settings.sms,
                provider=str(self.sms_provider.currentData()),
                url=self.sms_url.text(),
                account=self.sms_account.text(),
                header=self.sms_header.text(),
                principal_entity_id=self.sms_entity.text(),
            )
        if channel == "whatsapp":
            return WhatsAppSettings(
                base_url=self.wa_url.text(),
                version=self.wa_version.text(),
                phone_number_id=self.wa_number.text(),
            )
        return PreviewSettings(folder=self.preview_folder.text())

    def chosen_rules(self) -> SendingRules:
        windows = {
            channel: (
                time(start.time().hour(), start.time().minute()),
                time(end.time().hour(), end.time().minute()),
            )
            for channel, (start, end) in self.window_edits.items()
        }
        return SendingRules(self.cap_spin.value(), self.cap_days_spin.value(), windows)

    # -- acting --------------------------------------------------------------------------

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.message.setText(error_sentence(error))

    def save(self) -> None:
        db, user, now, channel = self._db, self._user, self._clock(), self.channel
        settings = self.chosen()
        mode = None if channel == "preview" else str(self.mode_combo.currentData())
        secret = self.secret_edit.text() or None

        def saved(result: cs.ChannelSettings) -> None:
            self._settings = result
            self.secret_edit.clear()
            self.message.setText(
                f"Saved: {CHANNEL_TITLES[channel]} is {MODE_TITLES[result.mode(channel)].lower()}."
            )

        self.message.setText("Saving...")
        self._ops.run(
            lambda: cs.save_channel(
                db, user, channel, settings, mode=mode, secret_value=secret, now=now
            ),
            saved,
            self._failed,
        )

    def send_test(self) -> None:
        db, channel, to = self._db, self.channel, self.test_to.text().strip()
        if not to:
            self.message.setText("Type where the test goes: an e-mail address or a mobile.")
            return

        def send() -> Sent:
            opened = cs.open_channel(db, channel)
            if opened is None:
                raise cs.ChannelSettingsError(
                    "mode", f"{CHANNEL_TITLES[channel]} is off: choose Live or Preview and save."
                )
            try:
                return opened.send(
                    OutgoingMessage(
                        to,
                        "A test message from Frontdesk.",
                        subject="Frontdesk test",
                        payload={
                            "whatsapp_template_name": "hello_world",
                            "whatsapp_language": "en_US",
                        },
                        reference="test",
                    )
                )
            finally:
                opened.close()

        self.message.setText("Sending...")
        self._ops.run(
            send,
            lambda sent: self.message.setText(
                f"Sent to {to} (provider id {sent.provider_id or '-'})."
            ),
            self._failed,
        )

    def save_rules(self) -> None:
        db, user, now, rules = self._db, self._user, self._clock(), self.chosen_rules()
        self.rules_message.setText("Saving the rules...")

        def failed(error: Exception) -> None:
            log_failure(error)
            self.rules_message.setText(error_sentence(error))

        self._ops.run(
            lambda: cs.save_sending_rules(db, user, rules, now=now),
            lambda _rules: self.rules_message.setText("Saved the sending rules."),
            failed,
        )
