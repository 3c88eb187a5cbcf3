"""Settings > Sync shows what the last pull received (issue #15), through the real widgets
against a real PostgreSQL centre whose head office added an item."""

from __future__ import annotations

import pytest

from desktop.panels.sync_settings import SyncSettingsPanel
from services import auth, catalog, sync, sync_settings
from services.branch import get_branch
from services.sync_settings import SyncSettings
from tests.desktop.helpers import ADMIN, NOW
from tests.services.test_sync_pull import BOTOX, HeadOffice

pytestmark = pytest.mark.postgres

WAIT_MS = 30_000
PASSWORD = "the branch's own password"


def test_sync_now_shows_what_the_centre_sent_and_the_item_is_on_sale(
    qtbot, db, open_main_window, centre, memory_keyring, tmp_path
):
    office = HeadOffice(centre)
    try:
        catalog.save_item(office.db, office.admin, BOTOX, now=NOW)
    finally:
        office.db.close()
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
        interval_minutes=60,
    )
    sync_settings.save_sync_settings(db, admin, where, password=PASSWORD, now=NOW)
    window = open_main_window(admin)
    window.resize(1366, 768)
    window.show_panel("settings")
    settings = window.panel("settings")
    panel = settings.sync
    assert isinstance(panel, SyncSettingsPanel)
    settings.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.pull_label.text() == "Nothing received from the centre yet."
    assert catalog.item_by_code(db, "BOTOX-50") is None

    panel.sync_button.click()
    qtbot.waitUntil(lambda: "Last success at" in panel.message.text(), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert "Received 2 change(s) from the centre." in panel.message.text()
    assert panel.pull_label.text().startswith("Last received from the centre at ")
    assert ": 2 change(s) to the catalog" in panel.pull_label.text()
    assert catalog.item_by_code(db, "BOTOX-50").price == 450000
    shot = tmp_path / "sync_pull.png"
    window.grab().save(str(shot))
    assert shot.stat().st_size > 0
