"""Settings > Backups (admin), through its real widgets on a copy of the demo database:
Back up now, the copies listed, the folder chosen, a restore that says what it loses and
signs everyone out, and how the tab looks at the sizes the app allows."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.panels.backup_settings import BackupSettingsPanel
from desktop.panels.settings import SettingsPanel
from services import auth, backup, invoicing
from tests.desktop.helpers import ADMIN, NOW, save_screenshot
from tests.desktop.test_settings_panel import SIZES, clipped_texts
from tests.services.invoice_helpers import cart

WAIT_MS = 15_000


def open_backups(qtbot, open_main_window, user, size=(1366, 768)):
    window = open_main_window(user)
    window.resize(*size)
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    panel = settings.backups
    assert isinstance(panel, BackupSettingsPanel)
    settings.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    return window, panel


@pytest.fixture
def admin(db):
    return auth.sign_in(db, *ADMIN)


def test_back_up_now_lists_the_copy_and_a_restore_signs_everyone_out(
    qtbot, db, open_main_window, admin
):
    window, panel = open_backups(qtbot, open_main_window, admin)
    daily = panel.table.rowCount()  # the day's copy, taken when the window opened
    assert daily == 1 and panel.state_label.text().startswith("Last good backup: 24 Nov 2026")

    panel.back_up_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.message.text().startswith("Backed up to ") and "(checked)" in panel.message.text()
    save_screenshot(window, "settings_backups")

    # An invoice saved after the copies: restoring the newest copy would lose it.
    desk = auth.sign_in(db, "priya", "1111")
    later = invoicing.save_invoice(db, desk, cart(db, "CONSULT"), now=NOW).invoice_number
    panel.table.selectRow(0)
    assert panel.restore_button.isEnabled()
    panel.restore_button.click()
    qtbot.waitUntil(lambda: panel.question is not None, timeout=WAIT_MS)
    question = panel.question
    assert f"1 invoice ({later})" in question.text()
    save_screenshot(question, "settings_backups_restore_question")
    with qtbot.waitSignal(window.sign_out_requested, timeout=WAIT_MS):
        question.button(QMessageBox.StandardButton.Cancel)  # there is a way out
        [restore] = [b for b in question.buttons() if b.text() == "Restore"]
        restore.click()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert "The previous database was kept as" in panel.message.text()
    with db.session(write=False) as session:
        from sqlalchemy import select

        from db.models import AuditLog, InvoiceHeader

        numbers = set(session.scalars(select(InvoiceHeader.invoice_number)))
        actions = set(session.scalars(select(AuditLog.action)))
    assert later not in numbers and "backup.restore" in actions


def test_a_folder_is_chosen_and_saved(qtbot, db, open_main_window, admin, tmp_path):
    _window, panel = open_backups(qtbot, open_main_window, admin)
    usb = tmp_path / "usb"
    panel.folder_edit.setText(str(usb))
    panel.daily_spin.setValue(3)
    panel.save_button.click()
    qtbot.waitUntil(lambda: panel.message.text().startswith("Saved"), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert backup.backup_settings(db) == backup.BackupSettings(str(usb), 3, 4)
    assert str(usb) in panel.state_label.text()

    panel.folder_edit.setText("relative/folder")
    panel.save_button.click()
    qtbot.waitUntil(lambda: "full path" in panel.message.text(), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def test_only_an_admin_sees_the_backups_tab(qtbot, open_main_window, manager):
    window = open_main_window(manager)
    window.show_panel("settings")
    settings = window.panel("settings")
    assert settings.backups is None
    titles = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert "Backups" not in titles


@pytest.mark.parametrize("size", SIZES)
def test_the_backups_tab_fits_the_window(qtbot, open_main_window, admin, size):
    window, panel = open_backups(qtbot, open_main_window, admin, size)
    assert clipped_texts(panel) == []
    save_screenshot(window, f"settings_backups_{size[0]}x{size[1]}")


def test_all_data_is_exported_as_a_zip_with_progress(qtbot, open_main_window, admin, tmp_path):
    import zipfile

    _window, panel = open_backups(qtbot, open_main_window, admin)
    target = tmp_path / "export" / "data.zip"
    panel.export_to(target)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.message.text().startswith("Exported ") and str(target) in panel.message.text()
    assert "invoice_header.csv" in zipfile.ZipFile(target).namelist()
