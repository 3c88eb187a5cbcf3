"""The centre: the central PostgreSQL every branch pushes to (DESIGN.md, Sync).

The centre is built by the same Alembic migrations as a branch (db.migrate), plus the tables
here, which exist on the centre only and are kept out of the branch's models and migrations:

- `sync_branches`: which database role is which branch (one role per branch);
- `central_documents`: every document a branch pushed, keyed by its type and UUID, with the
  branch's outbox id and creation time and the centre's own receive time (a trigger stamps
  it: no branch chooses it);
- `sync_ledger`: each branch's last pushed outbox id and when the centre received it;
- `central_meta`: the version of these tables (CENTRAL_SCHEMA);
- `central_usage`: every promotion use of every branch (one row per use, unique per
  promotion and invoice, `reversed` once a cancellation or credit note gave it back). A
  promotion's uses across the chain are the count of its live rows (`sync_use_totals()`,
  which every branch may call; the rows themselves it sees only for its own branch);
  likewise a sponsored promotion's charged impressions across the chain, counted from the
  pushed `sponsor_impression` documents (`sync_impression_totals()`, version 9);
- `sync_branch_state`: what each branch said of itself at the end of its last round
  (documents pending, refused and waiting for attention, its clock's offset), for the head
  office's view of the branches (`branch_states`);
- `central_visits`: one row per pushed invoice with what the head office's dashboard
  reads, and `central_promotion_uses` one per promotion an invoice applied (its campaign
  figures); db.central_dashboard fills both from the documents; no branch role reads them.

What the centre owns and branches pull (PULLED) lives in the ordinary tables the
migrations make; on the centre each of them carries `sync_xid`, the id of the transaction
that last wrote the row (`pg_current_xact_id()`, set by a trigger). A pull serves rows from
the branch's cursor up to the snapshot's xmin (`pull_rows`), so a row whose transaction
began early and committed late waits for the next pull instead of being skipped.

Row-level security lets a branch's role insert only rows with its own branch id and read
only its own rows; it is granted nothing else but what the centre publishes (PUBLISHED).
Everything here is PostgreSQL-only SQL, run by `frontdesk central init|add-branch` and by a
branch's push (services.sync).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from domain.branch import BranchDetails

# The version of the centre-only tables below; a branch refuses a centre on another one.
CENTRAL_SCHEMA = 13

INSUFFICIENT_PRIVILEGE = "42501"
NUMBER_INDEX = "uq_central_documents_number"

# Documents that never change once written: a second push of one stores nothing.
IMMUTABLE = frozenset(
    {
        "invoice",
        "invoice_cancellation",
        "payment",
        "payment_allocation",
        "credit_note",
        "cash_movement",
        "patient_merge",
    }
)

# What the centre publishes to every branch (read-only): the master data it will own.
PUBLISHED = (
    "alembic_version",
    "central_meta",
    "catalog_items",
    "catalog_prices",
    "promotion_campaigns",
    "promo_codes",
    "app_settings",  # its CENTRE_SETTINGS rows only (a policy hides the rest)
    "users",  # the staff published to every branch only (chain_wide set; version 11)
    # The head office's sponsors and sponsored campaigns (version 12). These tables hold the
    # head office's rows only: a branch's own sponsors, campaigns and impressions reach the
    # centre as documents (central_documents, row-level security), never as rows here, so
    # the grant alone shows a branch nothing of another branch's.
    "sponsors",
    "sponsored_campaigns",
    "sponsored_campaign_promotions",
    "message_templates",  # likewise the head office's template library (version 12)
    # Likewise the head office's messaging campaigns and their triggers (version 13): each
    # branch runs one for its own patients and pushes its run as a document of its own.
    "campaigns",
    "campaign_triggers",
)

# What the centre owns and every branch pulls, parents before children (DESIGN.md, Sync).
PULLED = (
    "users",
    "catalog_items",
    "catalog_prices",
    "promotion_campaigns",
    "promo_codes",
    "app_settings",
    "sponsors",
    "sponsored_campaigns",
    "sponsored_campaign_promotions",
    "message_templates",
    "campaigns",  # after the templates, promotions and codes they name
    "campaign_triggers",
)

# The settings the head office sets for every branch (version 11): the payment methods and
# the default credit limit, and the campaign sending rules (frequency cap, windows). Once
# the centre has one, a branch receives it at each pull and no longer changes it itself
# (services.sync_pull.refuse_centre_setting); the others stay each branch's own.
CENTRE_SETTINGS = ("payment_methods", "sending_rules")

metadata = MetaData()

central_meta = Table(
    "central_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

sync_branches = Table(
    "sync_branches",
    metadata,
    Column("branch_id", UUID(as_uuid=True), primary_key=True),
    Column("code", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False, unique=True),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

central_documents = Table(
    "central_documents",
    metadata,
    Column("doc_type", Text, primary_key=True),
    Column("id", UUID(as_uuid=True), primary_key=True),
    # No foreign key to sync_branches: row-level security already pins a branch's rows to
    # its own id (the WITH CHECK below), and the key's lookup cost ~13% of every insert.
    Column("branch_id", UUID(as_uuid=True), nullable=False),
    Column("doc_version", Integer, nullable=False),
    Column("outbox_id", BigInteger, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A numbered document's number in its GSTIN (or branch) and fiscal year, which GST's
    # rule 46 makes unique across every branch that shares the GSTIN.
    Column("unique_key", Text),
    CheckConstraint("jsonb_typeof(payload) = 'object'", name="ck_central_documents_object"),
    Index(NUMBER_INDEX, "doc_type", "unique_key", unique=True),
    CheckConstraint("doc_version >= 1", name="ck_central_documents_version"),
)

sync_ledger = Table(
    "sync_ledger",
    metadata,
    Column(
        "branch_id", UUID(as_uuid=True), ForeignKey(sync_branches.c.branch_id), primary_key=True
    ),
    Column("last_outbox_id", BigInteger, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

central_usage = Table(
    "central_usage",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("branch_id", UUID(as_uuid=True), nullable=False),  # pinned by RLS, as documents'
    Column("campaign_id", UUID(as_uuid=True), nullable=False),
    Column("promo_code_id", UUID(as_uuid=True)),
    Column("invoice_id", UUID(as_uuid=True), nullable=False),
    Column("reversed", Boolean, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("uq_central_usage_use", "campaign_id", "invoice_id", unique=True),
)

sync_branch_state = Table(
    "sync_branch_state",
    metadata,
    Column(
        "branch_id", UUID(as_uuid=True), ForeignKey(sync_branches.c.branch_id), primary_key=True
    ),
    Column("pending", Integer, nullable=False),
    Column("needs_attention", Integer, nullable=False),
    # The branch's clock minus the centre's at the start of the round, in seconds.
    Column("clock_offset_s", Integer),
    # The branch's details as it last reported them, for the head office's GST summary
    # (its GSTIN and home state) and takings (its business dates are in its time zone).
    Column("name", Text),
    Column("gstin", Text),
    Column("state_code", Text),
    Column("timezone", Text),
    # Stamped by the centre (sync_stamp_received), as every arrival.
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

central_visits = Table(
    "central_visits",
    metadata,
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("branch_id", UUID(as_uuid=True), nullable=False),
    # The chain's customer: md5 of "mobile|name key" as a UUID (db.central_dashboard).
    Column("customer", UUID(as_uuid=True), nullable=False),
    Column("mobile", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("invoice_date", Date, nullable=False),
    # Paise: the invoice's gross less its discounts, and what its lines cost.
    Column("net", BigInteger, nullable=False),
    Column("units", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Index("ix_central_visits_date", "invoice_date"),
    Index("ix_central_visits_customer", "customer"),
)

central_promotion_uses = Table(
    "central_promotion_uses",
    metadata,
    Column("invoice_id", UUID(as_uuid=True), primary_key=True),
    Column("promotion_id", UUID(as_uuid=True), primary_key=True),
    Column("branch_id", UUID(as_uuid=True), nullable=False),
    Column("campaign_code", Text, nullable=False),
    Column("campaign_name", Text, nullable=False),
    Column("promotion_type", Text, nullable=False),
    # Paise.
    Column("discount", BigInteger, nullable=False),
    Column("customer", UUID(as_uuid=True), nullable=False),
    Column("mobile", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Index("ix_central_promotion_uses_date", "invoice_date"),
)

# Run after the tables exist; each statement may run again (init is idempotent).
_SECURITY = [
    # The branch the connected role stands for (NULL for anyone else, who then sees nothing).
    """
    CREATE OR REPLACE FUNCTION sync_branch_id() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS
    $$ SELECT branch_id FROM public.sync_branches WHERE role = session_user $$
    """,
    # The centre's clock, never the branch's, says when a document arrived.
    """
    CREATE OR REPLACE FUNCTION sync_stamp_received() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN NEW.received_at := now(); RETURN NEW; END $$
    """,
    "DROP TRIGGER IF EXISTS stamp_received ON central_documents",
    "CREATE TRIGGER stamp_received BEFORE INSERT OR UPDATE ON central_documents "
    "FOR EACH ROW EXECUTE FUNCTION sync_stamp_received()",
    "DROP TRIGGER IF EXISTS stamp_received ON sync_ledger",
    "CREATE TRIGGER stamp_received BEFORE INSERT OR UPDATE ON sync_ledger "
    "FOR EACH ROW EXECUTE FUNCTION sync_stamp_received()",
    "ALTER TABLE central_documents ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE sync_ledger ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_branch ON central_documents",
    "CREATE POLICY own_branch ON central_documents FOR ALL "
    "USING (branch_id = (SELECT sync_branch_id())) "
    "WITH CHECK (branch_id = (SELECT sync_branch_id()))",
    "DROP POLICY IF EXISTS own_branch ON sync_ledger",
    "CREATE POLICY own_branch ON sync_ledger FOR ALL "
    "USING (branch_id = (SELECT sync_branch_id())) "
    "WITH CHECK (branch_id = (SELECT sync_branch_id()))",
    "REVOKE ALL ON FUNCTION sync_branch_id() FROM PUBLIC",
    "DROP TRIGGER IF EXISTS stamp_received ON sync_branch_state",
    "CREATE TRIGGER stamp_received BEFORE INSERT OR UPDATE ON sync_branch_state "
    "FOR EACH ROW EXECUTE FUNCTION sync_stamp_received()",
    "ALTER TABLE sync_branch_state ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_branch ON sync_branch_state",
    "CREATE POLICY own_branch ON sync_branch_state FOR ALL "
    "USING (branch_id = (SELECT sync_branch_id())) "
    "WITH CHECK (branch_id = (SELECT sync_branch_id()))",
    "DROP TRIGGER IF EXISTS stamp_received ON central_usage",
    "CREATE TRIGGER stamp_received BEFORE INSERT OR UPDATE ON central_usage "
    "FOR EACH ROW EXECUTE FUNCTION sync_stamp_received()",
    "ALTER TABLE central_usage ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_branch ON central_usage",
    "CREATE POLICY own_branch ON central_usage FOR ALL "
    "USING (branch_id = (SELECT sync_branch_id())) "
    "WITH CHECK (branch_id = (SELECT sync_branch_id()))",
    # Uses across the chain: every branch's live rows, counted for any branch that asks.
    """
    CREATE OR REPLACE FUNCTION sync_use_totals()
    RETURNS TABLE (kind text, target_id uuid, uses bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT 'promotion', campaign_id, count(*) FROM public.central_usage
        WHERE NOT reversed GROUP BY campaign_id
        UNION ALL
        SELECT 'code', promo_code_id, count(*) FROM public.central_usage
        WHERE NOT reversed AND promo_code_id IS NOT NULL GROUP BY promo_code_id
    $$
    """,
    # Charged sponsored impressions across the chain per promotion (issue #17, rule 11),
    # and how many of them are the asking branch's own.
    """
    CREATE OR REPLACE FUNCTION sync_impression_totals()
    RETURNS TABLE (promotion_id uuid, charged bigint, own bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT CAST(payload->>'promotion_id' AS uuid), count(*),
               count(*) FILTER (WHERE branch_id = (SELECT public.sync_branch_id()))
        FROM public.central_documents
        WHERE doc_type = 'sponsor_impression' AND CAST(payload->>'charged' AS boolean)
        GROUP BY 1
    $$
    """,
    # Pull: every write of what the centre owns is stamped with its transaction's id.
    """
    CREATE OR REPLACE FUNCTION sync_stamp_xid() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN NEW.sync_xid := pg_current_xact_id(); RETURN NEW; END $$
    """,
]
# The head office's readings take in the documents pushed since the last one by the same
# cursor as a pull (db.central_dashboard.catch_up); a column default, no trigger, so a push
# pays nothing for it.
_SECURITY += [
    "ALTER TABLE central_documents ADD COLUMN IF NOT EXISTS sync_xid xid8 NOT NULL "
    "DEFAULT pg_current_xact_id()",
    "CREATE INDEX IF NOT EXISTS ix_central_documents_sync_xid ON central_documents (sync_xid)",
]
# Version 10: a centre built earlier drops the pushed rows' foreign keys to sync_branches.
_SECURITY += [
    f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_branch_id_fkey"
    for table in ("central_documents", "central_usage")
]
# Version 8: what a branch reports of itself carries its details (a centre of version 7
# gains the columns, empty until each branch's next round).
_SECURITY += [
    f"ALTER TABLE sync_branch_state ADD COLUMN IF NOT EXISTS {column} text"
    for column in ("name", "gstin", "state_code", "timezone")
]
# Version 11: the centre's settings for every branch, and only those, readable by a branch;
# likewise its staff who work at every branch.
_CENTRE_KEYS = ", ".join(f"'{key}'" for key in CENTRE_SETTINGS)
_SECURITY += [
    "ALTER TABLE app_settings ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS centre_settings ON app_settings",
    f"CREATE POLICY centre_settings ON app_settings FOR SELECT USING (key IN ({_CENTRE_KEYS}))",
    # The head office's staff who work at every branch (and those withdrawn since, so that
    # every branch stops them): their PIN's hash too, for signing in offline.
    "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS published_staff ON users",
    "CREATE POLICY published_staff ON users FOR SELECT USING (chain_wide IS NOT NULL)",
]
for _table in PULLED:
    _SECURITY += [
        f"ALTER TABLE {_table} ADD COLUMN IF NOT EXISTS sync_xid xid8 NOT NULL "
        "DEFAULT pg_current_xact_id()",
        f"CREATE INDEX IF NOT EXISTS ix_{_table}_sync_xid ON {_table} (sync_xid)",
        f"DROP TRIGGER IF EXISTS stamp_xid ON {_table}",
        f"CREATE TRIGGER stamp_xid BEFORE INSERT OR UPDATE ON {_table} "
        "FOR EACH ROW EXECUTE FUNCTION sync_stamp_xid()",
    ]


def create_central_tables(connection: Connection) -> None:
    """The centre-only tables, their triggers and row-level security (idempotent)."""
    metadata.create_all(connection, checkfirst=True)
    for statement in _SECURITY:
        connection.execute(text(statement))
    connection.execute(
        pg_insert(central_meta)
        .values(key="schema", value=str(CENTRAL_SCHEMA))
        .on_conflict_do_update(index_elements=["key"], set_={"value": str(CENTRAL_SCHEMA)})
    )
    # Branch roles made before a table was published may read it now.
    for (role,) in connection.execute(
        text("SELECT b.role FROM sync_branches AS b JOIN pg_roles AS r ON r.rolname = b.role")
    ):
        quoted = connection.dialect.identifier_preparer.quote(role)
        for table in PUBLISHED:
            connection.execute(text(f"GRANT SELECT ON {table} TO {quoted}"))


def central_schema(connection: Connection) -> int | None:
    """The centre-only tables' version, or None when the database is not a centre."""
    exists = connection.execute(text("SELECT to_regclass('central_meta') IS NOT NULL")).scalar()
    if not exists:
        return None
    value = connection.execute(
        select(central_meta.c.value).where(central_meta.c.key == "schema")
    ).scalar()
    return None if value is None else int(value)


def alembic_revision(connection: Connection) -> str | None:
    exists = connection.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
    if not exists:
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def role_name(database: str, code: str) -> str:
    """One role per branch and centre database (roles are shared by a PostgreSQL cluster,
    which may hold several centres): `<database>_<code>` in lower case, 63 bytes at most."""
    return f"{database}_{code}".lower()[:63]


def add_branch_role(
    connection: Connection, *, branch_id: uuid.UUID, code: str, password: str
) -> str:
    """Create (or, run again, re-key) the role of branch `code` and grant it what a branch
    may do; return the role's name. The connection must be allowed to create roles."""
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    role = role_name(database, code)
    quoted = connection.dialect.identifier_preparer.quote(role)
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).scalar()
    verb = "ALTER" if exists else "CREATE"
    # A role's password cannot be a bound parameter; quote it as a literal.
    literal = connection.exec_driver_sql("SELECT quote_literal(%s)", (password,)).scalar_one()
    connection.execute(
        text(
            f"{verb} ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS "
            f"NOINHERIT PASSWORD {literal}"
        )
    )
    connection.execute(
        pg_insert(sync_branches)
        .values(branch_id=branch_id, code=code, role=role)
        .on_conflict_do_update(index_elements=["branch_id"], set_={"code": code, "role": role})
    )
    database_quoted = connection.dialect.identifier_preparer.quote(database)
    for grant in (
        f"GRANT CONNECT ON DATABASE {database_quoted} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE ON central_documents, sync_ledger, central_usage, "
        f"sync_branch_state TO {quoted}",
        f"GRANT EXECUTE ON FUNCTION sync_branch_id() TO {quoted}",
        f"GRANT EXECUTE ON FUNCTION sync_use_totals() TO {quoted}",
        f"GRANT EXECUTE ON FUNCTION sync_impression_totals() TO {quoted}",
    ):
        connection.execute(text(grant))
    for table in PUBLISHED:
        connection.execute(text(f"GRANT SELECT ON {table} TO {quoted}"))
    return role


def drop_branch_roles(connection: Connection) -> list[str]:
    """Drop every branch role of this centre (what `add_branch_role` made); for tests and
    for taking a centre down."""
    roles = list(connection.execute(select(sync_branches.c.role)).scalars())
    for role in roles:
        quoted = connection.dialect.identifier_preparer.quote(role)
        connection.execute(text(f"DROP OWNED BY {quoted}"))
        connection.execute(text(f"DROP ROLE IF EXISTS {quoted}"))
    return roles


# ---------------------------------------------------------------------------- push


@dataclass(frozen=True)
class OutgoingDocument:
    """One outbox row on its way to the centre. The document travels as the JSON text the
    branch stored (`payload_json`), never decoded and encoded again on the way; `payload`
    decodes it for what reads it (the numbering of invoices and credit notes)."""

    outbox_id: int
    doc_type: str
    doc_id: uuid.UUID
    doc_version: int
    payload_json: str
    created_at: datetime
    # Set for a numbered document (see central_documents.unique_key).
    unique_key: str | None = None
    # A few top-level values of the payload read where it is stored (db.outbox.next_batch:
    # those the numbering reads), so that it need not be decoded for them.
    heads: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.payload_json)
        return decoded

    @cached_property
    def wire(self) -> str:
        """The document as an element of the batch's JSON array (_batch_json), its payload
        spliced in as the text the branch stored (decoding and encoding it again cost more
        than the push)."""
        return (
            f'{{"doc_type":{json.dumps(self.doc_type)},"id":"{self.doc_id}",'
            f'"doc_version":{int(self.doc_version)},"outbox_id":{int(self.outbox_id)},'
            f'"created_at":"{self.created_at.isoformat()}",'
            f'"unique_key":{json.dumps(self.unique_key)},"payload":{self.payload_json}}}'
        )


