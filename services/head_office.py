"""The head office: the same services, run on the centre (issue #15, DESIGN.md flow 8).

The centre is built by the same migrations as a branch, so the same services work on it:
`open_centre` hands out a Database over the central PostgreSQL, and the head office is a
branch of its own there (`frontdesk central init --admin NAME` sets it up as `init` sets up
a branch), whose managers edit the master data every branch pulls (services.sync_pull).
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from db import central
from db.engine import Database, json_dumps, json_loads
from domain.branch import BranchDetails
from domain.permissions import require
from services.auth import CurrentUser
from services.setup import initialise
from services.sync import (
    CLOCK_TOLERANCE,
    CONNECT_TIMEOUT_S,
    SyncFailed,
    central_engine,
    central_reason,
)

# One branch as the head office sees it (a frozen dataclass of plain values).
BranchState = central.BranchState


def open_centre(url: str) -> Database:
    """A Database over the centre at `url` (a PostgreSQL URL), for the services to use."""
    central_engine(url).dispose()  # refuses what is not a PostgreSQL URL, with a sentence
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    engine = create_engine(
        parsed,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        pool_pre_ping=True,
    )
    # PostgreSQL queues its own writers; the write-queue file only needs a place to live.
    digest = hashlib.sha256(parsed.render_as_string(hide_password=True).encode()).hexdigest()
    folder = Path(tempfile.gettempdir()) / "frontdesk-centres"
    folder.mkdir(exist_ok=True)
    return Database(folder / digest[:16], engine)


def init_head_office(
    url: str,
    *,
    admin_username: str,
    admin_pin: str | None,
    details: BranchDetails,
    now: datetime,
) -> str:
    """Set up the head office on a prepared centre (its own branch and first admin), as
    `init` sets up a branch; idempotent. Returns a sentence."""
    db = open_centre(url)
    try:
        with db.session(write=False) as session:
            if central.central_schema(session.connection()) is None:
                raise SyncFailed(
                    "That database is not a Frontdesk centre yet: run 'frontdesk central init "
                    "--url URL' first."
                )
        result = initialise(
            db,
            demo=False,
            now=now,
            today=now.date(),
            admin_username=admin_username,
            admin_pin=admin_pin,
            details=details,
        )
    except DBAPIError as exc:
        raise SyncFailed(f"Could not set up the head office: {central_reason(exc)}.") from exc
    finally:
        db.close()
    if not result.created:
        return "The head office is already set up on the centre; nothing changed."
    return f"The head office is set up on the centre, with admin user '{admin_username}'."


def branch_states(db: Database, actor: CurrentUser) -> list[central.BranchState]:
    """Each branch's sync state as the centre knows it (the head office: a manager): its
    last push, the documents the centre holds from it, and what it reported at the end of
    its last round (pending, needing attention, its clock's offset). None on a branch's
    own database, which knows no other branch."""
    require(actor.role, "dashboard.read")
    if not db.on_centre:
        return []
    with db.session(write=False) as session:
        return central.branch_states(session.connection())


# A branch that has not pushed for this long is worth a look from the head office.
QUIET_AFTER = timedelta(days=1)


def clock_text(offset_s: int | None) -> str:
    """A branch's clock against the centre's in words: '1 h 5 min ahead', 'on time'."""
    if offset_s is None:
        return "not reported"
    minutes = round(abs(offset_s) / 60)
    if minutes == 0:
        return "on time"
    if minutes >= 48 * 60:
        amount = f"{minutes // (24 * 60)} days {minutes // 60 % 24} h"
    elif minutes >= 60:
        amount = f"{minutes // 60} h {minutes % 60} min"
    else:
        amount = f"{minutes} min"
    return f"{amount} {'ahead' if offset_s > 0 else 'behind'}"


def attention(state: central.BranchState, now: datetime) -> list[str]:
    """Why the head office should look at a branch, in a few words each (none: all is
    well): no push yet or none for a day, documents the centre refused, a clock more than
    the tolerance off."""
    reasons = []
    if state.last_push_at is None:
        reasons.append("never pushed")
    elif now - state.last_push_at > QUIET_AFTER:
        days = (now - state.last_push_at).days
        reasons.append(f"no push for {days} day{'s' if days != 1 else ''}")
    if state.needs_attention:
        reasons.append(f"{state.needs_attention} refused")
    offset = state.clock_offset_s
    if offset is not None and abs(offset) > CLOCK_TOLERANCE.total_seconds():
        reasons.append("clock off")
    return reasons
