"""The head office: the same services, run on the centre (issue #15, DESIGN.md flow 8).

The centre is built by the same migrations as a branch, so the same services work on it:
`open_centre` hands out a Database over the central PostgreSQL, and the head office is a
branch of its own there (`frontdesk central init --admin NAME` sets it up as `init` sets up
a branch), whose managers edit the master data every branch pulls (services.sync_pull).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from db.engine import Database, json_dumps, json_loads
from services.sync import CONNECT_TIMEOUT_S, central_engine


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
