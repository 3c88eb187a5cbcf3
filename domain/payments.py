"""Money received: the tender at the counter, a patient's account, and where a payment goes
(issue #11). Amounts are paise.

1. A payment line has a method (cash, UPI, card, wallet, or "on account": the patient owes
   it) and an amount above 0. A method the branch marks as needing a reference (a card
   slip, a UPI transaction id) is refused without one.
2. The tender covers the payable exactly: the lines add up to it, except that cash may be
   more and the difference is the change handed back. Only cash gives change; no other
   line may take the total past the payable.
3. "On account" needs a registered patient (not the walk-in customer); what is on account
   is due. An invoice is paid when nothing is due, partly paid when some is, unpaid when all.
4. A patient's balance is what their invoices ask, less credit notes, less payments: never a
   stored counter. Above zero they owe (dues); below zero they have an advance.
5. A payment against the account ("settle dues") goes to the open invoices oldest first,
   each up to what it still owes; what is left over becomes an advance. An advance is
   spent on a later invoice as a payment line of its own ("advance").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from domain.bounds import check_amount
from domain.errors import BadInput


class PaymentError(BadInput):
    """A tender that cannot be taken; the message says what to change."""


class Method(StrEnum):
    CASH = "cash"
    UPI = "upi"
    CARD = "card"
    WALLET = "wallet"
    ON_ACCOUNT = "on_account"
    ADVANCE = "advance"

    @property
    def label(self) -> str:
        return {
            "cash": "Cash",
            "upi": "UPI",
            "card": "Card",
            "wallet": "Wallet",
            "on_account": "On account",
            "advance": "Advance",
        }[self.value]


class PaidStatus(StrEnum):
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    UNPAID = "unpaid"


@dataclass(frozen=True)
class TenderLine:
    """One way the patient pays part of an invoice."""

    method: Method
    amount: int
    reference: str = ""


@dataclass(frozen=True)
class Tender:
    """A checked tender: what each method took (cash net of change), the change, and what
    is left due on account."""

    lines: tuple[TenderLine, ...]
    change: int
    due: int

    @property
    def received(self) -> int:
        """Money taken now (everything but what is on account)."""
        return sum(line.amount for line in self.lines if line.method is not Method.ON_ACCOUNT)


def check_lines(
    lines: Sequence[TenderLine],
    *,
    needs_reference: Iterable[Method] = (),
    labels: Mapping[Method, str] | None = None,
) -> None:
    """Rule 1 for each line: an amount above 0 (and at most domain.bounds.MAX_AMOUNT), and a
    reference where the branch asks one."""
    needing = set(needs_reference)
    for line in lines:
        label = (labels or {}).get(line.method, line.method.label)
        if line.amount <= 0:
            raise PaymentError(f"A {label} payment needs an amount above 0")
        check_amount(line.amount, f"A {label} payment")
        if line.method in needing and not line.reference.strip():
            raise PaymentError(f"Type the {label} reference (slip or transaction id)")


def check_tender(
    payable: int,
    lines: Sequence[TenderLine],
    *,
    registered_patient: bool,
    needs_reference: Iterable[Method] = (),
    advance_available: int = 0,
    labels: Mapping[Method, str] | None = None,
) -> Tender:
    """Rules 1 to 3 for the tender of an invoice of `payable` paise (`labels`: the
    branch's names for the methods, for the sentences)."""
    check_lines(lines, needs_reference=needs_reference, labels=labels)
    for line in lines:
        if line.method is Method.ON_ACCOUNT and not registered_patient:
            raise PaymentError("On account needs a registered patient, not a walk-in")
    advance = sum(line.amount for line in lines if line.method is Method.ADVANCE)
    if advance > advance_available:
        raise PaymentError("The advance used is more than the patient has")
    total = sum(line.amount for line in lines)
    cash = sum(line.amount for line in lines if line.method is Method.CASH)
    non_cash = total - cash
    if non_cash > payable:
        raise PaymentError("Only cash gives change: the other payments are more than the payable")
    if total < payable:
        raise PaymentError(
            f"The payments cover {total / 100:.2f} of {payable / 100:.2f}; add a line "
            "(or put the rest on account)"
        )
    change = total - payable
    to_return = change
    kept = []
    for line in lines:
        if line.method is Method.CASH and to_return:
            # The change comes out of the cash: the invoice keeps what it was paid.
            back = min(to_return, line.amount)
            line = TenderLine(line.method, line.amount - back, line.reference)
            to_return -= back
        kept.append(line)
    due = sum(line.amount for line in kept if line.method is Method.ON_ACCOUNT)
    return Tender(tuple(line for line in kept if line.amount), change, due)


@dataclass(frozen=True)
class TenderState:
    """A tender being typed: the payable, what the lines cover, what is still to cover,
    and the change cash gives back (rule 2)."""

    payable: int
    covered: int
    due: int
    change: int


def tender_state(payable: int, lines: Sequence[TenderLine]) -> TenderState:
    covered = sum(line.amount for line in lines)
    return TenderState(payable, covered, max(0, payable - covered), max(0, covered - payable))


def paid_status(payable: int, due: int) -> PaidStatus:
    """Rule 3."""
    if due <= 0:
        return PaidStatus.PAID
    return PaidStatus.UNPAID if due >= payable else PaidStatus.PARTLY_PAID


def balance(invoiced: int, credited: int, paid: int) -> int:
    """Rule 4: above zero the patient owes it; below zero it is their advance."""
    return invoiced - credited - paid


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice that still asks for money: its key and what it still owes."""

    key: str
    owed: int


@dataclass(frozen=True)
class Allocation:
    """Rule 5's outcome: (invoice key, amount) in the order paid, and the advance left."""

    to_invoices: tuple[tuple[str, int], ...]
    advance: int


def allocate(amount: int, open_invoices: Sequence[OpenInvoice]) -> Allocation:
    """Rule 5: `amount` to the open invoices (given oldest first), the rest an advance."""
    if amount <= 0:
        raise PaymentError("A payment needs an amount above 0")
    left = amount
    paid = []
    for invoice in open_invoices:
        if left == 0:
            break
        take = min(left, invoice.owed)
        if take > 0:
            paid.append((invoice.key, take))
            left -= take
    return Allocation(tuple(paid), left)


def upi_link(upi_id: str, payee: str, amount: int, note: str) -> str:
    """The UPI deep link a payment app reads from a QR code: payee, name, amount (paise
    written in rupees), currency and a note (the invoice number)."""
    fields = {
        "pa": upi_id.strip(),
        "pn": payee,
        "am": f"{amount // 100}.{amount % 100:02d}",
        "cu": "INR",
        "tn": note,
    }
    return "upi://pay?" + "&".join(
        f"{key}={quote(value, safe='@.-_')}" for key, value in fields.items()
    )
