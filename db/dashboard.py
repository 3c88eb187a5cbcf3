"""The dashboard's one scan of the visits: each patient's invoices, summed per patient.

An invoice is a visit; cancelled ones never count. The query walks the covering index
ix_invoice_header_visits (status, patient, date, amounts) in order, so it reads no table
rows, and returns one row per patient with a visit in the window. It also returns each
patient's first visit ever (for "new" customers of a fiscal year) and, per fiscal year of
the window, whether the patient visited in it. Amounts are paise.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from db.models import Patient

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class VisitTotals:
    """Per patient (hex ids in `patient_ids`), in the window: visits, first and last visit
    (day numbers, date.toordinal()), net, units and cost; first visit ever; and per
    fiscal-year range given, whether a visit in the window fell in it."""

    patient_ids: list[str]
    visits: IntArray
    first_day: IntArray
    last_day: IntArray
    net: IntArray
    units: IntArray
    cost: IntArray
    first_ever_day: IntArray
    visited_range: BoolArray


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _day_numbers(values: Sequence[Any]) -> IntArray:
    """Dates (date objects, or ISO text as SQLite returns them in raw SQL) as ordinals."""
    days = np.array(values, dtype="datetime64[D]").astype(np.int64)
    return (days + _EPOCH_ORDINAL).astype(np.int64)


def visit_totals(
    session: Session, *, start: date, end: date, ranges: Sequence[tuple[date, date]]
) -> VisitTotals:
    """Each patient's visits in [start, end]; `ranges` are [first, after) fiscal years."""
    params: dict[str, Any] = {"start": start, "end": end}
    binds = [bindparam("start", type_=Date), bindparam("end", type_=Date)]
    range_columns = []
    for index, (first, after) in enumerate(ranges):
        params[f"r{index}a"], params[f"r{index}b"] = first, after
        binds += [bindparam(f"r{index}a", type_=Date), bindparam(f"r{index}b", type_=Date)]
        range_columns.append(
            f", MAX(CASE WHEN in_window = 1 AND invoice_date >= :r{index}a"
            f" AND invoice_date < :r{index}b THEN 1 ELSE 0 END)"
        )
    # The inner select only names what the covering index holds; in_window keeps the
    # window test in one place. Visits after the window cannot change anything asked.
    sql = (
        "SELECT patient_id, SUM(in_window), MIN(CASE WHEN in_window = 1 THEN invoice_date END),"
        " MAX(CASE WHEN in_window = 1 THEN invoice_date END),"
        " SUM(CASE WHEN in_window = 1 THEN gross_amount - total_discount ELSE 0 END),"
        " SUM(CASE WHEN in_window = 1 THEN total_quantity ELSE 0 END),"
        " SUM(CASE WHEN in_window = 1 THEN total_cost ELSE 0 END),"
        " MIN(invoice_date)" + "".join(range_columns) + " FROM (SELECT patient_id, invoice_date,"
        " gross_amount, total_discount, total_quantity, total_cost,"
        " CASE WHEN invoice_date >= :start THEN 1 ELSE 0 END AS in_window"
        " FROM invoice_header WHERE status = 'issued' AND invoice_date <= :end) AS visits"
        " GROUP BY patient_id HAVING SUM(in_window) > 0"
    )
    rows = session.execute(text(sql).bindparams(*binds), params).all()
    columns: list[Sequence[Any]] = (
        list(zip(*rows, strict=True)) if rows else [()] * (8 + len(ranges))
    )

    def integers(index: int) -> IntArray:
        return np.array(columns[index], dtype=np.int64)

    visited = (
        np.array(columns[8:], dtype=np.bool_).T.reshape(len(rows), len(ranges))
        if ranges
        else np.zeros((len(rows), 0), dtype=np.bool_)
    )
    return VisitTotals(
        patient_ids=[_hex(value) for value in columns[0]],
        visits=integers(1),
        first_day=_day_numbers(columns[2]),
        last_day=_day_numbers(columns[3]),
        net=integers(4),
        units=integers(5),
        cost=integers(6),
        first_ever_day=_day_numbers(columns[7]),
        visited_range=visited,
    )


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value)


def first_visit_day(session: Session) -> date | None:
    """The date of the earliest issued invoice, or None before the first one."""
    value = session.execute(
        text("SELECT MIN(invoice_date) FROM invoice_header WHERE status = 'issued'")
    ).scalar()
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def patients_matching(session: Session, *, mobile: str | None, name: str | None) -> set[str]:
    """Hex ids of patients with exactly this mobile and a name containing `name` (any case)."""
    query = select(Patient.id, Patient.name)
    if mobile:
        query = query.where(Patient.mobile == mobile)
    needle = (name or "").casefold()
    return {
        patient_id.hex
        for patient_id, patient_name in session.execute(query)
        if needle in patient_name.casefold()
    }


def patient_details(session: Session, hex_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Name and mobile of each patient asked for, by hex id."""
    found: dict[str, tuple[str, str]] = {}
    ids = [uuid.UUID(hex=value) for value in hex_ids]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for patient_id, name, mobile in session.execute(
            select(Patient.id, Patient.name, Patient.mobile).where(Patient.id.in_(chunk))
        ):
            found[patient_id.hex] = (name, mobile)
    return found
