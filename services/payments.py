"""Money at the counter: the tender saved with an invoice, payments taken later, dues
settled, advances, and a patient's account (issue #11; the rules are domain.payments).

A payment row is money taken or paid back, never edited; `payment_allocations` say which
invoice the money went to. An invoice owes its total less its credit notes less what was
applied to it; a patient's advance is what they paid less what was applied. Their balance
is invoices - credit notes - payments, derived, never stored (domain.payments, rule 4).

Cash lives in the counter session: a cash line needs this desk's session open, and every
payment names the session open when it was taken, so the close counts it by id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.fast_insert import insert_rows
from db.fast_select import plain_object
from db.models import (
    CreditNote,
    InvoiceHeader,
    Patient,
    Payment,
    PaymentAllocation,
)
from domain.bounds import check_amount
from domain.errors import Refused
from domain.log import invoicing as log
from domain.money import format_rupees
from domain.payments import (
    Method,
    OpenInvoice,
    PaymentError,
    Tender,
    TenderLine,
    allocate,
    check_lines,
    check_tender,
)
from domain.permissions import allowed, require
from services import documents, ids
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.counter_sessions import open_session_for, open_session_id
from services.errors import NotFound
from services.invoice_document import DocumentPayment
from services.payment_settings import PaymentSettings, read_payment_settings
from services.uow import UnitOfWork

# Methods that are money changing hands (a payments row); the others move no money.
MONEY_METHODS = (Method.CASH, Method.UPI, Method.CARD, Method.WALLET)


# ----------------------------------------------------------------------------- reading


class CreditLimitExceeded(Refused):
    """What goes on account would take the patient past their credit limit; a manager may
    allow it."""


def invoice_owed(session: Session, invoice: InvoiceHeader) -> int:
    """What an invoice still asks for: its total less credit notes less money applied."""
    if invoice.status == "cancelled" or invoice.paid_outside:
        return 0
    applied = session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(
            PaymentAllocation.invoice_id == invoice.id
        )
    )
    credited = session.scalar(
        select(func.coalesce(func.sum(CreditNote.total_amount), 0)).where(
            CreditNote.invoice_id == invoice.id
        )
    )
    return max(0, invoice.total_amount - int(credited or 0) - int(applied or 0))


def patient_advance(session: Session, patient_id: uuid.UUID) -> int:
    """Money the patient paid that is not applied to an invoice (paise, never negative)."""
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.patient_id == patient_id)
    )
    applied = session.scalar(
        select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(
            PaymentAllocation.patient_id == patient_id
        )
    )
    return int(paid or 0) - int(applied or 0)


@dataclass(frozen=True)
class Due:
    """An open invoice on a patient's account."""

    invoice_id: uuid.UUID
    invoice_number: str
    invoice_date: date
    total_amount: int
    owed: int


@dataclass(frozen=True)
class Account:
    """A patient's account (paise): what their invoices asked, what credit notes gave
    back, what they paid; the open invoices, the advance held, and the balance (above 0
    they owe it, below 0 it is their advance)."""

    patient_id: uuid.UUID
    patient_name: str
    invoiced: int
    credited: int
    paid: int
    dues: tuple[Due, ...]
    advance: int
    credit_limit: int | None

    @property
    def balance(self) -> int:
        return self.invoiced - self.credited - self.paid

    @property
    def owed(self) -> int:
        return sum(due.owed for due in self.dues)


