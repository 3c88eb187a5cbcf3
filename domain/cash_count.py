"""The drawer at the close of a counter session: what was expected, what was counted, and
the difference (issue #11). Amounts are paise.

1. Cash is counted by denomination: notes of 2000, 500, 200, 100, 50, 20 and 10 rupees, each
   a whole number of notes (0 or more), and "coins": the coins' value, in paise. Any other
   label is refused.
2. Counted cash is the sum of each note's count times its face value, plus the coins.
3. Expected cash is the opening float, plus cash put in, less cash taken out, plus the cash
   takings, less the cash refunds: the session's cash payments are signed (above 0 taken,
   below 0 paid back), so the last two are their sum. Cash is stored net of the change
   handed back, so change needs no line of its own.
4. Expected for any other method (UPI, card, wallet) is the sum of that method's payments in
   the session, refunds included; there is no float for them.
5. The difference is counted less expected cash: above 0 the drawer is over, below 0 short.
   A difference other than zero needs a reason; a close with none is refused.
6. A count typed as text ("2000=3, 500=4, coins=12.50") names each denomination once;
   counts are whole numbers and the coins an amount in rupees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.bounds import MAX_COUNT, check_amount
from domain.errors import BadInput
from domain.money import rupees_to_paise

COINS = "coins"
# Note denominations in rupees, largest first, as the close screen lists them.
NOTES = (2000, 500, 200, 100, 50, 20, 10)
DENOMINATIONS: tuple[str, ...] = (*(str(n) for n in NOTES), COINS)
CASH = "cash"


class CashCountError(BadInput):
    """A count or a close that cannot be taken; the message says what to change."""


def check_denominations(counts: Mapping[str, int]) -> dict[str, int]:
    """The count with every denomination present, in the screen's order (rule 1)."""
    unknown = [label for label in counts if label not in DENOMINATIONS]
    if unknown:
        raise CashCountError(
            f"'{unknown[0]}' is not a denomination; use {', '.join(DENOMINATIONS)}"
        )
    checked: dict[str, int] = {}
    for label in DENOMINATIONS:
        value = counts.get(label, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            what = "The coins" if label == COINS else f"The count of {label} notes"
            raise CashCountError(f"{what} must be a whole number, 0 or more")
        if label == COINS:
            check_amount(value, "The coins")
        elif value > MAX_COUNT:
            raise CashCountError(f"The count of {label} notes is at most {MAX_COUNT:,}")
        checked[label] = value
    return checked


def counted_cash(counts: Mapping[str, int]) -> int:
    """Cash in the drawer from a count by denomination (rules 1 and 2)."""
    checked = check_denominations(counts)
    notes = sum(int(label) * 100 * checked[label] for label in DENOMINATIONS if label != COINS)
    return notes + checked[COINS]


def expected_cash(
    opening_float: int, cash_in: int, cash_out: int, cash_payments: Iterable[int]
) -> int:
    """What the drawer should hold (rule 3)."""
    return opening_float + cash_in - cash_out + sum(cash_payments)


def expected_by_method(
    opening_float: int, cash_in: int, cash_out: int, payments: Iterable[tuple[str, int]]
) -> dict[str, int]:
    """Expected amount per payment method, cash always first (rules 3 and 4)."""
    by_method: dict[str, int] = {CASH: 0}
    for method, amount in payments:
        by_method[method] = by_method.get(method, 0) + amount
    by_method[CASH] = expected_cash(opening_float, cash_in, cash_out, [by_method[CASH]])
    return by_method


@dataclass(frozen=True)
class CloseCount:
    """A checked close: the count, what it adds to, the difference and its reason."""

    denominations: dict[str, int]
    counted: int
    expected: int
    difference: int
    reason: str


def close_count(counts: Mapping[str, int], expected: int, reason: str) -> CloseCount:
    """Check a close: count the cash and refuse an unexplained difference (rules 1, 2, 5)."""
    checked = check_denominations(counts)
    counted = counted_cash(checked)
    difference = counted - expected
    reason = " ".join(reason.split())
    if difference != 0 and not reason:
        raise CashCountError(
            "The cash counted differs from what was expected; give a reason for the difference"
        )
    return CloseCount(checked, counted, expected, difference, reason)


def parse_count(text: str) -> dict[str, int]:
    """Read "2000=3,500=4,coins=12.50" as a count (rule 6): note counts, coins in paise."""
    counts: dict[str, int] = {}
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        label, sep, value = part.partition("=")
        label, value = label.strip().lower(), value.strip()
        if not sep or not value:
            raise CashCountError(f"'{part}' should read DENOMINATION=COUNT, as 500=4")
        if label.startswith("rs."):
            label = label[3:]
        if label not in DENOMINATIONS:
            raise CashCountError(f"'{label}' is not a denomination; use {', '.join(DENOMINATIONS)}")
        if label in counts:
            raise CashCountError(f"{label} is counted twice; give each denomination once")
        if label == COINS:
            counts[label] = rupees_to_paise(value)
        elif value.isdigit():
            counts[label] = int(value)
        else:
            raise CashCountError(f"The count of {label} notes must be a whole number, 0 or more")
    return check_denominations(counts)
