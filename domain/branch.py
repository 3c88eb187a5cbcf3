"""Validation of a branch's details (what the Settings panel edits)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from domain.errors import BadInput
from domain.gst import STATE_CODES, state_label
from domain.invoice_numbers import (
    NumberFormat,
    NumberFormatError,
    check_format,
    validate_branch_code,
    validate_series,
)

# 2 digits state code, 10 character PAN, entity number, 'Z', checksum character.
_GSTIN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
_GSTIN_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class BranchDetails:
    """What a branch says about itself on invoices and how it counts its year.

    The GST particulars (issue #12) are None in a change that leaves them as they are:
    the legal name that heads its invoices, its code and number format
    (domain.invoice_numbers), its GST state code and the UPI ID its QR codes pay.
    `allow_non_compliant_numbers` accepts a number format longer than GST's 16 characters
    or without the branch code, with its warning."""

    name: str
    address: str
    gstin: str
    timezone: str
    fiscal_year_start_month: int
    invoice_series: str
    phone: str = ""
    legal_name: str | None = None
    branch_code: str | None = None
    number_format: str | None = None
    state_code: str | None = None
    upi_id: str | None = None
    allow_non_compliant_numbers: bool = False


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
        raise BranchDetailsError("gstin", "A GSTIN has 15 characters, like 29ABCDE1234F1ZW")
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
    """Every IANA zone name, sorted, for pickers (read once: the zone files do not change
    while the app runs, and reading them costs the Settings panel's opening)."""
    return list(_timezone_names())


@functools.cache
def _timezone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


_UPI_ID = re.compile(r"^[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9]{1,63}$")


def validate_upi_id(text: str) -> str:
    """A UPI ID (virtual payment address) like clinic@okaxis; empty means none."""
    value = text.strip()
    if value and not _UPI_ID.match(value):
        raise BranchDetailsError("upi_id", "A UPI ID looks like clinic@okaxis")
    return value


def validate_state_code(code: str, gstin: str) -> str:
    """The branch's GST state: a known state code, the GSTIN's own when it has one."""
    value = code.strip()
    if not value and gstin:
        return gstin[:2]
    if value and value not in STATE_CODES:
        raise BranchDetailsError("state_code", f"{value} is not a GST state code (29 is Karnataka)")
    if value and gstin and gstin[:2] != value:
        raise BranchDetailsError(
            "state_code",
            f"The GSTIN is registered in state {state_label(gstin[:2])}, not {state_label(value)}",
        )
    return value


def number_format_of(details: BranchDetails) -> NumberFormat | None:
    """The branch's checked number format (rules of domain.invoice_numbers), None when the
    details leave the format or the code unchanged."""
    if details.number_format is None or details.branch_code is None:
        return None
    try:
        code = validate_branch_code(details.branch_code)
        return check_format(
            details.number_format,
            branch_code=code,
            series=details.invoice_series.strip().upper(),
            allow_non_compliant=details.allow_non_compliant_numbers,
        )
    except NumberFormatError as exc:
        raise BranchDetailsError(exc.field, str(exc)) from exc


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
    gstin = validate_gstin(details.gstin)
    legal_name = None if details.legal_name is None else " ".join(details.legal_name.split())
    if legal_name is not None and len(legal_name) > 200:
        raise BranchDetailsError("legal_name", "Keep the legal name under 200 characters")
    checked = number_format_of(details)
    return BranchDetails(
        name=name,
        address=details.address.strip(),
        gstin=gstin,
        timezone=validate_timezone(details.timezone.strip()),
        fiscal_year_start_month=details.fiscal_year_start_month,
        invoice_series=series,
        phone=details.phone.strip(),
        legal_name=legal_name,
        branch_code=None if details.branch_code is None else details.branch_code.strip().upper(),
        number_format=None if checked is None else checked.template,
        state_code=None
        if details.state_code is None
        else validate_state_code(details.state_code, gstin),
        upi_id=None if details.upi_id is None else validate_upi_id(details.upi_id),
        allow_non_compliant_numbers=details.allow_non_compliant_numbers,
    )
