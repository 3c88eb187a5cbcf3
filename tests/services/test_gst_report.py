"""The month's GST summary adds up to its invoices, section by section (issue #12)."""

import pytest
from sqlalchemy import select, update

from db.models import InvoiceHeader, Patient, SponsorInvoice
from domain.roles import PermissionDenied
from services import auth, gst_report, invoicing
from services.gst_report import GstReportError
from services.sponsor_demo import SPONSOR_GSTIN
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart

MONTH = "2026-11"


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def month_lines(db):
    """(total, taxable, cgst, sgst, igst, exempt) over the month's issued invoices' lines
    and its sponsor invoices (the demo's sponsor has no credit note)."""
    with db.session(write=False) as session:
        invoices = session.scalars(
            select(InvoiceHeader).where(
                InvoiceHeader.invoice_date.between(*gst_report.month_bounds(MONTH)),
                InvoiceHeader.status == "issued",
            )
        ).all()
        lines = [line for invoice in invoices for line in invoice.lines]
        sponsored = session.scalars(
            select(SponsorInvoice).where(
                SponsorInvoice.invoice_date.between(*gst_report.month_bounds(MONTH))
            )
        ).all()
        assert sponsored and all(s.refund_amount == 0 for s in sponsored)
        return (
            sum(line.line_total for line in lines) + sum(s.total_amount for s in sponsored),
            sum(line.taxable_value for line in lines) + sum(s.taxable_amount for s in sponsored),
            sum(line.cgst_amount for line in lines) + sum(s.cgst_amount for s in sponsored),
            sum(line.sgst_amount for line in lines) + sum(s.sgst_amount for s in sponsored),
            sum(line.igst_amount for line in lines) + sum(s.igst_amount for s in sponsored),
            sum(line.line_total for line in lines if line.taxability == "exempt"),
        )


def test_the_summary_equals_the_sum_of_its_invoices(demo_db, manager):
    desk = auth.sign_in(demo_db, "priya", "1111")
    b2b_patient = a_patient(demo_db, 5)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(Patient).where(Patient.id == b2b_patient).values(gstin="27AAPFU0939F1ZV")
        )
    b2b = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "HYDRAFACIAL", "CONSULT", patient=b2b_patient), now=NOW
    )
    cancelled = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50"), now=NOW)
    invoicing.cancel_invoice(demo_db, manager, cancelled.invoice_number, reason="Twice", now=NOW)

    summary = gst_report.gst_summary(demo_db, manager, MONTH)
    total, taxable, cgst, sgst, igst, exempt = month_lines(demo_db)

    assert (summary.total.taxable_value, summary.total.cgst, summary.total.sgst) == (
        taxable,
        cgst,
        sgst,
    )
    assert summary.total.igst == igst > 0  # the B2B sale and the sponsor, in Maharashtra
    assert taxable + cgst + sgst + igst == total
    assert sum(summary.nil.values()) == exempt
    sections = [*summary.b2cs.values()] + [
        tax for invoice in (*summary.b2b, *summary.b2cl) for tax in invoice.rates.values()
    ]
    assert sum(t.taxable_value for t in sections) + exempt == taxable
    assert sum(t.cgst + t.sgst + t.igst for t in sections) == cgst + sgst + igst
    for row in summary.hsn:
        assert row.value == row.tax.taxable_value + row.tax.cgst + row.tax.sgst + row.tax.igst
    [only] = [invoice for invoice in summary.b2b if invoice.recipient_gstin != SPONSOR_GSTIN]
    assert (only.number, only.recipient_gstin, only.place_of_supply) == (
        b2b.invoice_number,
        "27AAPFU0939F1ZV",
        "27",
    )
    assert summary.documents["cancelled"] == 1
    assert summary.documents["to"] == cancelled.invoice_number
    data = gst_report.summary_json(summary)
    assert data["b2b"][0]["itms"][0]["rt"] == "18" and data["cdnr"] == []


def test_the_csv_sections_are_written(demo_db, manager, tmp_path):
    written = gst_report.write_csv(gst_report.gst_summary(demo_db, manager, MONTH), tmp_path)
    names = sorted(path.name for path in written)
    assert names == [
        f"gst-{MONTH}-{s}.csv"
        for s in sorted(("b2b", "b2cl", "b2cs", "cdnr", "cdnur", "doc_issue", "hsn", "nil"))
    ]
    assert (tmp_path / f"gst-{MONTH}-hsn.csv").read_text().startswith("hsn_sc,desc,uqc,qty,val,rt")


def test_a_month_that_cannot_be_read_is_refused(demo_db, manager):
    with pytest.raises(GstReportError, match="not a month like 2026-11"):
        gst_report.gst_summary(demo_db, manager, "November")


def test_the_front_desk_may_not_see_it(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        gst_report.gst_summary(demo_db, desk, MONTH)
