"""The documents behind the head office's GST summary and takings (issue #15).

The branches' invoices, credit notes, payments, allocations and sponsor invoices reach the
centre as the documents they pushed (db.central's `central_documents`, payloads in rupees
as the branch's serialisers wrote them). These queries hand back, for one branch, the payloads a
month's GST summary or a range's takings read; services.head_office_reports turns them
into the same figures the branch computes from its own file. An invoice's cancellation
travels as a document of its own: an invoice counts as cancelled when either says so.
PostgreSQL only; the connection must be the centre's owner (the head office).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from domain.errors import BadInput


@dataclass(frozen=True)
class ReportedBranch:
    """A branch of the centre with the details it last reported (empty before it did)."""

    branch_id: uuid.UUID
    code: str
    name: str
    gstin: str
    state_code: str
    timezone: str | None


def branches(session: Session) -> list[ReportedBranch]:
    """Every branch of the centre, by code."""
    rows = session.execute(
        text(
            "SELECT b.branch_id, b.code, COALESCE(s.name, ''), COALESCE(s.gstin, ''), "
            "COALESCE(s.state_code, ''), s.timezone FROM sync_branches AS b "
            "LEFT JOIN sync_branch_state AS s ON s.branch_id = b.branch_id ORDER BY b.code"
        )
    )
    return [ReportedBranch(*row) for row in rows]


def chosen_branches(session: Session, codes: Sequence[str]) -> list[ReportedBranch]:
    """The centre's branches with the codes `codes` (any case; none: every branch),
    refused with a sentence naming the known ones when a code is not the centre's."""
    every = branches(session)
    if not codes:
        return every
    by_code = {branch.code.upper(): branch for branch in every}
    unknown = [code for code in codes if code.strip().upper() not in by_code]
    if unknown:
        known = ", ".join(branch.code for branch in every) or "none yet"
        raise BadInput(f"No branch {', '.join(unknown)} on the centre (known: {known})")
    return [by_code[code.strip().upper()] for code in dict.fromkeys(codes)]


_CANCELLED = (
    "(d.payload->>'status' = 'cancelled' OR EXISTS (SELECT 1 FROM central_documents AS c "
    "WHERE c.doc_type = 'invoice_cancellation' AND c.branch_id = d.branch_id "
    "AND c.payload->>'invoice_id' = CAST(d.id AS text)))"
)
_NOT_HISTORY = "NOT COALESCE(CAST(d.payload->>'is_history' AS boolean), false)"


def invoices(session: Session, branch_id: uuid.UUID, first: date, last: date) -> list[Any]:
    """The branch's invoices dated `first` to `last` (history left out), in the order it
    numbered them: rows of (id, payload, cancelled)."""
    return list(
        session.execute(
            text(
                f"SELECT d.id, d.payload, {_CANCELLED} AS cancelled FROM central_documents AS d "
                "WHERE d.doc_type = 'invoice' AND d.branch_id = :branch "
                "AND CAST(d.payload->>'invoice_date' AS date) BETWEEN :first AND :last "
                f"AND {_NOT_HISTORY} "
                "ORDER BY CAST(d.payload->>'invoice_date' AS date), d.outbox_id"
            ),
            {"branch": branch_id, "first": first, "last": last},
        )
    )


def credit_notes(session: Session, branch_id: uuid.UUID, first: date, last: date) -> list[Any]:
    """The branch's credit notes dated `first` to `last`, each with its invoice's payload
    (None when the invoice has not reached the centre), in the order it numbered them:
    rows of (payload, invoice payload)."""
    return list(
        session.execute(
            text(
                "SELECT n.payload, d.payload FROM central_documents AS n "
                "LEFT JOIN central_documents AS d ON d.doc_type = 'invoice' "
                "AND d.branch_id = n.branch_id AND d.id = CAST(n.payload->>'invoice_id' AS uuid) "
                "WHERE n.doc_type = 'credit_note' AND n.branch_id = :branch "
                "AND CAST(n.payload->>'note_date' AS date) BETWEEN :first AND :last "
                "ORDER BY n.payload->>'fiscal_year', n.outbox_id"
            ),
            {"branch": branch_id, "first": first, "last": last},
        )
    )


