"""The main window: the rail shows what the role may open, shortcuts and clicks switch panels."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db.models import AppSetting
from desktop.help_dialog import ShortcutsDialog
from desktop.main_window import SYNC_NOT_CONFIGURED, MainWindow
from desktop.panels.campaigns import CampaignsPanel
from desktop.panels.placeholder import PlaceholderPanel
from desktop.panels.settings import SettingsPanel
from services import backup
from tests.desktop.helpers import fixed_clock, save_screenshot

ALL_PANELS = [
    "invoice",
    "invoices",
    "callbacks",
    "promotions",
    "catalog",
    "campaigns",
    "sponsors",
    "dashboard",
    "settings",
]
DIGIT_KEYS = [
    Qt.Key.Key_1,
    Qt.Key.Key_8,
    Qt.Key.Key_2,
    Qt.Key.Key_3,
    Qt.Key.Key_7,
    Qt.Key.Key_4,
    Qt.Key.Key_9,
    Qt.Key.Key_5,
    Qt.Key.Key_6,
]


def open_window(qtbot, db, user, branch_info, settings) -> MainWindow:
    window = MainWindow(db, user, branch_info, settings=settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.ControlModifier):
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_a_manager_reaches_every_panel_by_shortcut_and_by_click(
    qtbot, db, manager, branch_info, fresh_settings
):
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)
    assert window.panel_keys() == ALL_PANELS
    assert window.current_panel_key() == "invoice"

    for key, digit in zip(ALL_PANELS, DIGIT_KEYS, strict=True):
        with qtbot.waitSignal(window.panel_changed, timeout=2000) as changed:
            press(qtbot, window, digit)
        assert changed.args == [key]
        assert window.current_panel_key() == key
        assert window.rail.button(key).isChecked()
        assert window.title_label.text() == window.rail.button(key).text()
        save_screenshot(window, key)

    for key in reversed(ALL_PANELS):
        qtbot.mouseClick(window.rail.button(key), Qt.MouseButton.LeftButton)
        assert window.current_panel_key() == key
        assert window.stack.currentWidget() is window.panel(key)
    dashboard = window.panel("dashboard")
    qtbot.waitUntil(dashboard.is_idle)
    qtbot.waitUntil(window.panel("campaigns").is_idle)  # its lists and results are read


def test_the_front_desk_sees_only_invoice_and_callbacks(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)

    assert window.panel_keys() == ["invoice", "invoices", "callbacks"]
    assert window.rail.keys() == ["invoice", "invoices", "callbacks"]
    with pytest.raises(KeyError):
        window.panel("settings")
    window.show_panel("settings")
    assert window.current_panel_key() == "invoice"
    assert not window.findChildren(SettingsPanel)

    press(qtbot, window, Qt.Key.Key_2)
    assert window.current_panel_key() == "callbacks"
    press(qtbot, window, Qt.Key.Key_6)  # Settings' shortcut does nothing for the front desk
    assert window.current_panel_key() == "callbacks"
    save_screenshot(window, "front_desk_callbacks")


def test_the_header_says_which_panel_branch_and_person(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)

    assert window.title_label.text() == "Invoice"
    assert window.branch_label.text() == "Branch: Indiranagar"
    assert window.user_label.text() == "Priya Sharma (Front desk)"


def test_the_status_bar_says_sync_is_not_configured(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)

    assert window.sync_label.text() == SYNC_NOT_CONFIGURED
    assert window.sync_label.text().startswith("Sync: not configured")
    assert "Settings > Sync" in window.sync_label.toolTip()  # where an admin sets it up
    assert not window.sync_label.is_elided()

    # At the smallest window the line ends in "..." instead of a letter cut in half, and
    # the rest of the status bar is whole beside it.
    window.resize(1024, 640)
    window._sync_failed(RuntimeError("the centre at 10.0.0.5 refused the connection " * 3))
    qtbot.waitUntil(window.sync_label.is_elided)
    assert window.width() == 1024  # a long line does not push the window wider
    backup_label = window.backup_label
    assert backup_label.fontMetrics().horizontalAdvance(backup_label.text()) <= (
        backup_label.contentsRect().width()
    )
    save_screenshot(window, "status_bar_1024x640")


def test_the_days_backup_is_taken_when_the_window_opens_and_the_status_bar_says_so(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)
    qtbot.waitUntil(window.is_idle, timeout=10_000)

    [copy] = backup.list_backups(db.path.parent / "backups")
    assert copy.reason == "daily" and backup.integrity_problems(copy.path) == []
    assert window.backup_label.text() == "Last good backup: 24 Nov 2026, 11:00"
    assert window.backup_label.property("stale") is False
    save_screenshot(window, "main_window_backup_state")
    window.close()

    again = open_window(qtbot, db, front_desk, branch_info, fresh_settings)
    qtbot.waitUntil(again.is_idle, timeout=10_000)
    assert len(backup.list_backups(db.path.parent / "backups")) == 1  # once a day


def test_a_backup_that_fails_is_shown_in_red(qtbot, db, front_desk, branch_info, fresh_settings):
    blocked = db.path.parent / "a-file"
    blocked.write_text("not a folder")
    with db.session(write=True) as session, session.begin():
        session.add(AppSetting(key="backup", value={"folder": str(blocked / "backups")}))
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)
    qtbot.waitUntil(window.is_idle, timeout=10_000)

    assert window.backup_label.text() == "Backup failed - No backup yet"
    assert (
        "backup" in window.backup_label.toolTip() and str(blocked) in window.backup_label.toolTip()
    )
    assert window.backup_label.property("stale") is True


def test_the_campaigns_panel_is_the_real_one_for_a_manager(
    qtbot, db, manager, branch_info, fresh_settings
):
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)

    panel = window.panel("campaigns")

    assert isinstance(panel, CampaignsPanel)
    assert not window.findChildren(PlaceholderPanel)
    qtbot.waitUntil(panel.is_idle, timeout=10_000)


def test_f1_lists_the_shortcuts_this_person_can_use(
    qtbot, db, front_desk, branch_info, fresh_settings
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings)

    press(qtbot, window, Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier)

    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    rows = dict(dialog.shortcuts())
    assert rows["Ctrl+1"] == "Open Invoice"
    assert rows["Ctrl+2"] == "Open Callbacks"
    assert "Ctrl+6" not in rows
    assert rows["Ctrl+Shift+L"] == "Sign out"
    assert rows["F1"] == "Show this list"
    save_screenshot(dialog, "help")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_ctrl_shift_l_asks_to_sign_out(qtbot, db, manager, branch_info, fresh_settings):
    window = open_window(qtbot, db, manager, branch_info, fresh_settings)

    with qtbot.waitSignal(window.sign_out_requested, timeout=2000):
        press(
            qtbot,
            window,
            Qt.Key.Key_L,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )


def test_the_window_remembers_where_it_was(qtbot, db, manager, branch_info, fresh_settings):
    first = MainWindow(db, manager, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(first)
    assert not first.restore_geometry()  # nothing saved yet: the app picks a default size

    window = open_window(qtbot, db, manager, branch_info, fresh_settings)
    window.close()

    again = MainWindow(db, manager, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(again)
    assert again.restore_geometry()
