import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.words import number_in_words, rupees_in_words


@pytest.mark.parametrize(
    ("paise", "words"),
    [
        (0, "Rupees Zero Only"),
        (1, "Paise One Only"),
        (100, "Rupees One Only"),
        (101, "Rupees One and Paise One Only"),
        (1_900, "Rupees Nineteen Only"),
        (2_000, "Rupees Twenty Only"),
        (9_900, "Rupees Ninety Nine Only"),
        (10_000, "Rupees One Hundred Only"),
        (50_000, "Rupees Five Hundred Only"),
        (450_000, "Rupees Four Thousand Five Hundred Only"),
        (1_000_100, "Rupees Ten Thousand One Only"),
        (10_000_000, "Rupees One Lakh Only"),
        (10_050_075, "Rupees One Lakh Five Hundred and Paise Seventy Five Only"),
        (
            15_075_075,
            "Rupees One Lakh Fifty Thousand Seven Hundred Fifty and Paise Seventy Five Only",
        ),
        (999_999_900, "Rupees Ninety Nine Lakh Ninety Nine Thousand Nine Hundred Ninety Nine Only"),
        (1_000_000_000, "Rupees One Crore Only"),
        (
            1_234_567_899,
            "Rupees One Crore Twenty Three Lakh Forty Five Thousand Six Hundred Seventy Eight "
            "and Paise Ninety Nine Only",
        ),
        (100_000_000_000, "Rupees One Hundred Crore Only"),
        (-50_000, "Minus Rupees Five Hundred Only"),
    ],
)
def test_amounts_are_spelled_the_indian_way(paise, words):
    assert rupees_in_words(paise) == words


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "Zero"),
        (11, "Eleven"),
        (40, "Forty"),
        (105, "One Hundred Five"),
        (100_000, "One Lakh"),
        (2_500_000, "Twenty Five Lakh"),
        (10_000_000_000_000, "Ten Lakh Crore"),
    ],
)
def test_whole_numbers_use_thousand_lakh_and_crore(number, words):
    assert number_in_words(number) == words


def test_negative_numbers_are_refused():
    with pytest.raises(ValueError, match="zero or more"):
        number_in_words(-1)


@given(st.integers(min_value=0, max_value=10**13))
def test_every_amount_reads_as_one_sentence(paise):
    words = rupees_in_words(paise)
    assert words.endswith(" Only")
    assert "  " not in words
    assert "Zero" not in words or paise == 0
    assert ("Paise" in words) == (paise % 100 != 0)
