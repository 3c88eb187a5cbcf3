"""Desks queue for the write lock in turn (db.engine.WriteQueue), and a lock held too long
is a sentence that says to try again, never a traceback, with nothing half-saved."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time

import pytest
from filelock import FileLock
from sqlalchemy import func, select

import db.engine
from db.models import AuditLog
from services import auth, branch
from services.errors import DatabaseBusy, is_busy
from tests.cli.test_cli import demo_file
from tests.services.conftest import NOW, demo_template

__all__ = ["demo_file", "demo_template"]


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(db.engine, "BUSY_TIMEOUT_MS", 300)


def audit_rows(database):
    with database.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


def rename(database, manager, name):
    details = branch.get_branch(database).details
    from dataclasses import replace

    branch.update_branch(database, manager, replace(details, name=name), now=NOW)


def test_a_desk_that_holds_the_queue_too_long_gets_a_sentence_and_nothing_is_saved(
    demo_template, tmp_path, short_wait
):
    import shutil

    from services.setup import open_branch_database

    path = tmp_path / "shared.db"
    shutil.copyfile(demo_template, path)
    database = open_branch_database(path, now=NOW)
    manager = auth.sign_in(database, "meera", "2222")
    before = audit_rows(database)
    other_desk = FileLock(f"{path}.lock")
    held = threading.Event()
    done = threading.Event()

    def hold() -> None:
        with other_desk:
            held.set()
            done.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(DatabaseBusy, match="Try again in a moment"):
            rename(database, manager, "Indiranagar East")
    finally:
        done.set()
        holder.join()
    assert audit_rows(database) == before
    rename(database, manager, "Indiranagar East")  # the lock free, it saves
    assert branch.get_branch(database).details.name == "Indiranagar East"
    database.close()


def test_sqlites_own_lock_held_by_a_raw_writer_is_a_busy_sentence(
    demo_template, tmp_path, short_wait
):
    import shutil

    from services.setup import open_branch_database

    path = tmp_path / "shared.db"
    shutil.copyfile(demo_template, path)
    database = open_branch_database(path, now=NOW)
    manager = auth.sign_in(database, "meera", "2222")
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Exception) as caught:
            rename(database, manager, "Indiranagar East")
        assert is_busy(caught.value)
    finally:
        raw.execute("ROLLBACK")
        raw.close()
    database.close()


def test_the_command_line_says_to_try_again_when_the_database_stays_busy(demo_file, tmp_path):
    import os
    import shutil

    from tests.cli.test_cli import FRONTDESK

    path = tmp_path / "shared.db"
    shutil.copyfile(demo_file, path)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    try:
        env = {
            **os.environ,
            "FRONTDESK_BUSY_TIMEOUT_MS": "300",
            "FRONTDESK_PIN": "2222",
            "FRONTDESK_LOG_DIR": str(tmp_path / "logs"),
        }
        began = time.monotonic()
        result = subprocess.run(
            [str(FRONTDESK), "--db", str(path), "--user", "meera", "branch", "set", "--name", "X"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        raw.execute("ROLLBACK")
        raw.close()
    assert result.returncode == 1, result.stderr
    assert "Try again in a moment" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - began < 30
