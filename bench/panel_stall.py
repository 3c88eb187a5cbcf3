"""The longest the window stops answering while a panel opens for the first time.

A person who opens a panel must never find the whole window frozen. The probe
(bench/panel_stall_probe.py) starts the app on the demo clinic signed in as a manager, runs a
heartbeat timer on the UI thread every 5 ms and opens each panel of the rail in turn, then
reports the longest gap between two beats for each. It runs RUNS times, each in a fresh
interpreter, since only a first open pays for imports and first layouts.

Goal (issue #10): the median of each panel's longest stall under 100 ms; the figure is the
worst panel's median; the detail names every panel's, then the same with the dashboard
modules preloaded in a worker after sign-in (what desktop/app.py may do).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from functools import partial
from pathlib import Path

from bench import BenchResult
from bench.startup import ROOT, fresh_starts

RUNS = 3
GOAL_MS = 100.0


def open_panels_once(db_path: Path, env: dict[str, str], *, preload: bool) -> dict[str, float]:
    """{panel key: longest stall in ms} from one fresh start of the app."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.panel_stall_probe",
            str(db_path),
            *(["--preload"] if preload else []),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    stalls = {}
    for line in done.stdout.splitlines():
        if line.startswith("PANEL "):
            _, key, stall, _ready = line.split()
            stalls[key] = float(stall)
    if done.returncode != 0 or not stalls:
        raise RuntimeError(
            f"the app did not open its panels (exit {done.returncode}):\n{done.stderr}"
        )
    return stalls


def _medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in samples) for key in samples[0]}


def _listed(medians: dict[str, float]) -> str:
    return ", ".join(f"{key} {ms:.0f}" for key, ms in medians.items())


def bench_panel_stall(runs: int = RUNS) -> BenchResult:
    """Open every panel `runs` times from a fresh start; compare the worst median with the
    goal. The detail adds the same with the dashboard preloaded after sign-in."""
    medians = _medians(fresh_starts(partial(open_panels_once, preload=False), runs))
    preloaded = _medians(fresh_starts(partial(open_panels_once, preload=True), runs))
    worst = max(medians, key=lambda key: medians[key])
    detail = (
        f"{runs} runs; median longest stall per panel, ms: {_listed(medians)}; "
        f"with dashboard_preload after sign-in: {_listed(preloaded)}"
    )
    return BenchResult(
        f"longest UI stall opening a panel ({worst})", medians[worst], GOAL_MS, "ms", detail
    )


if __name__ == "__main__":
    result = bench_panel_stall()
    print(f"{result.name}: {result.measured:.0f} ms (goal < {result.goal:g} ms); {result.detail}")
    sys.exit(0 if result.met else 1)
