"""A property over the money on patients' accounts (issue #11): whatever sequence of
invoices, payments, dues settled, advances and credit notes, every patient's balance is
invoices - credit notes - payments and equals what they owe less their advance; every
invoice owes between 0 and its total; no advance goes below 0. Real SQLite, demo clinic."""

import itertools
import shutil
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import CreditNote, InvoiceHeader, Payment
from domain.errors import FrontdeskError
from domain.payments import Method, TenderLine
from services import auth, counter_sessions, credit_notes, invoicing, payments
from services.setup import open_branch_database
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart

CODES = ("BOTOX50", "CONSULT", "SPF50", "CLEANSER")
MONEY = (Method.CASH, Method.UPI)
_runs = itertools.count()

rupees = st.integers(min_value=1, max_value=6_000).map(lambda r: r * 100)
invoice_steps = st.tuples(
    st.just("invoice"),
    st.integers(0, 1),
    st.lists(st.sampled_from(CODES), min_size=1, max_size=3),
    st.sampled_from((0, 50, 100, 120)),  # percent of the payable tendered now
    st.booleans(),  # use the advance first
)
refund_steps = st.tuples(
    st.just("refund"),
    st.integers(0, 9),
    st.integers(1, 3),  # which line still refundable
    st.sampled_from((None, Method.CASH, Method.UPI)),  # None: kept as an advance
)
steps = st.one_of(
    invoice_steps,
    st.tuples(st.just("pay"), st.integers(0, 9), rupees),
    st.tuples(st.just("settle"), st.integers(0, 1), rupees),
    st.tuples(st.just("advance"), st.integers(0, 1), rupees),
    refund_steps,
    refund_steps,
)
# A few invoices first, so that the payments and refunds after them have something to act on.
sequences = st.tuples(
    st.lists(invoice_steps, min_size=1, max_size=3), st.lists(steps, min_size=2, max_size=8)
).map(lambda parts: parts[0] + parts[1])


def tender(payable, percent, method, advance_left, use_advance):
    lines = []
    left = payable
    if use_advance and advance_left > 0:
        used = min(advance_left, left)
        if used:
            lines.append(TenderLine(Method.ADVANCE, used))
            left -= used
    money = left * percent // 100
    if money:
        lines.append(TenderLine(method, money, "UTR1" if method is Method.UPI else ""))
    if payable - sum(line.amount for line in lines) > 0:
        lines.append(TenderLine(Method.ON_ACCOUNT, payable - sum(line.amount for line in lines)))
    return [line for line in lines if line.amount > 0]


def check_accounts(db, patients):
    with db.session(write=False) as session:
        for patient in patients:
            live = (
                (InvoiceHeader.patient_id == patient)
                & (InvoiceHeader.status == "issued")
                & InvoiceHeader.paid_outside.is_(False)
            )
            invoiced = session.scalar(
                select(func.coalesce(func.sum(InvoiceHeader.total_amount), 0)).where(live)
            )
            credited = session.scalar(
                select(func.coalesce(func.sum(CreditNote.total_amount), 0)).where(
                    CreditNote.patient_id == patient
                )
            )
            paid = session.scalar(
                select(func.coalesce(func.sum(Payment.amount), 0)).where(
                    Payment.patient_id == patient
                )
            )
            for invoice in session.scalars(select(InvoiceHeader).where(live)):
                owed = payments.invoice_owed(session, invoice)
                assert 0 <= owed <= invoice.total_amount
            account = payments.read_account(session, patient)
            assert account.balance == invoiced - credited - paid
            assert account.balance == account.owed - account.advance
            assert account.advance >= 0


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequences)
def test_accounts_stay_right_through_refunds(demo_template, tmp_path, sequence):
    path = tmp_path / f"run{next(_runs)}.db"
    shutil.copyfile(demo_template, path)
    db = open_branch_database(path, now=NOW)
    try:
        run(db, sequence)
    finally:
        db.close()


def run(db, sequence):
    manager = auth.sign_in(db, "meera", "2222")
    counter_sessions.open_session(db, manager, opening_float=1_000_000, now=NOW)
    patients = [a_patient(db, 0), a_patient(db, 1)]
    invoices: list[str] = []
    for count, step in enumerate(sequence):
        now = NOW + timedelta(minutes=count)
        kind = step[0]
        try:
            if kind == "invoice":
                _, who, codes, percent, use_advance = step
                request = cart(db, *codes, patient=patients[who])
                payable = invoicing.quote(db, manager, request, now=now).priced.totals.payable
                advance = payments.patient_account(db, patients[who]).advance
                method = Method.CASH if percent > 100 else MONEY[count % 2]
                saved = invoicing.save_invoice(
                    db,
                    manager,
                    request,
                    now=now,
                    payments=tender(payable, percent, method, advance, use_advance),
                )
                invoices.append(saved.invoice_number)
            elif kind == "pay" and invoices:
                number = invoices[step[1] % len(invoices)]
                payments.take_payment(
                    db, manager, number, [TenderLine(Method.CASH, step[2])], now=now
                )
            elif kind == "settle":
                payments.settle_dues(
                    db, manager, patients[step[1]], [TenderLine(Method.CASH, step[2])], now=now
                )
            elif kind == "advance":
                payments.take_advance(
                    db, manager, patients[step[1]], [TenderLine(Method.CASH, step[2])], now=now
                )
            elif kind == "refund" and invoices:
                number = invoices[step[1] % len(invoices)]
                form = credit_notes.refund_form(db, number)
                left = [line for line in form.lines if line.left > 0]
                if left:
                    line = left[(step[2] - 1) % len(left)]
                    credit_notes.issue_credit_note(
                        db,
                        manager,
                        number,
                        [(line.line_no, 1)],
                        reason="Returned",
                        refund_method=step[3],
                        now=now,
                    )
        except FrontdeskError:
            pass  # a refused step (nothing owed, nothing left to refund) changes nothing
        check_accounts(db, patients)
