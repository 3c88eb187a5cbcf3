"""The Sponsors panel at a branch that received the head office's sponsor and campaign from
the centre (issue #15; services.sync_pull.store, the real path): both marked as the head
office's, the campaign's summary says who bills it, and Alt+B does not bill it here. Grabbed
at 1366x768 and at the smallest window with no text cut."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from db import central
from desktop.models.sponsor_models import HEAD_OFFICE_CAMPAIGN
from desktop.panels.sponsors import SponsorsPanel
from services import sponsor_demo, sync_pull
from tests.desktop.helpers import NOW, fixed_clock, save_screenshot
from tests.desktop.test_small_window import SMALLEST, cut_text
from tests.services.invoice_helpers import promotion
from tests.services.sponsor_helpers import shown

WAIT_MS = 10_000
GLOWCO = "Glowco Skincare Pvt Ltd"
CODE = "GLOWCO-HO"


def receive_head_offices_campaign(db, branch_id) -> None:
    """The head office's Glowco and its campaign on GLOW20, as a pull stores them."""
    sponsor, campaign = uuid.uuid4(), uuid.uuid4()
    head_office = uuid.uuid4()  # the head office's branch: none here once stored
    rows: dict[str, list] = {table: [] for table in central.PULLED}
    rows["sponsors"] = [
        {
            "id": sponsor,
            "branch_id": head_office,
            "legal_name": GLOWCO,
            "contact_name": "Anita Desai",
            "contact_email": "billing@example.com",
            "contact_phone": "",
            "gstin": "29AAGCS1234K1Z7",
            "state_code": "29",
            "billing_address": "12 MG Road, Bengaluru 560001",
            "created_at": NOW,
            "updated_at": NOW,
            "retired_at": None,
        }
    ]
    rows["sponsored_campaigns"] = [
        {
            "id": campaign,
            "branch_id": head_office,
            "sponsor_id": sponsor,
            "campaign_code": CODE,
            "campaign_name": "Glowco across the chain",
            "billing_frequency": "weekly",
            "campaign_budget": 2_000_00,
            "cost_per_impression": 20_00,
            "booked_impressions": 100,
            "deposit_amount": 500_00,
            "discount_percent": Decimal(0),
            "branch_offline_quota": 10,
            "start_date": date(2026, 11, 1),
            "end_date": date(2026, 11, 30),
            "payment_terms_days": 15,
            "is_active": True,
            "notes": "",
            "created_at": NOW,
            "updated_at": NOW,
            "retired_at": None,
        }
    ]
    rows["sponsored_campaign_promotions"] = [
        {"campaign_id": campaign, "promotion_id": promotion(db, "GLOW20").id}
    ]
    sync_pull.store(db, branch_id, central.PulledRows(xmin=10, rows=rows), now=NOW)


@pytest.fixture
def panel(qtbot, db, manager, front_desk, branch_info, tmp_path):
    receive_head_offices_campaign(db, branch_info.id)
    shown(db, front_desk, 7, NOW)
    shown_panel = SponsorsPanel(
        db, manager, branch_info, clock=fixed_clock, pdf_folder=tmp_path, open_file=print
    )
    qtbot.addWidget(shown_panel)
    shown_panel.resize(1366 - 92, 768 - 100)  # the main window's room beside the rail
    shown_panel.show()
    qtbot.waitExposed(shown_panel)
    shown_panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown_panel)
    qtbot.waitUntil(shown_panel.is_idle, timeout=WAIT_MS)
    assert shown_panel.select_sponsor(GLOWCO)
    qtbot.waitUntil(lambda: shown_panel.campaigns.rowCount() == 1, timeout=WAIT_MS)
    return shown_panel


def test_the_head_offices_campaign_is_shown_as_theirs_and_not_billed_here(qtbot, panel):
    sponsor = panel.selected_sponsor()
    assert sponsor is not None and sponsor.head_office
    assert panel.sponsors.column_texts(0)[0] == f"{GLOWCO}\nHead office, 1 campaign"
    assert panel.campaigns.column_texts(0) == [f"{CODE} (head office)\nGlowco across the chain"]
    assert panel.campaigns.column_texts(1) == ["7 / 100"]
    summary = panel.summary_label.text()
    assert "7 of 100 impressions delivered" in summary and HEAD_OFFICE_CAMPAIGN in summary
    # No deposit taken here; the centre bills it, so Bill... is off and Alt+B says why.
    assert panel.invoices.rowCount() == 0
    assert not panel.bill_button.isEnabled()
    qtbot.keyClick(panel, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    assert panel.dialog is None or not panel.dialog.isVisible()
    assert panel.status_label.text() == HEAD_OFFICE_CAMPAIGN
    save_screenshot(panel, "sponsors_panel_head_office")

    # The demo clinic's own sponsor's campaign is still billed here.
    assert panel.select_sponsor(sponsor_demo.SPONSOR_NAME)
    qtbot.waitUntil(lambda: panel.campaigns.rowCount() == 1, timeout=WAIT_MS)
    assert panel.bill_button.isEnabled()


def test_the_panel_cuts_no_text_at_the_smallest_window(qtbot, panel):
    panel.resize(SMALLEST[0] - 92, SMALLEST[1] - 100)
    qtbot.wait(50)
    assert cut_text(panel) == []
    save_screenshot(panel, "sponsors_panel_head_office_smallest")
