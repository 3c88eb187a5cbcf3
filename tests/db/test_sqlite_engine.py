"""The SQLite connection settings the product relies on, and how two writers on one file
queue up: a write transaction takes the lock at BEGIN, so a second writer waits there (or
gives up there, before writing anything), never half-way through its work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text

from db.engine import BUSY_TIMEOUT_MS, Database, DatabaseBusy, create_sqlite_engine
from db.models import AppSetting


def _pragmas(database: Database, *, write: bool) -> dict[str, Any]:
    with database.session(write=write) as session:
        return {
            name: session.execute(text(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }


@pytest.mark.parametrize("write", [False, True], ids=["read session", "write session"])
def test_sessions_run_in_wal_mode_with_full_sync_foreign_keys_and_busy_timeout(
    database: Database, write: bool
) -> None:
    assert _pragmas(database, write=write) == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": BUSY_TIMEOUT_MS,
    }
    assert BUSY_TIMEOUT_MS > 0


def _second_database(path: Path, busy_timeout_ms: int) -> Database:
    """Another Frontdesk process on the same file, configured to wait `busy_timeout_ms`."""
    engine = create_sqlite_engine(path)

    @event.listens_for(engine, "connect")
    def _shorter_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")

    return Database(path, engine, busy_timeout_ms=busy_timeout_ms)


@pytest.fixture
def other_desk(database: Database) -> Iterator[Database]:
    other = _second_database(database.path, busy_timeout_ms=300)
    try:
        yield other
    finally:
        other.close()


@pytest.fixture
def patient_desk(database: Database) -> Iterator[Database]:
    other = _second_database(database.path, busy_timeout_ms=2_000)
    try:
        yield other
    finally:
        other.close()


def _setting_keys(database: Database) -> list[str]:
    with database.session(write=False) as session:
        return list(session.scalars(select(AppSetting.key).order_by(AppSetting.key)))


def test_second_writer_gives_up_at_begin_while_the_first_holds_the_write_lock(
    database: Database, other_desk: Database
) -> None:
    first = database.session(write=True)
    try:
        first.add(AppSetting(key="first", value={"desk": 1}))
        first.flush()  # BEGIN IMMEDIATE + INSERT: this desk now holds the write lock

        second = other_desk.session(write=True)
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="Try again in a moment"):
            second.connection()  # its turn in the write queue, before BEGIN IMMEDIATE
        waited = time.monotonic() - started
        second.close()

        assert 0.25 <= waited < 2.0, f"waited {waited:.3f}s for a 300 ms busy timeout"

        # A reader is not blocked by the writer (WAL) and does not see its uncommitted row.
        assert _setting_keys(other_desk) == []
        first.commit()
    finally:
        first.close()

    with other_desk.session(write=True) as second, second.begin():
        second.add(AppSetting(key="second", value={"desk": 2}))
    assert _setting_keys(database) == ["first", "second"]


def test_second_writer_waits_at_begin_until_the_first_commits(
    database: Database, patient_desk: Database
) -> None:
    waiting = threading.Event()
    outcome: dict[str, Any] = {}

    def second_desk() -> None:
        try:
            with patient_desk.session(write=True) as session:
                waiting.set()
                asked = time.monotonic()
                session.connection()  # BEGIN IMMEDIATE: blocks on the first desk's lock
                outcome["begun_at"] = time.monotonic()
                outcome["waited"] = outcome["begun_at"] - asked
                session.add(AppSetting(key="second", value={"desk": 2}))
                session.commit()
        except BaseException as exc:  # reported to the main thread
            outcome["error"] = exc
        finally:
            waiting.set()

    first = database.session(write=True)
    try:
        first.add(AppSetting(key="first", value={"desk": 1}))
        first.flush()
        thread = threading.Thread(target=second_desk, daemon=True)
        thread.start()
        assert waiting.wait(timeout=2.0)
        time.sleep(0.3)  # the second desk is now inside its busy wait
        assert "begun_at" not in outcome, "the second writer began while the lock was held"
        committing_at = time.monotonic()
        first.commit()
    finally:
        first.close()
    thread.join(timeout=2.0)

    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["begun_at"] > committing_at
    assert outcome["waited"] >= 0.25
    assert _setting_keys(database) == ["first", "second"]
