"""Payments at the counter, dues, advances and the account (services.payments), on a real
SQLite file with the demo clinic."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import AuditLog, InvoiceHeader, Payment, PaymentAllocation, SyncOutbox
from domain.payments import Method, PaymentError, TenderLine
from domain.roles import PermissionDenied
from services import auth, counter_sessions, invoicing, payments, takings
from services.invoicing import CartItem, CartRequest, InvoiceError
from services.patients import walk_in_patient
from services.payment_settings import PaymentSettings, payment_settings, save_payment_settings
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart, item_id


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def drawer(demo_db, desk):
    """This desk's counter session, open with a Rs.2,000 float."""
    return counter_sessions.open_session(demo_db, desk, opening_float=200_000, now=NOW)


def cash(amount):
    return TenderLine(Method.CASH, amount)


def upi(amount, ref="UTR4321"):
    return TenderLine(Method.UPI, amount, ref)


def on_account(amount):
    return TenderLine(Method.ON_ACCOUNT, amount)


def rows(db, model, **where):
    with db.session(write=False) as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalars(query).all()


def test_seed_000_paid_half_by_upi_and_half_in_cash(demo_db, desk, drawer):
    saved = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "BOTOX50", "CONSULT"),
        now=NOW,
        payments=[upi(225_000), TenderLine(Method.CASH, 250_000)],
    )

    assert saved.total_amount == 450_000
    assert (saved.amount_paid, saved.amount_due, saved.paid_status) == (450_000, 0, "paid")
    assert saved.change_given == 25_000
    assert [(p.method, p.amount, p.reference) for p in saved.payments] == [
        ("upi", 225_000, "UTR4321"),
        ("cash", 225_000, ""),
    ]
    stored = rows(demo_db, Payment, invoice_id=saved.id)
    assert sorted((p.method, p.amount, p.tendered, p.change_given) for p in stored) == [
        ("cash", 225_000, 250_000, 25_000),
        ("upi", 225_000, None, 0),
    ]
    assert {p.session_id for p in stored} == {drawer.id}
    # The document read back says the same as the one returned at the save.
    again = invoicing.invoice_by_number(demo_db, saved.invoice_number)
    assert (again.amount_paid, again.amount_due, again.change_given) == (450_000, 0, 25_000)
    # Each payment and allocation is a document for the centre, in the save's transaction.
    with demo_db.session(write=False) as session:
        queued = session.scalars(select(SyncOutbox.doc_type)).all()
    assert queued.count("payment") == 2 and queued.count("payment_allocation") == 2


def test_an_invoice_left_on_account_is_settled_two_days_later(demo_db, desk, drawer):
    patient = a_patient(demo_db)
    saved = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "MEDIFACIAL", patient=patient),
        now=NOW,
    )
    assert saved.paid_status == "unpaid" and saved.amount_due == saved.total_amount
    account = payments.patient_account(demo_db, patient)
    assert [d.invoice_number for d in account.dues] == [saved.invoice_number]
    assert account.balance == saved.total_amount

    receipt = payments.settle_dues(
        demo_db, desk, patient, [cash(saved.total_amount)], now=NOW + timedelta(days=2)
    )

    assert receipt.to_invoices == ((saved.invoice_number, saved.total_amount),)
    assert receipt.to_advance == 0
    assert receipt.account.balance == 0 and receipt.account.dues == ()
    assert invoicing.invoice_by_number(demo_db, saved.invoice_number).paid_status == "paid"


def test_settling_more_than_is_due_leaves_an_advance_used_on_a_later_invoice(demo_db, desk, drawer):
    patient = a_patient(demo_db, 1)
    first = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "CONSULT", patient=patient), now=NOW
    )
    receipt = payments.settle_dues(
        demo_db, desk, patient, [upi(first.total_amount + 100_000)], now=NOW
    )
    assert receipt.to_advance == 100_000
    assert receipt.account.advance == 100_000 and receipt.account.balance == -100_000

    medifacial = invoicing.quote(
        demo_db, desk, cart(demo_db, "MEDIFACIAL", patient=patient), now=NOW
    ).priced.totals.payable
    later = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "MEDIFACIAL", patient=patient),
        now=NOW + timedelta(days=3),
        payments=[TenderLine(Method.ADVANCE, 100_000), upi(medifacial - 100_000)],
    )
    assert later.paid_status == "paid"
    assert [(p.method, p.amount) for p in later.payments] == [
        ("advance", 100_000),
        ("upi", medifacial - 100_000),
    ]
    account = payments.patient_account(demo_db, patient)
    assert account.advance == 0 and account.balance == 0


