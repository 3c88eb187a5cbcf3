"""The catalog: looking items up at the counter (by code, barcode or name), and the
manager's additions, changes, price history, retirements and CSV import/export (issue #12,
rules in domain.catalog)."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.fast_select import fetch, plain_object
from db.models import Branch, CatalogItem, CatalogPrice
from domain.bounds import csv_cell, from_csv_cell
from domain.catalog import CatalogItemError, ItemSpec, validate_item
from domain.gst import Taxability
from domain.money import paise_to_decimal
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import NotFound, ServiceError
from services.uow import UnitOfWork


@dataclass(frozen=True)
class CatalogEntry:
    """An item as the counter sees it; `price` in paise (GST included)."""

    id: uuid.UUID
    code: str
    name: str
    item_type: str
    category: str
    price: int
    tax_rate: Decimal
    max_discount_percent: Decimal
    barcode: str | None


def _entry(item: CatalogItem) -> CatalogEntry:
    return CatalogEntry(
        id=item.id,
        code=item.code,
        name=item.name,
        item_type=item.item_type,
        category=item.category,
        price=item.price,
        tax_rate=item.tax_rate,
        max_discount_percent=item.max_discount_percent,
        barcode=item.barcode,
    )


def _sellable() -> ColumnElement[bool]:
    return and_(CatalogItem.is_active, CatalogItem.retired_at.is_(None))


def item_by_code(db: Database, text: str) -> CatalogEntry | None:
    """The active item whose code (any case) or barcode is exactly `text`, if any."""
    key = text.strip()
    if not key:
        return None
    with db.session(write=False) as session:
        item = session.scalar(
            select(CatalogItem).where(
                _sellable(),
                or_(func.upper(CatalogItem.code) == key.upper(), CatalogItem.barcode == key),
            )
        )
        return _entry(item) if item else None


def find_items(db: Database, text: str, *, limit: int = 12) -> list[CatalogEntry]:
    """Active items whose code or name contains what was typed, exact codes first."""
    key = text.strip()
    if not key:
        return []
    pattern = f"%{key}%"
    with db.session(write=False) as session:
        items = session.scalars(
            select(CatalogItem)
            .where(
                _sellable(),
                or_(CatalogItem.code.ilike(pattern), CatalogItem.name.ilike(pattern)),
            )
            .order_by(
                (func.upper(CatalogItem.code) != key.upper()),
                (~CatalogItem.name.ilike(f"{key}%")),
                CatalogItem.name,
            )
            .limit(limit)
        ).all()
        return [_entry(item) for item in items]


def items_by_ids(db: Database, ids: list[uuid.UUID]) -> dict[uuid.UUID, CatalogEntry]:
    """Catalog entries by id (inactive ones too: an open cart may hold them)."""
    with db.session(write=False) as session:
        return {
            item.id: _entry(item)
            for item in session.scalars(select(CatalogItem).where(CatalogItem.id.in_(ids)))
        }


def categories(db: Database) -> list[str]:
    """The categories of the catalog's items, sorted (for the promotion dialog's pickers)."""
    with db.session(write=False) as session:
        return sorted(set(session.scalars(select(CatalogItem.category).distinct())))


# ---------------------------------------------------------------------------- prices


def prices_on(
    session: Session, item_ids: Iterable[uuid.UUID], day: date
) -> dict[uuid.UUID, tuple[int, int]]:
    """(price, cost) in force on `day` for the items that have a price history; an item
    missing from the answer sells at its CatalogItem.price (domain.catalog, rule 5)."""
    ids = list(set(item_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(CatalogPrice.item_id, CatalogPrice.price, CatalogPrice.cost)
        .where(CatalogPrice.item_id.in_(ids), CatalogPrice.effective_from <= day)
        .order_by(CatalogPrice.effective_from, CatalogPrice.created_at)
    )
    # In date order, then the order they were made: the last row of an item stands.
    return {item_id: (price, cost) for item_id, price, cost in rows}


def _latest(column: Any) -> Any:
    return (
        select(column)
        .where(
            CatalogPrice.item_id == CatalogItem.id,
            CatalogPrice.effective_from <= bindparam("day"),
        )
        .order_by(CatalogPrice.effective_from.desc(), CatalogPrice.created_at.desc())
        .limit(1)
        .scalar_subquery()
    )


@cache
def _priced_items(count: int) -> Select[Any]:
    """The statement for `count` items (id0, id1, ...), built once per count: the counter's
    save runs it on every invoice, and building costs more than running it."""
    return select(
        CatalogItem.__table__,
        _latest(CatalogPrice.price).label("price_on_day"),
        _latest(CatalogPrice.cost).label("cost_on_day"),
    ).where(
        CatalogItem.id.in_([bindparam(f"id{n}", type_=CatalogItem.id.type) for n in range(count)])
    )


def items_priced_on(
    session: Session, item_ids: Iterable[uuid.UUID], day: date
) -> dict[uuid.UUID, tuple[CatalogItem, int, int]]:
    """The items with their (price, cost) in force on `day`, in one statement; the items
    are plain copies of their rows, not objects of the session (db.fast_select)."""
    ids = list(set(item_ids))
    if not ids:
        return {}
    params: dict[str, Any] = {f"id{n}": item_id for n, item_id in enumerate(ids)}
    params["day"] = day
    found = {}
    for row in fetch(session, _priced_items(len(ids)), params):
        values = row._asdict()
        price, cost = values.pop("price_on_day"), values.pop("cost_on_day")
        item = plain_object(CatalogItem, values)
        found[item.id] = (
            item,
            item.price if price is None else price,
            item.cost if cost is None else cost,
        )
    return found


# ---------------------------------------------------------------------------- editing


class CatalogError(ServiceError):
    """A catalog change that cannot be made."""


@dataclass(frozen=True)
class CatalogRow:
    """An item as the Catalog panel and `catalog list` show it (amounts in paise): its
    price today and, when one is set, the next price and the day it takes effect."""

    id: uuid.UUID
    spec: ItemSpec
    is_active: bool
    retired: bool
    next_price: int | None
    next_price_from: date | None


def _today(session: Session, now: datetime) -> date:
    branch = session.get_one(Branch, this_branch_id(session))
    return now.astimezone(ZoneInfo(branch.timezone)).date()


def _spec(item: CatalogItem, price: int, cost: int) -> ItemSpec:
    return ItemSpec(
        code=item.code,
        name=item.name,
        category=item.category,
        item_type=item.item_type,
        price=price,
        cost=cost,
        hsn_sac=item.hsn_sac,
        taxability=Taxability(item.taxability),
        tax_rate=item.tax_rate,
        max_discount_percent=item.max_discount_percent,
        barcode=item.barcode,
    )


def _rows(session: Session, items: Sequence[CatalogItem], today: date) -> list[CatalogRow]:
    ids = [item.id for item in items]
    now_prices = prices_on(session, ids, today)
    future = {
        item_id: (price, day)
        for item_id, price, day in session.execute(
            select(CatalogPrice.item_id, CatalogPrice.price, CatalogPrice.effective_from)
            .where(CatalogPrice.item_id.in_(ids), CatalogPrice.effective_from > today)
            .order_by(CatalogPrice.effective_from.desc(), CatalogPrice.created_at.desc())
        )
    }
    rows = []
    for item in items:
        price, cost = now_prices.get(item.id, (item.price, item.cost))
        upcoming = future.get(item.id)
        rows.append(
            CatalogRow(
                item.id,
                _spec(item, price, cost),
                item.is_active,
                item.retired_at is not None,
                upcoming[0] if upcoming else None,
                upcoming[1] if upcoming else None,
            )
        )
    return rows


def list_items(
    db: Database,
    actor: CurrentUser,
    *,
    now: datetime,
    include_retired: bool = False,
    category: str | None = None,
) -> list[CatalogRow]:
    """The catalog by category and name, with each item's price today and its cost (what
    the clinic pays: a manager's figure)."""
    require(actor.role, "catalog.read")
    with db.session(write=False) as session:
        query = select(CatalogItem).order_by(CatalogItem.category, CatalogItem.name)
        if not include_retired:
            query = query.where(CatalogItem.retired_at.is_(None))
        if category:
            query = query.where(CatalogItem.category == category)
        return _rows(session, session.scalars(query).all(), _today(session, now))