@dataclass(frozen=True)
class BatchOutcome:
    """What the centre made of a batch: the outbox ids it holds as this branch's own, and
    the ones it refused with the reason."""

    accepted: list[int]
    rejected: dict[int, str]


# The batch travels as one JSON array, unpacked by PostgreSQL: one statement and one round
# trip per kind of document, whatever the batch's size.
_ROWS = """
    SELECT r.doc_type, r.id, CAST(:branch_id AS uuid), r.doc_version, r.outbox_id, r.payload,
           r.created_at, r.unique_key
    FROM jsonb_to_recordset(CAST(:batch AS jsonb)) AS r(
        doc_type text, id uuid, doc_version integer, outbox_id bigint, payload jsonb,
        created_at timestamptz, unique_key text)
"""
_COLUMNS = "(doc_type, id, branch_id, doc_version, outbox_id, payload, created_at, unique_key)"
# Only the same document again is skipped: a number another branch already used under the
# same GSTIN and year is an error, refused with its reason.
_INSERT_FIXED = text(
    f"INSERT INTO central_documents {_COLUMNS} {_ROWS} ON CONFLICT (doc_type, id) DO NOTHING"
)
# A changing document keeps the latest version the branch wrote (by outbox id).
_UPSERT_CHANGING = text(
    f"INSERT INTO central_documents {_COLUMNS} {_ROWS} ON CONFLICT (doc_type, id) DO UPDATE "
    "SET doc_version = excluded.doc_version, outbox_id = excluded.outbox_id, "
    "payload = excluded.payload, created_at = excluded.created_at "
    "WHERE central_documents.outbox_id < excluded.outbox_id"
)


