"""Each branch's sync state at the head office (issue #15), against a real PostgreSQL: a
round ends by telling the centre where the branch stands (pending, needing attention, its
clock's offset), and the head office reads it beside the branch's last push."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text, update

from db.models import SyncOutbox
from services import head_office as head_office_service
from services import sync
from tests.cli.test_cli import run
from tests.services.test_sync import clock
from tests.services.test_sync_pull import HO_PIN

pytestmark = pytest.mark.postgres


def test_the_head_office_sees_each_branchs_last_round(centre, head_office, two_branches):
    a, b = two_branches
    a.sell(paid=True)
    bad = a.outbox()[1]
    with a.db.session(write=True) as session, session.begin():
        session.execute(
            update(SyncOutbox)
            .where(SyncOutbox.id == bad.id)
            .values(payload={**bad.payload, "note": "pasted\u0000text"})
        )
    a.sync()
    # Branch B's clock is an hour fast.
    sync.sync_round(b.db, b.url, now=lambda: clock() + timedelta(hours=1), backoff=())

    states = {
        s.code: s for s in head_office_service.branch_states(head_office.db, head_office.admin)
    }

    assert set(states) == {"IND", "KOR"}
    ind, kor = states["IND"], states["KOR"]
    assert (ind.pending, ind.needs_attention) == (0, 1)
    assert ind.documents == len(a.outbox()) - 1
    assert ind.last_push_at is not None and ind.reported_at is not None
    assert (kor.pending, kor.needs_attention) == (0, 0)
    # The tests' branches run on a fixed clock; B's is an hour ahead of A's.
    assert ind.clock_offset_s is not None and kor.clock_offset_s is not None
    assert abs(kor.clock_offset_s - ind.clock_offset_s - 3600) < 120


def test_a_branch_reads_only_its_own_state(centre, two_branches):
    a, b = two_branches
    a.sync()
    b.sync()
    engine = create_engine(b.url)
    try:
        with engine.connect() as connection:
            seen = connection.execute(text("SELECT count(*) FROM sync_branch_state")).scalar()
    finally:
        engine.dispose()
    assert seen == 1


def test_central_branches_from_the_command_line(centre, head_office, two_branches, tmp_path):
    two_branches[0].sync()
    url = centre.render_as_string(hide_password=False)
    listed = run(
        "--central",
        url,
        "--user",
        "ho",
        "central",
        "branches",
        "--json",
        pin=HO_PIN,
        tmp_path=tmp_path,
    ).stdout
    assert '"branch": "IND"' in listed and '"pending": 0' in listed
    refused = run("central", "branches", tmp_path=tmp_path, check=False)
    assert refused.returncode == 2
    assert "--central URL" in refused.stderr
