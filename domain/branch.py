"""Validation of a branch's details (what the Settings panel edits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import BadInput
from domain.invoice_numbers import validate_series

# 2 digits state code, 10 character PAN, entity number, 'Z', checksum character.
_GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class BranchDetails:
    """What a branch says about itself on invoices and how it counts its year."""

    name: str
    address: str
    gstin: str
    timezone: str
    fiscal_year_start_month: int
    invoice_series: str
    phone: str = ""


class BranchDetailsError(BadInput):
    """Details that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def gstin_check_character(first14: str) -> str:
    """The GSTIN checksum character for its first 14 characters (mod-36 Luhn variant)."""
    total = 0
    for position, char in enumerate(first14):
        value = _GSTIN_ALPHABET.index(char) * (2 if position % 2 else 1)
        total += value // 36 + value % 36
    return _GSTIN_ALPHABET[(36 - total % 36) % 36]


def validate_gstin(gstin: str) -> str:
    """Normalise and check a GSTIN; an empty string means the branch is not registered."""
    value = gstin.strip().upper()
    if not value:
        return ""
    if not _GSTIN.match(value):
        raise BranchDetailsError("gstin", "A GSTIN has 15 characters, like 29ABCDE1234F1Z5")
    if gstin_check_character(value[:14]) != value[14]:
        raise BranchDetailsError("gstin", "This GSTIN's last character does not match; check it")
    return value


def validate_timezone(name: str) -> str:
    """Accept only IANA zone names that zoneinfo knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BranchDetailsError("timezone", f"'{name}' is not a time zone name") from exc
    return name


def timezone_names() -> list[str]:
    """Every IANA zone name, sorted, for pickers."""
    return sorted(available_timezones())


def validate_branch(details: BranchDetails) -> BranchDetails:
    """Return the details normalised, or raise BranchDetailsError naming the field to fix."""
    name = details.name.strip()
    if not name:
        raise BranchDetailsError("name", "The branch needs a name")
    if not 1 <= details.fiscal_year_start_month <= 12:
        raise BranchDetailsError("fiscal_year_start_month", "Pick the month the fiscal year starts")
    try:
        series = validate_series(details.invoice_series)
    except ValueError as exc:
        raise BranchDetailsError("invoice_series", str(exc)) from exc
    return BranchDetails(
        name=name,
        address=details.address.strip(),
        gstin=validate_gstin(details.gstin),
        timezone=validate_timezone(details.timezone.strip()),
        fiscal_year_start_month=details.fiscal_year_start_month,
        invoice_series=series,
        phone=details.phone.strip(),
    )
