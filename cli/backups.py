"""`frontdesk backup now|list|settings` and `frontdesk restore FILE`: copies of the branch's
database and putting one back (services.backup)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli import common
from domain.errors import BadInput
from domain.permissions import require
from services import backup, data_export, paths, setup
from services.backup import BackupFile, BackupSettings


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "backup",
        help="copies of this branch's database: take one, list them, where they go",
        description="Copies of the branch's database, checked and rotated (7 daily and 4 "
        "weekly by default).",
    )
    now = sub.add_parser("now", help="take a checked copy now (no sign-in needed)")
    now.add_argument(
        "--if-due", action="store_true", help="only if none was taken today (a scheduled task)"
    )
    now.add_argument("--json", action="store_true")
    now.set_defaults(handler=cmd_now)
    listing = sub.add_parser("list", help="the copies in the backup folder, newest first")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    settings = sub.add_parser("settings", help="show or change where copies go (admin)")
    settings.add_argument("--folder", help="a full path; '' for the folder beside the database")
    settings.add_argument("--daily", type=int, help="days with a copy kept (1-90)")
    settings.add_argument("--weekly", type=int, help="weeks with a copy kept (0-52)")
    settings.set_defaults(handler=cmd_settings)

    text = "write all the clinic's data as CSV files in one zip (admin)"
    export = commands.add_parser("export", help=text, description=common.described(text))
    export.add_argument("zip", type=Path, metavar="ZIP", help="the file to write, like data.zip")
    export.set_defaults(handler=cmd_export)

    text = "put a backup in place of this branch's database (admin; the current file is kept aside)"
    restore = commands.add_parser("restore", help=text, description=common.described(text))
    restore.add_argument("file", type=Path, metavar="FILE")
    restore.add_argument("--yes", action="store_true", help="do not ask before restoring")
    restore.set_defaults(handler=cmd_restore)


def copy_json(copy: BackupFile) -> dict[str, Any]:
    return {
        "path": str(copy.path),
        "taken_at": copy.taken_at.isoformat(),
        "reason": copy.reason,
        "size_bytes": copy.size,
    }


def cmd_now(args: argparse.Namespace) -> None:
    db = common.open_database(args)
    try:
        when = common.now()
        copy = (
            backup.backup_if_due(db, now=when)
            if args.if_due
            else backup.take_backup(db, now=when, reason="manual")
        )
    finally:
        db.close()
    if args.json:
        common.print_json(None if copy is None else copy_json(copy))
    elif copy is None:
        print("Today's backup was taken already.")
    else:
        print(f"Backed up to {copy.path} (checked).")


def cmd_list(args: argparse.Namespace) -> None:
    db = common.open_database(args)
    try:
        folder = backup.backup_settings(db).folder_for(db.path)
    finally:
        db.close()
    copies = backup.list_backups(folder)
    if args.json:
        common.print_json({"folder": str(folder), "backups": [copy_json(c) for c in copies]})
        return
    print(f"Backups in {folder}:")
    common.print_rows(
        [
            {
                "taken": f"{c.taken_at.astimezone():%Y-%m-%d %H:%M}",
                "reason": c.reason,
                "size": f"{c.size / 1_048_576:.1f} MB",
                "file": c.path.name,
            }
            for c in copies
        ],
        as_json=False,
        empty="  none yet (`frontdesk backup now` takes one)",
    )


def cmd_settings(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        current = backup.backup_settings(db)
        if args.folder is None and args.daily is None and args.weekly is None:
            chosen = current
        else:
            chosen = backup.save_backup_settings(
                db,
                user,
                BackupSettings(
                    current.folder if args.folder is None else args.folder,
                    current.daily if args.daily is None else args.daily,
                    current.weekly if args.weekly is None else args.weekly,
                ),
                now=common.now(),
            )
        folder = chosen.folder_for(db.path)
    print(f"Folder: {folder}; keeps {chosen.daily} daily and {chosen.weekly} weekly copies.")


def cmd_export(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        result = data_export.export_zip(db, user, args.zip.expanduser(), now=common.now())
    print(f"Wrote {result.rows} rows of {result.tables} tables to {result.path}.")


def cmd_restore(args: argparse.Namespace) -> None:
    path = args.db or paths.default_db_path()
    source = args.file.expanduser().resolve()
    user = None
    if path.exists() and not backup.integrity_problems(path):
        # An intact database: only an admin of it may replace it.
        with common.signed_in(args) as (_db, user):
            require(user.role, "backup.restore")
    preview = backup.restore_preview(path, source)
    print(preview.sentence())
    if not args.yes:
        if not sys.stdin.isatty():
            raise BadInput("Add --yes to restore without being asked.")
        if input(f"Restore {source.name} now? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return
    when = common.now()
    aside = backup.restore(path, source, now=when)
    db = setup.open_branch_database(path, now=when)
    try:
        if user is not None:
            backup.audit_restore(db, user, source, aside, now=when)
    finally:
        db.close()
    print(f"Restored {source.name}. The previous database was kept as {aside}.")
