"""Issue #13 items 1 and 3 in the invoicing service itself (every entrance goes through it):
a backdated invoice (admin only, open fiscal year, not before the series' last invoice,
the audit at the real time) and the 999-unit line."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import AuditLog, InvoiceHeader
from domain.bounds import OutOfBounds
from domain.fiscal import ClosedPeriod
from domain.roles import PermissionDenied
from services import auth, invoicing
from services.invoicing import CartItem, CartRequest, InvoiceError
from tests.cli.test_cli import dump
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart, item_id


@pytest.fixture
def admin(demo_db):
    return auth.sign_in(demo_db, "admin", "9999")


def test_the_front_desk_cannot_backdate(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    before = dump(demo_db.path)
    with pytest.raises(PermissionDenied):
        invoicing.save_invoice(
            demo_db, desk, cart(demo_db, "CONSULT"), now=NOW, at=NOW - timedelta(minutes=5)
        )
    assert dump(demo_db.path) == before


@pytest.mark.parametrize(
    ("back", "error"),
    [
        (timedelta(days=365), ClosedPeriod),  # 2025-11-24: fiscal year 2025-2026, closed
        (timedelta(days=1), ClosedPeriod),  # before the demo's last invoice, dated today
        (-timedelta(minutes=1), ClosedPeriod),  # ahead of now
        (timedelta(days=365 * 40), OutOfBounds),  # 1986
    ],
)
def test_an_admin_backdates_only_within_the_rules(demo_db, admin, back, error):
    before = dump(demo_db.path)
    with pytest.raises(error):
        invoicing.save_invoice(demo_db, admin, cart(demo_db, "CONSULT"), now=NOW, at=NOW - back)
    assert dump(demo_db.path) == before


def test_a_backdated_invoice_is_dated_then_and_audited_now(demo_db, admin):
    at = NOW - timedelta(minutes=30)
    document = invoicing.save_invoice(demo_db, admin, cart(demo_db, "CONSULT"), now=NOW, at=at)
    with demo_db.session(write=False) as session:
        invoice = session.scalars(
            select(InvoiceHeader).where(InvoiceHeader.invoice_number == document.invoice_number)
        ).one()
        audit = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "invoice.save", AuditLog.entity_id == str(invoice.id)
            )
        ).one()
    assert audit.at == NOW and audit.details["dated"] == at.isoformat()
    assert invoice.created_at == NOW


@pytest.mark.parametrize("quantity", [1000, 100_000_000_000])
def test_a_line_holds_at_most_999_units(demo_db, admin, quantity):
    request = CartRequest(
        a_patient(demo_db), (CartItem(item_id(demo_db, "CONSULT"), quantity),), ()
    )
    with pytest.raises(InvoiceError, match="from 1 to 999"):
        invoicing.quote(demo_db, admin, request, now=NOW)
