"""Push and pull: this branch's outbox to the centre, the centre's master data back
(DESIGN.md, Sync; issue #15). Pull is services.sync_pull; a round pushes, then pulls.

One round (`sync_round`) sends the unsent outbox rows in order, in batches. Each batch is
one central transaction (db.central.push_batch): the documents are upserted, checked to be
there as this branch's own, and the branch's last pushed outbox id goes into the centre's
ledger. Only after that commit has answered are the rows marked sent here, so a round cut
short anywhere is simply repeated and stores nothing twice.

A document the centre refuses (a constraint, a bad payload) is set aside with the reason:
it needs attention (`needs_attention`) and does not hold back the documents behind it. A
network or server failure is retried with backoff, then the round fails and the rows stay
pending for the next one. One round per branch at a time: a lock file beside the database
and a PostgreSQL advisory lock keyed by the branch; a second round started meanwhile says
so and does nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from db import central, outbox, usage_sync
from db.engine import Database
from db.migrate import alembic_config, head_revision, known_revisions
from db.models import InvoiceHeader, SyncOutbox
from domain.errors import BadInput, Refused
from domain.fiscal import fiscal_year_label
from domain.log import db as log
from services import documents
from services.branch import get_branch, this_branch_id
from services.errors import NotFound
from services.invoice_document import load_invoice_document
from services.sync_pull import PullRefused, PullState
from services.sync_pull import pull as pull_from_centre
from services.uow import UnitOfWork

# Documents per central transaction. Each batch costs a commit on the centre and one here
# (marking its rows sent); 2,000 pushed 10,000 invoices with their payments in ~3.3 s
# where 500 took ~4.6 s (bench/sync_push.py). A refused document makes the batch be stored
# one document at a time to find it, so larger gains little more.
BATCH_SIZE = 2000
# A branch whose clock is further off the centre's than this is told so (DESIGN.md).
CLOCK_TOLERANCE = timedelta(minutes=5)
# Seconds to wait before each retry after a network or server failure.
BACKOFF = (1.0, 2.0, 4.0)
CONNECT_TIMEOUT_S = 10


class SyncFailed(Refused):
    """The round could not finish; the message says why and what to do."""


@dataclass(frozen=True)
class Attention:
    """A document the centre refused, and why."""

    outbox_id: int
    doc_type: str
    doc_id: uuid.UUID
    reason: str


@dataclass
class SyncResult:
    """What one round did."""

    pushed: int = 0
    rejected: list[Attention] = field(default_factory=list)
    pending: int = 0
    busy: bool = False
    retries: int = 0
    # Where this branch's pulls stand after the round (None: the round did not get there).
    pull: PullState | None = None
    # This computer's clock minus the centre's, read at the start of the round.
    clock_offset: timedelta | None = None

    @property
    def clock_warning(self) -> str | None:
        """A sentence when this computer's clock is more than CLOCK_TOLERANCE off."""
        offset = self.clock_offset
        if offset is None or abs(offset) <= CLOCK_TOLERANCE:
            return None
        minutes = round(abs(offset).total_seconds() / 60)
        side = "ahead of" if offset > timedelta(0) else "behind"
        amount = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
        return (
            f"This computer's clock is {amount} {side} the centre's: correct the date and "
            "time in the system settings (invoices are dated by it)."
        )

    def sentence(self) -> str:
        if self.busy:
            return "Another sync of this branch is running; this one did nothing."
        words = f"Sent {self.pushed} document(s) to the centre; {self.pending} pending."
        if self.rejected:
            words += f" {len(self.rejected)} refused by the centre need attention."
        if self.pull is not None:
            words += f" Received {self.pull.rows} change(s) from the centre."
        if self.clock_warning:
            words += f" {self.clock_warning}"
        return words


