"""The counter session at the desk, by keyboard: open with a float (Ctrl+Shift+O), cash in
or out (Ctrl+Shift+M), the day close (Ctrl+Shift+Z) with the count typed and the difference
worked out as it is typed, and the manager's takings (Ctrl+Shift+T)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from desktop.dialogs.day_close import CashMoveDialog, DayCloseDialog, OpenSessionDialog
from desktop.dialogs.takings import TakingsDialog
from services import backup, counter_sessions
from tests.desktop.helpers import NOW, fixed_clock, save_screenshot
from tests.services.test_counter_sessions import a_payment


@pytest.fixture(autouse=True)
def closed_desk(db, front_desk):
    """The desktop tests' clinic opens the desk's session (for cash at the counter); these
    tests start with it closed."""
    current = counter_sessions.current_session(db)
    if current is not None:
        counter_sessions.close_session(
            db, front_desk, current.id, denominations={}, reason="tests start here", now=NOW
        )


def press(qtbot, window, key):
    """Ctrl+Shift+`key` in the main window, once it is active again after a dialog."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, key, ctrl_shift)


def active_dialog(qtbot, kind):
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), kind), timeout=5_000)
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(dialog.is_idle, timeout=10_000)
    return dialog


class Dialogs(QObject):
    """The dialogs as the main window opens them, without the rest of the window (the
    shortcuts themselves are tested through the main window below).

    Signals:
        counter_session_changed(): a dialog opened or closed the session, or moved cash.
    """

    counter_session_changed = Signal()

    def __init__(self, qtbot, db, user, folder, open_file):
        super().__init__()
        self.qtbot, self.db, self.user = qtbot, db, user
        self.folder, self.open_file = folder, open_file

    def _shown(self, dialog, signal):
        signal.connect(lambda _value: self.counter_session_changed.emit())
        self.qtbot.addWidget(dialog)
        dialog.show()
        self.qtbot.waitExposed(dialog)
        dialog.activateWindow()
        self.qtbot.waitUntil(dialog.is_idle, timeout=10_000)
        return dialog

    def open_session(self):
        dialog = OpenSessionDialog(self.db, self.user, clock=fixed_clock)
        return self._shown(dialog, dialog.opened)

    def cash_in_out(self):
        dialog = CashMoveDialog(self.db, self.user, clock=fixed_clock)
        return self._shown(dialog, dialog.moved)

    def day_close(self):
        dialog = DayCloseDialog(
            self.db,
            self.user,
            clock=fixed_clock,
            pdf_folder=self.folder / "z-reports",
            open_file=self.open_file,
        )
        return self._shown(dialog, dialog.closed)