def test_an_advance_cannot_be_spent_twice(demo_db, desk):
    patient = a_patient(demo_db, 2)
    payments.take_advance(demo_db, desk, patient, [upi(100_000)], now=NOW)
    with pytest.raises(PaymentError, match="more than the patient has"):
        invoicing.save_invoice(
            demo_db,
            desk,
            cart(demo_db, "MEDIFACIAL", patient=patient),
            now=NOW,
            payments=[TenderLine(Method.ADVANCE, 100_001), on_account(10**9)],
        )
    assert payments.patient_account(demo_db, patient).advance == 100_000


def test_a_payment_on_one_invoice_over_what_it_owes_becomes_an_advance(demo_db, desk):
    patient = a_patient(demo_db, 3)
    saved = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "CONSULT", patient=patient), now=NOW
    )
    receipt = payments.take_payment(
        demo_db, desk, saved.invoice_number, [upi(saved.total_amount + 5_000)], now=NOW
    )
    assert receipt.to_invoices == ((saved.invoice_number, saved.total_amount),)
    assert receipt.to_advance == 5_000
    with pytest.raises(PaymentError, match="is paid"):
        payments.take_payment(demo_db, desk, saved.invoice_number, [upi(100)], now=NOW)


def test_partly_paid_invoice_shows_what_is_due(demo_db, desk):
    patient = a_patient(demo_db, 4)
    saved = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "BOTOX50", "CONSULT", patient=patient),
        now=NOW,
        payments=[upi(100_000), on_account(350_000)],
    )
    assert (saved.paid_status, saved.amount_paid, saved.amount_due) == (
        "partly_paid",
        100_000,
        350_000,
    )


def test_cash_needs_an_open_counter_session_and_nothing_is_half_saved(demo_db, desk):
    with demo_db.session(write=False) as session:
        before = session.scalar(select(func.count()).select_from(InvoiceHeader))
    with pytest.raises(Exception, match="counter session"):
        invoicing.save_invoice(
            demo_db, desk, cart(demo_db, "MEDIFACIAL"), now=NOW, payments=[cash(10**8)]
        )
    with demo_db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(InvoiceHeader)) == before
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_tender_rules_are_refused_with_a_sentence(demo_db, desk, drawer):
    request = cart(demo_db, "MEDIFACIAL")
    with pytest.raises(PaymentError, match="cover"):
        invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=[upi(100)])
    with pytest.raises(PaymentError, match="Only cash gives change"):
        invoicing.save_invoice(demo_db, desk, request, now=NOW, payments=[upi(10**9)])
    with pytest.raises(PaymentError, match="reference"):
        invoicing.save_invoice(
            demo_db, desk, request, now=NOW, payments=[TenderLine(Method.CARD, 10**9)]
        )


def test_walk_in_buys_products_only_and_never_on_account(demo_db, desk, drawer):
    walk_in = walk_in_patient(demo_db, desk, now=NOW)
    assert walk_in_patient(demo_db, desk, now=NOW).id == walk_in.id  # one per branch
    product = CartRequest(walk_in.id, (CartItem(item_id(demo_db, "SPF50")),))
    service = CartRequest(walk_in.id, (CartItem(item_id(demo_db, "CONSULT")),))

    sold = invoicing.save_invoice(demo_db, desk, product, now=NOW, payments=[cash(100_000)])
    assert sold.paid_status == "paid" and sold.change_given == 100_000 - sold.total_amount

    with pytest.raises(InvoiceError, match="products only"):
        invoicing.save_invoice(demo_db, desk, service, now=NOW, payments=[cash(10**8)])
    with pytest.raises(PaymentError, match="registered patient"):
        invoicing.save_invoice(demo_db, desk, product, now=NOW)
    with pytest.raises(PaymentError, match="no account"):
        payments.take_advance(demo_db, desk, walk_in.id, [upi(100)], now=NOW)


def test_credit_limit_warns_and_a_manager_can_allow_more(demo_db, desk, manager):
    save_payment_settings(demo_db, manager, PaymentSettings(default_credit_limit=100_000), now=NOW)
    patient = a_patient(demo_db, 5)
    request = cart(demo_db, "BOTOX50", patient=patient)
    with pytest.raises(payments.CreditLimitExceeded, match="credit limit of Rs.1,000.00"):
        invoicing.save_invoice(demo_db, desk, request, now=NOW)

    approver = auth.manager_approval(demo_db, "meera", "2222", "Allowing credit")
    saved = invoicing.save_invoice(demo_db, desk, request, now=NOW, approver=approver)

    with demo_db.session(write=False) as session:
        invoice = session.get_one(InvoiceHeader, saved.id)
        assert invoice.approved_by == manager.id
        allowed = session.scalars(
            select(AuditLog).where(AuditLog.action == "invoice.credit_allowed")
        ).one()
    assert allowed.user_id == desk.id
    assert allowed.details["by"] == desk.full_name
    assert allowed.details["allowed_by"] == manager.full_name


