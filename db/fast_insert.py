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
none, the database's; a column with neither is given NULL, so that rows leaving out
different ones of those (a cash payment has no reference, a UPI payment no tendered
amount) still go in one statement.
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

from db.fast_select import driver

_Convert = Callable[[Any], Any] | None


@cache
def _always(table: Table) -> frozenset[str]:
    """The columns with no default on either side (nor the primary key): a row leaving one
    out gives NULL, as a row giving it as None does, so every statement names them and rows
    leaving out different ones of them share a statement."""
    return frozenset(
        column.key
        for column in table.columns
        if column.default is None and column.server_default is None and not column.primary_key
    )


# How a statement's column gets its value: the row's (converted), a constant (the column's
# scalar default, converted once), or a call (a default such as uuid4, then converted).
_ROW, _CONSTANT, _CALL = 0, 1, 2


@cache
def _statement(
    table: Table, keys: frozenset[str], dialect: Dialect
) -> tuple[str, tuple[tuple[int, str, _Convert, Any], ...]]:
    """The INSERT text and, for each of its columns: how its value is had (_ROW, _CONSTANT,
    _CALL), its key, its bind processor and the constant or the default to call."""
    plan: list[tuple[int, Column[Any], Any]] = []
    always = _always(table)
    for column in table.columns:
        default = column.default
        if column.key in keys or column.key in always:
            plan.append((_ROW, column, None))
        elif isinstance(default, ScalarElementColumnDefault):
            plan.append((_CONSTANT, column, default.arg))
        elif isinstance(default, CallableColumnDefault) and default.arg is not default._fn:
            # SQLAlchemy wraps a default taking no arguments as `lambda ctx: fn()`: one that
            # reads the execution context (or a SQL expression) has no place here.
            plan.append((_CALL, column, default.arg))
        elif default is not None:
            raise ValueError(f"{table.name}.{column.key}: a default needing SQLAlchemy")
    names = ", ".join(dialect.identifier_preparer.format_column(c) for _, c, _ in plan)
    marks = ", ".join("?" for _ in plan)
    text = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({marks})"
    )
    steps = []
    for how, column, extra in plan:
        convert = column.type._cached_bind_processor(dialect)
        if how == _CONSTANT and extra is not None and convert is not None:
            extra = convert(extra)
        steps.append((how, column.key, convert, extra))
    return text, tuple(steps)


def insert_rows(session: Session, table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts by column key) into `table` in the session's transaction, as
    the ORM's bulk INSERT does: a key whose value is None is left out (the column's default
    then applies; NULL for a column without one), and rows leaving out the same keys of
    columns with a default go in one statement."""
    if not isinstance(table, Table):
        raise TypeError(f"{table} is not a table")
    if not rows:
        return
    dialect, raw = driver(session)
    if raw is None:
        # Elsewhere (the centre's PostgreSQL) SQLAlchemy's INSERT, None left out the same way.
        given: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            kept = {key: value for key, value in row.items() if value is not None}
            given.setdefault(tuple(sorted(kept)), []).append(kept)
        for group in given.values():
            session.execute(insert(table), group)
        return
    groups: dict[frozenset[str], list[tuple[Any, ...]]] = {}
    always = _always(table)
    for row in rows:
        keys = frozenset(
            key for key, value in row.items() if value is not None and key not in always
        )
        _text, steps = _statement(table, keys, dialect)
        get = row.get
        record: list[Any] = []
        append = record.append
        for how, key, convert, extra in steps:
            if how == _ROW:
                value = get(key)
            elif how == _CONSTANT:
                append(extra)
                continue
            else:
                value = extra(None)
            append(value if value is None or convert is None else convert(value))
        groups.setdefault(keys, []).append(tuple(record))
    cursor = raw.cursor()
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
