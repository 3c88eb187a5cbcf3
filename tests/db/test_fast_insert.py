"""db.fast_insert writes what SQLAlchemy's ORM bulk INSERT writes, byte for byte, inside the
session's transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import Database
from db.fast_insert import insert_rows
from db.models import InvoiceHeader, InvoiceLineItem, SyncOutbox
from tests.db.conftest import NOW, Seed

IST = timezone(timedelta(hours=5, minutes=30))


def _header(seed: Seed, number: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "branch_id": seed.branch_id,
        "invoice_number": f"SVC-2025-2026-{number:05d}",
        "series": "SVC",
        "fiscal_year": "2025-2026",
        "sequence_no": number,
        "invoice_date": date(2025, 4, 2),
        "patient_id": seed.patient_id,
        "created_at": datetime(2025, 4, 2, 10, 15, tzinfo=IST),
        "status": None,  # left to the column's default, as the ORM's bulk INSERT does
        "gross_amount": 120_000,
        "total_discount": 20_000,
        "tax_amount": None,
        "total_amount": 100_000,
        "campaigns_applied": {"applied_promotions": [{"rate": Decimal("12.50"), "n": 1}]},
        "promo_codes_entered": None,
        "is_history": False,
        "notes": "first visit",
    }
    return row | changes


def _stored(database: Database, table: str, key: str, value: Any) -> dict[str, Any]:
    with database.engine.connect() as connection:
        row = connection.exec_driver_sql(
            f"SELECT * FROM {table} WHERE {key} = ?", (value,)
        ).mappings()
        return dict(row.one())


def _without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in keys}


def test_rows_read_back_as_the_orm_bulk_insert_writes_them(database: Database, seed: Seed) -> None:
    theirs, ours = _header(seed, 2), _header(seed, 3)
    line = {
        "invoice_id": ours["id"],
        "line_no": 1,
        "item_id": seed.item_id,
        "item_code": "FAC01",
        "item_name": "Facial",
        "item_type": "service",
        "category": "Skin",
        "quantity": 2,
        "unit_price": 60_000,
        "gross_amount": 120_000,
        "discount_percent": Decimal("16.67"),
        "discount_amount": 20_000,
        "tax_rate": Decimal("18"),
        "line_total": 100_000,
    }
    with database.session(write=True) as session, session.begin():
        session.execute(insert(InvoiceHeader), [theirs])
        session.execute(
            insert(InvoiceLineItem), [line | {"id": uuid.uuid4(), "invoice_id": theirs["id"]}]
        )
        insert_rows(session, InvoiceHeader.__table__, [ours])
        insert_rows(session, InvoiceLineItem.__table__, [line | {"id": uuid.uuid4()}])
    a = _stored(database, "invoice_header", "invoice_number", theirs["invoice_number"])
    b = _stored(database, "invoice_header", "invoice_number", ours["invoice_number"])
    assert b["status"] == "issued" and b["tax_amount"] == 0
    assert b["created_at"] == a["created_at"] and "05:30" not in str(b["created_at"])
    varying = ("id", "invoice_number", "sequence_no")
    assert _without(a, *varying) == _without(b, *varying)
    la = _stored(database, "invoice_line_item", "invoice_id", a["id"])
    lb = _stored(database, "invoice_line_item", "invoice_id", b["id"])
    assert _without(la, "id", "invoice_id") == _without(lb, "id", "invoice_id")
    assert lb["discount_percent"] == la["discount_percent"] != 0


def test_rows_leaving_out_different_keys_go_in_together(database: Database, seed: Seed) -> None:
    rows = [
        {
            "doc_type": "invoice",
            "doc_id": uuid.uuid4(),
            "doc_version": 1,
            "payload": {"n": 1},
            "created_at": NOW,
            "attempts": 0,
            "last_error": None,
        },
        {
            "doc_type": "payment",
            "doc_id": uuid.uuid4(),
            "doc_version": 1,
            "payload": {"n": 2},
            "created_at": NOW,
            "attempts": 0,
            "last_error": "timeout",
        },
    ]
    with database.session(write=True) as session, session.begin():
        insert_rows(session, SyncOutbox.__table__, rows)
    with database.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT id, doc_type, payload, last_error FROM sync_outbox ORDER BY id")
        ).all()
    assert [(r.doc_type, r.payload, r.last_error) for r in stored] == [
        ("invoice", '{"n": 1}', None),
        ("payment", '{"n": 2}', "timeout"),
    ]
    assert stored[1].id == stored[0].id + 1  # the table's own key, in the order given


def test_a_rolled_back_transaction_keeps_none_of_them(database: Database, seed: Seed) -> None:
    with (
        pytest.raises(RuntimeError),
        database.session(write=True) as session,
        session.begin(),
    ):
        insert_rows(session, InvoiceHeader.__table__, [_header(seed, 4)])
        raise RuntimeError("the save failed after the insert")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM invoice_header").scalar() == 1


def test_a_refused_row_raises_what_sqlalchemy_would(database: Database, seed: Seed) -> None:
    taken = _header(seed, 1)  # the seed's invoice has number 00001 in this series
    with (
        pytest.raises(IntegrityError, match="UNIQUE constraint failed"),
        database.session(write=True) as session,
        session.begin(),
    ):
        insert_rows(session, InvoiceHeader.__table__, [taken])


@pytest.mark.postgres
def test_on_postgresql_none_is_left_to_the_default_as_well(pg_url: URL) -> None:
    engine = create_engine(pg_url)
    try:
        SyncOutbox.__table__.create(engine)
        rows = [
            {
                "doc_type": "invoice",
                "doc_id": uuid.uuid4(),
                "doc_version": None,
                "payload": {"n": 1},
                "created_at": NOW,
                "attempts": None,
            },
            {
                "doc_type": "payment",
                "doc_id": uuid.uuid4(),
                "doc_version": 3,
                "payload": {"n": 2},
                "created_at": NOW,
                "attempts": 2,
            },
        ]
        with Session(engine) as session, session.begin():
            insert_rows(session, SyncOutbox.__table__, rows)
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT doc_type, doc_version, attempts FROM sync_outbox ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in stored] == [("invoice", 1, 0), ("payment", 3, 2)]
