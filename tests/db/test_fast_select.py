"""db.fast_select reads what SQLAlchemy reads, value for value, inside the session's
transaction; its savepoint keeps or drops what its block wrote; its plain objects read
back what they were given and belong to no session."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.exc import IntegrityError

from db.engine import Database
from db.fast_insert import insert_rows
from db.fast_select import (
    fetch,
    fetch_one,
    plain_object,
    remember_reads,
    remembered,
    savepoint,
    stamp_reads,
)
from db.models import AppSetting, CatalogItem, InvoiceHeader, InvoiceLineItem, Patient
from tests.db.conftest import NOW, Seed

_INVOICE = select(InvoiceHeader.__table__).where(InvoiceHeader.id == bindparam("id"))
_ITEMS = select(CatalogItem.__table__).where(
    CatalogItem.is_active.is_(True), CatalogItem.code != "NONE"
)
_RENAME = (
    update(Patient)
    .where(Patient.id == bindparam("b_id"))
    .values(name=bindparam("b_name", type_=Patient.__table__.c.name.type))
    .returning(Patient.name, Patient.updated_at)
    .execution_options(synchronize_session=False)
)
_SETTING = select(AppSetting.key, AppSetting.value).where(AppSetting.key == bindparam("key"))


def test_rows_read_as_sqlalchemy_reads_them(database: Database, seed: Seed) -> None:
    with database.session(write=True) as session, session.begin():
        session.add(AppSetting(key="k", value={"rate": "12.50", "on": True, "n": [1, 2]}))
    with database.session(write=False) as session:
        ours = fetch_one(session, _INVOICE, {"id": seed.invoice_id})
        theirs = session.execute(_INVOICE, {"id": seed.invoice_id}).one()
        assert ours == tuple(theirs)
        assert ours._fields == tuple(theirs._fields)
        assert isinstance(ours.id, uuid.UUID)
        assert ours.created_at == NOW and ours.created_at.tzinfo is not None
        # Fixed values in the statement (IS 1, != 'NONE') go with it.
        assert [row.code for row in fetch(session, _ITEMS)] == ["FAC01"]
        assert fetch_one(session, _SETTING, {"key": "k"}).value == {
            "rate": "12.50",
            "on": True,
            "n": [1, 2],
        }
        assert fetch_one(session, _SETTING, {"key": "absent"}) is None


def test_an_update_returning_runs_in_the_session_transaction(
    database: Database, seed: Seed
) -> None:
    with database.session(write=True) as session:
        (row,) = fetch(session, _RENAME, {"b_id": seed.patient_id, "b_name": "Asha R."})
        assert row.name == "Asha R." and row.updated_at == NOW
        session.rollback()
    with database.session(write=False) as session:
        assert session.get_one(Patient, seed.patient_id).name == "Asha Rao"


def test_a_missing_parameter_is_an_error_not_a_null(database: Database, seed: Seed) -> None:
    with database.session(write=False) as session, pytest.raises(KeyError):
        fetch(session, _INVOICE, {})


def _line(seed: Seed, line_no: int) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "invoice_id": seed.invoice_id,
        "line_no": line_no,
        "item_id": seed.item_id,
        "item_code": "FAC01",
        "item_name": "Facial",
        "item_type": "service",
        "category": "Skin",
        "quantity": 1,
        "unit_price": 50_000,
        "gross_amount": 50_000,
        "discount_amount": 0,
        "line_total": 50_000,
    }


def _lines(database: Database, seed: Seed) -> list[int]:
    with database.session(write=False) as session:
        return sorted(
            session.scalars(
                select(InvoiceLineItem.line_no).where(InvoiceLineItem.invoice_id == seed.invoice_id)
            )
        )


def test_a_savepoint_drops_only_what_its_block_wrote(database: Database, seed: Seed) -> None:
    table = InvoiceLineItem.__table__
    with database.session(write=True) as session, session.begin():
        insert_rows(session, table, [_line(seed, 1)])
        with pytest.raises(IntegrityError), savepoint(session):
            insert_rows(session, table, [_line(seed, 2)])
            insert_rows(session, table, [_line(seed, 1)])  # the same line number again
        with savepoint(session):
            insert_rows(session, table, [_line(seed, 3)])
    assert _lines(database, seed) == [1, 3]


def test_a_savepoint_undoes_a_block_that_raised_anything(database: Database, seed: Seed) -> None:
    with database.session(write=True) as session, session.begin():
        with pytest.raises(RuntimeError), savepoint(session):
            insert_rows(session, InvoiceLineItem.__table__, [_line(seed, 5)])
            raise RuntimeError("tracking failed")
        # The transaction goes on after it.
        session.execute(text("SELECT 1"))
    assert _lines(database, seed) == []


def test_a_plain_object_reads_back_its_values_and_is_in_no_session(
    database: Database, seed: Seed
) -> None:
    with database.session(write=False) as session:
        row = fetch_one(session, _INVOICE, {"id": seed.invoice_id})
        invoice = plain_object(InvoiceHeader, row._asdict())
        assert invoice.invoice_number == "SVC-2025-2026-00001"
        assert invoice.created_at == NOW
        assert invoice not in session
    built = plain_object(Patient, {"id": uuid.uuid4(), "name": "Ravi"})
    assert built.name == "Ravi"
    assert built.mobile is None  # not given
    built.mobile = "9800000002"  # an attribute set afterwards, as on any object
    assert built.mobile == "9800000002"


def _two_transactions(database: Database, between=lambda: None, *, stamp=True) -> int:
    """How many times a remembered read ran over two write transactions of `database`,
    with `between` done after the first."""
    calls: list[int] = []

    def read() -> int:
        calls.append(1)
        return len(calls)

    for first in (True, False):
        keep = None
        with database.session(write=True) as session, session.begin():
            remember_reads(session)
            assert remembered(session, "answer", read) == len(calls)
            assert remembered(session, "answer", read) == len(calls)  # kept within it
            if stamp or not first:
                keep = stamp_reads(session)
        if keep is not None:
            keep()  # committed
        if first:
            between()
    return len(calls)


def test_a_read_is_kept_while_nothing_is_written(database: Database, seed: Seed) -> None:
    assert _two_transactions(database) == 1


def test_a_read_is_read_again_after_this_connection_writes(database: Database, seed: Seed) -> None:
    def rename() -> None:
        with database.session(write=True) as session, session.begin():
            session.execute(_RENAME, {"b_id": seed.patient_id, "b_name": "Renamed"})

    assert _two_transactions(database, rename) == 2


def test_a_read_is_read_again_after_another_connection_commits(
    database: Database, seed: Seed, db_path
) -> None:
    def rename_elsewhere() -> None:
        with sqlite3.connect(db_path) as other:
            other.execute(
                "UPDATE patients SET name = 'Renamed' WHERE id = ?", (seed.patient_id.hex,)
            )

    assert _two_transactions(database, rename_elsewhere) == 2


def test_a_transaction_not_stamped_keeps_nothing_for_the_next(
    database: Database, seed: Seed
) -> None:
    assert _two_transactions(database, stamp=False) == 2


def test_a_transaction_that_did_not_commit_keeps_nothing_for_the_next(
    database: Database, seed: Seed
) -> None:
    calls: list[int] = []
    with database.session(write=True) as session, session.begin():
        remember_reads(session)
        remembered(session, "answer", lambda: calls.append(1))
        stamp_reads(session)  # stamped, and then the commit failed: never kept
    with database.session(write=True) as session, session.begin():
        remember_reads(session)
        remembered(session, "answer", lambda: calls.append(1))
    assert len(calls) == 2


def test_without_remember_reads_every_read_runs(database: Database, seed: Seed) -> None:
    calls: list[int] = []
    with database.session(write=True) as session, session.begin():
        for _ in range(2):
            remembered(session, "answer", lambda: calls.append(1))
    assert len(calls) == 2