def read_account(session: Session, patient_id: uuid.UUID) -> Account:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound("That patient is not on record.")
    live = (
        (InvoiceHeader.patient_id == patient_id)
        & (InvoiceHeader.status == "issued")
        & InvoiceHeader.paid_outside.is_(False)
    )
    invoiced = session.scalar(
        select(func.coalesce(func.sum(InvoiceHeader.total_amount), 0)).where(live)
    )
    # Every credit note on an issued invoice, those paid outside these records included:
    # what such a note paid back or kept as an advance is in `paid` and the allocations.
    credited = session.scalar(
        select(func.coalesce(func.sum(CreditNote.total_amount), 0))
        .join(InvoiceHeader, InvoiceHeader.id == CreditNote.invoice_id)
        .where((InvoiceHeader.patient_id == patient_id) & (InvoiceHeader.status == "issued"))
    )
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.patient_id == patient_id)
    )
    applied = dict(
        session.execute(
            select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
            .where(PaymentAllocation.patient_id == patient_id)
            .group_by(PaymentAllocation.invoice_id)
        ).all()
    )
    notes = dict(
        session.execute(
            select(CreditNote.invoice_id, func.sum(CreditNote.total_amount))
            .where(CreditNote.patient_id == patient_id)
            .group_by(CreditNote.invoice_id)
        ).all()
    )
    dues = []
    rows = session.execute(
        select(
            InvoiceHeader.id,
            InvoiceHeader.invoice_number,
            InvoiceHeader.invoice_date,
            InvoiceHeader.total_amount,
        )
        .where(live)
        .order_by(InvoiceHeader.invoice_date, InvoiceHeader.created_at)
    )
    for invoice_id, number, invoice_date, total in rows:
        owed = total - int(notes.get(invoice_id, 0)) - int(applied.get(invoice_id, 0))
        if owed > 0:
            dues.append(Due(invoice_id, number, invoice_date, total, owed))
    limit = patient.credit_limit
    if limit is None:
        limit = read_payment_settings(session).default_credit_limit
    total_applied = sum(int(v) for v in applied.values())
    return Account(
        patient_id=patient.id,
        patient_name=patient.name,
        invoiced=int(invoiced or 0),
        credited=int(credited or 0),
        paid=int(paid or 0),
        dues=tuple(dues),
        advance=int(paid or 0) - total_applied,
        credit_limit=limit,
    )


def patient_account(db: Database, patient_id: uuid.UUID) -> Account:
    """A patient's dues, advance and balance."""
    with db.session(write=False) as session:
        return read_account(session, patient_id)


@dataclass(frozen=True)
class PaymentEntry:
    """One payment row as a patient's account lists it (paise; below 0 paid back)."""

    id: uuid.UUID
    at: datetime
    kind: str
    method: str
    label: str
    amount: int
    reference: str
    invoice_number: str | None
    reverses_id: uuid.UUID | None
    reversed: bool
    notes: str

    @property
    def reversible(self) -> bool:
        return self.kind in REVERSIBLE and self.amount > 0 and not self.reversed


def patient_payments(db: Database, patient_id: uuid.UUID) -> tuple[PaymentEntry, ...]:
    """A patient's payments, newest first, each saying whether it was reversed."""
    with db.session(write=False) as session:
        labels = read_payment_settings(session).labels
        found = session.execute(
            select(Payment, InvoiceHeader.invoice_number)
            .outerjoin(InvoiceHeader, InvoiceHeader.id == Payment.invoice_id)
            .where(Payment.patient_id == patient_id)
            .order_by(Payment.created_at.desc(), Payment.id)
        ).all()
    undone = {row.reverses_id for row, _number in found if row.reverses_id is not None}
    return tuple(
        PaymentEntry(
            id=row.id,
            at=row.created_at,
            kind=row.kind,
            method=row.method,
            label=labels.get(Method(row.method), row.method),
            amount=row.amount,
            reference=row.reference,
            invoice_number=number,
            reverses_id=row.reverses_id,
            reversed=row.id in undone,
            notes=row.notes,
        )
        for row, number in found
    )


def find_payment(db: Database, text: str) -> uuid.UUID:
    """A payment by its id or the id's first characters (as `payment list` prints it)."""
    return ids.resolve_id(db, Payment.id, text, what="payment", hint="'frontdesk payment list'")


# ----------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Receipt:
    """What one taking of money did: the payment rows' ids, what went to which invoice
    (by number), what was left as an advance (paise), and the account after it."""

    payment_ids: tuple[uuid.UUID, ...]
    to_invoices: tuple[tuple[str, int], ...]
    to_advance: int
    account: Account


def _money_lines(lines: Sequence[TenderLine]) -> list[TenderLine]:
    return [line for line in lines if line.method in MONEY_METHODS]


def _session_id(
    session: Session, branch_id: uuid.UUID, lines: Sequence[TenderLine], desk: str | None = None
) -> uuid.UUID | None:
    """The open counter session of this desk (`desk`: its name, already read); cash needs
    one."""
    if desk is None:
        counter = open_session_for(session, branch_id)
        found = None if counter is None else counter.id
    else:
        found = open_session_id(session, branch_id, desk)
    if found is None and any(line.method is Method.CASH for line in lines):
        raise Refused(
            "Open the counter session first (its float), then take cash: Ctrl+Shift+O, or "
            "`frontdesk session open`."
        )
    return found


