"""The head office's takings (issue #15) through the real dialog, against a real PostgreSQL
centre: two branches worked a day and synced; on the centre the dialog offers a Branch box,
shows the chain's takings (the branches' own added up), and for one branch its own."""

from __future__ import annotations

import pytest

from desktop.dialogs.takings import TakingsDialog, method_rows
from services import takings
from tests.desktop.helpers import save_screenshot
from tests.services.test_head_office_reports import TODAY, gstin, total_of, trade
from tests.services.test_sync import Branch
from tests.services.test_sync_pull import HeadOffice

pytestmark = pytest.mark.postgres


@pytest.fixture
def chain(centre, tmp_path):
    """The head office and two branches that worked a day and synced (as the service
    tests' chain)."""
    office = HeadOffice(centre)
    ind = Branch(tmp_path / "IND.db", "IND", centre, gstin=gstin("29AABCI1234F1Z"))
    kor = Branch(tmp_path / "KOR.db", "KOR", centre)
    trade(ind, registered=True)
    trade(kor, registered=False)
    for branch in (ind, kor):
        branch.sync()
    yield ind, kor, office
    for db in (ind.db, kor.db, office.db):
        db.close()


def shown(qtbot, dialog: TakingsDialog) -> takings.Takings:
    qtbot.waitUntil(dialog.is_idle, timeout=20_000)
    assert dialog.figures is not None
    return dialog.figures


def test_the_head_office_reads_the_chains_takings_and_one_branchs(qtbot, chain, tmp_path):
    ind, kor, office = chain
    dialog = TakingsDialog(office.db, office.admin, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    whole = shown(qtbot, dialog)
    choices = [dialog.branch_combo.itemText(i) for i in range(dialog.branch_combo.count())]
    assert choices == ["Whole chain", "IND", "KOR"]
    assert dialog.branch_combo.isVisible()
    own = [takings.takings(b.db, b.admin, TODAY, TODAY) for b in (ind, kor)]
    assert total_of([whole]) == total_of(own)
    assert dialog.heading.text().endswith("Whole chain")
    save_screenshot(dialog, "head_office_takings_chain")

    dialog.branch_combo.setCurrentIndex(choices.index("KOR"))
    assert shown(qtbot, dialog) == own[1]
    assert dialog.heading.text().endswith("KOR")
    assert dialog.methods_model.row_texts() == method_rows(own[1])
    dialog.resize(dialog.minimumSizeHint())
    save_screenshot(dialog, "head_office_takings_kor_smallest")


def test_a_branchs_takings_have_no_branch_box(qtbot, chain):
    ind, _kor, _office = chain
    dialog = TakingsDialog(ind.db, ind.admin, today=TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    assert shown(qtbot, dialog) == takings.takings(ind.db, ind.admin, TODAY, TODAY)
    assert not dialog.branch_combo.isVisible()
    assert "Whole chain" not in dialog.heading.text()
