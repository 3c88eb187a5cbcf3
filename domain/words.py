"""Amounts in words, the Indian way (thousand, lakh, crore), as printed on invoices."""

from __future__ import annotations

_ONES = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
]
_TENS = ["_", "_", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]

# Largest first. Above 99 crore the crore count is itself spelled in this system
# ("One Hundred Crore", "One Lakh Crore"), which is how Indian cheques read.
_SCALES = ((10_000_000, "Crore"), (100_000, "Lakh"), (1_000, "Thousand"), (100, "Hundred"))


def _below_hundred(number: int) -> str:
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] if ones == 0 else f"{_TENS[tens]} {_ONES[ones]}"


def number_in_words(number: int) -> str:
    """Spell a whole number with Indian scales: 150750 -> 'One Lakh Fifty Thousand Seven Hundred Fifty'."""
    if number < 0:
        raise ValueError("only amounts of zero or more can be spelled")
    if number < 100:
        return _below_hundred(number)
    words: list[str] = []
    remainder = number
    for size, name in _SCALES:
        count, remainder = divmod(remainder, size)
        if count:
            words.append(f"{number_in_words(count)} {name}")
    if remainder:
        words.append(_below_hundred(remainder))
    return " ".join(words)


def rupees_in_words(paise: int) -> str:
    """Spell an amount of paise for an invoice: 15075075 -> 'Rupees One Lakh Fifty Thousand
    Seven Hundred Fifty and Paise Seventy Five Only'; 0 -> 'Rupees Zero Only'.

    A negative amount (a refund) is spelled with 'Minus' in front.
    """
    if paise < 0:
        return "Minus " + rupees_in_words(-paise)
    rupees, fraction = divmod(paise, 100)
    if fraction == 0:
        return f"Rupees {number_in_words(rupees)} Only"
    if rupees == 0:
        return f"Paise {number_in_words(fraction)} Only"
    return f"Rupees {number_in_words(rupees)} and Paise {number_in_words(fraction)} Only"
