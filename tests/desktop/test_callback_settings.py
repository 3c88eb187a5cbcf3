"""The Callbacks tab of Settings: SLAs, attempts, retry delay and opening hours."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow
from desktop.panels.callback_settings import CallbackSettingsPanel
from desktop.panels.settings import SettingsPanel
from domain.callbacks import Category
from domain.opening_hours import DEFAULT_OPENING_HOURS, DayHours
from services.callbacks import get_config
from tests.desktop.helpers import fixed_clock, save_screenshot


def open_panel(qtbot, db, user, branch_info) -> CallbackSettingsPanel:
    settings = SettingsPanel(db, user, branch_info, clock=fixed_clock)
    qtbot.addWidget(settings)
    settings.resize(1100, 700)
    settings.show()
    qtbot.waitExposed(settings)
    settings.tabs.setCurrentWidget(settings.callbacks)
    settings.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is settings)
    return settings.callbacks


def in_window(qtbot, db, user, branch_info, fresh_settings) -> CallbackSettingsPanel:
    window = MainWindow(db, user, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.show_panel("settings")
    panel = window.panel("settings")
    assert isinstance(panel, SettingsPanel)
    panel.tabs.setCurrentWidget(panel.callbacks)
    return panel.callbacks


def save_and_wait(qtbot, panel: CallbackSettingsPanel) -> None:
    panel.save()
    qtbot.waitUntil(lambda: not panel.is_saving(), timeout=5000)


def test_the_tab_shows_the_settings_in_force(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)

    assert [panel.sla_boxes[c].value() for c in Category] == [1, 4, 24, 72]
    assert panel.attempts_box.value() == 3
    assert panel.retry_box.value() == 2
    assert panel.opening_hours() == DEFAULT_OPENING_HOURS
    assert not panel.days["sun"].opens.isEnabled()  # closed: the times are greyed out
    assert all(panel.field_error(field) is None for field in panel.messages)


def test_a_manager_shortens_the_high_sla_and_closes_saturday(
    qtbot, db, manager, branch_info, fresh_settings
):
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings)
    save_screenshot(panel.window(), "settings_callbacks")

    panel.sla_boxes[Category.HIGH].setValue(2)
    panel.attempts_box.setValue(4)
    panel.retry_box.setValue(1.5)
    panel.days["sat"].open_check.setChecked(False)
    panel.days["sun"].open_check.setChecked(True)
    panel.days["sun"].opens.setTime(QTime(11, 0))
    panel.days["sun"].closes.setTime(QTime(15, 30))

    with qtbot.waitSignal(panel.config_saved, timeout=5000) as saved:
        panel.sla_boxes[Category.HIGH].setFocus()
        qtbot.keyClick(
            panel.sla_boxes[Category.HIGH], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )

    config = get_config(db)
    assert config.settings.sla_minutes[Category.HIGH] == 120
    assert config.settings.sla_minutes[Category.URGENT] == 60
    assert config.settings.max_attempts == 4
    assert config.settings.retry_minutes == 90
    assert config.hours.days[5] is None
    assert config.hours.days[6] == DayHours(time(11), time(15, 30))
    assert saved.args[0] == config
    assert panel.status_label.text() == "Saved at 11:00."  # 05:30 UTC in Bengaluru
    save_screenshot(panel.window(), "settings_callbacks_saved")


def test_closing_before_opening_is_explained_beside_the_day_and_nothing_is_saved(
    qtbot, db, manager, branch_info, fresh_settings
):
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings)
    before = get_config(db)
    panel.sla_boxes[Category.HIGH].setValue(2)
    panel.days["wed"].opens.setTime(QTime(18, 0))
    panel.days["wed"].closes.setTime(QTime(9, 0))

    save_and_wait(qtbot, panel)

    assert panel.field_error("hours_wed") == (
        "Wednesday: the branch must close after it opens (18:00-09:00)."
    )
    assert panel.days["wed"].closes.property("invalid") is True
    assert panel.days["wed"].closes.hasFocus()
    assert panel.messages["hours_wed"].isVisible()  # under the day, shown while it says this
    assert panel.status_label.text().startswith("Not saved")
    assert get_config(db) == before
    save_screenshot(panel.window(), "settings_callbacks_bad_hours")

    panel.days["wed"].closes.setTime(QTime(20, 0))  # editing clears the message
    assert panel.field_error("hours_wed") is None
    assert not panel.messages["hours_wed"].isVisible()


def test_an_sla_shorter_than_a_more_urgent_one_is_marked_on_that_category(
    qtbot, db, manager, branch_info
):
    panel = open_panel(qtbot, db, manager, branch_info)
    panel.sla_boxes[Category.MEDIUM].setValue(3)  # high is 4 h

    save_and_wait(qtbot, panel)

    assert panel.field_error("sla_medium") == (
        "The medium SLA cannot be shorter than a more urgent category's."
    )
    assert panel.field_error("sla_high") is None
    assert get_config(db).settings.sla_minutes[Category.MEDIUM] == 24 * 60


def test_undo_changes_shows_the_saved_settings_again(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    panel.sla_boxes[Category.LOW].setValue(100)
    panel.days["mon"].open_check.setChecked(False)

    qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)

    assert panel.settings() == get_config(db).settings
    assert panel.opening_hours() == DEFAULT_OPENING_HOURS


def test_a_front_desk_user_sees_the_settings_read_only(qtbot, db, front_desk, branch_info):
    panel = open_panel(qtbot, db, front_desk, branch_info)

    assert not panel.can_edit
    assert panel.read_only_note.isVisible()
    assert all(box.isReadOnly() for box in panel.sla_boxes.values())
    assert panel.attempts_box.isReadOnly() and panel.retry_box.isReadOnly()
    assert panel.days["mon"].opens.isReadOnly()
    assert not panel.days["sun"].open_check.isEnabled()
    assert not panel.save_button.isVisible()
    panel.save()  # ignored
    assert not panel.is_saving()
    save_screenshot(panel.window(), "settings_callbacks_read_only")
