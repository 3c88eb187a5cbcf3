"""`frontdesk callback ...`: the callback queue (seed 004): add, list, assign, call,
record outcomes. Its settings are in cli/callback_settings.py."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime
from typing import Any

from cli import callback_settings, common
from domain.callbacks import Reason, Source
from services import callbacks, patients
from services.errors import ServiceError

_ACTIONS = [
    ("assign", "assign a request (to you, or --to USER)"),
    ("start", "start the call of an assigned request"),
    ("complete", "record a call under way as completed"),
    ("no-answer", "record an unanswered call (closed as unreachable after the last try)"),
    ("reschedule", "move a request to a new time (--to)"),
    ("cancel", "cancel a request (--reason)"),
]


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "callback",
        help="the callback queue",
        description="The callback queue: add, list, assign, call, record outcomes (seed 004).",
    )

    add = sub.add_parser("add", help="add a request; prints its id", description="Add a request.")
    add.add_argument("--mobile", required=True, help="the person's mobile")
    add.add_argument("--name", help="their name (needed when they are not a registered patient)")
    add.add_argument("--reason", required=True, choices=[r.value for r in Reason])
    add.add_argument("--source", default=Source.PHONE.value, choices=[s.value for s in Source])
    add.add_argument("--notes", default="")
    add.add_argument("--at", help=common.WRITE_AT_HELP)
    add.add_argument("--json", action="store_true", help="print the request as JSON")
    add.set_defaults(handler=cmd_add)

    listing = sub.add_parser(
        "queue", help="open requests in queue order", description="List the open requests."
    )
    listing.add_argument("--at", help="evaluate waiting time at this instant; " + common.AT_HELP)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_queue)

    for name, text in _ACTIONS:
        action = sub.add_parser(name, help=text, description=common.described(text))
        action.add_argument("id", help="the request's id (or its first 8 characters)")
        if name == "assign":
            action.add_argument("--to", metavar="USER", help="a username; default: you")
        elif name == "complete":
            action.add_argument("--outcome", default="", help="what was agreed")
        elif name in ("no-answer", "reschedule"):
            action.add_argument("--notes", default="")
        if name == "reschedule":
            action.add_argument("--to", required=True, metavar="ISO-8601", help="the new time")
        if name == "cancel":
            action.add_argument("--reason", required=True)
        action.add_argument("--at", help=common.WRITE_AT_HELP)
        action.add_argument("--json", action="store_true", help="print the request as JSON")
        action.set_defaults(handler=cmd_action, action=name)

    log = sub.add_parser("log", help="a request's activity log", description="Show the log.")
    log.add_argument("id")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=cmd_log)

    callback_settings.register(sub)


def _callback_json(row: callbacks.CallbackRow) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": str(row.id),
        "name": row.name,
        "mobile": row.mobile,
        "patient_id": str(row.patient_id) if row.patient_id else None,
        "reason": row.reason.value,
        "source": row.source.value,
        "notes": row.notes,
        "status": row.status.value,
        "score": row.score.value,
        "score_parts": [{"label": p.label, "points": p.points} for p in row.score.parts],
        "score_explained": row.score.explain(),
        "category": row.category.value,
        "requested_at": iso(row.requested_at),
        "due_at": iso(row.due_at),
        "not_before": iso(row.not_before),
        "overdue": row.overdue,
        "waiting_minutes": int(row.waited.total_seconds() // 60),
        "assigned_to": row.assigned_name,
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "outcome": row.outcome,
    }


def _print_callback(row: callbacks.CallbackRow) -> None:
    who = f", {row.assigned_name}" if row.assigned_name else ""
    print(
        f"{row.short_id}  {row.status.label}{who}  {row.name} {row.mobile}  "
        f"{row.category.label} {row.score.value}  due {row.due_at.isoformat()}"
    )
    if row.outcome:
        print(f"  {row.outcome}")


def cmd_add(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        new = callbacks.NewCallback(
            Reason(args.reason), Source(args.source), notes=args.notes, mobile=args.mobile
        )
        try:
            patient = patients.resolve_patient(db, args.mobile)
        except ServiceError:
            patient = None  # not registered (or a shared mobile): the name is needed
        if patient is not None and (not args.name or args.name.strip() == patient.name):
            new = replace(new, patient_id=patient.id)
        else:
            new = replace(new, name=args.name or "")
        row = callbacks.add_callback(db, user, new, **common.dated(db, user, args.at))
        if args.json:
            common.print_json(_callback_json(row))
        else:
            print(row.id)


def cmd_queue(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        snapshot = callbacks.queue(db, user, now=common.instant(db, args.at))
        if args.json:
            common.print_json([_callback_json(row) for row in snapshot.rows])
        elif not snapshot.rows:
            print("Nobody is waiting for a call.")
        else:
            zone = common.zone(db)
            common.print_table(
                [
                    {
                        "id": row.short_id,
                        "category": row.category.label,
                        "score": row.score.value,
                        "name": row.name,
                        "mobile": row.mobile,
                        "reason": row.reason.label,
                        "status": row.status.label,
                        "due": row.due_at.astimezone(zone).strftime("%a %d %b %H:%M")
                        + (" OVERDUE" if row.overdue else ""),
                        "assigned": row.assigned_name or "-",
                        "why": row.score.explain(),
                    }
                    for row in snapshot.rows
                ]
            )


def cmd_action(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        callback_id = callbacks.resolve_id(db, args.id)
        clock = common.dated(db, user, args.at)
        if args.action == "assign":
            row = callbacks.assign(db, user, callback_id, **clock, to_username=args.to)
        elif args.action == "start":
            row = callbacks.start_call(db, user, callback_id, **clock)
        elif args.action == "complete":
            row = callbacks.complete(db, user, callback_id, **clock, outcome=args.outcome)
        elif args.action == "no-answer":
            row = callbacks.no_answer(db, user, callback_id, **clock, note=args.notes)
        elif args.action == "reschedule":
            to = common.instant(db, args.to)
            row = callbacks.reschedule(db, user, callback_id, to=to, **clock, note=args.notes)
        else:
            row = callbacks.cancel(db, user, callback_id, reason=args.reason, **clock)
        if args.json:
            common.print_json(_callback_json(row))
        else:
            _print_callback(row)


def cmd_log(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        callback_id = callbacks.resolve_id(db, args.id)
        detail = callbacks.get_callback(db, user, callback_id, now=common.now())
        if args.json:
            common.print_json(
                {
                    "request": _callback_json(detail.row),
                    "activities": [
                        {
                            "at": entry.at.isoformat(),
                            "user": entry.user_name,
                            "activity": entry.activity,
                            "from_status": entry.from_status.value if entry.from_status else None,
                            "to_status": entry.to_status.value if entry.to_status else None,
                            "note": entry.note,
                            "text": entry.text,
                        }
                        for entry in detail.activities
                    ],
                }
            )
        else:
            _print_callback(detail.row)
            zone = common.zone(db)
            for entry in detail.activities:
                print(f"  {entry.at.astimezone(zone):%d %b %H:%M}  {entry.text}")
