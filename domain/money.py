"""Money as integer paise: parsing, rounding and Indian-style formatting."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.bounds import MAX_AMOUNT, read_number
from domain.errors import BadInput

PAISE_PER_RUPEE = 100


class MoneyError(BadInput):
    """An amount that cannot be read as rupees and paise."""


class AmountTooLarge(MoneyError):
    """An amount above Rs.1 crore (domain.bounds.MAX_AMOUNT): a typing slip, surely."""


def round_half_up(value: Decimal) -> int:
    """Round a paise amount that may carry fractions half-up to a whole paisa."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rupees_to_paise(text: str | int | Decimal) -> int:
    """Read an amount in rupees ("4500", "4,500.50", Decimal) as paise; refuse fractions of a paisa."""
    if isinstance(text, int):
        return text * PAISE_PER_RUPEE
    if isinstance(text, Decimal):
        amount = text
    else:
        # Typed or imported: digits 0-9, grouped or not (domain.bounds), at most Rs.1 crore.
        cleaned = text.strip().removeprefix("Rs.").removeprefix("₹").strip()
        sign = -1 if cleaned.startswith("-") else 1
        number = read_number(cleaned.removeprefix("-"))
        if number is None:
            raise MoneyError(f"'{text}' is not an amount in rupees")
        amount = sign * number
        if abs(amount) * PAISE_PER_RUPEE > MAX_AMOUNT:
            raise AmountTooLarge(f"'{text}' is more than Rs.1 crore; check the figure")
    if not amount.is_finite():
        raise MoneyError(f"'{text}' is not an amount in rupees")
    paise = amount * PAISE_PER_RUPEE
    if paise != paise.to_integral_value():
        raise MoneyError(f"'{text}' has more than two decimal places")
    return int(paise)


def paise_to_decimal(paise: int) -> Decimal:
    """Paise as a Decimal number of rupees with two places, for JSON and reports."""
    return (Decimal(paise) / PAISE_PER_RUPEE).quantize(Decimal("0.01"))


def group_indian(whole: int) -> str:
    """Group digits the Indian way: 10000000 -> '1,00,00,000'."""
    digits = str(whole)
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs: list[str] = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    if head:
        pairs.insert(0, head)
    return ",".join(pairs) + "," + tail


def format_rupees(paise: int, *, symbol: str = "Rs.") -> str:
    """Format paise as 'Rs.1,00,000.00' (a minus sign in front for negative amounts)."""
    sign = "-" if paise < 0 else ""
    whole, fraction = divmod(abs(paise), PAISE_PER_RUPEE)
    return f"{sign}{symbol}{group_indian(whole)}.{fraction:02d}"
