"""The head office: the same services, run on the centre (issue #15, DESIGN.md flow 8).

The centre is built by the same migrations as a branch, so the same services work on it:
`open_centre` hands out a Database over the central PostgreSQL, and the head office is a
branch of its own there (`frontdesk central init --admin NAME` sets it up as `init` sets up
a branch), whose managers edit the master data every branch pulls (services.sync_pull).
"""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime
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
from services.sync import CONNECT_TIMEOUT_S, SyncFailed, central_engine, central_reason


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
    if db.engine.dialect.name != "postgresql":
        return []
    with db.session(write=False) as session:
        return central.branch_states(session.connection())
