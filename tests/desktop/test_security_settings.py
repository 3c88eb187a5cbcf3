"""Settings > Security (admin): the idle lock's minutes and "Verify audit log" (#13 items 7, 8)."""

from __future__ import annotations

import sqlite3

from services import screen_lock
from services.auth import sign_in
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_settings_panel import clipped_texts, open_panel


def security_tab(qtbot, db, branch_info):
    panel = open_panel(qtbot, db, sign_in(db, "admin", "9999"), branch_info)
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    panel.tabs.setCurrentIndex(titles.index("Security"))
    return panel, panel.tabs.currentWidget()


def test_only_an_admin_sees_the_security_tab(qtbot, db, manager, branch_info):
    panel = open_panel(qtbot, db, manager, branch_info)
    assert "Security" not in [panel.tabs.tabText(i) for i in range(panel.tabs.count())]


def test_the_idle_minutes_are_saved(qtbot, db, branch_info):
    _panel, tab = security_tab(qtbot, db, branch_info)
    assert tab.idle_minutes.value() == 10
    tab.idle_minutes.setValue(4)
    tab.save_button.click()
    assert screen_lock.idle_lock_minutes(db) == 4
    assert "after 4 idle minutes" in tab.idle_message.text()


def test_verify_reports_an_intact_log_then_the_entry_that_was_changed(qtbot, db, branch_info):
    panel, tab = security_tab(qtbot, db, branch_info)
    tab.verify_button.click()
    qtbot.waitUntil(lambda: "intact" in tab.verify_result.text(), timeout=5000)
    assert clipped_texts(panel) == []
    save_screenshot(tab, "settings_security")

    con = sqlite3.connect(db.path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 1")
    con.commit()
    con.close()
    tab.verify_button.click()
    qtbot.waitUntil(lambda: "tampered" in tab.verify_result.text(), timeout=5000)
    assert "entry 1 " in tab.verify_result.text() and "nothing.happened" in tab.verify_result.text()
    assert clipped_texts(panel) == []
    save_screenshot(tab, "settings_security_tampered")
