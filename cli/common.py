"""What every command group shares: its parser, the database and the signed-in user, the
clock, times typed on the command line, and printing JSON and tables."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict
from zoneinfo import ZoneInfo

from domain.bounds import check_day
from domain.errors import BadInput, Refused
from domain.fiscal import check_document_date
from domain.permissions import require
from services import auth, branch, head_office, paths, setup

if TYPE_CHECKING:
    # argparse gives the object add_subparsers() returns no public name.
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

AT_HELP = "when (ISO-8601; without an offset it is the branch's local time); default now"
WRITE_AT_HELP = (
    "date the record otherwise (an admin only; never ahead nor in a closed fiscal year; "
    "ISO-8601, without an offset the branch's local time); default now"
)


def now() -> datetime:
    return datetime.now(UTC)


def open_database(args: argparse.Namespace, *, create: bool = False) -> setup.Database:
    """The branch database of --db (or the default one). Only `init` (`create`) makes a
    new one: any other command on a missing or empty file says so and leaves it be. With
    --central URL it is the centre's database instead (the head office, services.head_office)."""
    centre = getattr(args, "centre", None)
    if centre:
        return head_office.open_centre(centre)
    path = args.db or paths.default_db_path()
    if not create:
        try:
            empty = path.stat().st_size == 0
        except FileNotFoundError:
            empty = None
        except OSError:
            empty = False  # open_branch_database says what is wrong with it
        if empty is not False:
            state = "the file is empty" if empty else "there is no such file"
            raise Refused(
                f"{path} is not a Frontdesk database yet ({state}). Set one up with "
                f"`frontdesk --db {path} init`, or restore a backup with `frontdesk restore`."
            )
    try:
        return setup.open_branch_database(path, now=now())
    except setup.DatabaseRefused as exc:
        raise Refused(str(exc)) from exc


@contextmanager
def signed_in(args: argparse.Namespace) -> Iterator[tuple[setup.Database, auth.CurrentUser]]:
    """Open the database and sign in as --user for one command; close it afterwards."""
    db = open_database(args)
    try:
        if not branch.is_initialised(db):
            raise Refused(
                f"{db.path} is not set up yet: run `frontdesk --db {db.path} init` first."
            )
        yield db, _sign_in(db, args)
    finally:
        db.close()


def _sign_in(db: setup.Database, args: argparse.Namespace) -> auth.CurrentUser:
    if not args.user:
        raise BadInput("Say who you are: add --user NAME (the PIN comes from $FRONTDESK_PIN).")
    pin = os.environ.get("FRONTDESK_PIN")
    if pin is None:
        if not sys.stdin.isatty():
            raise Refused("Set FRONTDESK_PIN or run from a terminal to type the PIN.")
        pin = getpass.getpass(f"PIN for {args.user}: ")
    return auth.sign_in(db, args.user, pin)


def zone(db: setup.Database) -> ZoneInfo:
    """The branch's time zone."""
    return ZoneInfo(branch.get_branch(db).details.timezone)


def today(db: setup.Database) -> date:
    """Today at the branch."""
    return now().astimezone(zone(db)).date()


def instant(db: setup.Database, text: str | None) -> datetime:
    """A time typed as ISO-8601 (the branch's local time without an offset); None is now."""
    if text is None:
        return now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadInput(f"--at {text} is not an ISO-8601 time like 2026-11-24T10:30+05:30") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(db))
    check_day(moment.astimezone(zone(db)).date(), today(db), f"--at {text}:")
    return moment


def written_at(db: setup.Database, user: auth.CurrentUser, text: str | None) -> datetime:
    """When a money record (a credit note, a counter session's step) is written: now, or
    --at for an admin only, and then never after now nor in a closed fiscal year (see
    domain.fiscal). Invoices check the same in services.invoicing, with their series."""
    if text is None:
        return now()
    require(user.role, "record.backdate")
    moment = instant(db, text)
    check_document_date(
        moment.astimezone(zone(db)).date(),
        today=today(db),
        last_of_series=None,
        start_month=branch.get_branch(db).details.fiscal_year_start_month,
        what="a record",
    )
    if moment > now():
        raise Refused(f"--at {text} is after now; a record cannot be dated ahead.")
    return moment


class WriteClock(TypedDict):
    """A write's time (`now`) and the real clock when that time was typed (`recorded_at`)."""

    now: datetime
    recorded_at: datetime | None


def dated(db: setup.Database, user: auth.CurrentUser, text: str | None) -> WriteClock:
    """When a write happens: now, or --at (see written_at), with the real clock beside it,
    so that the record is dated as asked and its audit entry carries the real time."""
    if text is None:
        return {"now": now(), "recorded_at": None}
    return {"now": written_at(db, user, text), "recorded_at": now()}


def add_group(
    commands: Subparsers, name: str, *, help: str, description: str, metavar: str = "ACTION"
) -> Subparsers:
    """A command group, `frontdesk NAME ACTION`, whose ACTION is required."""
    group = commands.add_parser(name, help=help, description=description)
    return group.add_subparsers(dest=f"{name}_command", metavar=metavar, required=True)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def print_table(rows: list[dict[str, Any]]) -> None:
    """Rows as aligned columns under their keys; ids are left out."""
    columns = [c for c in rows[0] if not c.endswith("_id") and c != "id"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


def print_rows(rows: list[dict[str, Any]], *, as_json: bool, empty: str) -> None:
    """Rows as JSON, or as a table, or the sentence `empty` when there are none."""
    if as_json:
        print_json(rows)
    elif not rows:
        print(empty)
    else:
        print_table(rows)


def described(text: str) -> str:
    """A help line as a parser's description: "price a cart" -> "Price a cart."."""
    return text[0].upper() + text[1:] + "."


def iso_date(text: str) -> date:
    """An argparse type: a date like 2026-04-01, from 1990 to ten years ahead (domain.bounds;
    today by UTC: a day either way does not move a ten-year bound)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-04-01") from None
    try:
        return check_day(day, now().date())
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
