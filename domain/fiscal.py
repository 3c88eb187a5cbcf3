"""Fiscal years: a clinic's year starts in a configurable month (April by default).

A fiscal year is closed once the next one has begun at the branch: there is no explicit
"close the books" step, so every fiscal year before the current one counts as closed and
no document may be dated in it (issue #13; the GST returns for it are filed).
"""

from __future__ import annotations

from datetime import date

from domain.bounds import check_day
from domain.errors import Refused

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


class ClosedPeriod(Refused):
    """A date a document may not carry: in a closed fiscal year, ahead of today, or before
    the last document of its series."""


def check_document_date(
    day: date,
    *,
    today: date,
    last_of_series: date | None,
    start_month: int = DEFAULT_START_MONTH,
    what: str = "an invoice",
) -> date:
    """`day` when a document of a series may be dated on it (backdating, admin only):
    within domain.bounds' range, not after `today`, not in a fiscal year before today's
    (closed), and not before `last_of_series`, the date of its series' last document
    (numbers run in date order). Otherwise raise ClosedPeriod (or bounds.OutOfBounds)."""
    check_day(day, today, "The date")
    if day > today:
        raise ClosedPeriod(f"{what.capitalize()} cannot be dated after today ({today}).")
    current = fiscal_year_start(today, start_month)
    if fiscal_year_start(day, start_month) < current:
        raise ClosedPeriod(
            f"{day} is in the fiscal year {fiscal_year_label(day, start_month)}, which is"
            f" closed; {what} can be dated from {date(current, start_month, 1)} on."
        )
    if last_of_series is not None and day < last_of_series:
        raise ClosedPeriod(
            f"The last {what.removeprefix('an ').removeprefix('a ')} of the series is dated"
            f" {last_of_series}; {what} cannot be dated before it."
        )
    return day
