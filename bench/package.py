"""The packaged app (`make package`): the one-folder bundle's size and its start to the main window.

The bench reuses dist/frontdesk/ when `make package` left one there (say `make package`
first to measure today's code) and otherwise builds it into dist/ with
packaging/frontdesk.spec, the same build as `make package`; the detail says which, and how
long a build took. The start is measured from launching the bundle's executable to its
printing "Frontdesk is ready" (FRONTDESK_EXIT_WHEN_READY=1) on the demo clinic, offscreen:
the first start after the build or the reuse (the nearest to a cold start this can get without
dropping the OS file cache), then the median of RUNS more.

tests/test_package.py builds the bundle with the same functions into a temporary folder and
starts it on a fresh database (the demo written by the bundle itself).

Goals: the bundle under 400 MB; the median start under 3 s.
"""

from __future__ import annotations

import functools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import BenchResult

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "frontdesk.spec"
DIST = ROOT / "dist"
RUNS = 5
SIZE_GOAL_MB = 400.0
START_GOAL_SECONDS = 3.0
AUTOLOGIN = "meera:2222"
READY_LINE = "Frontdesk is ready"  # desktop.app.READY_LINE; bench does not import the desktop
EXECUTABLE = "frontdesk.exe" if sys.platform == "win32" else "frontdesk"


def build_bundle(dist: Path, work: Path) -> Path:
    """Build the one-folder bundle into `dist`/frontdesk/ (PyInstaller's intermediate files in
    `work`) and return its executable. Raises with PyInstaller's output when the build fails."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"PyInstaller failed (exit {done.returncode}):\n{done.stderr}")
    return dist / "frontdesk" / EXECUTABLE


def folder_megabytes(folder: Path) -> float:
    """Bytes of every file under `folder`, in MB (10^6 bytes); a symbolic link (PyInstaller
    links Qt's libraries into the top folder on Linux) is not counted again."""
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files) / 1e6


def bundle_environment(config: Path) -> dict[str, str]:
    """Offscreen, signed in as the manager, quitting once ready, settings kept in `config`."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FRONTDESK_AUTOLOGIN": AUTOLOGIN,
        "FRONTDESK_EXIT_WHEN_READY": "1",
        "XDG_CONFIG_HOME": str(config),
    }


@dataclass(frozen=True)
class Start:
    """One start of the bundle: seconds from launch to the ready line (None: never printed),
    exit status, and everything it wrote."""

    seconds: float | None
    returncode: int
    stdout: str
    stderr: str


def start_bundle(executable: Path, db_path: Path, env: dict[str, str]) -> Start:
    """Start the bundle on `db_path` (`gui --demo`: an empty database becomes the demo clinic)
    and wait for it to quit."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(executable), "--db", str(db_path), "gui", "--demo"],
        cwd=db_path.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    seconds = None
    lines = []
    for line in child.stdout:
        lines.append(line)
        if line.strip() == READY_LINE and seconds is None:
            seconds = time.perf_counter() - started
    _, stderr = child.communicate(timeout=120)
    return Start(seconds, child.returncode, "".join(lines), stderr)


@dataclass(frozen=True)
class Measured:
    size_mb: float
    first_start: float
    median_start: float
    starts: list[float]
    how: str


@functools.cache
def measure(runs: int = RUNS) -> Measured:
    """Build or reuse dist/frontdesk/, then start it 1 + `runs` times on one demo clinic."""
    executable = DIST / "frontdesk" / EXECUTABLE
    if executable.exists():
        how = "reused dist/frontdesk (run make package first for today's code)"
    else:
        began = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="frontdesk-pyinstaller-") as work:
            executable = build_bundle(DIST, Path(work))
        how = f"built dist/frontdesk in {time.perf_counter() - began:.0f} s"
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        folder = Path(tmp)
        env = bundle_environment(folder / "config")
        db_path = folder / "frontdesk.db"
        # The first start writes the demo clinic: not a start a clinic sees every morning.
        demo = start_bundle(executable, db_path, env)
        if demo.seconds is None or demo.returncode != 0:
            raise RuntimeError(f"the bundle did not start (exit {demo.returncode}):\n{demo.stderr}")
        samples = []
        for _ in range(runs + 1):
            start = start_bundle(executable, db_path, env)
            if start.seconds is None or start.returncode != 0:
                raise RuntimeError(f"the bundle did not start (exit {start.returncode})")
            samples.append(start.seconds)
    first, rest = samples[0], samples[1:]
    return Measured(folder_megabytes(executable.parent), first, statistics.median(rest), rest, how)


def bench_size() -> BenchResult:
    """The one-folder bundle's size on disk."""
    figures = measure()
    return BenchResult("one-folder bundle size", figures.size_mb, SIZE_GOAL_MB, "MB", figures.how)


def bench_start() -> BenchResult:
    """Launch of the bundle's executable to the main window, on the demo clinic."""
    figures = measure()
    detail = (
        f"first start {figures.first_start:.2f} s, then {len(figures.starts)} runs "
        f"{min(figures.starts):.2f}-{max(figures.starts):.2f} s; {figures.how}"
    )
    return BenchResult(
        "bundle start to main window", figures.median_start, START_GOAL_SECONDS, "s", detail
    )


if __name__ == "__main__":
    for result in (bench_size(), bench_start()):
        print(f"{result.name}: {result.measured:.2f} {result.unit} ({result.detail})")
