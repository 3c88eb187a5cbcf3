"""Opening a SQLite database with the pragmas the product relies on, and session factories.

Write transactions start with BEGIN IMMEDIATE so two front desks saving at once queue up
on the write lock instead of failing half-way; reads start DEFERRED so reports never block
the counter.

The queue is kept fair by a lock file beside the database (`<name>.lock`: an flock on a
descriptor kept open, `filelock` on Windows; see WriteQueue), taken just before BEGIN IMMEDIATE and given up at COMMIT or ROLLBACK: a desk
that wants to write polls it every millisecond, where SQLite's own busy handler sleeps up to
100 ms between tries and let one busy desk take the lock again and again (a desk waited
3.2 s in the hardening issue; bench/lock_fairness.py measures it). A desk that cannot have
it in BUSY_TIMEOUT_MS gets `DatabaseBusy`, a sentence that says to try again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import Refused

try:
    import fcntl
except ImportError:  # Windows: filelock's FileLock takes the lock file there.
    fcntl = None  # type: ignore[assignment]

# How long a desk waits for another's write before it gives up with a sentence; the
# environment may shorten it (a test, a kiosk that must answer fast).
BUSY_TIMEOUT_MS = int(os.environ.get("FRONTDESK_BUSY_TIMEOUT_MS", "10000"))
# How often a desk waiting to write looks at the lock file (seconds).
POLL_S = 0.001


class DatabaseBusy(Refused):
    """Another desk (or an import) held the write lock for BUSY_TIMEOUT_MS."""

    def __init__(self) -> None:
        super().__init__(
            "Another desk is saving a large change (an import?) and the database stayed busy; "
            "nothing was saved. Try again in a moment."
        )


def _sqlite_error(error: BaseException | None, words: str) -> bool:
    """Whether `error`, or what SQLAlchemy wrapped in it, is SQLite saying `words`."""
    while error is not None:
        if isinstance(error, sqlite3.OperationalError) and words in str(error):
            return True
        error = error.__cause__ or getattr(error, "orig", None)
    return False


def is_busy(error: BaseException) -> bool:
    """SQLite's own "database is locked" (a writer outside the queue, like a raw import,
    held the lock past the busy timeout), however SQLAlchemy wrapped it."""
    return _sqlite_error(error, "locked")


def is_disk_full(error: BaseException) -> bool:
    """SQLite's "database or disk is full": the transaction was rolled back whole."""
    return _sqlite_error(error, "is full")


class DiskFull(Refused):
    """The disk (or the database's page limit) ran out while saving."""

    def __init__(self) -> None:
        super().__init__(
            "The disk is full, so nothing was saved. Free some space on the computer (or "
            "move old backups off it), then save again: the invoice is still on the screen."
        )


def refusal_for(error: BaseException) -> Refused | None:
    """The sentence for a database error a person can do something about, if it is one."""
    if is_busy(error):
        return DatabaseBusy()
    if is_disk_full(error):
        return DiskFull()
    return None


