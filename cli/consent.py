"""`frontdesk consent grant|withdraw|show|block|allow|import` (issue #16): a patient's
consent to be messaged, per channel and purpose, and do-not-contact (services.consent)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli import common
from domain.consent import CHANNELS, DNC_REASONS, PURPOSES
from services import consent, patients


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "consent",
        help="a patient's consent to be messaged, do-not-contact, and providers' replies",
        description="Record a patient's consent per channel and purpose (DPDP Act 2023: as "
        "easy to withdraw as to give), block or allow a channel, and import replies and "
        "opt-outs from a provider's export.",
    )
    for action, words in (("grant", "the patient agrees"), ("withdraw", "the patient withdraws")):
        parser = sub.add_parser(action, help=f"{words} to be messaged by a channel")
        parser.add_argument("--patient", required=True, metavar="MOBILE_OR_ID")
        parser.add_argument("--channel", required=True, choices=CHANNELS)
        parser.add_argument("--purpose", choices=PURPOSES, default="promotional")
        parser.add_argument(
            "--source", choices=("counter", "form"), default="counter", help="where it was said"
        )
        parser.add_argument("--notice", help="the notice shown (default: the branch's standard)")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=cmd_record, granted=action == "grant")

    show = sub.add_parser("show", help="a patient's consent per channel and its history")
    show.add_argument("--patient", required=True, metavar="MOBILE_OR_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)

    for action, words in (("block", "put a channel on do-not-contact"), ("allow", "lift it")):
        parser = sub.add_parser(action, help=f"{words} for a patient")
        parser.add_argument("--patient", required=True, metavar="MOBILE_OR_ID")
        parser.add_argument("--channel", required=True, choices=CHANNELS)
        if action == "block":
            parser.add_argument("--reason", choices=DNC_REASONS, default="manual")
            parser.add_argument("--comment", default="")
        parser.set_defaults(handler=cmd_block, blocked=action == "block")

    imported = sub.add_parser(
        "import",
        help="replies, opt-outs and bounces from a provider's CSV export (manager)",
        description="Import a provider's export: columns received_at (with its offset), "
        "channel (email, sms, whatsapp), sender (the mobile or address), body; optional kind "
        "(reply or bounce) and provider_id (a row seen before is skipped). STOP and other "
        "opt-out words withdraw consent as of the reply.",
    )
    imported.add_argument("file", type=Path)
    imported.add_argument("--json", action="store_true")
    imported.set_defaults(handler=cmd_import)


def _event_json(event: consent.ConsentEvent | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {
        "id": str(event.id),
        "channel": event.channel,
        "purpose": event.purpose,
        "action": event.action,
        "source": event.source,
        "at": event.at.isoformat(),
        "notice": event.notice,
    }


def cmd_record(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        patient = patients.resolve_patient(db, args.patient)
        event = consent.record_consent(
            db,
            user,
            patient.id,
            args.channel,
            granted=args.granted,
            purpose=args.purpose,
            source=args.source,
            notice=args.notice,
            now=common.now(),
        )
    if args.json:
        common.print_json(_event_json(event))
    else:
        print(f"{patient.name}: {args.purpose} {args.channel} {event.action}.")


def cmd_show(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, _user):
        patient = patients.resolve_patient(db, args.patient)
        states = consent.consent_state(db, patient.id)
        history = consent.consent_history(db, patient.id)
    rows = [
        {
            "channel": s.channel,
            "promotional": s.promotional.action if s.promotional else "none",
            "service": s.service.action if s.service else "none",
            "do_not_contact": s.do_not_contact or "-",
            "may_send_offers": "yes" if s.may_promote else "no",
        }
        for s in states
    ]
    if args.json:
        common.print_json(
            {
                "patient_id": str(patient.id),
                "channels": rows,
                "history": [_event_json(e) for e in history],
            }
        )
        return
    print(patient.name)
    common.print_table(rows)


def cmd_block(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        patient = patients.resolve_patient(db, args.patient)
        state = consent.set_do_not_contact(
            db,
            user,
            patient.id,
            args.channel,
            blocked=args.blocked,
            reason=getattr(args, "reason", "manual"),
            comment=getattr(args, "comment", ""),
            now=common.now(),
        )
    print(
        f"{patient.name}: {args.channel} "
        + (f"blocked ({state.do_not_contact})." if state.do_not_contact else "open.")
    )


def cmd_import(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        result = consent.import_replies(db, user, args.file, now=common.now())
    if args.json:
        common.print_json(vars(result))
    else:
        print(result.sentence())