def central_engine(url: str) -> Engine:
    """An engine on the centre at `url` (a PostgreSQL URL)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadInput(f"{url!r} is not a database URL (postgresql://role@host/db).") from exc
    if not parsed.drivername.startswith("postgresql"):
        raise BadInput("The centre must be a PostgreSQL database (postgresql://role@host/db).")
    return create_engine(
        parsed.set(drivername="postgresql+psycopg"),
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
        pool_pre_ping=True,
    )


# ---------------------------------------------------------------------------- the centre


def init_centre(url: str) -> str:
    """Build or upgrade a centre at `url` (the same migrations as a branch, then the
    centre-only tables); return a sentence saying what it is now."""
    from alembic import command

    engine = central_engine(url)
    try:
        with engine.begin() as connection:
            revision = central.alembic_revision(connection)
            if revision is not None and revision not in known_revisions():
                raise SyncFailed(
                    f"The centre's schema ({revision}) is newer than this Frontdesk knows: "
                    "upgrade Frontdesk here before preparing the centre."
                )
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            central.create_central_tables(connection)
    except DBAPIError as exc:
        raise SyncFailed(f"Could not prepare the centre: {central_reason(exc)}.") from exc
    finally:
        engine.dispose()
    return f"The centre is ready (schema {head_revision()}, sync tables {central.CENTRAL_SCHEMA})."


def add_branch(url: str, *, branch_id: uuid.UUID, code: str, password: str) -> str:
    """Create the database role of branch `code` on the centre; return the role's name."""
    code = code.strip().upper()
    if not code.isalnum() or len(code) > 8:
        raise BadInput("A branch code is 1 to 8 letters or digits.")
    if len(password) < 12:
        raise BadInput("The branch's password needs at least 12 characters.")
    engine = central_engine(url)
    try:
        with engine.begin() as connection:
            if central.central_schema(connection) is None:
                raise SyncFailed(
                    "That database is not a Frontdesk centre yet: run 'frontdesk central init "
                    "--url URL' first."
                )
            return central.add_branch_role(
                connection, branch_id=branch_id, code=code, password=password
            )
    except DBAPIError as exc:
        raise SyncFailed(f"Could not add the branch: {central_reason(exc)}.") from exc
    finally:
        engine.dispose()


def central_reason(error: DBAPIError) -> str:
    text = str(error.orig).strip()
    return text.splitlines()[0] if text else type(error.orig).__name__


def check_schema(revision: str | None, schema: int | None) -> None:
    """Refuse a centre on another schema version, saying which side to upgrade."""
    if schema is None or revision is None:
        raise SyncFailed(
            "The central database is not a Frontdesk centre: ask head office to run "
            "'frontdesk central init' on it."
        )
    if revision != head_revision():
        if revision in known_revisions():
            raise SyncFailed(
                f"The centre is on an older schema ({revision}) than this branch "
                f"({head_revision()}): upgrade the centre ('frontdesk central init' with this "
                "version), then sync again."
            )
        raise SyncFailed(
            f"The centre is on a newer schema ({revision}) than this branch "
            f"({head_revision()}): upgrade Frontdesk on this branch, then sync again."
        )
    if schema != central.CENTRAL_SCHEMA:
        side = "the centre" if schema < central.CENTRAL_SCHEMA else "Frontdesk on this branch"
        raise SyncFailed(
            f"The centre's sync tables are version {schema}, this branch expects "
            f"{central.CENTRAL_SCHEMA}: upgrade {side}, then sync again."
        )


# ---------------------------------------------------------------------------- the branch


def pending_count(db: Database) -> int:
    """Outbox rows not yet sent and not set aside."""
    return outbox.pending_count(db)


def needs_attention(db: Database) -> list[Attention]:
    """Documents the centre refused, oldest first."""
    return [
        Attention(row.id, row.doc_type, row.doc_id, row.last_error or "")
        for row in outbox.refused(db)
    ]


def send_again(db: Database, outbox_ids: list[int] | None = None) -> int:
    """Queue documents the centre refused once more (all, or those of `outbox_ids`), for
    when the cause is fixed; the next round sends them. Returns how many."""
    return outbox.send_again(db, outbox_ids)


