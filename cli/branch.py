"""`frontdesk branch show|set|idle-lock`: this branch's details, and when the desktop locks
its screen."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from typing import Any

from cli import common
from services import branch, screen_lock

# The options whose names are not the field's.
_OPTION = {
    "fiscal_year_start_month": "fy-start-month",
    "invoice_series": "series",
    "legal_name": "legal-name",
    "branch_code": "code",
    "number_format": "number-format",
    "state_code": "state",
    "upi_id": "upi-id",
}


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "branch",
        help="this branch's details",
        description="Show or change this branch's details.",
    )
    show = sub.add_parser("show", help="print the branch's details")
    show.add_argument("--json", action="store_true", help="as JSON")
    show.set_defaults(handler=cmd_show)
    change = sub.add_parser(
        "set", help="change the branch's details (manager)", description="Change details."
    )
    change.add_argument("--name")
    change.add_argument("--address")
    change.add_argument("--phone")
    change.add_argument("--gstin")
    change.add_argument("--timezone", help="IANA zone name, e.g. Asia/Kolkata")
    change.add_argument("--fy-start-month", type=int, help="month the fiscal year starts, 1-12")
    change.add_argument("--series", help="invoice series prefix, e.g. SVC")
    change.add_argument("--legal-name", help="the legal name that heads every invoice")
    change.add_argument("--code", help="the branch code on invoice numbers, 1-4 letters or digits")
    change.add_argument(
        "--number-format",
        help="invoice numbers, e.g. '{BRANCH}/{FY}/{SEQ}' (also {SERIES}, {FYYYY}); 16 "
        "characters at most for GST",
    )
    change.add_argument(
        "--allow-non-compliant-numbers",
        action="store_true",
        help="keep a number format longer than 16 characters or without {BRANCH}",
    )
    change.add_argument("--state", help="GST state code of the branch, e.g. 29 (Karnataka)")
    change.add_argument("--upi-id", help="the UPI ID that invoice QR codes pay, e.g. clinic@okaxis")
    change.add_argument("--json", action="store_true", help="print the result as JSON")
    change.set_defaults(handler=cmd_set, field_option=_field_option)
    idle = sub.add_parser(
        "idle-lock",
        help="show or set the idle minutes before the desktop locks its screen (admin sets)",
    )
    idle.add_argument("--minutes", type=int, help="1 to 240")
    idle.set_defaults(handler=cmd_idle_lock)


def cmd_idle_lock(args: argparse.Namespace) -> None:
    if args.minutes is None:
        db = common.open_database(args)
        try:
            minutes = screen_lock.idle_lock_minutes(db)
        finally:
            db.close()
    else:
        with common.signed_in(args) as (db, user):
            minutes = screen_lock.save_idle_lock_minutes(db, user, args.minutes, now=common.now())
    print(f"The desktop locks its screen after {minutes} idle minutes.")


def _field_option(field: str) -> str:
    return f"--{_OPTION.get(field, field)}"


def _branch_json(info: branch.BranchInfo) -> dict[str, Any]:
    details = asdict(info.details)
    del details["allow_non_compliant_numbers"]
    return {"id": str(info.id), **details, "number_warnings": list(info.number_warnings)}


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        info = branch.get_branch(db)
        if args.json:
            common.print_json(_branch_json(info))
        else:
            for key, value in asdict(info.details).items():
                if key != "allow_non_compliant_numbers":
                    print(f"{key.replace('_', ' ')}: {value}")
            for warning in info.number_warnings:
                print(f"warning: {warning}.")


def cmd_set(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        current = branch.get_branch(db).details
        changes = {
            "name": args.name,
            "address": args.address,
            "phone": args.phone,
            "gstin": args.gstin,
            "timezone": args.timezone,
            "fiscal_year_start_month": args.fy_start_month,
            "invoice_series": args.series,
            "legal_name": args.legal_name,
            "branch_code": args.code,
            "number_format": args.number_format,
            "state_code": args.state,
            "upi_id": args.upi_id,
        }
        wanted = replace(
            current,
            allow_non_compliant_numbers=args.allow_non_compliant_numbers,
            **{k: v for k, v in changes.items() if v is not None},
        )
        info = branch.update_branch(db, user, wanted, now=common.now())
        if args.json:
            common.print_json(_branch_json(info))
        else:
            print(f"Saved the details of branch {info.details.name}.")
            for warning in info.number_warnings:
                print(f"warning: {warning}.")
