"""Invoices found again (issue #11): by number, by the patient's name or mobile, by date and
by status, newest first; each with what was paid on it and where it stands.

What was paid and what is owed are read in the search's own query, one correlated sum per
row over the allocations' and credit notes' invoice indexes, so a search over 100,000
invoices stays one statement. An invoice paid before payments were recorded
(`paid_outside`) reads as paid in full."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, case, func, literal, or_, select

from db.engine import Database
from db.models import CreditNote, InvoiceHeader, Patient, PaymentAllocation
from domain.errors import BadInput

# What the status filter takes: "issued" (not cancelled), "paid" (nothing owed), "due" (some
# amount owed), "cancelled", "refunded" (it has a credit note).
STATUSES = ("issued", "paid", "due", "cancelled", "refunded")
# Where one invoice stands, as the list shows it.
PAID_STATES = ("paid", "partly_paid", "due", "cancelled", "refunded")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as a list shows it (paise): its payable, what was paid on it, what it
    still owes, and where it stands (one of PAID_STATES)."""

    id: uuid.UUID
    number: str
    invoice_date: date
    patient_name: str
    patient_mobile: str
    payable: int
    status: str
    is_history: bool
    paid: int = 0
    owed: int = 0
    paid_state: str = "due"


def _sums() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """What was applied to each invoice (payments, advances) and what credit notes gave
    back, as correlated sums for the search's rows."""
    applied = (
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
        .where(PaymentAllocation.invoice_id == InvoiceHeader.id)
        .correlate(InvoiceHeader)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(CreditNote.total_amount), 0))
        .where(CreditNote.invoice_id == InvoiceHeader.id)
        .correlate(InvoiceHeader)
        .scalar_subquery()
    )
    return applied, credited


def _paid_state(status: str, paid: int, owed: int, credited: int) -> str:
    if status == "cancelled":
        return "cancelled"
    if credited > 0:
        return "refunded"
    if owed == 0:
        return "paid"
    return "partly_paid" if paid > 0 else "due"


def find_invoices(
    db: Database,
    text: str = "",
    *,
    start: date | None = None,
    end: date | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[InvoiceRow]:
    """Invoices whose number or patient's name contains `text` (any case), or whose
    patient's mobile contains its digits (four or more, however typed); dated from `start`
    to `end` (both included); newest first, at most `limit`."""
    if status is not None and status not in STATUSES:
        raise BadInput(f"A status is {' or '.join(STATUSES)}, not '{status}'")
    if start is not None and end is not None and end < start:
        raise BadInput("The last day is before the first")
    if not 1 <= limit <= 1000:
        raise BadInput("Ask for 1 to 1,000 invoices")
    applied, credited = _sums()
    outside = InvoiceHeader.paid_outside.is_(True)
    left = InvoiceHeader.total_amount - credited - applied
    paid = case((outside, InvoiceHeader.total_amount), else_=applied).label("paid")
    owed = case(
        (outside | (InvoiceHeader.status == "cancelled"), literal(0)),
        (left > 0, left),
        else_=literal(0),
    ).label("owed")
    query = (
        select(
            InvoiceHeader.id,
            InvoiceHeader.invoice_number,
            InvoiceHeader.invoice_date,
            Patient.name,
            Patient.mobile,
            InvoiceHeader.total_amount,
            InvoiceHeader.status,
            InvoiceHeader.is_history,
            paid,
            owed,
            credited.label("credited"),
        )
        .join(Patient, Patient.id == InvoiceHeader.patient_id)
        .order_by(InvoiceHeader.invoice_date.desc(), InvoiceHeader.created_at.desc())
        .limit(limit)
    )
    key = text.strip()
    if key:
        matches = [
            InvoiceHeader.invoice_number.ilike(f"%{key}%"),
            Patient.name.ilike(f"%{key}%"),
        ]
        digits = _DIGITS.sub("", key)
        if len(digits) >= 4:
            # '+91 79929 05876' and '079929-05876' name the mobile 7992905876.
            tail = digits[-10:] if len(digits) > 10 else digits
            matches.append(Patient.mobile.like(f"%{tail}%"))
        query = query.where(or_(*matches))
    if start is not None:
        query = query.where(InvoiceHeader.invoice_date >= start)
    if end is not None:
        query = query.where(InvoiceHeader.invoice_date <= end)
    if status in ("issued", "paid", "due", "refunded"):
        query = query.where(InvoiceHeader.status == "issued")
    if status == "cancelled":
        query = query.where(InvoiceHeader.status == "cancelled")
    elif status == "paid":
        query = query.where(owed == 0)
    elif status == "due":
        query = query.where(owed > 0)
    elif status == "refunded":
        query = query.where(credited > 0)
    with db.session(write=False) as session:
        return [
            InvoiceRow(
                id=row.id,
                number=row.invoice_number,
                invoice_date=row.invoice_date,
                patient_name=row.name,
                patient_mobile=row.mobile,
                payable=row.total_amount,
                status=row.status,
                is_history=row.is_history,
                paid=int(row.paid),
                owed=int(row.owed),
                paid_state=_paid_state(row.status, int(row.paid), int(row.owed), int(row.credited)),
            )
            for row in session.execute(query)
        ]
