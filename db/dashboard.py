"""The dashboard's scan of the visits: each patient's invoices, summed per patient.

An invoice is a visit; cancelled ones never count. The queries walk the covering index
ix_invoice_header_visits (status, patient, date, amounts) in order, so they read no table
rows: one row per patient with a visit in the window, with which fiscal years of the window
the patient visited in, and each patient's first visit ever (for "new" customers of a
fiscal year). Amounts are paise. The scan is written for SQLite, the branch's database.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select, text
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
# Fiscal years a window may span and still be packed into one signed 64-bit mask.
MASK_YEARS = 62


def _day_numbers(values: Sequence[Any]) -> IntArray:
    """Dates (date objects, or ISO text as SQLite returns them in raw SQL) as ordinals."""
    days = np.array(values, dtype="datetime64[D]").astype(np.int64)
    return (days + _EPOCH_ORDINAL).astype(np.int64)


def visit_totals(
    session: Session, *, start: date, end: date, ranges: Sequence[tuple[date, date]]
) -> VisitTotals:
    """Each patient's visits in [start, end]; `ranges` are the [first, after) fiscal years
    that cover the window, in order."""
    # SQLite only (the branch's database): INDEXED BY keeps the planner on the covering
    # index, which it would leave for the date index once the window is in the WHERE
    # clause (three times slower: a random table read per visit), and a comparison is an
    # integer, so the sum of the boundaries passed is the visit's fiscal year. Summing
    # each visit year's distinct bit is OR-ing them: one integer says which years a
    # patient visited. A window of more fiscal years than a 64-bit integer has bits
    # (issue #13: one visit dated 1960) is read by month instead (_visited_by_month).
    packed = len(ranges) <= MASK_YEARS
    year_of_visit = " + ".join(["0", *(["(invoice_date >= ?)"] * (len(ranges) - 1))])
    raw = session.connection().connection.driver_connection
    assert raw is not None, "the session's connection is open"
    rows = raw.execute(
        "SELECT patient_id, COUNT(*), MIN(invoice_date), MAX(invoice_date),"
        " SUM(gross_amount - total_discount), SUM(total_quantity), SUM(total_cost),"
        + (f" SUM(DISTINCT 1 << ({year_of_visit}))" if packed else " 0")
        + " FROM invoice_header INDEXED BY ix_invoice_header_visits"
        " WHERE status = 'issued' AND invoice_date BETWEEN ? AND ? GROUP BY patient_id",
        [
            *(first.isoformat() for first, _after in ranges[1:] if packed),
            start.isoformat(),
            end.isoformat(),
        ],
    ).fetchall()
    earlier = dict(
        raw.execute(
            "SELECT patient_id, MIN(invoice_date) FROM invoice_header"
            " INDEXED BY ix_invoice_header_visits WHERE status = 'issued' AND invoice_date < ?"
            " GROUP BY patient_id",
            [start.isoformat()],
        ).fetchall()
    )
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 8
    patient_ids = list(columns[0])
    first_day = _day_numbers(columns[2])
    first_ever = (
        _day_numbers(
            [
                earlier.get(patient, day)
                for patient, day in zip(patient_ids, columns[2], strict=True)
            ]
        )
        if earlier
        else first_day
    )
    if packed:
        years = np.array(columns[7], dtype=np.int64)
        visited = (years[:, None] >> np.arange(len(ranges), dtype=np.int64)) & 1
    else:
        visited = _visited_by_month(raw, list(columns[0]), start, end, ranges)

    def integers(index: int) -> IntArray:
        return np.array(columns[index], dtype=np.int64)

    return VisitTotals(
        patient_ids=patient_ids,
        visits=integers(1),
        first_day=first_day,
        last_day=_day_numbers(columns[3]),
        net=integers(4),
        units=integers(5),
        cost=integers(6),
        first_ever_day=first_ever,
        visited_range=visited.astype(np.bool_).reshape(len(rows), len(ranges)),
    )


def _visited_by_month(
    raw: Any, patients: list[Any], start: date, end: date, ranges: Sequence[tuple[date, date]]
) -> IntArray:
    """Which ranges each patient visited in, from the distinct months of their visits (a
    fiscal year starts on the first of a month): for windows too long for the mask."""
    firsts = [first for first, _after in ranges]
    row_of = {patient: row for row, patient in enumerate(patients)}
    visited = np.zeros((len(patients), len(ranges)), dtype=np.int64)
    for patient, month in raw.execute(
        "SELECT patient_id, substr(invoice_date, 1, 7) FROM invoice_header"
        " INDEXED BY ix_invoice_header_visits"
        " WHERE status = 'issued' AND invoice_date BETWEEN ? AND ? GROUP BY patient_id, 2",
        [start.isoformat(), end.isoformat()],
    ):
        first_of_month = date.fromisoformat(f"{month}-01")
        visited[row_of[patient], bisect_right(firsts, first_of_month) - 1] = 1
    return visited


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
