"""The Invoices panel's money (issue #11): what was paid on each invoice and where it stands;
yesterday's invoice, part paid at the counter, found by the patient's mobile, reprinted,
and its balance taken by card with Y."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from db.models import Patient
from desktop.dialogs.payment_dialog import PaymentDialog
from desktop.main_window import MINIMUM_HEIGHT, MINIMUM_WIDTH
from domain.money import format_rupees
from domain.payments import Method, TenderLine
from services import invoicing
from services.catalog import item_by_code
from services.invoicing import CartItem, CartRequest
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_invoices_panel import open_panel, search

WAIT_MS = 10_000
LAKSHMI = "+91 79929 05876"  # the demo's first patient, as people type her mobile
UPI_PART = 20_000  # Rs.200 paid by UPI at the counter yesterday


@pytest.fixture
def part_paid(db, front_desk) -> invoicing.InvoiceDocument:
    """An invoice saved yesterday for the demo's first patient, Rs.200 of it paid by UPI
    with the sale and the rest left on her account."""
    with db.session(write=False) as session:
        patient = session.scalars(select(Patient.id).where(Patient.mobile == "7992905876")).one()
    consult = item_by_code(db, "CONSULT")
    assert consult is not None
    yesterday = NOW - timedelta(days=1)
    payable = invoicing.quote(
        db, front_desk, CartRequest(patient, (CartItem(consult.id),)), now=yesterday
    ).priced.totals.payable
    assert payable > UPI_PART
    return invoicing.save_invoice(
        db,
        front_desk,
        CartRequest(patient, (CartItem(consult.id),)),
        now=yesterday,
        payments=[
            TenderLine(Method.UPI, UPI_PART),
            TenderLine(Method.ON_ACCOUNT, payable - UPI_PART),
        ],
    )


def rupees(paise: int) -> str:
    return format_rupees(paise, symbol="")


def test_yesterdays_part_paid_invoice_is_found_by_mobile_reprinted_and_paid_by_card(
    qtbot, open_main_window, front_desk, part_paid, tmp_path
):
    opened: list = []
    panel = open_panel(open_main_window, front_desk, opened)
    number, payable = part_paid.invoice_number, part_paid.total_amount
    search(qtbot, panel, LAKSHMI)
    model = panel.model
    assert model.column_texts(0)[0] == number  # newest first
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Paid Rs."
    assert model.column_texts(4)[0] == rupees(payable)
    assert model.column_texts(5)[0] == rupees(UPI_PART)
    assert model.column_texts(6)[0] == "Partly paid"
    save_screenshot(panel.window(), "invoices_paid_1366x768")

    # P reprints yesterday's invoice, its payment on it.
    qtbot.keyClick(panel.table, Qt.Key.Key_P)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    text = "".join(page.extract_text() for page in PdfReader(opened[-1]).pages)
    assert number in text

    # Y: the payment dialog, for what is still owed.
    qtbot.keyClick(panel.table, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: panel.payment_dialog is not None, timeout=WAIT_MS)
    dialog = panel.payment_dialog
    assert isinstance(dialog, PaymentDialog)
    qtbot.waitExposed(dialog)
    owed = payable - UPI_PART
    assert dialog.amount.text() == f"{owed / 100:.2f}"
    assert [b.text() for b in dialog.method_buttons] == [
        "&1 Cash",
        "&2 UPI",
        "&3 Card",
        "&4 Wallet",
    ]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.method_strip, timeout=WAIT_MS)

    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_3)  # card: it needs the slip's number
    assert dialog.method() is Method.CARD
    assert QApplication.focusWidget() is dialog.amount and dialog.amount.selectedText()
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dialog.reference
    assert "Card reference" in dialog.message_text()
    save_screenshot(dialog, "payment_dialog")
    qtbot.keyClicks(dialog.reference, "SLIP 4321")
    with qtbot.waitSignal(dialog.taken, timeout=WAIT_MS):
        qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)

    assert panel.payment_dialog is None
    assert model.column_texts(0)[0] == number  # the row read again, still chosen
    assert model.column_texts(5)[0] == rupees(payable)
    assert model.column_texts(6)[0] == "Paid"
    assert f"Took {format_rupees(owed)} on {number}" in panel.message.text()
    assert not panel.pay_button.isEnabled()  # nothing left to take

    panel.status.setCurrentIndex(panel.status.findText("Due"))
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert number not in model.column_texts(0)
    panel.status.setCurrentIndex(panel.status.findText("Paid"))
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert model.column_texts(0)[0] == number


def test_a_refused_payment_stays_in_the_dialog_as_a_sentence(
    qtbot, open_main_window, front_desk, part_paid
):
    panel = open_panel(open_main_window, front_desk, [])
    search(qtbot, panel, part_paid.invoice_number)
    qtbot.keyClick(panel.table, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: panel.payment_dialog is not None, timeout=WAIT_MS)
    dialog = panel.payment_dialog
    assert dialog is not None
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_2)
    qtbot.keyClicks(dialog.amount, "abc")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    assert "is not an amount in rupees" in dialog.message_text()
    assert dialog.isVisible()

    # Invoiced on account and paid since, elsewhere: the service refuses; the dialog says so.
    invoicing_left = part_paid.total_amount - UPI_PART
    from services.payments import take_payment

    take_payment(
        panel._db,  # noqa: SLF001 (the test plays another desk)
        front_desk,
        part_paid.invoice_number,
        [TenderLine(Method.UPI, invoicing_left)],
        now=NOW,
    )
    dialog.amount.setText("10")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.is_idle, timeout=WAIT_MS)
    said = dialog.message_text()
    assert "is paid" in said and "Traceback" not in said
    assert dialog.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.payment_dialog is None, timeout=WAIT_MS)


def test_the_paid_column_fits_the_smallest_window(qtbot, open_main_window, front_desk, part_paid):
    panel = open_panel(open_main_window, front_desk, [])
    window = panel.window()
    window.resize(MINIMUM_WIDTH, MINIMUM_HEIGHT)
    search(qtbot, panel, LAKSHMI)
    save_screenshot(window, "invoices_paid_minimum")
    header = panel.table.horizontalHeader()
    shown = sum(header.sectionSize(i) for i in range(panel.model.columnCount()))
    assert shown <= panel.table.viewport().width()
