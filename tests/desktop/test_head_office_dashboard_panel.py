"""The head office's dashboard (issue #15) through its real widgets, against a real
PostgreSQL centre: the demo clinic and a second branch pushed their invoices; the panel
opened on the centre offers a branch filter, shows the chain's figures, and for one branch
that branch's own; and the whole app opens on the centre (`frontdesk --central URL gui`)."""

from __future__ import annotations

import os
import subprocess

import pytest
from PySide6.QtCore import Qt

from desktop.app import READY_LINE
from desktop.panels.dashboard import DashboardPanel
from services import dashboard as dashboard_service
from services.branch import get_branch
from services.dashboard import DashboardFilters
from tests.cli.test_cli import FRONTDESK
from tests.desktop.helpers import NOW, TODAY
from tests.desktop.test_dashboard_panel import expected_tiles, idle, tile_values
from tests.services.test_head_office_dashboard import synced_demo
from tests.services.test_sync import Branch
from tests.services.test_sync_pull import HO_PIN, HeadOffice

pytestmark = pytest.mark.postgres


def test_the_head_office_reads_the_chain_and_filters_by_branch(
    qtbot, db, manager, centre, fresh_settings, tmp_path
):
    code = synced_demo(db, centre)
    other = Branch(tmp_path / "KOR.db", "KOR", centre)
    office = HeadOffice(centre)
    try:
        other.sell(paid=True)
        other.sync()
        panel = DashboardPanel(office.db, office.admin, get_branch(office.db), clock=lambda: NOW)
        qtbot.addWidget(panel)
        panel.resize(1366, 768)
        panel.show()
        idle(qtbot, panel)
        assert not panel.import_button.isVisible()  # history comes in at a branch
        assert panel.branch_combo.isVisible()
        choices = [panel.branch_combo.itemText(i) for i in range(panel.branch_combo.count())]
        assert choices == ["Whole chain", *sorted([code, "KOR"])]

        chain = dashboard_service.refresh(office.db, office.admin, DashboardFilters(), today=TODAY)
        own = dashboard_service.refresh(db, manager, DashboardFilters(), today=TODAY)
        assert tile_values(panel) == expected_tiles(chain)
        assert chain.rfm.figures.kpis.total_customer == own.rfm.figures.kpis.total_customer + 1

        panel.branch_combo.setCurrentIndex(choices.index(code))
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
        idle(qtbot, panel)
        assert tile_values(panel) == expected_tiles(own)
    finally:
        office.db.close()
        other.db.close()


def test_a_branchs_dashboard_has_no_branch_filter(qtbot, db, manager, fresh_settings):
    panel = DashboardPanel(db, manager, get_branch(db), clock=lambda: NOW)
    qtbot.addWidget(panel)
    panel.show()
    idle(qtbot, panel)
    assert not panel.branch_combo.isVisible()
    assert panel.import_button.isVisible()
    assert panel.filters().branches == ()


def test_the_app_opens_on_the_centre_for_the_head_office(centre, tmp_path):
    """`frontdesk --central URL gui`: the real start-up, signed in as the head office's
    admin, in a child process that quits once its main window is ready."""
    office = HeadOffice(centre)
    office.db.close()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FRONTDESK_AUTOLOGIN": f"ho:{HO_PIN}",
        "FRONTDESK_EXIT_WHEN_READY": "1",
        "FRONTDESK_LOG_DIR": str(tmp_path / "logs"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [str(FRONTDESK), "--central", centre.render_as_string(hide_password=False), "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert READY_LINE in done.stdout.splitlines()
