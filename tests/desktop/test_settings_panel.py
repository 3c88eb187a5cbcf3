"""The Settings panel edits the branch's details; refusals show beside the offending field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QTime
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget

from desktop.main_window import MainWindow
from desktop.panels.printer_settings import PrinterSettingsPanel
from desktop.panels.settings import SettingsPanel
from domain.roles import Role
from services.branch import get_branch
from tests.desktop.helpers import fixed_clock, save_screenshot, user_like


def open_panel(qtbot, db, user, branch_info) -> SettingsPanel:
    panel = SettingsPanel(db, user, branch_info, clock=fixed_clock)
    qtbot.addWidget(panel)
    panel.resize(1100, 640)
    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)
    return panel


def open_in_window(qtbot, db, user, branch_info, settings) -> tuple[MainWindow, SettingsPanel]:
    """The main window at 1366x768 with Settings open."""
    window = MainWindow(db, user, branch_info, settings=settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.show_panel("settings")
    panel = window.panel("settings")
    assert isinstance(panel, SettingsPanel)
    return window, panel


def replace_text(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def save_and_wait(qtbot, panel: SettingsPanel) -> None:
    panel.save()
    qtbot.waitUntil(lambda: not panel.is_saving(), timeout=5000)


def test_the_form_shows_the_branch_as_saved(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)

    assert panel.details() == branch_info.details
    assert panel.month_combo.currentText() == "April"
    assert panel.timezone_combo.currentText() == "Asia/Kolkata"
    assert panel.field_error("gstin") is None
    assert "IND/26-27/00001" in panel.messages["number_format"].text()


def test_a_bad_gstin_is_explained_beside_the_field_and_nothing_is_saved(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, panel = open_in_window(qtbot, db, manager, branch_info, fresh_settings)

    replace_text(qtbot, panel.gstin_edit, "29ABCDE1234F1Z5")
    save_and_wait(qtbot, panel)

    assert panel.field_error("gstin") == "This GSTIN's last character does not match; check it"
    assert panel.gstin_edit.property("invalid") is True
    assert panel.gstin_edit.hasFocus()
    assert panel.status_label.text().startswith("Not saved")
    assert get_branch(db).details.gstin == branch_info.details.gstin
    save_screenshot(window, "settings_bad_gstin")

    qtbot.keyClick(panel.gstin_edit, Qt.Key.Key_Backspace)  # editing clears the message
    assert panel.field_error("gstin") is None


def test_a_gstin_of_the_wrong_shape_gets_its_own_message(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)

    replace_text(qtbot, panel.gstin_edit, "12345")
    save_and_wait(qtbot, panel)

    assert panel.field_error("gstin") == "A GSTIN has 15 characters, like 29ABCDE1234F1ZW"


def test_good_details_are_saved_by_ctrl_s_and_announced(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    replace_text(qtbot, panel.name_edit, "Koramangala")
    panel.address_edit.setPlainText("80 Feet Road\nKoramangala, Bengaluru 560034")
    replace_text(qtbot, panel.phone_edit, "080 4000 1234")
    replace_text(qtbot, panel.gstin_edit, "29abcde1234f1zw")
    panel.timezone_combo.setCurrentText("Asia/Dubai")
    panel.month_combo.setCurrentIndex(panel.month_combo.findData(1))
    replace_text(qtbot, panel.series_edit, "kor")

    with qtbot.waitSignal(panel.branch_saved, timeout=5000) as saved:
        qtbot.keyClick(panel.series_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    details = get_branch(db).details
    assert details.name == "Koramangala"
    assert details.address == "80 Feet Road\nKoramangala, Bengaluru 560034"
    assert details.phone == "080 4000 1234"
    assert details.gstin == "29ABCDE1234F1ZW"
    assert details.timezone == "Asia/Dubai"
    assert details.fiscal_year_start_month == 1
    assert details.invoice_series == "KOR"
    assert saved.args[0].details == details
    assert panel.series_edit.text() == "KOR"  # the form shows what was saved
    assert panel.status_label.text() == "Saved at 09:30."  # 05:30 UTC in Dubai
    assert all(panel.field_error(field) is None for field in panel.messages)


def test_saving_renames_the_branch_in_the_header(qtbot, db, manager, branch_info, fresh_settings):
    window = MainWindow(db, manager, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.show_panel("settings")
    panel = window.panel("settings")
    replace_text(qtbot, panel.name_edit, "Indiranagar East")

    with qtbot.waitSignal(window.branch_changed, timeout=5000):
        panel.save()

    assert window.branch_label.text() == "Branch: Indiranagar East"


def test_undo_changes_shows_the_saved_details_again(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    replace_text(qtbot, panel.name_edit, "Somewhere else")

    qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)

    assert panel.details() == branch_info.details


def test_the_time_zone_list_finds_a_zone_from_part_of_its_name(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    completer = panel.timezone_combo.completer()

    completer.setCompletionPrefix("kolk")

    matches = [
        completer.completionModel().index(row, 0).data()
        for row in range(completer.completionCount())
    ]
    assert matches == ["Asia/Kolkata"]


def test_a_front_desk_user_sees_the_details_read_only(qtbot, db, front_desk, branch_info):
    panel = open_panel(qtbot, db, front_desk, branch_info)

    assert not panel.can_edit
    assert panel.read_only_note.isVisible()
    assert panel.name_edit.isReadOnly() and panel.gstin_edit.isReadOnly()
    assert not panel.timezone_combo.isEnabled()
    assert not panel.save_button.isVisible()
    panel.save()  # ignored
    assert not panel.is_saving()
    save_screenshot(panel, "settings_read_only")


def test_a_refusal_from_the_service_is_shown_as_a_sentence(qtbot, db, manager, branch_info):
    # The panel trusts the service, not its own idea of the role: a demoted session that still
    # has the form open is told why its save did not happen.
    demoted = user_like(manager, Role.FRONT_DESK)
    panel = open_panel(qtbot, db, manager, branch_info)
    panel._user = demoted

    save_and_wait(qtbot, panel)

    assert panel.status_label.text() == (
        "Not saved. Changing the branch's details needs a manager; ask a manager to sign in."
    )
    assert QApplication.activeModalWidget() is None


# -- what a person sees at the window sizes the app allows ---------------------------------

SIZES = [(1366, 768), (1024, 640)]


def clipped_texts(widget: QWidget) -> list[str]:
    """The texts of visible labels, buttons and boxes under `widget` that do not fit in them."""
    clipped = []
    for label in widget.findChildren(QLabel):
        if not label.isVisibleTo(widget) or not label.text():
            continue
        if label.wordWrap():
            short = label.heightForWidth(label.width()) > label.height() + 1
        else:
            short = label.sizeHint().width() > label.width() + 1
        if short:
            clipped.append(label.text())
    for button in widget.findChildren(QAbstractButton):
        if button.isVisibleTo(widget) and button.sizeHint().width() > button.width() + 1:
            clipped.append(button.text())
    return clipped


def in_main_window(qtbot, db, user, branch_info, fresh_settings, size) -> SettingsPanel:
    window = MainWindow(db, user, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.show_panel("settings")
    panel = window.panel("settings")
    assert isinstance(panel, SettingsPanel)
    return panel


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_refused_series_is_scrolled_into_view_and_no_text_is_clipped(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    panel = in_main_window(qtbot, db, manager, branch_info, fresh_settings, size)
    save_screenshot(panel.window(), f"settings_branch_{size[0]}x{size[1]}")
    assert clipped_texts(panel.window()) == []
    scroll = panel.tabs.currentWidget()
    assert isinstance(scroll, QScrollArea)
    scroll.verticalScrollBar().setValue(0)

    replace_text(qtbot, panel.series_edit, "9SVC")
    save_and_wait(qtbot, panel)
    qtbot.wait(20)  # the wrapped message grows once the layout has run

    assert panel.field_error("invoice_series") is not None
    viewport = scroll.viewport()
    for shown in (panel.series_edit, panel.messages["invoice_series"]):
        top_left = shown.mapTo(viewport, QPoint(0, 0))
        assert viewport.rect().contains(QRect(top_left, shown.size())), shown.accessibleName()
    assert clipped_texts(panel.window()) == []
    save_screenshot(panel.window(), f"settings_branch_refused_{size[0]}x{size[1]}")

    callbacks = panel.callbacks
    panel.tabs.setCurrentWidget(callbacks)
    save_screenshot(panel.window(), f"settings_callbacks_{size[0]}x{size[1]}")
    assert clipped_texts(panel.window()) == []

    callbacks.days["wed"].opens.setTime(QTime(18, 0))
    callbacks.days["wed"].closes.setTime(QTime(9, 0))
    callbacks.save()
    qtbot.waitUntil(lambda: not callbacks.is_saving(), timeout=5000)

    assert callbacks.field_error("hours_wed") is not None
    assert callbacks.messages["hours_wed"].isVisible()
    assert clipped_texts(panel.window()) == []
    save_screenshot(panel.window(), f"settings_callbacks_refused_{size[0]}x{size[1]}")


def test_a_long_number_format_is_refused_then_kept_with_its_warning(
    qtbot, db, manager, branch_info
):
    panel = open_panel(qtbot, db, manager, branch_info)
    replace_text(qtbot, panel.format_edit, "{SERIES}-{FYYYY}-{SEQ}")
    assert "SVC-2026-2027-00001" in panel.messages["number_format"].text()
    assert "not GST-compliant" in panel.messages["number_format"].text()

    panel.save()
    qtbot.waitUntil(lambda: not panel.is_saving())
    assert "GST allows 16 at most" in (panel.field_error("number_format") or "")

    panel.allow_long_check.setChecked(True)
    with qtbot.waitSignal(panel.branch_saved) as saved:
        panel.save()
    assert saved.args[0].details.number_format == "{SERIES}-{FYYYY}-{SEQ}"
    assert saved.args[0].number_warnings


def test_the_legal_name_upi_id_and_state_are_saved(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    replace_text(qtbot, panel.legal_name_edit, "Lumen Clinics LLP")
    replace_text(qtbot, panel.upi_edit, "not a upi id")
    panel.save()
    qtbot.waitUntil(lambda: not panel.is_saving())
    assert "UPI ID looks like" in (panel.field_error("upi_id") or "")

    replace_text(qtbot, panel.upi_edit, "lumen@okhdfc")
    with qtbot.waitSignal(panel.branch_saved) as saved:
        panel.save()
    details = saved.args[0].details
    assert (details.legal_name, details.upi_id, details.state_code) == (
        "Lumen Clinics LLP",
        "lumen@okhdfc",
        "29",
    )


def test_settings_opens_on_its_branch_tab_and_builds_another_tab_when_it_is_chosen(
    qtbot, db, manager, branch_info, fresh_settings
):
    window, panel = open_in_window(qtbot, db, manager, branch_info, fresh_settings)
    QApplication.processEvents()
    assert panel.tabs.currentIndex() == 0
    assert panel.findChildren(PrinterSettingsPanel) == []  # only the Branch tab is built

    panel.tabs.setFocus()
    for _ in range(panel.tabs.count()):
        if panel.tabs.tabText(panel.tabs.currentIndex()) == "Printer":
            break
        qtbot.keyClick(panel.tabs, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)

    assert panel.tabs.currentWidget() is panel.printer
    assert panel.printer.isVisible()
    save_screenshot(window, "settings_printer_tab_built_when_chosen")