# Which of the batch's documents this branch can see on the centre (two arrays, not a long
# list of parameters).
_PRESENT = text(
    "SELECT d.doc_type, d.id FROM central_documents AS d "
    "JOIN unnest(CAST(:types AS text[]), CAST(:ids AS uuid[])) AS k(doc_type, id) "
    "ON d.doc_type = k.doc_type AND d.id = k.id"
)


def _batch_json(batch: Sequence[OutgoingDocument]) -> str:
    """The batch as one JSON array (OutgoingDocument.wire)."""
    return "[" + ",".join(d.wire for d in batch) + "]"


def _store(
    connection: Connection, branch_id: uuid.UUID, batch: Sequence[OutgoingDocument]
) -> list[OutgoingDocument]:
    """Insert the batch: a document that never changes is stored once (`DO NOTHING`); one
    that changes keeps the latest version the branch wrote. Returns the documents not known
    to be written now: all of a statement's when it wrote fewer rows than it was given
    (some were there already, as this branch's own or as another's)."""
    fixed = [d for d in batch if d.doc_type in IMMUTABLE]
    changing = [d for d in batch if d.doc_type not in IMMUTABLE]
    unconfirmed: list[OutgoingDocument] = []
    for statement, documents in ((_INSERT_FIXED, fixed), (_UPSERT_CHANGING, changing)):
        if documents:
            result = connection.execute(
                statement, {"branch_id": str(branch_id), "batch": _batch_json(documents)}
            )
            if result.rowcount != len(documents):
                unconfirmed.extend(documents)
    return unconfirmed


