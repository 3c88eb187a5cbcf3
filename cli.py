"""The `frontdesk` command line: the same use cases as the UI, over services/.

Commands act as a user: `--user NAME` with the PIN from $FRONTDESK_PIN or a prompt, and
the services check that user's role exactly as they do for the UI. Exit status: 0 done,
1 refused or failed (the reason is printed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain import rfm
from domain.branch import BranchDetailsError
from domain.callbacks import CallbackSettings, Category, Reason, Source
from domain.money import format_rupees, paise_to_decimal
from domain.opening_hours import (
    WEEKDAY_NAMES,
    WEEKDAYS,
    OpeningHours,
    OpeningHoursError,
    hours_to_json,
    parse_day,
)
from domain.promotion_spec import SpecError
from services import (
    auth,
    branch,
    catalog,
    dashboard,
    documents,
    history_import,
    invoicing,
    paths,
    patients,
    promotion_reports,
    promotions,
    setup,
)
from services import callbacks as callback_service
from services.errors import PermissionDenied, ServiceError
from services.invoice_document import InvoiceDocument
from services.invoice_pdf import render_invoice_pdf

GuiLauncher = Callable[[Path], int]


class CommandError(Exception):
    """A failure to report as one sentence on stderr, with exit status 1."""


def _now() -> datetime:
    return datetime.now(UTC)


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

    branch_cmd = commands.add_parser(
        "branch", help="this branch's details", description="Show or change this branch's details."
    )
    branch_sub = branch_cmd.add_subparsers(dest="branch_command", metavar="ACTION", required=True)
    show = branch_sub.add_parser("show", help="print the branch's details")
    show.add_argument("--json", action="store_true", help="as JSON")
    show.set_defaults(handler=cmd_branch_show)
    change = branch_sub.add_parser(
        "set", help="change the branch's details (manager)", description="Change details."
    )
    change.add_argument("--name")
    change.add_argument("--address")
    change.add_argument("--phone")
    change.add_argument("--gstin")
    change.add_argument("--timezone", help="IANA zone name, e.g. Asia/Kolkata")
    change.add_argument("--fy-start-month", type=int, help="month the fiscal year starts, 1-12")
    change.add_argument("--series", help="invoice series prefix, e.g. SVC")
    change.add_argument("--json", action="store_true", help="print the result as JSON")
    change.set_defaults(handler=cmd_branch_set)

    _add_invoice_commands(commands)
    _add_callback_commands(commands)
    _add_import_command(commands)
    promo = commands.add_parser(
        "promo", help="promotions (manager)", description="Promotions and their usage."
    )
    promo_sub = promo.add_subparsers(dest="promo_command", metavar="ACTION", required=True)
    rebuild = promo_sub.add_parser(
        "rebuild-usage",
        help="rebuild the usage log and counters from the invoices",
        description="Rebuild the promotion usage log and counters from the invoices' "
        "campaigns_applied (after a tracking failure). Running it twice changes nothing.",
    )
    rebuild.add_argument("--json", action="store_true", help="print what changed as JSON")
    rebuild.set_defaults(handler=cmd_promo_rebuild)
    _add_promo_commands(promo_sub)

    report = commands.add_parser(
        "report",
        help="promotion and RFM reports (manager)",
        description="Promotion reports (seed 000) and the dashboard's RFM figures (seed 003).",
    )
    report_sub = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    for name, text in [
        ("campaigns", "uses, unique patients, total and average discount per promotion"),
        ("promoted-invoices", "the latest invoices that carried promotions"),
        ("usage-timeline", "uses and discount per day and promotion"),
        ("top-patients", "patients who saved most through promotions"),
    ]:
        sub = report_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        if name == "usage-timeline":
            sub.add_argument("--days", type=int, default=30, help="how many days (default 30)")
        elif name != "campaigns":
            sub.add_argument("--limit", type=int, default=50 if "invoices" in name else 20)
        sub.set_defaults(handler=cmd_report, report=name)
    _add_rfm_reports(report_sub)
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-04-01") from None


def _add_rfm_reports(report_sub: Any) -> None:
    for name, text in [
        ("rfm", "the dashboard's RFM figures: KPIs, score and bucket counts, segments"),
        ("rfm-customers", "the customers behind the RFM figures, with their scores"),
    ]:
        sub = report_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        sub.add_argument("--from", dest="start", type=_iso_date, help="first day (default: all)")
        sub.add_argument("--to", dest="end", type=_iso_date, help="last day, the as-of date")
        sub.add_argument("--mobile", help="only the patients with this mobile")
        sub.add_argument("--name", help="only patients whose name contains this (any case)")
        for score in ("r", "f", "m"):
            sub.add_argument(
                f"--{score}", type=int, choices=range(1, 6), help=f"only {score.upper()} score S"
            )
        sub.add_argument(
            "--scheme",
            choices=("seed", "ten"),
            default="seed",
            help="segments: seed 003's four, or the rfm package's ten (default seed)",
        )
        sub.add_argument(
            "--value-buckets", help="value bucket ends in rupees (default 1000 2000 3000 4000 5000)"
        )
        sub.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        sub.set_defaults(handler=cmd_report_rfm, report=name)


def _add_invoice_commands(commands: Any) -> None:
    invoice = commands.add_parser(
        "invoice", help="price, save, show, print and cancel invoices", description="Invoices."
    )
    sub = invoice.add_subparsers(dest="invoice_command", metavar="ACTION", required=True)
    for name, text in [
        ("create", "save an invoice and print it"),
        ("quote", "price a cart without saving; list promotions that did not apply"),
    ]:
        cart = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        cart.add_argument("--patient", required=True, help="the patient's mobile or id")
        cart.add_argument(
            "--item",
            action="append",
            required=True,
            metavar="CODE[xQTY]",
            help="an item code or barcode, optionally with a quantity (BOTOX50x2); repeat",
        )
        cart.add_argument("--code", action="append", default=[], help="a promo code; repeat")
        cart.add_argument(
            "--at",
            help="when (ISO-8601; without an offset it is the branch's local time); default now",
        )
        cart.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        if name == "create":
            cart.add_argument("--pdf", type=Path, help="also write the A4 PDF here")
        cart.set_defaults(handler=cmd_invoice_create if name == "create" else cmd_invoice_quote)
    show = sub.add_parser("show", help="print a saved invoice", description="Show an invoice.")
    show.add_argument("number")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_invoice_show)
    pdf = sub.add_parser("pdf", help="write a saved invoice's PDF", description="Write a PDF.")
    pdf.add_argument("number")
    pdf.add_argument("path", type=Path)
    pdf.add_argument("--receipt", action="store_true", help="the 80 mm receipt instead of A4")
    pdf.set_defaults(handler=cmd_invoice_pdf)
    cancel = sub.add_parser(
        "cancel", help="cancel an invoice (manager)", description="Cancel an invoice."
    )
    cancel.add_argument("number")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--json", action="store_true")
    cancel.set_defaults(handler=cmd_invoice_cancel)


def _add_promo_commands(sub: Any) -> None:
    listing = sub.add_parser("list", help="promotions and codes", description="List them.")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_promo_list)
    add = sub.add_parser(
        "add",
        help="create a promotion from a JSON spec",
        description="Create a promotion from a JSON spec (the format is in the README).",
    )
    add.add_argument("--json-file", type=Path, required=True, metavar="SPEC.json")
    add.add_argument("--replace", metavar="CAMPAIGN_CODE", help="change this promotion instead")
    add.set_defaults(handler=cmd_promo_add)
    export = sub.add_parser("export", help="a promotion as its JSON spec", description="Export.")
    export.add_argument("campaign_code")
    export.add_argument("--json", action="store_true", help="(always JSON)")
    export.set_defaults(handler=cmd_promo_export)
    code = sub.add_parser(
        "add-code", help="create a promo code", description="Create a promo code (seed 001)."
    )
    code.add_argument("code")
    code.add_argument("--promotion", required=True, metavar="PROMOTION_CODE")
    code.add_argument("--valid-from", metavar="DATE")
    code.add_argument("--valid-to", metavar="DATE")
    code.add_argument("--active-hours", metavar="HH:MM-HH:MM")
    code.add_argument("--timezone", metavar="ZONE", help="IANA zone of the active hours")
    code.add_argument("--max-uses", type=int)
    code.add_argument("--max-uses-per-patient", type=int)
    code.add_argument("--no-auto-deactivate", action="store_true")
    code.add_argument("--json", action="store_true")
    code.set_defaults(handler=cmd_promo_add_code)
    for name in ("pause", "resume"):
        toggle = sub.add_parser(
            name, help=f"{name} a promo code or promotion", description=f"{name.title()} one."
        )
        toggle.add_argument("code")
        toggle.set_defaults(handler=cmd_promo_pause, paused=name == "pause")
    analytics = sub.add_parser(
        "analytics", help="a code's uses by service", description="A code's analytics."
    )
    analytics.add_argument("code")
    analytics.add_argument("--json", action="store_true")
    analytics.set_defaults(handler=cmd_promo_analytics)
    apps = sub.add_parser(
        "applications", help="a code's applications, newest first", description="Applications."
    )
    apps.add_argument("code")
    apps.add_argument("--page", type=int, default=1)
    apps.add_argument("--limit", type=int, default=20)
    apps.add_argument("--json", action="store_true")
    apps.set_defaults(handler=cmd_promo_applications)


def _open(args: argparse.Namespace) -> setup.Database:
    path = args.db or paths.default_db_path()
    try:
        return setup.open_branch_database(path, now=_now())
    except setup.DatabaseRefused as exc:
        raise CommandError(str(exc)) from exc


@contextmanager
def _signed_in(args: argparse.Namespace) -> Iterator[tuple[setup.Database, auth.CurrentUser]]:
    """Open the database and sign in as --user for one command; close it afterwards."""
    db = _open(args)
    try:
        yield db, _sign_in(db, args)
    finally:
        db.close()


def _sign_in(db: setup.Database, args: argparse.Namespace) -> auth.CurrentUser:
    if not args.user:
        raise CommandError("Say who you are: add --user NAME (the PIN comes from $FRONTDESK_PIN).")
    pin = os.environ.get("FRONTDESK_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise CommandError("Set FRONTDESK_PIN or run from a terminal to type the PIN.")
        pin = getpass.getpass(f"PIN for {args.user}: ")
    return auth.sign_in(db, args.user, pin)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def cmd_init(args: argparse.Namespace) -> int:
    db = _open(args)
    try:
        pin = None
        if not args.demo and not branch.is_initialised(db):
            pin = os.environ.get("FRONTDESK_PIN")
            if pin is None and sys.stdin.isatty():
                pin = getpass.getpass(f"Choose a PIN for {args.admin}: ")
        now = _now()
        result = setup.initialise(
            db,
            demo=args.demo,
            now=now,
            today=now.astimezone().date(),
            admin_username=args.admin,
            admin_pin=pin,
        )
        print(result.message)
        return 0
    finally:
        db.close()


def _branch_json(info: branch.BranchInfo) -> dict[str, Any]:
    return {"id": str(info.id), **asdict(info.details)}


def cmd_branch_show(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, _user):
        info = branch.get_branch(db)
        if args.json:
            _print_json(_branch_json(info))
        else:
            for key, value in asdict(info.details).items():
                print(f"{key.replace('_', ' ')}: {value}")
        return 0


def cmd_branch_set(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        current = branch.get_branch(db).details
        changes = {
            "name": args.name,
            "address": args.address,
            "phone": args.phone,
            "gstin": args.gstin,
            "timezone": args.timezone,
            "fiscal_year_start_month": args.fy_start_month,
            "invoice_series": args.series,
        }
        wanted = replace(current, **{k: v for k, v in changes.items() if v is not None})
        try:
            info = branch.update_branch(db, user, wanted, now=_now())
        except BranchDetailsError as exc:
            raise CommandError(f"{exc} (--{_OPTION.get(exc.field, exc.field)})") from exc
        if args.json:
            _print_json(_branch_json(info))
        else:
            print(f"Saved the details of branch {info.details.name}.")
        return 0


def _rupees(paise: int) -> str:
    return str(paise_to_decimal(paise))


def _report_rows(db: setup.Database, user: auth.CurrentUser, args: argparse.Namespace) -> Any:
    if args.report == "campaigns":
        return [
            {
                **{k: v for k, v in asdict(row).items() if k not in _AMOUNTS},
                "promotion_id": str(row.promotion_id),
                "total_discount": _rupees(row.total_discount),
                "average_discount": _rupees(row.average_discount),
            }
            for row in promotion_reports.campaign_effectiveness(db, user)
        ]
    if args.report == "promoted-invoices":
        return [
            {
                **asdict(row),
                "invoice_id": str(row.invoice_id),
                "invoice_date": row.invoice_date.isoformat(),
                "total_discount": _rupees(row.total_discount),
                "total_amount": _rupees(row.total_amount),
                "campaign_codes": list(row.campaign_codes),
            }
            for row in promotion_reports.promoted_invoices(db, user, limit=args.limit)
        ]
    if args.report == "usage-timeline":
        today = _now().astimezone(ZoneInfo(branch.get_branch(db).details.timezone)).date()
        return [
            {**asdict(row), "day": row.day.isoformat(), "discount": _rupees(row.discount)}
            for row in promotion_reports.usage_timeline(db, user, today=today, days=args.days)
        ]
    return [
        {
            **asdict(row),
            "patient_id": str(row.patient_id),
            "total_savings": _rupees(row.total_savings),
            "last_promotion_at": row.last_promotion_at.isoformat(),
        }
        for row in promotion_reports.top_patients(db, user, limit=args.limit)
    ]


_AMOUNTS = {"total_discount", "average_discount", "promotion_id"}


def cmd_report(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        rows = _report_rows(db, user, args)
        if args.json:
            _print_json(rows)
        elif not rows:
            print("Nothing to report yet.")
        else:
            _print_table(rows)
        return 0


def _bars(bars: Sequence[rfm.Bar]) -> list[dict[str, Any]]:
    return [{"label": bar.label, "count": bar.count} for bar in bars]


def _rfm_json(report: dashboard.RfmReport) -> dict[str, Any]:
    figures = report.figures
    edges = {
        name: {
            "lower": [str(x) for x in edge.lower],
            "upper": [str(x) for x in edge.upper],
            "scores": [6 - i for i in range(1, 6)] if name == "recency" else list(range(1, 6)),
        }
        for name, edge in figures.edges.items()
    }
    return {
        "window": {"from": report.start.isoformat(), "to": report.end.isoformat()},
        "as_of": figures.as_of.isoformat(),
        "scheme": report.filters.scheme,
        "kpi": {k: v if isinstance(v, int) else str(v) for k, v in asdict(figures.kpis).items()},
        "r_score_data": _bars(figures.r_scores),
        "f_score_data": _bars(figures.f_scores),
        "m_score_data": _bars(figures.m_scores),
        "r_value_bucket_data": _bars(figures.recency),
        "visits_data": _bars(figures.visits),
        "value_data": _bars(figures.value),
        "segment_data": _bars(figures.segments),
        "days_to_return_bucket_data": _bars(figures.return_gap),
        "fiscal_year_data": [
            {
                **asdict(split),
                "new_percent": str(split.new_percent),
                "old_percent": str(split.old_percent),
            }
            for split in figures.fiscal_years
        ],
        "edges": edges,
    }


def _customer_json(row: dashboard.CustomerRow) -> dict[str, Any]:
    return {
        "patient_id": str(row.patient_id),
        "name": row.name,
        "mobile": row.mobile,
        "last_visit": row.last_visit.isoformat(),
        "recency": row.recency,
        "frequency": row.frequency,
        "monetary": _rupees(row.monetary),
        "r": row.r,
        "f": row.f,
        "m": row.m,
        "segment": row.segment,
    }


def _print_rfm(data: dict[str, Any]) -> None:
    print(f"{data['window']['from']} to {data['window']['to']} ({data['scheme']} segments)")
    for key, value in data["kpi"].items():
        print(f"  {key.replace('_', ' ')}: {value}")
    for key, title in [
        ("segment_data", "Segments"),
        ("r_score_data", "R scores"),
        ("f_score_data", "F scores"),
        ("m_score_data", "M scores"),
        ("r_value_bucket_data", "Days since last visit"),
        ("visits_data", "Visits"),
        ("value_data", "Value (Rs.)"),
        ("days_to_return_bucket_data", "Mean gap between visits"),
    ]:
        print(f"{title}: " + ", ".join(f"{bar['label']} {bar['count']}" for bar in data[key]))
    for split in data["fiscal_year_data"]:
        print(
            f"FY {split['label']}: {split['customers']} customers,"
            f" {split['new_percent']} % new, {split['old_percent']} % old"
        )


def cmd_report_rfm(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        filters = dashboard.DashboardFilters(
            start=args.start,
            end=args.end,
            mobile=args.mobile,
            name=args.name,
            r=args.r,
            f=args.f,
            m=args.m,
            scheme=args.scheme,
            value_ends=dashboard.parse_value_ends(args.value_buckets)
            if args.value_buckets
            else rfm.DEFAULT_VALUE_BUCKET_ENDS,
        )
        today = _now().astimezone(ZoneInfo(branch.get_branch(db).details.timezone)).date()
        report = dashboard.rfm_report(db, user, filters, today=today)
        if args.report == "rfm":
            data = _rfm_json(report)
            if args.json:
                _print_json(data)
            else:
                _print_rfm(data)
            return 0
        rows = [_customer_json(row) for row in dashboard.customers(db, user, report)]
        if args.json:
            _print_json(rows)
        elif not rows:
            print("No customers in this window.")
        else:
            _print_table(rows)
        return 0


def _print_table(rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if not c.endswith("_id") and c != "id"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


_ITEM = re.compile(r"^(?P<code>.+?)(?:[xX](?P<qty>\d+))?$")


def _instant(db: setup.Database, text: str | None) -> datetime:
    if text is None:
        return _now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(
            f"--at {text} is not an ISO-8601 time like 2026-11-24T10:30+05:30"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(branch.get_branch(db).details.timezone))
    return moment


def _cart(db: setup.Database, args: argparse.Namespace) -> invoicing.CartRequest:
    patient = patients.resolve_patient(db, args.patient)
    items = []
    for text in args.item:
        # A whole code or barcode first; only then read a trailing xQTY.
        entry, quantity = catalog.item_by_code(db, text), 1
        match = _ITEM.match(text.strip())
        if entry is None and match and match["qty"]:
            entry, quantity = catalog.item_by_code(db, match["code"]), int(match["qty"])
        if entry is None:
            raise CommandError(f"There is no item with the code or barcode '{text}'.")
        if quantity < 1:
            raise CommandError(f"'{text}': the quantity must be at least 1.")
        items.append(invoicing.CartItem(entry.id, quantity))
    return invoicing.CartRequest(patient.id, tuple(items), tuple(args.code))


def _print_invoice(document: InvoiceDocument) -> None:
    print(f"{document.invoice_number}  {document.invoice_date}  {document.patient_name}")
    for line in document.lines:
        badge = f"  [{line.badge_text}]" if line.badge_text else ""
        print(
            f"  {line.quantity} x {line.item_name:<36} {format_rupees(line.line_total):>14}{badge}"
        )
    print(
        f"  Payable {format_rupees(document.total_amount)}  (you saved {format_rupees(document.total_discount)})"
    )
    if document.status == "cancelled":
        print(f"  CANCELLED: {document.cancel_reason}")


def cmd_invoice_quote(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        quote = invoicing.quote(
            db, user, _cart(db, args), now=_instant(db, args.at), explain_all=True
        )
        data = documents.quote_json(quote)
        if args.json:
            _print_json(data)
            return 0
        for line in data["lines"]:
            badge = f"  [{line['badge_text']}]" if line["badge_text"] else ""
            print(f"  {line['quantity']} x {line['item_name']:<36} {line['line_total']:>10}{badge}")
        print(f"  Payable Rs.{data['totals']['payable']}")
        for item in data["codes"] + data["not_applied"]:
            print(f"  - {item['message']}")
        for miss in data["near_misses"]:
            print(f"  Hint: {miss['message']}")
        return 0


def cmd_invoice_create(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        try:
            document = invoicing.save_invoice(db, user, _cart(db, args), now=_instant(db, args.at))
        except invoicing.CodeRefused as exc:
            print(f"frontdesk: {exc} Nothing was saved.", file=sys.stderr)
            return 2
        if args.pdf:
            render_invoice_pdf(document, args.pdf)
        if args.json:
            _print_json(documents.invoice_json(document))
        else:
            _print_invoice(document)
        return 0


def cmd_invoice_show(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, _user):
        document = invoicing.invoice_by_number(db, args.number)
        if args.json:
            _print_json(documents.invoice_json(document))
        else:
            _print_invoice(document)
        return 0


def cmd_invoice_pdf(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, _user):
        document = invoicing.invoice_by_number(db, args.number)
        render_invoice_pdf(document, args.path, variant="receipt" if args.receipt else "a4")
        print(f"Wrote {args.path}")
        return 0


def cmd_invoice_cancel(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        document = invoicing.cancel_invoice(db, user, args.number, reason=args.reason, now=_now())
        if args.json:
            _print_json(documents.invoice_json(document))
        else:
            print(f"Cancelled {document.invoice_number}: {document.cancel_reason}")
        return 0


def cmd_promo_rebuild(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        repair = invoicing.rebuild_usage(db, user, now=_now())
        if args.json:
            _print_json(asdict(repair))
        else:
            print(
                f"Added {repair.added} missing uses, reversed {repair.reversed}, "
                f"corrected {repair.counters_fixed} counters."
            )
        return 0


_SPEC_OPTION = {
    "code": "CODE",
    "promotion_code": "--promotion",
    "valid_from": "--valid-from",
    "valid_to": "--valid-to",
    "start_time": "--active-hours",
    "end_time": "--active-hours",
    "timezone": "--timezone",
    "max_uses": "--max-uses",
    "max_uses_per_patient": "--max-uses-per-patient",
}


def _spec_error(exc: SpecError) -> CommandError:
    where = _SPEC_OPTION.get(exc.field, exc.field)
    return CommandError(f"{exc} ({where})")


def _code_json(row: promotions.CodeRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "promotion_code": row.promotion_code,
        "status": row.status,
        "uses": row.uses,
        "max_uses": row.max_uses,
        "uses_remaining": row.uses_remaining,
        "max_uses_per_patient": row.max_uses_per_patient,
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        "active_hours": row.active_hours.to_json(),
        "auto_deactivate_on_max_uses": row.auto_deactivate_on_max_uses,
        "auto_deactivated_at": row.auto_deactivated_at.isoformat()
        if row.auto_deactivated_at
        else None,
        "discount_given": _rupees(row.discount_given),
    }


def cmd_promo_list(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        rows = promotions.list_promotions(db, user, now=_now())
        codes = promotions.list_codes(db, user)
        data = {
            "promotions": [
                {
                    **{k: v for k, v in asdict(p).items() if k not in {"id", "discount_given"}},
                    "start_date": p.start_date.isoformat() if p.start_date else None,
                    "end_date": p.end_date.isoformat() if p.end_date else None,
                    "discount_given": _rupees(p.discount_given),
                }
                for p in rows
            ],
            "codes": [_code_json(c) for c in codes],
        }
        if args.json:
            _print_json(data)
        else:
            _print_table(data["promotions"])
            if codes:
                print()
                _print_table(
                    [{k: v for k, v in c.items() if k != "active_hours"} for c in data["codes"]]
                )
        return 0


def cmd_promo_add(args: argparse.Namespace) -> int:
    try:
        spec = json.loads(args.json_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read {args.json_file}: {exc}") from exc
    if not isinstance(spec, dict):
        raise CommandError(f"{args.json_file} should hold one JSON object (a promotion).")
    with _signed_in(args) as (db, user):
        try:
            saved = promotions.save_promotion(db, user, spec, now=_now(), replacing=args.replace)
        except SpecError as exc:
            raise CommandError(f"{exc} (field {exc.field})") from exc
        print(f"Saved promotion {saved.campaign_code}.")
        return 0


def cmd_promo_export(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        _print_json(promotions.export_promotion(db, user, args.campaign_code))
        return 0


def cmd_promo_add_code(args: argparse.Namespace) -> int:
    hours: dict[str, Any] = {"enabled": False}
    if args.active_hours:
        start, _, end = args.active_hours.partition("-")
        hours = {
            "enabled": True,
            "start_time": start,
            "end_time": end,
            "timezone": args.timezone or "UTC",
        }
    elif args.timezone:
        raise CommandError("--timezone goes with --active-hours HH:MM-HH:MM.")
    data = {
        "code": args.code,
        "promotion_code": args.promotion,
        "valid_from": args.valid_from,
        "valid_to": args.valid_to,
        "active_hours": hours,
        "max_uses": args.max_uses,
        "max_uses_per_patient": args.max_uses_per_patient,
        "auto_deactivate_on_max_uses": not args.no_auto_deactivate,
    }
    with _signed_in(args) as (db, user):
        try:
            row = promotions.save_code(db, user, data, now=_now())
        except SpecError as exc:
            raise _spec_error(exc) from exc
        if args.json:
            _print_json(_code_json(row))
        else:
            print(
                f"Created code {row.code} for {row.promotion_code} ({row.active_hours.describe()})."
            )
        return 0


def cmd_promo_pause(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        print(promotions.set_paused(db, user, args.code, paused=args.paused, now=_now()))
        return 0


def cmd_promo_analytics(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        result = promotions.code_analytics(db, user, args.code)
        data: dict[str, Any] = {
            "code": result.code,
            "total_uses": result.total_uses,
            "max_uses": result.max_uses,
            "uses_remaining": result.uses_remaining,
            "total_discount": _rupees(result.total_discount),
            "by_service": [
                {
                    "item_id": str(row.item_id),
                    "item_code": row.item_code,
                    "item_name": row.item_name,
                    "uses": row.uses,
                    "total_discount": _rupees(row.total_discount),
                    "unique_patients": row.unique_patients,
                }
                for row in result.by_service
            ],
        }
        if args.json:
            _print_json(data)
        else:
            remaining = "no limit" if result.uses_remaining is None else result.uses_remaining
            used = "1 use" if result.total_uses == 1 else f"{result.total_uses} uses"
            print(f"{result.code}: {used}, {remaining} remaining")
            if data["by_service"]:
                _print_table(data["by_service"])
        return 0


def cmd_promo_applications(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        page = promotions.code_applications(db, user, args.code, page=args.page, limit=args.limit)
        rows = [
            {
                "patient_id": str(a.patient_id) if a.patient_id else None,
                "patient_name": a.patient_name,
                "patient_mobile": a.patient_mobile,
                "item_code": a.item_code,
                "item_name": a.item_name,
                "invoice_number": a.invoice_number,
                "applied_at": a.applied_at.isoformat(),
                "discount": _rupees(a.discount),
            }
            for a in page.applications
        ]
        if args.json:
            _print_json(
                {
                    "code": page.code,
                    "page": page.page,
                    "limit": page.limit,
                    "total": page.total,
                    "pages": page.pages,
                    "applications": rows,
                }
            )
        elif rows:
            _print_table(rows)
            print(f"page {page.page} of {page.pages} ({page.total} applications)")
        else:
            print(f"No applications on page {page.page} ({page.total} in all).")
        return 0


# ---------------------------------------------------------------------------- callbacks


def _add_callback_commands(commands: Any) -> None:
    callback = commands.add_parser(
        "callback",
        help="the callback queue",
        description="The callback queue: add, list, assign, call, record outcomes (seed 004).",
    )
    sub = callback.add_subparsers(dest="callback_command", metavar="ACTION", required=True)
    at_help = "when (ISO-8601; without an offset it is the branch's local time); default now"

    add = sub.add_parser("add", help="add a request; prints its id", description="Add a request.")
    add.add_argument("--mobile", required=True, help="the person's mobile")
    add.add_argument("--name", help="their name (needed when they are not a registered patient)")
    add.add_argument("--reason", required=True, choices=[r.value for r in Reason])
    add.add_argument("--source", default=Source.PHONE.value, choices=[s.value for s in Source])
    add.add_argument("--notes", default="")
    add.add_argument("--at", help=at_help)
    add.add_argument("--json", action="store_true", help="print the request as JSON")
    add.set_defaults(handler=cmd_callback_add)

    listing = sub.add_parser(
        "queue", help="open requests in queue order", description="List the open requests."
    )
    listing.add_argument("--at", help="evaluate waiting time at this instant; " + at_help)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_callback_queue)

    actions: list[tuple[str, str]] = [
        ("assign", "assign a request (to you, or --to USER)"),
        ("start", "start the call of an assigned request"),
        ("complete", "record a call under way as completed"),
        ("no-answer", "record an unanswered call (closed as unreachable after the last try)"),
        ("reschedule", "move a request to a new time (--to)"),
        ("cancel", "cancel a request (--reason)"),
    ]
    for name, text in actions:
        action = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        action.add_argument("id", help="the request's id (or its first 8 characters)")
        if name == "assign":
            action.add_argument("--to", metavar="USER", help="a username; default: you")
        elif name == "complete":
            action.add_argument("--outcome", default="", help="what was agreed")
        elif name in ("no-answer", "reschedule"):
            action.add_argument("--notes", default="")
        if name == "reschedule":
            action.add_argument("--to", required=True, metavar="ISO-8601", help="the new time")
        if name == "cancel":
            action.add_argument("--reason", required=True)
        action.add_argument("--at", help=at_help)
        action.add_argument("--json", action="store_true", help="print the request as JSON")
        action.set_defaults(handler=cmd_callback_action, action=name)

    log = sub.add_parser("log", help="a request's activity log", description="Show the log.")
    log.add_argument("id")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=cmd_callback_log)

    settings = sub.add_parser(
        "settings",
        help="show or change SLAs, attempts, retry delay and opening hours",
        description="Show the callback settings; with options, change them (manager). SLAs and "
        "the retry delay are hours of opening time.",
    )
    settings.add_argument(
        "--sla",
        action="append",
        default=[],
        metavar="CATEGORY=HOURS",
        help="an SLA, e.g. urgent=1 or high=4 (repeat for each category to change)",
    )
    settings.add_argument("--attempts", type=int, help="call attempts before unreachable")
    settings.add_argument("--retry-hours", type=float, help="wait after no answer, in hours")
    settings.add_argument(
        "--hours",
        action="append",
        default=[],
        metavar="DAY=HH:MM-HH:MM",
        help="a day's opening hours, e.g. mon=10:00-20:00 or sun=closed (repeat per day)",
    )
    settings.add_argument("--json", action="store_true", help="print the settings as JSON")
    settings.set_defaults(handler=cmd_callback_settings)


def _callback_json(row: callback_service.CallbackRow) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": str(row.id),
        "name": row.name,
        "mobile": row.mobile,
        "patient_id": str(row.patient_id) if row.patient_id else None,
        "reason": row.reason.value,
        "source": row.source.value,
        "notes": row.notes,
        "status": row.status.value,
        "score": row.score.value,
        "score_parts": [{"label": p.label, "points": p.points} for p in row.score.parts],
        "score_explained": row.score.explain(),
        "category": row.category.value,
        "requested_at": iso(row.requested_at),
        "due_at": iso(row.due_at),
        "not_before": iso(row.not_before),
        "overdue": row.overdue,
        "waiting_minutes": int(row.waited.total_seconds() // 60),
        "assigned_to": row.assigned_name,
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "outcome": row.outcome,
    }


def _print_callback(row: callback_service.CallbackRow) -> None:
    who = f", {row.assigned_name}" if row.assigned_name else ""
    print(
        f"{row.short_id}  {row.status.label}{who}  {row.name} {row.mobile}  "
        f"{row.category.label} {row.score.value}  due {row.due_at.isoformat()}"
    )
    if row.outcome:
        print(f"  {row.outcome}")


def cmd_callback_add(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        new = callback_service.NewCallback(
            Reason(args.reason), Source(args.source), notes=args.notes, mobile=args.mobile
        )
        try:
            patient = patients.resolve_patient(db, args.mobile)
        except ServiceError:
            patient = None  # not registered (or a shared mobile): the name is needed
        if patient is not None and (not args.name or args.name.strip() == patient.name):
            new = replace(new, patient_id=patient.id)
        else:
            new = replace(new, name=args.name or "")
        row = callback_service.add_callback(db, user, new, now=_instant(db, args.at))
        if args.json:
            _print_json(_callback_json(row))
        else:
            print(row.id)
        return 0


def cmd_callback_queue(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        snapshot = callback_service.queue(db, user, now=_instant(db, args.at))
        rows = [_callback_json(row) for row in snapshot.rows]
        if args.json:
            _print_json(rows)
        elif not rows:
            print("Nobody is waiting for a call.")
        else:
            _print_table(
                [
                    {
                        "id": row.short_id,
                        "category": row.category.label,
                        "score": row.score.value,
                        "name": row.name,
                        "mobile": row.mobile,
                        "reason": row.reason.label,
                        "status": row.status.label,
                        "due": row.due_at.astimezone(_zone(db)).strftime("%a %d %b %H:%M")
                        + (" OVERDUE" if row.overdue else ""),
                        "assigned": row.assigned_name or "-",
                        "why": row.score.explain(),
                    }
                    for row in snapshot.rows
                ]
            )
        return 0


def _zone(db: setup.Database) -> ZoneInfo:
    return ZoneInfo(branch.get_branch(db).details.timezone)


def cmd_callback_action(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        callback_id = callback_service.resolve_id(db, args.id)
        now = _instant(db, args.at)
        if args.action == "assign":
            row = callback_service.assign(db, user, callback_id, now=now, to_username=args.to)
        elif args.action == "start":
            row = callback_service.start_call(db, user, callback_id, now=now)
        elif args.action == "complete":
            row = callback_service.complete(db, user, callback_id, now=now, outcome=args.outcome)
        elif args.action == "no-answer":
            row = callback_service.no_answer(db, user, callback_id, now=now, note=args.notes)
        elif args.action == "reschedule":
            to = _instant(db, args.to)
            row = callback_service.reschedule(
                db, user, callback_id, to=to, now=now, note=args.notes
            )
        else:
            row = callback_service.cancel(db, user, callback_id, reason=args.reason, now=now)
        if args.json:
            _print_json(_callback_json(row))
        else:
            _print_callback(row)
        return 0


def cmd_callback_log(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        callback_id = callback_service.resolve_id(db, args.id)
        detail = callback_service.get_callback(db, user, callback_id, now=_now())
        if args.json:
            _print_json(
                {
                    "request": _callback_json(detail.row),
                    "activities": [
                        {
                            "at": entry.at.isoformat(),
                            "user": entry.user_name,
                            "activity": entry.activity,
                            "from_status": entry.from_status.value if entry.from_status else None,
                            "to_status": entry.to_status.value if entry.to_status else None,
                            "note": entry.note,
                            "text": entry.text,
                        }
                        for entry in detail.activities
                    ],
                }
            )
        else:
            _print_callback(detail.row)
            zone = _zone(db)
            for entry in detail.activities:
                print(f"  {entry.at.astimezone(zone):%d %b %H:%M}  {entry.text}")
        return 0


def _hours_number(minutes: int) -> float | int:
    hours = minutes / 60
    return int(hours) if hours.is_integer() else round(hours, 2)


def _callback_settings_json(config: callback_service.CallbackConfig) -> dict[str, Any]:
    return {
        "timezone": config.timezone,
        "sla_hours": {
            category.value: _hours_number(minutes)
            for category, minutes in config.settings.sla_minutes.items()
        },
        "max_attempts": config.settings.max_attempts,
        "retry_hours": _hours_number(config.settings.retry_minutes),
        "opening_hours": hours_to_json(config.hours),
    }


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    pairs = []
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{option} '{text}': write it as NAME=VALUE ({option}).")
        pairs.append((key.strip().lower(), value.strip()))
    return pairs


def _wanted_callback_settings(
    args: argparse.Namespace, current: callback_service.CallbackConfig
) -> tuple[CallbackSettings, OpeningHours]:
    sla = dict(current.settings.sla_minutes)
    for key, value in _pairs(args.sla, "--sla"):
        try:
            category = Category(key)
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise CommandError(f"'{key}' is not a category; use {known} (--sla).") from None
        try:
            sla[category] = round(float(value) * 60)
        except ValueError:
            raise CommandError(f"'{value}' is not a number of hours (--sla {key}).") from None
    days = list(current.hours.days)
    for key, value in _pairs(args.hours, "--hours"):
        names = [name.lower() for name in WEEKDAY_NAMES]
        if key not in WEEKDAYS and key not in names:
            raise CommandError(f"'{key}' is not a day; use mon, tue, ... sun (--hours).")
        index = WEEKDAYS.index(key) if key in WEEKDAYS else names.index(key)
        key = WEEKDAYS[index]
        try:
            days[index] = parse_day(value, WEEKDAY_NAMES[index])
        except OpeningHoursError as exc:
            raise CommandError(f"{exc} (--hours {key}).") from exc
    settings = replace(
        current.settings,
        sla_minutes=sla,
        max_attempts=current.settings.max_attempts if args.attempts is None else args.attempts,
        retry_minutes=current.settings.retry_minutes
        if args.retry_hours is None
        else round(args.retry_hours * 60),
    )
    return settings, OpeningHours(tuple(days))


def _settings_option(field: str) -> str:
    """The option to fix for a refused callback setting ("sla_high" -> "--sla high")."""
    if field.startswith("sla_"):
        return f"--sla {field.removeprefix('sla_')}"
    if field.startswith("hours_"):
        return f"--hours {field.removeprefix('hours_')}"
    return {"max_attempts": "--attempts", "retry_minutes": "--retry-hours"}.get(field, "--hours")


def cmd_callback_settings(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        config = callback_service.get_config(db)
        changing = bool(args.sla or args.hours) or (args.attempts, args.retry_hours) != (None,) * 2
        if changing:
            settings, hours = _wanted_callback_settings(args, config)
            try:
                config = callback_service.update_config(db, user, settings, hours, now=_now())
            except callback_service.CallbackInputError as exc:
                raise CommandError(f"{exc} ({_settings_option(exc.field)})") from exc
        data = _callback_settings_json(config)
        if args.json:
            _print_json(data)
            return 0
        if changing:
            print("Saved the callback settings.")
        slas = ", ".join(f"{name} {value} h" for name, value in data["sla_hours"].items())
        print(f"SLA (hours of opening time): {slas}")
        print(f"Attempts before unreachable: {data['max_attempts']}")
        print(f"Retry after no answer: {data['retry_hours']} h")
        print(f"Opening hours ({config.timezone}):")
        for name, day in zip(WEEKDAY_NAMES, data["opening_hours"].values(), strict=True):
            print(f"  {name:<10} {day}")
        return 0


_OPTION = {"fiscal_year_start_month": "fy-start-month", "invoice_series": "series"}


def _add_import_command(commands: Any) -> None:
    imports = commands.add_parser(
        "import", help="import history from another system (manager)", description="Import."
    )
    sub = imports.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    transactions = sub.add_parser(
        "transactions",
        help="past invoices from a CSV file",
        description="Import past invoices from a CSV with the columns "
        + ", ".join(history_import.COLUMNS)
        + " (amounts in rupees), all or nothing. Importing the same file again adds nothing.",
    )
    transactions.add_argument("file", type=Path, metavar="FILE.csv")
    transactions.add_argument("--json", action="store_true", help="print the counts as JSON")
    transactions.set_defaults(handler=cmd_import_transactions)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def cmd_import_transactions(args: argparse.Namespace) -> int:
    with _signed_in(args) as (db, user):
        result = history_import.import_transactions(db, user, args.file, now=_now())
    if args.json:
        _print_json(asdict(result))
    else:
        print(
            f"Imported {_count(result.invoices_added, 'invoice')}"
            f" ({_count(result.lines_added, 'line')}),"
            f" {_count(result.patients_added, 'new patient')},"
            f" {_count(result.items_added, 'new item')};"
            f" {result.invoices_skipped} already imported."
        )
    return 0


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
        result: int = handler(args)
        return result
    except (CommandError, ServiceError, PermissionDenied) as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1