def payment_row(
    *,
    branch_id: uuid.UUID,
    patient_id: uuid.UUID,
    session_id: uuid.UUID | None,
    kind: str,
    line: TenderLine,
    actor: CurrentUser,
    now: datetime,
    invoice_id: uuid.UUID | None = None,
    tendered: int | None = None,
    change: int = 0,
    approved_by: uuid.UUID | None = None,
) -> Payment:
    """A payment row built for `write_money` (credit notes pay back with it too), a plain
    object (db.fast_select.plain_object): write_money inserts it, nothing adds it."""
    return plain_object(
        Payment,
        dict(
            id=uuid.uuid4(),
            branch_id=branch_id,
            patient_id=patient_id,
            invoice_id=invoice_id,
            session_id=session_id,
            kind=kind,
            method=line.method.value,
            amount=line.amount,
            reference=line.reference.strip(),
            tendered=tendered,
            change_given=change,
            notes="",
            created_at=now,
            created_by=actor.id,
            approved_by=approved_by,
        ),
    )


def allocation_row(
    payment: Payment | None,
    *,
    branch_id: uuid.UUID,
    patient_id: uuid.UUID,
    invoice_id: uuid.UUID,
    amount: int,
    kind: str,
    actor: CurrentUser,
    now: datetime,
) -> PaymentAllocation:
    """An allocation row built for `write_money` (negative for a credit note), a plain
    object as payment_row's."""
    return plain_object(
        PaymentAllocation,
        dict(
            id=uuid.uuid4(),
            branch_id=branch_id,
            patient_id=patient_id,
            invoice_id=invoice_id,
            kind=kind,
            amount=amount,
            payment_id=None if payment is None else payment.id,
            created_at=now,
            created_by=actor.id,
        ),
    )


@dataclass(frozen=True)
class SaleTender:
    """A sale's tender checked before its invoice is written: the tender, the counter
    session it is taken in, the manager who allowed credit over the limit (if one had to),
    and the branch's payment settings."""

    tender: Tender
    session_id: uuid.UUID | None
    credit_allowed_by: CurrentUser | None
    settings: PaymentSettings


def check_sale_tender(
    session: Session,
    branch_id: uuid.UUID,
    patient: Patient,
    payable: int,
    lines: Sequence[TenderLine],
    *,
    approver: CurrentUser | None = None,
    settings: PaymentSettings | None = None,
    desk: str | None = None,
) -> SaleTender:
    """Inside the invoice's transaction, before it is written: domain.payments rules 1 to
    3 with the branch's methods, the advance the patient holds, their credit limit (a
    manager may allow more), and cash only in an open counter session. With no lines at
    all, the whole invoice goes on account. `settings` and `desk` (the desk's name), when
    the caller read them already in this transaction, are not read again."""
    if settings is None:
        settings = read_payment_settings(session)
    if not lines:
        lines = [TenderLine(Method.ON_ACCOUNT, payable)] if payable else []
    settings.check_offered(line.method for line in lines)
    advance = (
        patient_advance(session, patient.id)
        if any(line.method is Method.ADVANCE for line in lines)
        else 0
    )
    tender = check_tender(
        payable,
        lines,
        registered_patient=not patient.is_walk_in,
        needs_reference=settings.needing_reference,
        advance_available=advance,
        labels=settings.labels,
    )
    allowed_by = (
        _check_credit(session, patient, tender.due, approver, settings) if tender.due else None
    )
    return SaleTender(
        tender,
        _session_id(session, branch_id, tender.lines, desk),
        approver if allowed_by is not None else None,
        settings,
    )


