"""The Sponsors panel (issue #17), driven by the keyboard as a manager: a sponsor added,
a billing cycle run, a payment recorded, the invoice's PDF written and read back; the
panel grabbed at 1366x768 and at the smallest window with no text cut."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.dialogs.sponsor_dialogs import (
    BillDialog,
    CampaignDialog,
    PaymentDialog,
    SponsorDialog,
)
from desktop.panels.sponsors import SponsorsPanel, bill_sentence
from services import sponsors
from tests.desktop.helpers import NOW, fixed_clock, save_screenshot
from tests.desktop.test_small_window import SMALLEST, cut_text
from tests.desktop.test_tab_order import assert_tab_reaches_everything
from tests.services.sponsor_helpers import a_sponsor, campaign_spec, settle, shown

WAIT_MS = 10_000
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def opened() -> list[Path]:
    return []


@pytest.fixture
def panel(qtbot, db, manager, desk_with_impressions, branch_info, tmp_path, opened):
    shown_panel = SponsorsPanel(
        db,
        manager,
        branch_info,
        clock=fixed_clock,
        pdf_folder=tmp_path / "sponsors",
        open_file=opened.append,
    )
    qtbot.addWidget(shown_panel)
    shown_panel.resize(1366 - 92, 768 - 100)  # the main window's room beside the rail
    shown_panel.show()
    qtbot.waitExposed(shown_panel)
    shown_panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown_panel)
    qtbot.waitUntil(shown_panel.is_idle, timeout=WAIT_MS)
    return shown_panel


@pytest.fixture
def desk_with_impressions(db, manager, front_desk):
    """Glowco's GLOW20 campaign (Rs.400 deposit, Rs.20 an impression) and 12 patients
    shown its badge today."""
    a_sponsor(db, manager, NOW)
    sponsors.add_sponsored_campaign(db, manager, campaign_spec(), now=NOW)
    shown(db, front_desk, 12, NOW)


def press(qtbot, panel, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key where the focus is (the panel itself when a closed dialog left it nowhere)."""
    qtbot.keyClick(QApplication.focusWidget() or panel, key, modifier)


def back_on(qtbot, panel) -> None:
    """The dialog closed: the panel's window is active again (offscreen, by hand)."""
    panel.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is panel, timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def dialog_of(panel, kind):
    assert isinstance(panel.dialog, kind), panel.dialog
    return panel.dialog


