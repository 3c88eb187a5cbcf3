"""A sponsor tax invoice keeps its recipient as it was when issued (issue #17, rule 46):
the sponsor's legal name, GSTIN, address and state changed afterwards change neither its
PDF nor the month's GSTR-1."""

from __future__ import annotations

from pypdf import PdfReader
from sqlalchemy import select

from db.models import Sponsor
from services import auth, gst_report, sponsors
from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf
from tests.services.conftest import NOW
from tests.services.sponsor_helpers import LOCAL_GSTIN, a_sponsor, campaign_spec

MOVED_GSTIN = "27AAGCS1234K1Z1"


def test_an_issued_sponsor_invoice_keeps_the_sponsor_as_it_was(demo_db, tmp_path):
    manager = auth.sign_in(demo_db, "meera", "2222")
    a_sponsor(demo_db, manager, NOW)
    sponsors.add_sponsored_campaign(demo_db, manager, campaign_spec(), now=NOW)
    [deposit] = sponsors.campaign_status(demo_db, manager, "GLOWCO-NOV", now=NOW).invoices
    # The sponsor is renamed and moves to Maharashtra after the deposit invoice was issued.
    with demo_db.session(write=True) as session, session.begin():
        sponsor = session.scalar(select(Sponsor).where(Sponsor.gstin == LOCAL_GSTIN))
        sponsor.legal_name = "Glowco Beauty Ltd"
        sponsor.gstin = MOVED_GSTIN
        sponsor.state_code = "27"
        sponsor.billing_address = "5 Linking Road, Mumbai"

    document = sponsors.sponsor_invoice_document(demo_db, manager, deposit.invoice_number)
    assert (
        document.sponsor_name,
        document.sponsor_gstin,
        document.sponsor_state,
        document.sponsor_address,
    ) == ("Glowco Skincare Pvt Ltd", LOCAL_GSTIN, "29", "12 MG Road, Bengaluru 560001")
    path = tmp_path / "deposit.pdf"
    render_sponsor_invoice_pdf(document, path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    assert "Glowco Skincare Pvt Ltd" in text and LOCAL_GSTIN in text and "MG Road" in text
    assert "Glowco Beauty" not in text and MOVED_GSTIN not in text and "Mumbai" not in text

    summary = gst_report.gst_summary(demo_db, manager, "2026-11")
    [entry] = [e for e in summary.b2b if e.number == deposit.invoice_number]
    assert (entry.recipient_gstin, entry.place_of_supply) == (LOCAL_GSTIN, "29")
    [(_rate, tax)] = entry.rates.items()
    # Still intra-state: CGST and SGST, as issued.
    assert tax.cgst > 0 and tax.igst == 0