def send_history(db: Database, *, now: datetime) -> int:
    """Queue for the centre the invoices that never travelled (the history import's, the
    demo clinic's: they were written in bulk, without outbox rows), as the documents a
    saved invoice sends, so the head office's figures include them; for a branch that
    joins a centre. Run again, it queues nothing twice. Returns how many.

    The documents are read first, then queued in one unit of work with one audit entry, so
    the desks wait only for the writing; an invoice cancelled in between has its
    cancellation queued as its own document, as always."""
    sent = select(SyncOutbox.doc_id).where(SyncOutbox.doc_type == documents.INVOICE)
    with db.session(write=False) as session:
        branch_id = this_branch_id(session)
        missing = session.scalars(
            select(InvoiceHeader.id)
            .where(InvoiceHeader.id.not_in(sent))
            .order_by(InvoiceHeader.invoice_date, InvoiceHeader.created_at)
        ).all()
        queued = [
            (
                documents.INVOICE,
                invoice_id,
                documents.invoice_json(load_invoice_document(session, invoice_id)),
            )
            for invoice_id in missing
        ]
    if not queued:
        return 0
    with UnitOfWork(db, None, now, branch_id=branch_id) as uow:
        uow.outbox_many(queued)
        uow.audit("sync.send_history", "branch", branch_id, {"invoices": len(queued)})
        uow.commit()
    return len(queued)


def _numbering(
    db: Database, branch_id: uuid.UUID
) -> Callable[[central.OutgoingDocument], central.OutgoingDocument]:
    """Gives invoices and credit notes the key the centre keeps unique: the number within
    the GSTIN (the branch, when it has none) and the fiscal year."""
    details = get_branch(db).details
    issuer = details.gstin or f"branch {branch_id}"

    def keyed(document: central.OutgoingDocument) -> central.OutgoingDocument:
        if document.doc_type not in (documents.INVOICE, documents.CREDIT_NOTE):
            return document  # what is not numbered travels as the text stored
        # Its number and year, read where the outbox stores it (else from the document).
        payload = document.heads or document.payload
        try:
            if document.doc_type == documents.INVOICE:
                day = date.fromisoformat(payload["invoice_date"])
                year = fiscal_year_label(day, details.fiscal_year_start_month)
                number = payload["invoice_number"]
            elif document.doc_type == documents.CREDIT_NOTE:
                year, number = payload["fiscal_year"], payload["number"]
            else:
                return document
        except (KeyError, TypeError, ValueError):
            return document  # not a document of ours: the centre judges it as it is
        return replace(document, unique_key=f"{issuer}|{year}|{number}")

    return keyed


def _lock_path(db: Database) -> Path:
    return db.path.with_name(db.path.name + ".sync.lock")


