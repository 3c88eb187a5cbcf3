"""Settings > Sync (admin) through its real widgets, against a real PostgreSQL centre:
configure the centre, save an invoice, see it pending, Sync now, see nothing pending and
the time of the last success; the status bar says the same."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop.main_window import sync_pending_text
from desktop.panels.settings import SettingsPanel
from desktop.panels.sync_settings import SyncSettingsPanel
from services import auth, invoicing, sync, sync_settings
from services.branch import get_branch
from services.sync_settings import SyncSettings
from tests.desktop.helpers import ADMIN, NOW
from tests.services.invoice_helpers import cart

pytestmark = pytest.mark.postgres

WAIT_MS = 30_000
PASSWORD = "the branch's own password"


def test_configure_the_centre_save_an_invoice_and_sync_it_from_settings(
    qtbot, db, open_main_window, centre, memory_keyring
):
    info = get_branch(db)
    role = sync.add_branch(
        centre.render_as_string(hide_password=False),
        branch_id=info.id,
        code=info.details.branch_code or "LUM",
        password=PASSWORD,
    )
    admin = auth.sign_in(db, *ADMIN)
    window = open_main_window(admin)
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    panel = settings.sync
    assert isinstance(panel, SyncSettingsPanel)
    settings.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert window.sync_label.text().startswith("Sync: not configured")

    panel.host_edit.setText(centre.host or centre.query["host"])
    panel.port_spin.setValue(centre.port or 5432)
    panel.database_edit.setText(centre.database)
    panel.role_edit.setText(role)
    panel.password_edit.setText(PASSWORD)
    panel.tls_combo.setCurrentText("disable")
    panel.save_button.click()
    qtbot.waitUntil(lambda: panel.message.text().startswith("Saved"), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.password_edit.text() == ""
    assert list(memory_keyring.values()) == [PASSWORD]
    before = sync.pending_count(db)
    qtbot.waitUntil(lambda: window.sync_label.text() == sync_pending_text(before), timeout=WAIT_MS)

    desk = auth.sign_in(db, "priya", "1111")
    invoicing.save_invoice(db, desk, cart(db, "CONSULT"), now=NOW)
    pending = sync.pending_count(db)
    assert pending == before + 1
    panel.reload()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.state_label.text() == f"{pending} document(s) waiting to be sent."
    qtbot.waitUntil(lambda: window.sync_label.text() == sync_pending_text(pending), timeout=WAIT_MS)

    panel.sync_button.click()
    qtbot.waitUntil(lambda: "Last success at" in panel.message.text(), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.message.text().startswith(f"Sent {pending} document(s) to the centre; 0 pending.")
    assert panel.state_label.text() == "0 document(s) waiting to be sent."
    assert panel.attention_label.text() == ""
    qtbot.waitUntil(
        lambda: window.sync_label.text() == "Sync: everything sent to the centre", timeout=WAIT_MS
    )
    assert sync.pending_count(db) == 0


def test_only_an_admin_has_the_sync_tab(db, open_main_window):
    window = open_main_window(auth.sign_in(db, "meera", "2222"))
    window.show_panel("settings")
    settings = window.panel("settings")
    titles = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert "Sync" not in titles and settings.sync is None


def test_the_window_syncs_on_its_interval_and_says_how_it_went(
    qtbot, db, open_main_window, centre, memory_keyring
):
    info = get_branch(db)
    role = sync.add_branch(
        centre.render_as_string(hide_password=False),
        branch_id=info.id,
        code=info.details.branch_code or "LUM",
        password=PASSWORD,
    )
    admin = auth.sign_in(db, *ADMIN)
    where = SyncSettings(
        host=centre.host or centre.query["host"],
        port=centre.port or 5432,
        database=centre.database,
        role=role,
        tls="disable",
        interval_minutes=7,
    )
    sync_settings.save_sync_settings(db, admin, where, password=PASSWORD, now=NOW)
    desk = auth.sign_in(db, "priya", "1111")
    invoicing.save_invoice(db, desk, cart(db, "CONSULT"), now=NOW)

    window = open_main_window(admin)
    qtbot.waitUntil(window.sync_timer.isActive, timeout=WAIT_MS)
    assert window.sync_timer.interval() == 7 * 60_000
    assert window.sync_label.text() == sync_pending_text(sync.pending_count(db))

    window.sync_timer.timeout.emit()
    qtbot.waitUntil(lambda: not window.is_syncing(), timeout=WAIT_MS)
    assert window.sync_label.text().startswith(
        "Sync: everything sent to the centre - last success at "
    )
    assert sync.pending_count(db) == 0

    # The centre's database renamed away: the round fails and the status bar says so.
    bad = replace(where, database="no_such_centre")
    sync_settings.save_sync_settings(db, admin, bad, password=PASSWORD, now=NOW)
    window.sync_round()
    qtbot.waitUntil(lambda: not window.is_syncing(), timeout=WAIT_MS)
    assert window.sync_label.text().startswith("Sync failed at ")
    assert "Could not reach the centre" in window.sync_label.text()
