"""`frontdesk session open|cash|x|close|list`: the desk's counter session, from its float
to the Z report (amounts typed and printed in rupees)."""

from __future__ import annotations

import argparse
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cli import common
from domain.cash_count import parse_count
from domain.errors import BadInput
from domain.money import format_rupees, rupees_to_paise
from services import backup, counter_sessions, documents, paths
from services.counter_sessions import SessionReport, SessionSummary
from services.z_report_pdf import default_pdf_name, render_z_report_pdf


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "session",
        help="the desk's counter session: float, cash in/out, X report, close",
        description="The counter session of this desk: open it with a float, move cash in "
        "or out with a reason, read the X report at any moment, close it with a cash count.",
    )
    opening = sub.add_parser(
        "open", help="open this desk's session", description="Open the counter session."
    )
    opening.add_argument(
        "--float", dest="opening_float", required=True, help="the opening float in rupees"
    )
    opening.add_argument("--desk", help="this computer's desk (remembered from now on)")
    opening.add_argument("--at", help=common.WRITE_AT_HELP)
    opening.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    opening.set_defaults(handler=cmd_open)

    cash = sub.add_parser(
        "cash",
        help="put cash into or take it out of the drawer",
        description="Put cash into (in) or take it out of (out) the drawer, with a reason.",
    )
    cash.add_argument("kind", choices=("in", "out"))
    cash.add_argument("amount", help="in rupees")
    cash.add_argument("--reason", required=True, help="why the cash moved")
    cash.add_argument("--at", help=common.WRITE_AT_HELP)
    cash.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    cash.set_defaults(handler=cmd_cash)

    x_report = sub.add_parser(
        "x",
        help="the X report of the open session (or any session's report by --id)",
        description="The X report: what the drawer and each method should hold now.",
    )
    x_report.add_argument("--id", dest="session_id", help="a session's id (default: the open one)")
    x_report.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    x_report.set_defaults(handler=cmd_x)

    close = sub.add_parser(
        "close",
        help="close the session with the cash counted; prints the Z report, writes its PDF",
        description="Close the counter session with the cash counted by denomination.",
    )
    close.add_argument(
        "--count",
        required=True,
        metavar="2000=N,500=N,...,coins=RS",
        help="notes counted by denomination (2000, 500, 200, 100, 50, 20, 10) and the coins "
        "in rupees, as 2000=3,500=4,coins=12.50",
    )
    close.add_argument("--reason", default="", help="why the count differs (needed if it does)")
    close.add_argument("--id", dest="session_id", help="the session's id (default: the open one)")
    close.add_argument("--pdf", type=Path, help="where to write the Z report PDF")
    close.add_argument("--at", help=common.WRITE_AT_HELP)
    close.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    close.set_defaults(handler=cmd_close)

    listing = sub.add_parser("list", help="the sessions, newest first", description="Sessions.")
    listing.add_argument("--from", dest="start", type=common.iso_date, help="first day")
    listing.add_argument("--to", dest="end", type=common.iso_date, help="last day")
    listing.add_argument("--desk", help="only this desk")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    listing.set_defaults(handler=cmd_list)


def _session_id(text: str | None) -> uuid.UUID | None:
    if text is None:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise BadInput(
            f"--id {text} is not a session id; 'session list --json' shows them"
        ) from None


def _summary_row(s: SessionSummary) -> dict[str, object]:
    return {
        "id": str(s.id),
        "desk": s.desk,
        "date": s.business_date.isoformat(),
        "status": s.status,
        "opened_by": s.opened_by,
        "opened_at": s.opened_at.isoformat(timespec="minutes"),
        "float": documents.rupees(s.opening_float),
        "closed_by": s.closed_by or "",
        "counted": documents.optional_rupees(s.counted_cash) or "",
        "difference": documents.optional_rupees(s.difference) or "",
    }


