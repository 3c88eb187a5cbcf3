"""Credit notes (services.credit_notes, domain.credit_notes): refunds of some lines of an
invoice, their numbers, promotion reversals and money, on a real SQLite file with the demo
clinic."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from db.models import (
    AuditLog,
    CreditNote,
    InvoiceHeader,
    Payment,
    PaymentAllocation,
    PromotionUsageLog,
    SyncOutbox,
)
from domain.credit_notes import NothingToRefund, RefundError
from domain.errors import BadInput, Refused
from domain.payments import Method, TenderLine
from domain.roles import PermissionDenied
from services import auth, counter_sessions, credit_notes, invoicing, payments
from services.patients import walk_in_patient
from tests.services.conftest import NOW
from tests.services.invoice_helpers import a_patient, cart, promotion

LATER = NOW + timedelta(hours=2)


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def drawer(demo_db, desk):
    return counter_sessions.open_session(demo_db, desk, opening_float=200_000, now=NOW)


def cash(amount):
    return TenderLine(Method.CASH, amount)


def upi(amount):
    return TenderLine(Method.UPI, amount, "UTR4321")


def line_of(document, code):
    return next(line.line_no for line in document.lines if line.item_code == code)


def sale(db, actor, *codes, tender=(), patient=None):
    return invoicing.save_invoice(
        db, actor, cart(db, *codes, patient=patient), now=NOW, payments=tender
    )


def refund(db, actor, invoice, lines, method, *, reason="Returned", now=LATER, **extra):
    return credit_notes.issue_credit_note(
        db,
        actor,
        invoice.invoice_number,
        lines,
        reason=reason,
        refund_method=method,
        now=now,
        **extra,
    )


def test_a_product_paid_in_cash_is_refunded_from_the_drawer(demo_db, desk, manager, drawer):
    invoice = sale(demo_db, desk, "SPF50", "CONSULT", tender=[cash(135_000)])
    before = counter_sessions.x_report(demo_db).expected_cash

    note = refund(
        demo_db,
        manager,
        invoice,
        [(line_of(invoice, "SPF50"), 1)],
        Method.CASH,
        reason="Sunscreen returned unopened",
    )

    assert note.number == "INDC/26-27/00001"
    assert note.total_amount == 85_000 and note.refunded == 85_000
    assert note.reduced_due == 0 and note.to_advance == 0
    assert [(n.item_code, n.quantity, n.line_total) for n in note.lines] == [("SPF50", 1, 85_000)]
    # 18% GST backed out of Rs.850, split CGST/SGST within the state.
    (line,) = note.lines
    assert line.taxable_value + line.cgst_amount + line.sgst_amount == 85_000
    assert line.cgst_amount == line.sgst_amount == 6_483
    report = counter_sessions.x_report(demo_db)
    assert report.expected_cash == before - 85_000
    assert report.cash_refunds == 85_000
    assert report.credit_notes == 1 and report.credit_note_total == 85_000
    with demo_db.session(write=False) as session:
        (paid_back,) = session.scalars(select(Payment).where(Payment.kind == "refund")).all()
        assert (paid_back.amount, paid_back.method, paid_back.session_id) == (
            -85_000,
            "cash",
            drawer.id,
        )
        assert paid_back.credit_note_id == note.id
        back = session.scalars(
            select(PaymentAllocation).where(PaymentAllocation.kind == "credit_note")
        ).one()
        assert back.amount == -85_000 and back.credit_note_id == note.id
        kinds = [row.doc_type for row in session.scalars(select(SyncOutbox))]
        assert {"credit_note", "payment", "payment_allocation"} <= set(kinds)
    refreshed = invoicing.invoice_by_number(demo_db, invoice.invoice_number)
    assert refreshed.credited == 85_000 and refreshed.amount_due == 0
    account = payments.patient_account(demo_db, a_patient(demo_db))
    assert account.advance == 0 and account.owed == 0 and account.balance == 0


def test_a_refund_kept_as_an_advance_pays_a_later_invoice(demo_db, manager, drawer):
    patient = a_patient(demo_db)
    invoice = sale(demo_db, manager, "VITC-SERUM", tender=[upi(145_000)], patient=patient)

    note = refund(demo_db, manager, invoice, [(1, 1)], None, reason="Allergic reaction")

    assert note.to_advance == 145_000 and note.refunded == 0 and note.refund_method is None
    account = payments.patient_account(demo_db, patient)
    assert account.advance == 145_000 and account.balance == -145_000
    later = invoicing.save_invoice(
        demo_db,
        manager,
        cart(demo_db, "SPF50", patient=patient),
        now=LATER,
        payments=[TenderLine(Method.ADVANCE, 85_000)],
    )
    assert later.amount_due == 0
    account = payments.patient_account(demo_db, patient)
    assert account.advance == 60_000 and account.balance == -60_000


def test_refunding_the_botox_gives_back_the_free_consultation(demo_db, manager, drawer):
    before_uses = promotion(demo_db, "PREMIUM_CONSULT").current_uses
    invoice = sale(demo_db, manager, "BOTOX50", "CONSULT", tender=[upi(450_000)])
    assert invoice.total_amount == 450_000
    preview = credit_notes.preview_credit_note(
        demo_db,
        invoice.invoice_number,
        [(line_of(invoice, "BOTOX50"), 1)],
        refund_method=Method.UPI,
        now=LATER,
    )
    assert preview.value == 400_000
    assert preview.promotions_reversed == ("PREMIUM_CONSULT",)
    assert preview.discount_given_back == 50_000 and preview.kept_payable == 50_000

    note = refund(
        demo_db,
        manager,
        invoice,
        [(line_of(invoice, "BOTOX50"), 1)],
        Method.UPI,
        reason="Treatment not given",
        reference="UTR999",
    )

    assert note.total_amount == 400_000
    (line,) = note.lines
    assert (line.gross_amount, line.discount_amount, line.line_total) == (450_000, 50_000, 400_000)
    assert [p.campaign_code for p in note.promotions_reversed] == ["PREMIUM_CONSULT"]
    assert note.discount_given_back == 50_000
    assert promotion(demo_db, "PREMIUM_CONSULT").current_uses == before_uses
    with demo_db.session(write=False) as session:
        use = session.scalars(
            select(PromotionUsageLog).where(PromotionUsageLog.invoice_id == invoice.id)
        ).one()
        assert use.reversed_at is not None and use.reversed_by == manager.id
    # The consultation kept is now worth its full price: refunding it too gives Rs.500 back,
    # the rest of the payable.
    rest = refund(
        demo_db,
        manager,
        invoice,
        [(line_of(invoice, "CONSULT"), 1)],
        Method.UPI,
        reason="Consultation not given",
    )
    assert rest.total_amount == 50_000 and rest.promotions_reversed == ()
    assert [n.number for n in credit_notes.credit_notes_of(demo_db, invoice.invoice_number)] == [
        note.number,
        rest.number,
    ]


def test_refunding_everything_gives_back_the_whole_payable(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "BOTOX50", "CONSULT", "SPF50", tender=[upi(535_000)])
    note = refund(
        demo_db,
        manager,
        invoice,
        [(line.line_no, line.quantity) for line in invoice.lines],
        Method.UPI,
        reason="Wrong patient billed",
    )
    assert note.total_amount == invoice.total_amount
    assert sum(line.line_total for line in note.lines) == invoice.total_amount
    with pytest.raises(RefundError, match="line 1 .* left to refund"):
        credit_notes.preview_credit_note(
            demo_db, invoice.invoice_number, [(1, 1)], refund_method=None, now=LATER
        )


def test_an_unpaid_invoice_only_loses_its_due(demo_db, manager):
    patient = a_patient(demo_db)
    invoice = sale(demo_db, manager, "SPF50", "CLEANSER", patient=patient)  # all on account
    note = refund(demo_db, manager, invoice, [(line_of(invoice, "CLEANSER"), 1)], Method.CASH)
    assert (note.reduced_due, note.refunded, note.to_advance) == (65_000, 0, 0)
    account = payments.patient_account(demo_db, patient)
    assert account.owed == 85_000 and account.advance == 0 and account.balance == 85_000


def test_numbers_are_gap_free_per_fiscal_year(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "SPF50", "CLEANSER", "LIPBALM", tender=[upi(185_000)])
    numbers = []
    for line in invoice.lines[:2]:
        numbers.append(refund(demo_db, manager, invoice, [(line.line_no, 1)], None).number)
    # A refused refund takes no number.
    with pytest.raises(RefundError):
        refund(demo_db, manager, invoice, [(1, 5)], None)
    next_year = datetime(2027, 4, 2, 5, 0, tzinfo=UTC)
    numbers.append(
        refund(
            demo_db, manager, invoice, [(invoice.lines[2].line_no, 1)], None, now=next_year
        ).number
    )
    assert numbers == ["INDC/26-27/00001", "INDC/26-27/00002", "INDC/27-28/00001"]
    assert all(len(number) <= 16 for number in numbers)


def test_front_desk_needs_a_managers_approval(demo_db, desk, drawer):
    invoice = sale(demo_db, desk, "SPF50", tender=[cash(85_000)])
    kwargs = dict(reason="Returned", refund_method=Method.CASH, now=LATER)
    with pytest.raises(Refused, match="manager's approval"):
        credit_notes.issue_credit_note(demo_db, desk, invoice.invoice_number, [(1, 1)], **kwargs)
    with pytest.raises(PermissionDenied):
        credit_notes.issue_credit_note(
            demo_db, desk, invoice.invoice_number, [(1, 1)], approver=desk, **kwargs
        )
    approver = auth.manager_approval(demo_db, "meera", "2222", "Approving a refund")
    note = credit_notes.issue_credit_note(
        demo_db, desk, invoice.invoice_number, [(1, 1)], approver=approver, **kwargs
    )
    assert note.created_by == desk.full_name
    assert note.approved_by == approver.full_name
    with demo_db.session(write=False) as session:
        entry = session.scalars(
            select(AuditLog).where(AuditLog.action == "invoice.credit_note")
        ).one()
        assert entry.details["issued_by"] == desk.full_name
        assert entry.details["approved_by"] == approver.full_name


def test_refusals_name_what_is_wrong(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "SPF50", tender=[cash(85_000)])
    kwargs = dict(reason="Returned", refund_method=Method.CASH, now=LATER)
    with pytest.raises(RefundError, match="no line 7"):
        credit_notes.issue_credit_note(demo_db, manager, invoice.invoice_number, [(7, 1)], **kwargs)
    with pytest.raises(RefundError, match="Only 1 of 1 units of line 1 \\(Sunscreen"):
        credit_notes.issue_credit_note(demo_db, manager, invoice.invoice_number, [(1, 2)], **kwargs)
    with pytest.raises(BadInput, match="Say why"):
        credit_notes.issue_credit_note(
            demo_db, manager, invoice.invoice_number, [(1, 1)], **{**kwargs, "reason": " "}
        )
    invoicing.cancel_invoice(demo_db, manager, invoice.invoice_number, reason="Typo", now=NOW)
    with pytest.raises(Refused, match="cancelled"):
        credit_notes.issue_credit_note(demo_db, manager, invoice.invoice_number, [(1, 1)], **kwargs)


def test_the_walk_in_customer_is_paid_back(demo_db, manager, drawer):
    walk_in = walk_in_patient(demo_db, manager, now=NOW).id
    invoice = sale(demo_db, manager, "SPF50", tender=[cash(85_000)], patient=walk_in)
    with pytest.raises(Refused, match="walk-in"):
        refund(demo_db, manager, invoice, [(1, 1)], None)


def test_cash_back_needs_the_counter_session(demo_db, manager):
    invoice = sale(demo_db, manager, "SPF50", tender=[upi(85_000)])
    with pytest.raises(Refused, match="counter session"):
        refund(demo_db, manager, invoice, [(1, 1)], Method.CASH)


def test_an_invoice_paid_outside_is_refunded_without_touching_the_advance(demo_db, manager):
    patient = a_patient(demo_db)
    invoice = sale(demo_db, manager, "SPF50", "CLEANSER", patient=patient)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(InvoiceHeader).where(InvoiceHeader.id == invoice.id).values(paid_outside=True)
        )
    paid_back = refund(demo_db, manager, invoice, [(line_of(invoice, "SPF50"), 1)], Method.UPI)
    assert (paid_back.reduced_due, paid_back.refunded) == (0, 85_000)
    assert payments.patient_account(demo_db, patient).advance == 0
    kept = refund(demo_db, manager, invoice, [(line_of(invoice, "CLEANSER"), 1)], None)
    assert kept.to_advance == 65_000
    account = payments.patient_account(demo_db, patient)
    assert account.advance == 65_000 and account.owed == 0
    # The balance counts these credit notes too: the patient is owed the advance, no more.
    assert account.balance == -65_000


def test_an_invoice_with_a_credit_note_is_not_cancelled(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "SPF50", "CLEANSER")
    refund(demo_db, manager, invoice, [(line_of(invoice, "SPF50"), 1)], None)
    with pytest.raises(invoicing.InvoiceError, match="has a credit note"):
        invoicing.cancel_invoice(
            demo_db, manager, invoice.invoice_number, reason="Entered twice", now=NOW
        )


def test_a_refund_worth_nothing_is_refused():
    from domain.credit_notes import SoldLine, check_refund, price_refund
    from domain.promotions import CartLine, ItemType

    line = CartLine("1", "a", "A", "Item A", ItemType.PRODUCT, "c", 10_000, 1)
    sold = [SoldLine(1, line, 10_000)]
    wanted = check_refund(sold, [(1, 1)])
    priced = price_refund(sold, wanted, [], standing=10_000, now=NOW, today=NOW.date())
    assert priced.value == 10_000
    with pytest.raises(NothingToRefund):
        price_refund(sold, wanted, [], standing=0, now=NOW, today=NOW.date())


def test_the_credit_note_is_queued_for_the_centre(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "SPF50", tender=[upi(85_000)])
    note = refund(demo_db, manager, invoice, [(1, 1)], Method.UPI)
    with demo_db.session(write=False) as session:
        row = session.scalars(select(SyncOutbox).where(SyncOutbox.doc_type == "credit_note")).one()
        assert row.payload["number"] == note.number
        assert row.payload["total_amount"] == "850.00"
        stored = session.get_one(CreditNote, note.id)
        assert stored.reduced_due + stored.refunded + stored.to_advance == stored.total_amount


def test_a_note_dated_otherwise_follows_its_series_and_its_invoice(demo_db, manager, drawer):
    invoice = sale(demo_db, manager, "SPF50", "CLEANSER", "LIPBALM", tender=[upi(185_000)])
    real = LATER + timedelta(days=3)
    dated = refund(
        demo_db, manager, invoice, [(1, 1)], None, now=LATER + timedelta(days=2), recorded_at=real
    )

    before_last = LATER + timedelta(days=1)
    with pytest.raises(Refused, match="last credit note of the series is dated"):
        refund(demo_db, manager, invoice, [(2, 1)], None, now=before_last, recorded_at=real)
    with pytest.raises(Refused, match="cannot be dated before it"):
        refund(demo_db, manager, invoice, [(2, 1)], None, now=NOW - timedelta(days=1))
    with demo_db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.entity_id == str(dated.id))).one()
        assert (
            entry.at == real and entry.details["dated"] == (LATER + timedelta(days=2)).isoformat()
        )
        assert (
            session.scalar(select(CreditNote.note_date).where(CreditNote.id == dated.id))
            == (LATER + timedelta(days=2)).date()
        )
