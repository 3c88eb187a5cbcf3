"""The Printer tab of Settings: choosing the receipt printer, and its test page."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from desktop.panels.printer_settings import PrinterSettingsPanel
from desktop.panels.settings import SettingsPanel
from services.printer_settings import PrinterSettings, printer_settings
from tests.desktop.helpers import fixed_clock, save_screenshot


def open_panel(qtbot, db, user, branch_info, size=(1100, 700)) -> PrinterSettingsPanel:
    settings = SettingsPanel(db, user, branch_info, clock=fixed_clock)
    qtbot.addWidget(settings)
    settings.resize(*size)
    settings.show()
    qtbot.waitExposed(settings)
    settings.tabs.setCurrentWidget(settings.printer)
    settings.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is settings)
    return settings.printer


def save_and_wait(qtbot, panel: PrinterSettingsPanel) -> None:
    panel.save()
    qtbot.waitUntil(lambda: not panel.is_saving(), timeout=5000)


def test_the_tab_starts_on_this_computers_default_printer(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    assert panel.system_radio.isChecked()
    assert panel.printer_combo.currentText() == "This computer's default printer"
    assert panel.printer_combo.isEnabled() and not panel.kind_combo.isEnabled()
    assert panel.width_combo.currentText() == "80 mm, 48 characters a line"
    assert panel.drawer_check.isChecked()
    assert panel.settings() == PrinterSettings()


def test_a_manager_chooses_a_network_thermal_printer_and_saves_it(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    # On the button itself, not the empty width of its row.
    at = QPoint(8, panel.escpos_radio.height() // 2)
    qtbot.mouseClick(panel.escpos_radio, Qt.MouseButton.LeftButton, pos=at)
    assert panel.kind_combo.isEnabled() and not panel.printer_combo.isEnabled()
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("network"))
    assert panel.messages["escpos_address"].text() == (
        "For example 192.168.1.50 or 192.168.1.50:9100."
    )
    qtbot.keyClicks(panel.address_edit, "192.168.1.87")
    panel.width_combo.setCurrentIndex(panel.width_combo.findData(42))
    panel.drawer_check.setChecked(False)
    save_and_wait(qtbot, panel)

    assert panel.status_label.text() == "Saved at 11:00."
    assert printer_settings(db) == PrinterSettings(
        target="escpos",
        escpos_kind="network",
        escpos_address="192.168.1.87",
        columns=42,
        open_drawer_on_cash=False,
    )


def test_a_bad_address_is_explained_beside_it_and_nothing_is_saved(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    panel.escpos_radio.setChecked(True)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("usb"))
    qtbot.keyClicks(panel.address_edit, "epson printer")
    save_and_wait(qtbot, panel)
    assert "USB vendor and product ids" in panel.field_error("escpos_address")
    assert printer_settings(db) == PrinterSettings()


def test_the_test_page_goes_to_the_device_chosen_on_screen(
    qtbot, db, manager, branch_info, tmp_path
):
    device = tmp_path / "lp0"
    device.touch()
    panel = open_panel(qtbot, db, manager, branch_info)
    panel.escpos_radio.setChecked(True)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("file"))
    qtbot.keyClicks(panel.address_edit, str(device))
    qtbot.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    assert panel.test_status.text() == f"Printed a test page on the printer at {device}."
    assert b"48 characters a line:" in device.read_bytes()
    assert printer_settings(db) == PrinterSettings()  # tried, not saved


def test_a_test_page_on_a_printer_that_is_not_there_says_so(
    qtbot, db, manager, branch_info, tmp_path
):
    panel = open_panel(qtbot, db, manager, branch_info)
    panel.escpos_radio.setChecked(True)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("file"))
    qtbot.keyClicks(panel.address_edit, str(tmp_path / "missing" / "lp0"))
    qtbot.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=5000)
    assert panel.test_status.text().startswith("The receipt printer cannot be opened at")
    assert panel.test_button.isEnabled()


def test_the_front_desk_sees_the_printer_read_only(qtbot, db, front_desk, branch_info):
    panel = open_panel(qtbot, db, front_desk, branch_info)
    assert not panel.save_button.isVisible()
    assert not panel.escpos_radio.isEnabled() and not panel.printer_combo.isEnabled()
    assert panel.test_button.isEnabled()
    assert panel.read_only_note.isVisible()


def test_the_tab_fits_a_1366_by_768_window(qtbot, open_main_window, manager):
    window = open_main_window(manager)  # 1366x768
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    panel = settings.printer
    settings.tabs.setCurrentWidget(panel)
    panel.escpos_radio.setChecked(True)
    panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("network"))
    save_screenshot(window, "settings_printer")
    # Everything down to the save bar shows without scrolling.
    bottom = panel.save_button.mapTo(panel, panel.save_button.rect().bottomLeft()).y()
    assert bottom < panel.height()
    for widget in (panel.address_edit, panel.test_button, panel.drawer_check):
        assert widget.visibleRegion().boundingRect().width() == widget.width()
