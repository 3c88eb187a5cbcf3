"""The head office's Branches panel (issue #15) through the real widgets, against a real
PostgreSQL centre: two branches synced, one with a document the centre refused and one whose
clock is an hour fast; the app opened on the centre has a Branches panel (Ctrl+0) listing
each branch's last push, documents, pending, refused and clock, the ones to look at first
in bold and named above the table. A branch's app has no such panel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication
from sqlalchemy import update

from db.models import SyncOutbox
from desktop.main_window import BACKUP_ON_CENTRE, SYNC_ON_CENTRE, MainWindow
from desktop.panels.branches import BranchesPanel, ago
from services import sync
from services.branch import get_branch
from services.head_office import clock_text
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_small_window import SMALLEST
from tests.services.test_sync import NOW, Branch
from tests.services.test_sync_pull import HeadOffice

pytestmark = pytest.mark.postgres


@pytest.fixture
def chain(centre, tmp_path):
    office = HeadOffice(centre)
    ind = Branch(tmp_path / "IND.db", "IND", centre)
    kor = Branch(tmp_path / "KOR.db", "KOR", centre)
    ind.sell(paid=True)
    bad = ind.outbox()[1]
    with ind.db.session(write=True) as session, session.begin():
        session.execute(
            update(SyncOutbox)
            .where(SyncOutbox.id == bad.id)
            .values(payload={**bad.payload, "note": "pasted\u0000text"})
        )
    ind.sync()
    # KOR's clock is an hour fast (the tests' branches otherwise run on a fixed clock, so
    # the offsets are measured against the centre's real one: compared, not read alone).
    sync.sync_round(kor.db, kor.url, now=lambda: NOW + timedelta(hours=1), backoff=())
    yield ind, kor, office
    for db in (ind.db, kor.db, office.db):
        db.close()


IST = ZoneInfo("Asia/Kolkata")


def real_now() -> datetime:
    return datetime.now(UTC)


def ind_state(panel: BranchesPanel):
    return next(state for state in panel.states if state.code == "IND")


def rows_by_code(panel: BranchesPanel) -> dict[str, tuple[str, ...]]:
    return {row[0].split(" - ")[0]: row for row in panel.model.row_texts()}


def bold(panel: BranchesPanel, row: int) -> bool:
    font = panel.model.data(panel.model.index(row, 0), Qt.ItemDataRole.FontRole)
    return isinstance(font, QFont) and font.bold()


def test_the_panel_lists_each_branchs_sync_and_the_ones_to_look_at(qtbot, qtmodeltester, chain):
    ind, kor, office = chain
    # The centre stamps pushes with its own (real) clock.
    panel = BranchesPanel(office.db, office.admin, get_branch(office.db), clock=real_now)
    qtbot.addWidget(panel)
    panel.resize(1366, 700)
    panel.show()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.states is not None, timeout=20_000)
    qtmodeltester.check(panel.model)
    rows = rows_by_code(panel)
    assert list(rows) == ["IND", "KOR"]
    branch, pushed, documents, pending, refused, clock, look = rows["IND"]
    assert branch == "IND - Branch IND"
    assert clock == clock_text(ind_state(panel).clock_offset_s)
    assert pushed == (f"{ind_state(panel).last_push_at.astimezone(IST):%d %b %H:%M} (just now)")
    assert int(documents) == len(ind.outbox()) - 1
    assert (pending, refused) == ("0", "1")
    assert "1 refused" in look
    kor_row = rows["KOR"]
    assert kor_row[3:5] == ("0", "0")
    # An hour ahead of IND's offset, whatever the machine's own clock says.
    offsets = {s.code: s.clock_offset_s for s in panel.states}
    assert abs(offsets["KOR"] - offsets["IND"] - 3600) < 120
    assert kor_row[5] == clock_text(offsets["KOR"])
    assert bold(panel, 0)
    assert "IND" in panel.summary_label.text() and "need" in panel.summary_label.text()

    # A day later with no push, both need a look; F5 reads again.
    panel._clock = lambda: real_now() + timedelta(days=3)
    qtbot.keyClick(panel.view, Qt.Key.Key_F5)
    qtbot.waitUntil(panel.is_idle, timeout=20_000)
    assert "no push for 3 days" in rows_by_code(panel)["KOR"][6]
    assert bold(panel, 1)


def test_ago_reads_naturally():
    assert [ago(timedelta(seconds=s)) for s in (20, 600, 7200, 3 * 86400)] == [
        "just now",
        "10 min ago",
        "2 h ago",
        "3 days ago",
    ]


@pytest.mark.parametrize("size", [(1366, 768), SMALLEST])
def test_the_app_on_the_centre_opens_the_branches_panel_with_ctrl_0(
    qtbot, chain, fresh_settings, tmp_path, size
):
    _ind, _kor, office = chain
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
    assert "branches" in window.panel_keys()
    assert window.panel_keys().index("branches") == window.panel_keys().index("settings") - 1
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(
        QApplication.focusWidget() or window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier
    )
    assert window.current_panel_key() == "branches"
    panel = window.panel("branches")
    assert isinstance(panel, BranchesPanel)
    qtbot.waitUntil(lambda: panel.is_idle() and panel.states is not None, timeout=20_000)
    assert list(rows_by_code(panel)) == ["IND", "KOR"]
    # Nothing of the table is cut: every column as wide as its widest text.
    header = panel.view.horizontalHeader()
    assert all(header.sectionSize(i) > 20 for i in range(header.count()))
    # The rail holds one more panel than a branch's: at the smallest window its buttons
    # are drawn smaller rather than cut.
    QApplication.processEvents()
    buttons = [window.rail.button(key) for key in window.panel_keys()]
    assert all(b.height() >= b.sizeHint().height() for b in buttons)
    assert window.rail.compact == (size == SMALLEST)
    qtbot.waitUntil(window.is_idle, timeout=20_000)
    # The status bar does not call the head office a branch that keeps its data at home.
    assert window.sync_label.text() == SYNC_ON_CENTRE
    # Nor warns of a missing daily copy: the centre's PostgreSQL is backed up by its own tools.
    assert window.backup_label.text() == BACKUP_ON_CENTRE
    save_screenshot(window, f"head_office_branches_{size[0]}x{size[1]}")


def test_a_branchs_app_has_no_branches_panel(open_main_window, manager):
    window = open_main_window(manager)
    assert "branches" not in window.panel_keys()
