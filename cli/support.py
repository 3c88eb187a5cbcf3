"""`frontdesk diagnostics`: what support asks for first (services.diagnostics): versions,
paths, the database's size, the last backup and the last errors; no patient details."""

from __future__ import annotations

import argparse

from cli import common
from domain.errors import Refused
from services import diagnostics


def register(commands: common.Subparsers) -> None:
    text = "print versions, paths, the last backup and the last errors for support"
    command = commands.add_parser("diagnostics", help=text, description=common.described(text))
    command.set_defaults(handler=cmd_diagnostics)


def cmd_diagnostics(args: argparse.Namespace) -> None:
    try:
        db = common.open_database(args)
    except Refused as exc:
        # Support asks most when the database will not open: say so, with the versions.
        print("\n".join([*diagnostics.versions(), f"Database: {exc}"]))
        return
    try:
        print(diagnostics.diagnostics(db, now=common.now()).text, end="")
    finally:
        db.close()
