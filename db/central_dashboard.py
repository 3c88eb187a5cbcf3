"""The head office's dashboard: the chain's visits, read on the centre (issue #15).

The branch's scan (db.dashboard) reads its own invoice rows in SQLite; the centre holds
what every branch pushed, as documents (db.central). `central_visits` (db.central) keeps one row per
pushed invoice with what the RFM figures need (amounts in paise), filled from the documents
by `catch_up` before each reading, so a reading parses only the invoices pushed since the
last one and then scans a narrow table. A patient who visits two branches is one customer
of the chain: invoices are grouped by mobile and name (the name with its spaces squeezed,
in lower case), as the history import matches patients. The walk-in customer (no mobile)
is nobody's visit, as at the branch.

The functions mirror db.dashboard's (the same VisitTotals; customers are keyed by the hex
of a UUID made from mobile and name), each restricted to the branches asked for (none: the
whole chain). PostgreSQL only; the connection must be the centre's owner (the head office).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.dashboard import MASK_YEARS, VisitTotals, _day_numbers
from db.engine import Database


def _paise(total: str) -> str:
    """SQL for one of the invoice's totals (rupees as text in the document) in paise;
    a total the document lacks (the cost, before it travelled) is 0."""
    return f"CAST(round(CAST(COALESCE(d.payload->'totals'->>'{total}', '0') AS numeric) * 100) AS bigint)"


_NAME_KEY = "lower(regexp_replace(btrim(d.payload->'patient'->>'name'), '\\s+', ' ', 'g'))"

# Only the documents written by transactions from the cursor up to the snapshot's xmin,
# as a pull reads the centre (db.central.pull_rows): one that committed late is read at
# the next reading, never skipped. Every transaction below the xmin read in the first
# statement has ended, so the later statements see all of its rows whatever their own
# snapshot. An invoice never changes once pushed; its cancellation is a document of its own.
_WINDOW = (
    "d.sync_xid >= CAST(CAST(:cursor AS text) AS xid8) "
    "AND d.sync_xid < CAST(CAST(:xmin AS text) AS xid8)"
)
_CATCH_UP_INVOICES = text(
    "INSERT INTO central_visits (invoice_id, branch_id, customer, mobile, name, invoice_date, "
    "net, units, cost, cancelled) "
    "SELECT d.id, d.branch_id, "
    f"CAST(md5((d.payload->'patient'->>'mobile') || '|' || {_NAME_KEY}) AS uuid), "
    "d.payload->'patient'->>'mobile', d.payload->'patient'->>'name', "
    "CAST(d.payload->>'invoice_date' AS date), "
    f"{_paise('gross')} - {_paise('total_discount')}, "
    "COALESCE((SELECT sum(CAST(l->>'quantity' AS bigint)) "
    "FROM jsonb_array_elements(d.payload->'lines') AS l), 0), "
    f"{_paise('cost')}, d.payload->>'status' = 'cancelled' "
    f"FROM central_documents AS d WHERE d.doc_type = 'invoice' AND {_WINDOW} "
    "AND COALESCE(d.payload->'patient'->>'mobile', '') <> '' "
    "ON CONFLICT DO NOTHING"
)
_CATCH_UP_CANCELLED = text(
    "UPDATE central_visits AS v SET cancelled = true FROM central_documents AS d "
    f"WHERE d.doc_type = 'invoice_cancellation' AND {_WINDOW} "
    "AND v.invoice_id = CAST(d.payload->>'invoice_id' AS uuid)"
)
# Each promotion an invoice applied (its campaigns_applied), for the campaign figures. A
# walk-in's invoice counts here (a use is a use), under the walk-in's empty mobile.
_CATCH_UP_USES = text(
    "INSERT INTO central_promotion_uses (invoice_id, promotion_id, branch_id, campaign_code, "
    "campaign_name, promotion_type, discount, customer, mobile, name, invoice_date, used_at, "
    "cancelled) "
    "SELECT d.id, CAST(a->>'promotion_id' AS uuid), d.branch_id, a->>'campaign_code', "
    "a->>'campaign_name', COALESCE(a->>'promotion_type', ''), "
    "CAST(round(CAST(COALESCE(a->>'total_discount', '0') AS numeric) * 100) AS bigint), "
    f"CAST(md5(COALESCE(d.payload->'patient'->>'mobile', '') || '|' || {_NAME_KEY}) AS uuid), "
    "COALESCE(d.payload->'patient'->>'mobile', ''), d.payload->'patient'->>'name', "
    "CAST(d.payload->>'invoice_date' AS date), "
    "CAST(COALESCE(d.payload->>'created_at', CAST(d.created_at AS text)) AS timestamptz), "
    "d.payload->>'status' = 'cancelled' "
    "FROM central_documents AS d, "
    "jsonb_array_elements(COALESCE(d.payload->'campaigns_applied'->'applied_promotions', "
    "'[]')) AS a "
    f"WHERE d.doc_type = 'invoice' AND {_WINDOW} ON CONFLICT DO NOTHING"
)
_CATCH_UP_USES_CANCELLED = text(
    "UPDATE central_promotion_uses AS u SET cancelled = true FROM central_documents AS d "
    f"WHERE d.doc_type = 'invoice_cancellation' AND {_WINDOW} "
    "AND u.invoice_id = CAST(d.payload->>'invoice_id' AS uuid)"
)
CURSOR_KEY = "visits_cursor"


def catch_up(db: Database) -> None:
    """Bring `central_visits` up to the documents pushed since the last reading, and move
    the cursor on, in a transaction of its own (two readers at once store nothing twice).
    A table derived from the documents (emptied with its cursor, the next reading
    rebuilds it), so not audited."""
    with db.session(write=True) as session, session.begin():
        _catch_up(session)


def _catch_up(session: Session) -> None:
    xmin = int(
        session.execute(
            text("SELECT CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text)")
        ).scalar_one()
    )
    stored = session.execute(
        text("SELECT value FROM central_meta WHERE key = :key"), {"key": CURSOR_KEY}
    ).scalar()
    cursor = int(stored or 0)
    if cursor >= xmin:
        return
    window = {"cursor": str(cursor), "xmin": str(xmin)}
    session.execute(_CATCH_UP_INVOICES, window)
    session.execute(_CATCH_UP_CANCELLED, window)
    session.execute(_CATCH_UP_USES, window)
    session.execute(_CATCH_UP_USES_CANCELLED, window)
    session.execute(
        text(
            "INSERT INTO central_meta (key, value) VALUES (:key, :value) ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(GREATEST(CAST(central_meta.value AS numeric), "
            "CAST(excluded.value AS numeric)) AS text)"
        ),
        {"key": CURSOR_KEY, "value": str(xmin)},
    )


@dataclass(frozen=True)
class Scope:
    """Which branches a reading covers (their ids; empty: every branch of the chain)."""

    branch_ids: tuple[uuid.UUID, ...] = ()

    def where(self, column: str = "branch_id") -> tuple[str, dict[str, Any]]:
        """The SQL condition (after AND) on `column` and its parameters."""
        if not self.branch_ids:
            return "", {}
        return f" AND {column} = ANY(CAST(:branches AS uuid[]))", {
            "branches": [str(b) for b in self.branch_ids]
        }


def branch_ids(session: Session, codes: Sequence[str]) -> dict[str, uuid.UUID]:
    """The ids of the branches with these codes (any case), by code as asked."""
    wanted = {code.strip().upper(): code for code in codes}
    rows = session.execute(
        text("SELECT upper(code), branch_id FROM sync_branches WHERE upper(code) = ANY(:codes)"),
        {"codes": list(wanted)},
    )
    return {wanted[code]: branch for code, branch in rows}


def branch_codes(session: Session) -> list[str]:
    """The codes of the branches the centre knows, in order."""
    return list(session.execute(text("SELECT code FROM sync_branches ORDER BY code")).scalars())


def visit_totals(
    session: Session,
    *,
    start: date,
    end: date,
    ranges: Sequence[tuple[date, date]],
    scope: Scope = Scope(),
) -> VisitTotals:
    """Each customer's visits in [start, end] at the branches in `scope`, as
    db.dashboard.visit_totals gives a branch's patients'."""
    where, parameters = scope.where()
    firsts = [first for first, _after in ranges[1:]]
    packed = len(ranges) <= MASK_YEARS
    # width_bucket counts the fiscal years' first days at or before the visit: its year.
    year = "width_bucket(invoice_date, CAST(:firsts AS date[]))"
    mask = f"bit_or(CAST(1 AS bigint) << {year})" if packed else "0"
    bounds = {"start": start, "end": end, "firsts": firsts, **parameters}
    rows = session.execute(
        text(
            "SELECT CAST(customer AS text), count(*), min(invoice_date), max(invoice_date), "
            f"sum(net), sum(units), sum(cost), {mask} FROM central_visits "
            f"WHERE NOT cancelled AND invoice_date BETWEEN :start AND :end{where} "
            "GROUP BY customer"
        ),
        bounds,
    ).all()
    earlier: dict[str, date] = {
        customer: day
        for customer, day in session.execute(
            text(
                "SELECT CAST(customer AS text), min(invoice_date) FROM central_visits "
                f"WHERE NOT cancelled AND invoice_date < :start{where} GROUP BY customer"
            ),
            bounds,
        )
    }
    keys = [uuid.UUID(row[0]).hex for row in rows]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 8
    first_day = _day_numbers(columns[2])
    first_ever = _day_numbers([earlier.get(row[0], row[2]) for row in rows]) if rows else first_day
    if packed:
        years = np.array([int(value) for value in columns[7]], dtype=np.int64)
        visited = (years[:, None] >> np.arange(len(ranges), dtype=np.int64)) & 1
    else:
        visited = np.zeros((len(rows), len(ranges)), dtype=np.int64)
        row_of = {row[0]: index for index, row in enumerate(rows)}
        for customer, bucket in session.execute(
            text(
                f"SELECT DISTINCT CAST(customer AS text), {year} FROM central_visits "
                f"WHERE NOT cancelled AND invoice_date BETWEEN :start AND :end{where}"
            ),
            bounds,
        ):
            visited[row_of[customer], bucket] = 1

    def integers(index: int) -> Any:
        return np.array([int(value) for value in columns[index]], dtype=np.int64)

    return VisitTotals(
        patient_ids=keys,
        visits=integers(1),
        first_day=first_day,
        last_day=_day_numbers(columns[3]),
        net=integers(4),
        units=integers(5),
        cost=integers(6),
        first_ever_day=first_ever,
        visited_range=visited.astype(np.bool_).reshape(len(rows), len(ranges)),
    )


def first_visit_day(session: Session, scope: Scope = Scope()) -> date | None:
    """The date of the chain's (or the scope's) earliest counted visit."""
    where, parameters = scope.where()
    value = session.execute(
        text(f"SELECT min(invoice_date) FROM central_visits WHERE NOT cancelled{where}"),
        parameters,
    ).scalar()
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value))


def customers_matching(session: Session, *, mobile: str | None, name: str | None) -> set[str]:
    """Hex keys of customers with exactly this mobile and a name containing `name`."""
    needle = (name or "").casefold()
    query = "SELECT DISTINCT CAST(customer AS text), name FROM central_visits"
    parameters: dict[str, Any] = {}
    if mobile:
        query += " WHERE mobile = :mobile"
        parameters["mobile"] = mobile
    return {
        uuid.UUID(key).hex
        for key, customer_name in session.execute(text(query), parameters)
        if needle in customer_name.casefold()
    }


def customer_details(session: Session, hex_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Name (as on the customer's latest visit) and mobile of each customer asked for."""
    found: dict[str, tuple[str, str]] = {}
    keys = [str(uuid.UUID(hex=value)) for value in hex_ids]
    for chunk_start in range(0, len(keys), 5000):
        chunk = keys[chunk_start : chunk_start + 5000]
        for key, name, mobile in session.execute(
            text(
                "SELECT DISTINCT ON (customer) CAST(customer AS text), name, mobile "
                "FROM central_visits WHERE customer = ANY(CAST(:keys AS uuid[])) "
                "ORDER BY customer, invoice_date DESC"
            ),
            {"keys": chunk},
        ):
            found[uuid.UUID(key).hex] = (name, mobile)
    return found


