"""`frontdesk promo ...`: promotions, promo codes and their usage (manager)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cli import common
from domain.errors import BadInput
from domain.promotion_spec import SpecError, read_spec_json
from services import invoicing, promotions
from services.documents import rupees

# The option (or argument) that sets each field of a promo code.
_CODE_OPTION = {
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


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "promo",
        help="promotions (manager)",
        description="Promotions and their usage.",
    )
    rebuild = sub.add_parser(
        "rebuild-usage",
        help="rebuild the usage log and counters from the invoices",
        description="Rebuild the promotion usage log and counters from the invoices' "
        "campaigns_applied (after a tracking failure). Running it twice changes nothing.",
    )
    rebuild.add_argument("--json", action="store_true", help="print what changed as JSON")
    rebuild.set_defaults(handler=cmd_rebuild)
    listing = sub.add_parser("list", help="promotions and codes", description="List them.")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    add = sub.add_parser(
        "add",
        help="create a promotion from a JSON spec",
        description="Create a promotion from a JSON spec (the format is in the README).",
    )
    add.add_argument("--json-file", type=Path, required=True, metavar="SPEC.json")
    add.add_argument("--replace", metavar="CAMPAIGN_CODE", help="change this promotion instead")
    add.set_defaults(handler=cmd_add, field_option=lambda field: f"field {field}")
    export = sub.add_parser("export", help="a promotion as its JSON spec", description="Export.")
    export.add_argument("campaign_code")
    export.add_argument("--json", action="store_true", help="(always JSON)")
    export.set_defaults(handler=cmd_export)
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
    code.set_defaults(
        handler=cmd_add_code, field_option=lambda field: _CODE_OPTION.get(field, field)
    )
    for name in ("pause", "resume"):
        toggle = sub.add_parser(
            name, help=f"{name} a promo code or promotion", description=f"{name.title()} one."
        )
        toggle.add_argument("code")
        toggle.set_defaults(handler=cmd_pause, paused=name == "pause")
    analytics = sub.add_parser(
        "analytics", help="a code's uses by service", description="A code's analytics."
    )
    analytics.add_argument("code")
    analytics.add_argument("--json", action="store_true")
    analytics.set_defaults(handler=cmd_analytics)
    apps = sub.add_parser(
        "applications", help="a code's applications, newest first", description="Applications."
    )
    apps.add_argument("code")
    apps.add_argument("--page", type=int, default=1)
    apps.add_argument("--limit", type=int, default=20)
    apps.add_argument("--json", action="store_true")
    apps.set_defaults(handler=cmd_applications)


def cmd_rebuild(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        repair = invoicing.rebuild_usage(db, user, now=common.now())
        if args.json:
            common.print_json(asdict(repair))
        else:
            print(
                f"Added {repair.added} missing uses, reversed {repair.reversed}, "
                f"corrected {repair.counters_fixed} counters."
            )


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
        "discount_given": rupees(row.discount_given),
    }


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = promotions.list_promotions(db, user, now=common.now())
        codes = promotions.list_codes(db, user)
        data = {
            "promotions": [
                {
                    **{k: v for k, v in asdict(p).items() if k not in {"id", "discount_given"}},
                    "start_date": p.start_date.isoformat() if p.start_date else None,
                    "end_date": p.end_date.isoformat() if p.end_date else None,
                    "discount_given": rupees(p.discount_given),
                }
                for p in rows
            ],
            "codes": [_code_json(c) for c in codes],
        }
        if args.json:
            common.print_json(data)
        else:
            common.print_table(data["promotions"])
            if codes:
                print()
                common.print_table(
                    [{k: v for k, v in c.items() if k != "active_hours"} for c in data["codes"]]
                )


def cmd_add(args: argparse.Namespace) -> None:
    try:
        text = args.json_file.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise BadInput(f"Cannot read {args.json_file}: {exc}") from exc
    try:
        spec = read_spec_json(text)
    except SpecError as exc:
        raise BadInput(f"{args.json_file}: {exc}") from exc
    with common.signed_in(args) as (db, user):
        saved = promotions.save_promotion(db, user, spec, now=common.now(), replacing=args.replace)
        print(f"Saved promotion {saved.campaign_code}.")


def cmd_export(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        common.print_json(promotions.export_promotion(db, user, args.campaign_code))


def cmd_add_code(args: argparse.Namespace) -> None:
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
        raise BadInput("--timezone goes with --active-hours HH:MM-HH:MM.")
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
    with common.signed_in(args) as (db, user):
        row = promotions.save_code(db, user, data, now=common.now())
        if args.json:
            common.print_json(_code_json(row))
        else:
            print(
                f"Created code {row.code} for {row.promotion_code} ({row.active_hours.describe()})."
            )


def cmd_pause(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        print(promotions.set_paused(db, user, args.code, paused=args.paused, now=common.now()))


def cmd_analytics(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        result = promotions.code_analytics(db, user, args.code)
        data: dict[str, Any] = {
            "code": result.code,
            "total_uses": result.total_uses,
            "max_uses": result.max_uses,
            "uses_remaining": result.uses_remaining,
            "total_discount": rupees(result.total_discount),
            "by_service": [
                {
                    "item_id": str(row.item_id),
                    "item_code": row.item_code,
                    "item_name": row.item_name,
                    "uses": row.uses,
                    "total_discount": rupees(row.total_discount),
                    "unique_patients": row.unique_patients,
                }
                for row in result.by_service
            ],
        }
        if args.json:
            common.print_json(data)
        else:
            remaining = "no limit" if result.uses_remaining is None else result.uses_remaining
            used = "1 use" if result.total_uses == 1 else f"{result.total_uses} uses"
            print(f"{result.code}: {used}, {remaining} remaining")
            if data["by_service"]:
                common.print_table(data["by_service"])


def cmd_applications(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
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
                "discount": rupees(a.discount),
            }
            for a in page.applications
        ]
        if args.json:
            common.print_json(
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
            common.print_table(rows)
            print(f"page {page.page} of {page.pages} ({page.total} applications)")
        else:
            print(f"No applications on page {page.page} ({page.total} in all).")
