"""Pull: what the centre owns, down to this branch (DESIGN.md, Sync; issue #15).

The centre owns the catalog, its prices, the promotions, the promo codes, the settings
it sets for every branch (db.central.PULLED, CENTRE_SETTINGS: once one has come, this
branch refuses to change it itself, `refuse_centre_setting`), the staff it publishes to
every branch, and its sponsors and sponsored campaigns with the promotions they sponsor
(the centre bills them; services.sponsors). A pull reads the rows written since this branch's cursor, up to the
centre's snapshot xmin (db.central.pull_rows), then stores them and the new cursor in one
local transaction: a pull cut short stores nothing and is simply repeated, and a row whose
central transaction committed late is read by a later pull, never skipped.

The centre's row wins over this branch's copy of the same row (the same id). A row of its
own that this branch made with the same code as one of the centre's is not overwritten:
the pull is refused with a sentence naming it, and nothing is stored until it is renamed.
Sponsors and sponsored campaigns are the exception: before they were pulled each branch
added its own copy of the head office's campaign by hand, so a copy (the same legal name
or campaign code, or a campaign on the same promotion) is adopted: it takes the centre's
id, with its impressions, invoices and links, in the pull's transaction (_adopt_copies).
Use counts are never copied: a promotion's or code's `current_uses` becomes the count of
live uses of every branch on the centre at this pull plus this branch's uses the centre
does not hold yet (db.usage_sync), which the counter then moves with each use until the
next pull. Likewise a sponsored promotion's charged impressions: the centre's count of
every branch's, and how many of them were this branch's, are kept as of this pull
(`sync_sponsor_totals`), and the counter adds this branch's own since (services.sponsors,
rule 11's hard stop across the chain). A promotion made at the head office belongs to no branch here, and a price keeps
who set it only when that person is known here. The head office's staff published to
every branch (`users.chain_wide`) sign in here as this branch's, with their PIN; wrong PINs
count here only; once withdrawn (chain_wide false) they can sign in here no more. The head
office's message templates and messaging campaigns (with their triggers) come read-only;
each branch launches and pauses a head-office campaign for its own patients, so a pull
keeps the campaign's status and launch here (KEPT; services.campaigns.campaigns, rule 8).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, text, update
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
    # The head office's campaign is run by each branch for its own patients: whether it
    # runs here, and since when, is this branch's (services.campaigns.campaigns, rule 8).
    "campaigns": {"status", "launched_at"},
}
# Codes a person types: a local row with the same one and another id blocks the pull.
NATURAL_KEYS = {
    "users": ("username",),
    "catalog_items": ("code", "barcode"),
    "promotion_campaigns": ("campaign_code",),
    "promo_codes": ("code",),
    "sponsors": ("legal_name",),
    "sponsored_campaigns": ("campaign_code",),
}
WHAT = {
    "users": "member of staff",
    "catalog_items": "catalog item",
    "promotion_campaigns": "promotion",
    "promo_codes": "promo code",
    "sponsors": "sponsor",
    "sponsored_campaigns": "sponsored campaign",
    "message_templates": "message template",
}
# Codes made of two columns: a local live row with the same pair and another id blocks the
# pull (a template is found by its name, for its channel).
PAIRED_KEYS = {"message_templates": ("name", "channel")}
# Rows a branch made as its own copy of the head office's (each branch added its copy of
# a sponsored campaign by hand before they were pulled): the copy gives way to the
# centre's row instead of refusing the pull (_adopt_copies).
ADOPTED = {"sponsors": "legal_name", "sponsored_campaigns": "campaign_code"}
# Rows that belong to no branch here once they come from the centre (made at the head
# office): a promotion, a sponsor, a sponsored campaign.
HEAD_OFFICE_ROWS = (
    "promotion_campaigns",
    "sponsors",
    "sponsored_campaigns",
    "message_templates",
    "campaigns",
    "campaign_triggers",
)
# References to people a branch may not know (dropped, as the row stays good without).
AUTHORS = {"catalog_prices": "created_by", "campaigns": "created_by"}
LINKS = "sponsored_campaign_promotions"


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
        adopted: dict[str, list[str]] = {}
        count = 0
        for table in TABLES:
            if table.name == "catalog_prices":  # after the staff: who set a price
                users = set(session.scalars(select(User.id)))
            rows = [
                _localised(table.name, row, branch_id, users) for row in pulled.rows[table.name]
            ]
            if rows:
                if table.name in ADOPTED:
                    adopted[table.name] = _adopt_copies(session, table, rows, pulled)
                if table.name == LINKS:
                    _move_links(session, table, rows)
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
            details: dict[str, Any] = {
                "rows": counts,
                "cursor": state.cursor,
                "uses_recounted": recounted,
            }
            if any(adopted.values()):
                details["adopted"] = {name: keys for name, keys in adopted.items() if keys}
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
    if table in HEAD_OFFICE_ROWS and row.get("branch_id") != branch_id:
        row["branch_id"] = None
    if table in AUTHORS and row.get(AUTHORS[table]) not in users:
        row[AUTHORS[table]] = None
    if table == "users":
        # Head office's staff work here as this branch's; withdrawn, they sign in no more.
        row["branch_id"] = branch_id
        if row.get("chain_wide") is False:
            row["is_active"] = False
    for column in KEPT.get(table, ()):
        row.pop(column, None)
    return row


def _refuse_clashes(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if table.name in PAIRED_KEYS:
        _refuse_paired_clashes(session, table, rows, PAIRED_KEYS[table.name])
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


def _refuse_paired_clashes(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], key: tuple[str, str]
) -> None:
    """A live row of this branch's own with the same pair as a live row of the centre's."""
    first, second = key
    theirs = {(row[first], row[second]): row["id"] for row in rows if row.get("retired_at") is None}
    if not theirs:
        return
    for one, two, local_id in session.execute(
        select(table.c[first], table.c[second], table.c.id).where(
            table.c[first].in_([pair[0] for pair in theirs]),
            table.c.retired_at.is_(None),
            table.c.branch_id.is_not(None),
        )
    ):
        if theirs.get((one, two), local_id) != local_id:
            raise PullRefused(
                f"The centre's {WHAT[table.name]} {one} ({two}) has the same {first} as one "
                f"made at this branch for {two}: rename this branch's own (or ask head office "
                "to), then sync again. Nothing was received."
            )


def _adopt_copies(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], pulled: central.PulledRows
) -> list[str]:
    """This branch's own copies of the centre's rows take the centre's ids, with every
    reference to them (a copy of a campaign: its impressions, invoices and promotion
    links), before the centre's rows are stored over them; nothing of the branch's history
    is lost. A copy is this branch's own row with the same natural key (a sponsor's legal
    name, a campaign's code) or, for a campaign, sponsoring one of the promotions the
    centre's campaign sponsors (a promotion has one sponsor). Returns the natural keys of
    the copies adopted."""
    key = ADOPTED[table.name]
    theirs = {row["id"]: row for row in rows}
    by_key = {row[key]: row["id"] for row in rows}
    copies: dict[uuid.UUID, uuid.UUID] = {}
    own = table.c.branch_id.is_not(None)
    for value, local_id in session.execute(
        select(table.c[key], table.c.id).where(table.c[key].in_(list(by_key)), own)
    ):
        if local_id != by_key[value]:
            copies[local_id] = by_key[value]
    if table.name == "sponsored_campaigns":
        links = Base.metadata.tables[LINKS]
        sponsored = {
            link["promotion_id"]: link["campaign_id"]
            for link in pulled.rows.get(LINKS, ())
            if link["campaign_id"] in theirs
        }
        for promotion, local_id in session.execute(
            select(links.c.promotion_id, links.c.campaign_id)
            .join(table, table.c.id == links.c.campaign_id)
            .where(links.c.promotion_id.in_(list(sponsored)), own)
        ):
            centre_id = sponsored[promotion]
            if local_id != centre_id and copies.setdefault(local_id, centre_id) != centre_id:
                raise PullRefused(
                    f"This branch's own sponsored campaign sponsors promotions of two of the "
                    f"centre's campaigns ({theirs[copies[local_id]][key]} and "
                    f"{theirs[centre_id][key]}): ask head office which one it is. Nothing "
                    "was received."
                )
    if not copies:
        return []
    if len(set(copies.values())) < len(copies):
        raise PullRefused(
            f"This branch has more than one copy of the centre's {WHAT[table.name]}s "
            f"{', '.join(sorted({theirs[c][key] for c in copies.values()}))}: ask head office "
            "which one is theirs. Nothing was received."
        )
    present = set(session.scalars(select(table.c.id).where(table.c.id.in_(list(theirs)))))
    for centre_id in set(copies.values()) & present:
        raise PullRefused(
            f"The centre's {WHAT[table.name]} {theirs[centre_id][key]} is here already, and "
            "so is this branch's own copy of it: ask head office. Nothing was received."
        )
    # The references move with the row; SQLite checks them when the pull commits.
    session.execute(text("PRAGMA defer_foreign_keys = ON"))
    adopted = []
    for local_id, centre_id in copies.items():
        _rekey(session, table, local_id, centre_id)
        adopted.append(theirs[centre_id][key])
        if table.name == "sponsored_campaigns":
            _drop_other_links(session, centre_id, pulled)
    return sorted(adopted)


def _rekey(session: Session, table: Table, old: uuid.UUID, new: uuid.UUID) -> None:
    """Give a row another id, and every reference to it in this database."""
    for other in Base.metadata.sorted_tables:
        for foreign in other.foreign_keys:
            if foreign.column.table is table:
                session.execute(
                    update(other).where(foreign.parent == old).values({foreign.parent.name: new})
                )
    session.execute(update(table).where(table.c.id == old).values(id=new))


def _drop_other_links(session: Session, campaign_id: uuid.UUID, pulled: central.PulledRows) -> None:
    """An adopted copy sponsors what the centre's campaign sponsors, no more (its
    impressions of another promotion stay, as history)."""
    theirs = [
        link["promotion_id"]
        for link in pulled.rows.get(LINKS, ())
        if link["campaign_id"] == campaign_id
    ]
    if theirs:
        links = Base.metadata.tables[LINKS]
        session.execute(
            delete(links).where(
                links.c.campaign_id == campaign_id, links.c.promotion_id.not_in(theirs)
            )
        )


def _move_links(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """A promotion the centre sponsors by another of its campaigns than before leaves the
    old one here too (a promotion has one sponsor). One this branch's own campaign
    sponsors refuses the pull (its copies were adopted before)."""
    campaigns = Base.metadata.tables["sponsored_campaigns"]
    theirs = {row["promotion_id"]: row["campaign_id"] for row in rows}
    for promotion, campaign_id, branch, code in session.execute(
        select(
            table.c.promotion_id,
            table.c.campaign_id,
            campaigns.c.branch_id,
            campaigns.c.campaign_code,
        )
        .join(campaigns, campaigns.c.id == table.c.campaign_id)
        .where(table.c.promotion_id.in_(list(theirs)))
    ):
        if campaign_id == theirs[promotion]:
            continue
        if branch is not None:
            raise PullRefused(
                f"This branch's own sponsored campaign {code} sponsors a promotion the "
                "centre's campaign sponsors: ask head office. Nothing was received."
            )
        session.execute(
            delete(table).where(
                table.c.campaign_id == campaign_id, table.c.promotion_id == promotion
            )
        )


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    statement = sqlite_insert(table)
    keys = list(table.primary_key.columns)
    columns = [c for c in rows[0] if c not in {key.name for key in keys}]
    if not columns:  # a link (campaign, promotion): nothing but its key
        session.execute(statement.on_conflict_do_nothing(index_elements=keys), rows)
        return
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={column: statement.excluded[column] for column in columns},
    )
    session.execute(statement, rows)
