"""UI-thread work in steps (StepQueue) and the numbering of an operation's runs (OpCounter)."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from desktop.workers import OpCounter, StepQueue


def test_steps_run_in_order_each_in_its_own_turn_of_the_event_loop(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    queue = StepQueue(owner)
    ran: list[str] = []
    beats: list[int] = []
    for name in ("a", "b", "c"):
        queue.add(lambda name=name: ran.append(f"{name} after {len(beats)} beats"))
    # A timer due at once runs between two steps: the event loop turned in between.
    beat = QTimer(owner)
    beat.setInterval(0)
    beat.timeout.connect(lambda: beats.append(1))
    beat.start()

    with qtbot.waitSignal(queue.drained, timeout=2000):
        assert not queue.idle
    beat.stop()

    assert [entry[0] for entry in ran] == ["a", "b", "c"]
    counts = [int(entry.split()[2]) for entry in ran]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert queue.idle


def test_cleared_steps_never_run_and_a_closed_owners_steps_die_with_it(qtbot):
    owner = QWidget()
    queue = StepQueue(owner)
    ran: list[int] = []
    queue.add(lambda: ran.append(1))
    queue.clear()
    queue.add(lambda: ran.append(2))
    owner.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(owner), timeout=2000)
    for _ in range(5):
        QApplication.processEvents()
    assert ran == []


def test_a_counter_numbers_its_runs_and_only_the_latest_counts(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    refreshes, imports = OpCounter(owner), OpCounter(owner)

    first = refreshes.begin()
    imported = imports.begin()
    second = refreshes.begin()

    assert not refreshes.is_latest(first) and refreshes.is_latest(second)
    assert imports.is_latest(imported)  # another kind of operation numbers its own runs
