"""The counter session (issue #11): open with a float, cash in and out, the X report, the
close by id with a count by denomination, against a real SQLite file."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import (
    AuditLog,
    CounterSession,
    InvoiceHeader,
    Patient,
    Payment,
    PaymentAllocation,
    SyncOutbox,
)
from domain.cash_count import CashCountError
from domain.errors import BadInput, Refused
from domain.payments import Method, TenderLine
from services import auth, counter_sessions, invoicing
from services.counter_sessions import SessionRefused
from services.errors import NotFound
from tests.services.conftest import NOW
from tests.services.invoice_helpers import cart

NOTHING = {"2000": 0}


@pytest.fixture
def priya(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def rahul(demo_db):
    return auth.sign_in(demo_db, "rahul", "3333")


def a_patient(db):
    with db.session(write=False) as session:
        return session.scalars(select(Patient.id).order_by(Patient.name)).first()


def an_invoice(db, actor, *, session_id, total, at):
    """An issued invoice saved in the session at `at` (written directly, as the payments
    service's tests cannot be leaned on here)."""
    with db.session(write=True) as session, session.begin():
        number = f"T/{uuid.uuid4().hex[:8]}"
        row = InvoiceHeader(
            id=uuid.uuid4(),
            branch_id=actor.branch_id,
            invoice_number=number,
            fiscal_year="2026-2027",
            invoice_date=at.date(),
            patient_id=a_patient(db),
            created_by=actor.id,
            created_at=at,
            status="issued",
            gross_amount=total,
            total_amount=total,
            session_id=session_id,
        )
        session.add(row)
        return row.id


def a_payment(
    db, actor, *, session_id=None, method, amount, at, invoice_id=None, kind="sale", allocate=None
):
    """A payment row in the session (and, with `allocate=(invoice_id, amount)`, the money
    applied to that invoice), written directly."""
    with db.session(write=True) as session, session.begin():
        payment = Payment(
            id=uuid.uuid4(),
            branch_id=actor.branch_id,
            patient_id=a_patient(db),
            invoice_id=invoice_id,
            session_id=session_id,
            kind=kind,
            method=method,
            amount=amount,
            created_at=at,
            created_by=actor.id,
        )
        session.add(payment)
        session.flush()
        if allocate is not None:
            target, applied = allocate
            session.add(
                PaymentAllocation(
                    branch_id=actor.branch_id,
                    patient_id=payment.patient_id,
                    invoice_id=target,
                    kind="payment",
                    amount=applied,
                    payment_id=payment.id,
                    created_at=at,
                    created_by=actor.id,
                )
            )


def test_expected_cash_is_float_plus_in_less_out_plus_takings_less_refunds(demo_db, priya):
    opened = counter_sessions.open_session(demo_db, priya, opening_float=200_000, now=NOW)
    assert opened.desk == "Front desk" and opened.opened_by == "Priya Sharma"
    at = NOW + timedelta(hours=1)
    counter_sessions.cash_movement(
        demo_db, priya, kind="in", amount=50_050, reason="change from the bank", now=at
    )
    counter_sessions.cash_movement(
        demo_db, priya, kind="out", amount=12_025, reason="courier", now=at + timedelta(minutes=5)
    )
    a_payment(demo_db, priya, session_id=opened.id, method="cash", amount=450_000, at=at)
    a_payment(demo_db, priya, session_id=opened.id, method="cash", amount=99_99, at=at)
    a_payment(
        demo_db, priya, session_id=opened.id, method="cash", amount=-30_001, at=at, kind="refund"
    )
    a_payment(demo_db, priya, session_id=opened.id, method="upi", amount=225_000, at=at)
    a_payment(
        demo_db, priya, session_id=opened.id, method="card", amount=-1_000, at=at, kind="refund"
    )
    # Another desk's session, or none at all, is not this drawer's cash.
    a_payment(demo_db, priya, session_id=None, method="upi", amount=7_000, at=at)

    report = counter_sessions.x_report(demo_db)
    assert report.kind == "X"
    expected_cash = 200_000 + 50_050 - 12_025 + (450_000 + 9_999) - 30_001
    assert report.expected == {"cash": expected_cash, "upi": 225_000, "card": -1_000}
    assert (report.cash_in, report.cash_out) == (50_050, 12_025)
    assert (report.cash_takings, report.cash_refunds) == (459_999, 30_001)
    assert [m.reason for m in report.movements] == ["change from the bank", "courier"]

    # Rs.6,680.23 in the drawer: 3 x 2000 + 1 x 500 + 1 x 100 + 8 x 10 + Rs.0.23 in coins.
    assert expected_cash == 668_023
    closed = counter_sessions.close_session(
        demo_db,
        priya,
        opened.id,
        denominations={"2000": 3, "500": 1, "100": 1, "10": 8, "coins": 23},
        reason="",
        now=at + timedelta(hours=8),
    )
    assert closed.kind == "Z"
    assert (closed.counted_cash, closed.difference) == (668_023, 0)
    assert closed.session.closed_by == "Priya Sharma"
    with demo_db.session(write=False) as session:
        row = session.get(CounterSession, opened.id)
        assert row.expected == {"cash": 668_023, "upi": 225_000, "card": -1_000}
        assert row.denominations["coins"] == 23 and row.denominations["200"] == 0
        docs = session.scalars(
            select(SyncOutbox.doc_type).where(SyncOutbox.doc_id == opened.id)
        ).all()
        assert docs == ["counter_session", "counter_session"]
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.at)).all()
    assert {"session.open", "session.cash_in", "session.cash_out", "session.close"} <= set(actions)


