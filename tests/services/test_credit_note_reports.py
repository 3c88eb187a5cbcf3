"""Reports net of refunds (issue #11): the takings count a credit note as a refund and its
money as paid back; the GST summary lists credit notes to registered recipients in cdnr
and nets the others from b2cs and the HSN summary."""

from datetime import timedelta

from sqlalchemy import update

from db.models import Patient
from domain.payments import Method, TenderLine
from services import auth, counter_sessions, credit_notes, gst_report, invoicing, takings
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import a_patient, cart

LATER = NOW + timedelta(hours=1)


def test_the_takings_count_the_credit_note_as_a_refund(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    counter_sessions.open_session(demo_db, manager, opening_float=100_000, now=NOW)
    before = takings.takings(demo_db, manager, TODAY, TODAY)
    invoice = invoicing.save_invoice(
        demo_db,
        manager,
        cart(demo_db, "BOTOX50", "CONSULT"),
        now=NOW,
        payments=[TenderLine(Method.CASH, 450_000)],
    )
    botox = next(line.line_no for line in invoice.lines if line.item_code == "BOTOX50")
    credit_notes.issue_credit_note(
        demo_db,
        manager,
        invoice.invoice_number,
        [(botox, 1)],
        reason="Not given",
        refund_method=Method.CASH,
        now=LATER,
    )
    after = takings.takings(demo_db, manager, TODAY, TODAY)
    assert after.credit_notes - before.credit_notes == 1
    assert after.refunds - before.refunds == 400_000
    assert after.net_sales - before.net_sales == 450_000 - 400_000
    cash_before = next((m for m in before.by_method if m.method == "cash"), None)
    cash = next(m for m in after.by_method if m.method == "cash")
    assert cash.paid_back - (cash_before.paid_back if cash_before else 0) == 400_000
    assert after.advances_taken == before.advances_taken


def test_the_gst_summary_lists_and_nets_credit_notes(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    month = f"{TODAY.year}-{TODAY.month:02d}"
    before = gst_report.gst_summary(demo_db, manager, month)
    registered = a_patient(demo_db, 5)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(Patient).where(Patient.id == registered).values(gstin="27AAPFU0939F1ZV")
        )
    b2b = invoicing.save_invoice(
        demo_db, manager, cart(demo_db, "SPF50", "CLEANSER", patient=registered), now=NOW
    )
    b2c = invoicing.save_invoice(
        demo_db,
        manager,
        cart(demo_db, "SPF50", "CLEANSER"),
        now=NOW,
        payments=[TenderLine(Method.UPI, 150_000, "UTR9")],
    )
    b2b_note = credit_notes.issue_credit_note(
        demo_db,
        manager,
        b2b.invoice_number,
        [(1, 1)],
        reason="Returned",
        refund_method=None,
        now=LATER,
    )
    b2c_note = credit_notes.issue_credit_note(
        demo_db,
        manager,
        b2c.invoice_number,
        [(2, 1)],
        reason="Returned",
        refund_method=Method.UPI,
        now=LATER,
    )

    summary = gst_report.gst_summary(demo_db, manager, month)
    (entry,) = summary.cdnr
    assert (entry.number, entry.invoice_number, entry.recipient_gstin) == (
        b2b_note.number,
        b2b.invoice_number,
        "27AAPFU0939F1ZV",
    )
    assert entry.place_of_supply == "27"
    assert sum(t.igst for t in entry.rates.values()) == b2b_note.igst_amount > 0
    assert summary.cdnur == []
    # The B2C refund comes off b2cs; every refund comes off the HSN summary's total.
    b2c_line = b2c_note.lines[0]
    b2c_tax = sum(t.cgst + t.sgst for t in summary.b2cs.values())
    b2c_tax_before = sum(t.cgst + t.sgst for t in before.b2cs.values())
    invoice_tax = sum(line.cgst_amount + line.sgst_amount for line in b2c.lines)
    assert b2c_tax - b2c_tax_before == invoice_tax - b2c_line.cgst_amount - b2c_line.sgst_amount
    taxable_added = sum(line.taxable_value for line in (*b2b.lines, *b2c.lines))
    taxable_refunded = b2b_note.taxable_value + b2c_note.taxable_value
    assert (
        summary.total.taxable_value - before.total.taxable_value == taxable_added - taxable_refunded
    )
    data = gst_report.summary_json(summary)
    assert data["cdnr"][0]["nt_num"] == b2b_note.number and data["cdnr"][0]["ntty"] == "C"
    assert data["cdnr"][0]["inum"] == b2b.invoice_number
    assert data["doc_issue"]["credit_notes"]["total"] == 2