def record_sale_tender(
    uow: UnitOfWork, invoice: InvoiceHeader, checked: SaleTender
) -> tuple[DocumentPayment, ...]:
    """After the invoice is written, in its unit of work: a payment row per money line
    with its allocation to the invoice, an allocation for an advance used. Returns the
    payments as the invoice document lists them."""
    actor = uow.actor
    assert actor is not None
    tender = checked.tender
    if checked.credit_allowed_by is not None:
        uow.audit(
            "invoice.credit_allowed",
            "invoice",
            invoice.id,
            {
                "invoice_number": invoice.invoice_number,
                "on_account": documents.rupees(tender.due),
                "by": actor.full_name,
                "allowed_by": checked.credit_allowed_by.full_name,
            },
            branch_id=invoice.branch_id,
        )
    rows: list[Payment] = []
    allocations: list[PaymentAllocation] = []
    change_left = tender.change
    common: dict[str, Any] = {"branch_id": invoice.branch_id, "patient_id": invoice.patient_id}
    for line in tender.lines:
        if line.method is Method.ON_ACCOUNT:
            continue
        payment = None
        if line.method is not Method.ADVANCE:
            change = change_left if line.method is Method.CASH else 0
            change_left -= change
            payment = payment_row(
                **common,
                session_id=checked.session_id,
                kind="sale",
                line=line,
                actor=actor,
                now=uow.now,
                invoice_id=invoice.id,
                tendered=line.amount + change if line.method is Method.CASH else None,
                change=change,
            )
            rows.append(payment)
        allocations.append(
            allocation_row(
                payment,
                **common,
                invoice_id=invoice.id,
                amount=line.amount,
                kind="advance" if payment is None else "payment",
                actor=actor,
                now=uow.now,
            )
        )
    write_money(uow, rows, allocations)
    return tuple(
        DocumentPayment(
            line.method.value,
            checked.settings.label(line.method),
            line.amount,
            line.reference,
            uow.now,
        )
        for line in tender.lines
        if line.method is not Method.ON_ACCOUNT
    )


def _check_credit(
    session: Session,
    patient: Patient,
    due: int,
    approver: CurrentUser | None,
    settings: PaymentSettings | None = None,
) -> uuid.UUID | None:
    """Refuse what would take the patient past their credit limit, unless a manager
    allows it (returns the manager's id when their approval was needed)."""
    limit = patient.credit_limit
    if limit is None:
        limit = (settings or read_payment_settings(session)).default_credit_limit
    if limit is None:
        return None
    account = read_account(session, patient.id)
    if account.balance + due <= limit:
        return None
    if approver is not None and allowed(approver.role, "credit.allow"):
        log.info("credit limit of %s passed with %s's approval", patient.id, approver.username)
        return approver.id
    raise CreditLimitExceeded(
        f"{patient.name} would owe {format_rupees(account.balance + due)}, over their credit "
        f"limit of {format_rupees(limit)}. Take more now, or ask a manager to allow it."
    )


def write_money(
    uow: UnitOfWork, payments: list[Payment], allocations: list[PaymentAllocation]
) -> None:
    """Insert the rows just built (plain INSERTs: nothing reads them back through the
    session) and queue each for the centre."""
    session = uow.session
    if payments:
        insert_rows(session, Payment.__table__, [_values(row) for row in payments])
    if allocations:
        insert_rows(session, PaymentAllocation.__table__, [_values(row) for row in allocations])
    for payment in payments:
        uow.outbox(documents.PAYMENT, payment.id, documents.payment_json(payment))
    for allocation in allocations:
        uow.outbox(
            documents.PAYMENT_ALLOCATION, allocation.id, documents.allocation_json(allocation)
        )


def _values(row: Any) -> dict[str, Any]:
    """The row's columns by key; those a plain object (db.fast_select) holds are read from
    it directly, the rest through the attribute (None for a plain object)."""
    held = row.__dict__
    return {
        column.key: held[column.key] if column.key in held else getattr(row, column.key)
        for column in row.__table__.columns
    }


def _check_money_lines(session: Session, lines: Sequence[TenderLine]) -> list[TenderLine]:
    settings = read_payment_settings(session)
    if not lines:
        raise PaymentError("Add a payment line (method and amount)")
    for line in lines:
        if line.method not in MONEY_METHODS:
            raise PaymentError(
                f"{line.method.label} is not money taken; choose cash, UPI, card or wallet"
            )
    settings.check_offered(line.method for line in lines)
    check_lines(lines, needs_reference=settings.needing_reference, labels=settings.labels)
    return list(lines)