# ---------------------------------------------------------------------------- campaigns
# The chain's versions of db.promotion_reports' queries, with the same keys; a customer is
# the chain's (mobile and name). A promotion's status is the centre's when the head office
# owns it; one a branch made is not known at the centre and counts as active.


def campaign_effectiveness(session: Session, scope: Scope = Scope()) -> list[dict[str, Any]]:
    """Per promotion applied anywhere in the chain (or the scope): uses, customers,
    discount."""
    where, parameters = scope.where("u.branch_id")
    rows = session.execute(
        text(
            "SELECT u.promotion_id AS id, min(u.campaign_code) AS campaign_code, "
            "min(u.campaign_name) AS campaign_name, min(u.promotion_type) AS promotion_type, "
            "bool_and(p.is_active IS NOT FALSE) AS is_active, count(*) AS current_uses, "
            "count(*) AS uses, count(DISTINCT u.customer) AS unique_patients, "
            "sum(u.discount) AS total_discount FROM central_promotion_uses AS u "
            "LEFT JOIN promotion_campaigns AS p ON p.id = u.promotion_id "
            f"WHERE NOT u.cancelled{where} GROUP BY u.promotion_id "
            "ORDER BY sum(u.discount) DESC, min(u.campaign_code)"
        ),
        parameters,
    )
    return [dict(row._mapping) | {"total_discount": int(row.total_discount)} for row in rows]


