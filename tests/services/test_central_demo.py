"""`frontdesk central demo` (issue #15): the chain it builds on a real PostgreSQL, a head
office and two branches synced, shows what it says: every document on the centre, the
chain's code counted across the branches, one customer of both branches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from db import central
from services import auth, dashboard, promotions, sync
from services.central_demo import CODE, HEAD_OFFICE_PIN, HEAD_OFFICE_USER, build_chain
from services.dashboard import DashboardFilters
from services.head_office import open_centre
from services.setup import open_branch_database

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)


@pytest.fixture
def demo_database(pg_server):
    name = f"fd_demo_{uuid.uuid4().hex[:10]}"
    yield name
    engine = create_engine(pg_server.set(database=name))
    try:
        with engine.begin() as connection:
            central.drop_branch_roles(connection)
    finally:
        engine.dispose()
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_the_demo_chain_is_synced_and_counts_across_its_branches(
    pg_server, demo_database, tmp_path
):
    said: list[str] = []
    chain = build_chain(
        pg_server.render_as_string(hide_password=False),
        tmp_path,
        now=NOW,
        say=said.append,
        database=demo_database,
    )
    assert [b.code for b in chain.branches] == ["IND", "KOR"]
    assert any("count 3 of its 5 uses" in line for line in said)
    for branch in chain.branches:
        db = open_branch_database(branch.path, now=NOW)
        try:
            assert sync.pending_count(db) == 0
            assert promotions.code_at_counter(db, CODE).uses == 3
        finally:
            db.close()
    assert any("--central" in line and "gui" in line for line in chain.instructions())

    office = open_centre(chain.centre_url)
    try:
        manager = auth.sign_in(office, HEAD_OFFICE_USER, HEAD_OFFICE_PIN)
        whole = dashboard.rfm_report(office, manager, DashboardFilters(), today=NOW.date())
        parts = [
            dashboard.rfm_report(
                office, manager, DashboardFilters(branches=(code,)), today=NOW.date()
            ).figures.kpis.total_customer
            for code in ("IND", "KOR")
        ]
    finally:
        office.close()
    # KOR's two buyers: one of them is a regular of IND, counted once in the chain.
    assert parts[1] == 2
    assert whole.figures.kpis.total_customer == parts[0] + 1
