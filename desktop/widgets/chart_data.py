"""What a chart card draws and exports, as plain values (no Qt): bars, stacked columns,
lines, and the table behind a chart's Export CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from domain.bounds import csv_cell


@dataclass(frozen=True)
class BarSpec:
    """One bar: `key` is what a click on it selects, `label` its tick text, `value` its
    height (a float only because a plot needs coordinates), `value_text` the figure printed
    on it and `tooltip` the exact figures shown on hover."""

    key: str
    label: str
    value: float
    value_text: str
    tooltip: str


@dataclass(frozen=True)
class StackSpec:
    """One column of two stacked parts (lower first), in percent."""

    label: str
    parts: tuple[BarSpec, BarSpec]


@dataclass(frozen=True)
class LineSeries:
    """One line over the chart's days: a count per day, and the day's amount in paise."""

    key: str
    name: str
    values: tuple[int, ...]
    amounts: tuple[int, ...]


@dataclass(frozen=True)
class Table:
    """The rows a chart exports as CSV, header first; figures plain (no grouping, no Rs.)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def write_csv(path: Path, table: Table) -> None:
    """Write `table` to `path` as UTF-8 CSV (with a BOM, so a spreadsheet reads names right)."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.header)
        writer.writerows([csv_cell(cell) for cell in row] for row in table.rows)
