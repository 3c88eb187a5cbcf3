"""Starting the desktop app: open the database, set up the demo if it is empty, sign in, show.

Environment:
    FRONTDESK_AUTOLOGIN=username:PIN   sign in without the dialog (benchmarks, smoke runs).
    FRONTDESK_EXIT_WHEN_READY=1        print "Frontdesk is ready" once the main window is
                                       shown and quit (smoke runs, the start-up benchmark).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QProgressDialog, QWidget

from db.engine import Database
from desktop import theme
from desktop.counter.session import ParkedCart
from desktop.crash import CrashHandler
from desktop.dialogs.setup_wizard import CLINIC, SetupWizard
from desktop.errors import error_sentence
from desktop.idle_lock import IdleWatch
from desktop.login import LoginDialog
from desktop.main_window import MainWindow
from desktop.panels import dashboard_preload
from desktop.widgets.questions import whole_buttons
from desktop.workers import BackgroundOp
from domain import log
from domain.branch import timezone_names
from domain.permissions import allowed
from services import auth, screen_lock
from services.branch import BranchInfo, get_branch, is_initialised
from services.errors import SignInError
from services.setup import DatabaseRefused, create_demo_clinic, open_branch_database

APP_NAME = "Frontdesk"
AUTOLOGIN_ENV = "FRONTDESK_AUTOLOGIN"
EXIT_WHEN_READY_ENV = "FRONTDESK_EXIT_WHEN_READY"
READY_LINE = "Frontdesk is ready"

# A 1366x768 laptop leaves about 1366x720 for windows: there the window fills the screen;
# on anything roomier it opens at this size, centred.
DEFAULT_SIZE = (1366, 800)
# How long a thread keeps the GIL when another wants it (Python's default: 5 ms).
GIL_SWITCH_S = 0.001
# A manager's window is up and the start-up is measured by then (bench/startup.py).
PRELOAD_AFTER_MS = 1500


def _utc_now() -> datetime:
    return datetime.now(UTC)


def configure_application(app: QApplication) -> None:
    """Names (for QSettings and the window manager), icon, style and palette."""
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(QIcon(theme.logo_pixmap(256)))
    theme.apply_theme(app)


def autologin_from_env(environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(username, PIN) from FRONTDESK_AUTOLOGIN=username:PIN, or None when unset or malformed."""
    value = (os.environ if environ is None else environ).get(AUTOLOGIN_ENV, "")
    username, sep, pin = value.partition(":")
    if not value:
        return None
    if not sep or not username or not pin:
        log.auth.warning(
            "%s should look like username:PIN; showing the sign-in dialog", AUTOLOGIN_ENV
        )
        return None
    return username, pin


def prepare_demo_clinic(db: Database, *, clock: Callable[[], datetime] = _utc_now) -> bool:
    """Write the demo clinic into an empty database, showing progress; False if it failed."""
    progress = QProgressDialog("Preparing the demo clinic...", "", 0, 0)
    progress.setWindowTitle(APP_NAME)
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    progress.setMinimumDuration(0)
    progress.setMinimumWidth(360)
    progress.show()
    now = clock()
    today = now.astimezone().date()
    failure: list[Exception] = []
    loop = QEventLoop()
    op = BackgroundOp(None, lambda: create_demo_clinic(db, now=now, today=today))
    op.success(lambda result: log.ui.info("%s", result.message))
    op.failure(failure.append)
    op.finished.connect(loop.quit)
    op.run_in_background()
    loop.exec()
    progress.close()
    progress.deleteLater()
    if failure:
        log.ui.error("could not prepare the demo clinic", exc_info=failure[0])
        QMessageBox.critical(
            None, APP_NAME, f"The demo clinic could not be prepared. {error_sentence(failure[0])}"
        )
        return False
    return True


