"""Benchmark of the manager dashboard: a full refresh over a million invoice lines.

Goal (issue #6): under 1 s for services.dashboard.refresh (the RFM figures of all history
and the campaign charts) on a clinic with 100,000 patients and 1,000,000 invoice lines,
reported with its ratio to pandas computing the same figures from data already in memory
(one row per invoice: patient, date, status, units, net, cost, the columns the refresh
reads). The clinic is generated once and cached (FRONTDESK_BENCH_CACHE, default
~/.cache/frontdesk-bench); generating it takes a minute.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import BenchResult

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
PATIENTS = 100_000
LINES = 1_000_000
HISTORY_DAYS = 5 * 365
RUNS = 5
GOAL_S = 1.0
DATA_VERSION = 1
PIN = "432109"


def _cache_path() -> Path:
    from db.migrate import head_revision

    folder = Path(
        os.environ.get("FRONTDESK_BENCH_CACHE", Path.home() / ".cache" / "frontdesk-bench")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"dashboard-v{DATA_VERSION}-rev{head_revision()}.db"


def _generate(path: Path) -> None:
    """A blank clinic, then 100,000 patients and invoices totalling 1,000,000 lines."""
    from services.setup import initialise, open_branch_database

    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = open_branch_database(partial, now=NOW)
    initialise(db, demo=False, now=NOW, today=TODAY, admin_pin=PIN)
    db.close()
    rng = random.Random(6)
    stamp = "2026-11-24 05:30:00.000000"
    con = sqlite3.connect(partial)
    try:
        branch = con.execute("SELECT id FROM branches").fetchone()[0]
        admin = con.execute("SELECT id FROM users").fetchone()[0]
        items = []
        for n in range(40):
            price = rng.choice([300, 500, 1200, 2500, 4500, 8000]) * 100
            items.append((uuid.UUID(int=rng.getrandbits(128)).hex, f"B{n:03d}", price))
        con.executemany(
            "INSERT INTO catalog_items (id, code, name, item_type, category, price, cost,"
            " tax_rate, max_discount_percent, is_active, created_at, updated_at)"
            " VALUES (?, ?, ?, 'service', 'Bench', ?, ?, 0, 10000, 1, ?, ?)",
            [
                (i, code, f"Item {code}", price, price // 3, stamp, stamp)
                for i, code, price in items
            ],
        )
        patients = [uuid.UUID(int=rng.getrandbits(128)).hex for _ in range(PATIENTS)]
        con.executemany(
            "INSERT INTO patients (id, branch_id, name, mobile, consent_sms, consent_email,"
            " consent_whatsapp, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0, 0, ?, ?)",
            [
                (p, branch, f"Patient {n}", f"9{n:09d}", stamp, stamp)
                for n, p in enumerate(patients)
            ],
        )
        # Every patient visits at least once; after that, loyal patients (a weight falling
        # with the index) come back often.
        cumulative = list(itertools.accumulate(1 / (1 + n / 2_000) for n in range(PATIENTS)))
        returns = iter(rng.choices(patients, cum_weights=cumulative, k=LINES))
        lines_left, number = LINES, 0
        headers: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        first_day = TODAY - timedelta(days=HISTORY_DAYS)
        while lines_left:
            patient = patients[number] if number < PATIENTS else next(returns)
            count = min(lines_left, rng.randint(1, 5))
            lines_left -= count
            number += 1
            invoice = uuid.UUID(int=rng.getrandbits(128)).hex
            day = first_day + timedelta(days=rng.randrange(HISTORY_DAYS + 1))
            gross = discount = quantity = cost = 0
            for line_no in range(1, count + 1):
                item, code, price = rng.choice(items)
                units = rng.randint(1, 3)
                line_gross = units * price
                line_discount = line_gross // 10 if rng.random() < 0.3 else 0
                gross, discount = gross + line_gross, discount + line_discount
                quantity, cost = quantity + units, cost + units * (price // 3)
                rows.append(
                    (
                        uuid.UUID(int=rng.getrandbits(128)).hex,
                        invoice,
                        line_no,
                        item,
                        code,
                        units,
                        price,
                        price // 3,
                        line_gross,
                        line_discount,
                        line_gross - line_discount,
                    )
                )
            status = "cancelled" if rng.random() < 0.02 else "issued"
            headers.append(
                (
                    invoice,
                    branch,
                    f"OLD-{number}",
                    day.isoformat(),
                    patient,
                    admin,
                    stamp,
                    status,
                    gross,
                    discount,
                    gross - discount,
                    quantity,
                    cost,
                )
            )
        con.executemany(
            "INSERT INTO invoice_header (id, branch_id, invoice_number, fiscal_year, invoice_date,"
            " patient_id, created_by, created_at, status, gross_amount, total_discount,"
            " tax_amount, round_off, total_amount, is_history, notes, total_quantity, total_cost)"
            " VALUES (?, ?, ?, 'history', ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, 1, '', ?, ?)",
            headers,
        )
        con.executemany(
            "INSERT INTO invoice_line_item (id, invoice_id, line_no, item_id, item_code,"
            " item_name, item_type, category, quantity, unit_price, unit_cost, gross_amount,"
            " discount_percent, discount_amount, tax_rate, tax_amount, line_total)"
            " VALUES (?, ?, ?, ?, ?, 'Item', 'service', 'Bench', ?, ?, ?, ?, 0, ?, 0, 0, ?)",
            rows,
        )
        con.commit()
        con.execute("ANALYZE")
    finally:
        con.close()
    partial.rename(path)


def _pandas_figures(frame: Any, start_month: int) -> dict[str, Any]:
    """The dashboard's RFM figures over all history, vectorised pandas from memory."""
    import numpy as np
    import pandas as pd

    issued = frame[frame.status == "issued"]
    end = pd.Timestamp(TODAY)
    people = issued.groupby("patient").agg(
        visits=("date", "size"),
        first=("date", "min"),
        last=("date", "max"),
        net=("net", "sum"),
        units=("units", "sum"),
        cost=("cost", "sum"),
    )
    recency = (end - people["last"]).dt.days

    def score(values: Any) -> Any:
        cuts = values.quantile([0.2, 0.4, 0.6, 0.8]).to_numpy() + 1
        return np.searchsorted(cuts, values.to_numpy(), side="right") + 1

    r = 6 - score(recency)
    f = score(people.visits)
    m = score(people.net / 100)
    segment = np.select(
        [(r >= 3) & (f >= 3) & (m >= 3), (r >= 2) & (f >= 2), r >= 4], [0, 1, 2], default=3
    )
    gaps = people.visits - 1
    span = (people["last"] - people["first"]).dt.days
    returning = gaps > 0
    mean_gap = span[returning] / gaps[returning]
    fiscal = issued.date.dt.year - (issued.date.dt.month < start_month)
    first_fiscal = fiscal.groupby(issued.patient).transform("min")
    per_year = pd.DataFrame(
        {"fy": fiscal, "patient": issued.patient, "new": fiscal == first_fiscal}
    )
    years = per_year.groupby(["fy", "patient"]).new.max().groupby("fy").agg(["size", "sum"])
    return {
        "total_customer": len(people),
        "unit_per_transaction": people.units.sum() / people.visits.sum(),
        "profit_per_customer": (people.net.sum() - people.cost.sum()) / 100 / len(people),
        "customer_spending": people.net.sum() / 100,
        "days_to_return": span.sum() / gaps.sum(),
        "retention_rate": 100 * (people.visits >= 2).mean(),
        "r": np.bincount(r, minlength=6)[1:],
        "f": np.bincount(f, minlength=6)[1:],
        "m": np.bincount(m, minlength=6)[1:],
        "segments": np.bincount(segment, minlength=4),
        "recency": pd.cut(recency, [-1, 200, 400, 600, 800, 1000, np.inf]).value_counts(sort=False),
        "visits": people.visits.clip(upper=10).value_counts(),
        "value": pd.cut(
            people.net / 100, [-np.inf, 1000, 2000, 3000, 4000, 5000, np.inf]
        ).value_counts(sort=False),
        "gaps": pd.cut(mean_gap, [0, 30, 61, 90, 181, 365, 731, np.inf], right=False).value_counts(
            sort=False
        ),
        "fiscal_years": years,
    }