def usage_timeline(
    session: Session, *, first_day: date, last_day: date, scope: Scope = Scope()
) -> list[dict[str, Any]]:
    """Uses and discount per business day and promotion, across the chain (or the scope)."""
    where, parameters = scope.where()
    rows = session.execute(
        text(
            "SELECT invoice_date, min(campaign_code) AS campaign_code, "
            "min(campaign_name) AS campaign_name, count(*) AS uses, sum(discount) AS discount "
            "FROM central_promotion_uses WHERE NOT cancelled "
            f"AND invoice_date BETWEEN :first AND :last{where} "
            "GROUP BY invoice_date, promotion_id ORDER BY invoice_date DESC, sum(discount) DESC"
        ),
        {"first": first_day, "last": last_day, **parameters},
    )
    return [dict(row._mapping) | {"discount": int(row.discount)} for row in rows]


def top_patients(session: Session, *, limit: int, scope: Scope = Scope()) -> list[dict[str, Any]]:
    """The chain's (or the scope's) customers who saved most through promotions (walk-ins
    left out)."""
    where, parameters = scope.where()
    rows = session.execute(
        text(
            "SELECT customer AS id, (array_agg(name ORDER BY used_at DESC))[1] AS name, "
            "min(mobile) AS mobile, count(DISTINCT promotion_id) AS promotions_used, "
            "count(*) AS uses, sum(discount) AS total_savings, "
            "max(used_at) AS last_promotion_at FROM central_promotion_uses "
            f"WHERE NOT cancelled AND mobile <> ''{where} GROUP BY customer "
            "ORDER BY sum(discount) DESC, 2 LIMIT :limit"
        ),
        {"limit": limit, **parameters},
    )
    return [dict(row._mapping) | {"total_savings": int(row.total_savings)} for row in rows]


