"""Refund by credit note from the Invoices panel (issue #11), by keyboard: F on an invoice,
a digit on the Botox line, the value shown live (the free consultation given back), the
reason, cash, the manager's name and PIN (a wrong PIN first), Enter."""

from __future__ import annotations

from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from db.models import CreditNote, Payment
from desktop.dialogs.refund_dialog import RefundDialog
from domain.payments import Method, TenderLine
from services import invoicing
from tests.desktop.helpers import NOW, SCREENSHOTS
from tests.desktop.test_invoices_panel import open_panel, search
from tests.services.invoice_helpers import cart

WAIT_MS = 10_000


def screenshot_with_dialog(window, dialog, name):
    """The window at its size with the dialog drawn where it stands on it."""
    QApplication.processEvents()
    picture = window.grab()
    painter = QPainter(picture)
    offset = dialog.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    if not window.rect().contains(offset):
        offset = QPoint(
            (window.width() - dialog.width()) // 2, (window.height() - dialog.height()) // 2
        )
    painter.drawPixmap(offset, dialog.grab())
    painter.end()
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert picture.save(str(path))
    return path


def test_front_desk_refunds_the_botox_with_a_managers_pin(qtbot, open_main_window, db, front_desk):
    sold = invoicing.save_invoice(
        db,
        front_desk,
        cart(db, "BOTOX50", "CONSULT"),
        now=NOW,
        payments=[TenderLine(Method.CASH, 450_000)],
    )
    botox_row = next(i for i, line in enumerate(sold.lines) if line.item_code == "BOTOX50")
    opened: list = []
    panel = open_panel(open_main_window, front_desk, opened)
    search(qtbot, panel, sold.invoice_number)
    assert panel.model.column_texts(0) == [sold.invoice_number]

    qtbot.keyClick(panel.table, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: panel.refund_dialog is not None, timeout=WAIT_MS)
    dialog = panel.refund_dialog
    assert isinstance(dialog, RefundDialog)
    qtbot.waitExposed(dialog)
    assert QApplication.focusWidget() is dialog.table
    assert not dialog.approver.isHidden()  # front desk: a manager approves

    for _ in range(botox_row):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.table, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: dialog.last_preview is not None, timeout=WAIT_MS)
    qtbot.waitUntil(dialog.is_idle, timeout=WAIT_MS)
    assert dialog.amount.text() == "Refund Rs.4,000.00"
    assert "PREMIUM_CONSULT no longer applies" in dialog.breakdown.text()
    assert "Rs.500.00 of discount is given back" in dialog.breakdown.text()

    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dialog.reason
    qtbot.keyClicks(dialog.reason, "Treatment not given")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dialog.method_strip
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_1)  # cash
    assert dialog.method() is Method.CASH
    qtbot.waitUntil(lambda: "paid back by Cash" in dialog.breakdown.text(), timeout=WAIT_MS)
    qtbot.keyClick(dialog.method_strip, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dialog.reference
    qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is dialog.approver
    qtbot.keyClicks(dialog.approver, "meera")
    qtbot.keyClick(dialog.approver, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.pin, "9999")
    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.is_idle, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.message.objectName() == "FieldError"
    assert dialog.pin.text() == ""
    qtbot.keyClicks(dialog.pin, "2222")
    screenshot_with_dialog(panel.window(), dialog, "refund_dialog_1366x768")

    qtbot.keyClick(dialog.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.refund_dialog is None, timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.message.text() == "Credit note INDC/26-27/00001: Rs.4,000.00."
    assert panel.model.column_texts(6)[0] == "Refunded"
    # The credit note's PDF is written and opened.
    assert opened and opened[-1].name == "INDC-26-27-00001.pdf"
    text = PdfReader(opened[-1]).pages[0].extract_text()
    assert "CREDIT NOTE" in text and sold.invoice_number in text
    with db.session(write=False) as session:
        note = session.scalars(select(CreditNote)).one()
        assert note.total_amount == 400_000 and note.refunded == 400_000
        assert note.created_by == front_desk.id and note.approved_by != front_desk.id
        paid_back = session.scalars(select(Payment).where(Payment.kind == "refund")).one()
        assert (paid_back.method, paid_back.amount) == ("cash", -400_000)


def test_a_manager_keeps_a_refund_as_an_advance_without_a_pin(qtbot, open_main_window, db, manager):
    sold = invoicing.save_invoice(
        db,
        manager,
        cart(db, "SPF50"),
        now=NOW,
        payments=[TenderLine(Method.UPI, 85_000, "UTR5")],
    )
    panel = open_panel(open_main_window, manager, [])
    search(qtbot, panel, sold.invoice_number)
    qtbot.keyClick(panel.table, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: panel.refund_dialog is not None, timeout=WAIT_MS)
    dialog = panel.refund_dialog
    qtbot.waitExposed(dialog)
    assert dialog.approver.isHidden() and dialog.pin.isHidden()
    assert dialog.method() is None  # 0: kept as an advance, the first choice

    qtbot.keyClick(dialog.table, Qt.Key.Key_Space)  # all that is left
    qtbot.waitUntil(lambda: "kept as an advance" in dialog.breakdown.text(), timeout=WAIT_MS)
    assert dialog.amount.text() == "Refund Rs.850.00"
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.reason, "Returned unopened")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: panel.refund_dialog is None, timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    with db.session(write=False) as session:
        note = session.scalars(select(CreditNote)).one()
        assert (note.to_advance, note.refunded, note.approved_by) == (85_000, 0, manager.id)
