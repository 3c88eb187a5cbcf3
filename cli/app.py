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
    audit,
    backups,
    branch,
    callback,
    campaign,
    catalog,
    channel,
    common,
    consent,
    imports,
    invoice,
    patient,
    payments,
    printing,
    promo,
    report,
    session,
    sponsor,
    staff,
    support,
    sync,
)
from domain.branch import BranchDetails
from domain.errors import BadInput, FrontdeskError
from domain.invoice_numbers import DEFAULT_FORMAT
from services import branch as branch_service
from services import paths, setup
from services.errors import refusal_for

# Opens the app on a database file; True: an empty one becomes the demo clinic unasked.
GuiLauncher = Callable[[Path, bool], int]
# Opens the app on the centre at a PostgreSQL URL (the head office, --central URL gui).
CentreGuiLauncher = Callable[[str], int]

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
    parser.add_argument(
        "--central",
        dest="centre",
        metavar="URL",
        help="work on the centre (head office: postgresql://ROLE@HOST/DB) instead of --db",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser(
        "init", help="set up a new database", description="Set up a new database (idempotent)."
    )
    init.add_argument("--demo", action="store_true", help="fill it with the demo clinic")
    init.add_argument(
        "--queue",
        action="store_true",
        help="with --demo: also the callback queue as a morning finds it (as `make run` opens)",
    )
    init.add_argument(
        "--admin", default="admin", help="name of the first admin user (without --demo)"
    )
    init.add_argument("--admin-name", help="the admin's full name, like 'Arun Kumar'")
    clinic = init.add_argument_group(
        "the clinic (without --demo; what the first-run wizard asks; Settings can change it)"
    )
    clinic.add_argument("--name", help="the branch's short name, like Indiranagar")
    clinic.add_argument("--legal-name", help="the legal name heading every invoice")
    clinic.add_argument("--code", help="1 to 4 letters or digits on every invoice number")
    clinic.add_argument("--address", default="")
    clinic.add_argument("--phone", default="")
    clinic.add_argument("--gstin", default="", help="15 characters; leave out if not registered")
    clinic.add_argument("--state", help="the GST state code, like 29 (from the GSTIN if given)")
    clinic.add_argument("--timezone", default="Asia/Kolkata")
    clinic.add_argument("--fy-start", type=int, default=4, help="the month the year starts (4)")
    clinic.add_argument("--series", default="SVC", help="the invoice series (SVC)")
    clinic.add_argument("--number-format", help="like {BRANCH}/{FY}/{SEQ} (the default)")
    init.set_defaults(handler=cmd_init)

    gui = commands.add_parser("gui", help="open the app (the default)", description="Open the app.")
    gui.add_argument(
        "--demo",
        action="store_true",
        help="an empty database becomes the demo clinic without asking (make run)",
    )
    gui.set_defaults(handler=None)

    for group in (
        audit,
        backups,
        branch,
        invoice,
        patient,
        payments,
        printing,
        callback,
        campaign,
        catalog,
        channel,
        consent,
        imports,
        promo,
        report,
        session,
        sponsor,
        staff,
        support,
        sync,
    ):
        group.register(commands)
    return parser


def cmd_init(args: argparse.Namespace) -> None:
    if args.queue and not args.demo:
        raise BadInput("--queue goes with --demo: it is the demo clinic's callback queue.")
    db = common.open_database(args, create=True)
    try:
        pin = None
        if not args.demo and not branch_service.is_initialised(db):
            pin = os.environ.get("FRONTDESK_PIN")
            if pin is None and sys.stdin.isatty():
                pin = getpass.getpass(f"Choose a PIN for {args.admin}: ")
        now = common.now()
        if args.demo and args.queue:
            print(setup.create_demo_clinic(db, now=now, today=now.astimezone().date()).message)
            return
        result = setup.initialise(
            db,
            demo=args.demo,
            now=now,
            today=now.astimezone().date(),
            admin_username=args.admin,
            admin_pin=pin,
            details=_clinic_details(args),
            admin_full_name=args.admin_name,
        )
        print(result.message)
    finally:
        db.close()


def _clinic_details(args: argparse.Namespace) -> BranchDetails | None:
    """The branch's details from `init`'s options; None when no --name was given."""
    if args.name is None:
        return None
    gstin = args.gstin.strip().upper()
    return BranchDetails(
        name=args.name,
        address=args.address,
        gstin=gstin,
        timezone=args.timezone,
        fiscal_year_start_month=args.fy_start,
        invoice_series=args.series,
        phone=args.phone,
        legal_name=args.legal_name or args.name,
        branch_code=args.code or args.name[:4],
        number_format=args.number_format or DEFAULT_FORMAT,
        state_code=args.state or gstin[:2] or None,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    launch_gui: GuiLauncher | None = None,
    launch_centre_gui: CentreGuiLauncher | None = None,
) -> int:
    """Run one command; with no command, open the app through `launch_gui` (on the centre
    with --central URL, through `launch_centre_gui`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        if args.centre:
            if launch_centre_gui is None:
                parser.error("the app is not available from here; run a command")
            if getattr(args, "demo", False):
                parser.error("--demo is for a branch's database, not the centre")
            return launch_centre_gui(args.centre)
        if launch_gui is None:
            parser.error("the app is not available from here; run a command")
        return launch_gui(args.db or paths.default_db_path(), getattr(args, "demo", False))
    try:
        handler(args)
    except FrontdeskError as exc:
        print(f"frontdesk: {_sentence(exc, args)}", file=sys.stderr)
        return BAD_ARGUMENTS if isinstance(exc, BadInput) else REFUSED
    except Exception as exc:
        refusal = refusal_for(exc)
        if refusal is None:
            raise
        print(f"frontdesk: {refusal}", file=sys.stderr)
        return REFUSED
    return DONE


def _sentence(exc: FrontdeskError, args: argparse.Namespace) -> str:
    """The error's sentence; where it names a field and the command knows which option
    sets that field (its `field_option`), the option to fix follows in brackets."""
    field: str | None = getattr(exc, "field", None)
    field_option: Callable[[str], str] | None = getattr(args, "field_option", None)
    if field is None or field_option is None:
        return str(exc)
    return f"{exc} ({field_option(field)})"