def _reason(error: DBAPIError, document: OutgoingDocument) -> str:
    original = error.orig
    diagnostic = getattr(original, "diag", None)
    if getattr(diagnostic, "constraint_name", None) == NUMBER_INDEX and document.unique_key:
        issuer, year, number = document.unique_key.split("|", 2)
        return (
            f"number {number} is already used in {year} under {issuer} by another branch's "
            f"{document.doc_type}: give the branches distinct number formats (with the branch "
            "code)"
        )
    primary = getattr(diagnostic, "message_primary", None)
    detail = getattr(diagnostic, "message_detail", None)
    if primary is None:
        return str(original).strip().splitlines()[0]
    return f"{primary} ({detail})" if detail else str(primary)


def is_rejection(error: DBAPIError) -> bool:
    """A refusal of the data (a constraint, a bad value, a policy: SQLSTATE classes 22, 23
    and a row-level security refusal) rather than a failure of the connection or the server."""
    state = getattr(error.orig, "sqlstate", None) or ""
    return state[:2] in {"22", "23"} or state == INSUFFICIENT_PRIVILEGE


def push_batch(
    connection: Connection, branch_id: uuid.UUID, batch: Sequence[OutgoingDocument]
) -> BatchOutcome:
    """Store `batch` on the centre inside the caller's transaction, check that each document
    is there as this branch's own, and move the branch's ledger on. The caller commits.

    Later versions of one changing document in the same batch supersede the earlier ones.
    A document the centre refuses is left out and reported; it does not stop the others.
    """
    # Only a changing document can come twice (a later version written before the push).
    fixed = [d for d in batch if d.doc_type in IMMUTABLE]
    latest: dict[tuple[str, uuid.UUID], OutgoingDocument] = {}
    for document in batch:
        if document.doc_type not in IMMUTABLE:
            latest[(document.doc_type, document.doc_id)] = document
    unique = fixed + list(latest.values()) if latest else fixed
    rejected: dict[int, str] = {}
    try:
        with connection.begin_nested():
            unconfirmed = _store(connection, branch_id, unique)
    except DBAPIError as error:
        if not is_rejection(error):
            raise
        # One of them is refused: store them one by one to learn which.
        unconfirmed = []
        for document in unique:
            try:
                with connection.begin_nested():
                    unconfirmed += _store(connection, branch_id, [document])
            except DBAPIError as single:
                if not is_rejection(single):
                    raise
                rejected[document.outbox_id] = _reason(single, document)
    _move_ledger(connection, branch_id, max(d.outbox_id for d in batch))
    # A statement that wrote a row for each of its documents needs no second look (the usual
    # case: nothing more is asked of the documents, 30,000 of which cost a tenth of a second
    # to key). Otherwise some were there already: as this branch's own (the same batch sent
    # again) or as another branch's, which DO NOTHING skipped and row-level security hides.
    if not unconfirmed and not rejected:
        return BatchOutcome(accepted=[d.outbox_id for d in batch], rejected={})
    keys = [(d.doc_type, d.doc_id) for d in unconfirmed if d.outbox_id not in rejected]
    present = {(d.doc_type, d.doc_id) for d in unique} - set(keys)
    if keys:
        present |= {
            (row.doc_type, row.id)
            for row in connection.execute(
                _PRESENT,
                {"types": [k[0] for k in keys], "ids": [str(k[1]) for k in keys]},
            )
        }
    for document in unique:
        if document.outbox_id not in rejected and (document.doc_type, document.doc_id) not in (
            present
        ):
            rejected[document.outbox_id] = (
                f"the centre holds another branch's {document.doc_type} with this id"
            )
    accepted: list[int] = []
    for document in batch:
        stored = latest.get((document.doc_type, document.doc_id), document)
        reason = rejected.get(stored.outbox_id)
        if reason is None:
            accepted.append(document.outbox_id)
        else:
            rejected[document.outbox_id] = reason
    return BatchOutcome(accepted=accepted, rejected=rejected)