def _take(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    lines: Sequence[TenderLine],
    *,
    now: datetime,
    kind: str,
    open_invoices: Sequence[uuid.UUID] | None,
    action: str,
) -> Receipt:
    """Take money lines for a patient: to `open_invoices` in that order (None: all their
    dues, oldest first), the rest an advance; one payment row per line."""
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        money = _check_money_lines(session, lines)
        patient = session.get(Patient, patient_id)
        if patient is None or patient.retired_at is not None:
            raise NotFound("That patient is not on record.")
        if patient.is_walk_in and kind != "sale":
            raise PaymentError(
                "The walk-in customer has no account: take the payment with the sale"
            )
        branch_id = this_branch_id(session)
        session_id = _session_id(session, branch_id, money)
        only_invoice = None
        if open_invoices is None:
            account = read_account(session, patient_id)
            invoices = [OpenInvoice(str(due.invoice_id), due.owed) for due in account.dues]
        else:
            invoices = [
                OpenInvoice(str(key), invoice_owed(session, session.get_one(InvoiceHeader, key)))
                for key in open_invoices
            ]
        only_invoice = open_invoices[0] if open_invoices and len(open_invoices) == 1 else None
        rows: list[Payment] = []
        allocations: list[PaymentAllocation] = []
        paid_to: dict[str, int] = {}
        to_advance = 0
        common: dict[str, Any] = {"branch_id": branch_id, "patient_id": patient_id}
        for line in money:
            allocation = allocate(line.amount, invoices)
            payment = payment_row(
                **common,
                session_id=session_id,
                kind=kind if allocation.to_invoices or kind == "advance" else "advance",
                line=line,
                actor=actor,
                now=now,
                invoice_id=only_invoice,
            )
            rows.append(payment)
            taken = dict(allocation.to_invoices)
            for key, amount in allocation.to_invoices:
                allocations.append(
                    allocation_row(
                        payment,
                        **common,
                        invoice_id=uuid.UUID(key),
                        amount=amount,
                        kind="payment",
                        actor=actor,
                        now=now,
                    )
                )
                paid_to[key] = paid_to.get(key, 0) + amount
            invoices = [OpenInvoice(inv.key, inv.owed - taken.get(inv.key, 0)) for inv in invoices]
            to_advance += allocation.advance
        write_money(uow, rows, allocations)
        numbers = {
            str(i): n
            for i, n in session.execute(
                select(InvoiceHeader.id, InvoiceHeader.invoice_number).where(
                    InvoiceHeader.id.in_([uuid.UUID(k) for k in paid_to])
                )
            )
        }
        to_invoices = tuple((numbers[key], amount) for key, amount in paid_to.items())
        uow.audit(
            action,
            "patient",
            patient_id,
            {
                "received": documents.rupees(sum(line.amount for line in money)),
                "methods": [line.method.value for line in money],
                "to_invoices": {n: documents.rupees(a) for n, a in to_invoices},
                "to_advance": documents.rupees(to_advance),
            },
        )
        account = read_account(session, patient_id)
        uow.commit()
        return Receipt(tuple(p.id for p in rows), to_invoices, to_advance, account)


def find_invoice(session: Session, number: str) -> InvoiceHeader:
    """The invoice of this number, however its case was typed."""
    invoice = session.scalar(
        select(InvoiceHeader).where(InvoiceHeader.invoice_number == number.strip().upper())
    )
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    return invoice


def take_payment(
    db: Database,
    actor: CurrentUser,
    invoice_number: str,
    lines: Sequence[TenderLine],
    *,
    now: datetime,
) -> Receipt:
    """A payment on one invoice; what is more than it owes becomes the patient's advance."""
    with db.session(write=False) as session:
        invoice = find_invoice(session, invoice_number)
        if invoice.status == "cancelled":
            raise PaymentError(f"Invoice {invoice.invoice_number} is cancelled: nothing is due")
        if invoice_owed(session, invoice) == 0:
            raise PaymentError(
                f"Invoice {invoice.invoice_number} is paid. To keep money for later, take an"
                " advance."
            )
        patient_id, invoice_id = invoice.patient_id, invoice.id
    return _take(
        db,
        actor,
        patient_id,
        lines,
        now=now,
        kind="settlement",
        open_invoices=[invoice_id],
        action="payment.take",
    )


def settle_dues(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    lines: Sequence[TenderLine],
    *,
    now: datetime,
) -> Receipt:
    """ "Settle dues": the payment goes to the patient's open invoices, oldest first; what
    is left over becomes an advance (domain.payments rule 5)."""
    return _take(
        db,
        actor,
        patient_id,
        lines,
        now=now,
        kind="settlement",
        open_invoices=None,
        action="payment.settle",
    )


def take_advance(
    db: Database,
    actor: CurrentUser,
    patient_id: uuid.UUID,
    lines: Sequence[TenderLine],
    *,
    now: datetime,
) -> Receipt:
    """Money paid before a treatment, kept on the patient's account for a later invoice."""
    return _take(
        db,
        actor,
        patient_id,
        lines,
        now=now,
        kind="advance",
        open_invoices=[],
        action="payment.advance",
    )


# Kinds of payment a reversal may undo: money taken. A refund is undone by a new sale.
REVERSIBLE = ("sale", "settlement", "advance")


