"""`frontdesk payment ...`: a patient's account, settling dues, advances, the branch's
payment methods and credit limits; and the `--pay` option the invoice commands share."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import replace
from typing import Any

from cli import common
from domain.errors import BadInput
from domain.money import rupees_to_paise
from domain.payments import Method, TenderLine
from services import auth, patients, payments, setup
from services.documents import optional_rupees, rupees
from services.payment_settings import payment_settings, save_payment_settings

PAY_HELP = (
    "METHOD:AMOUNT[:REFERENCE], METHOD one of cash, upi, card, wallet, account (on account) "
    "or advance; amount in rupees; repeat for a mix (cash:2500 upi:2000:UTR123)"
)
_METHOD_NAMES = {
    "cash": Method.CASH,
    "upi": Method.UPI,
    "card": Method.CARD,
    "wallet": Method.WALLET,
    "account": Method.ON_ACCOUNT,
    "on_account": Method.ON_ACCOUNT,
    "advance": Method.ADVANCE,
}


def tender_line(text: str) -> TenderLine:
    """'upi:2250:UTR123' -> a tender line (argparse type)."""
    method, _, rest = text.partition(":")
    amount, _, reference = rest.partition(":")
    found = _METHOD_NAMES.get(method.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(
            f"'{method}' is not a payment method; use {', '.join(sorted(_METHOD_NAMES))}"
        )
    try:
        paise = rupees_to_paise(amount.strip())
    except (ValueError, ArithmeticError) as exc:
        raise argparse.ArgumentTypeError(f"'{amount}' is not an amount in rupees") from exc
    return TenderLine(found, paise, reference.strip())


def add_pay_option(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--pay",
        action="append",
        type=tender_line,
        default=[],
        required=required,
        metavar="METHOD:AMOUNT[:REF]",
        help=PAY_HELP,
    )


def add_approver_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--approver",
        metavar="MANAGER",
        help="a manager who allows what you may not (their PIN from $FRONTDESK_APPROVER_PIN "
        "or a prompt)",
    )


def approver(db: setup.Database, args: argparse.Namespace, what: str) -> auth.CurrentUser | None:
    if not getattr(args, "approver", None):
        return None
    pin = os.environ.get("FRONTDESK_APPROVER_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise BadInput("Set FRONTDESK_APPROVER_PIN or run from a terminal for the PIN.")
        pin = getpass.getpass(f"PIN for {args.approver}: ")
    return auth.manager_approval(db, args.approver, pin, what)


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "payment",
        help="patients' accounts, dues and advances; payment methods",
        description="Money on patients' accounts, and how the branch takes it.",
    )
    account = sub.add_parser("account", help="a patient's dues, advance and balance")
    account.add_argument("patient", metavar="MOBILE_OR_ID")
    account.add_argument("--json", action="store_true")
    account.set_defaults(handler=cmd_account)
    for name, text in (
        ("settle", "take a payment against a patient's dues, oldest first (the rest an advance)"),
        ("advance", "take money before a treatment, kept for a later invoice"),
    ):
        command = sub.add_parser(name, help=text, description=common.described(text))
        command.add_argument("patient", metavar="MOBILE_OR_ID")
        add_pay_option(command, required=True)
        command.add_argument("--json", action="store_true")
        command.set_defaults(handler=cmd_settle if name == "settle" else cmd_advance)
    listing = sub.add_parser("list", help="a patient's payments, newest first, with their ids")
    listing.add_argument("patient", metavar="MOBILE_OR_ID")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    text = (
        "reverse a payment taken by mistake (manager, or --approver): a new row of the "
        "opposite amount; what it paid on invoices is owed again"
    )
    reverse = sub.add_parser("reverse", help=text, description=common.described(text))
    reverse.add_argument("payment", metavar="PAYMENT_ID", help="as `payment list` prints it")
    reverse.add_argument("--reason", required=True, help="why it is reversed (kept in the audit)")
    add_approver_option(reverse)
    reverse.add_argument("--json", action="store_true")
    reverse.set_defaults(handler=cmd_reverse)
    methods = sub.add_parser("methods", help="the branch's payment methods and credit limit")
    methods.add_argument("--json", action="store_true")
    methods.set_defaults(handler=cmd_methods)
    method = sub.add_parser("set-method", help="rename, switch on/off, ask a reference (manager)")
    method.add_argument(
        "method", choices=[m.value for m in payments.MONEY_METHODS] + ["on_account"]
    )
    method.add_argument("--label", help="the name shown at the tender and on documents")
    method.add_argument("--on", dest="enabled", action="store_true", default=None)
    method.add_argument("--off", dest="enabled", action="store_false")
    method.add_argument("--reference", choices=["yes", "no"], help="a reference is required")
    method.set_defaults(handler=cmd_set_method)
    limit = sub.add_parser(
        "credit-limit",
        help="how much a patient may owe (manager): the branch's default, or one patient's",
    )
    limit.add_argument("amount", help="rupees, or 'none' for no limit (a patient: the default)")
    limit.add_argument("--patient", metavar="MOBILE_OR_ID")
    limit.set_defaults(handler=cmd_credit_limit)


def account_json(account: payments.Account) -> dict[str, Any]:
    return {
        "patient_id": str(account.patient_id),
        "patient": account.patient_name,
        "invoiced": rupees(account.invoiced),
        "credited": rupees(account.credited),
        "paid": rupees(account.paid),
        "balance": rupees(account.balance),
        "owed": rupees(account.owed),
        "advance": rupees(account.advance),
        "credit_limit": optional_rupees(account.credit_limit),
        "dues": [
            {
                "invoice_number": due.invoice_number,
                "date": due.invoice_date.isoformat(),
                "payable": rupees(due.total_amount),
                "owed": rupees(due.owed),
            }
            for due in account.dues
        ],
    }


def _print_account(account: payments.Account) -> None:
    data = account_json(account)
    limit = data["credit_limit"]
    print(
        f"{account.patient_name}: owes Rs.{data['owed']}, advance Rs.{data['advance']}"
        f" (balance Rs.{data['balance']}; credit limit {'Rs.' + limit if limit else 'none'})"
    )
    for due in data["dues"]:
        print(
            f"  {due['invoice_number']}  {due['date']}  Rs.{due['payable']}  owes Rs.{due['owed']}"
        )


def cmd_account(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        match = patients.resolve_patient(db, args.patient)
        account = payments.patient_account(db, match.id)
    if args.json:
        common.print_json(account_json(account))
    else:
        _print_account(account)


def _print_receipt(receipt: payments.Receipt, args: argparse.Namespace) -> None:
    if args.json:
        common.print_json(
            {
                "to_invoices": {n: rupees(a) for n, a in receipt.to_invoices},
                "to_advance": rupees(receipt.to_advance),
                "account": account_json(receipt.account),
            }
        )
        return
    for number, amount in receipt.to_invoices:
        print(f"  Rs.{rupees(amount)} to {number}")
    if receipt.to_advance:
        print(f"  Rs.{rupees(receipt.to_advance)} kept as an advance")
    _print_account(receipt.account)


def cmd_settle(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        match = patients.resolve_patient(db, args.patient)
        receipt = payments.settle_dues(db, user, match.id, args.pay, now=common.now())
    _print_receipt(receipt, args)


def cmd_advance(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        match = patients.resolve_patient(db, args.patient)
        receipt = payments.take_advance(db, user, match.id, args.pay, now=common.now())
    _print_receipt(receipt, args)


def entry_json(entry: payments.PaymentEntry) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "method": entry.method,
        "label": entry.label,
        "amount": rupees(entry.amount),
        "reference": entry.reference,
        "invoice_number": entry.invoice_number,
        "reverses_id": None if entry.reverses_id is None else str(entry.reverses_id),
        "reversed": entry.reversed,
        "notes": entry.notes,
    }


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        match = patients.resolve_patient(db, args.patient)
        entries = payments.patient_payments(db, match.id)
        zone = common.zone(db)
    if args.json:
        common.print_json({"patient": match.name, "payments": [entry_json(e) for e in entries]})
        return
    if not entries:
        print(f"{match.name} has no payments.")
        return
    common.print_table(
        [
            {
                "payment": entry.id.hex[:8],
                "when": f"{entry.at.astimezone(zone):%Y-%m-%d %H:%M}",
                "kind": entry.kind,
                "method": entry.label + (f" ref {entry.reference}" if entry.reference else ""),
                "amount": rupees(entry.amount),
                "invoice": entry.invoice_number or "",
                "note": "reversed" if entry.reversed else entry.notes,
            }
            for entry in entries
        ]
    )


def cmd_reverse(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        payment_id = payments.find_payment(db, args.payment)
        allowed_by = approver(db, args, "Reversing a payment")
        reversal = payments.reverse_payment(
            db, user, payment_id, args.reason, now=common.now(), approver=allowed_by
        )
    if args.json:
        common.print_json(
            {
                "reversal_id": str(reversal.reversal_id),
                "amount": rupees(reversal.amount),
                "method": reversal.method,
                "owed_again": {n: rupees(a) for n, a in reversal.reopened},
                "account": account_json(reversal.account),
            }
        )
        return
    print(f"Reversed Rs.{rupees(reversal.amount)} ({reversal.method}).")
    for number, amount in reversal.reopened:
        print(f"  {number} owes Rs.{rupees(amount)} again")
    _print_account(reversal.account)


def cmd_methods(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        settings = payment_settings(db)
    rows = [
        {
            "key": str(s.method.value),
            "label": s.label,
            "offered": s.enabled,
            "needs_reference": s.needs_reference,
        }
        for s in settings.methods
    ]
    if args.json:
        common.print_json(
            {
                "methods": rows,
                "default_credit_limit": optional_rupees(settings.default_credit_limit),
            }
        )
        return
    common.print_table(rows)
    limit = settings.default_credit_limit
    print(f"Default credit limit: {'none' if limit is None else 'Rs.' + rupees(limit)}")


def cmd_set_method(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        settings = payment_settings(db)
        method = Method(args.method)
        changed = []
        for s in settings.methods:
            if s.method is method:
                s = replace(
                    s,
                    label=args.label if args.label is not None else s.label,
                    enabled=s.enabled if args.enabled is None else args.enabled,
                    needs_reference=s.needs_reference
                    if args.reference is None
                    else args.reference == "yes",
                )
            changed.append(s)
        save_payment_settings(db, user, replace(settings, methods=tuple(changed)), now=common.now())
    print(f"Saved {method.label}.")


def _limit(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return rupees_to_paise(text)
    except (ValueError, ArithmeticError) as exc:
        raise BadInput(f"'{text}' is not an amount in rupees (or 'none').") from exc


def cmd_credit_limit(args: argparse.Namespace) -> None:
    limit = _limit(args.amount)
    with common.signed_in(args) as (db, user):
        if args.patient:
            match = patients.resolve_patient(db, args.patient)
            account = payments.set_credit_limit(db, user, match.id, limit, now=common.now())
            _print_account(account)
            return
        settings = payment_settings(db)
        save_payment_settings(
            db, user, replace(settings, default_credit_limit=limit), now=common.now()
        )
    print("Default credit limit: " + ("none" if limit is None else f"Rs.{rupees(limit)}"))
