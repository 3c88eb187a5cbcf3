"""A manager's approval on the spot: their name and PIN at someone else's counter, for a
step the person signed in may not take alone (a discount over their limit, credit over a
patient's limit). The audit keeps both names (services).

The managers are listed and the PIN checked off the UI thread (an argon2 check, and a wrong
PIN's count written, which may wait for another desk's save): the dialog keeps answering,
and Allow is off while a check runs so that a second Enter does not check twice."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence
from desktop.workers import OpCounter, show_error
from domain.errors import FrontdeskError
from domain.roles import Role
from services import auth
from services.auth import CurrentUser


class ManagerPinDialog(QDialog):
    """Asks a manager for their PIN; `approved` holds who allowed it once accepted."""

    def __init__(self, db: Database, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A manager's approval")
        self._db = db
        self.approved: CurrentUser | None = None
        self.reason_label = QLabel(reason)
        self.reason_label.setWordWrap(True)
        self._ops = OpCounter(self)
        self.manager_box = QComboBox()
        self.manager_box.setAccessibleName("Manager")
        self.pin_field = QLineEdit()
        self.pin_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_field.setAccessibleName("Manager's PIN")
        self.message = QLabel()
        self.message.setObjectName("NoticeError")
        self.message.setWordWrap(True)
        self.message.hide()  # an empty error box reads as an error
        form = QFormLayout()
        form.addRow("&Manager", self.manager_box)
        form.addRow("&PIN", self.pin_field)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.allow_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.allow_button.setText("Allow")
        self.allow_button.setEnabled(False)  # until the managers are listed
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.reason_label)
        column.addLayout(form)
        column.addWidget(self.message)
        column.addWidget(buttons)
        self.setMinimumWidth(420)
        self.pin_field.setFocus()
        self._ops.run(lambda: auth.list_users(db), self._listed, self._refused)

    def is_idle(self) -> bool:
        """The managers are listed and no PIN is being checked (tests wait on this)."""
        return self._ops.idle

    def _listed(self, users: list[auth.UserSummary]) -> None:
        for user in users:
            if user.role in (Role.MANAGER, Role.ADMIN):
                self.manager_box.addItem(user.full_name, user.username)
        if self.manager_box.count() == 0:
            self._say("No manager is set up to approve this.")
            return
        self.allow_button.setEnabled(True)

    def _check(self) -> None:
        username = self.manager_box.currentData()
        if not username or not self.allow_button.isEnabled():
            return  # nobody to ask yet (the list is being read), or a check is running
        self.allow_button.setEnabled(False)
        pin = self.pin_field.text()
        self._ops.run(
            lambda: auth.manager_approval(self._db, str(username), pin, "Approving this"),
            self._approved,
            self._refused,
        )

    def _approved(self, approver: CurrentUser) -> None:
        self.approved = approver
        self.accept()

    def _refused(self, error: Exception) -> None:
        self.pin_field.clear()
        self.allow_button.setEnabled(self.manager_box.count() > 0)
        if isinstance(error, FrontdeskError):
            self._say(error_sentence(error))
        else:
            show_error(self, error)  # logged, and said in a box

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()


def ask_manager_approval(
    db: Database,
    reason: str,
    on_approved: Callable[[CurrentUser], object],
    parent: QWidget | None = None,
) -> ManagerPinDialog:
    """Open the dialog (window-modal, not blocking); `on_approved` gets the manager once
    their PIN is right. Cancelled, nothing happens: the refusal stays said."""
    dialog = ManagerPinDialog(db, reason, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def accepted() -> None:
        if dialog.approved is not None:
            on_approved(dialog.approved)

    dialog.accepted.connect(accepted)
    dialog.open()
    return dialog
