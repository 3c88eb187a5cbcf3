"""Callbacks reached from elsewhere: a request from the counter (Ctrl+B), and the status
bar's live "N callbacks overdue" that opens the queue's Overdue view."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.main_window import OVERDUE_REFRESH_MS, MainWindow, overdue_text
from desktop.models.callback_model import QueueFilter
from desktop.panels.callbacks import CallbacksPanel
from desktop.panels.invoice_entry import InvoiceEntryPanel
from domain.callbacks import Reason, Source
from services import callbacks as cb
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_callbacks_panel import Clock
from tests.desktop.test_invoice_entry import (
    a_patient,
    add_by_typing,
    pick_patient,
    settle,
    wait_priced,
)

WAIT_MS = 5000


def open_window(qtbot, db, user, branch_info, settings, clock, tmp_path) -> MainWindow:
    window = MainWindow(
        db,
        user,
        branch_info,
        settings=settings,
        clock=clock,
        invoice_folder=tmp_path / "invoices",
        open_file=None,
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.waitUntil(window.is_idle, timeout=WAIT_MS)
    return window


def test_ctrl_b_at_the_counter_opens_the_add_dialog_for_the_patient_and_saves_it(
    qtbot, db, front_desk, branch_info, fresh_settings, tmp_path
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings, Clock(), tmp_path)
    invoice = window.panel("invoice")
    assert isinstance(invoice, InvoiceEntryPanel)
    assert not invoice.callback_button.isEnabled()  # no patient yet
    assert ("Ctrl+B", "Invoice: request a callback for this patient (opens Callbacks)") in (
        window.shortcut_rows()
    )
    patient = a_patient(db)
    pick_patient(qtbot, invoice, patient)
    assert invoice.callback_button.isEnabled()
    save_screenshot(window, "invoice_callback_button")

    with qtbot.waitSignal(window.panel_changed, timeout=WAIT_MS) as changed:
        qtbot.keyClick(
            QApplication.focusWidget(), Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier
        )
    assert changed.args == ["callbacks"]
    panel = window.panel("callbacks")
    assert isinstance(panel, CallbacksPanel)
    dialog = panel._dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.patient() is not None and dialog.patient().id == patient.id
    assert dialog.name_edit.text() == patient.name
    assert dialog.mobile_edit.text() == patient.mobile
    save_screenshot(dialog, "invoice_callback_request_dialog")

    dialog.reason_combo.setCurrentIndex(dialog.reason_combo.findData(Reason.APPOINTMENT.value))
    with qtbot.waitSignal(panel.callback_added, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    qtbot.waitUntil(window.is_idle, timeout=WAIT_MS)

    [row] = cb.queue(db, front_desk, now=NOW).rows
    assert row.patient_id == patient.id and row.reason is Reason.APPOINTMENT
    assert [r.id for r in panel.model.rows()] == [row.id]


def test_after_saving_ctrl_b_asks_for_the_saved_invoices_patient(
    qtbot, db, front_desk, branch_info, fresh_settings, tmp_path
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings, Clock(), tmp_path)
    invoice = window.panel("invoice")
    assert isinstance(invoice, InvoiceEntryPanel)
    patient = a_patient(db)
    pick_patient(qtbot, invoice, patient)
    add_by_typing(qtbot, invoice, "SPF50")
    wait_priced(qtbot, invoice)
    invoice.save()  # the payment step
    with qtbot.waitSignal(invoice.invoice_saved, timeout=WAIT_MS):
        qtbot.keyClick(
            QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier
        )
    settle(qtbot, invoice)
    saved = invoice.saved_invoice()
    assert saved is not None and invoice.callback_button.isEnabled()

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)

    assert window.current_panel_key() == "callbacks"
    panel = window.panel("callbacks")
    assert isinstance(panel, CallbacksPanel)
    dialog = panel._dialog
    assert dialog is not None and dialog.patient() is not None
    assert dialog.patient().id == patient.id and dialog.patient().name == saved.patient_name
    dialog.reject()
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)


def test_ctrl_b_without_a_patient_asks_for_one(
    qtbot, db, front_desk, branch_info, fresh_settings, tmp_path
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings, Clock(), tmp_path)
    invoice = window.panel("invoice")
    assert isinstance(invoice, InvoiceEntryPanel)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)

    assert window.current_panel_key() == "invoice"
    assert invoice.message() == "Choose the patient to call back first."


def test_the_status_bar_counts_overdue_callbacks_live_and_opens_them(
    qtbot, db, front_desk, branch_info, fresh_settings, tmp_path
):
    clock = Clock()  # 11:00 in Bengaluru, Tuesday 24 Nov 2026
    # Asked three days ago: long past its due time. Asked now: due later today or after.
    old = cb.add_callback(
        db,
        front_desk,
        cb.NewCallback(Reason.COMPLAINT, Source.PHONE, name="Arjun Rao", mobile="9845012345"),
        now=NOW - timedelta(days=3),
    )
    fresh = cb.add_callback(
        db,
        front_desk,
        cb.NewCallback(
            Reason.PROMOTION_ENQUIRY, Source.PHONE, name="Kavya Iyer", mobile="9845055555"
        ),
        now=NOW,
    )
    assert old.due_at < NOW < fresh.due_at
    assert cb.overdue_count(db, front_desk, now=NOW) == 1

    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings, clock, tmp_path)
    assert window.overdue_timer.isActive()
    assert window.overdue_timer.interval() == OVERDUE_REFRESH_MS
    qtbot.waitUntil(lambda: window.overdue_count() == 1, timeout=WAIT_MS)
    assert window.overdue_button.isVisible()
    assert window.overdue_button.text() == "1 callback overdue"
    save_screenshot(window, "status_overdue_one")

    # Later on, the timer's next count finds the second one overdue too.
    clock.now = fresh.due_at + timedelta(minutes=5)
    with qtbot.waitSignal(window.overdue_counted, timeout=WAIT_MS) as counted:
        window.overdue_timer.timeout.emit()
    assert counted.args == [2]
    assert window.overdue_button.text() == "2 callbacks overdue"
    save_screenshot(window, "status_overdue")

    # A click opens the queue showing just the overdue requests.
    qtbot.mouseClick(window.overdue_button, Qt.MouseButton.LeftButton)
    assert window.current_panel_key() == "callbacks"
    panel = window.panel("callbacks")
    assert isinstance(panel, CallbacksPanel)
    assert panel.view() is QueueFilter.OVERDUE
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert sorted(row.name for row in panel.model.rows()) == ["Arjun Rao", "Kavya Iyer"]

    # Closing one in the panel counts again at once.
    panel.select(old.id)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    panel.note_edit.setText("Called from the other desk")
    with qtbot.waitSignal(window.overdue_counted, timeout=WAIT_MS) as counted:
        panel.cancel_selected()
    assert counted.args == [1]
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    qtbot.waitUntil(window.is_idle, timeout=WAIT_MS)

    window.close()
    assert not window.overdue_timer.isActive()


def test_nothing_overdue_shows_nothing_in_the_status_bar(
    qtbot, db, front_desk, branch_info, fresh_settings, tmp_path
):
    window = open_window(qtbot, db, front_desk, branch_info, fresh_settings, Clock(), tmp_path)

    assert window.overdue_count() == 0
    assert not window.overdue_button.isVisible()
    assert overdue_text(0) == ""


def test_the_overdue_count_follows_the_queue_filter(db, front_desk):
    """The figure is what the Overdue view shows: open requests due before now."""
    for days in (1, 2, 3):
        cb.add_callback(
            db,
            front_desk,
            cb.NewCallback(
                Reason.FOLLOW_UP, Source.PHONE, name=f"Caller {days}", mobile=f"98450{days}0000"
            ),
            now=NOW - timedelta(days=days),
        )
    snapshot = cb.queue(db, front_desk, now=NOW)
    assert cb.overdue_count(db, front_desk, now=NOW) == sum(r.overdue for r in snapshot.rows)
