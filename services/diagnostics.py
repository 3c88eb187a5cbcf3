"""What support needs to know, with nothing about patients in it (issue #14): crash reports
and "Copy diagnostics".

A crash report holds the versions, where things are, and the traceback as the names of
files, lines and functions, never an exception's message or a variable's value (either may
hold a patient's name or mobile). Reports are plain text files in the log folder's
`crashes/`; `faulthandler` writes a hard crash (a segfault in Qt) to `crashes/faults.log`.
"""

from __future__ import annotations

import faulthandler
import platform
import sys
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO

from db.engine import Database
from services import backup
from services.paths import log_dir

APP = "frontdesk"
# Lines of the log file that "Copy diagnostics" carries (errors and warnings only).
LAST_ERRORS = 10

_fault_file: IO[str] | None = None


def version() -> str:
    try:
        return metadata.version(APP)
    except metadata.PackageNotFoundError:
        return "unknown"


def versions() -> list[str]:
    """Frontdesk, Python, the platform and the libraries whose bugs we would hit."""
    lines = [
        f"Frontdesk {version()}",
        f"Python {platform.python_version()} ({sys.executable})",
        f"Platform {platform.platform()}",
    ]
    for package in ("PySide6-Essentials", "SQLAlchemy", "alembic", "reportlab", "psycopg"):
        try:
            lines.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return lines


def crash_folder() -> Path:
    return log_dir() / "crashes"


def enable_fault_log(folder: Path | None = None) -> Path | None:
    """Send a hard crash's Python traceback to `faults.log` in the crash folder (None if
    it cannot be opened)."""
    global _fault_file
    disable_fault_log()
    path = (folder or crash_folder()) / "faults.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _fault_file = path.open("a", encoding="utf-8")
    except OSError:
        return None
    faulthandler.enable(_fault_file)
    return path


def disable_fault_log() -> None:
    global _fault_file
    if _fault_file is not None:
        faulthandler.disable()
        _fault_file.close()
        _fault_file = None


def frames(tb: TracebackType | None) -> list[str]:
    """The traceback as 'file:line in function', innermost last: no source text (it may
    name a patient in a literal), no values."""
    return [
        f"  {Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(tb)
    ]


def crash_report(
    kind: type[BaseException], tb: TracebackType | None, *, now: datetime, where: str
) -> str:
    """The report's text for an exception of `kind` (its message is left out)."""
    chain = [f"{kind.__module__}.{kind.__qualname__}"]
    return "\n".join(
        [
            f"Frontdesk crash report, {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({where})",
            "",
            *versions(),
            "",
            f"Exception: {chain[0]} (its message is left out: it may name a patient)",
            "Traceback (most recent call last):",
            *frames(tb),
            "",
        ]
    )


def write_crash_report(
    kind: type[BaseException],
    tb: TracebackType | None,
    *,
    now: datetime,
    where: str,
    folder: Path | None = None,
) -> Path | None:
    """Save the report in `crashes/`; None when even that fails (a full disk)."""
    target = (folder or crash_folder()) / f"crash-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.txt"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(crash_report(kind, tb, now=now, where=where), encoding="utf-8")
    except OSError:
        return None
    return target


@dataclass(frozen=True)
class Diagnostics:
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size / 1_048_576:.1f} MB"
    except OSError:
        return "missing"


def last_errors(log_file: Path, count: int = LAST_ERRORS) -> list[str]:
    """The last `count` ERROR and WARNING lines of the log (their logger and time, and the
    message, which our code writes without patient details)."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    picked = [line for line in lines if " ERROR " in line or " WARNING " in line]
    return picked[-count:]


def diagnostics(db: Database, *, now: datetime, sync_state: str = "not configured") -> Diagnostics:
    """Versions, paths, the database's size, the last sync and backup, the last errors."""
    state = backup.backup_state(db, now=now)
    log_file = log_dir() / "frontdesk.log"
    crashes = sorted(crash_folder().glob("crash-*.txt")) if crash_folder().is_dir() else []
    lines = [
        *versions(),
        f"Database: {db.path} ({_size(db.path)})",
        f"Log: {log_file}",
        f"Backups: {state.folder}",
        f"Last backup: {state.last.taken_at.isoformat() if state.last else 'none'}",
        f"Sync: {sync_state.removeprefix('Sync: ')}",
        f"Crash reports: {len(crashes)}" + (f", newest {crashes[-1].name}" if crashes else ""),
        "Last errors:",
        *(f"  {line}" for line in last_errors(log_file) or ["none"]),
    ]
    return Diagnostics(tuple(lines))
