"""Settings > Staff in the app on the centre (issue #15, staff the head office publishes to
every branch), against a real PostgreSQL: the head office's admin ticks "Works at every
branch" for an area manager; a branch syncs and she signs in there with her PIN; unticked,
the branch stops her at its next round."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.main_window import MainWindow
from desktop.panels.settings import SettingsPanel
from desktop.panels.staff_settings import StaffModel
from domain.errors import Refused
from services import auth, staff
from services.branch import get_branch
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_catalog_panel import WAIT_MS, idle
from tests.desktop.test_settings_panel import clipped_texts
from tests.desktop.test_staff_settings import select
from tests.services.test_sync import NOW, Branch
from tests.services.test_sync_pull import HeadOffice

pytestmark = pytest.mark.postgres


def test_the_head_office_publishes_a_member_to_every_branch_from_the_staff_tab(
    qtbot, centre, tmp_path, fresh_settings
):
    office = HeadOffice(centre)
    branch = Branch(tmp_path / "IND.db", "IND", centre)
    try:
        staff.add_user(
            office.db,
            office.admin,
            username="asha",
            full_name="Asha Rao",
            role="manager",
            pin="583920",
            now=NOW,
        )
        window = MainWindow(
            office.db,
            office.admin,
            get_branch(office.db),
            settings=fresh_settings,
            clock=lambda: NOW,
            invoice_folder=tmp_path / "invoices",
        )
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        window.show_panel("settings")
        settings = window.panel("settings")
        assert isinstance(settings, SettingsPanel) and settings.staff is not None
        settings.tabs.setCurrentWidget(settings.staff)
        panel = settings.staff
        qtbot.waitUntil(lambda: panel.model.row_of("asha") >= 0, timeout=WAIT_MS)
        idle(qtbot, panel)
        select(qtbot, panel, "asha")
        check = panel.every_branch_check
        assert check.isVisible() and not check.isChecked()
        # By keyboard: the box takes the focus and Space ticks it.
        check.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.keyClick(check, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: panel.editing().chain_wide is True, timeout=WAIT_MS)
        idle(qtbot, panel)
        assert "works at every branch" in panel.save_status.text()
        row = panel.model.row_of("asha")
        assert panel.model.index(row, StaffModel.ACTIVE).data() == "Every branch"
        save_screenshot(window, "staff_every_branch_on_centre")
        assert clipped_texts(panel) == []

        branch.sync()
        assert auth.sign_in(branch.db, "asha", "583920").username == "asha"

        select(qtbot, panel, "asha")
        qtbot.keyClick(panel.every_branch_check, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: panel.editing().chain_wide is False, timeout=WAIT_MS)
        idle(qtbot, panel)
        branch.sync()
        with pytest.raises(Refused):
            auth.sign_in(branch.db, "asha", "583920")
    finally:
        branch.db.close()
        office.db.close()
