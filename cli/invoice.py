"""`frontdesk invoice quote|create|pay|list|show|pdf|print|cancel`: price, save with
payments, take a payment, find, show, print and cancel."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from cli import common, printing
from cli import credit_notes as credit_note_commands
from cli import payments as payment_options
from domain.bounds import MAX_QUANTITY
from domain.errors import BadInput, Refused
from domain.money import format_rupees
from services import catalog, documents, invoice_search, invoicing, patients, payments, setup
from services.documents import rupees
from services.invoice_document import InvoiceDocument
from services.invoice_pdf import render_invoice_pdf

# A whole code or barcode, or one followed by xQTY (BOTOX50x2).
_ITEM = re.compile(r"^(?P<code>.+?)(?:[xX](?P<qty>\d+))?$")


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "invoice",
        help="price, save, show, print and cancel invoices",
        description="Invoices.",
    )
    for name, text in [
        ("create", "save an invoice and print it"),
        ("quote", "price a cart without saving; list promotions that did not apply"),
    ]:
        cart = sub.add_parser(name, help=text, description=common.described(text))
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
            help=common.AT_HELP
            if name == "quote"
            else "backdate the invoice (admin; not before the series' last invoice nor in a"
            " closed fiscal year); " + common.AT_HELP,
        )
        cart.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
        if name == "create":
            cart.add_argument("--pdf", type=Path, help="also write the A4 PDF here")
            payment_options.add_pay_option(cart, required=False)
            payment_options.add_approver_option(cart)
        cart.set_defaults(handler=cmd_create if name == "create" else cmd_quote)
    listing = sub.add_parser(
        "list",
        help="find invoices by number, patient name or mobile, date and status",
        description="Find invoices, newest first.",
    )
    listing.add_argument("--search", default="", help="part of a number, a name, or a mobile")
    listing.add_argument("--from", dest="start", type=common.iso_date, help="first day")
    listing.add_argument("--to", dest="end", type=common.iso_date, help="last day")
    listing.add_argument("--status", choices=invoice_search.STATUSES)
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    listing.set_defaults(handler=cmd_list)
    pay = sub.add_parser(
        "pay",
        help="take a payment on an invoice (more than it owes becomes an advance)",
        description="Take a payment on a saved invoice.",
    )
    pay.add_argument("number")
    payment_options.add_pay_option(pay, required=True)
    pay.add_argument("--json", action="store_true")
    pay.set_defaults(handler=cmd_pay)
    show = sub.add_parser("show", help="print a saved invoice", description="Show an invoice.")
    show.add_argument("number")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    pdf = sub.add_parser("pdf", help="write a saved invoice's PDF", description="Write a PDF.")
    pdf.add_argument("number")
    pdf.add_argument("path", type=Path)
    pdf.add_argument("--receipt", action="store_true", help="the 80 mm receipt instead of A4")
    pdf.set_defaults(handler=cmd_pdf)
    printing.register_invoice_print(sub)
    cancel = sub.add_parser(
        "cancel", help="cancel an invoice (manager)", description="Cancel an invoice."
    )
    cancel.add_argument("number")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--json", action="store_true")
    cancel.set_defaults(handler=cmd_cancel)
    credit_note_commands.register_invoice_refunds(sub)


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
            raise Refused(f"There is no item with the code or barcode '{text}'.")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise BadInput(f"'{text}': the quantity is a whole number from 1 to {MAX_QUANTITY}.")
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
        return
    paid = ", ".join(f"{p.label} {format_rupees(p.amount)}" for p in document.payments)
    change = f"; change {format_rupees(document.change_given)}" if document.change_given else ""
    status = document.paid_status.replace("_", " ").upper()
    print(
        f"  {status}: paid {format_rupees(document.amount_paid)}"
        + (f" ({paid})" if paid else "")
        + change
    )
    if document.amount_due:
        print(f"  Due {format_rupees(document.amount_due)}")


def _print_document(document: InvoiceDocument, args: argparse.Namespace) -> None:
    if args.json:
        common.print_json(documents.invoice_json(document))
    else:
        _print_invoice(document)


def cmd_quote(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        cart, now = _cart(db, args), common.instant(db, args.at)
        quote = invoicing.quote(db, user, cart, now=now, explain_all=True)
        data = documents.quote_json(quote)
        if args.json:
            common.print_json(data)
            return
        for line in data["lines"]:
            badge = f"  [{line['badge_text']}]" if line["badge_text"] else ""
            print(f"  {line['quantity']} x {line['item_name']:<36} {line['line_total']:>10}{badge}")
        print(f"  Payable Rs.{data['totals']['payable']}")
        for item in data["codes"] + data["not_applied"]:
            print(f"  - {item['message']}")
        for miss in data["near_misses"]:
            print(f"  Hint: {miss['message']}")


def cmd_create(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        cart = _cart(db, args)
        # Dated by the clock at saving; --at backdates (an admin only: services.invoicing).
        at = None if args.at is None else common.instant(db, args.at)
        try:
            document = invoicing.save_invoice(
                db,
                user,
                cart,
                now=common.now(),
                at=at,
                payments=args.pay,
                approver=payment_options.approver(db, args, "Approving this invoice"),
            )
        except invoicing.CodeRefused as exc:
            raise Refused(f"{exc} Nothing was saved.") from exc
        if args.pdf:
            render_invoice_pdf(document, args.pdf)
        _print_document(document, args)


def cmd_pay(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        receipt = payments.take_payment(db, user, args.number, args.pay, now=common.now())
        document = invoicing.invoice_by_number(db, args.number)
    if args.json:
        common.print_json(
            {
                "invoice": documents.invoice_json(document),
                "to_advance": rupees(receipt.to_advance),
                "account": payment_options.account_json(receipt.account),
            }
        )
        return
    _print_invoice(document)
    if receipt.to_advance:
        print(f"  Rs.{rupees(receipt.to_advance)} kept as an advance")


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        _print_document(invoicing.invoice_by_number(db, args.number), args)


def cmd_pdf(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        document = invoicing.invoice_by_number(db, args.number)
        render_invoice_pdf(document, args.path, variant="receipt" if args.receipt else "a4")
        print(f"Wrote {args.path}")


def cmd_cancel(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        document = invoicing.cancel_invoice(
            db, user, args.number, reason=args.reason, now=common.now()
        )
        if args.json:
            common.print_json(documents.invoice_json(document))
        else:
            print(f"Cancelled {document.invoice_number}: {document.cancel_reason}")


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        rows = invoice_search.find_invoices(
            db, args.search, start=args.start, end=args.end, status=args.status, limit=args.limit
        )
    common.print_rows(
        [
            {
                "number": row.number,
                "date": row.invoice_date.isoformat(),
                "patient": row.patient_name,
                "mobile": row.patient_mobile,
                "payable": rupees(row.payable),
                "paid": rupees(row.paid),
                "owed": rupees(row.owed),
                # paid, partly_paid, due, cancelled or refunded (as the Invoices panel says)
                "status": row.paid_state,
            }
            for row in rows
        ],
        as_json=args.json,
        empty="No invoice matches.",
    )
