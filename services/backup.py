"""Backups of the branch's database and restoring one (issue #14).

A branch's whole business lives in one SQLite file, so copies of it are taken with SQLite's
online backup API (`sqlite3.Connection.backup`: the app keeps running and the copy is
consistent in WAL mode), each copy checked with `PRAGMA integrity_check` before it counts,
and kept by a rotation: the newest copy of each of the last 7 days the app was used, and of
each of the 4 weeks before them (both numbers a setting). A copy is taken each day the app
is used, at the day's close, on "Back up now", and before a restore.

Restoring checks the chosen file first (SQLite, intact, a Frontdesk database this version
can open), says what the current file holds that the copy does not (`restore_preview`),
keeps the current file aside, and only then puts the copy in its place. The database must
be closed while that happens: the desktop restarts on the restored file, the command line
is a process of its own.

Backup files are named `frontdesk-YYYYmmddTHHMMSSZ-REASON.db` in the backup folder; nothing
else in that folder is ever touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db.engine import Database
from db.migrate import SQLITE_MAGIC, known_revisions
from db.models import AppSetting, Branch
from domain.errors import BadInput, Refused
from domain.log import db as log
from domain.permissions import require
from services.auth import CurrentUser
from services.uow import UnitOfWork

SETTINGS_KEY = "backup"
NAME = re.compile(r"^frontdesk-(\d{8}T\d{6}Z)-([a-z-]+)\.db$")
REASONS = ("daily", "close", "manual", "before-restore")
# Older than this, the status bar and Settings warn that there is no recent backup.
STALE_AFTER = timedelta(days=2)


class BackupFailed(Refused):
    """A backup could not be taken or checked; the message says why and what to do."""


class RestoreRefused(Refused):
    """The chosen file cannot be restored; the message says why."""


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class BackupSettings:
    """Where copies go ("" for the `backups` folder beside the database) and how many are
    kept: one per day for `daily` days, one per week for `weekly` weeks before those."""

    folder: str = ""
    daily: int = 7
    weekly: int = 4

    def folder_for(self, db_path: Path) -> Path:
        return Path(self.folder).expanduser() if self.folder else default_folder(db_path)


def default_folder(db_path: Path) -> Path:
    return db_path.parent / "backups"


def _settings_from(value: dict[str, Any] | None) -> BackupSettings:
    if not value:
        return BackupSettings()
    return BackupSettings(
        folder=str(value.get("folder", "")),
        daily=int(value.get("daily", 7)),
        weekly=int(value.get("weekly", 4)),
    )


def backup_settings(db: Database) -> BackupSettings:
    with db.session(write=False) as session:
        row = session.get(AppSetting, SETTINGS_KEY)
        return _settings_from(None if row is None else row.value)


def save_backup_settings(
    db: Database, actor: CurrentUser, settings: BackupSettings, *, now: datetime
) -> BackupSettings:
    """Choose the backup folder and how many copies are kept (admin); audited."""
    require(actor.role, "backup.settings")
    if not 1 <= settings.daily <= 90:
        raise BadInput("Keep between 1 and 90 daily copies")
    if not 0 <= settings.weekly <= 52:
        raise BadInput("Keep between 0 and 52 weekly copies")
    folder = settings.folder.strip()
    if folder:
        target = Path(folder).expanduser()
        if not target.is_absolute():
            raise BadInput("Give the backup folder as a full path, like D:\\Backups")
        try:
            target.mkdir(parents=True, exist_ok=True)
            probe = target / ".frontdesk-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise BadInput(f"Frontdesk cannot write to {target} ({exc.strerror}).") from exc
    result = BackupSettings(folder, settings.daily, settings.weekly)
    with UnitOfWork(db, actor, now) as uow:
        row = uow.session.get(AppSetting, SETTINGS_KEY)
        before = None if row is None else dict(row.value)
        if row is None:
            uow.session.add(AppSetting(key=SETTINGS_KEY, value=asdict(result)))
        else:
            row.value = asdict(result)
        uow.audit(
            "backup.settings", "branch", actor.branch_id, {"from": before, "to": asdict(result)}
        )
        uow.commit()
    return result


# ----------------------------------------------------------------------------- copies


def _discard(path: Path) -> None:
    """Remove a half-written file, if there is one to remove."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


STALE_PARTIAL = timedelta(hours=1)  # a copy being written for longer was cut off


def _discard_stale_partials(folder: Path, now: datetime) -> None:
    """Remove copies left half-written by a backup cut off (the app closed, the power cut)
    an hour or more ago: a backup running now at another desk is younger than that."""
    with contextlib.suppress(OSError):
        for partial in folder.glob("frontdesk-*.partial"):
            with contextlib.suppress(OSError):
                written = datetime.fromtimestamp(partial.stat().st_mtime, UTC)
                if now - written >= STALE_PARTIAL:
                    partial.unlink()


