"""The credit note's PDF (services.credit_note_pdf): rule 53's particulars, read back."""

import re
from datetime import timedelta

from pypdf import PdfReader

from domain.payments import Method, TenderLine
from services import auth, credit_notes, invoicing
from services.credit_note_pdf import render_credit_note_pdf
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart


def test_the_pdf_carries_the_particulars_of_rule_53(demo_db, tmp_path):
    manager = auth.sign_in(demo_db, "meera", "2222")
    invoice = invoicing.save_invoice(
        demo_db,
        manager,
        cart(demo_db, "BOTOX50", "CONSULT", "SPF50"),
        now=NOW,
        payments=[TenderLine(Method.UPI, 535_000, "UTR1")],
    )
    botox = next(line.line_no for line in invoice.lines if line.item_code == "BOTOX50")
    note = credit_notes.issue_credit_note(
        demo_db,
        manager,
        invoice.invoice_number,
        [(botox, 1)],
        reason="Treatment postponed by the doctor",
        refund_method=None,
        now=NOW + timedelta(days=1),
    )
    path = tmp_path / "credit-note.pdf"
    render_credit_note_pdf(note, path)

    reader = PdfReader(path)
    text = " ".join(reader.pages[0].extract_text().split())
    assert "CREDIT NOTE" in text
    assert f"No. {note.number}" in text and "Date: 25 Nov 2026" in text
    assert f"Against invoice {invoice.invoice_number}" in text and "of 24 Nov 2026" in text
    assert note.branch.gstin and f"GSTIN: {note.branch.gstin}" in text
    assert note.patient_name in text
    assert "Treatment postponed by the doctor" in text
    assert "PREMIUM_CONSULT" in text
    assert "Credit note value ₹4,000.00" in text
    assert "Kept as an advance on the account ₹4,000.00" in text
    taxable = re.search(r"Taxable value ₹([\d,]+\.\d\d)", text)
    assert (
        taxable
        and taxable.group(1) == f"{note.taxable_value // 100:,}.{note.taxable_value % 100:02d}"
    )
    assert f"Page 1 of {len(reader.pages)}" in text
    assert reader.metadata.title == f"Credit note {note.number}"
