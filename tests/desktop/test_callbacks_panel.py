"""The Callbacks panel as the front desk uses it: add, call next, no answer, done, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.main_window import MainWindow
from desktop.models.callback_model import CallbackQueueModel, QueueFilter
from desktop.panels.callbacks import CallbacksPanel
from domain.callbacks import Reason, Source, Status
from services import callbacks as cb
from services.patients import find_patients
from tests.desktop.helpers import NOW, save_screenshot


class Clock:
    """A clock the test moves on by hand."""

    def __init__(self) -> None:
        self.now = NOW  # 11:00 in Bengaluru, Tuesday 24 Nov 2026

    def __call__(self):
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock():
    return Clock()


def settle(qtbot, panel: CallbacksPanel) -> None:
    qtbot.waitUntil(panel.is_idle, timeout=5000)


def open_window(qtbot, db, user, branch_info, settings, clock) -> tuple[MainWindow, CallbacksPanel]:
    window = MainWindow(db, user, branch_info, settings=settings, clock=clock)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.show_panel("callbacks")
    panel = window.panel("callbacks")
    assert isinstance(panel, CallbacksPanel)
    settle(qtbot, panel)
    return window, panel


def open_panel(qtbot, db, user, branch_info, clock, **kwargs) -> CallbacksPanel:
    panel = CallbacksPanel(db, user, branch_info, clock=clock, **kwargs)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    settle(qtbot, panel)
    return panel


def stranger(reason=Reason.PROMOTION_ENQUIRY, name="Arjun Rao", mobile="9845012345"):
    return cb.NewCallback(reason, Source.PHONE, name=name, mobile=mobile)


def test_add_call_next_no_answer_then_done_each_step_in_the_log(
    qtbot, db, front_desk, branch_info, fresh_settings, clock
):
    window, panel = open_window(qtbot, db, front_desk, branch_info, fresh_settings, clock)
    assert panel.model.rowCount() == 0
    assert panel.table_stack.currentWidget() is panel.empty_label
    save_screenshot(window, "callbacks_empty")

    # Add a request for someone not registered, by keyboard.
    qtbot.keyClick(panel.table, Qt.Key.Key_Insert)
    dialog = panel._dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.name_edit, "Kavya Iyer")
    qtbot.keyClicks(dialog.mobile_edit, "98450 55555")
    dialog.reason_combo.setCurrentIndex(dialog.reason_combo.findData(Reason.COMPLAINT.value))
    qtbot.keyClicks(dialog.notes_edit, "Charged twice for the peel")
    save_screenshot(dialog, "callbacks_add_dialog")
    with qtbot.waitSignal(panel.callback_added, timeout=5000):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert [row.name for row in panel.model.rows()] == ["Kavya Iyer"]
    assert panel.model.data(panel.model.index(0, 0)) == "HIGH 30"

    # Ten minutes later: F5 takes it and starts the call.
    clock.advance(minutes=10)
    window.activateWindow()  # the dialog has closed
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    with qtbot.waitSignal(panel.callback_changed, timeout=5000):
        qtbot.keyClick(QApplication.focusWidget() or panel.table, Qt.Key.Key_F5)
    settle(qtbot, panel)
    assert panel.detail().row.status is Status.IN_PROGRESS
    assert panel.done_button.isEnabled() and panel.no_answer_button.isEnabled()
    save_screenshot(window, "callbacks_in_progress")

    # Nobody answers.
    clock.advance(minutes=2)
    with qtbot.waitSignal(panel.callback_changed, timeout=5000):
        qtbot.mouseClick(panel.no_answer_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    row = panel.model.rows()[0]
    assert row.status is Status.NO_ANSWER and row.attempts == 1
    assert panel.model.data(panel.model.index(0, 7)) == "No answer (1/3)"
    assert panel.model.data(panel.model.index(0, 5)) == "call at 13:12"

    # The patient rings back; call now, then done with the outcome.
    clock.advance(minutes=5)
    with qtbot.waitSignal(panel.callback_changed, timeout=5000):
        qtbot.mouseClick(panel.call_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    clock.advance(minutes=3)
    qtbot.keyClicks(panel.note_edit, "Refund of Rs.2,500 approved")
    with qtbot.waitSignal(panel.callback_changed, timeout=5000):
        qtbot.mouseClick(panel.done_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)

    assert panel.model.rowCount() == 0  # closed requests leave the queue
    assert panel.detail().row.status is Status.COMPLETED
    assert panel.activity_texts() == [
        ("24 Nov 11:00", "Created by Priya Sharma: complaint, phone (Charged twice for the peel)"),
        ("24 Nov 11:10", "Taken by Priya Sharma"),
        ("24 Nov 11:10", "Call started by Priya Sharma"),
        ("24 Nov 11:12", "No answer (1/3), Priya Sharma; try again Tue 24 Nov 13:12"),
        ("24 Nov 11:17", "Taken by Priya Sharma"),
        ("24 Nov 11:17", "Call started by Priya Sharma"),
        ("24 Nov 11:20", "Completed by Priya Sharma: Refund of Rs.2,500 approved"),
    ]
    assert not panel.done_button.isEnabled() and not panel.call_button.isEnabled()
    save_screenshot(window, "callbacks_completed")


def test_the_queue_shows_order_badges_and_why_each_call_is_on_top(
    qtbot, db, front_desk, manager, branch_info, fresh_settings, clock
):
    best = max(find_patients(db, "a", limit=50), key=lambda p: p.visits)
    cb.add_callback(db, front_desk, stranger(Reason.CAMPAIGN_RESPONSE, "Rohan Das"), now=NOW)
    cb.add_callback(db, front_desk, cb.NewCallback(Reason.COMPLAINT, patient_id=best.id), now=NOW)
    cb.add_callback(db, manager, stranger(Reason.APPOINTMENT, "Kavya Iyer"), now=NOW)
    billing = cb.add_callback(db, front_desk, stranger(Reason.BILLING_QUESTION, "Ravi K"), now=NOW)
    cb.assign(db, manager, billing.id, to_username="priya", now=NOW)
    clock.advance(hours=5)

    window, panel = open_window(qtbot, db, front_desk, branch_info, fresh_settings, clock)

    names = [row.name for row in panel.model.rows()]
    assert names[0] == best.name  # a complaint of a valued patient, waiting 5 h: urgent
    assert panel.model.rows()[0].category.value == "urgent"
    assert "complaint +30" in panel.model.data(panel.model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    panel.select(panel.model.rows()[0].id)
    qtbot.waitSignal(panel.detail_loaded, timeout=5000)
    settle(qtbot, panel)
    assert panel.score_label.text().startswith(
        f"Score {panel.model.rows()[0].score.value} (Urgent)"
    )
    save_screenshot(window, "callbacks_queue")

    panel.set_view(QueueFilter.MINE)
    assert [row.name for row in panel.model.rows()] == ["Ravi K"]
    panel.set_view(QueueFilter.UNASSIGNED)
    assert "Ravi K" not in [row.name for row in panel.model.rows()]
    panel.set_view(QueueFilter.OVERDUE)
    assert [row.name for row in panel.model.rows()] == [best.name]  # high: due after 4 h
    panel.set_view(QueueFilter.ALL)
    panel.set_status_filter(Status.ASSIGNED)
    assert [row.name for row in panel.model.rows()] == ["Ravi K"]
    panel.set_status_filter(Status.IN_PROGRESS)
    assert panel.model.rowCount() == 0
    assert "No request matches these filters" in panel.empty_label.text()
    settle(qtbot, panel)
    save_screenshot(window, "callbacks_no_match")


def test_the_queue_model_passes_the_model_tester(qtbot, qtmodeltester, db, front_desk):
    for n in range(5):
        cb.add_callback(db, front_desk, stranger(name=f"Person {n}"), now=NOW)
    model = CallbackQueueModel(front_desk.id, "Asia/Kolkata")
    model.set_snapshot(cb.queue(db, front_desk, now=NOW + timedelta(hours=1)))

    qtmodeltester.check(model)
    model.set_filter(QueueFilter.MINE)
    qtmodeltester.check(model)


def test_a_request_that_turns_urgent_is_announced(qtbot, db, front_desk, branch_info, clock):
    cb.add_callback(db, front_desk, stranger(Reason.COMPLAINT, "Meera N"), now=NOW)
    shown: list[tuple[str, str]] = []
    panel = open_panel(
        qtbot, db, front_desk, branch_info, clock, notify=lambda t, s: shown.append((t, s)) or False
    )
    assert panel.banner_text() == ""

    clock.advance(hours=8)  # 19:00: complaint +30, waiting 8 h +30 = 60
    with qtbot.waitSignal(panel.urgent_arrived, timeout=5000) as arrived:
        panel.refresh()
    settle(qtbot, panel)

    assert len(arrived.args[0]) == 1
    assert shown == [("Frontdesk: urgent callback", panel.banner_text())]
    assert panel.banner_text() == "Urgent callback: Meera N (complaint). Press F5 to call."


def test_a_refusal_is_shown_in_the_details_pane(qtbot, db, front_desk, branch_info, clock):
    row = cb.add_callback(db, front_desk, stranger(), now=NOW)
    panel = open_panel(qtbot, db, front_desk, branch_info, clock)
    panel.select(row.id)
    settle(qtbot, panel)

    panel.cancel_selected()  # no reason typed
    settle(qtbot, panel)

    assert panel.message() == "Say why the callback is cancelled."
    assert panel.model.rowCount() == 1


def test_a_callback_can_be_started_from_a_patient(qtbot, db, front_desk, branch_info, clock):
    patient = find_patients(db, "a", limit=1)[0]
    panel = open_panel(qtbot, db, front_desk, branch_info, clock)

    dialog = panel.add_for_patient(patient)

    assert dialog.patient() == patient
    assert dialog.mobile_edit.text() == patient.mobile and dialog.mobile_edit.isReadOnly()
    with qtbot.waitSignal(panel.callback_added, timeout=5000):
        dialog.submit()
    settle(qtbot, panel)
    assert panel.model.rows()[0].patient_id == patient.id


def test_live_updates_run_only_while_the_window_is_shown(qtbot, db, front_desk, branch_info, clock):
    panel = open_panel(qtbot, db, front_desk, branch_info, clock)
    assert panel.timer.isActive()

    panel.close()
    QApplication.processEvents()

    assert not panel.timer.isActive()


def test_at_the_smallest_window_the_mobile_and_due_are_read_whole_without_scrolling(
    qtbot, db, front_desk, branch_info, fresh_settings, clock
):
    from desktop.models.callback_model import ASSIGNED, DUE, MOBILE, NAME, REASON, STATUS, WAITING

    cb.add_callback(db, front_desk, stranger(Reason.COMPLAINT, "Rohan Das"), now=NOW)
    window, panel = open_window(qtbot, db, front_desk, branch_info, fresh_settings, clock)
    with qtbot.waitSignal(panel.detail_loaded, timeout=5000):
        panel.select(panel.model.rows()[0].id)
    assert panel.detail_stack.currentWidget() is panel.detail_box
    table = panel.table

    def shown() -> set[int]:
        return {c for c in range(panel.model.columnCount()) if not table.isColumnHidden(c)}

    def fits(column: int) -> bool:
        right = table.columnViewportPosition(column) + table.columnWidth(column)
        return table.columnViewportPosition(column) >= 0 and right <= table.viewport().width()

    def readable(column: int) -> bool:
        text = panel.model.index(0, column).data()
        return table.fontMetrics().horizontalAdvance(text) < table.columnWidth(column)

    qtbot.waitUntil(lambda: STATUS in shown())  # 1366 x 768: room for the status too
    assert {MOBILE, DUE, REASON, WAITING} <= shown()
    assert all(fits(c) for c in shown())
    assert readable(MOBILE) and readable(STATUS)

    window.resize(1024, 640)  # the smallest window allowed
    qtbot.waitUntil(lambda: STATUS not in shown())
    assert {NAME, MOBILE, DUE} <= shown()
    assert not shown() & {ASSIGNED, WAITING}
    assert all(fits(c) for c in shown())
    assert not table.horizontalScrollBar().isVisible()
    assert readable(MOBILE) and readable(DUE)
    assert panel.detail_stack.currentWidget() is panel.detail_box, "detail lost"
    save_screenshot(window, "callbacks_1024x640")