def bench_dashboard_refresh() -> BenchResult:
    """A full dashboard refresh over 1,000,000 lines for 100,000 patients."""
    import pandas as pd

    from services import auth, dashboard
    from services.setup import open_branch_database

    path = _cache_path()
    if not path.exists():
        _generate(path)
    db = open_branch_database(path, now=NOW)
    try:
        admin = auth.sign_in(db, "admin", PIN)
        filters = dashboard.DashboardFilters()
        times = []
        board = None
        for run in range(RUNS + 1):
            began = time.perf_counter()
            board = dashboard.refresh(db, admin, filters, today=TODAY)
            if run:  # one warm-up run
                times.append(time.perf_counter() - began)
        assert board is not None
        with db.session(write=False) as session:
            frame = pd.read_sql_query(
                "SELECT patient_id AS patient, invoice_date AS date, status,"
                " total_quantity AS units, gross_amount - total_discount AS net,"
                " total_cost AS cost FROM invoice_header",
                session.connection(),
                parse_dates=["date"],
            )
            lines = (
                session.connection()
                .exec_driver_sql("SELECT count(*) FROM invoice_line_item")
                .scalar()
            )
        start_month = board.rfm.start_month
    finally:
        db.close()
    pandas_times = []
    expected: dict[str, Any] = {}
    for _ in range(RUNS):
        began = time.perf_counter()
        expected = _pandas_figures(frame, start_month)
        pandas_times.append(time.perf_counter() - began)
    kpis = board.rfm.figures.kpis
    agrees = (
        kpis.total_customer == expected["total_customer"]
        and abs(float(kpis.customer_spending) - expected["customer_spending"]) < 0.01
        and [bar.count for bar in board.rfm.figures.segments][:4] == list(expected["segments"])
        and [bar.count for bar in board.rfm.figures.r_scores] == list(expected["r"])
    )
    measured = statistics.median(times)
    baseline = statistics.median(pandas_times)
    return BenchResult(
        f"dashboard refresh: {lines:,} lines, {kpis.total_customer:,} customers",
        measured,
        GOAL_S,
        "s",
        f"median of {RUNS}; pandas from memory {baseline:.3f} s, ratio {measured / baseline:.2f}x",
        broken="" if agrees and lines == LINES else "figures differ from pandas or data short",
    )