class WriteQueue:
    """The lock file that puts one engine's writers in line with other processes'.

    Where the system has flock (not Windows) it is taken on a descriptor the queue keeps
    open, behind a thread lock for this process's own threads: filelock's FileLock, which
    takes the same flock and serves elsewhere, spent about 0.2 ms of bookkeeping on each
    save (issue #11). As with FileLock, the lock is the thread's: a thread that enters
    again while it holds it goes on at once, and leaves it as often as it entered; a forked
    child starts with the lock free and a descriptor of its own."""

    def __init__(self, path: Path, timeout_ms: int | None = None) -> None:
        wait = BUSY_TIMEOUT_MS if timeout_ms is None else timeout_ms
        self._path = f"{path}.lock"
        self._timeout = wait / 1000
        self._lock = None if fcntl is not None else FileLock(self._path, timeout=self._timeout)
        self._start(os.getpid())

    def _start(self, pid: int) -> None:
        self._pid = pid
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._owner: int | None = None
        self._depth = 0

    def enter(self) -> None:
        if self._lock is not None:
            try:
                self._lock.acquire(poll_interval=POLL_S)
            except Timeout as exc:
                raise DatabaseBusy() from exc
            return
        assert fcntl is not None
        if self._pid != os.getpid():
            self._start(os.getpid())
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return
        deadline = time.monotonic() + self._timeout
        if not self._threads.acquire(timeout=self._timeout):
            raise DatabaseBusy()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise DatabaseBusy() from None
                    time.sleep(POLL_S)
        except BaseException:
            self._threads.release()
            raise
        self._owner, self._depth = me, 1

    def leave(self) -> None:
        if self._lock is not None:
            if self._lock.is_locked:
                self._lock.release()
            return
        assert fcntl is not None
        if self._owner != threading.get_ident() or self._pid != os.getpid():
            return
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        """Close the descriptor (the lock is free: the database is being closed)."""
        if self._fd is not None and self._owner is None and self._pid == os.getpid():
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event, not the driver, decide when a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _on_begin(connection: Any) -> None:
    options = connection.get_execution_options()
    mode = options.get("sqlite_begin", "DEFERRED")
    queue: WriteQueue | None = options.get("write_queue")
    if mode == "IMMEDIATE" and queue is not None:
        queue.enter()
        try:
            _begin(connection, mode)
        except BaseException:
            queue.leave()
            raise
        return
    _begin(connection, mode)


def _begin(connection: Any, mode: str) -> None:
    """BEGIN sent straight to the driver (SQLAlchemy's statement set-up cost more than the
    BEGIN itself, at every save), its error raised as SQLAlchemy raises one (a busy
    database is an OperationalError to the callers, whichever way it came)."""
    statement = f"BEGIN {mode}"
    try:
        connection.connection.driver_connection.execute(statement)
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            statement, (), error, sqlite3.Error, dialect=connection.dialect
        ) from error


def _on_end(connection: Any) -> None:
    """COMMIT or ROLLBACK is about to be sent: the next desk in line may begin (SQLite's
    own lock covers the moment it takes)."""
    queue: WriteQueue | None = connection.get_execution_options().get("write_queue")
    if queue is not None:
        queue.leave()


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Amounts travel as exact strings ("500.00"), never as binary floats.
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    """JSON text for our JSON columns (a Decimal becomes its exact string)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


# Built once: json.loads with parse_float builds a decoder at every call, and a save reads
# a handful of JSON values.
_DECODER = json.JSONDecoder(parse_float=Decimal)


def json_loads(text: str | bytes) -> Any:
    """Read our JSON columns: numbers with a fraction (written before amounts were strings)
    come back as exact Decimals."""
    if isinstance(text, str):
        return _DECODER.decode(text)
    return json.loads(text, parse_float=Decimal)


def sqlite_url(path: Path) -> str:
    return f"sqlite+pysqlite:///{path}"


def create_sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file at `path` in WAL mode, synchronous=FULL, foreign keys on."""
    engine = create_engine(
        sqlite_url(path),
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        json_serializer=json_dumps,
        json_deserializer=json_loads,
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)
    return engine


def session_on_centre(session: Session) -> bool:
    """Whether `session` works on the centre (Database.on_centre, from inside a session)."""
    return session.get_bind().dialect.name == "postgresql"


class Database:
    """An open branch database: hands out sessions for reading and for writing."""

    def __init__(self, path: Path, engine: Engine, *, busy_timeout_ms: int | None = None) -> None:
        self.path = path
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self.write_queue = WriteQueue(path, busy_timeout_ms)
        self._write = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE", write_queue=self.write_queue),
            expire_on_commit=False,
        )

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    @property
    def on_centre(self) -> bool:
        """Whether this is the centre (the head office's PostgreSQL: every branch's figures,
        the master data it publishes), not a branch's own SQLite file."""
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()
        self.write_queue.close()
