"""Sponsored badges at the counter (issue #17), through the real panel: a badge seen for a
second is recorded once, charged, and the badge leaves the cart (and its discount with it)
the moment the campaign's booked impressions are spent; a saved invoice converts them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import func, select

from db.models import AuditLog, SponsoredCampaign, SponsorImpression
from desktop.models.cart_model import BADGE_ROLE, ITEM
from desktop.panels.invoice_entry import InvoiceEntryPanel
from desktop.widgets.cart_table import badge_pill
from domain.sponsor_billing import Period
from services import catalog, patients, sponsors
from services import promotions as promotion_service
from services.sponsor_demo import CAMPAIGN_CODE as DEMO_CAMPAIGN
from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf
from tests.desktop.helpers import NOW, TODAY, save_screenshot
from tests.services.sponsor_helpers import a_sponsor, campaign_spec
from tests.services.test_promo_codes import PEELS10

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


def clicked(db):
    """(clicked, charged) of the test's own impressions."""
    with db.session(write=False) as session:
        return list(
            session.execute(
                select(SponsorImpression.clicked, SponsorImpression.charged)
                .join(SponsoredCampaign)
                .where(SponsoredCampaign.campaign_code != DEMO_CAMPAIGN)
            ).all()
        )


def badge_centre(panel: InvoiceEntryPanel, row: int):
    index = panel.cart.index(row, ITEM)
    pill, _font, _text = badge_pill(
        panel.table.visualRect(index), panel.table.font(), index.data(BADGE_ROLE)
    )
    return pill.center()


def test_a_badge_clicked_before_its_second_is_recorded_clicked_and_on_the_statement(
    qtbot, open_main_window, front_desk, manager, db, clock, tmp_path
):
    sponsor_festive500(db, manager, booked=50)
    window, panel, patient = counter_with_festive500(qtbot, open_main_window, front_desk, db, clock)
    # A click on the line's name opens nothing; a click on its badge opens it.
    name = panel.table.visualRect(panel.cart.index(0, ITEM)).topLeft() + QPoint(12, 8)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=name)
    assert "sponsored by" not in panel.item_message.text()
    clock.advance(300)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=badge_centre(panel, 0))
    assert "sponsored by Glowco Skincare Pvt Ltd" in panel.item_message.text()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert clicked(db) == []  # not recorded before its second: the click waits for it
    clock.advance(900)
    panel.tick_badges()
    qtbot.waitUntil(lambda: clicked(db) != [], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert clicked(db) == [(True, True)]

    # The statement of the period counts the click from the impressions.
    period = Period(date(2026, 11, 1), TODAY)
    billed = sponsors.bill_sponsor_period(db, manager, "GLOWCO-NOV", period, now=NOW)
    assert billed.invoice_number is not None and billed.impressions_billed == 1
    pdf = tmp_path / "statement.pdf"
    render_sponsor_invoice_pdf(
        sponsors.sponsor_invoice_document(db, manager, billed.invoice_number), pdf
    )
    text = PdfReader(pdf).pages[0].extract_text(extraction_mode="layout")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Clicks in the period 1" in lines and "Impressions billed 1" in lines, lines


def test_ctrl_i_opens_a_recorded_badge_and_clicks_it_a_plain_line_says_so(
    qtbot, open_main_window, front_desk, manager, db, clock
):
    sponsor_festive500(db, manager, booked=50)
    window, panel, patient = counter_with_festive500(qtbot, open_main_window, front_desk, db, clock)
    clock.advance(1200)
    panel.tick_badges()
    qtbot.waitUntil(lambda: clicked(db) != [], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert clicked(db) == [(False, True)]

    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.cart.index(1, ITEM))
    qtbot.keyClick(panel.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert "sponsored by Glowco Skincare Pvt Ltd" in panel.item_message.text()
    qtbot.waitUntil(lambda: clicked(db) == [(True, True)], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)

    # The HydraFacial leaves: under Rs.5,000, no badge on the sunscreen to open.
    panel.remove_line(0)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    panel.table.setCurrentIndex(panel.cart.index(0, ITEM))
    qtbot.keyClick(panel.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    assert panel.item_message.text() == "Select a line with a promotion badge to open it."
    assert clicked(db) == [(True, True)]


def test_a_sponsored_promotion_applied_with_its_code_is_clicked(
    qtbot, open_main_window, front_desk, manager, db, clock
):
    """Applying the badge is staff's doing too: the code the desk types for a sponsored
    promotion marks its impression clicked, once, however often the cart is priced."""
    promotion_service.save_promotion(db, manager, PEELS10, now=NOW)  # a code-only one
    promotion_service.save_code(
        db, manager, {"code": "PEEL10", "promotion_code": "PEELS10"}, now=NOW
    )
    a_sponsor(db, manager, NOW)
    spec = campaign_spec(deposit_amount="0", promotions=["PEELS10"])
    sponsors.add_sponsored_campaign(db, manager, spec, now=NOW)
    window = open_main_window(front_desk, clock=clock)
    panel = window.panel("invoice")
    assert isinstance(panel, InvoiceEntryPanel)
    panel.choose_patient(patients.find_patients(db, "a")[0])
    entry = catalog.item_by_code(db, "PEEL-GLY")
    assert entry is not None
    panel.add_item(entry)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.badge_views.on_show() == 0  # no code, no discount, no badge

    panel.code_field.setText("PEEL10")
    panel.apply_code()
    qtbot.waitUntil(lambda: panel.badge_views.on_show() == 1, timeout=WAIT_MS)
    assert any("PEELS10" in b for b in badges(panel))
    clock.advance(1200)
    panel.tick_badges()
    qtbot.waitUntil(lambda: clicked(db) != [], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert clicked(db) == [(True, True)]
    panel.add_item(entry)  # priced again, still applied: no second click
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    with db.session(write=False) as session:
        clicks = session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "sponsor.click")
        )
    assert clicks == 1
