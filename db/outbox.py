"""The branch's side of sync: reading the outbox in order and recording what the centre
made of it. Bookkeeping of the outbox itself, not a business change: no audit entry and no
new outbox row, so it does not go through the unit of work (services.uow), which writes
those."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, Select, func, literal_column, select, update

from db.engine import Database, json_dumps
from db.models import SyncOutbox

if TYPE_CHECKING:
    # PostgreSQL's dialect is imported only when a round runs, not by the status bar.
    from db.central import BatchOutcome, OutgoingDocument

# Long reasons are cut: the outbox keeps a sentence, the log keeps the rest.
REASON_LIMIT = 500
# What the numbering of invoices and credit notes reads of a payload (services.sync).
HEADS = ("invoice_date", "invoice_number", "fiscal_year", "number")


def _pending() -> ColumnElement[bool]:
    return SyncOutbox.sent_at.is_(None) & SyncOutbox.last_error.is_(None)


def pending_count(db: Database) -> int:
    """Rows not sent yet and not set aside as refused."""
    with db.session(write=False) as session:
        return session.execute(
            select(func.count()).select_from(SyncOutbox).where(_pending())
        ).scalar_one()


def refused(db: Database) -> list[SyncOutbox]:
    """Rows the centre refused (their reason in `last_error`), oldest first."""
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(SyncOutbox)
                .where(SyncOutbox.sent_at.is_(None), SyncOutbox.last_error.is_not(None))
                .order_by(SyncOutbox.id)
            )
        )


def outgoing(row: SyncOutbox) -> OutgoingDocument:
    """An outbox row as the centre receives it."""
    from db.central import OutgoingDocument

    return OutgoingDocument(
        outbox_id=row.id,
        doc_type=row.doc_type,
        doc_id=row.doc_id,
        doc_version=row.doc_version,
        payload_json=json_dumps(row.payload),
        created_at=row.created_at,
    )


def next_batch(db: Database, after: int, size: int) -> list[OutgoingDocument]:
    """Up to `size` pending rows after outbox id `after`, in order."""
    from db.central import OutgoingDocument

    # Read through the driver, not SQLAlchemy's result rows: a batch is read, sent and
    # forgotten (2,000 rows of it, 20 microseconds a row through SQLAlchemy). The payload
    # as the JSON text stored, which travels as it is (db.central.OutgoingDocument), and
    # the values the numbering reads (services.sync) taken out of it here; the id and the
    # time converted by their columns' own types.
    heads = ", ".join(f"json_extract(payload, '$.{key}')" for key in HEADS)
    with db.session(write=False) as session:
        connection = session.connection()
        table = SyncOutbox.__table__
        as_uuid = table.c.doc_id.type._cached_result_processor(connection.dialect, None)
        as_time = table.c.created_at.type._cached_result_processor(connection.dialect, None)
        assert as_uuid is not None and as_time is not None
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(
                "SELECT id, doc_type, doc_id, doc_version, payload, created_at, "
                f"{heads} FROM sync_outbox WHERE id > ? AND sent_at IS NULL "
                "AND last_error IS NULL ORDER BY id LIMIT ?",
                (after, size),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
    return [
        OutgoingDocument(
            outbox_id=row[0],
            doc_type=row[1],
            doc_id=cast(uuid.UUID, as_uuid(row[2])),
            doc_version=row[3],
            payload_json=row[4],
            created_at=cast(datetime, as_time(row[5])),
            heads={k: v for k, v in zip(HEADS, row[6:], strict=True) if v is not None},
        )
        for row in rows
    ]


def record(db: Database, outcome: BatchOutcome, now: datetime) -> None:
    """After the centre's commit answered: accepted rows are sent, refused ones set aside
    with their reason; one local transaction."""
    with db.session(write=True) as session, session.begin():
        if outcome.accepted:
            # The ids as one JSON array (json_each), not 2,000 bound parameters; a plain
            # UPDATE (no ORM objects to keep in step).
            accepted: Select[tuple[Any]] = select(literal_column("value")).select_from(
                func.json_each(json_dumps(outcome.accepted))
            )
            session.connection().execute(
                update(SyncOutbox)
                .where(SyncOutbox.id.in_(accepted))
                .values(sent_at=now, attempts=SyncOutbox.attempts + 1, last_error=None)
            )
        for outbox_id, reason in outcome.rejected.items():
            session.execute(
                update(SyncOutbox)
                .where(SyncOutbox.id == outbox_id)
                .values(attempts=SyncOutbox.attempts + 1, last_error=reason[:REASON_LIMIT])
            )


def send_again(db: Database, outbox_ids: Iterable[int] | None = None) -> int:
    """Put refused rows (all of them, or those of `outbox_ids`) back in the queue, for
    when the cause was fixed; return how many."""
    refused_rows = SyncOutbox.sent_at.is_(None) & SyncOutbox.last_error.is_not(None)
    statement = update(SyncOutbox).where(refused_rows).values(last_error=None)
    if outbox_ids is not None:
        statement = statement.where(SyncOutbox.id.in_(list(outbox_ids)))
    with db.session(write=True) as session, session.begin():
        return session.execute(statement).rowcount  # type: ignore[attr-defined,no-any-return]
