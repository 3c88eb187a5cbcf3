"""Rules of domain.payments (issue #11): the tender, paid status, balances, allocation."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.payments import (
    Method,
    OpenInvoice,
    PaidStatus,
    PaymentError,
    TenderLine,
    allocate,
    balance,
    check_tender,
    paid_status,
)

SEED_000 = 450_000  # Botox with the free consultation: Rs.4,500 to pay


def test_half_upi_half_cash_with_change_from_the_cash():
    tender = check_tender(
        SEED_000,
        [TenderLine(Method.UPI, 225_000, "UTR4321"), TenderLine(Method.CASH, 250_000)],
        registered_patient=True,
        needs_reference=[Method.UPI, Method.CARD],
    )
    assert tender.change == 25_000
    assert [(line.method, line.amount) for line in tender.lines] == [
        (Method.UPI, 225_000),
        (Method.CASH, 225_000),
    ]
    assert (tender.received, tender.due) == (SEED_000, 0)


@pytest.mark.parametrize(
    ("lines", "registered", "message"),
    [
        ([TenderLine(Method.UPI, SEED_000)], True, "Type the UPI reference"),
        ([TenderLine(Method.CARD, SEED_000 + 100, "slip")], True, "Only cash gives change"),
        ([TenderLine(Method.CASH, 100_000)], True, "cover 1000.00 of 4500.00"),
        ([TenderLine(Method.ON_ACCOUNT, SEED_000)], False, "registered patient"),
        ([TenderLine(Method.CASH, 0)], True, "above 0"),
        ([TenderLine(Method.ADVANCE, SEED_000)], True, "more than the patient has"),
    ],
)
def test_a_tender_that_cannot_be_taken_says_why(lines, registered, message):
    with pytest.raises(PaymentError, match=message):
        check_tender(SEED_000, lines, registered_patient=registered, needs_reference=[Method.UPI])


def test_on_account_leaves_the_invoice_due():
    tender = check_tender(
        SEED_000,
        [TenderLine(Method.CASH, 100_000), TenderLine(Method.ON_ACCOUNT, 350_000)],
        registered_patient=True,
    )
    assert (tender.received, tender.due) == (100_000, 350_000)
    assert paid_status(SEED_000, tender.due) is PaidStatus.PARTLY_PAID
    assert paid_status(SEED_000, SEED_000) is PaidStatus.UNPAID
    assert paid_status(SEED_000, 0) is PaidStatus.PAID


def test_settling_dues_pays_the_oldest_first_and_the_rest_is_an_advance():
    result = allocate(500_000, [OpenInvoice("A", 350_000), OpenInvoice("B", 100_000)])
    assert result.to_invoices == (("A", 350_000), ("B", 100_000))
    assert result.advance == 50_000


amounts = st.integers(1, 10_000_000)


@given(st.lists(st.tuples(amounts, amounts), max_size=20), amounts)
def test_any_payment_keeps_the_balance_and_never_overpays_an_invoice(invoices, payment):
    """Whatever is owed and paid: each invoice gets at most what it owes, the money is all
    accounted for, and the balance moves by exactly the payment (rule 4 and 5)."""
    open_invoices = [OpenInvoice(str(n), owed) for n, (owed, _) in enumerate(invoices)]
    owed_before = sum(invoice.owed for invoice in open_invoices)
    result = allocate(payment, open_invoices)
    owed = {invoice.key: invoice.owed for invoice in open_invoices}
    assert all(0 < amount <= owed[key] for key, amount in result.to_invoices)
    assert sum(amount for _, amount in result.to_invoices) + result.advance == payment
    assert result.advance == max(0, payment - owed_before)
    before = balance(owed_before, 0, 0)
    assert balance(owed_before, 0, payment) == before - payment


@given(amounts, st.lists(st.tuples(st.sampled_from(list(Method)), amounts), max_size=5))
def test_a_taken_tender_always_adds_up_to_the_payable(payable, raw):
    lines = [TenderLine(method, amount, "ref") for method, amount in raw]
    try:
        tender = check_tender(payable, lines, registered_patient=True, advance_available=10**9)
    except PaymentError:
        return
    assert sum(line.amount for line in tender.lines) == payable
    assert tender.change >= 0 and tender.due <= payable