def sponsor_invoices(session: Session, branch_id: uuid.UUID, first: date, last: date) -> list[Any]:
    """The branch's sponsor tax invoices and credit notes dated `first` to `last` (issue
    #17), in the order it numbered them: rows of (payload, the GSTIN of its sponsor's pushed
    document or None, the payload of the campaign's first deposit invoice or None). A
    sponsor invoice changes as it is paid: the centre holds its latest version."""
    return list(
        session.execute(
            text(
                "SELECT d.payload, s.payload->>'gstin', (SELECT p.payload FROM central_documents "
                "AS p WHERE p.doc_type = 'sponsor_invoice' AND p.branch_id = d.branch_id "
                "AND p.payload->>'campaign_id' = d.payload->>'campaign_id' "
                "AND p.payload->>'invoice_type' = 'deposit' "
                "ORDER BY CAST(p.payload->>'invoice_date' AS date), "
                "CAST(p.payload->>'sequence_no' AS integer) LIMIT 1) "
                "FROM central_documents AS d "
                "LEFT JOIN central_documents AS s ON s.doc_type = 'sponsor' "
                "AND s.branch_id = d.branch_id AND s.id = CAST(d.payload->>'sponsor_id' AS uuid) "
                "WHERE d.doc_type = 'sponsor_invoice' AND d.branch_id = :branch "
                "AND CAST(d.payload->>'invoice_date' AS date) BETWEEN :first AND :last "
                "ORDER BY d.payload->>'fiscal_year', d.payload->>'series', "
                "CAST(d.payload->>'sequence_no' AS integer)"
            ),
            {"branch": branch_id, "first": first, "last": last},
        )
    )


def payments(session: Session, branch_id: uuid.UUID, first: datetime, after: datetime) -> list[Any]:
    """The branch's payments made from `first` up to `after`: rows of (payload, the kind
    of the payment it reverses or None)."""
    return list(
        session.execute(
            text(
                "SELECT p.payload, r.payload->>'kind' FROM central_documents AS p "
                "LEFT JOIN central_documents AS r ON r.doc_type = 'payment' "
                "AND r.branch_id = p.branch_id AND r.id = CAST(p.payload->>'reverses_id' AS uuid) "
                "WHERE p.doc_type = 'payment' AND p.branch_id = :branch "
                "AND CAST(p.payload->>'created_at' AS timestamptz) >= :first "
                "AND CAST(p.payload->>'created_at' AS timestamptz) < :after"
            ),
            {"branch": branch_id, "first": first, "after": after},
        )
    )


def allocations(
    session: Session,
    branch_id: uuid.UUID,
    *,
    first: datetime | None = None,
    after: datetime | None = None,
    invoice_ids: list[str] | None = None,
) -> list[Any]:
    """The branch's allocations made from `first` up to `after`, or those on the invoices
    `invoice_ids`: rows of (payload, the kind of its payment, the kind of the payment that
    one reverses)."""
    if invoice_ids is not None:
        where = "a.payload->>'invoice_id' = ANY(:invoices)"
        parameters: dict[str, Any] = {"invoices": invoice_ids}
    else:
        where = (
            "CAST(a.payload->>'created_at' AS timestamptz) >= :first "
            "AND CAST(a.payload->>'created_at' AS timestamptz) < :after"
        )
        parameters = {"first": first, "after": after}
    return list(
        session.execute(
            text(
                "SELECT a.payload, p.payload->>'kind', r.payload->>'kind' "
                "FROM central_documents AS a "
                "LEFT JOIN central_documents AS p ON p.doc_type = 'payment' "
                "AND p.branch_id = a.branch_id AND p.id = CAST(a.payload->>'payment_id' AS uuid) "
                "LEFT JOIN central_documents AS r ON r.doc_type = 'payment' "
                "AND r.branch_id = a.branch_id AND r.id = CAST(p.payload->>'reverses_id' AS uuid) "
                f"WHERE a.doc_type = 'payment_allocation' AND a.branch_id = :branch AND {where}"
            ),
            {"branch": branch_id, **parameters},
        )
    )
