"""The documents' amounts (services.documents.rupees, made from the integer for speed,
issue #11) read exactly as the Decimal they stood for before: any number of paise."""

from hypothesis import given
from hypothesis import strategies as st

from domain.money import paise_to_decimal
from services.documents import rupees


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_rupees_are_the_decimal_of_the_paise_as_text(paise):
    assert rupees(paise) == str(paise_to_decimal(paise))


def test_small_and_negative_amounts_keep_their_two_places():
    assert [rupees(p) for p in (0, 5, -5, 100, -150, 225000)] == [
        "0.00",
        "0.05",
        "-0.05",
        "1.00",
        "-1.50",
        "2250.00",
    ]
