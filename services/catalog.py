"""Looking up catalog items at the counter: by code, barcode or name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select

from db.engine import Database
from db.models import CatalogItem


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
