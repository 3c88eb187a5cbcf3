"""`frontdesk sponsor ...`: sponsors, their campaigns billed per impression, sponsor
invoices and payments (issue #17; manager)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from cli import common
from domain.errors import BadInput
from domain.money import rupees_to_paise
from domain.promotion_spec import SpecError
from domain.sponsor_billing import Period, SponsorBillingError
from domain.sponsor_spec import SponsorSpec, read_campaign_json
from services import sponsors
from services.documents import rupees
from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf

_SPONSOR_OPTION = {
    "legal_name": "--name",
    "state_code": "--state",
    "gstin": "--gstin",
}


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "sponsor",
        help="sponsored campaigns billed per impression (manager)",
        description="Sponsors, their campaigns, billing cycles, invoices and payments.",
    )
    add = sub.add_parser("add", help="add a sponsor", description="Add a sponsor.")
    add.add_argument("--name", required=True, help="the sponsor's legal name")
    add.add_argument("--state", default="", help="GST state code (from the GSTIN if given)")
    add.add_argument("--gstin", default="")
    add.add_argument("--contact", default="", help="the contact person")
    add.add_argument("--email", default="")
    add.add_argument("--phone", default="")
    add.add_argument("--address", default="", help="the billing address")
    add.add_argument("--at", help=common.WRITE_AT_HELP)
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add, field_option=lambda field: _SPONSOR_OPTION.get(field, field))

    listing = sub.add_parser("list", help="the sponsors", description="List the sponsors.")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)

    campaign = sub.add_parser(
        "campaign", help="sponsored campaigns", description="Sponsored campaigns."
    ).add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    campaign_add = campaign.add_parser(
        "add",
        help="add a campaign from a JSON spec",
        description="Add a sponsored campaign from a JSON spec (the README shows one); "
        "with a deposit, its deposit invoice is issued at once.",
    )
    campaign_add.add_argument("--json-file", type=Path, required=True, metavar="SPEC.json")
    campaign_add.add_argument("--at", help=common.WRITE_AT_HELP)
    campaign_add.set_defaults(handler=cmd_campaign_add, field_option=lambda f: f"field {f}")
    for action, stopped, help_text in (
        ("stop", True, "stop a campaign: no more badges shown or charged"),
        ("resume", False, "resume a stopped campaign"),
    ):
        toggle = campaign.add_parser(
            action, help=help_text, description=common.described(help_text)
        )
        toggle.add_argument("code", metavar="CODE")
        toggle.set_defaults(handler=cmd_campaign_stop, stopped=stopped)

    bill = sub.add_parser(
        "bill",
        help="run a billing cycle",
        description="Bill the charged impressions of a period (it may end today); the "
        "same period billed again issues nothing new. With --central URL (the head office), "
        "every branch's impressions are billed once, at the centre, and each branch's "
        "overrun past the campaign's limit is reported, never billed.",
    )
    bill.add_argument("--period", required=True, metavar="START:END", help="2026-11-01:2026-11-07")
    bill.add_argument("--campaign", metavar="CODE", help="only this campaign (default: all)")
    bill.add_argument("--final", action="store_true", help="the final settlement")
    bill.add_argument("--at", help=common.WRITE_AT_HELP)
    bill.add_argument("--json", action="store_true")
    bill.set_defaults(handler=cmd_bill)

    pay = sub.add_parser("pay", help="record a sponsor's payment", description="Record one.")
    pay.add_argument("invoice", metavar="INVOICE")
    pay.add_argument("--amount", required=True, help="rupees")
    pay.add_argument("--method", required=True, choices=sponsors.METHODS)
    pay.add_argument("--ref", default="", help="the transaction id (UTR, cheque number)")
    pay.add_argument("--at", help=common.WRITE_AT_HELP)
    pay.add_argument("--json", action="store_true")
    pay.set_defaults(handler=cmd_pay)

    status = sub.add_parser(
        "status",
        help="a campaign's delivery, pacing, invoices and payment status",
        description="A campaign's delivery, pacing, invoices and payment status.",
    )
    status.add_argument("campaign", metavar="CAMPAIGN")
    status.add_argument("--at", help=common.AT_HELP)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=cmd_status)

    pdf = sub.add_parser(
        "invoice-pdf", help="a sponsor invoice as a PDF", description="Write its PDF."
    )
    pdf.add_argument("number", metavar="NUMBER")
    pdf.add_argument("path", type=Path, metavar="PATH")
    pdf.set_defaults(handler=cmd_invoice_pdf)


def _period(text: str) -> Period:
    start, sep, end = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return Period(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
    except ValueError:
        raise BadInput(f"--period {text} is not START:END, like 2026-11-01:2026-11-07") from None


def cmd_add(args: argparse.Namespace) -> None:
    spec = SponsorSpec(
        legal_name=args.name,
        state_code=args.state,
        gstin=args.gstin,
        contact_name=args.contact,
        contact_email=args.email,
        contact_phone=args.phone,
        billing_address=args.address,
    )
    with common.signed_in(args) as (db, user):
        row = sponsors.add_sponsor(db, user, spec, **common.dated(db, user, args.at))
    if args.json:
        common.print_json(sponsor_json(row))
    else:
        print(f"Added sponsor {row.legal_name} (state {row.state_code}).")


def sponsor_json(row: sponsors.SponsorRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "legal_name": row.legal_name,
        "gstin": row.gstin,
        "state_code": row.state_code,
        "contact_name": row.contact_name,
        "contact_email": row.contact_email,
        "contact_phone": row.contact_phone,
        "billing_address": row.billing_address,
        "campaigns": row.campaigns,
    }


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = [sponsor_json(r) for r in sponsors.list_sponsors(db, user)]
    common.print_rows(rows, as_json=args.json, empty="No sponsors yet.")


def cmd_campaign_add(args: argparse.Namespace) -> None:
    try:
        text = args.json_file.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise BadInput(f"Cannot read {args.json_file}: {exc}") from exc
    with common.signed_in(args) as (db, user):
        try:
            data = read_campaign_json(text)
            code = sponsors.add_sponsored_campaign(
                db, user, data, **common.dated(db, user, args.at)
            )
        except SpecError as exc:
            raise SpecError(exc.field, f"{args.json_file}: {exc}") from exc
    print(f"Added sponsored campaign {code}.")


def cmd_campaign_stop(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        sponsors.stop_campaign(db, user, args.code, stopped=args.stopped, now=common.now())
    code = args.code.strip().upper()
    print(f"Stopped campaign {code}." if args.stopped else f"Resumed campaign {code}.")


def cmd_bill(args: argparse.Namespace) -> None:
    period = _period(args.period)
    with common.signed_in(args) as (db, user):
        clock = common.dated(db, user, args.at)
        if args.campaign:
            results = {
                args.campaign.upper(): sponsors.bill_sponsor_period(
                    db, user, args.campaign, period, final=args.final, **clock
                )
            }
        else:
            results = sponsors.bill_every_campaign(db, user, period, final=args.final, **clock)
    rows = [
        {
            "campaign_code": code,
            "invoice_number": r.invoice_number,
            "already_billed": r.already_billed,
            "impressions_billed": r.impressions_billed,
            "over_delivered": r.over_delivered,
            **_chain(r, as_json=args.json),
        }
        for code, r in results.items()
    ]
    common.print_rows(rows, as_json=args.json, empty="No sponsored campaign runs in this period.")


def _chain(result: sponsors.BillingResult, *, as_json: bool) -> dict[str, Any]:
    """At the centre (--central): the chain's charged impressions and each branch's overrun
    past the limit, never billed (rule 11)."""
    if result.charged_in_chain is None:
        return {}
    overrun = result.overrun_by_branch
    return {
        "charged_in_chain": result.charged_in_chain,
        "overrun_by_branch": overrun
        if as_json
        else ", ".join(f"{code} {n}" for code, n in overrun.items()) or "none",
    }


def cmd_pay(args: argparse.Namespace) -> None:
    try:
        amount = rupees_to_paise(args.amount)
    except BadInput as exc:
        raise BadInput(f"{exc} (--amount)") from None
    with common.signed_in(args) as (db, user):
        done = sponsors.record_sponsor_payment(
            db,
            user,
            args.invoice,
            amount,
            method=args.method,
            reference=args.ref,
            **common.dated(db, user, args.at),
        )
    if args.json:
        common.print_json(
            {
                "payment_id": str(done.payment_id),
                "invoice_number": done.invoice_number,
                "outstanding": rupees(done.outstanding),
                "status": done.status,
            }
        )
    else:
        print(
            f"Recorded. {done.invoice_number} still owes {rupees(done.outstanding)} "
            f"({done.status.replace('_', ' ')})."
        )


def invoice_json(row: sponsors.InvoiceRow) -> dict[str, Any]:
    """A sponsor invoice with the clicks and conversions of its period (counted now)."""
    return {
        "invoice_number": row.invoice_number,
        "invoice_type": row.invoice_type,
        "billing_cycle_number": row.billing_cycle_number,
        "billing_period_start": row.period_start and row.period_start.isoformat(),
        "billing_period_end": row.period_end and row.period_end.isoformat(),
        "invoice_date": row.invoice_date.isoformat(),
        "due_date": row.due_date.isoformat(),
        "impressions_delivered": row.impressions,
        "clicks_in_period": row.clicks,
        "conversions_in_period": row.conversions,
        "cpi_rate": rupees(row.rate),
        "amount": rupees(row.amount),
        "deposit_amount": rupees(row.deposit_amount),
        "discount_amount": rupees(row.discount),
        "taxable_amount": rupees(row.taxable),
        "cgst_amount": rupees(row.cgst),
        "sgst_amount": rupees(row.sgst),
        "igst_amount": rupees(row.igst),
        "tax_amount": rupees(row.tax),
        "total_amount": rupees(row.total),
        "refund_amount": rupees(row.refund),
        "outstanding_amount": rupees(row.outstanding),
        "status": row.status,
        "place_of_supply": row.place_of_supply,
    }


def status_json(s: sponsors.CampaignStatus) -> dict[str, Any]:
    """Seed 002's campaign_with_payment_summary, with delivery and pacing."""
    return {
        "campaign_code": s.campaign_code,
        "campaign_name": s.campaign_name,
        "sponsor": s.sponsor,
        "promotions": list(s.promotions),
        "billing_frequency": s.billing_frequency.value,
        "start_date": s.start_date.isoformat(),
        "end_date": s.end_date.isoformat(),
        "cost_per_impression": rupees(s.cost_per_impression),
        "campaign_budget": rupees(s.campaign_budget),
        "budget_left": rupees(s.budget_left),
        "booked_impressions": s.booked_impressions,
        "impression_limit": s.limit,
        "shown_today": s.shown_today,
        "charged_today": s.charged_today,
        "charged_impressions": s.charged,
        "charged_in_chain": s.charged_in_chain,
        "clicks": s.clicks,
        "conversions": s.conversions,
        "pacing": s.pacing.value,
        "planned_by_today": s.planned,
        "badge_open": s.open,
        "total_invoices": s.total_invoices,
        "total_impressions_billed": s.impressions_billed,
        "total_invoiced": rupees(s.invoiced),
        "total_paid": rupees(s.paid),
        "total_outstanding": rupees(s.outstanding),
        "total_refunds": rupees(s.refunds),
        "payment_status": s.payment_status.value,
        "invoices": [invoice_json(i) for i in s.invoices],
    }


