"""Reading callback requests fast enough to re-read a queue of thousands every refresh.

The queue panel reads every open request (and each patient's visits and spending) about
twice a minute. Through SQLAlchemy's result processing that costs ~15 us a row; on SQLite
the columns are read as the text they are stored as and parsed with the C parsers of
`uuid` and `datetime` instead, which is several times faster and gives the same values.
A request's own id is not parsed at all: it is kept as its 32 hex digits (`key`), which is
what the queue orders by, and made a UUID only where one is acted on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, String, func, select, type_coerce
from sqlalchemy.orm import Session

from db.models import CallbackRequest, InvoiceHeader


class RequestRecord(NamedTuple):
    """One stored callback request, as plain values (instants aware, in UTC); `key` is its
    id as 32 lowercase hex digits (uuid.UUID.hex)."""

    key: str
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


_UUIDS = ("patient_id", "created_by", "assigned_to")
_INSTANTS = ("requested_at", "due_at", "not_before", "preferred_from", "preferred_to", "closed_at")
_FIELDS = RequestRecord._fields
_COLUMN_NAMES = {"key": "id"}  # the record's name for a column, where it differs
_UUID_AT = [_FIELDS.index(name) for name in _UUIDS]
_INSTANT_AT = [_FIELDS.index(name) for name in _INSTANTS]
_PATIENT_AT = _FIELDS.index("patient_id")


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
        column = getattr(CallbackRequest, _COLUMN_NAMES.get(name, name))
        plain = raw and (name == "key" or name in _UUIDS or name in _INSTANTS)
        columns.append(type_coerce(column, String).label(name) if plain else column)
    return columns


def _key(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value)


# Rows are fetched this many at a time and let go once their values are in the columns:
# thousands of rows alive at once (two objects each) would cost the reading a garbage
# collection pass every few hundred, and now and then a full one.
_CHUNK = 200


def _fetch_columns(session: Session, query: Select[Any]) -> list[list[Any]]:
    """The values of `query`'s rows, one list per column."""
    result = session.connection().execute(query, execution_options={"yield_per": _CHUNK})
    columns: list[list[Any]] = [[] for _ in range(len(result.keys()))]
    for part in result.partitions():
        for column, values in zip(columns, zip(*part, strict=True), strict=True):
            column.extend(values)
    return columns


def _parse(columns: list[list[Any]], raw: bool) -> dict[Any, uuid.UUID | None]:
    """Parse, in place, the values of _FIELDS (the first columns); `raw` when the ids and
    instants were read as their stored text (see _columns). One comprehension per column
    costs less than a call per value. Returns the UUID of each id as it was read."""
    if not raw:
        columns[0] = [_key(value) for value in columns[0]]
    # The other ids repeat from row to row (staff, patients with several requests): each
    # distinct one is parsed once.
    parsed: dict[Any, uuid.UUID | None] = {}
    for i in _UUID_AT:
        column = columns[i]
        for value in set(column).difference(parsed):
            parsed[value] = _uuid(value)
        columns[i] = [parsed[value] for value in column]
    parse = datetime.fromisoformat
    for i in _INSTANT_AT:
        column = columns[i]
        if raw:
            # The stored UTC wall time with its offset spelled out: one C parse, no replace().
            columns[i] = [None if value is None else parse(value + "+00:00") for value in column]
        else:
            columns[i] = [_instant(value) for value in column]
    return parsed


def _records(columns: list[list[Any]]) -> Iterator[RequestRecord]:
    """RequestRecords, made as they are iterated, from columns whose first are _FIELDS."""
    return map(RequestRecord._make, zip(*columns[: len(_FIELDS)], strict=True))


def read_requests(session: Session, *where: ColumnElement[bool]) -> list[RequestRecord]:
    """The requests matching `where` (not retired), in no particular order."""
    raw = session.get_bind().dialect.name == "sqlite"
    query = select(*_columns(raw)).where(CallbackRequest.retired_at.is_(None), *where)
    columns = _fetch_columns(session, query)
    _parse(columns, raw)
    return list(_records(columns))


def stream_requests_with_history(
    session: Session, *where: ColumnElement[bool]
) -> tuple[Iterator[RequestRecord], dict[uuid.UUID, tuple[int, int]]]:
    """The requests matching `where` (not retired), made one by one as they are iterated
    (a queue of thousands need not keep them all at once), with (issued invoices, total paid
    in paise) for each registered patient among them, in one query.

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
    columns = _fetch_columns(session, query)
    # Each patient's figures once, found by their id as read (a string hashes in C, a UUID
    # in Python): the same on every request of theirs.
    figures: dict[Any, tuple[int, int]] = {}
    width = len(_FIELDS)
    history_columns = columns[_PATIENT_AT], columns[width], columns[width + 1]
    for pid, visits, spent in zip(*history_columns, strict=True):
        if pid is not None and pid not in figures:
            figures[pid] = (int(visits or 0), int(spent or 0))
    parsed = _parse(columns, raw)
    values = {
        patient_id: patient
        for pid, patient in figures.items()
        if (patient_id := parsed[pid]) is not None
    }
    return _records(columns), values


def read_requests_with_history(
    session: Session, *where: ColumnElement[bool]
) -> tuple[list[RequestRecord], dict[uuid.UUID, tuple[int, int]]]:
    """stream_requests_with_history, with the requests in a list."""
    records, history = stream_requests_with_history(session, *where)
    return list(records), history


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