def sync_round(
    db: Database,
    central_url: str,
    *,
    now: Callable[[], datetime],
    batch_size: int = BATCH_SIZE,
    backoff: tuple[float, ...] = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """Push everything pending to the centre at `central_url` (see the module's docstring).
    Raises SyncFailed when the centre cannot be used; what was sent before stays sent."""
    with db.session(write=False) as session:
        try:
            branch_id = this_branch_id(session)
        except NotFound as exc:
            raise SyncFailed(str(exc)) from exc
    lock = FileLock(_lock_path(db), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return SyncResult(busy=True, pending=pending_count(db))
    try:
        result = SyncResult()
        engine = central_engine(central_url)
        try:
            for attempt in range(len(backoff) + 1):
                try:
                    _push(db, engine, branch_id, result, now, batch_size)
                    break
                except DBAPIError as exc:
                    if central.is_rejection(exc) or attempt == len(backoff):
                        raise SyncFailed(
                            f"Could not reach the centre: {central_reason(exc)}. The documents "
                            "stay pending; check the connection in Settings > Sync and try again."
                        ) from exc
                    log.warning("sync: %s; retrying in %s s", central_reason(exc), backoff[attempt])
                    result.retries += 1
                    sleep(backoff[attempt])
                    engine.dispose()
        finally:
            engine.dispose()
        result.pending = pending_count(db)
        return result
    finally:
        lock.release()


def _push_uses(db: Database, engine: Engine, branch_id: uuid.UUID, batch_size: int) -> None:
    """Send the promotion uses the centre does not hold in their current state, in
    batches; each is marked here only after the centre's commit answered."""
    while True:
        uses = usage_sync.unsent_uses(db, batch_size)
        if not uses:
            return
        with engine.begin() as connection:
            central.push_uses(connection, branch_id, uses)
        usage_sync.record_sent(db, uses)


def _report_state(db: Database, engine: Engine, branch_id: uuid.UUID, result: SyncResult) -> None:
    """Tell the centre where this branch stands after the round, for the head office."""
    offset = result.clock_offset
    with engine.begin() as connection:
        central.report_state(
            connection,
            branch_id,
            pending=pending_count(db),
            needs_attention=len(outbox.refused(db)),
            clock_offset_s=None if offset is None else round(offset.total_seconds()),
            details=get_branch(db).details,
        )


def _push_batch(
    engine: Engine,
    branch_id: uuid.UUID,
    result: SyncResult,
    batch: list[central.OutgoingDocument],
) -> central.BatchOutcome:
    with engine.begin() as connection:
        outcome = central.push_batch(connection, branch_id, batch)
    result.pushed += len(outcome.accepted)
    result.rejected.extend(
        Attention(d.outbox_id, d.doc_type, d.doc_id, outcome.rejected[d.outbox_id])
        for d in batch
        if d.outbox_id in outcome.rejected
    )
    return outcome


def _push(
    db: Database,
    engine: Engine,
    branch_id: uuid.UUID,
    result: SyncResult,
    now: Callable[[], datetime],
    batch_size: int,
) -> None:
    with engine.connect() as session_connection:
        with session_connection.begin():
            check_schema(
                central.alembic_revision(session_connection),
                central.central_schema(session_connection),
            )
            result.clock_offset = now() - central.centre_clock(session_connection)
            locked = central.try_lock(session_connection, branch_id)
        if not locked:
            result.busy = True
            return
        try:
            numbering = _numbering(db, branch_id)

            def read(after: int) -> list[central.OutgoingDocument]:
                batch = [numbering(d) for d in outbox.next_batch(db, after, batch_size)]
                for document in batch:
                    _ = document.wire  # made here, off the push's path
                return batch

            # The next batch is read and made ready while the centre stores this one (the
            # driver lets go of the GIL while it waits for PostgreSQL); it starts after this
            # batch's last row, so the order and "marked sent only after the centre's
            # commit" stand.
            # A batch is marked here once the centre has committed it, while the centre
            # stores the next one (sqlite3 too lets go of the GIL); the marks of one batch
            # are written before the next's, and a failure waits for those in hand.
            with (
                ThreadPoolExecutor(1, thread_name_prefix="sync-read") as reader,
                ThreadPoolExecutor(1, thread_name_prefix="sync-mark") as marker,
            ):
                upcoming = reader.submit(read, 0)
                marking: Future[None] | None = None
                try:
                    while True:
                        batch = upcoming.result()
                        if not batch:
                            break
                        upcoming = reader.submit(read, batch[-1].outbox_id)
                        outcome = _push_batch(engine, branch_id, result, batch)
                        if marking is not None:
                            marking.result()
                        marking = marker.submit(outbox.record, db, outcome, now())
                finally:
                    if marking is not None:
                        marking.result()
            _push_uses(db, engine, branch_id, batch_size)
            with engine.connect() as connection:
                try:
                    result.pull = pull_from_centre(db, connection, branch_id, now=now())
                except PullRefused as exc:
                    raise SyncFailed(str(exc)) from exc
            _report_state(db, engine, branch_id, result)
        finally:
            with session_connection.begin():
                central.unlock(session_connection, branch_id)