def test_open_move_cash_and_close_the_day_from_the_keyboard(qtbot, front_desk, db, tmp_path):
    opened_files = []
    window = Dialogs(qtbot, db, front_desk, tmp_path, opened_files.append)

    dialog = window.open_session()
    assert "Front desk" in dialog.desk_label.text()
    assert dialog.float_edit.hasFocus()
    qtbot.keyClicks(dialog.float_edit, "2000")
    save_screenshot(dialog, "session_open")
    with qtbot.waitSignal(window.counter_session_changed, timeout=10_000):
        qtbot.keyClick(dialog.float_edit, Qt.Key.Key_Return)
    current = counter_sessions.current_session(db)
    assert current is not None and current.opening_float == 200_000

    dialog = window.cash_in_out()
    assert "should hold Rs.2,000.00" in dialog.drawer_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert dialog.out_button.isChecked()
    qtbot.keyClicks(dialog.amount_edit, "150.50")
    qtbot.keyClick(dialog.amount_edit, Qt.Key.Key_Return)
    assert dialog.reason_edit.hasFocus()
    qtbot.keyClicks(dialog.reason_edit, "courier")
    save_screenshot(dialog, "session_cash_move")
    with qtbot.waitSignal(window.counter_session_changed, timeout=10_000):
        qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)

    # A cash sale in the session: 1,000 taken. Expected: 2,000 - 150.50 + 1,000 = 2,849.50.
    a_payment(db, front_desk, session_id=current.id, method="cash", amount=100_000, at=NOW)
    a_payment(db, front_desk, session_id=current.id, method="upi", amount=45_000, at=NOW)

    dialog = window.day_close()
    assert dialog.expected_value.text() == "Rs.2,849.50"
    rows = dict((r[0], r[1]) for r in dialog.expected_model.row_texts())
    assert rows["Expected cash"] == "Rs.2,849.50" and rows["UPI expected"] == "Rs.450.00"
    assert dialog.count_edits["2000"].hasFocus()
    # Type the count: Enter moves to the next denomination.
    for label, typed in [("2000", "1"), ("500", "1"), ("200", "1"), ("100", "1")]:
        qtbot.keyClicks(dialog.count_edits[label], typed)
        qtbot.keyClick(dialog.count_edits[label], Qt.Key.Key_Return)
    assert dialog.count_edits["50"].hasFocus()
    assert dialog.counted_value.text() == "Rs.2,800.00"
    assert dialog.difference_value.text().startswith("-Rs.49.50")
    assert dialog.difference_value.property("tone") == "short"
    assert not dialog.close_button.isEnabled()
    assert dialog.reason_edit.property("required") is True
    save_screenshot(dialog, "day_close_short")
    qtbot.keyClick(dialog.count_edits["50"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "give a reason" in dialog.notice.text()
    assert dialog.reason_edit.hasFocus()
    # The coins make up most of it; the rest needs a reason.
    dialog.count_edits["coins"].setFocus()
    qtbot.keyClicks(dialog.count_edits["coins"], "49")
    assert dialog.difference_value.text().startswith("-Rs.0.50")
    dialog.reason_edit.setFocus()
    qtbot.keyClicks(dialog.reason_edit, "fifty paise short")
    assert dialog.close_button.isEnabled()
    with qtbot.waitSignal(dialog.closed, timeout=15_000) as closed:
        qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    report = closed.args[0]
    assert (report.counted_cash, report.difference) == (284_900, -50)
    assert dialog.pdf_path is not None and dialog.pdf_path.parent == tmp_path / "z-reports"
    assert opened_files == [dialog.pdf_path]
    text = PdfReader(dialog.pdf_path).pages[0].extract_text()
    assert "Z report" in text and "fifty paise short" in text
    assert "Session closed by Priya Sharma" in dialog.notice.text()
    # The close ends with a checked copy of the database in the backup folder.
    [copy] = backup.list_backups(db.path.parent / "backups")
    assert copy.reason == "close" and f"Backed up to {copy.path}." in dialog.notice.text()
    save_screenshot(dialog, "day_close_closed")
    assert counter_sessions.current_session(db) is None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_the_day_close_without_an_open_session_says_what_to_do(qtbot, open_main_window, front_desk):
    window = open_main_window(front_desk)
    dialog = window.day_close()
    qtbot.waitUntil(dialog.is_idle, timeout=10_000)
    assert "No counter session is open" in dialog.notice.text()
    assert "Ctrl+Shift+O" in dialog.subtitle.text()
    assert not dialog.close_button.isEnabled()
    dialog.reject()


def test_a_matching_count_closes_without_a_reason(qtbot, open_main_window, front_desk, db):
    counter_sessions.open_session(db, front_desk, opening_float=50_000, now=NOW)
    window = open_main_window(front_desk)
    dialog = window.day_close()
    qtbot.waitUntil(dialog.is_idle, timeout=10_000)
    qtbot.keyClicks(dialog.count_edits["500"], "1")
    assert dialog.difference_value.property("tone") == "even"
    assert dialog.close_button.isEnabled()
    with qtbot.waitSignal(dialog.closed, timeout=15_000):
        qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    dialog.reject()


def test_a_second_open_is_refused_in_the_dialog(qtbot, open_main_window, front_desk, db):
    counter_sessions.open_session(db, front_desk, opening_float=0, now=NOW)
    window = open_main_window(front_desk)
    dialog = window.open_session()
    qtbot.waitUntil(dialog.is_idle, timeout=10_000)
    assert "already has a session open" in dialog.notice.text()
    assert not dialog.open_button.isEnabled()
    dialog.reject()


def test_takings_are_the_managers(qtbot, open_main_window, front_desk):
    window = open_main_window(front_desk)
    assert window.show_takings() is None
    assert "Ctrl+Shift+T" not in [keys for keys, _ in window.shortcut_rows()]
    assert "Ctrl+Shift+Z" in [keys for keys, _ in window.shortcut_rows()]


@pytest.mark.parametrize("days", [0, 6])
def test_the_manager_reads_the_takings_for_a_day_or_a_range(
    qtbot, qtmodeltester, open_main_window, manager, front_desk, db, days
):
    a_payment(db, front_desk, method="upi", amount=120_000, at=NOW)
    a_payment(db, front_desk, method="cash", amount=-5_000, at=NOW, kind="refund")
    window = open_main_window(manager)
    press(qtbot, window, Qt.Key.Key_T)
    dialog = active_dialog(qtbot, TakingsDialog)
    if days:
        dialog.from_edit.setFocus()
        dialog.from_edit.setDate(dialog.from_edit.date().addDays(-days))
        qtbot.keyClick(dialog.from_edit, Qt.Key.Key_F5)
        qtbot.waitUntil(dialog.is_idle, timeout=10_000)
        assert dialog.figures.start == (NOW - timedelta(days=days)).date()
        assert " to " in dialog.heading.text()
    else:
        assert dialog.heading.text().startswith("Takings - today")
    methods = {row[0]: row[1:] for row in dialog.methods_model.row_texts()}
    assert methods["UPI"][0] == "Rs.1,200.00"
    assert methods["Cash"][1] == "Rs.50.00"
    assert methods["All methods"][2] == "Rs.1,150.00"
    figures = [row[0] for row in dialog.figures_model.row_texts()]
    assert figures[:3] == ["Sales (invoices)", "Refunds (credit notes)", "Net sales"]
    qtmodeltester.check(dialog.methods_model)
    qtmodeltester.check(dialog.figures_model)
    save_screenshot(dialog, f"takings_{'range' if days else 'day'}")
    assert "Ctrl+Shift+T" in [keys for keys, _ in window.shortcut_rows()]
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        (Qt.Key.Key_O, OpenSessionDialog),
        (Qt.Key.Key_M, CashMoveDialog),
        (Qt.Key.Key_Z, DayCloseDialog),
        (Qt.Key.Key_T, TakingsDialog),
    ],
)
def test_the_main_window_opens_each_dialog_from_its_shortcut(
    qtbot, open_main_window, manager, key, kind
):
    window = open_main_window(manager)
    press(qtbot, window, key)
    dialog = active_dialog(qtbot, kind)
    save_screenshot(window, f"main_window_{kind.__name__}")
    dialog.reject()