def test_a_manager_pin_allows_a_discount_beyond_the_receptionists_limit(demo_db, desk):
    request = CartRequest(
        a_patient(demo_db),
        (CartItem(item_id(demo_db, "MEDIFACIAL"), 1, desk.max_manual_discount_percent + 5),),
    )
    with pytest.raises(InvoiceError, match="ask a manager"):
        invoicing.save_invoice(demo_db, desk, request, now=NOW)
    with pytest.raises(PermissionDenied):
        auth.manager_approval(demo_db, "rahul", "3333", "Approving a discount")

    approver = auth.manager_approval(demo_db, "meera", "2222", "Approving a discount")
    saved = invoicing.save_invoice(demo_db, desk, request, now=NOW, approver=approver)

    with demo_db.session(write=False) as session:
        entry = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "invoice.save", AuditLog.entity_id == str(saved.id)
            )
        ).one()
    assert entry.user_id == desk.id
    assert entry.details["discount_approved_by"] == approver.full_name
    assert entry.details["saved_by"] == desk.full_name


def test_payment_methods_are_a_branch_setting(demo_db, desk, manager):
    with pytest.raises(PermissionDenied):
        save_payment_settings(demo_db, desk, PaymentSettings(), now=NOW)
    settings = payment_settings(demo_db)
    renamed = PaymentSettings(
        tuple(
            s if s.method is not Method.WALLET else type(s)(s.method, "Paytm", True, True)
            for s in settings.methods
        )
    )
    save_payment_settings(demo_db, manager, renamed, now=NOW)
    assert payment_settings(demo_db).label(Method.WALLET) == "Paytm"
    with pytest.raises(PaymentError, match="Paytm reference"):
        payments.take_advance(
            demo_db, desk, a_patient(demo_db), [TenderLine(Method.WALLET, 100)], now=NOW
        )
    off = PaymentSettings(tuple(type(s)(s.method, s.label, False, False) for s in settings.methods))
    with pytest.raises(PaymentError, match="Cash cannot be switched off"):
        save_payment_settings(demo_db, manager, off, now=NOW)


def test_allocations_never_exceed_an_invoice(demo_db, desk):
    patient = a_patient(demo_db, 6)
    a = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT", patient=patient), now=NOW)
    b = invoicing.save_invoice(
        demo_db, desk, cart(demo_db, "MEDIFACIAL", patient=patient), now=NOW + timedelta(hours=1)
    )
    receipt = payments.settle_dues(demo_db, desk, patient, [upi(a.total_amount + 100)], now=NOW)
    assert receipt.to_invoices == ((a.invoice_number, a.total_amount), (b.invoice_number, 100))
    with demo_db.session(write=False) as session:
        applied = session.execute(
            select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount)).group_by(
                PaymentAllocation.invoice_id
            )
        ).all()
    assert dict(applied) == {a.id: a.total_amount, b.id: 100}


# -- reversing a payment ------------------------------------------------------------------


def test_a_payment_taken_by_mistake_is_reversed_by_a_new_row_and_is_owed_again(
    demo_db, desk, manager, drawer
):
    saved = invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "BOTOX50", "CONSULT"),
        now=NOW,
        payments=[upi(225_000), cash(225_000)],
    )
    [upi_row] = [p for p in rows(demo_db, Payment, invoice_id=saved.id) if p.method == "upi"]

    later = NOW + timedelta(minutes=5)
    reversal = payments.reverse_payment(
        demo_db, manager, upi_row.id, "  UPI  failed at the bank ", now=later
    )

    assert (reversal.amount, reversal.method) == (225_000, "upi")
    assert reversal.reopened == ((saved.invoice_number, 225_000),)
    [original] = rows(demo_db, Payment, id=upi_row.id)
    assert (original.amount, original.kind) == (225_000, "sale")  # never edited
    [new] = rows(demo_db, Payment, reverses_id=upi_row.id)
    assert (new.kind, new.amount, new.notes, new.session_id) == (
        "reversal",
        -225_000,
        "UPI failed at the bank",
        drawer.id,
    )
    again = invoicing.invoice_by_number(demo_db, saved.invoice_number)
    assert (again.amount_paid, again.amount_due, again.paid_status) == (
        225_000,
        225_000,
        "partly_paid",
    )
    assert [p.label for p in again.payments][-1] == "UPI reversed"
    assert reversal.account.balance == 225_000
    with demo_db.session(write=False) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "payment.reverse")).one()
        queued = session.scalars(
            select(SyncOutbox.doc_id).where(SyncOutbox.doc_type == "payment")
        ).all()
    assert audit.details["reason"] == "UPI failed at the bank"
    assert str(new.id) in {str(q) for q in queued}

    with pytest.raises(PaymentError, match="reversed already"):
        payments.reverse_payment(demo_db, manager, upi_row.id, "again", now=later)


