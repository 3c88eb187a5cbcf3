from datetime import date

import pytest

from domain.fiscal import fiscal_year_bounds, fiscal_year_label
from domain.invoice_numbers import format_invoice_number, validate_series


@pytest.mark.parametrize(
    ("day", "start_month", "label"),
    [
        (date(2025, 4, 1), 4, "2025-2026"),
        (date(2026, 3, 31), 4, "2025-2026"),
        (date(2026, 1, 15), 4, "2025-2026"),
        (date(2026, 4, 1), 4, "2026-2027"),
        (date(2026, 6, 30), 7, "2025-2026"),
        (date(2026, 7, 1), 7, "2026-2027"),
        (date(2026, 5, 5), 1, "2026-2026"),
    ],
)
def test_fiscal_year_is_named_by_its_first_and_last_calendar_year(day, start_month, label):
    assert fiscal_year_label(day, start_month) == label


def test_fiscal_year_bounds_cover_twelve_months():
    assert fiscal_year_bounds(2025) == (date(2025, 4, 1), date(2026, 4, 1))


def test_a_start_month_outside_the_year_is_refused():
    with pytest.raises(ValueError):
        fiscal_year_label(date(2026, 1, 1), 13)


def test_invoice_numbers_carry_series_year_and_padded_sequence():
    assert format_invoice_number("SVC", "2025-2026", 123) == "SVC-2025-2026-00123"


def test_sequence_numbers_start_at_one():
    with pytest.raises(ValueError):
        format_invoice_number("SVC", "2025-2026", 0)


@pytest.mark.parametrize(("raw", "clean"), [("svc", "SVC"), (" Ph2 ", "PH2")])
def test_series_prefixes_are_normalised(raw, clean):
    assert validate_series(raw) == clean


@pytest.mark.parametrize("raw", ["", "1SVC", "SV-C", "ABCDEFGHIJK"])
def test_bad_series_prefixes_are_refused(raw):
    with pytest.raises(ValueError):
        validate_series(raw)
