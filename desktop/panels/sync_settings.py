"""The Sync tab of the Settings panel (admin): where the centre is (host, port, database,
this branch's role and its password, kept in the OS keyring, TLS mode, interval), "Sync
now", what is pending and what the centre refused (services.sync_settings, services.sync).

A round runs on a worker thread; the status bar hears of it through `synced`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence, log_failure
from desktop.workers import OpCounter
from services import sync, sync_settings
from services.auth import CurrentUser
from services.sync_pull import PullState, last_pull
from services.sync_settings import SyncSettings


class SyncSettingsPanel(QWidget):
    """Settings > Sync.

    Signals:
        synced(object): the documents still pending (an int) after a round or a reading,
            or None while no centre is configured.
    """

    synced = Signal(object)

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

        title = QLabel("Sync with the centre")
        title.setObjectName("FormHeading")
        intro = QLabel(
            "Invoices, payments and patients saved here are sent to the head office's "
            "PostgreSQL. The branch keeps working without it and catches up when it can. "
            "Ask head office for this branch's role and password ('frontdesk central "
            "add-branch'); the password is kept in this computer's password store."
        )
        intro.setObjectName("Hint")
        intro.setWordWrap(True)
        self.host_edit = QLineEdit()
        self.host_edit.setAccessibleName("Centre host")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setAccessibleName("Centre port")
        self.database_edit = QLineEdit()
        self.database_edit.setAccessibleName("Centre database")
        self.role_edit = QLineEdit()
        self.role_edit.setAccessibleName("This branch's role")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("unchanged")
        self.password_edit.setAccessibleName("The role's password")
        self.tls_combo = QComboBox()
        self.tls_combo.addItems(list(sync_settings.TLS_MODES))
        self.tls_combo.setAccessibleName("TLS")
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, 1440)
        self.interval_spin.setSuffix(" minutes")
        self.interval_spin.setAccessibleName("Sync every")
        form = QFormLayout()
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_spin)
        form.addRow("Database", self.database_edit)
        form.addRow("Branch role", self.role_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("TLS", self.tls_combo)
        form.addRow("Sync every", self.interval_spin)

        self.save_button = QPushButton("Save")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.sync_button = QPushButton("&Sync now")
        self.sync_button.setObjectName("PrimaryButton")
        self.sync_button.setAutoDefault(False)
        self.sync_button.clicked.connect(self.sync_now)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.sync_button)
        buttons.addStretch(1)
        self.state_label = QLabel()
        self.state_label.setObjectName("SyncPending")
        self.state_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("Muted")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.pull_label = QLabel()
        self.pull_label.setObjectName("SyncPulled")
        self.pull_label.setWordWrap(True)
        self.attention_label = QLabel()
        self.attention_label.setObjectName("SyncAttention")
        self.attention_label.setWordWrap(True)

        column = QVBoxLayout(self)
        column.setContentsMargins(24, 18, 24, 18)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(intro)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.state_label)
        column.addWidget(self.pull_label)
        column.addWidget(self.message)
        column.addWidget(self.attention_label)
        column.addStretch(1)
        self.reload()

    def is_idle(self) -> bool:
        return self._ops.idle

    def reload(self) -> None:
        db = self._db

        def read() -> tuple[SyncSettings, int, list[sync.Attention], PullState]:
            return (
                sync_settings.sync_settings(db),
                sync.pending_count(db),
                sync.needs_attention(db),
                last_pull(db),
            )

        self._ops.run(read, self._show, self._failed)

    def _show(self, found: tuple[SyncSettings, int, list[sync.Attention], PullState]) -> None:
        settings, pending, attention, pulled = found
        self._show_pull(pulled)
        self.host_edit.setText(settings.host)
        self.port_spin.setValue(settings.port)
        self.database_edit.setText(settings.database)
        self.role_edit.setText(settings.role)
        self.tls_combo.setCurrentText(settings.tls)
        self.interval_spin.setValue(settings.interval_minutes)
        self._show_counts(pending, attention, configured=settings.configured)

    def _show_counts(
        self, pending: int, attention: list[sync.Attention], *, configured: bool = True
    ) -> None:
        self.state_label.setText(f"{pending} document(s) waiting to be sent.")
        lines = [f"{a.doc_type} {str(a.doc_id)[:8]}: {a.reason}" for a in attention]
        self.attention_label.setText(
            "Refused by the centre, needs attention:\n" + "\n".join(lines) if lines else ""
        )
        self.synced.emit(pending if configured else None)

    def _show_pull(self, pulled: PullState | None) -> None:
        """What the last pull received from the centre (catalog, prices, promotions, codes)."""
        if pulled is None:
            return
        if pulled.pulled_at is None:
            self.pull_label.setText("Nothing received from the centre yet.")
            return
        when = pulled.pulled_at.astimezone().strftime("%d %b %H:%M")
        self.pull_label.setText(
            f"Last received from the centre at {when}: {pulled.rows} change(s) to the catalog, "
            "prices, promotions and codes."
        )

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.message.setText(error_sentence(error))

    def chosen(self) -> SyncSettings:
        return SyncSettings(
            host=self.host_edit.text(),
            port=self.port_spin.value(),
            database=self.database_edit.text(),
            role=self.role_edit.text(),
            tls=self.tls_combo.currentText(),
            interval_minutes=self.interval_spin.value(),
        )

    def save(self) -> None:
        db, user, now, chosen = self._db, self._user, self._clock(), self.chosen()
        password = self.password_edit.text() or None
        self.message.setText("Saving...")

        def saved(_settings: SyncSettings) -> None:
            self.password_edit.clear()
            self.message.setText("Saved. Sync now tries the connection.")
            self.reload()

        self._ops.run(
            lambda: sync_settings.save_sync_settings(db, user, chosen, password=password, now=now),
            saved,
            self._failed,
        )

    def sync_now(self) -> None:
        if not self._ops.idle:
            return
        db, clock = self._db, self._clock

        def run() -> tuple[sync.SyncResult, list[sync.Attention]]:
            url = sync_settings.central_url(db)
            if url is None:
                raise sync.SyncFailed("Sync is not configured: fill in the centre and save.")
            return sync.sync_round(db, url, now=clock), sync.needs_attention(db)

        def done(found: tuple[sync.SyncResult, list[sync.Attention]]) -> None:
            result, attention = found
            stamp = clock().astimezone().strftime("%H:%M")
            self.message.setText(f"{result.sentence()} Last success at {stamp}.")
            self._show_counts(result.pending, attention)
            self._show_pull(result.pull)

        self.message.setText("Syncing...")
        self._ops.run(run, done, self._failed)
