"""Gap-free invoice numbers: one sequence per (branch, series, fiscal year).

The number is taken inside the invoice's own write transaction (BEGIN IMMEDIATE), so a
rolled-back invoice gives its number back and two counters never get the same one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from db.fast_select import fetch_one
from db.models import InvoiceSequence
from domain.fiscal import fiscal_year_label
from domain.invoice_numbers import SEEDS_FORMAT, format_invoice_number


@dataclass(frozen=True)
class InvoiceNumber:
    """An allocated number and the parts it is made of."""

    series: str
    fiscal_year: str
    sequence: int
    text: str


# Taken at every invoice, so built once (an expression costs more to build than to run).
_NEXT_NUMBER = (
    update(InvoiceSequence)
    .where(
        (InvoiceSequence.branch_id == bindparam("b_branch"))
        & (InvoiceSequence.series == bindparam("b_series"))
        & (InvoiceSequence.fiscal_year == bindparam("b_year"))
    )
    .values(last_number=InvoiceSequence.last_number + 1)
    .returning(InvoiceSequence.last_number)
    .execution_options(synchronize_session=False)
)


def allocate_invoice_number(
    session: Session,
    *,
    branch_id: uuid.UUID,
    series: str,
    invoice_date: date,
    start_month: int,
    template: str = SEEDS_FORMAT,
    branch_code: str = "",
) -> InvoiceNumber:
    """Take the next number of the invoice date's fiscal year (call inside a write
    transaction), written in the branch's format (domain.invoice_numbers)."""
    year = fiscal_year_label(invoice_date, start_month)
    # A plain row (db.fast_select): the statement runs at every save.
    row = fetch_one(
        session, _NEXT_NUMBER, {"b_branch": branch_id, "b_series": series, "b_year": year}
    )
    sequence = None if row is None else row.last_number
    if sequence is None:
        sequence = 1
        session.execute(
            insert(InvoiceSequence).values(
                branch_id=branch_id, series=series, fiscal_year=year, last_number=sequence
            )
        )
    text = format_invoice_number(series, year, sequence, template=template, branch_code=branch_code)
    return InvoiceNumber(series, year, sequence, text)
