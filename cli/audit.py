"""`frontdesk audit verify`: is the audit log as it was written (services.audit)?"""

from __future__ import annotations

import argparse
import sys

from cli import common
from services import audit


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "audit",
        help="the audit log: check that no entry was changed or removed",
        description="The audit log is append-only and hash-chained; verify walks the chain.",
    )
    verify = sub.add_parser(
        "verify", help="check the whole chain; name the first broken entry (admin)"
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        check = audit.verify_audit(db, user)
    if args.json:
        broken = check.broken
        common.print_json(
            {
                "intact": check.intact,
                "entries": check.entries,
                "broken": None
                if broken is None
                else {
                    "seq": broken.seq,
                    "id": str(broken.id),
                    "at": broken.at.isoformat(),
                    "action": broken.action,
                    "reason": broken.reason,
                },
            }
        )
    else:
        print(check.sentence())
    if not check.intact:
        sys.exit(1)
