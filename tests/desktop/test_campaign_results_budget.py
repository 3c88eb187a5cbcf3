"""The results view says how many trigger messages the budget stopped (issue #16,
campaigns rule 3), whole at 1366x768 and at the smallest window."""

from __future__ import annotations

import dataclasses

import pytest

from services.campaigns import campaigns as campaign_service
from tests.desktop.helpers import save_screenshot
from tests.desktop.test_campaigns_panel import SIZES, open_panel, results_drawn
from tests.desktop.test_settings_panel import clipped_texts


@pytest.mark.parametrize("size", SIZES)
def test_the_results_say_how_many_trigger_messages_the_budget_stopped(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    results_drawn(qtbot, panel)
    results = campaign_service.campaign_results(db, manager, panel.selected_campaign().id)
    view = panel.results_view

    view.set_results(dataclasses.replace(results, budget_stopped=1234))

    assert view.decision_label.text().endswith("The budget stopped 1,234 trigger messages.")
    assert view.figures["recipients"].caption.text() == "Recipients"
    save_screenshot(view, f"campaigns_results_budget_{size[0]}x{size[1]}")
    assert clipped_texts(window) == []
