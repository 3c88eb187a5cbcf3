"""`frontdesk patient find|show|add|edit|merge`: the clinic's patients."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from datetime import date
from typing import Any

from cli import common
from domain.patients import NewPatient
from services import patients
from services.documents import rupees

_OPTION = {"birth_date": "birth-date"}


def _field_option(field: str) -> str:
    return f"--{_OPTION.get(field, field)}"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 1990-04-21") from None


def _details_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--name", required=adding)
    parser.add_argument("--mobile", required=adding, help="as people type it: +91 79929 05876")
    parser.add_argument("--email")
    parser.add_argument("--birth-date", type=_date)
    parser.add_argument("--gender")
    parser.add_argument("--gstin", help="a registered (B2B) patient's GSTIN")
    for channel in ("sms", "email", "whatsapp"):
        parser.add_argument(
            f"--consent-{channel}",
            choices=("yes", "no"),
            help=f"consent to be contacted by {channel}",
        )
    parser.add_argument(
        "--same-family",
        action="store_true",
        help="the mobile is already another patient's: share it (family)",
    )
    parser.add_argument("--json", action="store_true")


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands, "patient", help="the patients", description="Find, show, add, edit, merge."
    )
    find = sub.add_parser("find", help="patients by name or by mobile (however typed)")
    find.add_argument("text", metavar="TEXT")
    find.add_argument("--json", action="store_true")
    find.set_defaults(handler=cmd_find)
    show = sub.add_parser("show", help="a patient's page: details, invoices, promotions, callbacks")
    show.add_argument("patient", metavar="MOBILE_OR_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    add = sub.add_parser("add", help="register a patient")
    _details_options(add, adding=True)
    add.set_defaults(handler=cmd_add, field_option=_field_option)
    edit = sub.add_parser("edit", help="change a patient's details or consents")
    edit.add_argument("patient", metavar="MOBILE_OR_ID")
    _details_options(edit, adding=False)
    edit.set_defaults(handler=cmd_edit, field_option=_field_option)
    merge = sub.add_parser(
        "merge",
        help="two records of one person become one (manager)",
        description="Move the second patient's invoices, promotion uses and callbacks to the "
        "first, and retire the second.",
    )
    merge.add_argument("keep", metavar="KEEP_MOBILE_OR_ID")
    merge.add_argument("merge", metavar="MERGED_MOBILE_OR_ID")
    merge.set_defaults(handler=cmd_merge)


def _match_json(match: patients.PatientMatch) -> dict[str, Any]:
    return {
        "id": str(match.id),
        "name": match.name,
        "mobile": match.mobile,
        "visits": match.visits,
        "last_visit": None if match.last_visit is None else match.last_visit.isoformat(),
    }


def cmd_find(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        found = patients.find_patients(db, args.text, limit=20)
    common.print_rows(
        [_match_json(m) for m in found],
        as_json=args.json,
        empty=f"No patient matches '{args.text}'; add one with 'frontdesk patient add'.",
    )


def _page_json(page: patients.PatientPage) -> dict[str, Any]:
    details = asdict(page.details)
    details["birth_date"] = (
        None if page.details.birth_date is None else str(page.details.birth_date)
    )
    return {
        **_match_json(page.match),
        "details": details,
        "spent": rupees(page.spent),
        "invoices": [
            {
                "number": i.number,
                "date": i.invoice_date.isoformat(),
                "payable": rupees(i.payable),
                "status": i.status,
            }
            for i in page.invoices
        ],
        "promotions": [
            {
                "campaign_code": p.campaign_code,
                "used_at": p.used_at.isoformat(),
                "discount": rupees(p.discount),
                "invoice_number": p.invoice_number,
            }
            for p in page.promotions
        ],
        "callbacks": [
            {
                "requested_at": c.requested_at.isoformat(),
                "reason": c.reason,
                "status": c.status,
                "outcome": c.outcome,
            }
            for c in page.callbacks
        ],
    }


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        match = patients.resolve_patient(db, args.patient)
        page = patients.patient_page(db, match.id)
    data = _page_json(page)
    if args.json:
        common.print_json(data)
        return
    d = page.details
    consents = [
        c
        for c, ok in (
            ("SMS", d.consent_sms),
            ("email", d.consent_email),
            ("WhatsApp", d.consent_whatsapp),
        )
        if ok
    ]
    print(f"{d.name}  {d.mobile}  {d.email or ''}".rstrip())
    print(
        f"  {page.match.visits} visits, spent Rs.{data['spent']}; consents: "
        f"{', '.join(consents) or 'none'}"
    )
    for invoice in data["invoices"][:10]:
        print(
            f"  {invoice['number']}  {invoice['date']}  Rs.{invoice['payable']}  {invoice['status']}"
        )
    if len(data["invoices"]) > 10:
        print(f"  ... and {len(data['invoices']) - 10} more (--json lists them all)")


def _details(args: argparse.Namespace, base: NewPatient) -> NewPatient:
    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("name", args.name),
            ("mobile", args.mobile),
            ("email", args.email),
            ("birth_date", args.birth_date),
            ("gender", args.gender),
            ("gstin", args.gstin),
        )
        if value is not None
    }
    for channel in ("sms", "email", "whatsapp"):
        answer = getattr(args, f"consent_{channel}")
        if answer is not None:
            changes[f"consent_{channel}"] = answer == "yes"
    return replace(base, **changes)


def cmd_add(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        added = patients.add_patient(
            db,
            user,
            _details(args, NewPatient(name="", mobile="")),
            now=common.now(),
            today=common.today(db),
            shared_mobile=args.same_family,
        )
    if args.json:
        common.print_json(_match_json(added))
    else:
        print(f"Added {added.name} ({added.mobile}).")


def cmd_edit(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        match = patients.resolve_patient(db, args.patient)
        changed = patients.update_patient(
            db,
            user,
            match.id,
            _details(args, patients.patient_details(db, match.id)),
            now=common.now(),
            today=common.today(db),
            shared_mobile=args.same_family,
        )
    if args.json:
        common.print_json(_match_json(changed))
    else:
        print(f"Saved {changed.name} ({changed.mobile}).")


def cmd_merge(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        keep = patients.resolve_patient(db, args.keep)
        merged = patients.resolve_patient(db, args.merge)
        result = patients.merge_patients(db, user, keep.id, merged.id, now=common.now())
    print(
        f"Merged {merged.name} into {keep.name}: {result.invoices} invoices, {result.uses} "
        f"promotion uses and {result.callbacks} callbacks moved; {merged.name}'s record is retired."
    )
