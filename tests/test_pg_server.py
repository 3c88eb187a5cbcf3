"""The session's PostgreSQL is the one FRONTDESK_TEST_PG names, else a throwaway one (never a
server that happens to listen on 127.0.0.1:5432)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from tests.conftest import TEST_PG_VARIABLE


@pytest.mark.postgres
def test_the_test_database_lives_on_the_named_server_or_a_throwaway_one(pg_url: URL) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            address = connection.execute(text("SELECT inet_server_addr()")).scalar()
            data_directory = connection.execute(text("SHOW data_directory")).scalar()
            database = connection.execute(text("SELECT current_database()")).scalar()
    finally:
        engine.dispose()
    assert database == pg_url.database
    assert database.startswith("fd_test_")
    named = os.environ.get(TEST_PG_VARIABLE)
    if named:
        assert pg_url.host == make_url(named).host
    else:
        # The throwaway server listens on a Unix socket in its own temporary folder only.
        assert address is None
        assert "frontdesk-pg-" in str(data_directory)
