"""The audit log is append-only in the database and tamper-evident (#13 item 8)."""

import shutil
import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from db.engine import sqlite_url
from db.migrate import open_database
from db.models import AuditLog
from domain.audit_chain import AuditEntry, entry_hash
from domain.roles import Role
from services import audit, auth, patients
from services.auth import CurrentUser
from services.patients import NewPatient
from services.setup import open_branch_database
from tests.cli.test_cli import demo_file, run
from tests.db.test_migration_0003 import upgrade_to
from tests.db.test_migrations import _alembic
from tests.services.conftest import NOW, TODAY

__all__ = ["demo_file"]

ADMIN = CurrentUser(uuid.uuid4(), "admin", "Admin", Role.ADMIN, uuid.uuid4(), Decimal(0))


def sql(path, statement, *params):
    con = sqlite3.connect(path)
    try:
        con.execute(statement, params)
        con.commit()
    finally:
        con.close()


def unlock(path):
    """What an attacker with the file would do first: drop the append-only triggers."""
    sql(path, "DROP TRIGGER audit_log_no_update")
    sql(path, "DROP TRIGGER audit_log_no_delete")


def entry(path, seq):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, action FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    finally:
        con.close()


@pytest.fixture
def chained(demo_db):
    """The demo clinic with a few more entries in its audit log."""
    desk = auth.sign_in(demo_db, "priya", "1111")
    for n in range(5):
        patients.add_patient(
            demo_db, desk, NewPatient(f"Asha Rao {n}", f"984501234{n}"), now=NOW, today=TODAY
        )
    return demo_db


def test_a_new_database_verifies_clean_and_chains_each_write(demo_db):
    before = audit.verify_audit(demo_db, ADMIN)
    assert before.intact and before.entries > 0
    desk = auth.sign_in(demo_db, "priya", "1111")
    patients.add_patient(demo_db, desk, NewPatient("Asha Rao", "9845012345"), now=NOW, today=TODAY)
    after = audit.verify_audit(demo_db, ADMIN)
    assert after.intact and after.entries == before.entries + 1
    assert "intact" in after.sentence()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'nothing' WHERE seq = 1", "DELETE FROM audit_log"],
)
def test_a_plain_update_or_delete_is_refused_by_the_database(demo_db, statement):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(demo_db.path, statement)


def test_a_receptionist_may_not_verify(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(Exception, match="admin"):
        audit.verify_audit(demo_db, desk)


def test_an_altered_entry_is_named_at_its_exact_place(chained):
    unlock(chained.path)
    sql(chained.path, "UPDATE audit_log SET entity_id = 'someone else' WHERE seq = 3")
    check = audit.verify_audit(chained, ADMIN)
    entry_id, action = entry(chained.path, 3)
    assert not check.intact and check.broken is not None
    assert (check.broken.seq, check.broken.id.hex, check.broken.action) == (3, entry_id, action)
    assert "changed" in check.broken.reason and "entry 3" in check.sentence()


def test_a_rehashed_entry_still_breaks_the_next_one(chained):
    """Rewriting an entry and its own hash (the formula is public) breaks the link after it."""
    unlock(chained.path)
    with chained.session(write=False) as session:
        row = session.scalars(select(AuditLog).where(AuditLog.seq == 2)).one()
        forged = AuditEntry(
            2,
            row.id,
            row.at,
            row.branch_id,
            row.user_id,
            "nothing.happened",
            row.entity_type,
            row.entity_id,
            row.details,
        )
        prev = row.prev_hash
    sql(
        chained.path,
        "UPDATE audit_log SET action = ?, row_hash = ? WHERE seq = 2",
        forged.action,
        entry_hash(prev, forged),
    )
    check = audit.verify_audit(chained, ADMIN)
    assert check.broken is not None and check.broken.seq == 3
    assert "does not follow" in check.broken.reason


def test_a_removed_entry_is_named_at_the_gap(chained):
    unlock(chained.path)
    sql(chained.path, "DELETE FROM audit_log WHERE seq = 2")
    check = audit.verify_audit(chained, ADMIN)
    assert check.broken is not None and check.broken.seq == 3
    assert "2 is missing" in check.broken.reason


def test_entries_written_before_the_chain_are_chained_by_the_migration(tmp_path):
    path = tmp_path / "old.db"
    upgrade_to(path, "0008")
    engine = create_engine(sqlite_url(path))
    with engine.begin() as connection:
        for n, (at, details) in enumerate(
            [
                ("2026-06-01 10:00:00.000000", '{"total": "500.00", "lines": [1, 2]}'),
                ("2026-06-01 09:00:00.000000", None),
                ("2026-06-01 10:00:00.000000", '{"name": "\u0906\u0936\u093e", "rate": 12.5}'),
            ]
        ):
            connection.execute(
                text(
                    "INSERT INTO audit_log (id, at, action, entity_type, entity_id, details)"
                    " VALUES (:id, :at, :action, 'patient', :n, :details)"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "at": at,
                    "action": f"old.{n}",
                    "n": str(n),
                    "details": details,
                },
            )
    engine.dispose()

    db = open_database(path, now=datetime(2026, 12, 3, tzinfo=UTC))
    try:
        check = audit.verify_audit(db, ADMIN)
        assert check.intact and check.entries == 3
        assert entry(path, 1)[1] == "old.1"  # the earliest first
        unlock(path)
        sql(path, "UPDATE audit_log SET details = '{\"rate\": 12.6}' WHERE action = 'old.2'")
        assert audit.verify_audit(db, ADMIN).broken.action == "old.2"
    finally:
        db.close()


def test_audit_verify_on_the_command_line(demo_file, tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    args = ("--db", str(path), "--user", "admin", "audit", "verify")
    clean = run(*args, pin="9999", tmp_path=tmp_path)
    assert "intact" in clean.stdout

    unlock(path)
    sql(path, "UPDATE audit_log SET at = '2020-01-01 00:00:00.000000' WHERE seq = 1")
    entry_id, action = entry(path, 1)
    broken = run(*args, pin="9999", tmp_path=tmp_path, check=False)
    assert broken.returncode == 1
    assert f"entry 1 (id {uuid.UUID(entry_id)}" in broken.stdout and action in broken.stdout


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
def test_postgres_refuses_changes_to_the_audit_log_too(pg_url, statement):
    engine = create_engine(pg_url)
    try:
        with engine.begin() as connection:
            _alembic(connection, "upgrade", "head")
            connection.execute(
                text(
                    "INSERT INTO audit_log (id, at, action, entity_type, seq, prev_hash, row_hash)"
                    " VALUES (:id, now(), 'x', 'y', 1, :h, :h)"
                ),
                {"id": uuid.uuid4(), "h": "0" * 64},
            )
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_two_desks_writing_at_once_keep_one_unbroken_chain(demo_db):
    """Each unit of work reads the last hash inside its write lock: no two entries chain
    onto the same one, whichever desk saves first."""

    def desk(n: int) -> None:
        db = open_branch_database(demo_db.path, now=NOW)
        try:
            user = auth.sign_in(db, "priya", "1111")
            for k in range(10):
                patients.add_patient(
                    db,
                    user,
                    NewPatient(f"Desk {n} Patient {k}", f"98{n}00000{k:02d}"),
                    now=NOW,
                    today=TODAY,
                )
        finally:
            db.close()

    before = audit.verify_audit(demo_db, ADMIN).entries
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(desk, [1, 2]))
    check = audit.verify_audit(demo_db, ADMIN)
    assert check.intact and check.entries == before + 20
