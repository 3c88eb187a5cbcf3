"""`frontdesk campaign send-due`: send the campaign messages that are due, once (for a
scheduled task; the open app does the same by itself). `--at` acts as of another instant,
so a task that ran late, or a test, can say when "now" is (services.campaign_sender)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from cli import common
from services import campaign_sender


def register(campaign_actions: common.Subparsers) -> None:
    """Attach `send-due` to the `campaign` command group."""
    text = "send the campaign messages that are due now (for a scheduled task)"
    send = campaign_actions.add_parser("send-due", help=text, description=common.described(text))
    send.add_argument("--at", help=common.AT_HELP)
    send.add_argument(
        "--limit", type=int, default=campaign_sender.BATCH, help="messages at most this round"
    )
    send.add_argument("--json", action="store_true")
    send.set_defaults(handler=cmd_send_due)


def cmd_send_due(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        at = common.instant(db, args.at)
        result = campaign_sender.send_due(db, user, at, limit=args.limit)
    if args.json:
        common.print_json(asdict(result))
    else:
        print(result.sentence())
