"""Fixtures shared by every test folder. No Qt here: the desktop tests bring their own.

`pg_url` gives each test its own freshly created PostgreSQL database on the server named by
FRONTDESK_TEST_PG and drops it afterwards, whatever the outcome. A server that cannot be
reached fails the test: CI must not turn a missing server into a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

DEFAULT_TEST_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_url() -> Iterator[URL]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    admin_url = make_url(os.environ.get("FRONTDESK_TEST_PG", DEFAULT_TEST_PG))
    admin = create_engine(
        admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"fd_test_{uuid.uuid4().hex[:12]}"
    try:
        unreachable = None
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            unreachable = str(exc.orig).strip()
        if unreachable is not None:
            pytest.fail(
                f"Cannot reach the PostgreSQL test server at "
                f"{admin_url.render_as_string(hide_password=True)} ({unreachable}). "
                "Start it or point FRONTDESK_TEST_PG at one; these tests do not skip.",
                pytrace=False,
            )
        try:
            yield admin_url.set(database=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
