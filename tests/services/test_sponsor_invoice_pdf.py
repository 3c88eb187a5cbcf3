"""The sponsor invoice PDF read back as a person reads it (pypdf's layout mode, one line per
printed row): a final settlement that refunds the deposit, and a deposit invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader

from domain.sponsor_billing import Period
from services import auth, sponsors
from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf
from tests.services.conftest import NOW
from tests.services.sponsor_helpers import a_sponsor, campaign_spec, shown


def pdf_lines(db, manager, number, path):
    render_sponsor_invoice_pdf(sponsors.sponsor_invoice_document(db, manager, number), path)
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in PdfReader(path).pages)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def settled(demo_db, manager, impressions: int):
    """Glowco's campaign (Rs.400 deposit, Rs.20 an impression), `impressions` charged on
    20 Nov, settled over the flight so far."""
    desk = auth.sign_in(demo_db, "priya", "1111")
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(), now=NOW)
    shown(demo_db, desk, impressions, datetime(2026, 11, 20, 5, 0, tzinfo=UTC))
    period = Period(date(2026, 11, 1), date(2026, 11, 24))
    return sponsors.bill_sponsor_period(demo_db, manager, "GLOWCO-NOV", period, final=True, now=NOW)


def test_a_final_settlement_that_refunds_the_deposit(demo_db, manager, tmp_path):
    final = settled(demo_db, manager, 3)
    assert final.invoice_number == "INDSC26-27/00001"  # the sponsor credit notes' series
    lines = pdf_lines(demo_db, manager, final.invoice_number, tmp_path / "final.pdf")
    # 3 x Rs.20 = 60, less the Rs.400 deposit: 340 back, with the GST charged on it. The
    # deposit's tax invoice charged more than was supplied: a credit note against it
    # (section 34, rule 53(1A)), not a tax invoice.
    for expected in (
        "CREDIT NOTE",
        "Sponsored promotion: Glowco serum week",
        "Note number INDSC26-27/00001 Note date 24 Nov 2026",
        "Kind Final settlement Refund by 09 Dec 2026",
        "Period 01 Nov 2026 to 24 Nov 2026 Reverse charge No",
        "Place of supply 29 - Karnataka SAC 998366",
        "Against tax invoice INDS/26-27/00004 dated 24 Nov 2026",
        "Reason: the deposit invoiced exceeds the value of the advertising supplied",
        "Impressions billed 3",
        "Amount (impressions x rate) ₹60.00",
        "Less deposit invoiced -₹400.00",
        "Taxable value credited ₹340.00",
        "CGST 9% credited ₹30.60",
        "SGST 9% credited ₹30.60",
        "To refund to the sponsor ₹401.20",
    ):
        assert any(expected in line for line in lines), (expected, lines)
    assert not any("TAX INVOICE" in line or "Invoice number" in line for line in lines)
    assert not any(line.startswith("Amount due") for line in lines)
    assert PdfReader(tmp_path / "final.pdf").metadata.title == "Sponsor credit note " + (
        final.invoice_number
    )


def test_a_deposit_invoice_shows_no_impressions(demo_db, manager, tmp_path):
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(), now=NOW)
    lines = pdf_lines(demo_db, manager, "INDS/26-27/00004", tmp_path / "deposit.pdf")
    assert any("Kind Deposit" in line for line in lines)
    assert "Deposit ₹400.00" in lines and "Amount due ₹472.00" in lines
    assert not any(line.startswith("Impressions billed") for line in lines)
    assert "TAX INVOICE" in lines and not any("CREDIT NOTE" in line for line in lines)


def test_a_final_settlement_above_the_deposit_stays_a_tax_invoice(demo_db, manager, tmp_path):
    final = settled(demo_db, manager, 30)
    # 30 x Rs.20 = 600, less the 400 deposit: 200 more, billed with its GST.
    assert final.invoice_number == "INDS/26-27/00005"
    lines = pdf_lines(demo_db, manager, final.invoice_number, tmp_path / "final.pdf")
    for expected in (
        "TAX INVOICE",
        "Invoice number INDS/26-27/00005 Invoice date 24 Nov 2026",
        "Taxable value ₹200.00",
        "Amount due ₹236.00",
    ):
        assert expected in lines, (expected, lines)
    assert not any("CREDIT NOTE" in line or "Against tax invoice" in line for line in lines)
