"""Invoices found again (issue #11): by number, patient name or mobile, date and status."""

from datetime import timedelta

import pytest

from domain.errors import BadInput
from services import auth, invoicing
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
        ({"status": "paid"}, "A status is issued or cancelled"),
        ({"start": TODAY, "end": TODAY - timedelta(days=1)}, "before the first"),
        ({"limit": 0}, "1 to 1,000"),
    ],
)
def test_a_search_that_cannot_be_run_says_why(demo_db, options, message):
    with pytest.raises(BadInput, match=message):
        find_invoices(demo_db, **options)