def test_settings_lists_the_sessions_and_prints_a_z_report_again(
    qtbot, open_main_window, manager, front_desk, db, tmp_path
):
    later = NOW + timedelta(hours=1)
    opened = counter_sessions.open_session(db, front_desk, opening_float=100_000, now=later)
    counter_sessions.close_session(
        db, front_desk, opened.id, denominations={"500": 2}, reason="", now=later
    )
    window = open_main_window(manager)
    window.show_panel("settings")
    settings = window.panel("settings")
    tab = settings._tab("Counter session")
    settings.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.is_idle() and len(tab.sessions) == 2, timeout=10_000)
    rows = tab.model.row_texts()
    assert rows[0][2:5] == ("Closed", "Priya Sharma", "Rs.1,000.00")
    assert rows[0][5:] == ("Rs.1,000.00", "Rs.0.00", "Priya Sharma")
    save_screenshot(window, "settings_counter_session")

    written = []
    tab._open_file = written.append
    tab._pdf_folder = tmp_path / "z"
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.is_idle() and bool(written), timeout=10_000)
    assert written == [tab.last_pdf] and tab.last_pdf.name.startswith("Z-2026-11-24")
    assert "Rs.1,000.00".replace("Rs.", "₹") in PdfReader(tab.last_pdf).pages[0].extract_text()
