"""The clinic's whole data as CSV files in one zip (issue #14): one file per table, a
header row of column names, every row; for an accountant, a move to other software, or
peace of mind. Admin only: it holds every patient's name and mobile.

Cells that a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return at
the start) are written with a leading apostrophe, as OWASP's CSV-injection advice says;
money is paise as stored, times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.engine import Database
from db.models import Base
from domain.bounds import csv_cell as safe_cell
from domain.permissions import require
from services.auth import CurrentUser

# Rows read per round trip.
BATCH = 5_000

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    tables: int
    rows: int


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet may open it safely: text that starts like a formula gets a
    leading apostrophe (domain.bounds); numbers stay numbers (a negative amount is not a
    formula)."""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def export_zip(
    db: Database,
    actor: CurrentUser,
    target: Path,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> ExportResult:
    """Write every table of the branch database as `<table>.csv` into the zip `target`
    (written beside it first, then moved into place: a half-written zip is never left)."""
    require(actor.role, "data.export")
    tables = list(Base.metadata.sorted_tables)
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "README.txt",
                f"Frontdesk export of {db.path.name}, taken {now.isoformat()} by "
                f"{actor.full_name}.\nOne CSV file per table; money in paise; times in UTC.\n",
            )
            with db.session(write=False) as session:
                for index, table in enumerate(tables):
                    if progress is not None:
                        progress(index * 100 // len(tables), f"Writing {table.name}...")
                    with archive.open(f"{table.name}.csv", "w") as raw:
                        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                        writer = csv.writer(text)
                        writer.writerow([column.name for column in table.columns])
                        result = session.execute(select(table)).yield_per(BATCH)
                        for row in result:
                            writer.writerow([csv_cell(value) for value in row])
                            total += 1
                        text.flush()
                        text.detach()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(100, "Done")
    return ExportResult(target, len(tables), total)
