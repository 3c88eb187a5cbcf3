"""The bounds every entrance shares (issue #13): the command line, the desktop, the imports
and the services all check values against these, so no door is wider than another.

1. A business date (an invoice's, a payment's, a promotion's window, an imported visit) is
   from 1990-01-01 to ten years after the branch's today. The dashboard packs fiscal years
   into a mask and numbers are per fiscal year: a year 1 or 9999 breaks both.
2. A line's quantity is a whole number from 1 to 999 (the counter's limit).
3. An amount typed or imported (a price, a cost, a discount, a payment, a limit) is at most
   Rs.1 crore (10^9 paise). With at most 999 units a line, a sum of a billion such lines
   still fits a signed 64-bit integer, so no total, report or dashboard sum overflows.
4. A count (a promotion's or a code's uses) is at most a billion.
5. Names (patients, staff, catalog items, imports) lose control characters on the way in:
   NUL, escape sequences a terminal would run, and the bidirectional overrides (U+202E)
   that make a name print backwards. Joiners that Indian scripts need stay.
6. A cell written to a CSV file that a spreadsheet would run as a formula (it starts with
   =, +, -, @, a tab or a carriage return) gets a leading apostrophe (OWASP's advice);
   a number (not text) stays a number.
7. An imported number is what a clinic's spreadsheet writes: ASCII digits, an optional
   decimal point and its places, grouped the Indian (1,00,000.50) or the
   international (100,000.50) way or not at all. Exponents (1E+3), other digits (Arabic-
   Indic, full-width) and signs are refused.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import BadInput

EARLIEST_DAY = date(1990, 1, 1)
YEARS_AHEAD = 10
MAX_QUANTITY = 999
MAX_AMOUNT = 10**9  # paise: Rs.1 crore
MAX_COUNT = 10**9

_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?")
# Bidirectional embeddings, overrides, isolates and marks; and the BOM.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_SPREADSHEET_NUMBER = re.compile(
    r"(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})*,[0-9]{3})"
    r"(?:\.(?P<fraction>[0-9]+))?",
    re.ASCII,
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class OutOfBounds(BadInput):
    """A value outside what any clinic can mean."""


def latest_day(today: date) -> date:
    """The last business date accepted: ten years after `today` (28 Feb for a 29 Feb)."""
    year = today.year + YEARS_AHEAD
    try:
        return today.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def check_day(day: date, today: date, what: str = "The date") -> date:
    """`day` when it lies from 1990-01-01 to ten years after `today`; else OutOfBounds."""
    last = latest_day(today)
    if not EARLIEST_DAY <= day <= last:
        raise OutOfBounds(
            f"{what} {day.isoformat()} is outside {EARLIEST_DAY.isoformat()} to "
            f"{last.isoformat()}; check the year."
        )
    return day


def check_quantity(quantity: int, what: str = "A quantity") -> int:
    """A line's quantity, 1 to 999."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise OutOfBounds(f"{what} is a whole number from 1 to {MAX_QUANTITY}, not {quantity}.")
    return quantity


def check_amount(paise: int, what: str = "An amount") -> int:
    """An amount in paise, at most Rs.1 crore either way."""
    if abs(paise) > MAX_AMOUNT:
        raise OutOfBounds(f"{what} is more than Rs.1 crore; check the figure.")
    return paise


def check_count(count: int, what: str = "A limit") -> int:
    """A count such as a promotion's uses, at most a billion."""
    if count > MAX_COUNT:
        raise OutOfBounds(f"{what} is at most {MAX_COUNT:,}, not {count}.")
    return count


def clean_text(text: str) -> str:
    """`text` without escape sequences, control characters or bidirectional overrides;
    whitespace runs (tabs and new lines too) become one space, ends trimmed."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    kept = [
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or (ch not in _BIDI and unicodedata.category(ch) not in ("Cc", "Cs"))
    ]
    return " ".join("".join(kept).split())


def csv_cell(value: Any) -> Any:
    """A value as a spreadsheet may open it safely: text that starts like a formula gets a
    leading apostrophe (text "-2" too, as OWASP advises); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def from_csv_cell(value: str) -> str:
    """A cell as csv_cell wrote it, read back: the apostrophe before a formula start goes."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_number(text: str) -> Decimal | None:
    """A number as a clinic's spreadsheet writes it (see 7 above), or None when it is not one."""
    match = _SPREADSHEET_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    whole = match["whole"].replace(",", "")
    return Decimal(f"{whole}.{match['fraction'] or '0'}")
