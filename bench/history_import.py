"""Benchmark of importing history: a 100,000-line CSV from another system into the demo.

Goal (issue #6): a million-line history imports in a reasonable time, so 100,000 lines
(some 33,000 invoices of 1 to 5 lines, 12,000 new patients, 150 new items) in under 15 s,
checking and writing together, one write transaction.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import BenchResult

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
LINES = 100_000
GOAL_S = 15.0


def write_history(path: Path, lines: int, *, seed: int = 6) -> None:
    """A deterministic CSV of `lines` invoice lines in the import's columns."""
    from services.history_import import COLUMNS

    rng = random.Random(seed)
    items = [
        (f"OLD{n:03d}", f"Old service {n}", rng.randrange(200, 20_000), rng.randrange(0, 5_000))
        for n in range(150)
    ]
    items += [("CONSULT", "Consultation", 500, 0), ("BOTOX50", "Botox (50 units)", 4500, 2600)]
    people = [(f"9{rng.randrange(10**8, 10**9)}", f"Person {n}") for n in range(lines // 8)]
    first_day = date(2019, 4, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        written = invoice = 0
        while written < lines:
            invoice += 1
            mobile, name = rng.choice(people)
            day = first_day + timedelta(days=rng.randrange(2_000))
            for _ in range(min(rng.randrange(1, 6), lines - written)):
                code, item_name, price, cost = rng.choice(items)
                quantity = rng.randrange(1, 4)
                discount = rng.choice([0, 0, 0, quantity * price // 10])
                out.writerow(
                    [f"OLD-{invoice:07d}", day.isoformat(), mobile, name, code, item_name]
                    + [quantity, f"{price}.00", discount, f"{cost}.50"]
                )
                written += 1


def bench_history_import() -> BenchResult:
    """100,000 lines checked and written into a copy of the demo clinic."""
    from services import auth
    from services.history_import import import_transactions
    from services.setup import initialise, open_branch_database

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "history.csv"
        write_history(source, LINES)
        db = open_branch_database(Path(folder) / "clinic.db", now=NOW)
        initialise(db, demo=True, now=NOW, today=TODAY)
        manager = auth.sign_in(db, "meera", "2222")
        marks: list[tuple[int, float]] = []
        began = time.perf_counter()
        result = import_transactions(
            db,
            manager,
            source,
            now=NOW,
            progress=lambda done, total: marks.append((done * 2 // total, time.perf_counter())),
        )
        took = time.perf_counter() - began
        checked = next(at for half, at in marks if half >= 1) - began
        began = time.perf_counter()
        again = import_transactions(db, manager, source, now=NOW)
        second = time.perf_counter() - began
        db.close()
    return BenchResult(
        f"history import: {LINES:,} lines",
        took,
        GOAL_S,
        "s",
        f"checking {checked:.1f} s, writing {took - checked:.1f} s; {result.invoices_added:,} "
        f"invoices, {result.patients_added:,} new patients; a second run {second:.1f} s",
        broken="" if again.invoices_skipped == result.invoices_added else "second run added rows",
    )