def _move_ledger(connection: Connection, branch_id: uuid.UUID, last: int) -> None:
    """Record `last` as the branch's last pushed outbox id (never moving it back)."""
    statement = pg_insert(sync_ledger).values(branch_id=branch_id, last_outbox_id=last)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["branch_id"],
            set_={"last_outbox_id": func.greatest(sync_ledger.c.last_outbox_id, last)},
        )
    )


def ledger(connection: Connection, branch_id: uuid.UUID) -> int | None:
    """The branch's last pushed outbox id as the centre recorded it."""
    return connection.execute(
        select(sync_ledger.c.last_outbox_id).where(sync_ledger.c.branch_id == branch_id)
    ).scalar()


def try_lock(connection: Connection, branch_id: uuid.UUID) -> bool:
    """Take the branch's sync lock on the centre for this connection's session."""
    return bool(
        connection.execute(
            text("SELECT pg_try_advisory_lock(hashtext('frontdesk-sync'), hashtext(:branch))"),
            {"branch": str(branch_id)},
        ).scalar()
    )


def unlock(connection: Connection, branch_id: uuid.UUID) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(hashtext('frontdesk-sync'), hashtext(:branch))"),
        {"branch": str(branch_id)},
    )


def centre_clock(connection: Connection) -> datetime:
    value: datetime = connection.execute(text("SELECT now()")).scalar_one()
    return value


