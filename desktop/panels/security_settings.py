"""The Security tab of the Settings panel (admin): when the screen locks itself, and
checking that the audit log is as it was written (services.screen_lock, services.audit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence, log_failure
from desktop.widgets.form import restyle
from desktop.workers import BackgroundOp
from domain.errors import FrontdeskError
from domain.sign_in import IDLE_LOCK_MINUTES_RANGE
from services import audit, screen_lock
from services.audit import AuditCheck
from services.auth import CurrentUser


class SecuritySettingsPanel(QWidget):
    """Idle minutes before the screen locks (Save), and "Verify audit log"."""

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user, self._clock = db, user, clock
        self._op: BackgroundOp[AuditCheck] | None = None

        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(*IDLE_LOCK_MINUTES_RANGE)
        self.idle_minutes.setSuffix(" minutes")
        self.idle_minutes.setValue(screen_lock.idle_lock_minutes(db))
        self.idle_minutes.setAccessibleName("Lock the screen after")
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        idle_row = QHBoxLayout()
        idle_row.addWidget(self.idle_minutes)
        idle_row.addWidget(self.save_button)
        idle_row.addStretch(1)
        self.idle_message = QLabel(
            "A shared computer locks itself after this long without a key press or click; "
            "the same person carries on with their PIN (from the next sign-in on)."
        )
        self.idle_message.setWordWrap(True)
        self.idle_message.setObjectName("Muted")

        self.verify_button = QPushButton("Verify audit log")
        self.verify_button.clicked.connect(self.verify)
        self.verify_result = QLabel(
            "Every change is written to an append-only audit log in which each entry is "
            "chained to the one before it. Verify walks the whole chain."
        )
        self.verify_result.setWordWrap(True)
        self.verify_result.setAccessibleName("Audit log check")

        form = QFormLayout()
        form.addRow("Lock the screen after", idle_row)
        form.addRow("", self.idle_message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(16)
        verify_row = QHBoxLayout()
        verify_row.addWidget(self.verify_button)
        verify_row.addStretch(1)
        layout.addLayout(verify_row)
        layout.addWidget(self.verify_result)
        layout.addStretch(1)

    def save(self) -> None:
        try:
            minutes = screen_lock.save_idle_lock_minutes(
                self._db, self._user, self.idle_minutes.value(), now=self._clock()
            )
        except FrontdeskError as exc:
            log_failure(exc)
            self.idle_message.setText(error_sentence(exc))
            return
        self.idle_message.setText(
            f"Saved: the screen locks after {minutes} idle minutes, from the next sign-in on."
        )

    def verify(self) -> None:
        """Check the chain in the background; the result in plain words below the button."""
        self.verify_button.setEnabled(False)
        self.verify_result.setText("Checking the audit log...")
        db, user = self._db, self._user
        op = BackgroundOp(self, lambda: audit.verify_audit(db, user))
        op.success(self._verified)
        op.failure(self._failed)
        self._op = op
        op.run_in_background()

    def _verified(self, check: AuditCheck) -> None:
        self.verify_button.setEnabled(True)
        self.verify_result.setObjectName("Muted" if check.intact else "FieldError")
        restyle(self.verify_result)
        self.verify_result.setText(check.sentence())

    def _failed(self, error: Exception) -> None:
        self.verify_button.setEnabled(True)
        log_failure(error)
        self.verify_result.setText(error_sentence(error))
