"""`frontdesk catalog list|add|edit|retire|import|export`: the catalog (manager)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from cli import common
from services import catalog
from services.documents import rupees

# option -> the item's field it sets
_FIELDS = {
    "code": "code",
    "name": "name",
    "category": "category",
    "type": "item_type",
    "price": "price",
    "cost": "cost",
    "hsn": "hsn_sac",
    "taxability": "taxability",
    "gst": "tax_rate",
    "max_discount": "max_discount_percent",
    "barcode": "barcode",
}
_OPTION = {field: option.replace("_", "-") for option, field in _FIELDS.items()}
_OPTION["price_from"] = "price-from"


def _field_option(field: str) -> str:
    return f"--{_OPTION.get(field, field)}"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-03") from None


def _item_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--name", required=adding)
    parser.add_argument("--category", required=adding)
    parser.add_argument("--type", choices=("service", "product"), required=adding)
    parser.add_argument("--price", required=adding, help="rupees, GST included")
    parser.add_argument("--cost", help="rupees, what one unit costs the clinic")
    parser.add_argument("--hsn", help="HSN code (products) or SAC code (services, 99....)")
    parser.add_argument("--taxability", choices=("taxable", "exempt"))
    parser.add_argument("--gst", help="GST rate in percent (0 when exempt)")
    parser.add_argument("--max-discount", help="the most a discount may take, in percent")
    parser.add_argument("--barcode")
    parser.add_argument("--json", action="store_true", help="print the item as JSON")


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "catalog",
        help="the catalog of services and products (manager)",
        description="List, add, change, retire, import and export catalog items.",
    )
    listing = sub.add_parser("list", help="the items with their prices today")
    listing.add_argument("--all", action="store_true", help="retired items too")
    listing.add_argument("--category", help="only this category")
    listing.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    listing.set_defaults(handler=cmd_list)
    add = sub.add_parser("add", help="add an item", description="Add an item to the catalog.")
    add.add_argument("--code", required=True)
    _item_options(add, adding=True)
    add.set_defaults(handler=cmd_save, field_option=_field_option, replacing=None)
    edit = sub.add_parser(
        "edit",
        help="change an item; a new price from a date",
        description="Change an item. Options left out keep their values. A new price or cost "
        "takes effect from --price-from (today when left out).",
    )
    edit.add_argument("replacing", metavar="CODE")
    edit.add_argument("--code", help="a new code")
    _item_options(edit, adding=False)
    edit.add_argument("--price-from", type=_date, help="the first day of the new price")
    edit.set_defaults(handler=cmd_save, field_option=_field_option)
    retire = sub.add_parser("retire", help="take an item off sale for good")
    retire.add_argument("code", metavar="CODE")
    retire.set_defaults(handler=cmd_retire)
    imported = sub.add_parser(
        "import",
        help="add or change items from a CSV, all or nothing",
        description="Add or change items from a CSV with the columns "
        + ", ".join(catalog.CSV_COLUMNS)
        + " (as `catalog export` writes them), all or nothing.",
    )
    imported.add_argument("file", type=Path, metavar="FILE.csv")
    imported.add_argument("--json", action="store_true")
    imported.set_defaults(handler=cmd_import)
    exported = sub.add_parser("export", help="write the catalog as CSV")
    exported.add_argument("file", type=Path, metavar="FILE.csv")
    exported.set_defaults(handler=cmd_export)


def _row_json(row: catalog.CatalogRow) -> dict[str, Any]:
    spec = row.spec
    return {
        "code": spec.code,
        "name": spec.name,
        "category": spec.category,
        "item_type": spec.item_type,
        "price": rupees(spec.price),
        "cost": rupees(spec.cost),
        "hsn_sac": spec.hsn_sac,
        "taxability": spec.taxability.value,
        "tax_rate": str(spec.tax_rate.normalize()),
        "max_discount_percent": str(spec.max_discount_percent.normalize()),
        "barcode": spec.barcode,
        "status": "retired" if row.retired else "active" if row.is_active else "off",
        "next_price": None if row.next_price is None else rupees(row.next_price),
        "next_price_from": None if row.next_price_from is None else row.next_price_from.isoformat(),
    }


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = catalog.list_items(
            db, user, now=common.now(), include_retired=args.all, category=args.category
        )
    data = [_row_json(row) for row in rows]
    if args.json:
        common.print_json(data)
        return
    shown = [
        {
            "code": d["code"],
            "name": d["name"],
            "category": d["category"],
            "price": d["price"],
            "gst": "exempt" if d["taxability"] == "exempt" else f"{d['tax_rate']}%",
            "hsn/sac": d["hsn_sac"] or "-",
            "status": d["status"],
            "next": f"{d['next_price']} from {d['next_price_from']}" if d["next_price"] else "",
        }
        for d in data
    ]
    common.print_rows(shown, as_json=False, empty="The catalog is empty.")


def cmd_save(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        given = {field: getattr(args, option) for option, field in _FIELDS.items()}
        data: dict[str, object] = {k: v for k, v in given.items() if v is not None}
        if args.replacing is not None:
            current = {
                row.spec.code: row
                for row in catalog.list_items(db, user, now=common.now(), include_retired=True)
            }.get(args.replacing.strip().upper())
            if current is not None:
                data = {**_row_json(current), **data}
        row = catalog.save_item(
            db,
            user,
            data,
            now=common.now(),
            replacing=args.replacing,
            price_from=getattr(args, "price_from", None),
        )
    if args.json:
        common.print_json(_row_json(row))
    else:
        verb = "Added" if args.replacing is None else "Saved"
        later = ""
        if row.next_price is not None and row.next_price_from is not None:
            later = f"; from {row.next_price_from:%d %b %Y} it costs Rs.{rupees(row.next_price)}"
        print(f"{verb} {row.spec.code} ({row.spec.name}) at Rs.{rupees(row.spec.price)}{later}.")


def cmd_retire(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        row = catalog.retire_item(db, user, args.code, now=common.now())
    print(f"Retired {row.spec.code}: it can no longer be sold and stays on old invoices.")


def cmd_import(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        result = catalog.import_items(db, user, args.file, now=common.now())
    if args.json:
        common.print_json(
            {"added": result.added, "changed": result.changed, "unchanged": result.unchanged}
        )
    else:
        print(f"{result.added} added, {result.changed} changed, {result.unchanged} unchanged.")


def cmd_export(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        count = catalog.export_items(db, user, args.file, now=common.now())
    print(f"Wrote {count} items to {args.file}.")
