"""The chain's sponsored impressions at the centre (issue #17), read from what the branches
pushed, and which of them the centre has billed.

Each branch pushes its impressions as `sponsor_impression` documents (db.central's
`central_documents`, the row whole as JSON). A branch's campaign is its own row, but the
promotion it sponsors is the centre's, with the same id at every branch, so the centre
finds a campaign's impressions by its promotions. `central_sponsor_billed` (centre-only,
like db.central's tables; no branch role is granted it) records which impression the
centre billed on which of its sponsor invoices, so an impression is billed once however
often its branch pushes it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, Connection, DateTime, MetaData, Table, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

metadata = MetaData()

central_sponsor_billed = Table(
    "central_sponsor_billed",
    metadata,
    Column("impression_id", UUID(as_uuid=True), primary_key=True),
    Column("sponsor_invoice_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("branch_id", UUID(as_uuid=True), nullable=False),
    Column("billed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_sponsor_tables(connection: Connection) -> None:
    """The centre-only billing record (idempotent; the centre's owner runs it)."""
    metadata.create_all(connection, checkfirst=True)


@dataclass(frozen=True)
class ChainImpression:
    """A charged impression some branch pushed: its id, the branch's code and id, when it
    was charged and on which of the branch's days it was shown."""

    id: uuid.UUID
    branch_code: str
    branch_id: uuid.UUID
    charged_at: datetime
    shown_on: date
    billed: bool


_CHARGED = text(
    """
    SELECT d.id, b.code AS branch_code, d.branch_id,
           CAST(d.payload->>'charged_at' AS timestamptz) AS charged_at,
           CAST(d.payload->>'shown_on' AS date) AS shown_on,
           (s.impression_id IS NOT NULL) AS billed
    FROM central_documents AS d
    JOIN sync_branches AS b ON b.branch_id = d.branch_id
    LEFT JOIN central_sponsor_billed AS s ON s.impression_id = d.id
    WHERE d.doc_type = 'sponsor_impression'
      AND CAST(d.payload->>'charged' AS boolean)
      AND CAST(d.payload->>'promotion_id' AS uuid) = ANY(CAST(:promotions AS uuid[]))
      AND CAST(d.payload->>'shown_on' AS date) BETWEEN :start AND :end
    ORDER BY charged_at, d.id
    """
)


def charged_impressions(
    connection: Connection, promotion_ids: Sequence[uuid.UUID], start: date, end: date
) -> list[ChainImpression]:
    """Every branch's charged impressions of these promotions shown from `start` to `end`,
    first charged first, each saying whether the centre billed it already."""
    rows = connection.execute(
        _CHARGED, {"promotions": [str(p) for p in promotion_ids], "start": start, "end": end}
    )
    return [ChainImpression(**row._mapping) for row in rows]


def record_billed(
    connection: Connection, invoice_id: uuid.UUID, billed: Sequence[ChainImpression]
) -> None:
    """The centre billed these impressions on its invoice `invoice_id` (the caller
    commits). One already recorded stays on the invoice that billed it first."""
    if not billed:
        return
    connection.execute(
        pg_insert(central_sponsor_billed)
        .values(
            [
                {"impression_id": i.id, "sponsor_invoice_id": invoice_id, "branch_id": i.branch_id}
                for i in billed
            ]
        )
        .on_conflict_do_nothing(index_elements=["impression_id"])
    )


@dataclass(frozen=True)
class ChainCounts:
    """Every branch's impressions of a campaign's promotions in a range of days: shown and
    charged on `today`, charged, clicked and converted in all."""

    shown_today: int
    charged_today: int
    charged: int
    clicks: int
    conversions: int


_COUNTS = text(
    """
    SELECT count(*) FILTER (WHERE shown_on = :today) AS shown_today,
           count(*) FILTER (WHERE shown_on = :today AND charged) AS charged_today,
           count(*) FILTER (WHERE charged) AS charged,
           count(*) FILTER (WHERE clicked) AS clicks,
           count(*) FILTER (WHERE converted) AS conversions
    FROM (
        SELECT CAST(payload->>'shown_on' AS date) AS shown_on,
               CAST(payload->>'charged' AS boolean) AS charged,
               CAST(payload->>'clicked' AS boolean) AS clicked,
               CAST(payload->>'converted' AS boolean) AS converted
        FROM central_documents
        WHERE doc_type = 'sponsor_impression'
          AND CAST(payload->>'promotion_id' AS uuid) = ANY(CAST(:promotions AS uuid[]))
    ) AS i
    WHERE shown_on BETWEEN :start AND :end
    """
)


def chain_counts(
    connection: Connection,
    promotion_ids: Sequence[uuid.UUID],
    start: date,
    end: date,
    today: date,
) -> ChainCounts:
    """The chain's impressions of these promotions shown from `start` to `end` (seed 002:
    clicks and conversions are counted from the impressions when asked)."""
    row = connection.execute(
        _COUNTS,
        {
            "promotions": [str(p) for p in promotion_ids],
            "start": start,
            "end": end,
            "today": today,
        },
    ).one()
    return ChainCounts(**{key: int(value) for key, value in row._mapping.items()})
