"""Pull: what the centre owns, down to this branch (DESIGN.md, Sync; issue #15).

The centre owns the catalog, its prices, the promotions, the promo codes and the settings
it sets for every branch (db.central.PULLED, CENTRE_SETTINGS: once one has come, this
branch refuses to change it itself, `refuse_centre_setting`). A pull reads the rows written since this branch's cursor, up to the
centre's snapshot xmin (db.central.pull_rows), then stores them and the new cursor in one
local transaction: a pull cut short stores nothing and is simply repeated, and a row whose
central transaction committed late is read by a later pull, never skipped.

The centre's row wins over this branch's copy of the same row (the same id). A row of its
own that this branch made with the same code as one of the centre's is not overwritten:
the pull is refused with a sentence naming it, and nothing is stored until it is renamed.
Use counts are never copied: a promotion's or code's `current_uses` becomes the count of
live uses of every branch on the centre at this pull plus this branch's uses the centre
does not hold yet (db.usage_sync), which the counter then moves with each use until the
next pull. Likewise a sponsored promotion's charged impressions: the centre's count of
every branch's, and how many of them were this branch's, are kept as of this pull
(`sync_sponsor_totals`), and the counter adds this branch's own since (services.sponsors,
rule 11's hard stop across the chain). A promotion made at the head office belongs to no branch here, and a price keeps
who set it only when that person is known here. The head office's staff published to
every branch (`users.chain_wide`) sign in here as this branch's, with their PIN; wrong PINs
count here only; once withdrawn (chain_wide false) they can sign in here no more.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db import central, usage_sync
from db.engine import Database
from db.models import AppSetting, Base, SyncSponsorTotal, User
from domain.errors import Refused
from services.centre_settings import PULL_KEY, centre_settings
from services.invoicing import move_use_counts
from services.uow import UnitOfWork

TABLES: tuple[Table, ...] = tuple(Base.metadata.tables[name] for name in central.PULLED)

# Columns a pull never overwrites: this branch's view of the uses (uses travel as usage
# rows, issue #15 "Counts across branches").
KEPT = {
    "promotion_campaigns": {"current_uses"},
    "promo_codes": {"current_uses"},
    # Wrong PINs here lock a member here (services.auth): this branch's own count.
    "users": {"failed_pins", "locked_until"},
}
# Codes a person types: a local row with the same one and another id blocks the pull.
NATURAL_KEYS = {
    "users": ("username",),
    "catalog_items": ("code", "barcode"),
    "promotion_campaigns": ("campaign_code",),
    "promo_codes": ("code",),
}
WHAT = {
    "users": "member of staff",
    "catalog_items": "catalog item",
    "promotion_campaigns": "promotion",
    "promo_codes": "promo code",
}


class PullRefused(Refused):
    """The centre's rows cannot be stored here as they are; the message says why."""


@dataclass(frozen=True)
class PullState:
    """Where this branch's pulls stand: the cursor (a central transaction id), when the
    last pull stored something or found nothing new, and how many rows it stored."""

    cursor: int = 0
    pulled_at: datetime | None = None
    rows: int = 0

    def sentence(self) -> str:
        if self.pulled_at is None:
            return "Nothing received from the centre yet."
        return f"Last received from the centre: {self.rows} change(s)."


def last_pull(db: Database) -> PullState:
    """Where this branch's pulls stand (a branch that never pulled: cursor 0)."""
    with db.session(write=False) as session:
        return _state(session)


def _state(session: Session) -> PullState:
    row = session.get(AppSetting, PULL_KEY)
    if row is None:
        return PullState()
    value = row.value
    return PullState(
        cursor=int(value["cursor"]),
        pulled_at=datetime.fromisoformat(value["pulled_at"]),
        rows=int(value["rows"]),
    )


def read_centre(connection: Connection, cursor: int) -> central.PulledRows:
    """What changed on the centre since `cursor`, read in one REPEATABLE READ snapshot.
    `connection` must not be inside a transaction yet."""
    with connection.execution_options(isolation_level="REPEATABLE READ").begin():
        return central.pull_rows(connection, TABLES, cursor)


def pull(db: Database, connection: Connection, branch_id: uuid.UUID, *, now: datetime) -> PullState:
    """One pull from the centre over `connection` (see the module's docstring)."""
    pulled = read_centre(connection, last_pull(db).cursor)
    return store(db, branch_id, pulled, now=now)


