"""db.engine.WriteQueue's lock is the thread's, as filelock's FileLock was: this process's
threads queue for it as other processes do, a thread that holds it may enter again, and a
queue on the same file in another Database waits for it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from filelock import FileLock

from db.engine import DatabaseBusy, WriteQueue


def test_a_second_thread_waits_until_the_first_leaves(tmp_path: Path) -> None:
    queue = WriteQueue(tmp_path / "branch.db", timeout_ms=5_000)
    order: list[str] = []
    queue.enter()
    second = threading.Thread(target=lambda: (queue.enter(), order.append("second"), queue.leave()))
    second.start()
    time.sleep(0.05)
    order.append("first leaves")
    queue.leave()
    second.join(5)
    assert order == ["first leaves", "second"]
    queue.close()


def test_a_thread_enters_again_and_leaves_as_often(tmp_path: Path) -> None:
    queue = WriteQueue(tmp_path / "branch.db", timeout_ms=200)
    other = FileLock(f"{tmp_path / 'branch.db'}.lock", timeout=0.05)
    queue.enter()
    queue.enter()
    queue.leave()
    with pytest.raises(TimeoutError):  # still held: it was entered twice
        other.acquire()
    queue.leave()
    other.acquire()  # free now
    other.release()
    queue.close()


def test_a_queue_of_another_database_on_the_file_waits_then_gives_a_sentence(
    tmp_path: Path,
) -> None:
    ours = WriteQueue(tmp_path / "branch.db", timeout_ms=100)
    theirs = WriteQueue(tmp_path / "branch.db", timeout_ms=100)
    ours.enter()
    with pytest.raises(DatabaseBusy):
        theirs.enter()
    ours.leave()
    theirs.enter()
    theirs.leave()
    ours.close()
    theirs.close()


def test_a_thread_that_does_not_hold_it_cannot_free_it(tmp_path: Path) -> None:
    queue = WriteQueue(tmp_path / "branch.db", timeout_ms=100)
    queue.enter()
    stray = threading.Thread(target=queue.leave)  # a rollback seen on another thread
    stray.start()
    stray.join(5)
    other = FileLock(f"{tmp_path / 'branch.db'}.lock", timeout=0.05)
    with pytest.raises(TimeoutError):
        other.acquire()
    queue.leave()
    queue.close()
