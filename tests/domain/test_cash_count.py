"""Rules of domain.cash_count (issue #11): the count, what was expected, the difference."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cash_count import (
    DENOMINATIONS,
    NOTES,
    CashCountError,
    close_count,
    counted_cash,
    expected_by_method,
    expected_cash,
    parse_count,
)
from domain.errors import BadInput

counts = st.fixed_dictionaries({label: st.integers(0, 10_000) for label in DENOMINATIONS})
paise = st.integers(0, 10**9)


def test_notes_and_coins_add_up_to_the_paisa():
    # Rule 2: 3 x 2000 + 4 x 500 + 2 x 10 + Rs.12.50 of coins.
    assert counted_cash({"2000": 3, "500": 4, "10": 2, "coins": 1_250}) == 803_250


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ({"5": 1}, "not a denomination"),
        ({"500": -1}, "whole number"),
        ({"coins": -1}, "coins"),
    ],
)
def test_a_bad_count_is_refused(count, message):
    with pytest.raises(CashCountError, match=message):
        counted_cash(count)


@given(counts)
def test_the_count_is_each_note_times_its_value_plus_the_coins(count):
    total = counted_cash(count)
    assert total == sum(n * 100 * count[str(n)] for n in NOTES) + count["coins"]
    assert total >= 0


@given(paise, paise, paise, st.lists(st.integers(-(10**7), 10**7)))
def test_expected_cash_is_float_plus_in_less_out_plus_takings_less_refunds(
    opening, cash_in, cash_out, payments
):
    takings = sum(p for p in payments if p > 0)
    refunds = -sum(p for p in payments if p < 0)
    expected = opening + cash_in - cash_out + takings - refunds
    assert expected_cash(opening, cash_in, cash_out, payments) == expected
    by_method = expected_by_method(opening, cash_in, cash_out, [("cash", p) for p in payments])
    assert by_method == {"cash": expected}


@given(
    paise,
    st.lists(
        st.tuples(st.sampled_from(["cash", "upi", "card", "wallet"]), st.integers(-(10**6), 10**6))
    ),
)
def test_other_methods_are_the_sum_of_their_payments_and_carry_no_float(opening, payments):
    by_method = expected_by_method(opening, 0, 0, payments)
    assert next(iter(by_method)) == "cash"
    for method in ("upi", "card", "wallet"):
        mine = [a for m, a in payments if m == method]
        assert by_method.get(method, 0) == sum(mine)
    assert by_method["cash"] == opening + sum(a for m, a in payments if m == "cash")


@given(counts, paise)
def test_the_difference_is_counted_less_expected_and_needs_a_reason(count, expected):
    counted = counted_cash(count)
    if counted != expected:
        with pytest.raises(CashCountError, match="reason"):
            close_count(count, expected, "  ")
    checked = close_count(count, expected, " short  by change ")
    assert checked.difference == counted - expected
    assert checked.counted == counted and checked.reason == "short by change"


def test_a_matching_count_needs_no_reason():
    assert close_count({"500": 2}, 100_000, "").difference == 0


def test_a_typed_count_reads_coins_in_rupees():
    assert parse_count("2000=3, 500=4,coins=12.50") == {
        "2000": 3,
        "500": 4,
        "200": 0,
        "100": 0,
        "50": 0,
        "20": 0,
        "10": 0,
        "coins": 1_250,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("500", "DENOMINATION=COUNT"),
        ("500=4,500=1", "twice"),
        ("500=1.5", "whole number"),
        ("1000=1", "not a denomination"),
        ("coins=1.005", "two decimal"),
    ],
)
def test_a_typed_count_that_cannot_be_read_says_why(text, message):
    with pytest.raises(BadInput, match=message):
        parse_count(text)


@given(counts)
def test_a_count_written_out_reads_back_the_same(count):
    text = ",".join(
        f"{label}={count[label] // 100}.{count[label] % 100:02d}"
        if label == "coins"
        else f"{label}={count[label]}"
        for label in DENOMINATIONS
    )
    assert parse_count(text) == count