# ---------------------------------------------------------------------------- pull


@dataclass(frozen=True)
class PulledRows:
    """What one pull read: the rows written by transactions from the cursor up to (not
    including) `xmin`, per table in PULLED order, and `xmin`, the branch's next cursor."""

    xmin: int
    rows: dict[str, list[dict[str, Any]]]
    # Live uses across the chain, per promotion and per promo code (sync_use_totals()).
    promotion_uses: dict[uuid.UUID, int] = field(default_factory=dict)
    code_uses: dict[uuid.UUID, int] = field(default_factory=dict)
    # Charged sponsored impressions across the chain per promotion, and how many of them
    # are this branch's (sync_impression_totals()).
    impressions: dict[uuid.UUID, tuple[int, int]] = field(default_factory=dict)


_BELOW_XMIN = text(
    "sync_xid >= CAST(CAST(:cursor AS text) AS xid8) AND sync_xid < CAST(CAST(:xmin AS text) AS xid8)"
)


def pull_rows(connection: Connection, tables: Sequence[Table], cursor: int) -> PulledRows:
    """Read what changed since `cursor` in `tables` (the branch's own models of PULLED).

    Run inside one REPEATABLE READ transaction, so that the xmin and the rows come from the
    same snapshot. Every transaction whose id is below the snapshot's xmin has ended, so
    nothing below it can still appear; a transaction at or above it (still open, or ended
    after an older one still open) is read at a later pull, whose xmin has passed it.
    """
    xmin = int(
        connection.execute(
            text("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")
        ).scalar_one()
    )
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        statement = select(*table.c).where(_BELOW_XMIN)
        # The owner reads past the policies: ask for what they publish.
        if table.name == "app_settings":
            statement = statement.where(table.c.key.in_(CENTRE_SETTINGS))
        if table.name == "users":
            statement = statement.where(table.c.chain_wide.is_not(None))
        statement = statement.order_by(text("sync_xid"), *table.primary_key.columns)
        result = connection.execute(statement, {"cursor": str(cursor), "xmin": str(xmin)})
        rows[table.name] = [dict(row._mapping) for row in result]
    totals: dict[str, dict[uuid.UUID, int]] = {"promotion": {}, "code": {}}
    for kind, target, uses in connection.execute(text("SELECT * FROM sync_use_totals()")):
        totals[kind][target] = int(uses)
    impressions = {
        promotion: (int(charged), int(own))
        for promotion, charged, own in connection.execute(
            text("SELECT * FROM sync_impression_totals()")
        )
    }
    return PulledRows(
        xmin=xmin,
        rows=rows,
        promotion_uses=totals["promotion"],
        code_uses=totals["code"],
        impressions=impressions,
    )


