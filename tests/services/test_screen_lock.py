"""The idle minutes before the desktop locks its screen: a branch setting (#13 item 7)."""

import shutil

import pytest

from domain.errors import BadInput
from domain.roles import PermissionDenied
from services import auth, screen_lock
from tests.cli.test_cli import demo_file, run
from tests.services.conftest import NOW

__all__ = ["demo_file"]


def test_an_admin_sets_the_idle_minutes_in_range(demo_db):
    assert screen_lock.idle_lock_minutes(demo_db) == 10
    admin = auth.sign_in(demo_db, "admin", "9999")
    assert screen_lock.save_idle_lock_minutes(demo_db, admin, 3, now=NOW) == 3
    assert screen_lock.idle_lock_minutes(demo_db) == 3
    for wrong in (0, 241):
        with pytest.raises(BadInput, match="1 to 240"):
            screen_lock.save_idle_lock_minutes(demo_db, admin, wrong, now=NOW)
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        screen_lock.save_idle_lock_minutes(demo_db, desk, 5, now=NOW)
    assert screen_lock.idle_lock_minutes(demo_db) == 3


def test_idle_lock_on_the_command_line(demo_file, tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    db = ("--db", str(path))
    assert "after 10 idle minutes" in run(*db, "branch", "idle-lock", tmp_path=tmp_path).stdout
    changed = run(
        *db,
        "--user",
        "admin",
        "branch",
        "idle-lock",
        "--minutes",
        "2",
        pin="9999",
        tmp_path=tmp_path,
    )
    assert "after 2 idle minutes" in changed.stdout
    refused = run(
        *db,
        "--user",
        "admin",
        "branch",
        "idle-lock",
        "--minutes",
        "0",
        pin="9999",
        tmp_path=tmp_path,
        check=False,
    )
    assert refused.returncode != 0 and "1 to 240" in refused.stderr