class FrontdeskApp(QObject):
    """Sign-in, then the main window; Sign out goes back to sign-in. After the branch's
    idle minutes without a key press or click the screen locks: the window hides behind
    the sign-in dialog, the same user carries on with their PIN (the window as it was) or
    another user signs in (an unsaved cart is kept for them, as at sign-out).

    Signals:
        main_window_shown(object): the MainWindow just shown for a signed-in user.
        login_shown(object): the LoginDialog just opened.
        screen_locked(object): the LoginDialog the idle lock just opened.
    """

    main_window_shown = Signal(object)
    login_shown = Signal(object)
    screen_locked = Signal(object)

    def __init__(
        self,
        db: Database,
        branch_info: BranchInfo,
        settings: QSettings,
        *,
        clock: Callable[[], datetime] = _utc_now,
        preload_after_ms: int | None = None,
        idle_ms: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`idle_ms` overrides the branch's idle minutes (tests)."""
        super().__init__(parent)
        self._idle_ms = idle_ms
        self.idle = IdleWatch(60_000, self)
        self.idle.idle.connect(self.lock_screen)
        # How long after a manager's window shows the dashboard's libraries start loading in
        # the background (None: only when the Dashboard opens, as in tests).
        self._preload_after_ms = preload_after_ms
        self._db = db
        self._branch = branch_info
        self._settings = settings
        self._clock = clock
        self.main_window: MainWindow | None = None
        self.login_dialog: LoginDialog | None = None
        # The unsaved cart kept at the last sign-out, back on the counter at the next
        # sign-in at this desk (whoever signs in: a manager fetched for a discount).
        self.parked: ParkedCart | None = None
        # The question about a parked cart when sign-in is closed, while it is open.
        self.question: QMessageBox | None = None

    def start(self, autologin: tuple[str, str] | None = None) -> None:
        """Sign `autologin` in if given and right, else open the sign-in dialog."""
        if autologin is not None:
            username, pin = autologin
            try:
                user = auth.sign_in(self._db, username, pin)
            except SignInError as exc:
                log.auth.warning("automatic sign-in as %s refused: %s", username, exc)
            else:
                self.show_main(user)
                return
        self.show_login()

    def show_login(self) -> LoginDialog:
        """Open the sign-in dialog (window-modal to nothing: it is the only window)."""
        note = ""
        if self.parked is not None:
            note = (
                f"The invoice {self.parked.parked_by} was writing is kept: "
                "it is back on the counter after sign-in."
            )
        dialog = self._open_login(note, self.show_main, self._login_abandoned)
        self.login_shown.emit(dialog)
        return dialog

    def _open_login(
        self,
        note: str,
        signed_in: Callable[[auth.CurrentUser], object],
        rejected: Callable[[], object],
    ) -> LoginDialog:
        dialog = LoginDialog(
            self._db, self._settings, branch_name=self._branch.details.name, note=note
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.signed_in.connect(signed_in)
        dialog.rejected.connect(rejected)
        self.login_dialog = dialog
        dialog.open()
        return dialog

    def show_main(self, user: auth.CurrentUser) -> MainWindow:
        """Build and show the main window for `user`."""
        self.login_dialog = None
        window = MainWindow(
            self._db, user, self._branch, settings=self._settings, clock=self._clock
        )
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        window.sign_out_requested.connect(self._signed_out)
        window.branch_changed.connect(self._branch_changed)
        self.main_window = window
        show_sized(window)
        if self._preload_after_ms is not None and allowed(user.role, "dashboard.read"):
            # Off the UI thread and after the window is up: the first Dashboard then opens
            # without importing numpy and pyqtgraph (about a second) on the UI thread.
            QTimer.singleShot(self._preload_after_ms, window, self._preload_dashboard)
        parked, self.parked = self.parked, None
        if parked is not None:
            window.restore_cart(parked)
        self._watch_idle()
        self.main_window_shown.emit(window)
        return window

    def _preload_dashboard(self) -> None:
        # Each module only while the UI thread is free: an import running beside a panel
        # being built took half of its time (dashboard_preload.preload_politely).
        beat = dashboard_preload.UiBeat(self)
        beat.timer.start()

        def done() -> None:
            beat.timer.stop()
            beat.deleteLater()

        def failed(error: Exception) -> None:
            # The Dashboard imports them itself when it opens, and says so if it cannot.
            log.ui.warning("preloading the dashboard failed: %s", error)
            done()

        def load() -> None:
            dashboard_preload.preload_politely(beat)
            # Settings' time zone list reads every zone file (~25 ms) when it first opens.
            timezone_names()

        BackgroundOp(None, load).success(lambda _none: done()).failure(failed).run_in_background()

    # -- the idle screen lock ------------------------------------------------------------

    def _watch_idle(self) -> None:
        minutes = None if self._idle_ms is not None else screen_lock.idle_lock_minutes(self._db)
        self.idle.timer.setInterval(self._idle_ms or (minutes or 1) * 60_000)
        self.idle.start()

    def lock_screen(self, note: str = "") -> LoginDialog | None:
        """Hide the main window behind the sign-in dialog (the idle lock)."""
        window = self.main_window
        if window is None or self.login_dialog is not None:
            return None
        self.idle.stop()
        note = note or (
            f"The screen locked after a while without use. {window.user.full_name} carries "
            "on with their PIN, or another user signs in."
        )
        # The dialog opens first so the app never has zero windows.
        dialog = self._open_login(note, self._unlocked, self._lock_dismissed)
        with contextlib.suppress(KeyError):  # retired meanwhile: someone else signs in
            dialog.select_user(window.user.username)
        window.hide()
        log.auth.info("screen locked after idle time (%s)", window.user.username)
        self.login_shown.emit(dialog)
        self.screen_locked.emit(dialog)
        return dialog

    def _unlocked(self, user: auth.CurrentUser) -> None:
        self.login_dialog = None
        window = self.main_window
        if window is not None and window.user.id == user.id:
            window.show()
            self._watch_idle()
            return
        if window is not None:
            # Another user: the cart on the counter is kept for them, as at sign-out.
            counter = window.counter()
            self.parked = None
            if counter is not None:
                self.parked = counter.park()
                counter.discard()
            self.main_window = None
            window.close()
        self.show_main(user)

    def _lock_dismissed(self) -> None:
        # A locked screen stays locked: closing the dialog opens it again. Quit quits,
        # unless the counter holds an invoice not yet saved: its user signs in for that.
        dialog, self.login_dialog = self.login_dialog, None
        window = self.main_window
        if window is None or window.isVisible():
            return
        if dialog is not None and dialog.quit_chosen:
            counter = window.counter()
            if counter is None or not counter.has_unsaved_cart():
                log.auth.info("quit from the locked screen (%s)", window.user.username)
                self.main_window = None
                window.close()
                QApplication.quit()
                return
            note = (
                f"{window.user.full_name}'s invoice on the counter is not saved: sign in to "
                "save or discard it, then quit."
            )
            QTimer.singleShot(0, lambda: self.lock_screen(note))
            return
        QTimer.singleShot(0, self.lock_screen)

    def _branch_changed(self, info: BranchInfo) -> None:
        self._branch = info

    def _signed_out(self, parked: ParkedCart | None = None) -> None:
        self.idle.stop()
        window = self.main_window
        self.main_window = None
        self.parked = parked
        # The dialog opens first so the app never has zero windows (which would quit it).
        self.show_login()
        if window is not None:
            window.close()

    def _login_abandoned(self) -> None:
        self.login_dialog = None
        if self.main_window is not None:
            return
        if self.parked is None:
            QApplication.quit()
            return
        # Closing sign-in quits the app: ask before a parked cart is lost with it. The
        # question opens before this returns, so the app is never without a window.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            APP_NAME,
            f"The invoice {self.parked.parked_by} kept at sign-out is not saved. "
            "Quit and discard it?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        box.setObjectName("DiscardParkedQuestion")
        box.button(QMessageBox.StandardButton.Discard).setText("Quit and discard it")
        box.button(QMessageBox.StandardButton.Cancel).setText("Back to sign-in")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        whole_buttons(box)

        def answered(button: int) -> None:
            self.question = None
            if button == QMessageBox.StandardButton.Discard:
                self.parked = None
                QApplication.quit()
            else:
                self.show_login()

        box.finished.connect(answered)
        self.question = box  # a window without a parent lives as long as a reference to it
        box.open()


def show_sized(window: QWidget) -> None:
    """Show at the saved size, else maximised on a small screen, else 1366x800 centred."""
    if isinstance(window, MainWindow) and window.restore_geometry():
        window.show()
        return
    screen = window.screen()
    available = screen.availableGeometry() if screen is not None else None
    width, height = DEFAULT_SIZE
    if available is None or available.width() < width + 80 or available.height() < height + 60:
        window.showMaximized()
        return
    window.resize(width, height)
    frame = window.frameGeometry()
    frame.moveCenter(available.center())
    window.move(frame.topLeft())
    window.show()


def first_run(db: Database, *, demo: bool) -> bool:
    """An empty database: the demo clinic (`demo`, or chosen in the wizard), or the clinic
    the first-run wizard sets up. False when nothing was set up (the wizard was closed)."""
    if demo:
        return prepare_demo_clinic(db)
    wizard = SetupWizard(db, clock=_utc_now)
    if wizard.exec() != QDialog.DialogCode.Accepted:
        return False
    return wizard.choice == CLINIC or prepare_demo_clinic(db)


def run_gui(
    db_path: Path, *, on_ready: Callable[[MainWindow], None] | None = None, demo: bool = False
) -> int:
    """Run the desktop app on the database at `db_path`; returns the process exit code.
    An empty database asks the first-run wizard, or with `demo` becomes the demo clinic.

    `on_ready` is called once, from the event loop, after the first main window is shown.
    """
    app = _application()
    try:
        db = open_branch_database(db_path, now=_utc_now())
    except DatabaseRefused as exc:
        log.db.error("database refused: %s", exc)
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 1
    try:
        if not is_initialised(db) and not first_run(db, demo=demo):
            return 1
        return _run(app, db, on_ready)
    finally:
        db.close()


def run_centre_gui(url: str, *, on_ready: Callable[[MainWindow], None] | None = None) -> int:
    """Run the app on the centre at `url` (the head office, issue #15): the same panels
    over the chain's PostgreSQL, its dashboard across branches. The head office must have
    been set up there (`frontdesk central init --admin NAME`)."""
    from services.head_office import open_centre

    app = _application()
    try:
        db = open_centre(url)
        ready = is_initialised(db)
    except Exception as exc:  # a bad URL or a centre out of reach: said, never a traceback
        log.db.error("centre refused: %s", exc)
        QMessageBox.critical(None, APP_NAME, f"Could not open the centre. {error_sentence(exc)}")
        return 1
    try:
        if not ready:
            QMessageBox.critical(
                None,
                APP_NAME,
                "The head office is not set up on this centre: run 'frontdesk central init "
                "--url URL --admin NAME' first.",
            )
            return 1
        return _run(app, db, on_ready)
    finally:
        db.close()


def _application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    # Every model's data() and every slot needs the GIL: with a worker reading the database,
    # the UI thread waited up to the default 5 ms for it at each call, and a table's first
    # paint beside a read added up to most of a panel's opening.
    sys.setswitchinterval(GIL_SWITCH_S)
    configure_application(app)
    return app


def _run(app: QApplication, db: Database, on_ready: Callable[[MainWindow], None] | None) -> int:
    """Sign-in and the main window on an open, set-up database, until the app quits."""
    settings = QSettings()
    frontdesk = FrontdeskApp(db, get_branch(db), settings, preload_after_ms=PRELOAD_AFTER_MS)
    crashes = CrashHandler(lambda: frontdesk.main_window or frontdesk.login_dialog)
    crashes.install()
    if on_ready is None and os.environ.get(EXIT_WHEN_READY_ENV) == "1":
        on_ready = _report_ready_and_quit
    if on_ready is not None:
        ready = on_ready

        def first_window(window: MainWindow) -> None:
            frontdesk.main_window_shown.disconnect(first_window)
            QTimer.singleShot(0, lambda: ready(window))

        frontdesk.main_window_shown.connect(first_window)
    frontdesk.start(autologin=autologin_from_env())
    code = app.exec()
    settings.sync()
    crashes.uninstall()
    return code


def _report_ready_and_quit(window: MainWindow) -> None:
    QApplication.processEvents()
    print(READY_LINE, flush=True)
    window.close()
    QApplication.quit()
