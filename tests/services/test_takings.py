"""Today's takings (issue #11): sales, refunds, money by method, dues and advances, for a
day or a range, manager only."""

import uuid
from datetime import UTC, date, datetime

import pytest

from db.models import CreditNote, InvoiceHeader
from domain.errors import BadInput
from domain.roles import PermissionDenied
from services import auth, takings
from tests.services.test_counter_sessions import a_patient, a_payment, an_invoice

DAY = date(2026, 12, 2)
# 10:00 and 23:00 in Bengaluru; 23:00 IST on the 1st is 17:30 UTC, still the 1st there.
MORNING = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
LATE_BEFORE = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 12, 2, 18, 45, tzinfo=UTC)  # 00:15 on the 3rd, IST


@pytest.fixture
def meera(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def priya(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def a_credit_note(db, actor, invoice_id, *, total, on):
    with db.session(write=True) as session, session.begin():
        session.add(
            CreditNote(
                branch_id=actor.branch_id,
                number=f"CN/{uuid.uuid4().hex[:6]}",
                series="CN",
                fiscal_year="2026-2027",
                sequence_no=1,
                note_date=on,
                invoice_id=invoice_id,
                patient_id=a_patient(db),
                reason="returned",
                created_at=MORNING,
                created_by=actor.id,
                gross_amount=total,
                total_amount=total,
                refunded=total,
                refund_method="cash",
            )
        )


def day_baseline(db, meera):
    return takings.takings(db, meera, DAY, DAY)


def test_a_day_s_takings(demo_db, meera, priya):
    before = day_baseline(demo_db, meera)
    paid = an_invoice(demo_db, priya, session_id=None, total=450_000, at=MORNING)
    owing = an_invoice(demo_db, priya, session_id=None, total=120_000, at=MORNING)
    older = an_invoice(demo_db, priya, session_id=None, total=30_000, at=LATE_BEFORE)
    # Paid in full at the sale, half UPI and half cash; the other, 200 of 1,200 now. Then
    # an older invoice's dues settled by card, an advance by UPI, and a cash refund.
    for kind, method, amount, allocate in [
        ("sale", "upi", 225_000, (paid, 225_000)),
        ("sale", "cash", 225_000, (paid, 225_000)),
        ("sale", "cash", 20_000, (owing, 20_000)),
        ("settlement", "card", 30_000, (older, 30_000)),
        ("advance", "upi", 50_000, None),
        ("refund", "cash", -10_000, None),
    ]:
        a_payment(
            demo_db, priya, kind=kind, method=method, amount=amount, at=MORNING, allocate=allocate
        )
    a_credit_note(demo_db, priya, paid, total=10_000, on=DAY)
    # Money that moved after local midnight belongs to the next day.
    a_payment(demo_db, priya, kind="advance", method="cash", amount=99_900, at=AFTER_MIDNIGHT)

    day = takings.takings(demo_db, meera, DAY, DAY)
    assert day.invoices - before.invoices == 2
    assert day.sales - before.sales == 570_000
    assert day.refunds - before.refunds == 10_000
    methods = {m.method: (m.received, m.paid_back) for m in day.by_method}
    assert methods == {
        "cash": (245_000, 10_000),
        "upi": (275_000, 0),
        "card": (30_000, 0),
    }
    assert day.net_money == 245_000 + 275_000 + 30_000 - 10_000
    assert day.dues_raised - before.dues_raised == 100_000
    assert (day.dues_settled, day.advances_taken) == (30_000, 50_000)

    two_days = takings.takings(demo_db, meera, date(2026, 12, 1), date(2026, 12, 3))
    assert two_days.advances_taken == 50_000 + 99_900
    assert two_days.sales >= day.sales + 30_000


def test_takings_are_for_managers_only(demo_db, priya):
    with pytest.raises(PermissionDenied, match="needs a manager"):
        takings.takings(demo_db, priya, DAY, DAY)


def test_a_range_that_ends_before_it_starts_is_refused(demo_db, meera):
    with pytest.raises(BadInput, match="earlier date first"):
        takings.takings(demo_db, meera, DAY, date(2026, 12, 1))


def test_cancelled_invoices_are_not_sales(demo_db, meera, priya):
    before = day_baseline(demo_db, meera)
    invoice = an_invoice(demo_db, priya, session_id=None, total=5_000, at=MORNING)
    with demo_db.session(write=True) as session, session.begin():
        session.get(InvoiceHeader, invoice).status = "cancelled"
    after = day_baseline(demo_db, meera)
    assert (after.sales, after.cancelled) == (before.sales, before.cancelled + 1)
