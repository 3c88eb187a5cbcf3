"""`frontdesk staff list|add|edit|retire`: who can sign in here (admin)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from cli import common
from domain.errors import BadInput
from services import staff

_OPTION = {"full_name": "name", "max_discount": "max-discount", "username": "username"}


def _field_option(field: str) -> str:
    return f"--{_OPTION.get(field, field)}"


def register(commands: common.Subparsers) -> None:
    sub = common.add_group(
        commands,
        "staff",
        help="staff members (admin)",
        description="List, add, change and retire the people who sign in here. A new PIN "
        "comes from $FRONTDESK_NEW_PIN or a prompt.",
    )
    listing = sub.add_parser("list", help="everyone who can sign in")
    listing.add_argument("--all", action="store_true", help="retired members too")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
    add = sub.add_parser("add", help="add a member (the PIN is asked for)")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument("--role", required=True, choices=("front_desk", "manager", "admin"))
    add.add_argument("--max-discount", default="0", help="manual discount limit in percent")
    add.set_defaults(handler=cmd_add, field_option=_field_option)
    edit = sub.add_parser("edit", help="change a member's name, role, limit or PIN")
    edit.add_argument("username", metavar="USERNAME")
    edit.add_argument("--name")
    edit.add_argument("--role", choices=("front_desk", "manager", "admin"))
    edit.add_argument("--max-discount")
    edit.add_argument("--reset-pin", action="store_true", help="set a new PIN (asked for)")
    edit.set_defaults(handler=cmd_edit, field_option=_field_option)
    retire = sub.add_parser("retire", help="a member who left can no longer sign in")
    retire.add_argument("username", metavar="USERNAME")
    retire.set_defaults(handler=cmd_retire)
    text = (
        "on the centre: a member of head office's staff works at every branch (--on), or "
        "no longer (--off); branches receive it at their next sync"
    )
    chain = sub.add_parser("every-branch", help=text, description=common.described(text))
    chain.add_argument("username", metavar="USERNAME")
    switch = chain.add_mutually_exclusive_group(required=True)
    switch.add_argument("--on", dest="every_branch", action="store_true")
    switch.add_argument("--off", dest="every_branch", action="store_false")
    chain.set_defaults(handler=cmd_every_branch)


def _new_pin() -> str:
    pin = os.environ.get("FRONTDESK_NEW_PIN")
    if pin:
        return pin
    if not sys.stdin.isatty():
        raise BadInput("Give the new PIN in $FRONTDESK_NEW_PIN (no terminal to ask on)")
    first = getpass.getpass("New PIN: ")
    if getpass.getpass("The same PIN again: ") != first:
        raise BadInput("The two PINs differ; nothing was saved")
    return first


def cmd_list(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        rows = staff.list_staff(db, user, include_retired=args.all)
    common.print_rows(
        [
            {
                "username": r.username,
                "name": r.full_name,
                "role": r.role.value,
                "max_discount": str(r.max_discount_percent.normalize()),
                "active": r.active,
                "every_branch": r.chain_wide is True,
            }
            for r in rows
        ],
        as_json=args.json,
        empty="Nobody can sign in.",
    )


def cmd_add(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        row = staff.add_user(
            db,
            user,
            username=args.username,
            full_name=args.name,
            role=args.role,
            pin=_new_pin(),
            max_discount=args.max_discount,
            now=common.now(),
        )
    print(f"Added {row.full_name} ({row.username}, {row.role.label.lower()}).")


def cmd_edit(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        row = staff.update_user(
            db,
            user,
            args.username,
            full_name=args.name,
            role=args.role,
            max_discount=args.max_discount,
            pin=_new_pin() if args.reset_pin else None,
            now=common.now(),
        )
    print(f"Saved {row.full_name} ({row.username}, {row.role.label.lower()}).")


def cmd_retire(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        row = staff.retire_user(db, user, args.username, now=common.now())
    print(f"Retired {row.full_name}: they can no longer sign in.")


def cmd_every_branch(args: argparse.Namespace) -> None:
    with common.signed_in(args) as (db, user):
        row = staff.set_chain_wide(
            db, user, args.username, every_branch=args.every_branch, now=common.now()
        )
    if row.chain_wide:
        print(f"{row.full_name} works at every branch from each one's next sync.")
    else:
        print(f"{row.full_name} works at head office only from each branch's next sync.")
