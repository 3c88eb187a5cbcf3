"""Statements built once and run straight on the driver: the counter's save path.

The companion of db.fast_insert for the reads (and the one UPDATE ... RETURNING) a save
makes inside its write transaction. `session.execute(statement, params)` costs SQLAlchemy
0.1 to 0.3 ms a statement in Python (a cache key built from the statement, parameter and
result set-up, an ORM entity per row) before SQLite does a few microseconds of work, and a
save asks a dozen such questions (issue #11's goal: within 3x of a raw sqlite3 transaction
writing the same rows). `fetch` compiles a module-level statement once per dialect, keeps
each parameter's and each column's own type conversion (UUIDs, aware instants, JSON,
percents), and hands the driver the SQL text with a plain tuple; rows come back as named
tuples of converted values, as `Row` would give them.

Only Core statements over tables and columns (no ORM entities): the rows are values, not
objects in the session. On any other database than SQLite it is `session.execute`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import manager_of_class
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

_REQUIRED = object()
_T = TypeVar("_T")


class _Compiled:
    """A statement's SQL text, its parameters in order (name, conversion, fixed value or
    _REQUIRED) and its columns' conversions, with the row type its rows come back as."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = cast(ClauseElement, statement).compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.positiontup is None:
            raise ValueError("fast_select needs a positional paramstyle")
        processors: Mapping[str, Any] = compiled._bind_processors
        self.text = compiled.string
        self.params: tuple[tuple[str, Any, Any], ...] = tuple(
            (
                name,
                processors.get(name),
                _REQUIRED if compiled.binds[name].required else compiled.binds[name].value,
            )
            for name in compiled.positiontup
        )
        columns = compiled._result_columns
        self.row: Any = namedtuple("Row", [column.keyname for column in columns])  # type: ignore[misc]
        # The columns whose values SQLAlchemy converts (by place), and how.
        self.converting = tuple(
            (place, convert)
            for place, convert in enumerate(
                column.type._cached_result_processor(dialect, None) for column in columns
            )
            if convert is not None
        )


@cache
def _compiled(statement: Executable, dialect: Dialect) -> _Compiled:
    return _Compiled(statement, dialect)


_DRIVER = "db.fast_select.driver"


def driver(session: Session) -> tuple[Dialect, Any]:
    """The session's dialect and, on SQLite (qmark), the sqlite3 connection of its
    transaction (None elsewhere). SQLAlchemy is asked once per transaction (it costs
    several microseconds a time, and a save asks twenty times): the answer is kept in
    `session.info` until the transaction ends (`_forget`). The first call begins the
    transaction as `session.connection()` does."""
    found = session.info.get(_DRIVER)
    if found is None:
        connection = session.connection()
        dialect = connection.dialect
        raw = None
        if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
            raw = connection.connection.driver_connection
        found = session.info[_DRIVER] = (dialect, raw)
    return cast(tuple[Dialect, Any], found)


_READS = "db.fast_select.reads"
_MOST_READS = 64


class _Reads:
    """What `remembered` kept on one SQLite connection, and the database's state when it
    was last valid: (PRAGMA data_version, the connection's total_changes), or None."""

    __slots__ = ("stamp", "values")

    def __init__(self) -> None:
        self.stamp: tuple[int, int] | None = None
        self.values: dict[Any, Any] = {}


def _state(raw: Any) -> tuple[int, int]:
    """Moves when another connection commits (data_version) or this one writes."""
    return (raw.execute("PRAGMA data_version").fetchone()[0], raw.total_changes)


def remember_reads(session: Session) -> None:
    """Let `remembered` keep, on this SQLite connection, what this write transaction reads
    of what it does not write (the counter's save: this branch, its settings, the patient,
    the items, the sponsored badges), for the connection's next such transaction.

    Call it first in a write transaction (BEGIN IMMEDIATE: no other connection commits
    until it ends), and `stamp_reads` last before its commit. What was kept before is
    used only if nothing was written to the database since that stamp: no other
    connection committed (PRAGMA data_version) and this one wrote nothing
    (total_changes); else it is forgotten and read again. Elsewhere than SQLite, nothing
    is kept."""
    _dialect, raw = driver(session)
    if raw is None:
        return
    record = session.connection().connection.info
    reads = record.get(_READS)
    if reads is None:
        reads = record[_READS] = _Reads()
    if reads.stamp != _state(raw) or len(reads.values) > _MOST_READS:
        reads.values.clear()
    reads.stamp = None  # until this transaction is stamped, nothing kept is trusted
    session.info[_READS] = reads


