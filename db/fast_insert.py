"""INSERTs of rows built in Python, straight to the driver: the counter's save path.

`session.execute(insert(Table), rows)` costs SQLAlchemy about a quarter of a millisecond a
statement in Python (statement caching, parameter processing, result set-up) before SQLite
does its 20 microseconds of work; a save writes ten such statements (issue #11's speed goal:
within 3x of a raw sqlite3 transaction writing the same rows). `insert_rows` keeps the one
thing SQLAlchemy must do, each column type's conversion (aware datetimes, UUIDs, JSON,
percentages), by taking the types' own bind processors, and hands the driver one prepared
statement with plain tuples.

Columns a row leaves out (or gives as None, as the ORM's bulk INSERT takes them) get the
column's Python-side default (a scalar or a callable taking no context) or, when it has
none, the database's.
On any other database than SQLite it is `session.execute(insert(table), rows)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Column, FromClause, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

_Convert = Callable[[Any], Any] | None


@cache
def _statement(
    table: Table, keys: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[tuple[str, _Convert, Any], ...]]:
    """The INSERT text and, for each of its columns: key, bind processor, default."""
    columns: list[tuple[Column[Any], Any]] = []
    for column in table.columns:
        default = column.default
        if column.key in keys:
            columns.append((column, None))
        elif default is not None:
            # SQLAlchemy wraps a default taking no arguments as `lambda ctx: fn()`: one that
            # reads the execution context (or a SQL expression) has no place here.
            given = isinstance(default, ScalarElementColumnDefault) or (
                isinstance(default, CallableColumnDefault) and default.arg is not default._fn
            )
            if given:
                columns.append((column, default.arg))  # type: ignore[attr-defined]
            else:
                raise ValueError(f"{table.name}.{column.key}: a default needing SQLAlchemy")
    names = ", ".join(dialect.identifier_preparer.format_column(c) for c, _ in columns)
    marks = ", ".join("?" for _ in columns)
    text = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})"
    )
    return text, tuple(
        (column.key, column.type._cached_bind_processor(dialect), default)
        for column, default in columns
    )


def insert_rows(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts by column key) into `table` in the session's transaction, as
    the ORM's bulk INSERT does: a key whose value is None is left out (the column's default
    then applies), and rows leaving out the same keys go in one statement."""
    if not isinstance(table, Table):
        raise TypeError(f"{table} is not a table")
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        # Elsewhere (the centre's PostgreSQL) SQLAlchemy's INSERT, None left out the same way.
        given: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            kept = {key: value for key, value in row.items() if value is not None}
            given.setdefault(tuple(sorted(kept)), []).append(kept)
        for group in given.values():
            session.execute(insert(table), group)
        return
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        keys = tuple(sorted(key for key, value in row.items() if value is not None))
        text, columns = _statement(table, keys, dialect)
        record = []
        for key, convert, default in columns:
            if key in keys:
                value = row[key]
            elif callable(default):
                value = default(None)
            else:
                value = default
            record.append(value if convert is None else convert(value))
        groups.setdefault(keys, []).append(tuple(record))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    dbapi = dialect.loaded_dbapi
    try:
        for keys, values in groups.items():
            text = _statement(table, keys, dialect)[0]
            try:
                cursor.executemany(text, values)
            except dbapi.Error as error:
                # As SQLAlchemy would raise it (an IntegrityError is an IntegrityError to
                # the services, whichever way the row went in).
                raise DBAPIError.instance(
                    text, values, error, dbapi.Error, dialect=dialect, ismulti=True
                ) from error
    finally:
        cursor.close()