def test_a_reversal_needs_a_manager_or_a_managers_pin_and_a_reason(demo_db, desk, manager, drawer):
    patient = a_patient(demo_db, 2)
    receipt = payments.take_advance(demo_db, desk, patient, [upi(50_000)], now=NOW)
    [payment_id] = receipt.payment_ids

    with pytest.raises(PermissionDenied):
        payments.reverse_payment(demo_db, desk, payment_id, "wrong patient", now=NOW)
    with pytest.raises(PaymentError, match="Say why"):
        payments.reverse_payment(demo_db, desk, payment_id, "  ", now=NOW, approver=manager)
    assert rows(demo_db, Payment, reverses_id=payment_id) == []

    reversal = payments.reverse_payment(
        demo_db, desk, payment_id, "wrong patient", now=NOW, approver=manager
    )
    assert reversal.account.advance == 0 and reversal.reopened == ()
    [new] = rows(demo_db, Payment, reverses_id=payment_id)
    assert (new.created_by, new.approved_by) == (desk.id, manager.id)


def test_an_advance_already_used_cannot_be_reversed_and_nothing_is_written(demo_db, desk, manager):
    patient = a_patient(demo_db, 3)
    receipt = payments.take_advance(demo_db, desk, patient, [upi(200_000)], now=NOW)
    invoicing.save_invoice(
        demo_db,
        desk,
        cart(demo_db, "CONSULT", patient=patient),
        now=NOW,
        payments=[TenderLine(Method.ADVANCE, 50_000)],
    )
    before = len(rows(demo_db, Payment)), len(rows(demo_db, PaymentAllocation))

    with pytest.raises(PaymentError, match="used on an invoice"):
        payments.reverse_payment(demo_db, manager, receipt.payment_ids[0], "typo", now=NOW)

    assert (len(rows(demo_db, Payment)), len(rows(demo_db, PaymentAllocation))) == before


def test_a_refund_or_a_reversal_cannot_itself_be_reversed(demo_db, desk, manager):
    patient = a_patient(demo_db, 4)
    receipt = payments.take_advance(demo_db, desk, patient, [upi(10_000)], now=NOW)
    reversal = payments.reverse_payment(demo_db, manager, receipt.payment_ids[0], "typo", now=NOW)
    with pytest.raises(PaymentError, match="Only money taken"):
        payments.reverse_payment(demo_db, manager, reversal.reversal_id, "undo", now=NOW)


def test_takings_net_a_reversed_settlement_and_a_reversed_advance(demo_db, desk, manager, drawer):
    patient = a_patient(demo_db)
    invoicing.save_invoice(demo_db, desk, cart(demo_db, "MEDIFACIAL", patient=patient), now=NOW)
    day = NOW.astimezone(ZoneInfo("Asia/Kolkata")).date()
    before = takings.takings(demo_db, manager, day, day)
    settled = payments.settle_dues(demo_db, desk, patient, [upi(100_000)], now=NOW)
    advance = payments.take_advance(demo_db, desk, patient, [cash(50_000)], now=NOW)
    taken = takings.takings(demo_db, manager, day, day)
    assert taken.dues_settled - before.dues_settled == 100_000
    assert taken.advances_taken - before.advances_taken == 50_000

    later = NOW + timedelta(minutes=5)
    payments.reverse_payment(demo_db, manager, settled.payment_ids[0], "Bounced", now=later)
    payments.reverse_payment(demo_db, manager, advance.payment_ids[0], "Entered twice", now=later)

    after = takings.takings(demo_db, manager, day, day)
    assert (after.dues_settled, after.advances_taken) == (
        before.dues_settled,
        before.advances_taken,
    )
