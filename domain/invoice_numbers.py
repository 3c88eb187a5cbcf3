"""Human invoice numbers: series prefix, fiscal year and a gap-free sequence."""

from __future__ import annotations

import re

SEQUENCE_WIDTH = 5
_SERIES = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")


def validate_series(prefix: str) -> str:
    """Normalise a series prefix ('svc' -> 'SVC'), refusing anything but 1-10 letters/digits."""
    normalised = prefix.strip().upper()
    if not _SERIES.match(normalised):
        raise ValueError(
            "The invoice series must be 1 to 10 letters or digits, starting with a letter"
        )
    return normalised


def format_invoice_number(series: str, fiscal_year: str, sequence: int) -> str:
    """'SVC', '2025-2026', 123 -> 'SVC-2025-2026-00123'."""
    if sequence < 1:
        raise ValueError("invoice sequence numbers start at 1")
    return f"{series}-{fiscal_year}-{sequence:0{SEQUENCE_WIDTH}d}"