def _find(session: Session, code: str) -> CatalogItem:
    item = session.scalar(
        select(CatalogItem).where(func.upper(CatalogItem.code) == code.strip().upper())
    )
    if item is None:
        raise NotFound(f"There is no item {code.strip().upper()} in the catalog.")
    return item


def _clash(session: Session, spec: ItemSpec, own: uuid.UUID | None) -> None:
    same_code = session.scalar(
        select(CatalogItem.id).where(func.upper(CatalogItem.code) == spec.code)
    )
    if same_code is not None and same_code != own:
        raise CatalogItemError("code", f"The code {spec.code} is taken by another item")
    if spec.barcode:
        same_barcode = session.scalar(
            select(CatalogItem.code).where(
                CatalogItem.barcode == spec.barcode, CatalogItem.id != own
            )
        )
        if same_barcode is not None:
            raise CatalogItemError("barcode", f"The barcode {spec.barcode} is {same_barcode}'s")


def _set(item: CatalogItem, spec: ItemSpec) -> None:
    item.code = spec.code
    item.name = spec.name
    item.category = spec.category
    item.item_type = spec.item_type
    item.hsn_sac = spec.hsn_sac
    item.taxability = spec.taxability.value
    item.tax_rate = spec.tax_rate
    item.max_discount_percent = spec.max_discount_percent
    item.barcode = spec.barcode


