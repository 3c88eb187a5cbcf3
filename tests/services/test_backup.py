"""Backups and restore (services.backup) on real SQLite files: copies taken while the
database is open, checked, rotated; a damaged database restored from yesterday's copy."""

import os
import sqlite3
from datetime import date, timedelta

import pytest

from domain.errors import BadInput
from domain.roles import PermissionDenied
from services import auth, backup, invoicing
from services.backup import BackupSettings, RestoreRefused
from services.setup import open_branch_database
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart


@pytest.fixture
def admin(demo_db):
    return auth.sign_in(demo_db, "admin", "9999")


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def numbers(path):
    con = sqlite3.connect(path)
    try:
        return {row[0] for row in con.execute("SELECT invoice_number FROM invoice_header")}
    finally:
        con.close()


def test_a_backup_is_a_checked_copy_taken_while_the_database_is_open(demo_db, desk):
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)

    copy = backup.take_backup(demo_db, now=NOW, reason="manual")

    assert copy.path.parent == demo_db.path.parent / "backups"
    assert copy.path.name == "frontdesk-20261124T053000Z-manual.db"
    assert backup.integrity_problems(copy.path) == []
    assert saved.invoice_number in numbers(copy.path)
    assert not list(copy.path.parent.glob("*.partial"))
    backup.restore_preview(demo_db.path, copy.path)  # reads the copy
    assert sorted(p.name for p in copy.path.parent.iterdir()) == [copy.path.name]
    state = backup.backup_state(demo_db, now=NOW + timedelta(hours=1))
    assert state.last == copy and not state.stale
    assert state.sentence("Asia/Kolkata") == "Last good backup: 24 Nov 2026, 11:00"
    assert backup.backup_state(demo_db, now=NOW + timedelta(days=3)).stale


def test_the_days_backup_is_taken_once_a_day(demo_db):
    first = backup.backup_if_due(demo_db, now=NOW)
    assert first is not None and first.reason == "daily"
    assert backup.backup_if_due(demo_db, now=NOW + timedelta(hours=5)) is None
    assert backup.backup_if_due(demo_db, now=NOW + timedelta(days=1)) is not None


def test_rotation_keeps_seven_days_and_four_weeks(demo_db):
    taken = [
        backup.take_backup(demo_db, now=NOW - timedelta(days=back), reason="daily")
        for back in range(60, -1, -1)  # oldest first, as the days went by
    ]
    kept = backup.list_backups(demo_db.path.parent / "backups")

    days = [copy.taken_at.date() for copy in kept]
    assert days[:7] == [NOW.date() - timedelta(days=back) for back in range(7)]
    weeks = {day.isocalendar()[:2] for day in days[7:]}
    assert len(days) == 11 and len(weeks) == 4
    assert all(day < days[6] for day in days[7:])
    assert taken[-1] == kept[0]


def test_a_folder_that_cannot_be_written_is_refused_when_chosen(demo_db, admin, desk, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.raises(BadInput, match="cannot write"):
        backup.save_backup_settings(
            demo_db, admin, BackupSettings(folder=str(blocked / "x")), now=NOW
        )
    with pytest.raises(BadInput, match="full path"):
        backup.save_backup_settings(demo_db, admin, BackupSettings(folder="relative"), now=NOW)
    with pytest.raises(PermissionDenied):
        backup.save_backup_settings(demo_db, desk, BackupSettings(), now=NOW)

    usb = tmp_path / "usb"
    backup.save_backup_settings(demo_db, admin, BackupSettings(str(usb), 3, 1), now=NOW)
    assert backup.take_backup(demo_db, now=NOW).path.parent == usb


def test_a_damaged_database_is_restored_from_yesterdays_backup(demo_db, desk, tmp_path):
    yesterday = NOW - timedelta(days=1)
    kept = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=yesterday)
    copy = backup.take_backup(demo_db, now=yesterday, reason="daily")
    later = invoicing.save_invoice(demo_db, desk, cart(demo_db, "MEDIFACIAL"), now=NOW)
    held = numbers(copy.path)
    path = demo_db.path
    demo_db.close()
    # The disk goes bad in the middle of the file.
    with path.open("r+b") as handle:
        handle.seek(8192)
        handle.write(b"\xde\xad" * 4096)
    assert backup.integrity_problems(path) != []

    preview = backup.restore_preview(path, copy.path)
    assert preview.invoices == len(held) and preview.lost_invoices == ()
    aside = backup.restore(path, copy.path, now=NOW)

    assert aside.exists() and aside.read_bytes()[8192:8196] == b"\xde\xad\xde\xad"
    assert backup.integrity_problems(path) == []
    reopened = open_branch_database(path, now=NOW)
    try:
        assert numbers(path) == held  # nothing the backup held is lost
        assert kept.invoice_number in held and later.invoice_number not in held
        again = invoicing.invoice_by_number(reopened, kept.invoice_number)
        assert again.total_amount == kept.total_amount
    finally:
        reopened.close()


