"""An unsaved invoice is never lost without a word: closing asks, signing out can park it."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import func, select

from db.models import InvoiceHeader, Patient
from desktop.app import FrontdeskApp
from desktop.login import LoginDialog
from desktop.main_window import MainWindow
from desktop.panels.invoice_entry import InvoiceEntryPanel
from services import catalog, patients
from tests.desktop.helpers import fixed_clock, save_screenshot

WAIT_MS = 10_000


def counter_of(window: MainWindow) -> InvoiceEntryPanel:
    panel = window.counter()
    assert panel is not None
    return panel


def fill_cart(qtbot, db, panel: InvoiceEntryPanel, *codes: str, patient: bool = True) -> None:
    if patient:
        with db.session(write=False) as session:
            patient_id = session.scalars(select(Patient.id).order_by(Patient.name).limit(1)).one()
        panel.choose_patient(patients.get_patient(db, patient_id))
    for code in codes:
        entry = catalog.item_by_code(db, code)
        assert entry is not None
        panel.add_item(entry)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert panel.current_quote() is not None


def question(window: MainWindow) -> QMessageBox:
    box = window.leaving_question()
    assert box is not None and box.isVisible()
    QApplication.processEvents()
    cut = [b.text() for b in box.buttons() if b.width() < b.sizeHint().width()]
    assert cut == [], f"buttons too narrow for their text: {cut}"
    return box


def answer(box: QMessageBox, text: str) -> None:
    [button] = [b for b in box.buttons() if b.text() == text]
    button.click()


def invoices(db) -> int:
    with db.session(write=False) as session:
        return session.scalar(select(func.count(InvoiceHeader.id)))


# -- closing the window ------------------------------------------------------------------


def test_closing_with_an_unsaved_invoice_asks_and_cancel_keeps_it(
    qtbot, db, front_desk, open_main_window
):
    window = open_main_window(front_desk)
    panel = counter_of(window)
    fill_cart(qtbot, db, panel, "CONSULT", "SPF50")

    assert not window.close()
    box = question(window)
    assert box.text() == "The invoice at the counter is not saved."
    assert sorted(b.text() for b in box.buttons()) == [
        "Cancel",
        "Discard",
        "Save",
    ]
    save_screenshot(box, "invoice_close_question")
    answer(box, "Cancel")

    assert window.isVisible() and panel.cart.rowCount() == 2
    assert window.leaving_question() is None

    assert not window.close()
    answer(question(window), "Discard")
    assert not window.isVisible()
    assert panel.cart.rowCount() == 0


def test_save_and_close_saves_the_invoice_then_closes(qtbot, db, front_desk, open_main_window):
    window = open_main_window(front_desk)
    panel = counter_of(window)
    fill_cart(qtbot, db, panel, "CONSULT")
    before = invoices(db)

    window.close()
    answer(question(window), "Save")

    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert panel.saved_invoice() is not None
    assert invoices(db) == before + 1
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def test_save_and_close_without_a_patient_stays_and_says_why(
    qtbot, db, front_desk, open_main_window
):
    window = open_main_window(front_desk)
    panel = counter_of(window)
    fill_cart(qtbot, db, panel, "CONSULT", patient=False)

    window.close()
    answer(question(window), "Save")

    assert window.isVisible()
    assert panel.message() == "Choose the patient before saving the invoice."
    panel.discard()


def test_an_empty_or_saved_counter_closes_without_a_question(
    qtbot, db, front_desk, open_main_window
):
    window = open_main_window(front_desk)
    assert window.close()
    assert window.leaving_question() is None


# -- signing out -------------------------------------------------------------------------


def test_signing_out_keeps_the_cart_for_the_manager_who_signs_in_next(
    qtbot, db, branch_info, fresh_settings
):
    frontdesk = FrontdeskApp(db, branch_info, fresh_settings, clock=fixed_clock)
    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=WAIT_MS) as opened:
        frontdesk.start(autologin=("priya", "1111"))
    qtbot.waitUntil(opened.args[0].is_idle, timeout=WAIT_MS)  # the day's backup
    window: MainWindow = opened.args[0]
    panel = counter_of(window)
    fill_cart(qtbot, db, panel, "BOTOX50", "CONSULT")
    patient = panel.patient()

    window.sign_out_action.trigger()
    box = question(window)
    assert sorted(b.text() for b in box.buttons()) == [
        "Cancel",
        "Discard",
        "Keep for next sign-in",
        "Save",
    ]
    assert box.defaultButton().text() == "Keep for next sign-in"
    save_screenshot(box, "invoice_sign_out_question")
    with qtbot.waitSignal(frontdesk.login_shown, timeout=WAIT_MS) as shown:
        answer(box, "Keep for next sign-in")
    qtbot.waitUntil(lambda: not window.isVisible())

    dialog: LoginDialog = shown.args[0]
    assert dialog.note_label.text() == (
        "The invoice Priya Sharma was writing is kept: it is back on the counter after sign-in."
    )
    save_screenshot(dialog, "login_with_a_parked_invoice")
    dialog.select_user("meera")
    qtbot.keyClicks(dialog.pin_edit, "2222")
    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=WAIT_MS) as again:
        qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(again.args[0].is_idle, timeout=WAIT_MS)  # the day's backup

    manager_window: MainWindow = again.args[0]
    assert manager_window.user.username == "meera"
    assert manager_window.current_panel_key() == "invoice"
    back = counter_of(manager_window)
    qtbot.waitUntil(back.is_idle, timeout=WAIT_MS)
    assert [row.entry.code for row in back.cart.rows()] == ["BOTOX50", "CONSULT"]
    assert back.patient() == patient
    assert dict(back.totals.rows())["Payable"] == "Rs.4,500.00"
    assert back.message() == "The cart Priya Sharma parked at sign-out is back."
    assert frontdesk.parked is None
    manager_window.resize(1366, 768)
    save_screenshot(manager_window, "invoice_parked_cart_back")

    back.discard()  # nothing is left to ask about when the test closes the window
    qtbot.addWidget(manager_window)
    QApplication.processEvents()


def test_discarding_at_sign_out_leaves_nothing_parked(qtbot, db, branch_info, fresh_settings):
    frontdesk = FrontdeskApp(db, branch_info, fresh_settings, clock=fixed_clock)
    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=WAIT_MS) as opened:
        frontdesk.start(autologin=("priya", "1111"))
    qtbot.waitUntil(opened.args[0].is_idle, timeout=WAIT_MS)  # the day's backup
    window: MainWindow = opened.args[0]
    fill_cart(qtbot, db, counter_of(window), "CONSULT")

    window.sign_out_action.trigger()
    answer(question(window), "Cancel")
    assert window.isVisible() and frontdesk.main_window is window

    window.sign_out_action.trigger()
    with qtbot.waitSignal(frontdesk.login_shown, timeout=WAIT_MS) as shown:
        answer(question(window), "Discard")
    assert frontdesk.parked is None
    dialog: LoginDialog = shown.args[0]
    assert not dialog.note_label.isVisibleTo(dialog)
    qtbot.addWidget(dialog)


def test_closing_while_the_invoice_saves_waits_for_the_save(
    qtbot, db, front_desk, open_main_window
):
    window = open_main_window(front_desk)
    panel = counter_of(window)
    fill_cart(qtbot, db, panel, "CONSULT")

    other_counter = sqlite3.connect(db.path, timeout=30)  # holds the write lock a while
    other_counter.execute("BEGIN IMMEDIATE")
    try:
        panel.save()  # the payment step
        panel.save()  # the amount due, in cash
        assert panel.is_saving()
        assert not window.close()
        assert window.leaving_question() is None  # nothing to ask: it is being saved
        assert window.isVisible()
    finally:
        other_counter.rollback()
        other_counter.close()

    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert panel.saved_invoice() is not None
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def test_closing_sign_in_with_a_parked_cart_asks_before_it_is_lost(
    qtbot, db, branch_info, fresh_settings
):
    frontdesk = FrontdeskApp(db, branch_info, fresh_settings, clock=fixed_clock)
    with qtbot.waitSignal(frontdesk.main_window_shown, timeout=WAIT_MS) as opened:
        frontdesk.start(autologin=("priya", "1111"))
    qtbot.waitUntil(opened.args[0].is_idle, timeout=WAIT_MS)  # the day's backup
    window: MainWindow = opened.args[0]
    fill_cart(qtbot, db, counter_of(window), "CONSULT")
    window.sign_out_action.trigger()
    with qtbot.waitSignal(frontdesk.login_shown, timeout=WAIT_MS) as shown:
        answer(question(window), "Keep for next sign-in")

    dialog: LoginDialog = shown.args[0]
    assert frontdesk.parked is not None
    dialog.reject()  # Quit, or Esc
    box = frontdesk.question
    assert box is not None and box.isVisible()
    assert (
        box.text() == "The invoice Priya Sharma kept at sign-out is not saved. Quit and discard it?"
    )
    with qtbot.waitSignal(frontdesk.login_shown, timeout=WAIT_MS) as again:
        answer(box, "Back to sign-in")
    assert frontdesk.parked is not None  # still kept
    frontdesk.parked = None  # the test ends here: nothing to ask about
    qtbot.addWidget(again.args[0])
