"""The patient page's payments (issue #11): Lakshmi's payments newest first beside her dues,
and one taken by mistake reversed with Ctrl+R and a reason: by a manager at once, by the
front desk with a manager's PIN (a wrong one refuses). An empty reason and an advance already
used are refused in a sentence, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog
from sqlalchemy import select

from db.models import Payment
from desktop.dialogs.manager_pin import ManagerPinDialog
from desktop.dialogs.patient_page import PatientPageDialog
from desktop.main_window import MINIMUM_HEIGHT, MINIMUM_WIDTH
from domain.payments import Method, TenderLine
from services import invoicing, patients
from services import payments as payment_service
from services.catalog import item_by_code
from services.invoicing import CartItem, CartRequest
from tests.desktop import test_patient_page as page_tests
from tests.desktop.helpers import MANAGER, NOW, save_screenshot
from tests.desktop.test_patient_page import save_over_window
from tests.desktop.test_patient_page_dues import settle
from tests.desktop.test_settings_panel import clipped_texts

WAIT_MS = 10_000
lakshmi = page_tests.lakshmi
open_page = page_tests.open_page
CTRL = Qt.KeyboardModifier.ControlModifier


def consultation(db, lakshmi) -> CartRequest:
    consult = item_by_code(db, "CONSULT")
    assert consult is not None
    return CartRequest(lakshmi.id, (CartItem(consult.id),))


@pytest.fixture
def paid_by_upi(db, front_desk, lakshmi) -> invoicing.InvoiceDocument:
    """Yesterday's consultation, paid in full by UPI at the counter."""
    request = consultation(db, lakshmi)
    when = NOW - timedelta(days=1)
    payable = invoicing.quote(db, front_desk, request, now=when).priced.totals.payable
    return invoicing.save_invoice(
        db, front_desk, request, now=when, payments=[TenderLine(Method.UPI, payable, "UTR4455")]
    )


def upi_row(page: PatientPageDialog) -> int:
    [row] = [
        number
        for number, entry in enumerate(page.payments_model.rows())
        if entry.method == "upi" and entry.kind == "sale"
    ]
    return row


def reversals(db, payment_id) -> list[Payment]:
    with db.session(write=False) as session:
        return list(session.scalars(select(Payment).where(Payment.reverses_id == payment_id)))


def ask_reason(qtbot, page: PatientPageDialog, row: int) -> QInputDialog:
    """Select the payment on `row` and press Ctrl+R: the reason is asked."""
    page.tabs.setCurrentWidget(page.dues_page)
    page.account_tabs.setCurrentWidget(page.payments_page)
    page.payments_table.selectRow(row)
    page.payments_table.setFocus()
    assert page.reverse_button.isEnabled()
    qtbot.keyClick(page.payments_table, Qt.Key.Key_R, CTRL)
    dialog = page.reason_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def give_reason(qtbot, dialog: QInputDialog, reason: str) -> None:
    dialog.setTextValue(reason)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)


