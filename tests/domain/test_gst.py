"""The rules of domain.gst: tax backed out of GST-inclusive lines, its halves, the document."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.gst import (
    RATES,
    DocumentType,
    GstError,
    Taxability,
    place_of_supply,
    split_line,
    validate_hsn_sac,
    validate_rate,
)

TAXABLE, EXEMPT = Taxability.TAXABLE, Taxability.EXEMPT


def test_botox_at_18_percent_inside_rs_4500():
    line = split_line(450_000, Decimal(18), inter_state=False)
    # 4500 x 18 / 118 = 686.4406... -> Rs.686.44 of tax; the rest is the taxable value.
    assert (line.taxable_value, line.cgst, line.sgst, line.igst) == (381_356, 34_322, 34_322, 0)


def test_the_odd_paisa_goes_to_cgst():
    line = split_line(118_07, Decimal(18), inter_state=False)
    assert line.tax % 2 == 1
    assert line.cgst == line.sgst + 1


def test_across_states_the_tax_is_igst():
    line = split_line(118_00, Decimal(18), inter_state=True)
    assert (line.taxable_value, line.cgst, line.sgst, line.igst) == (10_000, 0, 0, 1_800)


def test_an_exempt_line_carries_no_tax():
    line = split_line(50_000, Decimal(0), inter_state=False)
    assert (line.taxable_value, line.tax) == (50_000, 0)


@settings(max_examples=10_000, deadline=None)
@given(
    st.integers(0, 10_000_000),
    st.sampled_from(RATES),
    st.booleans(),
)
def test_taxable_value_and_tax_make_the_line_total_to_the_paisa(amount, rate, inter_state):
    """On 10,000 random lines (issue #12): the parts add up to the line, to the paisa."""
    line = split_line(amount, rate, inter_state=inter_state)
    assert line.taxable_value + line.cgst + line.sgst + line.igst == amount
    assert abs(line.cgst - line.sgst) <= 1 and line.cgst >= line.sgst
    assert line.taxable_value >= 0 and line.tax >= 0


@pytest.mark.parametrize(
    ("lines", "recipient_registered", "expected"),
    [
        ([TAXABLE, TAXABLE], False, DocumentType.TAX_INVOICE),
        ([EXEMPT], False, DocumentType.BILL_OF_SUPPLY),
        ([EXEMPT, TAXABLE], False, DocumentType.INVOICE_CUM_BILL_OF_SUPPLY),
        ([EXEMPT, TAXABLE], True, DocumentType.TAX_INVOICE),
        ([EXEMPT, EXEMPT], True, DocumentType.BILL_OF_SUPPLY),
    ],
)
def test_the_document_follows_from_the_lines(lines, recipient_registered, expected):
    from domain.gst import document_type

    assert (
        document_type(lines, supplier_registered=True, recipient_registered=recipient_registered)
        is expected
    )


def test_an_unregistered_clinic_issues_bills_of_supply():
    from domain.gst import document_type

    assert (
        document_type([TAXABLE], supplier_registered=False, recipient_registered=False)
        is DocumentType.BILL_OF_SUPPLY
    )


def test_titles():
    assert DocumentType.INVOICE_CUM_BILL_OF_SUPPLY.heading == "INVOICE-CUM-BILL OF SUPPLY"


def test_place_of_supply_is_the_branch_state_unless_the_recipient_is_registered():
    assert place_of_supply("29") == "29"
    assert place_of_supply("29", "27AAPFU0939F1ZV") == "27"


@pytest.mark.parametrize(
    ("code", "service", "clean"),
    [
        ("999312", True, "999312"),
        ("3304 99", False, "330499"),
        ("", True, ""),
        ("3304", False, "3304"),
    ],
)
def test_hsn_and_sac_codes(code, service, clean):
    assert validate_hsn_sac(code, is_service=service) == clean


@pytest.mark.parametrize(
    ("code", "service"), [("3304", True), ("99931", True), ("12345", False), ("33O4", False)]
)
def test_bad_hsn_and_sac_codes_are_refused(code, service):
    with pytest.raises(GstError):
        validate_hsn_sac(code, is_service=service)


def test_rates():
    assert validate_rate(TAXABLE, Decimal(18)) == Decimal(18)
    assert validate_rate(EXEMPT, Decimal(0)) == 0
    with pytest.raises(GstError, match="exempt item carries no GST"):
        validate_rate(EXEMPT, Decimal(18))
    with pytest.raises(GstError, match="one of"):
        validate_rate(TAXABLE, Decimal(10))