def _write(
    uow: UnitOfWork,
    spec: ItemSpec,
    *,
    code: str | None,
    price_from: date | None,
    today: date,
    audited: bool = True,
) -> CatalogItem:
    """Add (code None) or change one item inside `uow`; a new price from `price_from`.
    A bulk import audits once for all its items (`audited` False)."""
    session, now = uow.session, uow.now
    item = None if code is None else _find(session, code)
    _clash(session, spec, None if item is None else item.id)
    start = price_from or today
    if start < today:
        raise CatalogItemError("price_from", "A price change takes effect today or later")
    if item is None:
        item = CatalogItem(
            id=uuid.uuid4(), price=spec.price, cost=spec.cost, is_active=True, created_at=now
        )
        session.add(item)
        action, priced = "catalog.add", True
    else:
        current, cost = prices_on(session, [item.id], start).get(item.id, (item.price, item.cost))
        action, priced = "catalog.edit", (current, cost) != (spec.price, spec.cost)
    _set(item, spec)
    # Saving an item puts it on sale: a history import adds unknown items off sale until a
    # manager completes them. A retired item stays retired.
    if item.retired_at is None:
        item.is_active = True
    item.updated_at = now
    if priced:
        session.add(
            CatalogPrice(
                item_id=item.id,
                effective_from=start,
                price=spec.price,
                cost=spec.cost,
                created_at=now,
                created_by=None if uow.actor is None else uow.actor.id,
            )
        )
        if start <= today:
            item.price, item.cost = spec.price, spec.cost
    session.flush()
    uow.outbox(documents.CATALOG_ITEM, item.id, documents.catalog_item_json(item, spec, start))
    if audited:
        details = {"code": spec.code, "price": spec.price}
        uow.audit(action, "catalog_item", item.id, {**details, "price_from": start.isoformat()})
    return item


def save_item(
    db: Database,
    actor: CurrentUser,
    data: dict[str, object],
    *,
    now: datetime,
    replacing: str | None = None,
    price_from: date | None = None,
) -> CatalogRow:
    """Add an item, or change the one whose code is `replacing` (manager). A new price or
    cost takes effect from `price_from` (today when not given) and keeps its history."""
    require(actor.role, "catalog.change")
    spec = validate_item(data)
    with UnitOfWork(db, actor, now) as uow:
        today = _today(uow.session, now)
        item = _write(uow, spec, code=replacing, price_from=price_from, today=today)
        [row] = _rows(uow.session, [item], today)
        uow.commit()
        return row


