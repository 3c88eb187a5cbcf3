"""Start-up: sign in, work, sign out and back; automatic sign-in; a real start-up run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from desktop.app import READY_LINE, FrontdeskApp, autologin_from_env
from desktop.login import LoginDialog
from desktop.main_window import MainWindow
from tests.desktop.helpers import fixed_clock

ROOT = Path(__file__).resolve().parents[2]


def make_app(db, branch_info, settings) -> FrontdeskApp:
    return FrontdeskApp(db, branch_info, settings, clock=fixed_clock)


def close_everything(qtbot, frontdesk: FrontdeskApp) -> None:
    for widget in (frontdesk.main_window, frontdesk.login_dialog):
        if widget is not None:
            qtbot.addWidget(widget)


def test_signing_in_opens_the_main_window_and_signing_out_returns_to_sign_in(
    qtbot, db, branch_info, fresh_settings
):
    frontdesk = make_app(db, branch_info, fresh_settings)
    with qtbot.waitSignal(frontdesk.login_shown) as shown:
        frontdesk.start()
    dialog: LoginDialog = shown.args[0]
    qtbot.waitExposed(dialog)

    dialog.select_user("priya")
    qtbot.keyClicks(dialog.pin_edit, "1111")
    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=5000) as opened:
        qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(opened.args[0].is_idle, timeout=5000)  # the day's backup
    window: MainWindow = opened.args[0]
    assert window.user.username == "priya"
    assert window.isVisible()

    with qtbot.waitSignal(frontdesk.login_shown) as shown_again:
        window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())
    again: LoginDialog = shown_again.args[0]
    assert again.isVisible()
    assert again.selected_username() == "priya"  # remembered for next time
    assert frontdesk.main_window is None
    close_everything(qtbot, frontdesk)


def test_automatic_sign_in_skips_the_dialog(qtbot, db, branch_info, fresh_settings):
    frontdesk = make_app(db, branch_info, fresh_settings)

    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=5000) as opened:
        frontdesk.start(autologin=("meera", "2222"))
    qtbot.waitUntil(opened.args[0].is_idle, timeout=5000)  # the day's backup

    assert opened.args[0].user.username == "meera"
    assert frontdesk.login_dialog is None
    close_everything(qtbot, frontdesk)


def test_a_wrong_automatic_sign_in_falls_back_to_the_dialog(qtbot, db, branch_info, fresh_settings):
    frontdesk = make_app(db, branch_info, fresh_settings)

    with qtbot.waitSignal(frontdesk.login_shown, timeout=5000):
        frontdesk.start(autologin=("meera", "0000"))

    assert frontdesk.main_window is None
    close_everything(qtbot, frontdesk)


def test_the_autologin_variable_reads_username_and_pin():
    assert autologin_from_env({"FRONTDESK_AUTOLOGIN": "priya:1111"}) == ("priya", "1111")
    assert autologin_from_env({"FRONTDESK_AUTOLOGIN": "priya:12:34"}) == ("priya", "12:34")
    assert autologin_from_env({}) is None
    assert autologin_from_env({"FRONTDESK_AUTOLOGIN": "priya"}) is None
    assert autologin_from_env({"FRONTDESK_AUTOLOGIN": ":1111"}) is None


def run_app(
    db_path: Path, tmp_path: Path, *, demo: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real start-up in a child process that signs in and quits once ready."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FRONTDESK_AUTOLOGIN": "meera:2222",
        "FRONTDESK_EXIT_WHEN_READY": "1",
        # Keep the real user's settings out of this run too.
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop.app import run_gui\n"
        "sys.exit(run_gui(Path(sys.argv[1]), demo=sys.argv[2] == 'demo'))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(db_path), "demo" if demo else "-"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_app_starts_on_the_demo_database_and_reports_ready(demo_template, tmp_path):
    path = tmp_path / "frontdesk.db"
    path.write_bytes(demo_template.read_bytes())

    done = run_app(path, tmp_path)

    assert done.returncode == 0, done.stderr
    assert READY_LINE in done.stdout.splitlines()


def test_a_new_database_becomes_the_demo_clinic_on_first_start_with_demo(tmp_path):
    path = tmp_path / "new" / "frontdesk.db"

    done = run_app(path, tmp_path, demo=True)

    assert done.returncode == 0, done.stderr
    assert READY_LINE in done.stdout.splitlines()
    assert path.exists()
    # ...with the callback queue as a morning finds it (services.demo_queue), as make run opens.
    con = sqlite3.connect(path)
    try:
        waiting = con.execute(
            "SELECT count(*) FROM callback_requests WHERE status != 'completed'"
        ).fetchone()[0]
    finally:
        con.close()
    assert waiting == 6
