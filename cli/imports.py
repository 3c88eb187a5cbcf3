"""`frontdesk import transactions FILE.csv`: a clinic's billing history from another
system (manager)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from cli import common
from services import history_import


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "import",
        metavar="WHAT",
        help="import history from another system (manager)",
        description="Import.",
    )
    transactions = sub.add_parser(
        "transactions",
        help="past invoices from a CSV file",
        description="Import past invoices from a CSV with the columns "
        + ", ".join(history_import.COLUMNS)
        + " (amounts in rupees), all or nothing. Importing the same file again adds nothing.",
    )
    transactions.add_argument("file", type=Path, metavar="FILE.csv")
    transactions.add_argument("--json", action="store_true", help="print the counts as JSON")
    transactions.set_defaults(handler=cmd_transactions)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def cmd_transactions(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        result = history_import.import_transactions(db, user, args.file, now=common.now())
    if args.json:
        common.print_json(asdict(result))
    else:
        print(
            f"Imported {_count(result.invoices_added, 'invoice')}"
            f" ({_count(result.lines_added, 'line')}),"
            f" {_count(result.patients_added, 'new patient')},"
            f" {_count(result.items_added, 'new item')};"
            f" {result.invoices_skipped} already imported."
        )