@dataclass(frozen=True)
class BackupFile:
    """One copy in the backup folder."""

    path: Path
    taken_at: datetime
    reason: str
    size: int


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _parse(path: Path) -> BackupFile | None:
    found = NAME.match(path.name)
    if found is None:
        return None
    taken = datetime.strptime(found.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return BackupFile(path, taken, found.group(2), size)


def list_backups(folder: Path) -> list[BackupFile]:
    """The copies in `folder`, newest first (other files are not ours and are ignored)."""
    if not folder.is_dir():
        return []
    found = [b for b in (_parse(p) for p in folder.iterdir()) if b is not None]
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong with the file ([] when it is intact)."""
    try:
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                return ["not an SQLite database"]
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
    except (OSError, sqlite3.Error) as exc:
        return [str(exc)]
    return [] if rows == [("ok",)] else [str(row[0]) for row in rows[:5]]


def take_backup(db: Database, *, now: datetime, reason: str = "manual") -> BackupFile:
    """Copy the open database into the backup folder, check the copy, then rotate."""
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}")
    if db.engine.dialect.name != "sqlite":
        raise BackupFailed(
            "This is the centre's PostgreSQL: back it up with pg_dump or the server's own "
            "backups, not from Frontdesk."
        )
    settings = backup_settings(db)
    folder = settings.folder_for(db.path)
    target = folder / f"frontdesk-{_stamp(now)}-{reason}.db"
    partial = target.with_suffix(".partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _discard_stale_partials(folder, now)
        source = sqlite3.connect(db.path)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
                # A copy is one self-contained file: reading it later (the check, a
                # restore's preview) leaves no -wal/-shm beside it.
                dest.execute("PRAGMA journal_mode=DELETE")
            finally:
                dest.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        _discard(partial)
        raise BackupFailed(
            f"The backup to {folder} failed ({exc}). Check that the folder (or drive) is "
            "there and has room, or choose another in Settings, Backups."
        ) from exc
    problems = integrity_problems(partial)
    if problems:
        _discard(partial)
        raise BackupFailed(
            f"The copy did not pass its check ({problems[0]}): the database itself may be "
            "damaged. Keep the last good backup safe and call support."
        )
    os.replace(partial, target)
    log.info("backed up %s to %s (%s)", db.path, target, reason)
    removed = rotate(folder, settings, today=now.astimezone(UTC).date())
    if removed:
        log.info("rotation removed %d old backups from %s", len(removed), folder)
    copy = _parse(target)
    assert copy is not None
    return copy


def rotate(folder: Path, settings: BackupSettings, *, today: date) -> list[Path]:
    """Keep every copy of today, the newest copy of each of the last `daily` days that have
    one (today among them), and of each of the `weekly` ISO weeks before those; remove the
    rest. Returns what was removed."""
    copies = list_backups(folder)
    keep: set[Path] = {copy.path for copy in copies if copy.taken_at.date() >= today}
    days: list[date] = []
    for copy in copies:  # newest first
        day = copy.taken_at.date()
        if day in days:
            continue
        if len(days) < settings.daily:
            days.append(day)
            keep.add(copy.path)
    oldest_daily = min(days) if days else today
    weeks: list[tuple[int, int]] = []
    for copy in copies:
        day = copy.taken_at.date()
        if day >= oldest_daily:
            continue
        week = day.isocalendar()[:2]
        if week in weeks:
            continue
        if len(weeks) < settings.weekly:
            weeks.append(week)
            keep.add(copy.path)
    removed = [copy.path for copy in copies if copy.path not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


@dataclass(frozen=True)
class BackupState:
    """What the status bar and Settings say about backups."""

    folder: Path
    last: BackupFile | None
    stale: bool

    def sentence(self, timezone: str) -> str:
        if self.last is None:
            return "No backup yet"
        local = self.last.taken_at.astimezone(ZoneInfo(timezone))
        text = f"Last good backup: {local:%d %b %Y, %H:%M}"
        return f"{text} - older than two days" if self.stale else text


def backup_state(db: Database, *, now: datetime) -> BackupState:
    folder = backup_settings(db).folder_for(db.path)
    copies = list_backups(folder)
    last = copies[0] if copies else None
    stale = last is None or now - last.taken_at > STALE_AFTER
    return BackupState(folder, last, stale)


def backup_if_due(db: Database, *, now: datetime) -> BackupFile | None:
    """The day's copy, if none was taken today (in the branch's time zone); none for the
    centre (the head office's app), whose PostgreSQL has backups of its own."""
    if db.engine.dialect.name != "sqlite":
        return None
    with db.session(write=False) as session:
        zone = ZoneInfo(session.query(Branch.timezone).scalar() or "UTC")
    today = now.astimezone(zone).date()
    folder = backup_settings(db).folder_for(db.path)
    if any(copy.taken_at.astimezone(zone).date() == today for copy in list_backups(folder)):
        return None
    return take_backup(db, now=now, reason="daily")


def back_up_after_close(db: Database, *, now: datetime) -> str:
    """The day's close ends with a copy; a failed copy must not undo the close, so it is
    a sentence to show (and a log line), not an error."""
    try:
        copy = take_backup(db, now=now, reason="close")
    except BackupFailed as exc:
        log.error("backup after the close failed: %s", exc)
        return f"The close is saved, but the backup failed: {exc}"
    return f"Backed up to {copy.path}."


# ----------------------------------------------------------------------------- restoring


@dataclass(frozen=True)
class RestorePreview:
    """What restoring `path` would do: what it holds, and what the current file holds
    that it does not (lost by the restore)."""

    path: Path
    invoices: int
    newest_invoice: str | None
    lost_invoices: tuple[str, ...]
    lost_patients: int
    lost_payments: int

    def sentence(self) -> str:
        if not (self.lost_invoices or self.lost_patients or self.lost_payments):
            return f"{self.path.name} holds everything the current database holds."
        parts = []
        if self.lost_invoices:
            shown = ", ".join(self.lost_invoices[:5])
            more = len(self.lost_invoices) - 5
            count = _counted(len(self.lost_invoices), "invoice")
            parts.append(f"{count} ({shown}{f' and {more} more' if more > 0 else ''})")
        if self.lost_patients:
            parts.append(_counted(self.lost_patients, "patient"))
        if self.lost_payments:
            parts.append(_counted(self.lost_payments, "payment"))
        return f"Restoring {self.path.name} loses what was saved after it: {', '.join(parts)}."


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _ids(con: sqlite3.Connection, sql: str) -> set[Any]:
    try:
        return {row[0] for row in con.execute(sql)}
    except sqlite3.Error:
        return set()


def check_restorable(path: Path) -> None:
    """Refuse a file that is not an intact Frontdesk database this version can open."""
    if not path.is_file():
        raise RestoreRefused(f"There is no file {path}.")
    problems = integrity_problems(path)
    if problems:
        raise RestoreRefused(f"{path.name} cannot be restored: {problems[0]}.")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        revision = con.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        revision = None
    finally:
        con.close()
    if revision is None:
        raise RestoreRefused(f"{path.name} is not a Frontdesk database.")
    if revision[0] not in known_revisions():
        raise RestoreRefused(
            f"{path.name} was written by a newer Frontdesk (schema {revision[0]}): install "
            "that version to restore it."
        )


def restore_preview(current: Path, path: Path) -> RestorePreview:
    """Check `path` and compare it with the database at `current` (which may be damaged:
    then nothing can be read from it, and nothing is listed as lost)."""
    check_restorable(path)
    backup = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        numbers = dict(backup.execute("SELECT id, invoice_number FROM invoice_header"))
        newest = backup.execute(
            "SELECT invoice_number FROM invoice_header ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
        patients = _ids(backup, "SELECT id FROM patients")
        payments = _ids(backup, "SELECT id FROM payments")
    finally:
        backup.close()
    lost_invoices: list[str] = []
    lost_patients = lost_payments = 0
    if not integrity_problems(current):
        now = sqlite3.connect(f"file:{current}?mode=ro", uri=True)
        try:
            lost_invoices = [
                number
                for invoice_id, number in now.execute(
                    "SELECT id, invoice_number FROM invoice_header ORDER BY created_at"
                )
                if invoice_id not in numbers
            ]
            lost_patients = len(_ids(now, "SELECT id FROM patients") - patients)
            lost_payments = len(_ids(now, "SELECT id FROM payments") - payments)
        finally:
            now.close()
    return RestorePreview(
        path,
        len(numbers),
        None if newest is None else newest[0],
        tuple(lost_invoices),
        lost_patients,
        lost_payments,
    )


def restore(current: Path, path: Path, *, now: datetime) -> Path:
    """Put the copy at `path` in place of the database at `current` (which must be closed),
    keeping the current file aside first; returns where it was kept. Nothing is changed
    when the copy is refused."""
    check_restorable(path)
    aside = current.with_name(f"{current.stem}.before-restore-{_stamp(now)}{current.suffix}")
    if current.exists():
        shutil.copy2(current, aside)
        for suffix in ("-wal", "-shm"):
            side = current.with_name(current.name + suffix)
            if side.exists():
                shutil.copy2(side, aside.with_name(aside.name + suffix))
    partial = current.with_name(current.name + ".restoring")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(partial)
            try:
                source.backup(dest)
                dest.execute("PRAGMA journal_mode=WAL")
            finally:
                dest.close()
        finally:
            source.close()
        for suffix in ("-wal", "-shm"):
            current.with_name(current.name + suffix).unlink(missing_ok=True)
        os.replace(partial, current)
    except (OSError, sqlite3.Error) as exc:
        _discard(partial)
        raise RestoreRefused(
            f"The restore failed ({exc}); the database was kept as it was at {aside}."
        ) from exc
    log.info("restored %s from %s; the previous file is %s", current, path, aside)
    return aside


def audit_restore(
    db: Database, actor: CurrentUser, source: Path, aside: Path, *, now: datetime
) -> None:
    """Record the restore in the restored database's own audit log (an admin's: the
    command and Settings > Backups let no one else restore a database that opens)."""
    require(actor.role, "backup.restore")
    with UnitOfWork(db, actor, now) as uow:
        uow.audit(
            "backup.restore", "branch", actor.branch_id, {"from": str(source), "kept": str(aside)}
        )
        uow.commit()
