"""A catalog item's details and the rules they must meet (issue #12).

1. A code is 1 to 30 letters, digits, '-' or '_', unique in any case; a name 1 to 120
   characters; a category 1 to 60.
2. An item is a service or a product; its price and cost are rupees and paise, not below 0.
3. GST (domain.gst): a service's SAC starts with 99; an exempt item has rate 0, a taxable
   one one of GST's rates.
4. The maximum discount is a percent from 0 to 100; a barcode is 4 to 40 letters or digits.
5. A price change takes effect from a date (today or later); the invoice keeps the price it
   was sold at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.bounds import clean_text
from domain.errors import BadInput
from domain.gst import GstError, Taxability, validate_hsn_sac, validate_rate
from domain.money import AmountTooLarge, MoneyError, rupees_to_paise

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
_BARCODE = re.compile(r"^[A-Za-z0-9]{4,40}$")
ITEM_TYPES = ("service", "product")


class CatalogItemError(BadInput):
    """Details that cannot be saved; `field` names the one to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ItemSpec:
    """An item's details as validated (amounts in paise)."""

    code: str
    name: str
    category: str
    item_type: str
    price: int
    cost: int
    hsn_sac: str
    taxability: Taxability
    tax_rate: Decimal
    max_discount_percent: Decimal
    barcode: str | None


def _text(field: str, value: object, limit: int, what: str) -> str:
    text = clean_text(str(value or ""))
    if not text:
        raise CatalogItemError(field, f"Give the item's {what}")
    if len(text) > limit:
        raise CatalogItemError(field, f"Keep the {what} to {limit} characters")
    return text


def _amount(field: str, value: object, what: str) -> int:
    try:
        paise = rupees_to_paise(str(value if value is not None else "0"))
    except AmountTooLarge as exc:
        raise CatalogItemError(
            field, f"The {what} is more than Rs.1 crore; check the figure"
        ) from exc
    except MoneyError as exc:
        raise CatalogItemError(
            field, f"The {what} is rupees and paise, like 4500 or 4500.50"
        ) from exc
    if paise < 0:
        raise CatalogItemError(field, f"The {what} cannot be below 0")
    return paise


def _percent(field: str, value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise CatalogItemError(field, f"'{value}' is not a percent") from exc
    return number


def validate_item(data: dict[str, object]) -> ItemSpec:
    """Rules 1 to 4 for an item's details (rupees as text or numbers, as typed)."""
    code = str(data.get("code") or "").strip().upper()
    if not _CODE.match(code):
        raise CatalogItemError(
            "code", "A code is 1 to 30 letters, digits, '-' or '_', like BOTOX50"
        )
    item_type = str(data.get("item_type") or "").strip().lower()
    if item_type not in ITEM_TYPES:
        raise CatalogItemError("item_type", "An item is a service or a product")
    try:
        taxability = Taxability(str(data.get("taxability") or "taxable").strip().lower())
    except ValueError:
        raise CatalogItemError("taxability", "An item is taxable or exempt") from None
    try:
        rate = validate_rate(taxability, _percent("tax_rate", data.get("tax_rate", 0)))
        hsn = validate_hsn_sac(str(data.get("hsn_sac") or ""), is_service=item_type == "service")
    except GstError as exc:
        field = "hsn_sac" if "HSN" in str(exc) or "SAC" in str(exc) else "tax_rate"
        raise CatalogItemError(field, str(exc)) from exc
    limit = _percent("max_discount_percent", data.get("max_discount_percent", 100))
    if not 0 <= limit <= 100:
        raise CatalogItemError("max_discount_percent", "The maximum discount is 0 to 100 percent")
    barcode = str(data.get("barcode") or "").strip() or None
    if barcode is not None and not _BARCODE.match(barcode):
        raise CatalogItemError("barcode", "A barcode is 4 to 40 letters or digits")
    return ItemSpec(
        code=code,
        name=_text("name", data.get("name"), 120, "name"),
        category=_text("category", data.get("category"), 60, "category"),
        item_type=item_type,
        price=_amount("price", data.get("price"), "price"),
        cost=_amount("cost", data.get("cost"), "cost"),
        hsn_sac=hsn,
        taxability=taxability,
        tax_rate=rate,
        max_discount_percent=limit,
        barcode=barcode,
    )
