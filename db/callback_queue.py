"""Reading callback requests fast enough to re-read a queue of thousands every refresh.

The queue panel reads every open request (and each patient's visits and spending) about
twice a minute. Through SQLAlchemy's result processing that costs ~15 us a row; on SQLite
the columns are read as the text they are stored as and parsed with the C parsers of
`uuid` and `datetime` instead, which is several times faster and gives the same values.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, String, func, select, type_coerce
from sqlalchemy.orm import Session

from db.models import CallbackRequest, InvoiceHeader


class RequestRecord(NamedTuple):
    """One stored callback request, as plain values (instants aware, in UTC)."""

    id: uuid.UUID
    patient_id: uuid.UUID | None
    contact_name: str
    mobile: str
    reason: str
    source: str
    notes: str
    status: str
    requested_at: datetime
    due_at: datetime
    not_before: datetime | None
    preferred_from: datetime | None
    preferred_to: datetime | None
    created_by: uuid.UUID
    assigned_to: uuid.UUID | None
    attempts: int
    outcome: str | None
    closed_at: datetime | None


_UUIDS = ("id", "patient_id", "created_by", "assigned_to")
_INSTANTS = ("requested_at", "due_at", "not_before", "preferred_from", "preferred_to", "closed_at")
_FIELDS = RequestRecord._fields


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(hex=value)


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    # The stored UTC wall time with its offset spelled out: one C parse, no replace().
    return datetime.fromisoformat(value + "+00:00")


def _columns(raw: bool) -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = []
    for name in _FIELDS:
        column = getattr(CallbackRequest, name)
        plain = raw and (name in _UUIDS or name in _INSTANTS)
        columns.append(type_coerce(column, String).label(name) if plain else column)
    return columns


# Ids that repeat from row to row (staff, and patients with several requests): parsed once.
_REPEATING = ("patient_id", "created_by", "assigned_to")


def _records(rows: Sequence[Any]) -> list[RequestRecord]:
    """RequestRecords from rows whose first columns are _FIELDS, in that order."""
    if not rows:
        return []
    # Column by column: one comprehension per column costs less than a call per value.
    columns: list[Any] = [list(column) for column in zip(*rows, strict=False)][: len(_FIELDS)]
    parsed: dict[Any, uuid.UUID | None] = {}
    for name in _UUIDS:
        i = _FIELDS.index(name)
        if name in _REPEATING:
            for value in set(columns[i]) - parsed.keys():
                parsed[value] = _uuid(value)
            columns[i] = [parsed[value] for value in columns[i]]
        elif all(type(value) is str for value in columns[i]):
            make_uuid = uuid.UUID  # the stored hex of a unique id: parse it straight away
            columns[i] = [make_uuid(value) for value in columns[i]]
        else:
            columns[i] = [_uuid(value) for value in columns[i]]
    for name in _INSTANTS:
        i = _FIELDS.index(name)
        columns[i] = [_instant(value) for value in columns[i]]
    make = RequestRecord._make
    return [make(values) for values in zip(*columns, strict=True)]


def read_requests(session: Session, *where: ColumnElement[bool]) -> list[RequestRecord]:
    """The requests matching `where` (not retired), in no particular order."""
    raw = session.get_bind().dialect.name == "sqlite"
    query = select(*_columns(raw)).where(CallbackRequest.retired_at.is_(None), *where)
    return _records(session.connection().execute(query).all())


def read_requests_with_history(
    session: Session, *where: ColumnElement[bool]
) -> tuple[list[RequestRecord], dict[uuid.UUID, tuple[int, int]]]:
    """The requests matching `where` (not retired), with (issued invoices, total paid in
    paise) for each registered patient among them, in one query.

    The same figures as `patient_history`: the invoice totals are summed per patient in a
    subquery limited to the patients of these requests, and joined on.
    """
    raw = session.get_bind().dialect.name == "sqlite"
    live = (CallbackRequest.retired_at.is_(None), *where)
    history = (
        select(
            InvoiceHeader.patient_id.label("patient_id"),
            func.count(InvoiceHeader.id).label("visits"),
            func.coalesce(func.sum(InvoiceHeader.total_amount), 0).label("spent"),
        )
        .where(
            InvoiceHeader.status == "issued",
            InvoiceHeader.patient_id.in_(select(CallbackRequest.patient_id).where(*live)),
        )
        .group_by(InvoiceHeader.patient_id)
        .subquery()
    )
    query = (
        select(*_columns(raw), history.c.visits, history.c.spent)
        .outerjoin(history, history.c.patient_id == CallbackRequest.patient_id)
        .where(*live)
    )
    rows = session.connection().execute(query).all()
    records = _records(rows)
    values: dict[uuid.UUID, tuple[int, int]] = {}
    width = len(_FIELDS)
    for record, row in zip(records, rows, strict=True):
        pid = record.patient_id
        if pid is not None and pid not in values:
            visits, spent = row[width], row[width + 1]
            values[pid] = (int(visits or 0), int(spent or 0))
    return records, values


def patient_history(
    session: Session, patient_ids: Iterable[uuid.UUID | None], *, open_statuses: Sequence[str]
) -> dict[uuid.UUID, tuple[int, int]]:
    """(issued invoices, total paid in paise) for each patient given (zero when none)."""
    ids = {pid for pid in patient_ids if pid is not None}
    if not ids:
        return {}
    query = (
        select(
            InvoiceHeader.patient_id,
            func.count(InvoiceHeader.id),
            func.coalesce(func.sum(InvoiceHeader.total_amount), 0),
        )
        .where(InvoiceHeader.status == "issued")
        .group_by(InvoiceHeader.patient_id)
    )
    if len(ids) > 200:
        # A long IN list costs more than letting the database join on the open requests.
        query = query.where(
            InvoiceHeader.patient_id.in_(
                select(CallbackRequest.patient_id).where(CallbackRequest.status.in_(open_statuses))
            )
        )
    else:
        query = query.where(InvoiceHeader.patient_id.in_(ids))
    found = {pid: (int(visits), int(spent)) for pid, visits, spent in session.execute(query)}
    return {pid: found.get(pid, (0, 0)) for pid in ids}