def cmd_open(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        summary = counter_sessions.open_session(
            db,
            user,
            opening_float=rupees_to_paise(args.opening_float),
            **common.dated(db, user, args.at),
            desk=args.desk,
        )
    if args.json:
        common.print_json(_summary_row(summary))
    else:
        print(
            f"Opened {summary.desk} for {summary.business_date:%d %b %Y} with a float of "
            f"{format_rupees(summary.opening_float)} (session {summary.id})."
        )


def cmd_cash(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        movement = counter_sessions.cash_movement(
            db,
            user,
            kind=args.kind,
            amount=rupees_to_paise(args.amount),
            reason=args.reason,
            **common.dated(db, user, args.at),
        )
        report = counter_sessions.x_report(db)
    if args.json:
        common.print_json(
            {
                "id": str(movement.id),
                "kind": movement.kind,
                "amount": documents.rupees(movement.amount),
                "reason": movement.reason,
                "expected_cash": documents.rupees(report.expected_cash),
            }
        )
    else:
        verb = "Put" if movement.kind == "in" else "Took"
        where = "into" if movement.kind == "in" else "out of"
        print(
            f"{verb} {format_rupees(movement.amount)} {where} the drawer ({movement.reason}); "
            f"it should now hold {format_rupees(report.expected_cash)}."
        )


def print_report(report: SessionReport) -> None:
    """The X or Z report as text (times in the branch's zone)."""
    s = report.session
    zone = ZoneInfo(report.branch_timezone)

    def at(moment: datetime | None) -> str:
        return "-" if moment is None else f"{moment.astimezone(zone):%H:%M}"

    print(f"{report.kind} report - {s.desk}, {s.business_date:%d %b %Y} ({s.status})")
    print(f"  Opened by {s.opened_by} at {at(s.opened_at)}")
    if s.closed_by:
        print(f"  Closed by {s.closed_by} at {at(s.closed_at)}")
    print(f"  Opening float     {format_rupees(s.opening_float):>16}")
    print(f"  Cash takings    + {format_rupees(report.cash_takings):>16}")
    print(f"  Cash refunds    - {format_rupees(report.cash_refunds):>16}")
    print(f"  Cash in         + {format_rupees(report.cash_in):>16}")
    print(f"  Cash out        - {format_rupees(report.cash_out):>16}")
    print("  Expected")
    for method, amount in report.expected.items():
        print(f"    {method:<15} {format_rupees(amount):>16}")
    print(
        f"  Invoices {report.invoices} ({format_rupees(report.invoice_total)}), "
        f"credit notes {report.credit_notes} ({format_rupees(report.credit_note_total)}), "
        f"dues raised {format_rupees(report.dues_raised)}"
    )
    for m in report.movements:
        sign = "+" if m.kind == "in" else "-"
        print(f"    {at(m.created_at)} {sign}{format_rupees(m.amount)} {m.reason} ({m.created_by})")
    if report.counted_cash is not None:
        print(f"  Counted cash      {format_rupees(report.counted_cash):>16}")
        difference = report.difference or 0
        print(f"  Difference        {format_rupees(difference):>16}", end="")
        print(f"  ({report.difference_reason})" if report.difference_reason else "")


def cmd_x(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        report = counter_sessions.x_report(db, _session_id(args.session_id))
    if args.json:
        common.print_json(documents.session_report_json(report))
    else:
        print_report(report)


def cmd_close(args: argparse.Namespace) -> None:
    count = parse_count(args.count)
    with common.signed_in(args) as (db, user):
        session_id = _session_id(args.session_id)
        if session_id is None:
            session_id = counter_sessions.x_report(db).session.id
        report = counter_sessions.close_session(
            db,
            user,
            session_id,
            denominations=count,
            reason=args.reason,
            **common.dated(db, user, args.at),
        )
        backed_up = backup.back_up_after_close(db, now=common.now())
    pdf = args.pdf or (args.db or paths.default_db_path()).parent / "z-reports" / default_pdf_name(
        report
    )
    render_z_report_pdf(report, pdf)
    if args.json:
        common.print_json(
            {**documents.session_report_json(report), "pdf": str(pdf), "backup": backed_up}
        )
    else:
        print_report(report)
        print(f"Wrote {pdf}")
        print(backed_up)


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        rows = counter_sessions.list_sessions(
            db, start=args.start, end=args.end, desk=args.desk, limit=args.limit
        )
    common.print_rows(
        [_summary_row(s) for s in rows], as_json=args.json, empty="No counter sessions yet."
    )
