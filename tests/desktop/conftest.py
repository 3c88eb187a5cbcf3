"""Fixtures for the desktop tests: the demo clinic on disk, clean settings, no dangling work.

Every test gets its own copy of the demo database (built once per run), its own settings
folder (a developer's own Frontdesk settings never leak in), and fails if it leaves work
running in the thread pool, a background op undelivered, or a QTimer ticking.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from weakref import WeakSet

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication

from db.engine import Database
from desktop import printing, theme
from desktop.workers import BackgroundOp
from services.auth import CurrentUser, sign_in
from services.branch import BranchInfo, get_branch
from services.counter_sessions import open_session
from services.setup import initialise, open_branch_database
from tests.desktop.helpers import FRONT_DESK, MANAGER, NOW, TODAY, NoPrinters, fixed_clock

# A task that has just delivered its result still counts as active until it returns.
GRACE_MS = 1000

# The offscreen platform (headless runs) says these when a dialog is shown or raised; they
# are about the platform plugin, not our code.
OFFSCREEN_NOISE = (
    r"^This plugin does not support "
    r"((propagateSizeHints|raise|grabKeyboard|grabMouse)\(\)|grabbing the (keyboard|mouse))$"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


# -- the database ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic, built once per run; each test works on its own copy."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    db = open_branch_database(path, now=NOW)
    try:
        initialise(db, demo=True, now=NOW, today=TODAY)
        # The desk's counter session is open, as it is on a working day: cash can be taken.
        open_session(db, sign_in(db, *FRONT_DESK), opening_float=200_000, now=NOW)
    finally:
        db.close()
    return path


@pytest.fixture
def db(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "frontdesk.db"
    shutil.copyfile(demo_template, path)
    database = open_branch_database(path, now=NOW)
    yield database
    database.close()


@pytest.fixture
def branch_info(db: Database) -> BranchInfo:
    return get_branch(db)


@pytest.fixture
def manager(db: Database) -> CurrentUser:
    return sign_in(db, *MANAGER)


@pytest.fixture
def front_desk(db: Database) -> CurrentUser:
    return sign_in(db, *FRONT_DESK)


# -- the main window ---------------------------------------------------------------------


@pytest.fixture
def open_main_window(
    qtbot: Any, db: Database, branch_info: BranchInfo, fresh_settings: QSettings, tmp_path: Path
) -> Callable[..., Any]:
    """Opens the main window for a user at 1366x768, invoice PDFs in this test's folder
    (`open_file` is handed what the counter would open; None opens nothing), and returns
    it once it is the active window. Before the test closes it, an unsaved cart at the
    counter is dropped: it would make closing ask what to do with it."""
    from desktop.main_window import MainWindow

    def forget_the_cart(window: MainWindow) -> None:
        counter = window.counter()
        if counter is not None:
            qtbot.waitUntil(counter.is_idle, timeout=10_000)
            counter.discard()

    def open_window(
        user: CurrentUser,
        *,
        open_file: Callable[[Path], object] | None = None,
        clock: Callable[[], datetime] = fixed_clock,
    ) -> MainWindow:
        window = MainWindow(
            db,
            user,
            branch_info,
            settings=fresh_settings,
            clock=clock,
            invoice_folder=tmp_path / "invoices",
            open_file=open_file,
        )
        qtbot.addWidget(window, before_close_func=forget_the_cart)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        return window

    return open_window


# -- Qt ----------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _themed_application(qapp: QApplication) -> QApplication:
    """The test QApplication looks like the real one, so screenshots show the real thing."""
    theme.apply_theme(qapp)
    return qapp


@pytest.fixture(autouse=True)
def fresh_settings(tmp_path: Path) -> Iterator[QSettings]:
    """Settings in this test's own folder: QSettings() and the fixture both point there."""
    folder = tmp_path / "settings"
    folder.mkdir()
    QCoreApplication.setOrganizationName("FrontdeskTests")
    QCoreApplication.setApplicationName("FrontdeskTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    settings = QSettings(str(folder / "frontdesk.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()


@pytest.fixture(autouse=True)
def _no_printers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sends a job to a real printer of the machine it runs on."""
    monkeypatch.setattr(printing, "QPrinterInfo", NoPrinters)


@pytest.fixture(autouse=True)
def _no_dangling_work(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves thread-pool work, an undelivered op or a QTimer running."""
    started: WeakSet[QTimer] = WeakSet()
    pending_single_shots: set[int] = set()
    original_start = QTimer.start
    original_single_shot = QTimer.singleShot

    def tracking_start(self: QTimer, *args: Any) -> None:
        started.add(self)
        original_start(self, *args)

    tokens = itertools.count()

    def tracking_single_shot(*args: Any) -> None:
        *head, callback = args
        if not callable(callback):  # the (msec, receiver, "member") form is not tracked
            original_single_shot(*args)
            return
        token = next(tokens)
        pending_single_shots.add(token)

        def run() -> None:
            pending_single_shots.discard(token)
            callback()

        original_single_shot(*head, run)

    monkeypatch.setattr(QTimer, "start", tracking_start)
    monkeypatch.setattr(QTimer, "singleShot", staticmethod(tracking_single_shot))
    yield

    problems = []
    pool = QThreadPool.globalInstance()
    if not pool.waitForDone(GRACE_MS):
        problems.append(f"{pool.activeThreadCount()} thread-pool task(s) still running")
        pool.waitForDone(10_000)
    if BackgroundOp._in_flight:
        problems.append(f"{len(BackgroundOp._in_flight)} background op(s) never delivered")
        BackgroundOp._in_flight.clear()
    ticking = [t for t in started if shiboken6.isValid(t) and t.isActive()]
    if ticking:
        problems.append(f"{len(ticking)} QTimer(s) still active")
        for timer in ticking:
            timer.stop()
    if pending_single_shots:
        problems.append(f"{len(pending_single_shots)} QTimer.singleShot call(s) still pending")
    if problems:
        pytest.fail("The test left work behind: " + "; ".join(problems), pytrace=False)
