from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import (
    MoneyError,
    format_rupees,
    group_indian,
    paise_to_decimal,
    round_half_up,
    rupees_to_paise,
)


@pytest.mark.parametrize(
    ("whole", "grouped"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (100000, "1,00,000"),
        (9240000, "92,40,000"),
        (10000000, "1,00,00,000"),
    ],
)
def test_digits_are_grouped_the_indian_way(whole, grouped):
    assert group_indian(whole) == grouped


@pytest.mark.parametrize(
    ("paise", "text"),
    [(10000000, "Rs.1,00,000.00"), (450000, "Rs.4,500.00"), (5, "Rs.0.05"), (-50000, "-Rs.500.00")],
)
def test_amounts_format_as_rupees_with_paise(paise, text):
    assert format_rupees(paise) == text


@pytest.mark.parametrize(
    ("text", "paise"),
    [
        ("4500", 450000),
        ("4,500.50", 450050),
        ("Rs.1,00,000", 10000000),
        ("0.05", 5),
        (" 12 ", 1200),
    ],
)
def test_rupee_input_reads_as_paise(text, paise):
    assert rupees_to_paise(text) == paise


@pytest.mark.parametrize("text", ["", "abc", "1.005", "NaN", "Infinity"])
def test_unreadable_amounts_are_refused(text):
    with pytest.raises(MoneyError):
        rupees_to_paise(text)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Decimal("2.5"), 3), (Decimal("2.49"), 2), (Decimal("-2.5"), -3), (Decimal("0.5"), 1)],
)
def test_rounding_is_half_up(value, rounded):
    assert round_half_up(value) == rounded


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_formatted_amount_reads_back_as_the_same_paise(paise):
    text = format_rupees(paise)
    back = rupees_to_paise(text.lstrip("-"))
    assert (-back if text.startswith("-") else back) == paise
    assert paise_to_decimal(paise) * 100 == paise


@pytest.mark.parametrize(
    "typed",
    [
        "1E+3",
        "1e3",
        "١٥٠٠",
        "１５００",
        "Infinity",
        "NaN",
        "1,00,00,000.01",
        "99999999999999999999",
    ],
)
def test_a_typed_amount_is_plain_digits_and_at_most_a_crore(typed):
    # Issue #13 items 3 and 11: exponents, other digits and sums that could overflow.
    with pytest.raises(MoneyError):
        rupees_to_paise(typed)


def test_indian_grouping_and_a_crore_are_read():
    assert rupees_to_paise("1,00,000.50") == 10_000_050
    assert rupees_to_paise("100,000.50") == 10_000_050
    assert rupees_to_paise("Rs.1,00,00,000") == 10**9