def store(
    db: Database, branch_id: uuid.UUID, pulled: central.PulledRows, *, now: datetime
) -> PullState:
    """Store what a pull read and move the cursor on, in one local transaction."""
    with UnitOfWork(db, None, now, branch_id=branch_id) as uow:
        session = uow.session
        before = _state(session)
        if pulled.xmin < before.cursor:
            # An older read than the one already stored (a second worker): nothing to do.
            return before
        users: set[uuid.UUID] = set()
        count = 0
        for table in TABLES:
            if table.name == "catalog_prices":  # after the staff: who set a price
                users = set(session.scalars(select(User.id)))
            rows = [
                _localised(table.name, row, branch_id, users) for row in pulled.rows[table.name]
            ]
            if rows:
                _refuse_clashes(session, table, rows)
                _upsert(session, table, rows)
                count += len(rows)
        recounted = _count_chain_uses(session, pulled, now)
        _store_impression_totals(session, pulled)
        state = PullState(cursor=pulled.xmin, pulled_at=now, rows=count)
        owned = centre_settings(session) | {
            row["key"] for row in pulled.rows.get("app_settings", ())
        }
        value = {
            "cursor": state.cursor,
            "pulled_at": now.isoformat(),
            "rows": count,
            "settings": sorted(owned),
        }
        setting = session.get(AppSetting, PULL_KEY)
        if setting is None:
            session.add(AppSetting(key=PULL_KEY, value=value))
        else:
            setting.value = value
        if count or recounted:
            counts = {t.name: len(pulled.rows[t.name]) for t in TABLES if pulled.rows[t.name]}
            details = {"rows": counts, "cursor": state.cursor, "uses_recounted": recounted}
            uow.audit("sync.pull", "branch", branch_id, details)
        uow.commit()
        return state


def _count_chain_uses(session: Session, pulled: central.PulledRows, now: datetime) -> int:
    """Each promotion's and code's uses become the chain's: the centre's count at this pull
    plus this branch's uses it does not hold yet, moved by the counter's own rules (a count
    reaching its limit switches the promotion or code off here too). Returns how many
    counts changed."""
    own_promotions, own_codes = usage_sync.unsent_net(session)
    promotions = {
        key: max(0, pulled.promotion_uses.get(key, 0) + own_promotions.get(key, 0))
        for key in pulled.promotion_uses.keys() | own_promotions.keys()
    }
    codes = {
        key: max(0, pulled.code_uses.get(key, 0) + own_codes.get(key, 0))
        for key in pulled.code_uses.keys() | own_codes.keys()
    }
    return move_use_counts(session, promotions, codes, now)


def _store_impression_totals(session: Session, pulled: central.PulledRows) -> None:
    """The centre's charged impressions per sponsored promotion at this pull, and this
    branch's share of them, in place of the last pull's."""
    session.execute(delete(SyncSponsorTotal))
    if pulled.impressions:
        session.execute(
            insert(SyncSponsorTotal),
            [
                {"promotion_id": promotion, "charged": charged, "own": own}
                for promotion, (charged, own) in pulled.impressions.items()
            ],
        )


def _localised(
    table: str, row: dict[str, Any], branch_id: uuid.UUID, users: set[uuid.UUID]
) -> dict[str, Any]:
    """The centre's row as this branch can hold it (references to people and branches it
    does not know are dropped; see the module's docstring)."""
    row = dict(row)
    if table == "promotion_campaigns" and row.get("branch_id") != branch_id:
        row["branch_id"] = None
    if table == "catalog_prices" and row.get("created_by") not in users:
        row["created_by"] = None
    if table == "users":
        # Head office's staff work here as this branch's; withdrawn, they sign in no more.
        row["branch_id"] = branch_id
        if row.get("chain_wide") is False:
            row["is_active"] = False
    for column in KEPT.get(table, ()):
        row.pop(column, None)
    return row


def _refuse_clashes(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for key in NATURAL_KEYS.get(table.name, ()):
        theirs = {row[key]: row["id"] for row in rows if row.get(key) is not None}
        if not theirs:
            continue
        column = table.c[key]
        for value, local_id in session.execute(
            select(column, table.c.id).where(column.in_(list(theirs)))
        ):
            if local_id != theirs[value]:
                raise PullRefused(
                    f"The centre's {WHAT[table.name]} {value} has the same {key.replace('_', ' ')}"
                    f" as one made at this branch: rename this branch's own (or ask head office "
                    "to), then sync again. Nothing was received."
                )


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    statement = sqlite_insert(table)
    keys = list(table.primary_key.columns)
    columns = [c for c in rows[0] if c not in {key.name for key in keys}]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={column: statement.excluded[column] for column in columns},
    )
    session.execute(statement, rows)
