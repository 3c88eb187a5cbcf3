"""Start-up time: from launching the process to a usable main window on the demo clinic.

Builds the demo database once in a temporary folder, then starts the app RUNS times (after
one warm-up start that fills the OS file cache and Python's bytecode cache), each in a fresh
interpreter signed in through FRONTDESK_AUTOLOGIN on the offscreen platform. The time is
measured in this process, from just before the child is launched to the moment it prints
that its main window is shown, so it includes interpreter start-up and every import.

Goal: median under 1.5 s. Heavy modules (pyqtgraph, reportlab, escpos) must stay out of start-up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bench import BenchResult

RUNS = 7
GOAL_SECONDS = 1.5
AUTOLOGIN = "meera:2222"
# Only the charts and the PDFs need these; importing them at start-up fails the benchmark.
FORBIDDEN_AT_STARTUP = ("pyqtgraph", "reportlab", "escpos")
ROOT = Path(__file__).resolve().parents[1]

T = TypeVar("T")


def build_demo_database(folder: Path) -> Path:
    """The demo clinic as the app would create it, at `folder`/frontdesk.db."""
    from services.setup import initialise, open_branch_database

    path = folder / "frontdesk.db"
    now = datetime.now(UTC)
    db = open_branch_database(path, now=now)
    try:
        initialise(db, demo=True, now=now, today=now.astimezone().date())
    finally:
        db.close()
    return path


def start_once(db_path: Path, env: dict[str, str]) -> tuple[float, float, list[str]]:
    """(seconds to ready seen from here, seconds inside the child, heavy modules imported)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.startup_probe", str(db_path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    elapsed = inside = None
    heavy: list[str] = []
    for line in child.stdout:
        if line.startswith("READY ") and elapsed is None:
            elapsed = time.perf_counter() - started
            inside = float(line.split()[1])
        elif line.startswith("HEAVY"):
            heavy = [name for name in line[len("HEAVY") :].strip().split(",") if name]
    _, stderr = child.communicate(timeout=60)
    if child.returncode != 0 or elapsed is None or inside is None:
        raise RuntimeError(f"the app did not start (exit {child.returncode}):\n{stderr}")
    return elapsed, inside, heavy


def app_environment(folder: Path) -> dict[str, str]:
    """The environment of an app started by a benchmark: offscreen, signed in as the
    manager, with its settings in `folder`."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "FRONTDESK_AUTOLOGIN": AUTOLOGIN,
        # The developer's saved window geometry and last user stay out of the runs.
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    env.pop("FRONTDESK_EXIT_WHEN_READY", None)
    return env


def fresh_starts(measure: Callable[[Path, dict[str, str]], T], runs: int) -> list[T]:
    """`measure(db_path, env)` of `runs` starts of the app on a new demo clinic, after a
    warm-up start (it fills the OS file cache and Python's bytecode cache) not counted."""
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        folder = Path(tmp)
        db_path = build_demo_database(folder)
        env = app_environment(folder)
        measure(db_path, env)
        return [measure(db_path, env) for _ in range(runs)]


def run(runs: int = RUNS) -> BenchResult:
    """Measure start-up `runs` times and compare the median with the goal."""
    samples = fresh_starts(start_once, runs)
    totals = [total for total, _, _ in samples]
    insides = [inside for _, inside, _ in samples]
    heavy = sorted({name for _, _, names in samples for name in names})
    median = statistics.median(totals)
    detail = (
        f"{runs} runs {min(totals):.2f}-{max(totals):.2f} s; "
        f"interpreter start ~{median - statistics.median(insides):.2f} s"
    )
    if heavy:
        detail += f"; imported at start-up: {', '.join(heavy)}"
    forbidden = [name for name in heavy if name in FORBIDDEN_AT_STARTUP]
    broken = f"{', '.join(forbidden)} imported at start-up" if forbidden else ""
    return BenchResult("start-up to main window", median, GOAL_SECONDS, "s", detail, broken)


if __name__ == "__main__":
    result = run()
    print(
        f"{result.name}: median {result.measured:.3f} s (goal < {result.goal} s); {result.detail}"
    )
    if result.broken:
        print(f"FAILED: {result.broken}")
    sys.exit(0 if result.met else 1)
