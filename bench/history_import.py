"""Benchmark of importing history: a 100,000-line CSV from another system into the demo.

Goal (issue #6): a million-line history imports in a reasonable time, so 100,000 lines
(some 33,000 invoices of 1 to 5 lines, 12,000 new patients, 150 new items) in under 15 s,
checking and writing together, one write transaction.
"""

from __future__ import annotations

import csv
import random
import sys
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


def _import_worker(path: Path, source: Path) -> None:
    """The importing desk (a process of its own): import `source` into `path`."""
    from services import auth
    from services.history_import import import_transactions
    from services.setup import open_branch_database

    db = open_branch_database(path, now=NOW)
    import_transactions(db, auth.sign_in(db, "meera", "2222"), source, now=NOW)
    db.close()


def bench_import_beside_counter() -> BenchResult:
    """A desk saves invoices one after another while another imports 100,000 lines (issue
    #13 item 4): the figure is the longest save; a save refused as busy breaks the bench."""
    import subprocess

    from sqlalchemy import select

    from bench.counter import _demo
    from db.engine import DatabaseBusy
    from db.models import CatalogItem, Patient
    from services import auth, invoicing
    from services.setup import open_branch_database

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        path, source = _demo(base), base / "history.csv"
        write_history(source, LINES)
        db = open_branch_database(path, now=NOW)
        desk = auth.sign_in(db, "priya", "1111")
        with db.session(write=False) as session:
            ids = dict(session.execute(select(CatalogItem.code, CatalogItem.id)).all())
            patient = session.scalars(select(Patient.id)).first()
        request = invoicing.CartRequest(patient, (invoicing.CartItem(ids["CONSULT"]),))
        importer = subprocess.Popen(
            [sys.executable, "-m", "bench.history_import", str(path), str(source)]
        )
        saves: list[float] = []
        refused = 0
        while importer.poll() is None:
            began = time.perf_counter()
            try:
                invoicing.save_invoice(db, desk, request, now=NOW)
            except DatabaseBusy:
                refused += 1
            saves.append((time.perf_counter() - began) * 1000)
            time.sleep(0.05)
        db.close()
    return BenchResult(
        f"a counter save beside a {LINES:,}-line import: longest",
        max(saves),
        2_000.0,
        "ms",
        f"{len(saves)} saves during the import, median {sorted(saves)[len(saves) // 2]:.0f} ms",
        broken=f"{refused} saves refused as busy" if refused else "",
    )


if __name__ == "__main__":
    _import_worker(Path(sys.argv[1]), Path(sys.argv[2]))
