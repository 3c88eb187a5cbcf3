"""Invoices found again (issue #11): by number, by the patient's name or mobile, by date and
by status, newest first."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from db.engine import Database
from db.models import InvoiceHeader, Patient
from domain.errors import BadInput

STATUSES = ("issued", "cancelled")
_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as a list shows it (payable in paise)."""

    id: uuid.UUID
    number: str
    invoice_date: date
    patient_name: str
    patient_mobile: str
    payable: int
    status: str
    is_history: bool


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
    if status is not None:
        query = query.where(InvoiceHeader.status == status)
    with db.session(write=False) as session:
        return [InvoiceRow(*row) for row in session.execute(query)]