def test_an_invoice_saved_in_the_closing_minute_belongs_to_the_session_that_saved_it(
    demo_db, priya, rahul
):
    first = counter_sessions.open_session(demo_db, priya, opening_float=100_000, now=NOW)
    closing = NOW + timedelta(hours=9)
    invoice = an_invoice(demo_db, priya, session_id=first.id, total=150_000, at=closing)
    a_payment(
        demo_db,
        priya,
        session_id=first.id,
        method="cash",
        amount=150_000,
        at=closing,
        invoice_id=invoice,
    )
    closed = counter_sessions.close_session(
        demo_db, priya, first.id, denominations={"500": 5}, reason="", now=closing
    )
    assert closed.expected["cash"] == 250_000 and closed.difference == 0
    assert (closed.invoices, closed.invoice_total) == (1, 150_000)

    # The next session opens in that same minute; the invoice does not move to it.
    second = counter_sessions.open_session(demo_db, rahul, opening_float=0, now=closing)
    a_payment(demo_db, rahul, session_id=second.id, method="cash", amount=40_000, at=closing)
    report = counter_sessions.x_report(demo_db)
    assert report.session.id == second.id
    assert (report.invoices, report.expected["cash"]) == (0, 40_000)
    assert counter_sessions.x_report(demo_db, first.id).expected["cash"] == 250_000


def test_dues_raised_are_what_the_sale_left_owing(demo_db, priya):
    opened = counter_sessions.open_session(demo_db, priya, opening_float=0, now=NOW)
    an_invoice(demo_db, priya, session_id=opened.id, total=80_000, at=NOW)
    report = counter_sessions.x_report(demo_db)
    assert (report.invoices, report.dues_raised) == (1, 80_000)


def test_a_second_open_is_refused_while_one_is_open(demo_db, priya, rahul):
    counter_sessions.open_session(demo_db, priya, opening_float=100_000, now=NOW)
    with pytest.raises(SessionRefused, match="already has a session open"):
        counter_sessions.open_session(demo_db, rahul, opening_float=0, now=NOW)
    # Another desk is another drawer.
    other = counter_sessions.open_session(demo_db, rahul, opening_float=0, now=NOW, desk="Desk 2")
    assert other.desk == "Desk 2"
    assert counter_sessions.this_desk(demo_db) == "Desk 2"
    assert len(counter_sessions.list_sessions(demo_db)) == 2