def test_a_manager_reverses_a_upi_payment_and_the_invoice_is_owed_again(
    qtbot, db, manager, paid_by_upi, open_page
):
    page = open_page(manager)
    number, payable = paid_by_upi.invoice_number, paid_by_upi.total_amount
    assert page.dues_model.rowCount() == 0
    assert page.account_tabs.tabText(1) == "Pa&yments (1)"
    row = upi_row(page)
    entry = page.payments_model.row(row)
    assert page.payments_model.column_texts(1)[row] == f"Sale by UPI UTR4455\n{number}"
    assert not page.reverse_button.isEnabled()  # nothing selected yet

    dialog = ask_reason(qtbot, page, row)
    assert "UPI UTR4455" in dialog.labelText() and number in dialog.labelText()
    give_reason(qtbot, dialog, "UPI failed at the bank")
    settle(qtbot, page)

    rupees = f"Rs.{payable / 100:,.2f}"
    assert page.message() == f"Reversed {rupees} by UPI UTR4455. {number} owes {rupees} again."
    assert page.dues_model.column_texts(0) == [number]
    assert page.account_figures["owed"].text() == rupees
    assert page.tabs.tabText(3) == "&Dues (1)"
    # Newest first: the reversal over the payment it reverses, which reads reversed.
    assert page.payments_model.column_texts(1) == [
        "Reversal by UPI UTR4455\nUPI failed at the bank",
        f"Sale by UPI UTR4455\n{number}, reversed",
    ]
    assert page.payments_model.column_texts(2) == [f"-{rupees}", rupees]
    assert page.account_tabs.tabText(0) == "&Open invoices (1)"
    [reversal] = reversals(db, entry.id)
    assert (reversal.amount, reversal.created_by, reversal.approved_by) == (
        -payable,
        manager.id,
        None,
    )
    # Neither row can be reversed now.
    for row in (0, 1):
        page.payments_table.selectRow(row)
        assert not page.reverse_button.isEnabled()
    qtbot.keyClick(page.payments_table, Qt.Key.Key_R, CTRL)
    assert page.reason_dialog is None


def test_the_front_desk_needs_a_managers_pin_and_a_wrong_one_refuses(
    qtbot, db, front_desk, manager, paid_by_upi, open_page
):
    page = open_page(front_desk)
    assert "with a manager's PIN" in page.payments_keys.text()
    entry = page.payments_model.row(upi_row(page))
    give_reason(qtbot, ask_reason(qtbot, page, upi_row(page)), "Wrong patient")

    pin = page.manager_dialog
    assert isinstance(pin, ManagerPinDialog)
    qtbot.waitExposed(pin)
    qtbot.waitUntil(pin.is_idle, timeout=WAIT_MS)  # the managers listed
    save_screenshot(pin, "patient_page_reverse_manager_pin")
    assert clipped_texts(pin) == []
    assert "needs a manager's approval" in pin.reason_label.text()
    pin.manager_box.setCurrentIndex(pin.manager_box.findData(MANAGER[0]))
    qtbot.keyClicks(pin.pin_field, "0000")
    qtbot.keyClick(pin.pin_field, Qt.Key.Key_Return)
    assert not pin.allow_button.isEnabled()  # checking: a second Enter checks nothing
    qtbot.waitUntil(pin.is_idle, timeout=WAIT_MS)
    assert pin.isVisible() and pin.message.text()  # refused; the dialog stays
    assert pin.allow_button.isEnabled() and pin.pin_field.text() == ""
    qtbot.waitUntil(page.is_idle, timeout=WAIT_MS)
    assert reversals(db, entry.id) == []
    assert page.dues_model.rowCount() == 0

    qtbot.keyClicks(pin.pin_field, MANAGER[1])
    qtbot.keyClick(pin.pin_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.manager_dialog is None, timeout=WAIT_MS)
    settle(qtbot, page)

    [reversal] = reversals(db, entry.id)
    assert (reversal.created_by, reversal.approved_by) == (front_desk.id, manager.id)
    assert reversal.notes == "Wrong patient"
    assert page.message().endswith(f"Allowed by {manager.full_name}.")
    assert page.dues_model.column_texts(0) == [paid_by_upi.invoice_number]
    assert page.payments_model.column_texts(1)[1].endswith(", reversed")


def test_an_empty_reason_is_refused_and_no_one_is_asked(
    qtbot, db, front_desk, paid_by_upi, open_page
):
    page = open_page(front_desk)
    entry = page.payments_model.row(upi_row(page))
    give_reason(qtbot, ask_reason(qtbot, page, upi_row(page)), "   ")
    settle(qtbot, page)
    assert page.message() == "The payment was not reversed. Say why it is reversed."
    assert page.manager_dialog is None
    assert reversals(db, entry.id) == []
    assert page.reverse_button.isEnabled()


