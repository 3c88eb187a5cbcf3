"""The patient page's dues and advances (issue #11), by keyboard: yesterday's invoice left on
Lakshmi's account is settled by UPI with Ctrl+D (the rest kept as an advance), an advance is
taken with Ctrl+Shift+A, and a manager sets her credit limit with Ctrl+L."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.dialogs.patient_page import PatientPageDialog
from desktop.dialogs.payment_dialog import PaymentDialog
from desktop.main_window import MINIMUM_HEIGHT, MINIMUM_WIDTH
from domain.payments import Method
from services import invoicing
from services.catalog import item_by_code
from services.invoicing import CartItem, CartRequest
from tests.desktop import test_patient_page as page_tests
from tests.desktop.helpers import NOW
from tests.desktop.test_patient_page import save_over_window
from tests.desktop.test_settings_panel import clipped_texts

WAIT_MS = 10_000
# Lakshmi, and her page opened for a user: the patient page tests' fixtures.
lakshmi = page_tests.lakshmi
open_page = page_tests.open_page
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def on_account(db, front_desk, lakshmi) -> invoicing.InvoiceDocument:
    """Yesterday's consultation, all of it left on her account."""
    consult = item_by_code(db, "CONSULT")
    assert consult is not None
    return invoicing.save_invoice(
        db,
        front_desk,
        CartRequest(lakshmi.id, (CartItem(consult.id),)),
        now=NOW - timedelta(days=1),
    )


def settle(qtbot, page: PatientPageDialog) -> None:
    """Wait for the page's reads and writes, and for it to be the active window again."""
    qtbot.waitUntil(page.is_idle, timeout=WAIT_MS)
    page.activateWindow()  # the offscreen platform gives no window back its focus
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=WAIT_MS)


def payment_dialog(qtbot, page: PatientPageDialog) -> PaymentDialog:
    dialog = page.payment_dialog
    assert isinstance(dialog, PaymentDialog)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.method_strip, timeout=WAIT_MS)
    return dialog


def test_her_dues_are_settled_by_upi_and_the_rest_kept_as_an_advance(
    qtbot, front_desk, on_account, open_page
):
    page = open_page(front_desk)
    owed = on_account.total_amount
    number = on_account.invoice_number
    assert page.payments_label.text().startswith(f"Owes Rs.{owed / 100:,.2f} on 1 invoice")
    assert page.tabs.tabText(3) == "&Dues (1)"
    assert page.dues_model.column_texts(0) == [number]
    assert page.account_figures["advance"].text() == "Rs.0.00"
    assert page.limit_button.isHidden()  # the front desk sets no credit limits

    qtbot.keyClick(page, Qt.Key.Key_D, CTRL)
    dialog = payment_dialog(qtbot, page)
    assert page.tabs.currentWidget() is page.dues_page
    assert dialog.amount.text() == f"{owed / 100:.2f}"
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_2)
    assert dialog.method() is Method.UPI
    qtbot.keyClicks(dialog.amount, f"{owed // 100 + 100}")  # Rs.100 more than is due
    with qtbot.waitSignal(dialog.taken, timeout=WAIT_MS):
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    settle(qtbot, page)

    assert page.payment_dialog is None
    assert page.dues_model.rowCount() == 0
    assert page.account_figures["owed"].text() == "Rs.0.00"
    assert page.account_figures["advance"].text() == "Rs.100.00"
    assert page.account_figures["balance"].text() == "Rs.100.00 in hand"
    assert f"Paid to {number}" in page.message() and "Rs.100.00 kept as an advance" in (
        page.message()
    )
    assert not page.settle_button.isEnabled()
    assert "Holds an advance of Rs.100.00" in page.payments_label.text()

    # Ctrl+Shift+A: an advance, the amount typed into an empty field.
    qtbot.keyClick(page, Qt.Key.Key_A, CTRL | SHIFT)
    dialog = payment_dialog(qtbot, page)
    assert dialog.amount.text() == ""
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_2)
    qtbot.keyClicks(dialog.amount, "250")
    with qtbot.waitSignal(dialog.taken, timeout=WAIT_MS):
        qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert page.account_figures["advance"].text() == "Rs.350.00"
    qtbot.keyClick(page, Qt.Key.Key_L, CTRL)
    assert page.limit_dialog is None


def test_a_manager_sets_her_credit_limit_by_keyboard(qtbot, manager, on_account, open_page):
    page = open_page(manager)
    assert page.account_figures["limit"].text() == "No limit"
    qtbot.keyClick(page, Qt.Key.Key_L, CTRL)
    dialog = page.limit_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("5,000")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    settle(qtbot, page)
    assert page.account_figures["limit"].text() == "Rs.5,000.00"
    assert "credit limit is now Rs.5,000.00" in page.message()

    qtbot.keyClick(page, Qt.Key.Key_L, CTRL)
    dialog = page.limit_dialog
    assert dialog is not None
    dialog.setTextValue("lots")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    settle(qtbot, page)
    assert "not changed" in page.message() and "'lots' is not an amount" in page.message()
    assert page.account_figures["limit"].text() == "Rs.5,000.00"


@pytest.mark.parametrize(
    "size", [(1366, 768), (MINIMUM_WIDTH, MINIMUM_HEIGHT)], ids=["1366x768", "minimum"]
)
def test_the_dues_section_fits_the_window(
    qtbot, open_main_window, manager, on_account, open_page, size
):
    window = open_main_window(manager)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0], timeout=WAIT_MS)
    page = open_page(manager, parent=window)
    page.tabs.setCurrentWidget(page.dues_page)
    name = f"patient_page_dues_{size[0]}x{size[1]}"
    save_over_window(window, page, name)
    assert clipped_texts(page) == []
    qtbot.keyClick(page, Qt.Key.Key_D, CTRL)
    dialog = payment_dialog(qtbot, page)
    save_over_window(window, dialog, f"{name}_settle")
    assert clipped_texts(dialog) == []
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.payment_dialog is None, timeout=WAIT_MS)
    page.close_page()