def test_restoring_says_what_the_current_file_would_lose(demo_db, desk):
    copy = backup.take_backup(demo_db, now=NOW - timedelta(hours=2))
    newer = [
        invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW).invoice_number
        for _ in range(2)
    ]
    preview = backup.restore_preview(demo_db.path, copy.path)

    assert preview.lost_invoices == tuple(newer)
    assert preview.sentence().startswith(
        f"Restoring {copy.path.name} loses what was saved after it: 2 invoices ({newer[0]}"
    )


def test_a_file_that_is_not_an_intact_frontdesk_database_is_refused_and_nothing_changes(
    demo_db, tmp_path
):
    before = demo_db.path.read_bytes()
    text = tmp_path / "notes.db"
    text.write_text("hello")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer.db"
    backup.take_backup(demo_db, now=NOW).path.rename(newer)
    con = sqlite3.connect(newer)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()

    for path, message in (
        (text, "not an SQLite database"),
        (other, "not a Frontdesk database"),
        (newer, "newer Frontdesk"),
        (tmp_path / "missing.db", "no file"),
    ):
        with pytest.raises(RestoreRefused, match=message):
            backup.restore(demo_db.path, path, now=NOW)
    assert demo_db.path.read_bytes() == before
    assert not list(demo_db.path.parent.glob("*.before-restore-*"))


def test_rotation_ignores_files_that_are_not_backups(demo_db):
    folder = demo_db.path.parent / "backups"
    folder.mkdir()
    mine = folder / "my-notes.db"
    mine.write_text("keep me")
    backup.rotate(folder, BackupSettings(daily=1, weekly=0), today=date(2026, 11, 24))
    assert mine.exists()


def test_every_copy_of_today_is_kept_and_earlier_days_keep_their_newest(demo_db):
    yesterday = [
        backup.take_backup(demo_db, now=NOW - timedelta(days=1, hours=h)) for h in (3, 2, 1)
    ]
    today = [
        backup.take_backup(demo_db, now=NOW),
        backup.take_backup(demo_db, now=NOW, reason="close"),
    ]
    kept = {copy.path for copy in backup.list_backups(demo_db.path.parent / "backups")}
    assert kept == {copy.path for copy in today} | {yesterday[-1].path}


def test_a_copy_left_half_written_by_a_cut_off_backup_is_cleared_by_the_next(demo_db):
    folder = demo_db.path.parent / "backups"
    folder.mkdir()
    cut_off = folder / "frontdesk-20261123T100000Z-daily.partial"  # the app closed mid-copy
    running = folder / "frontdesk-20261124T052000Z-manual.partial"  # another desk's, now
    for partial, age in ((cut_off, timedelta(hours=2)), (running, timedelta(minutes=10))):
        partial.write_bytes(b"half a database")
        stamp = (NOW - age).timestamp()
        os.utime(partial, (stamp, stamp))

    copy = backup.take_backup(demo_db, now=NOW, reason="manual")

    assert not cut_off.exists() and running.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([copy.path.name, running.name])
