"""Opening a SQLite database with the pragmas the product relies on, and session factories.

Write transactions start with BEGIN IMMEDIATE so two front desks saving at once queue up
on the write lock instead of failing half-way; reads start DEFERRED so reports never block
the counter.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000


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
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Amounts travel as exact strings ("500.00"), never as binary floats.
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    """JSON text for our JSON columns (a Decimal becomes its exact string)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def json_loads(text: str) -> Any:
    """Read our JSON columns: numbers with a fraction (written before amounts were strings)
    come back as exact Decimals."""
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
    return engine


class Database:
    """An open branch database: hands out sessions for reading and for writing."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )

    def session(self, *, write: bool) -> Session:
        return (self._write if write else self._read)()

    def close(self) -> None:
        self.engine.dispose()
