"""The top-level parser, `init` and `gui`, and the one place that turns errors into exit
statuses: 0 done, 1 refused, 2 bad arguments (argparse's own errors are 2 as well)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cli import (
    backups,
    branch,
    callback,
    catalog,
    common,
    imports,
    invoice,
    patient,
    payments,
    printing,
    promo,
    report,
    session,
    staff,
    support,
)
from domain.errors import BadInput, FrontdeskError
from services import branch as branch_service
from services import paths, setup

GuiLauncher = Callable[[Path], int]

DONE, REFUSED, BAD_ARGUMENTS = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontdesk",
        description="Frontdesk: point of sale and campaigns for clinic front desks.",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $FRONTDESK_DB or frontdesk.db in your data folder)",
    )
    parser.add_argument(
        "--user", help="act as this user; the PIN comes from $FRONTDESK_PIN or a prompt"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser(
        "init", help="set up a new database", description="Set up a new database (idempotent)."
    )
    init.add_argument("--demo", action="store_true", help="fill it with the demo clinic")
    init.add_argument(
        "--admin", default="admin", help="name of the first admin user (without --demo)"
    )
    init.set_defaults(handler=cmd_init)

    gui = commands.add_parser("gui", help="open the app (the default)", description="Open the app.")
    gui.set_defaults(handler=None)

    for group in (
        backups,
        branch,
        invoice,
        patient,
        payments,
        printing,
        callback,
        catalog,
        imports,
        promo,
        report,
        session,
        staff,
        support,
    ):
        group.register(commands)
    return parser


def cmd_init(args: argparse.Namespace) -> None:
    db = common.open_database(args)
    try:
        pin = None
        if not args.demo and not branch_service.is_initialised(db):
            pin = os.environ.get("FRONTDESK_PIN")
            if pin is None and sys.stdin.isatty():
                pin = getpass.getpass(f"Choose a PIN for {args.admin}: ")
        now = common.now()
        result = setup.initialise(
            db,
            demo=args.demo,
            now=now,
            today=now.astimezone().date(),
            admin_username=args.admin,
            admin_pin=pin,
        )
        print(result.message)
    finally:
        db.close()


def main(argv: Sequence[str] | None = None, *, launch_gui: GuiLauncher | None = None) -> int:
    """Run one command; with no command, open the app through `launch_gui`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if launch_gui is None:
            parser.error("the app is not available from here; run a command")
        return launch_gui(args.db or paths.default_db_path())
    try:
        handler(args)
    except FrontdeskError as exc:
        print(f"frontdesk: {_sentence(exc, args)}", file=sys.stderr)
        return BAD_ARGUMENTS if isinstance(exc, BadInput) else REFUSED
    return DONE


def _sentence(exc: FrontdeskError, args: argparse.Namespace) -> str:
    """The error's sentence; where it names a field and the command knows which option
    sets that field (its `field_option`), the option to fix follows in brackets."""
    field: str | None = getattr(exc, "field", None)
    field_option: Callable[[str], str] | None = getattr(args, "field_option", None)
    if field is None or field_option is None:
        return str(exc)
    return f"{exc} ({field_option(field)})"