def remembered(session: Session, key: Any, read: Callable[[], _T]) -> _T:
    """`read()`, or what it gave under `key` in an earlier transaction of this connection
    (remember_reads); without remember_reads in this transaction, `read()`. The value is
    shared: it must not be changed."""
    reads = session.info.get(_READS)
    if reads is None:
        return read()
    if key in reads.values:
        return cast(_T, reads.values[key])
    value = reads.values[key] = read()
    return value


def kept(session: Session, key: Any) -> Any | None:
    """What `remembered` keeps under `key` in this transaction, or None."""
    reads = session.info.get(_READS)
    return None if reads is None else reads.values.get(key)


def remember(session: Session, key: Any, value: Any) -> None:
    """Keep `value` under `key` in place of what was read (remember_reads): for a row this
    transaction itself wrote, as it now stands in the database. Nothing without
    remember_reads."""
    reads = session.info.get(_READS)
    if reads is not None:
        reads.values[key] = value


def stamp_reads(session: Session) -> Callable[[], None]:
    """After the transaction's last write, before its commit: the database's state now
    (no other connection commits before this transaction ends). Call what it returns
    once the commit succeeded: what `remembered` kept is then valid while the state stays
    as it is (remember_reads). A transaction that does not commit leaves it unstamped,
    so its connection's next one reads everything again."""
    reads = session.info.pop(_READS, None)
    if reads is None:
        return _nothing
    state = _state(driver(session)[1])

    def keep() -> None:
        reads.stamp = state

    return keep


def _nothing() -> None:
    return None


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, _transaction: Any) -> None:
    """A transaction (or savepoint) ended: the next asks SQLAlchemy again."""
    session.info.pop(_DRIVER, None)


def fetch(session: Session, statement: Executable, params: Mapping[str, Any] = {}) -> list[Any]:
    """Run a statement built once (module level, bind parameters for what varies) in the
    session's transaction and return all its rows, converted as SQLAlchemy converts them.
    A statement with no result columns returns []."""
    dialect, raw = driver(session)
    if raw is None:
        result = session.execute(statement, params)
        return list(result.all()) if getattr(result, "returns_rows", True) else []
    compiled = _compiled(statement, dialect)
    values = []
    for name, convert, fixed in compiled.params:
        value = params[name] if fixed is _REQUIRED else params.get(name, fixed)
        values.append(value if convert is None else convert(value))
    cursor = raw.cursor()
    dbapi = dialect.loaded_dbapi
    try:
        try:
            cursor.execute(compiled.text, values)
            raw = cursor.fetchall()
        except dbapi.Error as error:
            # As SQLAlchemy would raise it, so that the services' handling holds.
            raise DBAPIError.instance(
                compiled.text, values, error, dbapi.Error, dialect=dialect
            ) from error
    finally:
        cursor.close()
    make = compiled.row._make
    converting = compiled.converting
    if not converting:
        return [make(row) for row in raw]
    rows = []
    for row in raw:
        values = list(row)
        for place, convert in converting:
            values[place] = convert(values[place])
        rows.append(make(values))
    return rows


def fetch_one(
    session: Session, statement: Executable, params: Mapping[str, Any] = {}
) -> Any | None:
    """The first row of `fetch`, or None."""
    rows = fetch(session, statement, params)
    return rows[0] if rows else None


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT around the block, sent straight to the driver: an exception rolls back
    what the block wrote (and goes on), the rest of the transaction stands.

    Only for a block that writes through this module and db.fast_insert: the session
    knows nothing of the savepoint, so objects it holds would not be rolled back with it
    (use `session.begin_nested()` for those). Elsewhere than SQLite it is begin_nested."""
    _dialect, raw = driver(session)
    if raw is None:
        with session.begin_nested():
            yield
        return
    cursor = raw.cursor()
    try:
        cursor.execute("SAVEPOINT fast_select")
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT fast_select")
            cursor.execute("RELEASE SAVEPOINT fast_select")
            raise
        cursor.execute("RELEASE SAVEPOINT fast_select")
    finally:
        cursor.close()


def plain_object(cls: type[_T], values: Mapping[str, Any]) -> _T:
    """An object of the mapped class `cls` holding `values` (by attribute), made as the
    ORM makes the objects it loads: the values go into the object in place, without the
    attribute events a constructor fires (a constructor of a 25-column row cost 15 times
    as much, and a save builds a dozen). The object is transient, in no session and not
    to be added to one: a row read (`fetch`) or built (for db.fast_insert) to be read
    back, such as the invoice a save returns. An attribute not given reads None."""
    instance: _T = manager_of_class(cls).new_instance()
    instance.__dict__.update(values)
    return instance
