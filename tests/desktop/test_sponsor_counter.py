"""Sponsored badges at the counter (issue #17), through the real panel: a badge seen for a
second is recorded once, charged, and the badge leaves the cart (and its discount with it)
the moment the campaign's booked impressions are spent; a saved invoice converts them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from db.models import SponsoredCampaign, SponsorImpression
from desktop.models.cart_model import BADGE_ROLE, ITEM
from desktop.panels.invoice_entry import InvoiceEntryPanel
from services import catalog, patients
from services.sponsor_demo import CAMPAIGN_CODE as DEMO_CAMPAIGN
from tests.desktop.helpers import NOW, save_screenshot
from tests.services.sponsor_helpers import a_sponsor, campaign_spec

WAIT_MS = 10_000


class Clock:
    """The counter's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now

    def advance(self, ms: int) -> None:
        self.now += timedelta(milliseconds=ms)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sponsor_festive500(db, manager, booked: int) -> None:
    a_sponsor(db, manager, NOW)
    spec = campaign_spec(booked_impressions=booked, deposit_amount="0", promotions=["FESTIVE500"])
    from services import sponsors

    sponsors.add_sponsored_campaign(db, manager, spec, now=NOW)


def counter_with_festive500(qtbot, open_main_window, front_desk, db, clock):
    """The counter with a patient, a HydraFacial and a sunscreen: FESTIVE500 takes Rs.500
    off the invoice, its badge under both lines."""
    window = open_main_window(front_desk, clock=clock)
    panel = window.panel("invoice")
    assert isinstance(panel, InvoiceEntryPanel)
    patient = patients.find_patients(db, "a")[0]
    panel.choose_patient(patient)
    for code in ("HYDRAFACIAL", "SPF50"):
        entry = catalog.item_by_code(db, code)
        assert entry is not None
        panel.add_item(entry)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    return window, panel, patient


def badges(panel: InvoiceEntryPanel) -> list[str]:
    rows = range(panel.cart.rowCount())
    return [b for r in rows if (b := panel.cart.index(r, ITEM).data(BADGE_ROLE))]


def impressions(db):
    with db.session(write=False) as session:
        return list(
            session.execute(
                select(
                    SponsorImpression.viewer_key,
                    SponsorImpression.is_viewable,
                    SponsorImpression.charged,
                    SponsorImpression.converted,
                )
                .join(SponsoredCampaign)
                .where(SponsoredCampaign.campaign_code != DEMO_CAMPAIGN)  # the demo's own
            ).all()
        )


def test_the_badge_leaves_the_counter_once_the_booked_impressions_are_spent(
    qtbot, open_main_window, front_desk, manager, db, clock
):
    sponsor_festive500(db, manager, booked=1)
    window, panel, patient = counter_with_festive500(qtbot, open_main_window, front_desk, db, clock)
    assert any("FESTIVE500" in b for b in badges(panel))
    assert panel.badge_views.on_show() == 1
    save_screenshot(window, "sponsor_badge_at_the_counter")

    clock.advance(400)
    panel.tick_badges()
    assert impressions(db) == []  # not yet a second
    clock.advance(700)
    panel.tick_badges()
    qtbot.waitUntil(lambda: impressions(db) != [], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert impressions(db) == [(str(patient.id), True, True, False)]

    # The one booked impression is spent: priced again, FESTIVE500 neither shows nor applies.
    qtbot.waitUntil(lambda: not any("FESTIVE500" in b for b in badges(panel)), timeout=WAIT_MS)
    quote = panel.session.current_quote()
    assert quote is not None
    assert "FESTIVE500" not in {a.campaign_code for a in quote.priced.applied}
    assert panel.badge_views.on_show() == 0 and not panel._badge_timer.isActive()


def test_a_badge_flashed_past_is_recorded_not_billable_and_a_saved_invoice_converts(
    qtbot, open_main_window, front_desk, manager, db, clock
):
    sponsor_festive500(db, manager, booked=50)
    window, panel, patient = counter_with_festive500(qtbot, open_main_window, front_desk, db, clock)
    # Half a second, then the HydraFacial leaves the cart (under Rs.5,000, no FESTIVE500):
    # recorded, not viewable, not charged.
    clock.advance(500)
    panel.remove_line(0)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert impressions(db) == [(str(patient.id), False, False, False)]

    # Back on the cart and seen for over a second: viewable and charged.
    entry = catalog.item_by_code(db, "HYDRAFACIAL")
    assert entry is not None
    panel.add_item(entry)
    qtbot.waitUntil(lambda: panel.badge_views.on_show() == 1, timeout=WAIT_MS)
    clock.advance(1200)
    panel.tick_badges()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert sorted(impressions(db)) == [
        (str(patient.id), False, False, False),
        (str(patient.id), True, True, False),
    ]

    # Saved with FESTIVE500 applied: its badge is printed on the invoice (an impression,
    # not billed: the patient saw it today) and the patient's impressions are converted.
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    qtbot.keyClick(panel.window().focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.saved_card.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: any(row[3] for row in impressions(db)), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert sorted(impressions(db)) == [
        (str(patient.id), False, False, True),
        (str(patient.id), True, False, True),  # printed
        (str(patient.id), True, True, True),
    ]
    assert panel.badge_views.on_show() == 0 and not panel._badge_timer.isActive()
