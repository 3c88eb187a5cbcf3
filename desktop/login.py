"""The sign-in dialog: pick your name, type your PIN, press Enter."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from domain import log
from services import auth
from services.auth import CurrentUser
from services.errors import SignInError

LAST_USER_KEY = "login/last_user"
_USERNAME_ROLE = Qt.ItemDataRole.UserRole


class LoginDialog(QDialog):
    """Lists the active staff and signs one of them in with a PIN.

    Keyboard: Up/Down or a name's first letters choose a name (Up/Down work from the PIN
    field too), digits typed on the list go to the PIN field, Enter signs in, Esc closes the dialog.

    Signals:
        signed_in(object): the CurrentUser who signed in; the dialog then accepts.
    """

    signed_in = Signal(object)

    def __init__(
        self,
        db: Database,
        settings: QSettings,
        *,
        branch_name: str = "",
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """`note` is a sentence shown under the heading (a cart kept for after sign-in)."""
        super().__init__(parent)
        self._db = db
        self._settings = settings
        self.user: CurrentUser | None = None
        self._items: list[QTreeWidgetItem] = []
        self.setWindowTitle("Sign in - Frontdesk")
        self.setObjectName("LoginDialog")

        logo = QLabel()
        logo.setPixmap(theme.logo_pixmap(56, self.devicePixelRatioF()))
        logo.setFixedSize(60, 60)
        title = QLabel("Sign in to Frontdesk")
        title.setObjectName("LoginTitle")
        where = QLabel(
            f"Branch: {branch_name}" if branch_name else "Choose your name, then type your PIN"
        )
        where.setObjectName("Muted")
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(where)
        self.note_label = QLabel(note)
        self.note_label.setObjectName("NoticeInfo")
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(bool(note))
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(logo)
        top.addLayout(heading, 1)

        who = QLabel("&Who is signing in?")
        self.user_list = QTreeWidget()
        self.user_list.setObjectName("UserList")
        self.user_list.setColumnCount(2)
        self.user_list.setHeaderHidden(True)
        self.user_list.setRootIsDecorated(False)
        self.user_list.setAllColumnsShowFocus(True)
        self.user_list.setUniformRowHeights(True)
        self.user_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.user_list.header().setStretchLastSection(False)
        self.user_list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.user_list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.user_list.setAccessibleName("Staff")
        who.setBuddy(self.user_list)

        pin_label = QLabel("&PIN")
        self.pin_edit = QLineEdit()
        self.pin_edit.setObjectName("PinEdit")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setPlaceholderText("Your PIN")
        self.pin_edit.setMaxLength(64)  # a passphrase (domain.sign_in)
        self.pin_edit.setFixedWidth(170)
        self.pin_edit.setAccessibleName("PIN")
        pin_label.setBuddy(self.pin_edit)
        self.error_label = QLabel()
        self.error_label.setObjectName("FieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName("Sign-in message")
        self.error_label.setMinimumHeight(self.error_label.fontMetrics().lineSpacing() * 2)

        pin_row = QGridLayout()
        pin_row.setHorizontalSpacing(10)
        pin_row.addWidget(pin_label, 0, 0)
        pin_row.addWidget(self.pin_edit, 0, 1)
        pin_row.addWidget(self.error_label, 0, 2)
        pin_row.setColumnStretch(2, 1)

        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("PrimaryButton")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)
        quit_button = QPushButton("Quit")
        quit_button.setAutoDefault(False)
        buttons = QDialogButtonBox()
        buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.sign_in_button.clicked.connect(self.try_sign_in)
        # Quit says so (the idle lock quits on it; closing the dialog keeps the lock).
        self.quit_chosen = False
        quit_button.clicked.connect(self._quit)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.note_label)
        layout.addSpacing(6)
        layout.addWidget(who)
        layout.addWidget(self.user_list, 1)
        layout.addLayout(pin_row)
        layout.addWidget(buttons)

        self.setTabOrder(self.user_list, self.pin_edit)
        self.setTabOrder(self.pin_edit, self.sign_in_button)
        self.setTabOrder(self.sign_in_button, quit_button)

        self.user_list.installEventFilter(self)
        self.pin_edit.installEventFilter(self)
        self.pin_edit.textEdited.connect(self._clear_error)
        self.user_list.itemActivated.connect(lambda *_: self.pin_edit.setFocus())
        self.user_list.currentItemChanged.connect(self._user_changed)

        self._load_users()
        self.resize(500, 400)

    # -- users ---------------------------------------------------------------------------

    def _load_users(self) -> None:
        users = auth.list_users(self._db)
        last = str(self._settings.value(LAST_USER_KEY, "") or "")
        chosen: QTreeWidgetItem | None = None
        self._items = []
        for summary in users:
            item = QTreeWidgetItem([summary.full_name, summary.role.label])
            item.setData(0, _USERNAME_ROLE, summary.username)
            item.setForeground(1, self.palette().placeholderText())
            item.setToolTip(0, f"{summary.full_name} ({summary.username})")
            self.user_list.addTopLevelItem(item)
            self._items.append(item)
            if summary.username == last:
                chosen = item
        if not users:
            self.user_list.setEnabled(False)
            self.pin_edit.setEnabled(False)
            self.sign_in_button.setEnabled(False)
            self._show_error("No one can sign in: this database has no active staff.")
            return
        if chosen is not None:
            self.user_list.setCurrentItem(chosen)
            self.pin_edit.setFocus()
        else:
            self.user_list.setCurrentItem(self._items[0])
            self.user_list.setFocus()

    def usernames(self) -> list[str]:
        """The usernames listed, top to bottom."""
        return [str(item.data(0, _USERNAME_ROLE)) for item in self._items]

    def selected_username(self) -> str | None:
        item = self.user_list.currentItem()
        return None if item is None else str(item.data(0, _USERNAME_ROLE))

    def select_user(self, username: str) -> None:
        """Choose `username` in the list (as a click on that name would)."""
        for item in self._items:
            if item.data(0, _USERNAME_ROLE) == username:
                self.user_list.setCurrentItem(item)
                return
        raise KeyError(username)

    def _user_changed(self, *_: object) -> None:
        self.pin_edit.clear()
        self._clear_error()

    # -- signing in ----------------------------------------------------------------------

    def _quit(self) -> None:
        self.quit_chosen = True
        self.reject()

    def try_sign_in(self) -> None:
        """Check the PIN of the chosen user; on success emit signed_in and accept."""
        username = self.selected_username()
        if username is None:
            self._show_error("Choose your name in the list first.")
            self.user_list.setFocus()
            return
        pin = self.pin_edit.text()
        if not pin:
            self._show_error("Type your PIN, then press Enter.")
            self.pin_edit.setFocus()
            return
        try:
            # One argon2 check (a few tens of milliseconds): quick enough for the UI thread.
            user = auth.sign_in(self._db, username, pin)
        except SignInError as exc:
            log.auth.info("sign-in refused for %s", username)
            self._show_error(str(exc))
            self.pin_edit.clear()
            self.pin_edit.setFocus()
            return
        log.auth.info("%s signed in", user.username)
        self._settings.setValue(LAST_USER_KEY, user.username)
        self.user = user
        self.signed_in.emit(user)
        self.accept()

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)

    def _clear_error(self, *_: object) -> None:
        self.error_label.clear()

    # -- keyboard ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.pin_edit and key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._move_selection(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if watched is self.user_list:
                if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                    self.pin_edit.setFocus()
                    return True
                text = event.text()
                if text.isdigit():
                    # Typing a PIN straight after choosing a name needs no Tab; letters
                    # still jump to a name.
                    self.pin_edit.setFocus()
                    self.pin_edit.insert(text)
                    return True
        return super().eventFilter(watched, event)

    def _move_selection(self, step: int) -> None:
        if not self._items:
            return
        current = self.user_list.currentItem()
        row = self._items.index(current) if current in self._items else 0
        self.user_list.setCurrentItem(self._items[min(max(row + step, 0), len(self._items) - 1)])