def test_closing_twice_is_refused(demo_db, priya, rahul):
    opened = counter_sessions.open_session(demo_db, priya, opening_float=0, now=NOW)
    counter_sessions.close_session(
        demo_db, priya, opened.id, denominations=NOTHING, reason="", now=NOW
    )
    with pytest.raises(SessionRefused, match="already closed by Priya Sharma"):
        counter_sessions.close_session(
            demo_db, rahul, opened.id, denominations=NOTHING, reason="", now=NOW
        )
    with pytest.raises(NotFound):
        counter_sessions.close_session(
            demo_db, rahul, uuid.uuid4(), denominations=NOTHING, reason="", now=NOW
        )


def test_a_difference_needs_a_reason(demo_db, priya):
    opened = counter_sessions.open_session(demo_db, priya, opening_float=50_000, now=NOW)
    with pytest.raises(CashCountError, match="give a reason"):
        counter_sessions.close_session(
            demo_db, priya, opened.id, denominations={"200": 2}, reason=" ", now=NOW
        )
    closed = counter_sessions.close_session(
        demo_db, priya, opened.id, denominations={"200": 2}, reason="paid the courier", now=NOW
    )
    assert (closed.difference, closed.difference_reason) == (-10_000, "paid the courier")


def test_cash_moves_need_an_open_session_a_reason_and_cash_in_the_drawer(demo_db, priya):
    with pytest.raises(SessionRefused, match="No counter session is open"):
        counter_sessions.cash_movement(demo_db, priya, kind="in", amount=100, reason="x", now=NOW)
    counter_sessions.open_session(demo_db, priya, opening_float=10_000, now=NOW)
    with pytest.raises(SessionRefused, match="should hold Rs.100.00"):
        counter_sessions.cash_movement(
            demo_db, priya, kind="out", amount=10_001, reason="x", now=NOW
        )
    with pytest.raises(BadInput, match="reason"):
        counter_sessions.cash_movement(demo_db, priya, kind="in", amount=100, reason=" ", now=NOW)


def test_front_desk_opens_and_closes_its_desk(demo_db, priya):
    opened = counter_sessions.open_session(demo_db, priya, opening_float=0, now=NOW)
    counter_sessions.close_session(demo_db, priya, opened.id, denominations={}, reason="", now=NOW)
    assert counter_sessions.current_session(demo_db) is None
    listed = counter_sessions.list_sessions(demo_db)
    assert [(s.status, s.closed_by) for s in listed] == [("closed", "Priya Sharma")]


def test_the_close_counts_what_the_payments_service_took_in_the_closing_minute(demo_db, priya):
    """Through the real invoicing and payments services: an invoice paid half in cash (with
    change) and half by UPI, saved in the very minute of the close, is counted by the
    session that saved it; after the close, cash is refused until a session opens."""
    opened = counter_sessions.open_session(demo_db, priya, opening_float=100_000, now=NOW)
    closing = NOW + timedelta(hours=9)
    request = cart(demo_db, "BOTOX50", "CONSULT")
    payable = invoicing.quote(demo_db, priya, request, now=closing).priced.totals.payable
    half = payable // 2
    document = invoicing.save_invoice(
        demo_db,
        priya,
        request,
        now=closing,
        payments=[
            TenderLine(Method.UPI, payable - half, "UTR1"),
            TenderLine(Method.CASH, half + 5_000),
        ],
    )
    a_payment(  # an earlier desk's leftover: not this session's cash
        demo_db, priya, session_id=None, method="cash", amount=70_000, at=closing
    )
    report = counter_sessions.close_session(
        demo_db, priya, opened.id, denominations={}, reason="counted later", now=closing
    )
    assert report.expected == {"cash": 100_000 + half, "upi": payable - half}
    assert report.cash_takings == half  # net of the Rs.50 change
    assert (report.invoices, report.invoice_total, report.dues_raised) == (1, payable, 0)
    with demo_db.session(write=False) as session:
        saved = session.get(InvoiceHeader, document.id)
        assert saved.session_id == opened.id
    with pytest.raises(Refused, match="Open the counter session first"):
        invoicing.save_invoice(
            demo_db, priya, request, now=closing, payments=[TenderLine(Method.CASH, payable)]
        )
