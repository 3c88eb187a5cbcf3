"""Issue #13: the bounds every entrance shares (domain.bounds)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.bounds import (
    OutOfBounds,
    check_day,
    check_quantity,
    clean_text,
    csv_cell,
    from_csv_cell,
    latest_day,
    read_number,
)
from domain.cash_count import CashCountError, check_denominations, counted_cash
from domain.catalog import CatalogItemError, validate_item
from domain.fiscal import ClosedPeriod, check_document_date
from domain.payments import Method, TenderLine, check_lines


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Asha\x00 Rao", "Asha Rao"),
        ("\x1b[31mRed\x1b[0m Rao", "Red Rao"),
        ("\x1b]0;title\x07Asha", "Asha"),
        ("Asha \u202eoaR", "Asha oaR"),
        ("Asha\tRao\r\n", "Asha Rao"),
        ("ശ്\u200dരീ", "ശ്\u200dരീ"),  # a joiner Malayalam needs stays
    ],
)
def test_names_lose_control_characters(typed, kept):
    assert clean_text(typed) == kept


@given(st.text())
def test_a_cleaned_name_has_no_control_or_override_characters(text):
    cleaned = clean_text(text)
    assert not any(ord(c) < 32 or c in "\x7f\u202a\u202b\u202c\u202d\u202e" for c in cleaned)
    assert clean_text(cleaned) == cleaned


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+91 98450", "'+91 98450"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.50", "'-12.50"),
        (-1250, -1250),
        ("Asha", "Asha"),
        (5, 5),
    ],
)
def test_csv_cells_that_start_like_a_formula_get_an_apostrophe(cell, written):
    assert csv_cell(cell) == written


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1500", Decimal("1500")),
        ("1500.5", Decimal("1500.5")),
        ("1,00,000.50", Decimal("100000.50")),
        ("100,000.50", Decimal("100000.50")),
        ("1,234", Decimal("1234")),
        ("1E+3", None),
        ("١٥٠٠", None),
        ("１５００", None),
        ("-5", None),
        ("1,0,0", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_numbers_as_a_clinics_spreadsheet_writes_them(text, number):
    assert read_number(text) == number


def test_dates_from_1990_to_ten_years_ahead():
    today = date(2026, 12, 3)
    assert check_day(date(1990, 1, 1), today) == date(1990, 1, 1)
    assert latest_day(date(2028, 2, 29)) == date(2038, 2, 28)
    for day in (date(1989, 12, 31), date(2036, 12, 4), date(1, 1, 1), date(9999, 1, 1)):
        with pytest.raises(OutOfBounds):
            check_day(day, today)


def test_quantities_are_1_to_999():
    assert check_quantity(999) == 999
    for quantity in (0, 1000, 10**11):
        with pytest.raises(OutOfBounds):
            check_quantity(quantity)


def test_a_document_date_is_in_the_open_year_not_ahead_nor_before_the_last():
    today = date(2026, 12, 3)
    assert check_document_date(date(2026, 4, 1), today=today, last_of_series=None) == date(
        2026, 4, 1
    )
    with pytest.raises(ClosedPeriod, match="2025-2026, which is closed"):
        check_document_date(date(2026, 3, 31), today=today, last_of_series=None)
    with pytest.raises(ClosedPeriod, match="after today"):
        check_document_date(date(2026, 12, 4), today=today, last_of_series=None)
    with pytest.raises(ClosedPeriod, match="dated 2026-11-30"):
        check_document_date(date(2026, 11, 29), today=today, last_of_series=date(2026, 11, 30))


def test_a_patients_and_a_catalog_items_name_are_cleaned_on_the_way_in():
    from domain.catalog import validate_item
    from domain.patients import NewPatient, validate_new_patient

    patient = validate_new_patient(
        NewPatient(name="\x1b[2JAsha\x00 Rao\u202e", mobile="9845012345"), today=date(2026, 12, 3)
    )
    assert patient.name == "Asha Rao"
    item = validate_item(
        {
            "code": "X1",
            "name": "Peel\x07\u202e",
            "category": "Peels",
            "item_type": "service",
            "price": "100",
            "hsn_sac": "999722",
            "taxability": "exempt",
        }
    )
    assert item.name == "Peel"


def test_a_cell_written_safe_reads_back_the_same():
    for text in ["=1+1", "-Peel", "'quoted", "plain"]:
        assert from_csv_cell(csv_cell(text)) == text


CRORE = 10**9  # paise


@given(st.integers(min_value=CRORE + 1, max_value=2**80))
def test_no_money_above_a_crore_enters_anywhere(paise):
    """Payment lines, catalog prices, cash counts: every amount that can reach a sum is at
    most Rs.1 crore (so a billion of them still fits in 64 bits) and is refused by name."""
    with pytest.raises(OutOfBounds, match="A UPI payment is more than Rs.1 crore"):
        check_lines([TenderLine(Method.UPI, paise, "UTR1")])
    with pytest.raises(CatalogItemError, match="more than Rs.1 crore"):
        validate_item(
            {
                "code": "SERUM",
                "name": "Peptide serum",
                "category": "Skincare products",
                "item_type": "product",
                "hsn_sac": "33049990",
                "tax_rate": "18",
                "price": f"{paise // 100}.{paise % 100:02d}",
            }
        )
    with pytest.raises(OutOfBounds, match="The coins"):
        check_denominations({"coins": paise})
    with pytest.raises(CashCountError, match="count of 2000 notes is at most"):
        check_denominations({"2000": paise})


def test_a_crore_itself_is_accepted():
    check_lines([TenderLine(Method.CASH, CRORE)])
    assert counted_cash({"coins": CRORE}) == CRORE
