"""`frontdesk invoice print` and `frontdesk printer show|set|test`: print a saved invoice on
the receipt printer or a printer of this computer, and choose the receipt printer
(manager)."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from cli import common
from services import invoicing
from services import printer_settings as printer_service
from services.escpos_printing import describe, print_test_page_escpos
from services.printer_settings import ESCPOS_KINDS, PrinterSettings
from services.receipt_text import RECEIPT_WIDTHS
from services.system_printing import print_invoice


def register_invoice_print(invoice_actions: common.Subparsers) -> None:
    """`frontdesk invoice print`, registered beside the other invoice actions."""
    command = invoice_actions.add_parser(
        "print",
        help="print a saved invoice on the receipt printer or a printer of this computer",
        description="Print a saved invoice: the receipt on the receipt printer of "
        "`frontdesk printer show`, or on a printer named with --printer.",
    )
    command.add_argument("number")
    layout = command.add_mutually_exclusive_group()
    layout.add_argument(
        "--receipt", dest="layout", action="store_const", const="receipt", help="(the default)"
    )
    layout.add_argument("--a4", dest="layout", action="store_const", const="a4")
    where = command.add_mutually_exclusive_group()
    where.add_argument("--printer", metavar="NAME", help="a printer of this computer, by name")
    where.add_argument("--escpos", action="store_true", help="the ESC/POS receipt printer")
    command.add_argument(
        "--open-drawer",
        action="store_true",
        help="open the cash drawer if the invoice was paid in cash (ESC/POS)",
    )
    command.set_defaults(handler=cmd_invoice_print, layout="receipt")


def register(commands: common.Subparsers) -> None:
    actions = common.add_group(
        commands,
        "printer",
        help="show, choose or test the receipt printer",
        description="The receipt printer.",
    )
    show = actions.add_parser("show", help="the receipt printer in use")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    change = actions.add_parser(
        "set",
        help="choose the receipt printer (manager)",
        description="Choose the receipt printer (manager); what is not given stays as it is.",
    )
    target = change.add_mutually_exclusive_group()
    target.add_argument(
        "--system",
        nargs="?",
        const="",
        metavar="NAME",
        help="a printer of this computer (without NAME: its default printer)",
    )
    target.add_argument("--escpos", choices=ESCPOS_KINDS, help="an ESC/POS printer and its port")
    change.add_argument(
        "--address", help="the ESC/POS printer's address: 192.168.1.50[:9100], 04b8:0202, /dev/..."
    )
    change.add_argument("--columns", type=int, choices=RECEIPT_WIDTHS, help="characters a line")
    drawer = change.add_mutually_exclusive_group()
    drawer.add_argument("--drawer", dest="drawer", action="store_const", const=True)
    drawer.add_argument("--no-drawer", dest="drawer", action="store_const", const=False)
    change.add_argument("--json", action="store_true")
    change.set_defaults(handler=cmd_set, field_option=_field_option)
    test = actions.add_parser("test", help="print a test page on the ESC/POS receipt printer")
    test.set_defaults(handler=cmd_test)


def _field_option(field: str) -> str:
    return {
        "escpos_address": "--address",
        "escpos_kind": "--escpos",
        "columns": "--columns",
    }.get(field, "--system or --escpos")


def settings_json(settings: PrinterSettings) -> dict[str, Any]:
    return printer_service.settings_to_json(settings)


def _say(settings: PrinterSettings) -> None:
    if settings.uses_escpos:
        print(f"Receipts print on {describe(settings)} (ESC/POS).")
    elif settings.target == "escpos":
        print("Receipts print on an ESC/POS printer that is not connected yet.")
    else:
        print(f"Receipts print on {settings.system_printer or 'the default printer'}.")
    print(f"Paper: {settings.paper_mm} mm, {settings.columns} characters a line.")
    drawer = "opens" if settings.open_drawer_on_cash else "stays shut"
    print(f"The cash drawer {drawer} on a cash payment.")


def cmd_invoice_print(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        document = invoicing.invoice_by_number(db, args.number)
        settings = printer_service.printer_settings(db)
    print(
        print_invoice(
            document,
            settings,
            layout=args.layout,
            printer=args.printer,
            escpos=args.escpos,
            open_drawer=args.open_drawer,
        )
    )


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        settings = printer_service.printer_settings(db)
    if args.json:
        common.print_json(settings_json(settings))
    else:
        _say(settings)


def cmd_set(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        settings = printer_service.printer_settings(db)
        if args.system is not None:
            settings = replace(settings, target="system", system_printer=args.system)
        if args.escpos is not None:
            settings = replace(settings, target="escpos", escpos_kind=args.escpos)
        if args.address is not None:
            settings = replace(settings, escpos_address=args.address)
        if args.columns is not None:
            settings = replace(settings, columns=args.columns)
        if args.drawer is not None:
            settings = replace(settings, open_drawer_on_cash=args.drawer)
        saved = printer_service.save_printer_settings(db, user, settings, now=common.now())
    if args.json:
        common.print_json(settings_json(saved))
    else:
        _say(saved)


def cmd_test(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        settings = printer_service.printer_settings(db)
    if not settings.uses_escpos:
        print("The receipt printer is a printer of this computer: print its test page there.")
        return
    print(print_test_page_escpos(settings))
