"""Instants are stored in UTC and come back aware; naive datetimes are refused. Percents are
stored exactly, as integer hundredths; a third decimal is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from db.engine import Database
from db.models import Branch, CatalogItem

IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2025, 4, 1, 4, 0, tzinfo=UTC)


def test_naive_datetime_is_refused_on_insert(database: Database) -> None:
    with database.session(write=True) as session:
        session.add(Branch(name="Naive", created_at=datetime(2025, 4, 1, 9, 30), updated_at=NOW))  # noqa: DTZ001
        with pytest.raises(StatementError) as refused:
            session.flush()
        session.rollback()
    assert isinstance(refused.value.orig, ValueError)
    assert "naive datetime" in str(refused.value.orig)
    with database.session(write=False) as session:
        assert session.scalar(select(Branch.id)) is None


def test_aware_ist_instant_round_trips_as_the_same_instant_in_utc(database: Database) -> None:
    opened = datetime(2025, 4, 1, 9, 30, tzinfo=IST)
    with database.session(write=True) as session, session.begin():
        branch = Branch(name="Koramangala", created_at=opened, updated_at=opened)
        session.add(branch)
        session.flush()
        branch_id = branch.id

    with database.session(write=False) as session:
        loaded = session.get_one(Branch, branch_id)
        stored = session.execute(
            text("SELECT created_at FROM branches WHERE id = :id"), {"id": branch_id.hex}
        ).scalar_one()

    assert loaded.created_at == opened
    assert loaded.created_at.tzinfo is UTC
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert (loaded.created_at.hour, loaded.created_at.minute) == (4, 0)
    assert stored.startswith("2025-04-01 04:00:00")  # UTC wall time in the file


def _catalog_item(tax_rate: Decimal) -> CatalogItem:
    return CatalogItem(
        code="GEL01",
        name="Aloe gel",
        item_type="product",
        category="Retail",
        price=35_000,
        tax_rate=tax_rate,
        created_at=NOW,
        updated_at=NOW,
    )


def test_percent_round_trips_exactly_as_hundredths(database: Database) -> None:
    with database.session(write=True) as session, session.begin():
        session.add(_catalog_item(Decimal("12.5")))

    with database.session(write=False) as session:
        tax_rate = session.scalars(select(CatalogItem.tax_rate)).one()
        stored = session.execute(text("SELECT tax_rate FROM catalog_items")).scalar_one()

    assert isinstance(tax_rate, Decimal)
    assert str(tax_rate) == "12.50"
    assert tax_rate == Decimal("12.50")
    assert stored == 1250


def test_percent_with_three_decimals_is_refused(database: Database) -> None:
    with database.session(write=True) as session:
        session.add(_catalog_item(Decimal("12.345")))
        with pytest.raises(StatementError) as refused:
            session.flush()
        session.rollback()
    assert isinstance(refused.value.orig, ValueError)
    assert "more than two decimals" in str(refused.value.orig)
    with database.session(write=False) as session:
        assert session.scalar(select(CatalogItem.id)) is None


def test_utc_now_is_unchanged_by_the_round_trip(database: Database) -> None:
    instant = datetime.now(UTC).replace(microsecond=123456)
    with database.session(write=True) as session, session.begin():
        branch = Branch(name="Now", created_at=instant, updated_at=instant)
        session.add(branch)
    with database.session(write=False) as session:
        assert session.scalars(select(Branch.created_at)).one() == instant
