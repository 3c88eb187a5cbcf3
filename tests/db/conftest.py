"""Fixtures for the persistence tests: a real Frontdesk database in a temporary folder, and
the few rows most tests need (a branch, a patient, a catalog item, an invoice)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from db.engine import Database
from db.migrate import open_database
from db.models import Branch, CatalogItem, InvoiceHeader, Patient

NOW = datetime(2025, 4, 1, 4, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "branch.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    """A new database at head, closed after the test."""
    database = open_database(db_path)
    try:
        yield database
    finally:
        database.close()


@dataclass(frozen=True)
class Seed:
    branch_id: uuid.UUID
    patient_id: uuid.UUID
    item_id: uuid.UUID
    invoice_id: uuid.UUID


@pytest.fixture
def seed(database: Database) -> Seed:
    """One branch, patient, catalog item and an issued invoice of 500.00 (no lines yet)."""
    with database.session(write=True) as session, session.begin():
        branch = Branch(name="Indiranagar", created_at=NOW, updated_at=NOW)
        session.add(branch)
        session.flush()
        patient = Patient(
            branch_id=branch.id,
            name="Asha Rao",
            mobile="9800000001",
            created_at=NOW,
            updated_at=NOW,
        )
        item = CatalogItem(
            code="FAC01",
            name="Facial",
            item_type="service",
            category="Skin",
            price=50_000,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add_all([patient, item])
        session.flush()
        invoice = InvoiceHeader(
            branch_id=branch.id,
            invoice_number="SVC-2025-2026-00001",
            series="SVC",
            fiscal_year="2025-2026",
            sequence_no=1,
            invoice_date=date(2025, 4, 1),
            patient_id=patient.id,
            created_at=NOW,
            gross_amount=50_000,
            total_amount=50_000,
        )
        session.add(invoice)
        session.flush()
        return Seed(branch.id, patient.id, item.id, invoice.id)