def promoted_invoices(
    session: Session, *, limit: int, scope: Scope = Scope()
) -> list[dict[str, Any]]:
    """The chain's (or the scope's) latest invoices that applied promotions and stand (not
    cancelled), newest first, with db.promotion_reports.promoted_invoices' keys (amounts
    in paise)."""
    where, parameters = scope.where("u.branch_id")
    rows = session.execute(
        text(
            "SELECT d.id, d.payload->>'invoice_number' AS invoice_number, "
            "CAST(d.payload->>'invoice_date' AS date) AS invoice_date, "
            "d.payload->'patient'->>'name' AS name, "
            "COALESCE(d.payload->'patient'->>'mobile', '') AS mobile, "
            f"{_paise('total_discount')} AS total_discount, {_paise('payable')} AS total_amount, "
            "d.payload->'campaigns_applied' AS campaigns_applied "
            "FROM central_documents AS d WHERE d.doc_type = 'invoice' AND d.id IN "
            "(SELECT u.invoice_id FROM central_promotion_uses AS u "
            f"WHERE NOT u.cancelled{where}) "
            "ORDER BY CAST(d.payload->>'created_at' AS timestamptz) DESC, "
            "d.payload->>'invoice_number' DESC LIMIT :limit"
        ),
        {"limit": limit, **parameters},
    )
    return [
        dict(row._mapping)
        | {"total_discount": int(row.total_discount), "total_amount": int(row.total_amount)}
        for row in rows
    ]