def test_a_manager_adds_bills_records_a_payment_and_opens_the_pdf(qtbot, panel, opened):
    # Glowco, and the demo clinic's own sponsor after it.
    assert [r.legal_name for r in panel.sponsors.rows()] == [
        "Glowco Skincare Pvt Ltd",
        "Velvera Injectables Pvt Ltd",
    ]
    (campaign,) = panel.campaigns.rows()
    assert campaign.campaign_code == "GLOWCO-NOV" and campaign.charged == 12
    assert panel.campaigns.column_texts(1) == ["12 / 60"]
    # The deposit invoice, issued when the campaign was added: 400 + 18% GST.
    assert panel.invoices.column_texts(0) == ["INDS/26-27/00004\nDeposit"]
    assert panel.invoices.column_texts(3) == ["Rs.472.00"]
    assert "12 of 60 impressions delivered" in panel.summary_label.text()
    save_screenshot(panel, "sponsors_panel")

    # Alt+S: a new sponsor, typed and saved with Enter.
    press(qtbot, panel, Qt.Key.Key_S, ALT)
    dialog = dialog_of(panel, SponsorDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.name_edit, timeout=WAIT_MS)
    save_screenshot(dialog, "sponsors_new_sponsor")
    qtbot.keyClicks(dialog.name_edit, "Dermaline Labs Ltd")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "27AABCG5678L1Z2")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.sponsors.rowCount() == 3, timeout=WAIT_MS)
    back_on(qtbot, panel)
    assert "Added sponsor Dermaline Labs Ltd" in panel.status_label.text()

    # Alt+C with Dermaline selected: its campaign on FESTIVE500, typed field by field.
    assert panel.select_sponsor("Dermaline Labs Ltd")
    press(qtbot, panel, Qt.Key.Key_C, ALT)
    adding = dialog_of(panel, CampaignDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is adding.code_edit, timeout=WAIT_MS)
    assert adding.sponsor_combo.currentText() == "Dermaline Labs Ltd"
    typed = {
        adding.code_edit: "DERMA-DEC",
        adding.name_edit: "Dermaline sunscreen",
        adding.promotions_edit: "FESTIVE500",
        adding.budget_edit: "5000",
        adding.rate_edit: "2.50",
        adding.booked_edit: "2000",
    }
    for edit, text in typed.items():
        edit.setFocus()
        qtbot.keyClicks(edit, text)
    adding.end_edit.setDate(adding.end_edit.date().addDays(20))
    save_screenshot(adding, "sponsors_new_campaign")
    qtbot.keyClick(adding.booked_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: panel.campaigns.rowCount() == 1 and panel.dialog is None, timeout=WAIT_MS
    )
    back_on(qtbot, panel)
    assert "Added sponsored campaign DERMA-DEC" in panel.status_label.text()
    assert panel.campaigns.column_texts(1) == ["0 / 2,000"]  # Rs.5,000 buys 2,000 at Rs.2.50

    # Back on Glowco's campaign, Alt+B bills from its first day to today: 12 x Rs.20.
    assert panel.select_sponsor("Glowco Skincare Pvt Ltd")
    press(qtbot, panel, Qt.Key.Key_B, ALT)
    bill = dialog_of(panel, BillDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is bill.start_edit, timeout=WAIT_MS)
    save_screenshot(bill, "sponsors_bill")
    qtbot.keyClick(bill.start_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.invoices.rowCount() == 2, timeout=WAIT_MS)
    back_on(qtbot, panel)
    assert "Issued" in panel.status_label.text()
    assert panel.invoices.column_texts(0)[1] == "INDS/26-27/00005\nCycle 1"
    assert panel.invoices.column_texts(1)[1] == "1 - 24 Nov 2026"
    assert panel.invoices.column_texts(3)[1] == "Rs.283.20"  # 240 + 43.20 GST

    # Alt+P on the cycle's invoice: Rs.100 by UPI.
    panel.invoices_table.setCurrentIndex(panel.invoices.index(1, 0))
    panel.invoices_table.setFocus()
    press(qtbot, panel, Qt.Key.Key_P, ALT)
    payment = dialog_of(panel, PaymentDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is payment.amount_edit, timeout=WAIT_MS)
    save_screenshot(payment, "sponsors_payment")
    payment.amount_edit.selectAll()
    qtbot.keyClicks(payment.amount_edit, "100")
    qtbot.keyClick(payment.amount_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "still owes" in panel.status_label.text(), timeout=WAIT_MS)
    back_on(qtbot, panel)
    assert "Rs.183.20" in panel.status_label.text()
    row = panel.invoices.row_of(payment.invoice.invoice_number)
    assert panel.invoices.column_texts(4)[row] == "Partially paid"
    assert panel.campaigns.column_texts(5) == ["Deposit pending"]
    save_screenshot(panel, "sponsors_panel_billed")

    # Alt+D writes the PDF and opens it; its text read back.
    panel.invoices_table.setCurrentIndex(panel.invoices.index(row, 0))
    press(qtbot, panel, Qt.Key.Key_D, ALT)
    qtbot.waitUntil(lambda: opened != [], timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    text = "\n".join(
        page.extract_text(extraction_mode="layout") for page in PdfReader(opened[0]).pages
    )
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for expected in (
        "TAX INVOICE",
        "Impressions billed 12",
        "Rate per impression ₹20.00",
        "Amount (impressions x rate) ₹240.00",
        "CGST 9% ₹21.60",
        "SGST 9% ₹21.60",
        "Invoice total ₹283.20",
        "Paid ₹100.00",
        "Amount due ₹183.20",
    ):
        assert expected in lines, (expected, lines)


def test_alt_t_stops_the_campaign_and_resumes_it(qtbot, panel, db, manager):
    """The selected campaign stops by keyboard: no badge, 'Stopped' in its pacing, the
    button reads Resume; Alt+T again resumes it."""
    selected = panel.selected_campaign()
    assert selected is not None
    code = selected.campaign_code

    def badges() -> dict[str, bool]:
        return {b.campaign_code: b.open for b in sponsors.sponsored_badges(db, now=NOW).values()}

    assert badges()[code]
    assert panel.stop_button.text() == "Stop" and panel.stop_button.isEnabled()
    press(qtbot, panel, Qt.Key.Key_T, ALT)
    qtbot.waitUntil(lambda: panel.stop_button.text() == "Resume", timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert code not in badges()
    assert panel.campaigns.column_texts(3)[panel.campaigns_table.currentIndex().row()] == "Stopped"
    assert "stopped by a manager" in panel.summary_label.text()
    assert panel.status_label.text().startswith(f"Stopped {code}")
    save_screenshot(panel, "sponsors_panel_stopped")
    press(qtbot, panel, Qt.Key.Key_T, ALT)
    qtbot.waitUntil(lambda: panel.stop_button.text() == "Stop", timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert badges()[code]
    assert panel.status_label.text() == f"Resumed {code}: its badges show again."


def test_tab_reaches_every_control_with_a_campaign_and_its_invoice(qtbot, panel):
    assert panel.pay_button.isEnabled() and panel.bill_button.isEnabled()
    assert_tab_reaches_everything(qtbot, panel, panel.sponsors_table)


def test_the_tables_pass_qts_model_checks(qtmodeltester, panel):
    for model in (panel.sponsors, panel.campaigns, panel.invoices):
        assert model.rowCount() > 0
        qtmodeltester.check(model)


@pytest.fixture
def settled(db, manager, desk_with_impressions):
    """Glowco's campaign settled today: 12 x Rs.20 = 240 supplied against the Rs.400
    deposit, so a credit note of 160 and its GST 28.80."""
    settle(db, manager, NOW)


def test_a_credit_note_s_total_reads_as_a_credit(qtbot, settled, panel):
    assert panel.invoices.column_texts(0) == [
        "INDS/26-27/00004\nDeposit",
        "INDSC26-27/00001\nCredit note",
    ]
    assert panel.invoices.column_texts(2) == ["Rs.472.00", "-Rs.188.80"]
    assert panel.invoices.column_texts(3) == ["Rs.472.00", "Rs.0.00"]  # owed
    tip = panel.invoices.data(panel.invoices.index(1, 2), Qt.ItemDataRole.ToolTipRole)
    assert tip == "Credit note: Rs.188.80 credited to the sponsor (Rs.160.00 and its GST Rs.28.80)"
    panel.resize(SMALLEST[0] - 92, SMALLEST[1] - 100)
    qtbot.wait(50)
    assert cut_text(panel) == []


def test_the_panel_cuts_no_text_at_the_smallest_window(qtbot, panel):
    panel.resize(SMALLEST[0] - 92, SMALLEST[1] - 100)
    qtbot.wait(50)
    assert cut_text(panel) == []
    # The campaign's code and each invoice's number are read whole in their lists, and no
    # list scrolls sideways (what the summary or the PDF says anyway gives way).
    for table in (panel.campaigns_table, panel.invoices_table):
        model = table.model()
        assert model.rowCount() > 0
        shown = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
        assert not table.horizontalScrollBar().isVisible()
        assert all(
            table.columnViewportPosition(c) + table.columnWidth(c) <= table.viewport().width()
            for c in shown
        )
        first_lines = [model.index(r, 0).data().splitlines()[0] for r in range(model.rowCount())]
        widest = max(table.fontMetrics().horizontalAdvance(text) for text in first_lines)
        assert widest + 16 <= table.columnWidth(0), first_lines
    save_screenshot(panel, "sponsors_panel_smallest")


def test_a_cycle_at_the_centre_names_each_branch_s_overrun():
    results = {
        "GLOWCO-INJ": sponsors.BillingResult(
            "HOS/26-27/00002", False, 5, 0, charged_in_chain=7, overrun_by_branch={"KOR": 2}
        ),
        "DERMA-DEC": sponsors.BillingResult(
            None, True, 3, 0, charged_in_chain=4, overrun_by_branch={"IND": 1, "KOR": 1}
        ),
    }
    assert bill_sentence(results) == (
        "Issued HOS/26-27/00002 (GLOWCO-INJ). Already billed: DERMA-DEC. "
        "Charged past the limit at branches, not billed: IND 1, KOR 3."
    )
    branch_only = {"GLOWCO-NOV": sponsors.BillingResult("INDS/26-27/00005", False, 12, 0)}
    assert bill_sentence(branch_only) == "Issued INDS/26-27/00005 (GLOWCO-NOV)."