def cmd_status(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        s = sponsors.campaign_status(db, user, args.campaign, now=common.instant(db, args.at))
    if args.json:
        common.print_json(status_json(s))
        return
    print(f"{s.campaign_code}  {s.campaign_name}  ({s.sponsor})")
    print(
        f"Delivered {s.charged:,} of {s.limit:,} ({s.pacing.label}; plan {s.planned:,}); "
        f"today {s.charged_today:,}; budget left {rupees(s.budget_left)}"
    )
    if s.charged_in_chain != s.charged:
        print(f"Charged across the chain: {s.charged_in_chain:,} (as of the last sync)")
    print(
        f"Invoiced {rupees(s.invoiced)}, paid {rupees(s.paid)}, outstanding "
        f"{rupees(s.outstanding)}: {s.payment_status.value}"
    )
    for i in s.invoices:
        print(f"  {i.invoice_number}  {i.invoice_type:<16} {rupees(i.total):>12}  {i.status}")


def cmd_invoice_pdf(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        document = sponsors.sponsor_invoice_document(db, user, args.number)
    try:
        render_sponsor_invoice_pdf(document, args.path)
    except OSError as exc:
        raise SponsorBillingError(f"Cannot write {args.path}: {exc.strerror}") from exc
    print(f"Wrote {args.path}.")
