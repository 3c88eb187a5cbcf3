"""The Invoices panel (issue #11): yesterday's invoice found by the patient's mobile as
people type it and by its number, reprinted by keyboard, cancelled by a manager."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDateEdit, QLineEdit, QPushButton
from sqlalchemy import select

from db.models import Patient
from desktop.panels.invoices import InvoicesPanel
from services import invoicing
from services.catalog import item_by_code
from services.invoicing import CartItem, CartRequest
from tests.desktop.helpers import NOW, save_screenshot

WAIT_MS = 10_000
LAKSHMI = "+91 79929 05876"  # the demo's first patient, as people type her mobile


@pytest.fixture
def yesterdays_invoice(db, front_desk) -> str:
    """An invoice saved yesterday for the demo's first patient; its number."""
    with db.session(write=False) as session:
        patient = session.scalars(select(Patient.id).where(Patient.mobile == "7992905876")).one()
    consult = item_by_code(db, "CONSULT")
    assert consult is not None
    saved = invoicing.save_invoice(
        db, front_desk, CartRequest(patient, (CartItem(consult.id),)), now=NOW - timedelta(days=1)
    )
    return saved.invoice_number


@pytest.fixture
def opened():
    return []


def open_panel(open_main_window, user, opened) -> InvoicesPanel:
    window = open_main_window(user, open_file=opened.append)
    window.show_panel("invoices")
    panel = window.panel("invoices")
    assert isinstance(panel, InvoicesPanel)
    return panel


def settle(qtbot, panel: InvoicesPanel) -> None:
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def search(qtbot, panel: InvoicesPanel, text: str) -> None:
    panel.search.setFocus()
    panel.search.clear()
    qtbot.keyClicks(panel.search, text)
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    settle(qtbot, panel)


def test_yesterdays_invoice_is_found_by_mobile_and_number_and_reprinted(
    qtbot, open_main_window, front_desk, yesterdays_invoice, opened, tmp_path
):
    panel = open_panel(open_main_window, front_desk, opened)
    settle(qtbot, panel)

    search(qtbot, panel, LAKSHMI)
    numbers = panel.model.column_texts(0)
    assert yesterdays_invoice in numbers
    assert numbers[0] == yesterdays_invoice  # newest first
    assert panel.model.column_texts(2)[0] == "Lakshmi Shetty"
    assert panel.model.column_texts(3)[0] == "79929 05876"
    assert QApplication.focusWidget() is panel.table  # Enter in the search goes to the table
    save_screenshot(panel.window(), "invoices_1366x768")

    search(qtbot, panel, yesterdays_invoice)
    assert panel.model.column_texts(0) == [yesterdays_invoice]
    assert panel.cancel_button is None  # the front desk cannot cancel
    assert not any("Cancel" in b.text() for b in panel.findChildren(QPushButton))

    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    settle(qtbot, panel)
    assert opened and opened[-1] == panel.last_pdf
    assert opened[-1].parent == tmp_path / "invoices"
    text = "".join(page.extract_text() for page in PdfReader(opened[-1]).pages)
    assert yesterdays_invoice in text

    # R reprints the receipt; with no printer on this computer it becomes a PDF, opened.
    qtbot.keyClick(panel.table, Qt.Key.Key_R)
    settle(qtbot, panel)
    assert opened[-1].name.endswith("-receipt.pdf") and opened[-1].parent == tmp_path / "invoices"
    assert panel.message.text() == f"No printer found: PDF saved to {opened[-1]}."
    receipt = "".join("".join(p.extract_text().split()) for p in PdfReader(opened[-1]).pages)
    assert yesterdays_invoice in receipt and "***UNPAID***" in receipt  # saved on account


def test_a_manager_cancels_an_invoice_with_a_reason(
    qtbot, open_main_window, manager, yesterdays_invoice, opened
):
    panel = open_panel(open_main_window, manager, opened)
    search(qtbot, panel, yesterdays_invoice)
    assert panel.cancel_button is not None and panel.cancel_button.isEnabled()

    panel.cancel_button.click()
    dialog = panel.reason_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("Billed to the wrong patient")
    dialog.accept()
    settle(qtbot, panel)

    assert panel.model.column_texts(6) == ["Cancelled"]
    assert f"{yesterdays_invoice} is cancelled" in panel.message.text()
    assert not panel.cancel_button.isEnabled()

    panel.status.setCurrentIndex(panel.status.findText("Issued"))
    settle(qtbot, panel)
    assert yesterdays_invoice not in panel.model.column_texts(0)


def test_tab_reaches_every_control(qtbot, open_main_window, manager, yesterdays_invoice, opened):
    panel = open_panel(open_main_window, manager, opened)
    search(qtbot, panel, yesterdays_invoice)
    panel.search.setFocus()
    wanted = [
        panel.search,
        panel.start,
        panel.end,
        panel.status,
        panel.table,
        panel.open_button,
        panel.receipt_button,
        panel.pay_button,
        panel.cancel_button,
    ]
    reached = []
    for _ in range(30):
        widget = QApplication.focusWidget()
        owner = next((w for w in wanted if w is widget or w.isAncestorOf(widget)), None)
        if owner is not None and owner not in reached:
            reached.append(owner)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    assert reached == wanted
    assert isinstance(panel.start, QDateEdit) and isinstance(panel.status, QComboBox)
    assert isinstance(panel.search, QLineEdit)


def test_the_panel_fits_a_small_window(qtbot, open_main_window, front_desk, opened):
    panel = open_panel(open_main_window, front_desk, opened)
    window = panel.window()
    window.resize(1024, 640)
    settle(qtbot, panel)
    save_screenshot(window, "invoices_1024x640")
    assert panel.model.rowCount() > 0


def test_a_refused_cancel_is_a_sentence_for_the_front_desk(
    qtbot, open_main_window, front_desk, yesterdays_invoice, opened
):
    panel = open_panel(open_main_window, front_desk, opened)
    search(qtbot, panel, yesterdays_invoice)
    panel.cancel(yesterdays_invoice, "Billed to the wrong patient")
    settle(qtbot, panel)
    said = panel.message.text()
    assert said and "Traceback" not in said and "manager" in said.lower()
    assert panel.model.column_texts(6) == ["Due"]