def retire_item(db: Database, actor: CurrentUser, code: str, *, now: datetime) -> CatalogRow:
    """Take an item off sale for good (manager): it stays on the invoices that sold it."""
    require(actor.role, "catalog.change")
    with UnitOfWork(db, actor, now) as uow:
        item = _find(uow.session, code)
        if item.retired_at is not None:
            raise CatalogError(f"{item.code} is already retired.")
        item.retired_at = now
        item.is_active = False
        item.updated_at = now
        today = _today(uow.session, now)
        [row] = _rows(uow.session, [item], today)
        uow.outbox(
            documents.CATALOG_ITEM, item.id, documents.catalog_item_json(item, row.spec, today)
        )
        uow.audit("catalog.retire", "catalog_item", item.id, {"code": item.code})
        uow.commit()
        return row


# ---------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "code",
    "name",
    "category",
    "item_type",
    "price",
    "cost",
    "hsn_sac",
    "taxability",
    "tax_rate",
    "max_discount_percent",
    "barcode",
)


def export_items(db: Database, actor: CurrentUser, target: Path, *, now: datetime) -> int:
    """Write the catalog (retired items left out) as CSV in `import_items`' columns."""
    rows = list_items(db, actor, now=now)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            spec = row.spec
            writer.writerow(
                csv_cell(cell)
                for cell in [
                    spec.code,
                    spec.name,
                    spec.category,
                    spec.item_type,
                    paise_to_decimal(spec.price),
                    paise_to_decimal(spec.cost),
                    spec.hsn_sac,
                    spec.taxability.value,
                    spec.tax_rate.normalize(),
                    spec.max_discount_percent.normalize(),
                    spec.barcode or "",
                ]
            )
    return len(rows)


@dataclass(frozen=True)
class ItemImport:
    """What `import_items` did."""

    added: int
    changed: int
    unchanged: int


def import_items(db: Database, actor: CurrentUser, source: Path, *, now: datetime) -> ItemImport:
    """Add or change items from a CSV in `export_items`' columns, all or nothing (manager):
    the first bad row is named and nothing is saved. New prices take effect today."""
    require(actor.role, "catalog.change")
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{source.name} cannot be read: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [
        c
        for c in ("code", "name", "category", "item_type", "price")
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise CatalogError(
            f"{source.name} has no column {missing[0]}; the header needs {', '.join(CSV_COLUMNS)}."
        )
    specs: list[ItemSpec] = []
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        try:
            spec = validate_item(
                {k: from_csv_cell(v or "") for k, v in record.items() if k in CSV_COLUMNS}
            )
        except CatalogItemError as exc:
            raise CatalogError(f"Line {line}: {exc} ({exc.field}).") from exc
        if spec.code in seen:
            raise CatalogError(f"Line {line}: {spec.code} is in the file twice.")
        seen.add(spec.code)
        specs.append(spec)
    added = changed = unchanged = 0
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        today = _today(session, now)
        existing = {item.code.upper(): item for item in session.scalars(select(CatalogItem))}
        current = prices_on(session, [item.id for item in existing.values()], today)
        for line, spec in enumerate(specs, start=2):
            item = existing.get(spec.code)
            if item is not None:
                price, cost = current.get(item.id, (item.price, item.cost))
                if _spec(item, price, cost) == spec:
                    unchanged += 1
                    continue
            try:
                _write(
                    uow,
                    spec,
                    code=None if item is None else item.code,
                    price_from=None,
                    today=today,
                    audited=False,
                )
            except CatalogItemError as exc:
                raise CatalogError(f"Line {line}: {exc} ({exc.field}).") from exc
            if item is None:
                added += 1
            else:
                changed += 1
        result = ItemImport(added, changed, unchanged)
        uow.audit("catalog.import", "catalog_item", None, {"file": source.name, **asdict(result)})
        uow.commit()
        return result
