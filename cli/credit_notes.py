"""`frontdesk invoice refund|credit-notes`: refund lines of an invoice by a credit note, and
list an invoice's credit notes (registered by cli.invoice in its group)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli import common
from cli import payments as payment_options
from domain.errors import BadInput
from domain.payments import Method
from services import credit_notes, documents
from services.credit_note_pdf import render_credit_note_pdf
from services.credit_notes import CreditNoteDocument
from services.documents import rupees

_METHODS = {m.value: m for m in (Method.CASH, Method.UPI, Method.CARD, Method.WALLET)}


def register_invoice_refunds(sub: common.Subparsers) -> None:
    """Add `refund` and `credit-notes` to the `invoice` group."""
    refund = sub.add_parser(
        "refund",
        help="refund lines or units of an invoice by a credit note (manager, or --approver)",
        description=common.described(
            "Refund some lines or units of an invoice by a credit note: paid back by a method "
            "or kept as the patient's advance"
        ),
    )
    refund.add_argument("number", help="the invoice number")
    refund.add_argument(
        "--line", action="append", type=int, required=True, help="an invoice line number; repeat"
    )
    refund.add_argument(
        "--qty",
        action="append",
        type=int,
        default=[],
        help="units of the --line before it (default 1); one per --line when given",
    )
    refund.add_argument("--reason", required=True, help="why it is refunded")
    how = refund.add_mutually_exclusive_group(required=True)
    how.add_argument("--pay-back", choices=sorted(_METHODS), help="pay the money back by this")
    how.add_argument("--keep-advance", action="store_true", help="keep it on the patient's account")
    refund.add_argument("--reference", default="", help="the refund's UPI/card reference")
    payment_options.add_approver_option(refund)
    refund.add_argument("--pdf", type=Path, help="also write the credit note's PDF here")
    refund.add_argument("--at", help=common.WRITE_AT_HELP)
    refund.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    refund.set_defaults(handler=cmd_refund)
    listing = sub.add_parser(
        "credit-notes",
        help="an invoice's credit notes",
        description="List the credit notes of an invoice.",
    )
    listing.add_argument("number", help="the invoice number")
    listing.add_argument("--pdf-dir", type=Path, help="also write each one's PDF in this folder")
    listing.add_argument("--json", action="store_true", help="as JSON (amounts in rupees)")
    listing.set_defaults(handler=cmd_credit_notes)


def refund_lines(lines: list[int], quantities: list[int]) -> list[tuple[int, int]]:
    """--line/--qty pairs: the quantities one per line, or none (1 each)."""
    if quantities and len(quantities) != len(lines):
        raise BadInput("Give one --qty per --line, or none for 1 unit of each")
    return list(zip(lines, quantities or [1] * len(lines), strict=True))


def cmd_refund(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        approver = payment_options.approver(db, args, "Approving a refund")
        note = credit_notes.issue_credit_note(
            db,
            user,
            args.number,
            refund_lines(args.line, args.qty),
            reason=args.reason,
            refund_method=None if args.keep_advance else _METHODS[args.pay_back],
            reference=args.reference,
            approver=approver,
            **common.dated(db, user, args.at),
        )
    if args.pdf:
        render_credit_note_pdf(note, args.pdf)
    if args.json:
        common.print_json(documents.credit_note_json(note))
        return
    _print_note(note)
    if args.pdf:
        print(f"Wrote {args.pdf}")


def _print_note(note: CreditNoteDocument) -> None:
    print(
        f"Credit note {note.number} of {note.note_date.isoformat()} against "
        f"{note.invoice_number} ({note.patient_name}): Rs.{rupees(note.total_amount)}"
    )
    for line in note.lines:
        print(
            f"  {line.quantity} x {line.item_name} (line {line.invoice_line_no})  "
            f"Rs.{rupees(line.line_total)}"
        )
    if note.promotions_reversed:
        codes = ", ".join(p.campaign_code for p in note.promotions_reversed)
        print(f"  Promotions reversed: {codes} (Rs.{rupees(note.discount_given_back)} given back)")
    if note.reduced_due:
        print(f"  Taken off the due: Rs.{rupees(note.reduced_due)}")
    if note.refunded:
        print(f"  Paid back by {note.refund_method}: Rs.{rupees(note.refunded)}")
    if note.to_advance:
        print(f"  Kept as an advance: Rs.{rupees(note.to_advance)}")
    print(f"  Reason: {note.reason}")


def cmd_credit_notes(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        notes = credit_notes.credit_notes_of(db, args.number)
    if args.pdf_dir:
        args.pdf_dir.mkdir(parents=True, exist_ok=True)
        for note in notes:
            render_credit_note_pdf(note, args.pdf_dir / f"{note.number.replace('/', '-')}.pdf")
    if args.json:
        common.print_json([documents.credit_note_json(note) for note in notes])
        return
    common.print_rows(
        [
            {
                "number": note.number,
                "date": note.note_date.isoformat(),
                "value": rupees(note.total_amount),
                "due_reduced": rupees(note.reduced_due),
                "paid_back": rupees(note.refunded),
                "method": note.refund_method or "",
                "to_advance": rupees(note.to_advance),
                "reason": note.reason,
            }
            for note in notes
        ],
        as_json=False,
        empty=f"Invoice {args.number} has no credit note.",
    )