# ---------------------------------------------------------------------------- uses


@dataclass(frozen=True)
class OutgoingUse:
    """One promotion use of this branch, in its current state."""

    id: uuid.UUID
    campaign_id: uuid.UUID
    promo_code_id: uuid.UUID | None
    invoice_id: uuid.UUID
    reversed: bool


_USES = (
    "FROM jsonb_to_recordset(CAST(:uses AS jsonb)) AS r(id uuid, campaign_id uuid, "
    "promo_code_id uuid, invoice_id uuid, reversed boolean)"
)
# A use sent before changes only by being given back. Row-level security limits the update
# to this branch's own rows, and the insert skips any use the centre already holds (one of
# this branch's, or an id or invoice another branch took, as a copied database would), so a
# clash never fails the round.
_UPDATE_USES = text(
    f"UPDATE central_usage AS u SET reversed = r.reversed {_USES} "
    "WHERE u.id = r.id AND u.reversed IS DISTINCT FROM r.reversed"
)
_INSERT_USES = text(
    "INSERT INTO central_usage (id, branch_id, campaign_id, promo_code_id, invoice_id, reversed) "
    "SELECT r.id, CAST(:branch_id AS uuid), r.campaign_id, r.promo_code_id, r.invoice_id, "
    f"r.reversed {_USES} ON CONFLICT DO NOTHING"
)


