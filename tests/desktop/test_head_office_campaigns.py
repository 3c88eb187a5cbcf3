"""The head office's view of the branches' campaigns (issue #16) through the real widgets,
against a real PostgreSQL centre: branches IND and KOR each send a campaign through the
preview channel, a recipient of each buys, both sync. In the app opened on the centre the
Campaigns panel (Ctrl+4) has a "Branches' campaigns" tab (Alt+4) listing each branch's
campaign with the figures its own results give, the chain's sum under them and a chart
per branch; the Branch box narrows it to one branch. A branch's app has no such tab."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow
from desktop.panels.campaigns import CHAIN_TAB, CampaignsPanel
from desktop.panels.chain_campaigns import ChainCampaignsView
from domain.money import format_rupees, group_indian
from services.branch import get_branch
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_small_window import SMALLEST
from tests.services.test_head_office_campaigns import run_a_campaign
from tests.services.test_sync import Branch
from tests.services.test_sync_pull import HeadOffice

pytestmark = pytest.mark.postgres


@pytest.fixture
def chain(centre, tmp_path):
    office = HeadOffice(centre)
    ind = Branch(tmp_path / "IND.db", "IND", centre)
    kor = Branch(tmp_path / "KOR.db", "KOR", centre)
    results = {
        "IND": run_a_campaign(ind, tmp_path / "ind", people=10, buyers=2),
        "KOR": run_a_campaign(kor, tmp_path / "kor", people=6, buyers=1),
    }
    yield office, results
    for db in (ind.db, kor.db, office.db):
        db.close()


def real_now() -> datetime:
    return datetime.now(UTC)


def chain_view(qtbot, panel: CampaignsPanel) -> ChainCampaignsView:
    qtbot.waitUntil(lambda: panel.chain_view is not None, timeout=20_000)
    view = panel.chain_view
    assert view is not None
    qtbot.waitUntil(lambda: panel.is_idle() and view.found is not None, timeout=20_000)
    return view


def test_the_chain_view_lists_each_branchs_campaign_as_the_branch_counts_it(
    qtbot, qtmodeltester, chain
):
    office, results = chain
    panel = CampaignsPanel(office.db, office.admin, get_branch(office.db), clock=real_now)
    qtbot.addWidget(panel)
    panel.resize(1366, 700)
    panel.show()
    assert panel.tabs.count() == 4 and panel.tabs.tabText(CHAIN_TAB) == "Branches' campaigns"
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert panel.pages.currentIndex() == CHAIN_TAB
    view = chain_view(qtbot, panel)
    qtmodeltester.check(view.model)
    texts = {
        row[0]: row
        for row in (
            [view.model.column_texts(c)[r] for c in range(view.model.columnCount())]
            for r in range(view.model.rowCount())
        )
    }
    assert set(texts) == {"IND", "KOR"}
    for code, own in results.items():
        total = own.total
        row = texts[code]
        assert row[1] == f"Win back at {code}"
        assert row[3] == group_indian(total.recipients)
        assert row[4] == group_indian(total.sent)
        assert row[6] == format_rupees(total.cost)
        assert row[7] == group_indian(total.conversions)
        assert row[8] == format_rupees(total.revenue)
    conversions = sum(r.total.conversions for r in results.values())
    assert f"{conversions} converted" in view.summary_label.text()
    assert [bar.label for bar in view.chart.bars] == ["IND", "KOR"]
    assert [bar.value for bar in view.chart.bars] == [2.0, 1.0]
    # The keyboard reaches the list: focus is on it once the tab shows.
    assert view.table.hasFocus() or view.isAncestorOf(QApplication.focusWidget())

    # The Branch box narrows the list, the chart and the totals to one branch.
    view.branch_combo.setCurrentIndex(view.branch_combo.findData("KOR"))
    qtbot.waitUntil(lambda: view.is_idle() and view.model.rowCount() == 1, timeout=20_000)
    assert view.model.column_texts(0) == ["KOR"]
    assert view.summary_label.text().startswith("KOR: 1 campaign, 1 converted")
    assert [bar.label for bar in view.chart.bars] == ["KOR"]


@pytest.mark.parametrize("size", [(1366, 768), SMALLEST])
def test_the_app_on_the_centre_shows_the_branches_campaigns(
    qtbot, chain, fresh_settings, tmp_path, size
):
    office, _results = chain
    window = MainWindow(
        office.db,
        office.admin,
        get_branch(office.db),
        settings=fresh_settings,
        clock=real_now,
        invoice_folder=tmp_path / "invoices",
    )
    qtbot.addWidget(window)
    window.resize(QSize(*size))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(
        QApplication.focusWidget() or window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier
    )
    assert window.current_panel_key() == "campaigns"
    panel = window.panel("campaigns")
    assert isinstance(panel, CampaignsPanel)
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
    qtbot.keyClick(
        QApplication.focusWidget() or panel, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier
    )
    view = chain_view(qtbot, panel)
    assert view.model.rowCount() == 2
    qtbot.waitUntil(window.is_idle, timeout=20_000)
    save_screenshot(window, f"head_office_campaigns_{size[0]}x{size[1]}")
    header = view.table.horizontalHeader()
    for column in range(header.count()):
        title = view.model.headerData(column, Qt.Orientation.Horizontal)
        assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(title), title
    # Nothing cut: the chart has room, the summary and the totals read whole.
    assert view.chart.height() >= 150 and view.chart.is_empty() is False
    for label in (view.summary_label, view.total_label):
        assert label.height() >= label.heightForWidth(label.width()), label.text()


def test_a_branchs_campaigns_panel_has_no_chain_tab(qtbot, db, manager, branch_info):
    panel = CampaignsPanel(db, manager, branch_info, clock=real_now)
    qtbot.addWidget(panel)
    assert panel.tabs.count() == 3 and not panel.on_centre