def test_an_advance_already_used_is_not_reversed_and_the_page_says_why(
    qtbot, db, front_desk, manager, lakshmi, open_page
):
    receipt = payment_service.take_advance(
        db,
        front_desk,
        lakshmi.id,
        [TenderLine(Method.UPI, 200_000, "UTR777")],
        now=NOW - timedelta(days=2),
    )
    invoicing.save_invoice(
        db,
        front_desk,
        consultation(db, lakshmi),
        now=NOW - timedelta(days=1),
        payments=[TenderLine(Method.ADVANCE, 50_000)],
    )
    page = open_page(manager)
    [advance_row] = [
        row
        for row, entry in enumerate(page.payments_model.rows())
        if entry.id == receipt.payment_ids[0]
    ]
    assert page.payments_model.column_texts(1)[advance_row] == (
        "Advance by UPI UTR777\nKept as an advance"
    )
    give_reason(qtbot, ask_reason(qtbot, page, advance_row), "Typed twice")
    settle(qtbot, page)

    assert page.message() == (
        "The payment was not reversed. The advance this payment made has been used on an "
        "invoice since: refund or cancel that invoice first"
    )
    assert reversals(db, receipt.payment_ids[0]) == []
    assert page.account_figures["advance"].text() == "Rs.1,500.00"
    assert page.reverse_button.isEnabled()


def cut_cells(table) -> list[str]:
    """The columns of a table narrower than what they hold."""
    return [
        str(table.model().headerData(column, Qt.Orientation.Horizontal))
        for column in range(table.model().columnCount())
        if table.sizeHintForColumn(column) > table.columnWidth(column) + 1
    ]


@pytest.mark.parametrize(
    "size", [(1366, 768), (MINIMUM_WIDTH, MINIMUM_HEIGHT)], ids=["1366x768", "minimum"]
)
def test_the_payments_tab_fits_the_window(
    qtbot, db, open_main_window, manager, paid_by_upi, lakshmi, open_page, size
):
    advance = payment_service.take_advance(
        db, manager, lakshmi.id, [TenderLine(Method.CARD, 150_000, "SLIP 20931")], now=NOW
    )
    window = open_main_window(manager)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0], timeout=WAIT_MS)
    page = open_page(manager, parent=window)
    give_reason(qtbot, ask_reason(qtbot, page, upi_row(page)), "UPI failed at the bank")
    settle(qtbot, page)
    page.payments_table.selectRow(0)
    name = f"patient_page_payments_{size[0]}x{size[1]}"
    save_over_window(window, page, name)
    assert clipped_texts(page) == []
    assert cut_cells(page.payments_table) == []
    assert page.payments_table.verticalScrollBar().maximum() == 0  # three rows, all shown

    dialog = ask_reason(qtbot, page, page.payments_model.row_of(str(advance.payment_ids[0])))
    save_over_window(window, dialog, f"{name}_reason")
    assert clipped_texts(dialog) == []
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.reason_dialog is None, timeout=WAIT_MS)
    page.close_page()


def test_the_walk_in_customer_lists_no_payments_to_reverse(
    qtbot, db, branch_info, manager, front_desk
):
    walk_in = patients.walk_in_patient(db, front_desk, now=NOW)
    spf = item_by_code(db, "SPF50")
    assert spf is not None
    request = CartRequest(walk_in.id, (CartItem(spf.id),))
    payable = invoicing.quote(db, front_desk, request, now=NOW).priced.totals.payable
    invoicing.save_invoice(
        db, front_desk, request, now=NOW, payments=[TenderLine(Method.UPI, payable, "UTR1")]
    )
    page = PatientPageDialog(
        db, manager, walk_in.id, timezone=branch_info.details.timezone, clock=lambda: NOW
    )
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
    # It stands for everyone not registered: its money is taken with each sale.
    assert page.payments_model.rowCount() == 0
    assert page.account_tabs.tabText(1) == "Pa&yments (0)"
    qtbot.keyClick(page, Qt.Key.Key_R, CTRL)
    assert page.reason_dialog is None and not page.reverse_button.isEnabled()
