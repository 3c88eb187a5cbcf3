"""Rule 46(b)'s numbers: formats of at most 16 characters that carry the branch's code."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.invoice_numbers import (
    DEFAULT_FORMAT,
    GST_MAX_LENGTH,
    MAX_SEQUENCE,
    SEEDS_FORMAT,
    NumberFormatError,
    check_format,
    format_invoice_number,
    validate_branch_code,
)

YEARS = [f"{y}-{y + 1}" for y in range(2020, 2100)]


def test_the_default_format_carries_the_branch_code_and_fits_16():
    number = format_invoice_number(
        "SVC", "2026-2027", 2216, template=DEFAULT_FORMAT, branch_code="IND"
    )
    assert number == "IND/26-27/02216"
    assert check_format(DEFAULT_FORMAT, branch_code="IND", series="SVC").gst_compliant


def test_the_seeds_long_format_is_refused_unless_asked_for_and_then_warned():
    with pytest.raises(NumberFormatError, match="reach 19 characters"):
        check_format(SEEDS_FORMAT, branch_code="IND", series="SVC")
    kept = check_format(SEEDS_FORMAT, branch_code="IND", series="SVC", allow_non_compliant=True)
    assert not kept.gst_compliant
    assert any("not GST-compliant" in warning for warning in kept.warnings)
    assert format_invoice_number("SVC", "2025-2026", 123) == "SVC-2025-2026-00123"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{BRANCH}/{FY}", "has {SEQ}, once"),
        ("{BRANCH}/{SEQ}/{SEQ}", "has {SEQ}, once"),
        ("{BRANCH}/{YEAR}/{SEQ}", "{YEAR} is not a placeholder"),
        ("{BRANCH} {FY} {SEQ}", "only letters, digits"),
        ("{BRANCH}_{SEQ}", "only letters, digits"),
        ("INV/{FY}/{SEQ}", "Without {BRANCH}"),
        ("{BRANCH}/{SERIES}/{FYYYY}/{SEQ}", "characters; GST allows 16"),
    ],
)
def test_bad_formats_are_refused_with_the_reason(template, message):
    with pytest.raises(NumberFormatError, match=message.replace("{", r"\{").replace("}", r"\}")):
        check_format(template, branch_code="IND", series="SVC")


@pytest.mark.parametrize(("raw", "clean"), [("ind", "IND"), (" k2 ", "K2"), ("BLR1", "BLR1")])
def test_branch_codes_are_normalised(raw, clean):
    assert validate_branch_code(raw) == clean


@pytest.mark.parametrize("raw", ["", "INDIR", "IN-D", "I/N"])
def test_bad_branch_codes_are_refused(raw):
    with pytest.raises(NumberFormatError):
        validate_branch_code(raw)


format_parts = st.lists(
    st.sampled_from(["{BRANCH}", "{SERIES}", "{FY}", "{FYYYY}", "/", "-", "A", "7"]),
    max_size=5,
)
codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=4)
series_names = st.sampled_from(["S", "SVC", "INV", "PH2", "ABCDEFGHIJ"])


@given(format_parts, format_parts, codes, series_names, st.sampled_from(YEARS))
def test_every_format_the_setting_accepts_fits_16_for_99999_invoices(
    before, after, code, series, year
):
    template = "".join(before) + "{SEQ}" + "".join(after)
    try:
        checked = check_format(template, branch_code=code, series=series)
    except NumberFormatError:
        return
    for sequence in (1, 9_999, MAX_SEQUENCE):
        number = format_invoice_number(
            series, year, sequence, template=checked.template, branch_code=code
        )
        assert len(number) <= GST_MAX_LENGTH
        assert set(number) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/")


@given(
    codes, codes, st.sampled_from(YEARS), st.integers(1, MAX_SEQUENCE), st.integers(1, MAX_SEQUENCE)
)
def test_two_branches_default_numbers_never_collide(code_a, code_b, year, seq_a, seq_b):
    if code_a == code_b:
        return
    a = format_invoice_number("SVC", year, seq_a, template=DEFAULT_FORMAT, branch_code=code_a)
    b = format_invoice_number("SVC", year, seq_b, template=DEFAULT_FORMAT, branch_code=code_b)
    assert a != b
