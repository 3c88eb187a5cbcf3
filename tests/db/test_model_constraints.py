"""The database itself refuses rows that break the money rules or point at nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from db.engine import Database
from db.models import Base, CatalogItem, InvoiceHeader, InvoiceLineItem

NOW = datetime(2025, 4, 1, 4, 0, tzinfo=UTC)


def _refused(database: Database, row: Base) -> str:
    """Insert `row` in a write transaction; return the database's refusal message."""
    with database.session(write=True) as session:
        session.add(row)
        with pytest.raises(IntegrityError) as refused:
            session.flush()
        session.rollback()
    return str(refused.value.orig)


def _count(database: Database, model: type[Base]) -> int:
    with database.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _line(seed: Any, *, gross: int, discount: int, line_no: int = 1) -> InvoiceLineItem:
    return InvoiceLineItem(
        invoice_id=seed.invoice_id,
        line_no=line_no,
        item_id=seed.item_id,
        item_code="FAC01",
        item_name="Facial",
        item_type="service",
        category="Skin",
        quantity=1,
        unit_price=gross,
        gross_amount=gross,
        discount_type="manual" if discount else None,
        discount_amount=discount,
        line_total=gross - discount,
    )


def test_negative_catalog_price_is_refused(database: Database) -> None:
    item = CatalogItem(
        code="NEG01",
        name="Refund as an item",
        item_type="service",
        category="Skin",
        price=-1,
        created_at=NOW,
        updated_at=NOW,
    )
    message = _refused(database, item)
    assert "CHECK constraint failed" in message
    assert "ck_catalog_items_amounts" in message
    assert _count(database, CatalogItem) == 0


def test_line_discount_above_its_gross_amount_is_refused(database: Database, seed: Any) -> None:
    message = _refused(database, _line(seed, gross=50_000, discount=50_001))
    assert "CHECK constraint failed" in message
    assert "ck_invoice_line_item_discount" in message
    assert _count(database, InvoiceLineItem) == 0


def test_line_discount_equal_to_its_gross_amount_is_accepted(database: Database, seed: Any) -> None:
    with database.session(write=True) as session, session.begin():
        session.add(_line(seed, gross=50_000, discount=50_000))
    assert _count(database, InvoiceLineItem) == 1


def test_invoice_for_a_missing_patient_is_refused(database: Database, seed: Any) -> None:
    invoice = InvoiceHeader(
        branch_id=seed.branch_id,
        invoice_number="SVC-2025-2026-00002",
        series="SVC",
        fiscal_year="2025-2026",
        sequence_no=2,
        invoice_date=date(2025, 4, 1),
        patient_id=uuid.uuid4(),
        created_at=NOW,
        gross_amount=10_000,
        total_amount=10_000,
    )
    message = _refused(database, invoice)
    assert "FOREIGN KEY constraint failed" in message
    assert _count(database, InvoiceHeader) == 1  # only the seed's invoice
