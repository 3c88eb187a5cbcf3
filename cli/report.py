"""`frontdesk report ...`: the promotion reports (seed 000) and the dashboard's RFM
figures (seed 003), for managers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cli import common
from domain import rfm
from domain.errors import BadInput
from domain.money import format_rupees
from services import dashboard, gst_report, promotion_reports, setup, takings
from services.auth import CurrentUser
from services.campaigns import chain_results
from services.documents import rupees

_PROMOTION_REPORTS = [
    ("campaigns", "uses, unique patients, total and average discount per promotion"),
    ("promoted-invoices", "the latest invoices that carried promotions"),
    ("usage-timeline", "uses and discount per day and promotion"),
    ("top-patients", "patients who saved most through promotions"),
]
_RFM_REPORTS = [
    ("rfm", "the dashboard's RFM figures: KPIs, score and bucket counts, segments"),
    ("rfm-customers", "the customers behind the RFM figures, with their scores"),
]


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "report",
        metavar="REPORT",
        help="promotion, RFM, GST and takings reports (manager)",
        description="Promotion reports (seed 000), the dashboard's RFM figures (seed 003) and "
        "the month's GST summary.",
    )
    for name, text in _PROMOTION_REPORTS:
        report = sub.add_parser(name, help=text, description=common.described(text))
        report.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        if name == "usage-timeline":
            report.add_argument("--days", type=int, default=30, help="how many days (default 30)")
        elif name != "campaigns":
            report.add_argument("--limit", type=int, default=50 if "invoices" in name else 20)
        _branch_option(report)
        report.set_defaults(handler=cmd_report, report=name)
    for name, text in _RFM_REPORTS:
        report = sub.add_parser(name, help=text, description=common.described(text))
        report.add_argument(
            "--from", dest="start", type=common.iso_date, help="first day (default: all)"
        )
        report.add_argument(
            "--to", dest="end", type=common.iso_date, help="last day, the as-of date"
        )
        report.add_argument("--mobile", help="only the patients with this mobile")
        report.add_argument("--name", help="only patients whose name contains this (any case)")
        for score in ("r", "f", "m"):
            report.add_argument(
                f"--{score}", type=int, choices=range(1, 6), help=f"only {score.upper()} score S"
            )
        report.add_argument(
            "--scheme",
            choices=("seed", "ten"),
            default="seed",
            help="segments: seed 003's four, or the rfm package's ten (default seed)",
        )
        report.add_argument(
            "--value-buckets", help="value bucket ends in rupees (default 1000 2000 3000 4000 5000)"
        )
        report.add_argument(
            "--branch",
            action="append",
            default=[],
            metavar="CODE",
            help="the head office (--central URL): only this branch (again for more; "
            "default: the whole chain, a patient of two branches one customer)",
        )
        report.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        report.set_defaults(handler=cmd_report_rfm, report=name)
    gst = sub.add_parser(
        "gst",
        help="the month's GST summary in GSTR-1's sections",
        description=common.described(
            "the month's GST summary for the accountant, in GSTR-1's sections: b2b, b2cl, "
            "b2cs, nil, hsn and doc_issue"
        ),
    )
    gst.add_argument("--month", required=True, help="the month, like 2026-11")
    gst.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    gst.add_argument("--csv", type=Path, metavar="FOLDER", help="also write one CSV per section")
    _branch_option(gst)
    gst.set_defaults(handler=cmd_report_gst)
    takings_report = sub.add_parser(
        "takings",
        help="the day's takings: sales, refunds, money by method, dues and advances",
        description=common.described(
            "today's takings (or a day's, or a range's): sales, refunds, money received and "
            "paid back by method, dues raised and settled, advances taken and used"
        ),
    )
    takings_report.add_argument("--date", type=common.iso_date, help="one day (default today)")
    takings_report.add_argument("--from", dest="start", type=common.iso_date, help="first day")
    takings_report.add_argument("--to", dest="end", type=common.iso_date, help="last day")
    takings_report.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    _branch_option(takings_report)
    takings_report.set_defaults(handler=cmd_report_takings)
    campaign_results = sub.add_parser(
        "campaign-results",
        help="every branch's campaigns with their results (the head office: the chain's)",
        description=common.described(
            "each campaign's recipients, messages, sent, delivered, failed, replied, opted "
            "out, cost, conversions, revenue and ROI, as the branch's own results count them; "
            "on the centre (--central URL) every branch's, added up at the end"
        ),
    )
    campaign_results.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    _branch_option(campaign_results)
    campaign_results.set_defaults(handler=cmd_report_campaign_results)


def _branch_option(report: argparse.ArgumentParser) -> None:
    report.add_argument(
        "--branch",
        action="append",
        default=[],
        metavar="CODE",
        help="the head office (--central URL): only this branch (again for more; default: "
        "every branch, added up)",
    )


# ---------------------------------------------------------------------------- promotions


def _report_rows(db: setup.Database, user: CurrentUser, args: argparse.Namespace) -> Any:
    scope = promotion_reports.chain_scope(db, args.branch)
    if args.report == "campaigns":
        return [
            {
                **{k: v for k, v in asdict(row).items() if k not in _AMOUNTS},
                "promotion_id": str(row.promotion_id),
                "total_discount": rupees(row.total_discount),
                "average_discount": rupees(row.average_discount),
            }
            for row in promotion_reports.campaign_effectiveness(db, user, scope=scope)
        ]
    if args.report == "promoted-invoices":
        return [
            {
                **asdict(row),
                "invoice_id": str(row.invoice_id),
                "invoice_date": row.invoice_date.isoformat(),
                "total_discount": rupees(row.total_discount),
                "total_amount": rupees(row.total_amount),
                "campaign_codes": list(row.campaign_codes),
            }
            for row in promotion_reports.promoted_invoices(db, user, limit=args.limit, scope=scope)
        ]
    if args.report == "usage-timeline":
        today = common.today(db)
        return [
            {**asdict(row), "day": row.day.isoformat(), "discount": rupees(row.discount)}
            for row in promotion_reports.usage_timeline(
                db, user, today=today, days=args.days, scope=scope
            )
        ]
    return [
        {
            **asdict(row),
            "patient_id": str(row.patient_id),
            "total_savings": rupees(row.total_savings),
            "last_promotion_at": row.last_promotion_at.isoformat(),
        }
        for row in promotion_reports.top_patients(db, user, limit=args.limit, scope=scope)
    ]


_AMOUNTS = {"total_discount", "average_discount", "promotion_id"}


def cmd_report(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = _report_rows(db, user, args)
        common.print_rows(rows, as_json=args.json, empty="Nothing to report yet.")


# ---------------------------------------------------------------------------- RFM


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
        "monetary": rupees(row.monetary),
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


def cmd_report_rfm(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
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
            branches=tuple(args.branch),
        )
        report = dashboard.rfm_report(db, user, filters, today=common.today(db))
        if args.report == "rfm":
            data = _rfm_json(report)
            if args.json:
                common.print_json(data)
            else:
                _print_rfm(data)
            return
        rows = [_customer_json(row) for row in dashboard.customers(db, user, report)]
        common.print_rows(rows, as_json=args.json, empty="No customers in this window.")


# ---------------------------------------------------------------------------- GST


def cmd_report_gst(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        summary = gst_report.gst_summary(db, user, args.month, branches=args.branch)
        data = gst_report.summary_json(summary)
        written = gst_report.write_csv(summary, args.csv) if args.csv else []
    if args.json:
        common.print_json(data)
    else:
        total = data["total"]
        print(f"GST summary {args.month} for GSTIN {data['gstin'] or '(not registered)'}")
        print(f"  B2B invoices: {len(data['b2b'])}   B2C large: {len(data['b2cl'])}")
        for row in data["b2cs"]:
            print(
                f"  B2C {row['pos']} at {row['rt']}%: taxable {row['txval']}, "
                f"CGST {row['camt']}, SGST {row['samt']}, IGST {row['iamt']}"
            )
        exempt = sum(Decimal(value) for value in data["nil"].values())
        print(f"  Exempt supplies: {exempt}")
        print(
            f"  Total: taxable {total['txval']}, CGST {total['camt']}, SGST {total['samt']}, "
            f"IGST {total['iamt']}"
        )
        # On the centre, each branch's numbers (a series of its own), its sponsor
        # documents' too (issue #17; the head office's own, issued on the centre, as "HO").
        for docs in data["doc_issue"].get("branches", [data["doc_issue"]]):
            label = f"Branch {docs['branch']}: " if "branch" in docs else ""
            sponsored = [
                (name, docs[key])
                for key, name in (
                    ("sponsor_invoices", "sponsor invoices"),
                    ("sponsor_credit_notes", "sponsor credit notes"),
                )
                if docs.get(key, {}).get("total")
            ]
            if docs["total"] or not sponsored:
                print(
                    f"  {label}{'i' if label else 'I'}nvoices {docs['from']} to {docs['to']}: "
                    f"{docs['total']}, {docs['cancelled']} cancelled"
                )
            for name, series in sponsored:
                name = name if label else name.capitalize()
                print(f"  {label}{name} {series['from']} to {series['to']}: {series['total']}")
    for path in written:
        print(f"Wrote {path}", file=sys.stderr)


# ---------------------------------------------------------------------------- takings


def takings_json(figures: takings.Takings) -> dict[str, Any]:
    """The takings in rupees, as `report takings --json` prints them."""
    return {
        "from": figures.start.isoformat(),
        "to": figures.end.isoformat(),
        "sales": {"invoices": figures.invoices, "total": rupees(figures.sales)},
        "cancelled_invoices": figures.cancelled,
        "refunds": {"credit_notes": figures.credit_notes, "total": rupees(figures.refunds)},
        "net_sales": rupees(figures.net_sales),
        "payments": [
            {
                "method": m.method,
                "received": rupees(m.received),
                "paid_back": rupees(m.paid_back),
                "net": rupees(m.net),
            }
            for m in figures.by_method
        ],
        "received": rupees(figures.received),
        "paid_back": rupees(figures.paid_back),
        "net_money": rupees(figures.net_money),
        "dues_raised": rupees(figures.dues_raised),
        "dues_settled": rupees(figures.dues_settled),
        "advances_taken": rupees(figures.advances_taken),
        "advances_used": rupees(figures.advances_used),
    }


def _takings_range(db: setup.Database, args: argparse.Namespace) -> tuple[date, date]:
    if args.date is not None and (args.start or args.end):
        raise BadInput("Give --date for one day or --from and --to for a range, not both")
    if args.date is not None:
        return args.date, args.date
    if args.start is None and args.end is None:
        today = common.today(db)
        return today, today
    if args.start is None or args.end is None:
        raise BadInput("A range needs both --from and --to")
    return args.start, args.end


def cmd_report_takings(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        start, end = _takings_range(db, args)
        figures = takings.takings(db, user, start, end, branches=args.branch)
    if args.json:
        common.print_json(takings_json(figures))
        return
    days = f"{start:%d %b %Y}" if start == end else f"{start:%d %b %Y} to {end:%d %b %Y}"
    print(f"Takings {days}")
    print(f"  Sales        {figures.invoices:>4} invoices  {format_rupees(figures.sales):>16}")
    print(
        f"  Refunds      {figures.credit_notes:>4} notes     {format_rupees(figures.refunds):>16}"
    )
    print(f"  Net sales                    {format_rupees(figures.net_sales):>16}")
    print("  Money          received         paid back              net")
    for m in figures.by_method:
        print(
            f"  {m.method:<8} {format_rupees(m.received):>14} {format_rupees(m.paid_back):>17}"
            f" {format_rupees(m.net):>16}"
        )
    print(
        f"  {'All':<8} {format_rupees(figures.received):>14} "
        f"{format_rupees(figures.paid_back):>17} {format_rupees(figures.net_money):>16}"
    )
    print(
        f"  Dues raised {format_rupees(figures.dues_raised)}, settled {format_rupees(figures.dues_settled)}"
    )
    print(
        f"  Advances taken {format_rupees(figures.advances_taken)}, used "
        f"{format_rupees(figures.advances_used)}"
    )


# ---------------------------------------------------------------------------- campaigns


def _roi(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def campaign_row_json(row: chain_results.BranchCampaign) -> dict[str, Any]:
    """One branch's campaign (or the total) as `report campaign-results --json` prints it."""
    return {
        "branch": row.branch_code,
        "campaign_id": None if row.campaign_id is None else str(row.campaign_id),
        "name": row.name,
        "status": row.status,
        "channels": list(row.channels),
        "launched_at": None if row.launched_at is None else row.launched_at.isoformat(),
        **{name: getattr(row, name) for name in chain_results.COUNTS if name not in _MONEY},
        "cost": rupees(row.cost),
        "revenue": rupees(row.revenue),
        "roi": _roi(row.roi),
    }


_MONEY = ("cost", "revenue")


def cmd_report_campaign_results(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        found = chain_results.branch_campaigns(db, user, branches=args.branch)
    total = campaign_row_json(found.total)
    if args.json:
        common.print_json(
            {"campaigns": [campaign_row_json(row) for row in found.rows], "total": total}
        )
        return
    if not found.rows:
        print("No campaigns yet.")
        return
    shown = [
        {
            "branch": row.branch_code,
            "campaign": row.name,
            "status": row.status,
            "channels": "+".join(row.channels),
            "recipients": row.recipients,
            "messages": row.messages,
            "sent": row.sent,
            "delivered": row.delivered,
            "failed": row.failed,
            "replied": row.replied,
            "opted_out": row.opted_out,
            "cost": format_rupees(row.cost),
            "conversions": row.conversions,
            "revenue": format_rupees(row.revenue),
            "roi": "n/a" if row.roi is None else f"{row.roi:,.0%}",
        }
        for row in (*found.rows, found.total)
    ]
    shown[-1] |= {"branch": "All", "status": "", "channels": ""}
    common.print_table(shown)
