"""The crash handler: an exception raised inside a slot or a thread shows the dialog, and
its report is saved with no patient name or mobile in it. F1's Copy diagnostics."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from desktop.crash import CrashDialog, CrashHandler
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_settings_panel import clipped_texts

PATIENT = "Lakshmi Shetty"
MOBILE = "7992905876"


def book_the_patient() -> None:
    raise ValueError(f"could not book {PATIENT} ({MOBILE})")


@pytest.fixture
def handler(tmp_path):
    crashes = CrashHandler(lambda: None, clock=lambda: NOW, folder=tmp_path / "crashes")
    crashes.install()
    yield crashes
    crashes.uninstall()
    if crashes.dialog is not None:
        crashes.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_shows_the_dialog_and_saves_a_report_without_patient_data(
    qtbot, handler, tmp_path
):
    button = QPushButton("Book")
    qtbot.addWidget(button)
    button.clicked.connect(book_the_patient)
    button.show()

    with qtbot.waitSignal(handler.crashed, timeout=5_000) as crashed:
        button.click()
    report = crashed.args[0]
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible())
    dialog = handler.dialog
    assert isinstance(dialog, CrashDialog) and dialog.report == report
    text = report.read_text(encoding="utf-8")
    assert "builtins.ValueError" in text and "in book_the_patient" in text
    assert PATIENT not in text and MOBILE not in text and "Lakshmi" not in text
    assert f"Frontdesk crash report, {NOW:%Y-%m-%d %H:%M:%S} UTC" in text
    dialog.copy_report()
    assert QApplication.clipboard().text() == text
    qtbot.waitExposed(dialog)
    assert clipped_texts(dialog) == []
    save_screenshot(dialog, "crash_dialog")


def test_an_exception_in_a_thread_is_reported_too(qtbot, handler):
    with qtbot.waitSignal(handler.crashed, timeout=5_000) as crashed:
        worker = threading.Thread(target=book_the_patient)
        worker.start()
        worker.join()
    assert "a worker thread" in crashed.args[0].read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible())


def test_the_handler_is_put_back_when_uninstalled(tmp_path):
    before = sys.excepthook
    crashes = CrashHandler(lambda: None, folder=tmp_path)
    crashes.install()
    assert sys.excepthook == crashes.excepthook
    crashes.uninstall()
    assert sys.excepthook is before


def test_f1_copies_the_diagnostics_for_support(qtbot, open_main_window, manager):
    window = open_main_window(manager)
    dialog = window.show_help()
    dialog.diagnostics_button.click()
    qtbot.waitUntil(dialog.is_idle, timeout=5_000)
    copied = QApplication.clipboard().text()
    assert copied.startswith("Frontdesk ") and f"Database: {window._db.path}" in copied
    assert "Last backup: 2026-11-24T05:30:00+00:00" in copied and "Sync: Sync: not" not in copied
    assert dialog.diagnostics_button.text() == "Diagnostics copied"
    dialog.close()