@dataclass(frozen=True)
class Reversal:
    """A payment reversed: the new row's id, the invoices the money is owed on again (by
    number), and the patient's account after it."""

    reversal_id: uuid.UUID
    amount: int
    method: str
    reopened: tuple[tuple[str, int], ...]
    account: Account


def reverse_payment(
    db: Database,
    actor: CurrentUser,
    payment_id: uuid.UUID,
    reason: str,
    *,
    now: datetime,
    approver: CurrentUser | None = None,
) -> Reversal:
    """Undo a payment taken by mistake (a failed card slip, the wrong method or patient):
    a new row of the opposite amount names the one it reverses, which stays as it was.
    What it paid on invoices is owed again; an advance it made must still be unused. A
    manager reverses, or allows it with their PIN (`approver`); the audit keeps both."""
    allowed_by = approver or actor
    require(allowed_by.role, "payment.reverse")
    reason = " ".join(reason.split())
    if not reason:
        raise PaymentError("Say why the payment is reversed")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        original = session.get(Payment, payment_id)
        if original is None:
            raise NotFound("There is no such payment.")
        if original.kind not in REVERSIBLE or original.amount <= 0:
            raise PaymentError(
                "Only money taken (a sale, a settlement, an advance) can be reversed"
            )
        if session.scalar(select(Payment.id).where(Payment.reverses_id == original.id)):
            raise PaymentError("That payment is reversed already")
        line = TenderLine(Method(original.method), original.amount, original.reference)
        row = payment_row(
            branch_id=original.branch_id,
            patient_id=original.patient_id,
            session_id=_session_id(session, original.branch_id, [line]),
            kind="reversal",
            line=TenderLine(line.method, -original.amount, line.reference),
            actor=actor,
            now=now,
            invoice_id=original.invoice_id,
            approved_by=None if approver is None else approver.id,
        )
        row.reverses_id = original.id
        row.notes = reason
        applied = session.execute(
            select(
                PaymentAllocation.invoice_id, InvoiceHeader.invoice_number, PaymentAllocation.amount
            )
            .join(InvoiceHeader, InvoiceHeader.id == PaymentAllocation.invoice_id)
            .where(PaymentAllocation.payment_id == original.id)
            .order_by(PaymentAllocation.created_at, PaymentAllocation.id)
        ).all()
        allocations = [
            allocation_row(
                row,
                branch_id=original.branch_id,
                patient_id=original.patient_id,
                invoice_id=invoice_id,
                amount=-amount,
                kind="payment",
                actor=actor,
                now=now,
            )
            for invoice_id, _number, amount in applied
        ]
        write_money(uow, [row], allocations)
        if patient_advance(session, original.patient_id) < 0:
            raise PaymentError(
                "The advance this payment made has been used on an invoice since: refund or "
                "cancel that invoice first"
            )
        reopened = tuple((number, amount) for _id, number, amount in applied)
        uow.audit(
            "payment.reverse",
            "payment",
            original.id,
            {
                "reversal_id": str(row.id),
                "amount": documents.rupees(original.amount),
                "method": original.method,
                "reason": reason,
                "reopened": {n: documents.rupees(a) for n, a in reopened},
                "approved_by": None if approver is None else approver.username,
            },
        )
        account = read_account(session, original.patient_id)
        uow.commit()
    log.info("payment %s reversed by %s", original.id, row.id)
    return Reversal(row.id, original.amount, original.method, reopened, account)


def set_credit_limit(
    db: Database, actor: CurrentUser, patient_id: uuid.UUID, limit: int | None, *, now: datetime
) -> Account:
    """A patient's own credit limit (paise; None: the branch's default) (manager)."""
    require(actor.role, "credit_limit.change")
    if limit is not None and limit < 0:
        raise PaymentError("A credit limit cannot be negative")
    if limit is not None:
        check_amount(limit, "A credit limit")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        patient = session.get(Patient, patient_id)
        if patient is None or patient.retired_at is not None:
            raise NotFound("That patient is not on record.")
        if patient.is_walk_in:
            raise PaymentError("The walk-in customer has no account")
        before = patient.credit_limit
        patient.credit_limit = limit
        patient.updated_at = now
        session.flush()
        uow.outbox(documents.PATIENT, patient.id, documents.patient_json(patient))
        uow.audit(
            "patient.credit_limit",
            "patient",
            patient.id,
            {
                "from": documents.optional_rupees(before),
                "to": documents.optional_rupees(limit),
            },
        )
        account = read_account(session, patient_id)
        uow.commit()
        return account
