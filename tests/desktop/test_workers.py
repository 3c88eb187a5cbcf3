"""Background ops run off the UI thread and report back on it."""

from __future__ import annotations

import gc
import threading
import weakref

import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.workers import BackgroundOp, ProgressRelay, error_sentence, run_in_background
from services.errors import SignInError


def test_the_call_runs_off_the_ui_thread_and_the_result_comes_back_on_it(qtbot):
    ui_thread = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    def done(result):
        seen["result"] = result
        seen["callback"] = threading.get_ident()

    op = BackgroundOp(None, work).success(done)
    with qtbot.waitSignal(op.finished, timeout=5000):
        op.run_in_background()

    assert seen == {"worker": seen["worker"], "result": 42, "callback": ui_thread}
    assert seen["worker"] != ui_thread


def test_progress_reported_by_the_worker_arrives_on_the_ui_thread_in_order(qtbot):
    ui_thread = threading.get_ident()
    reports = []
    relay = ProgressRelay(lambda *values: reports.append((*values, threading.get_ident())))

    def work():
        for percent in (0, 50, 100):
            relay.report(percent, f"step {percent}")
        return "done"

    op = BackgroundOp(None, work)
    with qtbot.waitSignal(op.finished, timeout=5000):
        op.run_in_background()

    assert reports == [
        (0, "step 0", ui_thread),
        (50, "step 50", ui_thread),
        (100, "step 100", ui_thread),
    ]


def test_a_delivered_op_lives_on_until_a_later_op_so_it_never_dies_in_its_own_event(qtbot):
    op = BackgroundOp(None, lambda: 1)
    gone = weakref.ref(op)
    with qtbot.waitSignal(op.finished, timeout=5000):
        op.run_in_background()
    del op
    gc.collect()
    assert gone() is not None

    later = BackgroundOp(None, lambda: 2)
    with qtbot.waitSignal(later.finished, timeout=5000):
        later.run_in_background()
    gc.collect()
    assert gone() is None


def test_an_exception_reaches_the_failure_handler_on_the_ui_thread(qtbot):
    ui_thread = threading.get_ident()
    failures = []

    def work():
        raise SignInError("That PIN is not right. Try again.")

    op = BackgroundOp(None, work).failure(
        lambda exc: failures.append((str(exc), threading.get_ident()))
    )
    with qtbot.waitSignal(op.failed, timeout=5000):
        op.run_in_background()

    assert failures == [("That PIN is not right. Try again.", ui_thread)]


def test_a_pool_of_ones_own_can_be_used(qtbot):
    pool = QThreadPool()
    with qtbot.waitCallback(timeout=5000) as callback:
        run_in_background(None, lambda: "done", on_success=callback, pool=pool)
    callback.assert_called_with("done")
    assert pool.waitForDone(5000)


def test_a_closed_widget_is_not_called_back(qtbot):
    widget = QWidget()
    called = []
    release = threading.Event()

    def slow():
        release.wait(5)
        return "late"

    op = BackgroundOp(widget, slow).success(called.append)
    op.run_in_background()
    widget.deleteLater()
    qtbot.waitUntil(lambda: not _alive(widget), timeout=5000)
    release.set()
    QThreadPool.globalInstance().waitForDone(5000)
    qtbot.waitUntil(lambda: not BackgroundOp._in_flight, timeout=5000)

    assert called == []


def test_the_default_failure_handler_tells_the_person_in_a_message_box(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)

    def work():
        raise RuntimeError("disk I/O error at offset 4096")

    op = BackgroundOp(parent, work)
    with qtbot.waitSignal(op.finished, timeout=5000):
        op.run_in_background()

    boxes = [child for child in parent.findChildren(QMessageBox) if child.isVisible()]
    assert len(boxes) == 1
    assert "details are in the log file" in boxes[0].text()
    assert "offset 4096" not in boxes[0].text()
    boxes[0].close()


def test_our_own_errors_speak_for_themselves_and_others_get_an_apology():
    assert error_sentence(SignInError("There is no active user called 'x'.")) == (
        "There is no active user called 'x'."
    )
    assert "Something went wrong" in error_sentence(KeyError("branch_id"))


def _alive(widget):
    return shiboken6.isValid(widget)
