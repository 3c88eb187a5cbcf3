"""The Z report PDF, read back with pypdf: the figures a manager checks the drawer against."""

import io
import re
from datetime import timedelta

from pypdf import PdfReader

from services import auth, counter_sessions
from services.z_report_pdf import default_pdf_name, render_z_report_pdf
from tests.services.conftest import NOW
from tests.services.test_counter_sessions import a_payment, an_invoice


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_z_report_prints_expected_counted_and_the_difference_with_its_reason(demo_db, tmp_path):
    priya = auth.sign_in(demo_db, "priya", "1111")
    opened = counter_sessions.open_session(demo_db, priya, opening_float=200_000, now=NOW)
    at = NOW + timedelta(hours=2)
    invoice = an_invoice(demo_db, priya, session_id=opened.id, total=450_000, at=at)
    a_payment(
        demo_db,
        priya,
        session_id=opened.id,
        method="cash",
        amount=225_000,
        at=at,
        invoice_id=invoice,
    )
    a_payment(
        demo_db,
        priya,
        session_id=opened.id,
        method="upi",
        amount=225_000,
        at=at,
        invoice_id=invoice,
    )
    counter_sessions.cash_movement(
        demo_db, priya, kind="out", amount=5_050, reason="tea & snacks", now=at
    )
    report = counter_sessions.close_session(
        demo_db,
        priya,
        opened.id,
        denominations={"2000": 2, "100": 1, "10": 1, "coins": 400},
        reason="one 500 note missing",
        now=at + timedelta(hours=6),
    )
    # Expected 2,000 + 2,250 - 50.50 = 4,199.50; counted 4,000 + 100 + 10 + 4 = 4,114.00.
    assert (report.expected_cash, report.counted_cash, report.difference) == (
        419_950,
        411_400,
        -8_550,
    )
    buffer = io.BytesIO()
    render_z_report_pdf(report, buffer)
    text = text_of(buffer.getvalue())
    assert "Z report" in text and "Front desk" in text
    assert re.search(r"Expected cash\s*₹4,199\.50", text)
    assert re.search(r"Counted cash\s*₹4,114\.00", text)
    assert "-₹85.50" in text and "one 500 note missing" in text
    assert re.search(r"UPI\s*₹2,250\.00", text)
    assert re.search(r"Invoices saved\s*1\s*₹4,500\.00", text)
    assert "tea & snacks" in text and "Priya Sharma" in text
    assert re.search(r"₹2,000\s*2\s*₹4,000\.00", text)

    path = tmp_path / "reports" / default_pdf_name(report)
    render_z_report_pdf(report, path)
    assert path.name.startswith("Z-2026-11-24-front-desk-")
    assert len(PdfReader(path).pages) == 1


def test_an_open_session_prints_as_an_x_report(demo_db):
    priya = auth.sign_in(demo_db, "priya", "1111")
    counter_sessions.open_session(demo_db, priya, opening_float=100_000, now=NOW)
    buffer = io.BytesIO()
    render_z_report_pdf(counter_sessions.x_report(demo_db), buffer)
    text = text_of(buffer.getvalue())
    assert "X report" in text and "Not counted yet" in text
    assert re.search(r"Expected cash\s*₹1,000\.00", text)
