"""Fiscal years: a clinic's year starts in a configurable month (April by default)."""

from __future__ import annotations

from datetime import date

DEFAULT_START_MONTH = 4


def fiscal_year_start(day: date, start_month: int = DEFAULT_START_MONTH) -> int:
    """The calendar year in which the fiscal year containing `day` began."""
    if not 1 <= start_month <= 12:
        raise ValueError(f"fiscal year start month must be 1-12, not {start_month}")
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_label(day: date, start_month: int = DEFAULT_START_MONTH) -> str:
    """Name the fiscal year containing `day`: '2025-2026' (a January start gives '2026-2026')."""
    first = fiscal_year_start(day, start_month)
    last = first if start_month == 1 else first + 1
    return f"{first}-{last}"


def fiscal_year_bounds(
    label_start: int, start_month: int = DEFAULT_START_MONTH
) -> tuple[date, date]:
    """First day of the fiscal year starting in `label_start`, and first day of the next one."""
    return date(label_start, start_month, 1), date(label_start + 1, start_month, 1)
