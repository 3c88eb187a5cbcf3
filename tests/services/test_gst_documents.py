"""GST documents through the real save and the real PDF, read back (issue #12): a tax
invoice, a bill of supply and an invoice-cum-bill of supply, each with its rule's
particulars, and a B2B sale across states with IGST."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from db.models import InvoiceLineItem, Patient
from services import auth, invoicing
from services.invoice_pdf import render_invoice_pdf
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart

LEGAL = "Lumen Skin & Aesthetics Private Limited"


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def pdf_text(document, variant="a4"):
    buffer = io.BytesIO()
    render_invoice_pdf(document, buffer, variant=variant)
    buffer.seek(0)
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(buffer).pages)


def stored_lines(db, invoice_id):
    with db.session(write=False) as session:
        return session.scalars(
            select(InvoiceLineItem).where(InvoiceLineItem.invoice_id == invoice_id)
        ).all()


def rupees(text):
    return int(Decimal(text.replace(",", "")) * 100)


def assert_lines_add_up(db, saved):
    for line in stored_lines(db, saved.id):
        parts = line.taxable_value + line.cgst_amount + line.sgst_amount + line.igst_amount
        assert parts == line.line_total
        assert line.cgst_amount + line.sgst_amount + line.igst_amount == line.tax_amount


def test_cosmetic_services_and_a_product_make_a_tax_invoice(demo_db, desk):
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "SPF50"), now=NOW)
    text = pdf_text(saved)

    assert saved.document_type == "tax_invoice"
    assert len(saved.invoice_number) <= 16 and re.fullmatch(
        r"IND/\d\d-\d\d/\d{5}", saved.invoice_number
    )
    for particular in (
        "TAX INVOICE",
        LEGAL,
        "GSTIN: 29ABCDE1234F1ZW",
        f"No. {saved.invoice_number}",
        "Place of supply: 29 - Karnataka",
        "Reverse charge: No",
        "SAC 999722",
        "HSN 33049990",
        "Authorised signatory",
    ):
        assert particular in text, particular
    # Botox Rs.4,500 at 18%: Rs.3,813.56 taxable, Rs.343.22 each of CGST and SGST.
    assert "₹3,813.56 CGST 9% ₹343.22 SGST 9% ₹343.22 ₹4,500.00" in text
    taxable = re.search(r"Taxable value ₹([\d,.]+) CGST ₹([\d,.]+) SGST ₹([\d,.]+)", text)
    assert taxable is not None
    parts = [rupees(group) for group in taxable.groups()]
    assert sum(parts) == saved.subtotal
    assert_lines_add_up(demo_db, saved)


def test_consultations_alone_make_a_bill_of_supply_without_tax(demo_db, desk):
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT", "MOLE"), now=NOW)
    text = pdf_text(saved)

    assert saved.document_type == "bill_of_supply"
    assert "BILL OF SUPPLY" in text and "TAX INVOICE" not in text
    assert "CGST" not in text and "SGST" not in text
    assert "notification 12/2017-Central Tax (Rate), entry 74" in text
    assert "Exempt supplies ₹3,000.00" in text
    assert "SAC 999312" in text and "Authorised signatory" in text
    assert_lines_add_up(demo_db, saved)


def test_taxable_and_exempt_together_make_an_invoice_cum_bill_of_supply(demo_db, desk):
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT", "HYDRAFACIAL"), now=NOW)
    a4, receipt = pdf_text(saved), pdf_text(saved, "receipt")

    assert saved.document_type == "invoice_cum_bill_of_supply"
    for text in (a4, receipt):
        assert "INVOICE-CUM-BILL OF SUPPLY" in text
        assert "Exempt" in text and "29 - Karnataka" in text
    assert "Exempt supplies ₹500.00" in a4
    assert "HSN/SAC Taxable value CGST rate CGST SGST rate SGST" in a4
    assert_lines_add_up(demo_db, saved)


def test_a_registered_patient_in_another_state_gets_a_tax_invoice_with_igst(demo_db, desk):
    patient = a_patient(demo_db, 3)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(Patient).where(Patient.id == patient).values(gstin="27AAPFU0939F1ZV")
        )
    saved = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "CONSULT", "HYDRAFACIAL", patient=patient), now=NOW
    )
    text = pdf_text(saved)

    assert (saved.document_type, saved.place_of_supply) == ("tax_invoice", "27")
    assert "GSTIN: 27AAPFU0939F1ZV" in text
    assert "Place of supply: 27 - Maharashtra" in text
    assert "IGST 18%" in text and "CGST" not in text
    assert_lines_add_up(demo_db, saved)
