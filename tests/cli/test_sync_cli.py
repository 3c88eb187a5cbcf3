"""`frontdesk central init|add-branch` and `frontdesk sync` through the installed command,
against a real PostgreSQL (never skipped)."""

import json
import shutil
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from tests.cli.test_cli import demo_file, run

__all__ = ["demo_file"]

pytestmark = pytest.mark.postgres


def query(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_branch_is_added_to_a_centre_and_syncs_from_the_command_line(
    demo_file, centre, tmp_path, monkeypatch
):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))
    admin_url = centre.render_as_string(hide_password=False)
    monkeypatch.delenv("FRONTDESK_CENTRAL_URL", raising=False)
    monkeypatch.setenv("FRONTDESK_CENTRAL_PASSWORD", "the branch's own password")

    ready = run("central", "init", "--url", admin_url, tmp_path=tmp_path)
    assert "The centre is ready" in ready.stdout
    [(code,)] = query(path, "SELECT branch_code FROM branches")
    added = run(*db, "central", "add-branch", code, "--url", admin_url, tmp_path=tmp_path)
    role = f"{centre.database}_{code}".lower()
    assert f"syncs as the role {role}" in added.stdout
    branch_url = centre.set(username=role, password="the branch's own password")

    [(mobile,)] = query(path, "SELECT mobile FROM patients WHERE NOT is_walk_in LIMIT 1")
    sale = ("--user", "priya", "invoice", "create", "--patient", mobile, "--item", "CONSULT")
    run(*db, *sale, pin="1111", tmp_path=tmp_path)
    [(queued,)] = query(path, "SELECT count(*) FROM sync_outbox WHERE sent_at IS NULL")

    url = branch_url.render_as_string(hide_password=False)
    done = json.loads(run(*db, "sync", "--central", url, "--json", tmp_path=tmp_path).stdout)
    assert (done["pushed"], done["pending"], done["needs_attention"]) == (queued, 0, [])
    engine = create_engine(centre)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM central_documents")).scalar()
    assert stored == queued

    again = run(*db, "sync", "--central", url, "--send-again", tmp_path=tmp_path)
    assert again.stdout.startswith("0 refused document(s) queued again.\nSent 0 document(s)")

    unset = run(*db, "sync", tmp_path=tmp_path, check=False)
    assert unset.returncode == 1 and "Sync is not configured" in unset.stderr

    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0007'"))
    engine.dispose()
    monkeypatch.setenv("FRONTDESK_CENTRAL_URL", url)
    behind = run(*db, "sync", tmp_path=tmp_path, check=False)
    assert behind.returncode == 1 and "upgrade the centre" in behind.stderr