def push_uses(connection: Connection, branch_id: uuid.UUID, uses: Sequence[OutgoingUse]) -> None:
    """Store this branch's uses (new ones, and reversals of ones sent before) inside the
    caller's transaction; sent twice, they are stored once."""
    payload = json.dumps(
        [
            {
                "id": str(u.id),
                "campaign_id": str(u.campaign_id),
                "promo_code_id": None if u.promo_code_id is None else str(u.promo_code_id),
                "invoice_id": str(u.invoice_id),
                "reversed": u.reversed,
            }
            for u in uses
        ]
    )
    parameters = {"branch_id": str(branch_id), "uses": payload}
    connection.execute(_UPDATE_USES, parameters)
    connection.execute(_INSERT_USES, parameters)


def chain_promotion_uses(connection: Connection) -> dict[uuid.UUID, int]:
    """Every branch's live uses per promotion, as the centre holds them (the owner's
    connection)."""
    rows = connection.execute(
        text("SELECT campaign_id, count(*) FROM central_usage WHERE NOT reversed GROUP BY 1")
    )
    return {campaign: int(uses) for campaign, uses in rows}


def promotion_overruns(connection: Connection) -> dict[uuid.UUID, tuple[tuple[str, int], ...]]:
    """For each capped promotion used past its limit: which branches' uses came past it,
    in the order the centre received them (its own clock; uses of one batch by id), as
    (branch code, uses) by code. The head office's own uses, made on the centre, come first."""
    rows = connection.execute(
        text(
            "SELECT u.campaign_id, b.code, count(*) FROM (SELECT campaign_id, branch_id, "
            "row_number() OVER (PARTITION BY campaign_id ORDER BY received_at, id) AS n "
            "FROM central_usage WHERE NOT reversed) AS u "
            "JOIN promotion_campaigns AS p ON p.id = u.campaign_id "
            "JOIN sync_branches AS b ON b.branch_id = u.branch_id "
            "WHERE p.max_total_uses IS NOT NULL AND u.n + p.current_uses > p.max_total_uses "
            "GROUP BY u.campaign_id, b.code ORDER BY b.code"
        )
    )
    found: dict[uuid.UUID, list[tuple[str, int]]] = {}
    for campaign, code, uses in rows:
        found.setdefault(campaign, []).append((code, int(uses)))
    return {campaign: tuple(pairs) for campaign, pairs in found.items()}


# ---------------------------------------------------------------------------- branch states


def report_state(
    connection: Connection,
    branch_id: uuid.UUID,
    *,
    pending: int,
    needs_attention: int,
    clock_offset_s: int | None,
    details: BranchDetails | None = None,
) -> None:
    """Record what the branch says of itself at the end of a round (the caller commits)."""
    values: dict[str, Any] = {
        "branch_id": branch_id,
        "pending": pending,
        "needs_attention": needs_attention,
        "clock_offset_s": clock_offset_s,
    }
    if details is not None:
        values |= {
            "name": details.name,
            "gstin": details.gstin,
            "state_code": details.state_code or "",
            "timezone": details.timezone,
        }
    statement = pg_insert(sync_branch_state).values(**values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["branch_id"],
            set_={key: statement.excluded[key] for key in values if key != "branch_id"},
        )
    )


@dataclass(frozen=True)
class BranchState:
    """One branch as the head office sees it: its last push and what it last reported."""

    code: str
    branch_id: uuid.UUID
    last_push_at: datetime | None
    documents: int
    pending: int | None
    needs_attention: int | None
    clock_offset_s: int | None
    reported_at: datetime | None
    # The branch's name and time zone as it last reported them (None before it did).
    name: str | None = None
    timezone: str | None = None


def branch_states(connection: Connection) -> list[BranchState]:
    """Every branch of the centre (the owner's connection), by code."""
    rows = connection.execute(
        text(
            "SELECT b.code, b.branch_id, l.received_at AS last_push_at, "
            "(SELECT count(*) FROM central_documents AS d WHERE d.branch_id = b.branch_id) "
            "AS documents, s.pending, s.needs_attention, s.clock_offset_s, "
            "s.received_at AS reported_at, s.name, s.timezone FROM sync_branches AS b "
            "LEFT JOIN sync_ledger AS l ON l.branch_id = b.branch_id "
            "LEFT JOIN sync_branch_state AS s ON s.branch_id = b.branch_id ORDER BY b.code"
        )
    )
    return [BranchState(**row._mapping) for row in rows]
