"""The receipt as text for a thermal printer: columns, sums and the money taken."""

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.invoice_document import DocumentPayment
from services.receipt_text import (
    RECEIPT_WIDTHS,
    paid_status_text,
    payments_summary,
    receipt_lines,
    receipt_text,
)
from tests.services.test_invoice_pdf import forty_line_invoice, seed_000_invoice

AMOUNT = re.compile(r"(?:Rs\.)?(-?[\d,]+\.\d\d)$")

CASH = DocumentPayment("cash", "Cash", 200_000, at=datetime(2026, 11, 24, 5, 31, tzinfo=UTC))
UPI = DocumentPayment("upi", "UPI", 50_000, reference="UTR4411223344")


def paise(text):
    return int(text.replace(",", "").replace(".", ""))


def amount_of(lines, label):
    """The amount on the first line that starts with `label`."""
    for line in lines:
        if line.strip().startswith(label):
            match = AMOUNT.search(line)
            assert match, line
            return paise(match.group(1))
    raise AssertionError(f"no {label!r} line in {lines}")


def texts(document, width=48):
    return [line.text for line in receipt_lines(document, width=width)]


@pytest.mark.parametrize("width", RECEIPT_WIDTHS)
def test_no_line_is_wider_than_the_paper_and_amounts_end_in_the_last_column(width):
    document = replace(forty_line_invoice(), payments=(CASH, UPI), change_given=5_000)
    lines = texts(document, width)
    assert max(len(line) for line in lines) <= width
    amount_lines = [line for line in lines if AMOUNT.search(line) and "saved" not in line]
    assert len(amount_lines) > 40
    assert all(len(line) == width for line in amount_lines)


def test_the_seed_invoice_lines_up_in_48_columns():
    lines = texts(seed_000_invoice(payments=(CASH, UPI), change_given=5_000))
    assert "Botox (50 units)                        4,500.00" in lines
    assert "Promotion PREMIUM_CONSULT                -500.00" in lines
    assert "TOTAL                                Rs.4,500.00" in lines
    assert "Paid: Cash                              2,000.00" in lines
    assert "      UPI ref UTR4411223344               500.00" in lines
    assert "Change                                     50.00" in lines
    assert "Due                                     2,000.00" in lines
    assert "  Rs.500 Free (PREMIUM_CONSULT)" in lines
    assert "INVOICE-CUM-BILL OF SUPPLY" in [line.strip() for line in lines]


def test_the_header_names_the_branch_gstin_number_patient_and_branch_time():
    text = receipt_text(seed_000_invoice())
    for expected in (
        "Indiranagar",
        "Lumen Skin & Aesthetics Private Limited",
        "GSTIN: 29ABCDE1234F1ZW",
        "Invoice: SVC-2026-2027-00123",
        # 05:30 UTC is 11:00 in Bengaluru.
        "Date: 24 Nov 2026, 11:00 AM IST",
        "Patient: Priya Sharma",
        "Place of supply: 29 - Karnataka",
    ):
        assert expected in text


def test_the_item_amounts_add_up_to_the_total():
    document = forty_line_invoice()
    lines = texts(document)
    start = lines.index("Item" + " " * 38 + "Amount") + 2
    end = next(i for i, line in enumerate(lines) if line.startswith("Gross amount"))
    items = [
        paise(AMOUNT.search(line).group(1))
        for line in lines[start:end]
        if AMOUNT.search(line) and not line.startswith(" ")
    ]
    assert len(items) == 40
    total = amount_of(lines, "TOTAL")
    assert sum(items) + document.round_off == total == document.total_amount
    promotions = amount_of(lines, "Promotion GLOW20")
    assert amount_of(lines, "Gross amount") + promotions == total


def test_round_off_and_manual_discount_are_shown_and_counted():
    document = seed_000_invoice(
        manual_discount=1_050, total_discount=51_050, round_off=50, total_amount=449_000
    )
    lines = texts(document)
    assert amount_of(lines, "Manual discount") == -1_050
    assert "Round off" in "\n".join(lines) and lines[
        [i for i, line in enumerate(lines) if line.startswith("Round off")][0]
    ].endswith("+0.50")
    assert amount_of(lines, "Gross amount") + amount_of(
        lines, "Promotion PREMIUM_CONSULT"
    ) + amount_of(lines, "Manual discount") + 50 == amount_of(lines, "TOTAL")


def test_gst_summary_splits_cgst_and_sgst_or_shows_igst():
    lines = texts(seed_000_invoice())
    assert amount_of(lines, "CGST") == amount_of(lines, "SGST") == 34_322
    assert amount_of(lines, "Taxable value") + 2 * 34_322 == 450_000
    document = seed_000_invoice()
    inter_state = replace(
        document,
        lines=tuple(
            replace(
                line, igst_amount=line.cgst_amount + line.sgst_amount, cgst_amount=0, sgst_amount=0
            )
            for line in document.lines
        ),
    )
    lines = texts(inter_state)
    assert amount_of(lines, "IGST") == 68_644
    assert not any(line.strip().startswith("CGST") for line in lines)


@pytest.mark.parametrize(
    ("payments", "status"),
    [((), "UNPAID"), ((CASH,), "PARTLY PAID"), ((CASH, replace(UPI, amount=250_000)), "PAID")],
)
def test_the_paid_status_follows_the_payments(payments, status):
    document = seed_000_invoice(payments=payments)
    assert paid_status_text(document) == status
    assert f"*** {status} ***" in receipt_text(document)


def test_a_paid_invoice_has_no_due_line_and_payments_add_up():
    document = seed_000_invoice(payments=(replace(CASH, amount=500_000),), change_given=50_000)
    lines = texts(document)
    assert not any(line.startswith("Due") for line in lines)
    assert amount_of(lines, "Paid: Cash") - amount_of(lines, "Change") == document.total_amount


def test_the_payments_summary_names_methods_and_references():
    document = seed_000_invoice(payments=(CASH, UPI))
    assert payments_summary(document) == "Paid: Cash 2,000.00 / UPI ref UTR4411223344 500.00"
    assert payments_summary(seed_000_invoice()) == ""


def test_a_cancelled_invoice_says_so_and_why_and_owes_nothing():
    document = seed_000_invoice(status="cancelled", cancel_reason="Entered twice")
    text = receipt_text(document)
    assert "*** CANCELLED ***" in text and "Entered twice" in text
    assert "\nDue" not in text


def test_a_long_name_wraps_and_keeps_its_amount_on_the_last_line():
    document = seed_000_invoice()
    long_name = "Hydrafacial Platinum with LED therapy and lymphatic drainage, full face"
    document = replace(document, lines=(replace(document.lines[0], item_name=long_name),))
    lines = texts(document, width=42)
    first = lines.index(next(line for line in lines if line.startswith("Hydrafacial")))
    with_amount = next(i for i in range(first, len(lines)) if AMOUNT.search(lines[i]))
    assert with_amount > first
    assert " ".join(line.strip() for line in lines[first : with_amount + 1]).startswith(long_name)
    assert lines[with_amount].endswith(" 4,500.00") and len(lines[with_amount]) == 42


def test_the_total_and_status_are_bold():
    bold = [line.text.strip() for line in receipt_lines(seed_000_invoice()) if line.bold]
    assert "TOTAL                                Rs.4,500.00" in bold
    assert "*** UNPAID ***" in bold


def test_an_unsupported_width_is_refused():
    with pytest.raises(ValueError, match="characters wide"):
        receipt_lines(seed_000_invoice(), width=40)
