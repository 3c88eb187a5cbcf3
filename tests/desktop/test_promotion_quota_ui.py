"""A capped promotion's offline quota in the Promotions panel (issue #15), through the real
widgets on the demo clinic: the dialog sets it (and refuses one without a limit beside its
field), a sale at this branch counts against it, and the promotion's detail says the quota
and how many of its uses the centre has not counted yet; what went past the limit while
branches were offline reads as a line of its own."""

from __future__ import annotations

import uuid

import pytest

from desktop.panels.promotions import quota_lines
from services import catalog, invoicing
from services import promotions as promotion_service
from services.invoicing import CartItem, CartRequest
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_invoice_entry import a_patient
from tests.desktop.test_promotions_panel import (  # noqa: F401 (the admin fixture)
    LEFT,
    admin,
    idle,
    row_of,
    save_dialog,
    type_into,
    wait_closed,
)


def test_the_dialog_sets_the_quota_and_the_detail_shows_it(qtbot, db, manager, admin):  # noqa: F811
    window, panel = admin
    qtbot.mouseClick(panel.new_promotion_button, LEFT)
    dialog = panel.dialog
    type_into(qtbot, dialog.code_edit, "PEELQ10")
    type_into(qtbot, dialog.name_edit, "10% off peels, 5 in the chain")
    type_into(qtbot, dialog.percent_edit, "10")
    type_into(qtbot, dialog.categories_edit, "Peels")
    type_into(qtbot, dialog.quota_edit, "2")
    save_dialog(qtbot, dialog)
    assert dialog.form.errors() == {
        "branch_offline_quota": "An offline quota is for a promotion with a limit of uses in "
        "total: set the limit"
    }
    assert dialog.quota_edit.property("invalid") is True
    type_into(qtbot, dialog.max_total_edit, "5")
    save_screenshot(dialog, "promotion_dialog_offline_quota")
    save_dialog(qtbot, dialog)
    wait_closed(qtbot, panel)
    spec = promotion_service.export_promotion(db, manager, "PEELQ10")
    assert (spec["max_total_uses"], spec["branch_offline_quota"]) == (5, 2)

    # A sale here: one use the centre has not counted (this branch has never synced).
    patient_id = a_patient(db).id
    peel = catalog.item_by_code(db, "PEEL-GLY")
    request = CartRequest(patient_id=patient_id, items=(CartItem(peel.id),))
    sold = invoicing.save_invoice(db, manager, request, now=NOW)
    assert "PEELQ10" in str(sold.campaigns_applied)
    panel.refresh()
    idle(qtbot, panel)
    assert panel.select("PEELQ10")
    idle(qtbot, panel)
    assert row_of(panel.promotions, "PEELQ10")["Uses"] == "1 / 5"
    assert (
        "Offline quota 2 a branch: 1 used here that the centre has not counted yet"
        in panel.detail_line2.text()
    )
    save_screenshot(window, "promotions_offline_quota_1366x768")
    window.resize(1024, 640)
    idle(qtbot, panel)
    save_screenshot(window, "promotions_offline_quota_1024x640")


@pytest.mark.parametrize(
    ("overrun", "line"),
    [
        ((("KOR", 1),), "1 over the limit, sold while branches were offline (KOR 1)"),
        ((), "1 over the limit, sold while branches were offline"),
    ],
)
def test_the_overrun_reads_as_a_line_of_its_own(overrun, line):
    row = promotion_service.PromotionRow(
        id=uuid.uuid4(),
        campaign_code="CHAIN10",
        campaign_name="Chain 10",
        promotion_type="percentage",
        status="auto_deactivated",
        uses=6,
        max_total_uses=5,
        discount_given=0,
        start_date=None,
        end_date=None,
        requires_code=False,
        is_stackable=False,
        priority=100,
        branch_offline_quota=2,
        offline_uses=0,
        overrun_by_branch=overrun,
    )
    assert quota_lines(row) == [
        "Offline quota 2 a branch: 0 used here that the centre has not counted yet",
        line,
    ]
