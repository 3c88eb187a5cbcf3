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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar, cast

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
        self.convert = tuple(
            column.type._cached_result_processor(dialect, None) for column in columns
        )
        self.any_convert = any(self.convert)


@cache
def _compiled(statement: Executable, dialect: Dialect) -> _Compiled:
    return _Compiled(statement, dialect)


def fetch(session: Session, statement: Executable, params: Mapping[str, Any] = {}) -> list[Any]:
    """Run a statement built once (module level, bind parameters for what varies) in the
    session's transaction and return all its rows, converted as SQLAlchemy converts them.
    A statement with no result columns returns []."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        result = session.execute(statement, params)
        return list(result.all()) if getattr(result, "returns_rows", True) else []
    compiled = _compiled(statement, dialect)
    values = []
    for name, convert, fixed in compiled.params:
        value = params[name] if fixed is _REQUIRED else params.get(name, fixed)
        values.append(value if convert is None else convert(value))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
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
    if not compiled.any_convert:
        return [make(row) for row in raw]
    converts = compiled.convert
    return [
        make(
            value if convert is None else convert(value)
            for convert, value in zip(converts, row, strict=True)
        )
        for row in raw
    ]


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
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        with session.begin_nested():
            yield
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
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
