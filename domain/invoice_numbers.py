"""Human invoice numbers: a branch's format, its fiscal year and a gap-free sequence.

GST's rule 46(b) asks for "a consecutive serial number not exceeding sixteen characters, in
one or multiple series, containing alphabets or numerals or special characters hyphen or
dash and slash ... unique for a financial year". Several branches may share a GSTIN, so a
number carries the branch's code. The rules:

1. A format is text with placeholders: {BRANCH} (the branch's code, 1 to 4 letters or
   digits), {SERIES} (the series prefix), {FY} (the fiscal year short, '26-27'), {FYYYY}
   (long, '2026-2027') and {SEQ} (the sequence, five digits at least). Anything else in it
   is letters, digits, '-' or '/'.
2. {SEQ} is required: it makes the number consecutive. Without {BRANCH}, two branches under
   one GSTIN could issue the same number: the format is refused unless the branch accepts
   the warning.
3. The longest number a format can make (the sequence at 99,999) must fit 16 characters.
   A longer format (the seeds' `SVC-2025-2026-00123` is 19) is refused unless the branch
   asks for it, and then it is kept with a warning that it is not GST-compliant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.errors import BadInput

SEQUENCE_WIDTH = 5
MAX_SEQUENCE = 10**SEQUENCE_WIDTH - 1
GST_MAX_LENGTH = 16
DEFAULT_FORMAT = "{BRANCH}/{FY}/{SEQ}"
# The seeds' format; branches made before formats existed keep it (rule 3's warning).
SEEDS_FORMAT = "{SERIES}-{FYYYY}-{SEQ}"

_SERIES = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_CODE = re.compile(r"^[A-Z0-9]{1,4}$")
_TOKEN = re.compile(r"\{([A-Z]+)\}")
_LITERAL = re.compile(r"^[A-Z0-9/-]*$")
_TOKENS = ("BRANCH", "SERIES", "FY", "FYYYY", "SEQ")


class NumberFormatError(BadInput):
    """A series, branch code or number format that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate_series(prefix: str) -> str:
    """Normalise a series prefix ('svc' -> 'SVC'), refusing anything but 1-10 letters/digits."""
    normalised = prefix.strip().upper()
    if not _SERIES.match(normalised):
        raise NumberFormatError(
            "invoice_series",
            "The invoice series must be 1 to 10 letters or digits, starting with a letter",
        )
    return normalised


def validate_branch_code(code: str) -> str:
    """A branch's code on its numbers: 1 to 4 letters or digits ('ind' -> 'IND')."""
    normalised = code.strip().upper()
    if not _CODE.match(normalised):
        raise NumberFormatError(
            "branch_code", "The branch code is 1 to 4 letters or digits, like IND"
        )
    return normalised


def short_fiscal_year(fiscal_year: str) -> str:
    """'2026-2027' -> '26-27'."""
    start, end = fiscal_year.split("-")
    return f"{start[2:]}-{end[2:]}"


def _render(template: str, *, branch_code: str, series: str, fiscal_year: str, seq: str) -> str:
    values = {
        "BRANCH": branch_code,
        "SERIES": series,
        "FY": short_fiscal_year(fiscal_year),
        "FYYYY": fiscal_year,
        "SEQ": seq,
    }
    return _TOKEN.sub(lambda match: values[match.group(1)], template)


@dataclass(frozen=True)
class NumberFormat:
    """A checked format (rules 1 to 3), with the warnings the branch accepted."""

    template: str
    longest: int
    warnings: tuple[str, ...]

    @property
    def gst_compliant(self) -> bool:
        return self.longest <= GST_MAX_LENGTH


def check_format(
    template: str, *, branch_code: str, series: str, allow_non_compliant: bool = False
) -> NumberFormat:
    """Rules 1 to 3 for a format, with this branch's code and series."""
    text = template.strip().upper()
    names = _TOKEN.findall(text)
    unknown = [name for name in names if name not in _TOKENS]
    if unknown:
        raise NumberFormatError(
            "number_format",
            f"{{{unknown[0]}}} is not a placeholder; use {{BRANCH}}, {{SERIES}}, {{FY}}, "
            "{FYYYY} and {SEQ}",
        )
    if not _LITERAL.match(_TOKEN.sub("", text)):
        raise NumberFormatError(
            "number_format",
            "Besides its placeholders a number format has only letters, digits, '-' and '/'",
        )
    if names.count("SEQ") != 1:
        raise NumberFormatError(
            "number_format", "A number format has {SEQ}, once: it numbers the invoices"
        )
    longest = len(
        _render(
            text,
            branch_code=branch_code,
            series=series,
            fiscal_year="2026-2027",
            seq=str(MAX_SEQUENCE),
        )
    )
    warnings = []
    if longest > GST_MAX_LENGTH:
        message = (
            f"Numbers in this format reach {longest} characters; GST allows 16 at most "
            "(rule 46(b)), so these invoices are not GST-compliant"
        )
        if not allow_non_compliant:
            raise NumberFormatError("number_format", message)
        warnings.append(message)
    if "BRANCH" not in names:
        message = (
            "Without {BRANCH}, another branch under the same GSTIN could issue the same number"
        )
        if not allow_non_compliant:
            raise NumberFormatError("number_format", message)
        warnings.append(message)
    return NumberFormat(text, longest, tuple(warnings))


def format_invoice_number(
    series: str,
    fiscal_year: str,
    sequence: int,
    *,
    template: str = SEEDS_FORMAT,
    branch_code: str = "",
) -> str:
    """The number of `sequence` in `template`: 'SVC', '2025-2026', 123 -> 'SVC-2025-2026-00123';
    with DEFAULT_FORMAT and branch code IND -> 'IND/25-26/00123'."""
    if sequence < 1:
        raise ValueError("invoice sequence numbers start at 1")
    return _render(
        template,
        branch_code=branch_code,
        series=series,
        fiscal_year=fiscal_year,
        seq=f"{sequence:0{SEQUENCE_WIDTH}d}",
    )


def number_pattern(template: str, *, branch_code: str, series: str) -> re.Pattern[str]:
    """Every number `template` can make for this branch and series, in any fiscal year."""
    shapes = {
        "BRANCH": re.escape(branch_code),
        "SERIES": re.escape(series),
        "FY": r"\d{2}-\d{2}",
        "FYYYY": r"\d{4}-\d{4}",
        "SEQ": rf"\d{{{SEQUENCE_WIDTH},}}",
    }
    parts = _TOKEN.split(template)
    # split() alternates literal text and placeholder names.
    pattern = "".join(
        shapes[part] if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(pattern)
