"""Invoices found again (issue #11): by number, patient name or mobile, date and status."""

from datetime import timedelta

import pytest

from domain.errors import BadInput
from domain.payments import Method, TenderLine
from services import auth, invoicing, payments
from services.invoice_search import find_invoices
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart


@pytest.fixture
def saved(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    return invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)


def test_yesterdays_invoice_is_found_by_the_patients_mobile_however_typed(demo_db, saved):
    mobile = saved.patient_mobile
    typed = f"+91 {mobile[:5]} {mobile[5:]}"
    for text in (typed, mobile[-5:], saved.invoice_number, saved.patient_name.split()[0].lower()):
        found = find_invoices(demo_db, text, start=TODAY - timedelta(days=1), end=TODAY)
        assert saved.invoice_number in [row.number for row in found], text


def test_dates_and_status_narrow_the_list_newest_first(demo_db, saved):
    manager = auth.sign_in(demo_db, "meera", "2222")
    invoicing.cancel_invoice(demo_db, manager, saved.invoice_number, reason="Twice", now=NOW)
    cancelled = find_invoices(demo_db, status="cancelled")
    assert [row.number for row in cancelled] == [saved.invoice_number]
    recent = find_invoices(demo_db, start=TODAY - timedelta(days=30), end=TODAY, limit=1000)
    assert recent and all(TODAY - timedelta(days=30) <= r.invoice_date <= TODAY for r in recent)
    assert [r.invoice_date for r in recent] == sorted(
        (r.invoice_date for r in recent), reverse=True
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status": "open"}, "A status is issued or paid or due or cancelled or refunded"),
        ({"start": TODAY, "end": TODAY - timedelta(days=1)}, "before the first"),
        ({"limit": 0}, "1 to 1,000"),
    ],
)
def test_a_search_that_cannot_be_run_says_why(demo_db, options, message):
    with pytest.raises(BadInput, match=message):
        find_invoices(demo_db, **options)


def test_each_invoice_says_what_was_paid_and_where_it_stands(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    half = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)
    payable = half.total_amount
    payments.take_payment(
        demo_db, desk, half.invoice_number, [TenderLine(Method.UPI, payable // 2)], now=NOW
    )
    whole = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "CONSULT"),
        now=NOW,
        payments=[TenderLine(Method.UPI, payable)],
    )

    rows = {r.number: r for r in find_invoices(demo_db, start=TODAY, end=TODAY)}
    assert (rows[half.invoice_number].paid, rows[half.invoice_number].owed) == (
        payable // 2,
        payable - payable // 2,
    )
    assert rows[half.invoice_number].paid_state == "partly_paid"
    assert (rows[whole.invoice_number].paid, rows[whole.invoice_number].paid_state) == (
        payable,
        "paid",
    )

    due = [r.number for r in find_invoices(demo_db, status="due", start=TODAY, end=TODAY)]
    paid = [r.number for r in find_invoices(demo_db, status="paid", start=TODAY, end=TODAY)]
    assert half.invoice_number in due and half.invoice_number not in paid
    assert whole.invoice_number in paid and whole.invoice_number not in due
    assert not find_invoices(demo_db, status="refunded", start=TODAY, end=TODAY)


def test_an_invoice_paid_before_payments_were_recorded_reads_as_paid(demo_db):
    history = [r for r in find_invoices(demo_db, limit=1000) if r.is_history]
    old = [r for r in find_invoices(demo_db, start=TODAY - timedelta(days=400), limit=1000)]
    outside = [r for r in history + old if r.status == "issued" and r.paid == r.payable]
    assert outside, "the demo's older invoices were paid outside Frontdesk"
    assert all(r.owed == 0 and r.paid_state == "paid" for r in outside)
