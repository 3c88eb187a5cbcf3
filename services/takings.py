"""Today's takings, for the manager (issue #11): the days' sales and refunds, the money
taken and paid back by method, the dues raised and settled, the advances taken and used.

Dates are the branch's business dates: an invoice counts on its `invoice_date`, a credit
note on its `note_date`, money on the branch's local date of the moment it moved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db import central_reports
from db.engine import Database
from db.models import Branch, CreditNote, InvoiceHeader, Payment, PaymentAllocation
from domain.errors import BadInput
from domain.permissions import require
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.gst_report import document_paise

METHOD_ORDER = ("cash", "upi", "card", "wallet")


@dataclass(frozen=True)
class MethodTakings:
    """Money by one method (paise): taken in, paid back (as a positive amount), and net."""

    method: str
    received: int
    paid_back: int

    @property
    def net(self) -> int:
        return self.received - self.paid_back


@dataclass(frozen=True)
class Takings:
    """The figures for `start` to `end` (inclusive), in paise."""

    start: date
    end: date
    invoices: int
    sales: int
    cancelled: int
    credit_notes: int
    refunds: int
    by_method: tuple[MethodTakings, ...]
    dues_raised: int
    dues_settled: int
    advances_taken: int
    advances_used: int

    @property
    def net_sales(self) -> int:
        return self.sales - self.refunds

    @property
    def received(self) -> int:
        return sum(m.received for m in self.by_method)

    @property
    def paid_back(self) -> int:
        return sum(m.paid_back for m in self.by_method)

    @property
    def net_money(self) -> int:
        return self.received - self.paid_back


def _bounds(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    """The instants (UTC) of the branch's local midnight starting `start` and after `end`."""
    first = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return first, after


def _local(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _dues_raised(
    session: Session, branch_id: uuid.UUID, zone: ZoneInfo, start: date, end: date
) -> int:
    """Invoice totals in the range less what was applied to each on its own day."""
    invoices = {
        row.id: (row.invoice_date, row.total_amount)
        for row in session.execute(
            select(InvoiceHeader.id, InvoiceHeader.invoice_date, InvoiceHeader.total_amount).where(
                InvoiceHeader.branch_id == branch_id,
                InvoiceHeader.status == "issued",
                InvoiceHeader.is_history.is_(False),
                InvoiceHeader.invoice_date >= start,
                InvoiceHeader.invoice_date <= end,
            )
        )
    }
    applied: dict[uuid.UUID, int] = {}
    if invoices:
        rows = session.execute(
            select(
                PaymentAllocation.invoice_id,
                PaymentAllocation.amount,
                PaymentAllocation.created_at,
            ).where(
                PaymentAllocation.invoice_id.in_(invoices),
                PaymentAllocation.kind.in_(("payment", "advance")),
            )
        )
        for invoice_id, amount, created_at in rows:
            if _local(created_at, zone) == invoices[invoice_id][0]:
                applied[invoice_id] = applied.get(invoice_id, 0) + amount
    return sum(max(total - applied.get(i, 0), 0) for i, (_, total) in invoices.items())


def takings(
    db: Database, actor: CurrentUser, start: date, end: date, *, branches: Sequence[str] = ()
) -> Takings:
    """The branch's takings from `start` to `end`, both included (manager); on the centre
    (the head office), the sum of the branches with the codes `branches` (none: every
    branch), each read from the documents it pushed, by its own business dates."""
    require(actor.role, "takings.read")
    if end < start:
        raise BadInput("The range ends before it starts; put the earlier date first")
    if db.on_centre:
        return _chain_takings(db, start, end, branches)
    if branches:
        raise BadInput(
            "A branch filter is for the head office: read the takings on the centre "
            "(frontdesk --central URL ...)."
        )
    with db.session(write=False) as session:
        branch_id = this_branch_id(session)
        zone = ZoneInfo(session.get_one(Branch, branch_id).timezone)
        first, after = _bounds(zone, start, end)
        in_days = (
            InvoiceHeader.branch_id == branch_id,
            InvoiceHeader.is_history.is_(False),
            InvoiceHeader.invoice_date >= start,
            InvoiceHeader.invoice_date <= end,
        )
        by_status = {
            status: (count, total)
            for status, count, total in session.execute(
                select(
                    InvoiceHeader.status,
                    func.count(),
                    func.coalesce(func.sum(InvoiceHeader.total_amount), 0),
                )
                .where(*in_days)
                .group_by(InvoiceHeader.status)
            )
        }
        notes = session.execute(
            select(func.count(), func.coalesce(func.sum(CreditNote.total_amount), 0)).where(
                CreditNote.branch_id == branch_id,
                CreditNote.note_date >= start,
                CreditNote.note_date <= end,
            )
        ).one()
        in_time = (
            Payment.branch_id == branch_id,
            Payment.created_at >= first,
            Payment.created_at < after,
        )
        money: dict[str, list[int]] = {}
        for method, amount in session.execute(
            select(Payment.method, Payment.amount).where(*in_time)
        ):
            pair = money.setdefault(method, [0, 0])
            if amount > 0:
                pair[0] += amount
            else:
                pair[1] -= amount
        methods = [m for m in METHOD_ORDER if m in money] + sorted(
            m for m in money if m not in METHOD_ORDER
        )
        allocated = (
            PaymentAllocation.branch_id == branch_id,
            PaymentAllocation.created_at >= first,
            PaymentAllocation.created_at < after,
        )
        # A reversal counts with what it reverses (its rows are the negative of those).
        reversed_ = aliased(Payment)
        kind = func.coalesce(reversed_.kind, Payment.kind)
        settled = session.scalar(
            select(func.coalesce(func.sum(PaymentAllocation.amount), 0))
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .outerjoin(reversed_, reversed_.id == Payment.reverses_id)
            .where(*allocated, kind == "settlement")
        )
        advances_used = session.scalar(
            select(func.coalesce(func.sum(PaymentAllocation.amount), 0)).where(
                *allocated, PaymentAllocation.kind == "advance"
            )
        )
        advances_taken = session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0))
            .outerjoin(reversed_, reversed_.id == Payment.reverses_id)
            .where(*in_time, kind == "advance")
        )
        issued = by_status.get("issued", (0, 0))
        return Takings(
            start=start,
            end=end,
            invoices=int(issued[0]),
            sales=int(issued[1]),
            cancelled=int(sum(n for s, (n, _) in by_status.items() if s != "issued")),
            credit_notes=int(notes[0]),
            refunds=int(notes[1]),
            by_method=tuple(MethodTakings(m, money[m][0], money[m][1]) for m in methods),
            dues_raised=_dues_raised(session, branch_id, zone, start, end),
            dues_settled=int(settled or 0),
            advances_taken=int(advances_taken or 0),
            advances_used=int(advances_used or 0),
        )


# ---------------------------------------------------------------------------- the centre

# A branch that has not reported its details yet is read in the product's default zone.
DEFAULT_TIMEZONE = "Asia/Kolkata"


def _pushed_takings(
    session: Session, branch: central_reports.ReportedBranch, start: date, end: date
) -> Takings:
    """One branch's takings from the documents it pushed, as `takings` reads its file."""
    zone = ZoneInfo(branch.timezone or DEFAULT_TIMEZONE)
    first, after = _bounds(zone, start, end)
    issued: dict[str, tuple[date, int]] = {}
    cancelled = 0
    for invoice_id, payload, was_cancelled in central_reports.invoices(
        session, branch.branch_id, start, end
    ):
        if was_cancelled:
            cancelled += 1
        else:
            day = date.fromisoformat(payload["invoice_date"])
            issued[str(invoice_id)] = (day, document_paise(payload["totals"]["payable"]))
    notes = [
        document_paise(note["total_amount"])
        for note, _invoice in central_reports.credit_notes(session, branch.branch_id, start, end)
    ]
    money: dict[str, list[int]] = {}
    advances_taken = 0
    for payment, reversed_kind in central_reports.payments(session, branch.branch_id, first, after):
        amount = document_paise(payment["amount"])
        pair = money.setdefault(payment["method"], [0, 0])
        if amount > 0:
            pair[0] += amount
        else:
            pair[1] -= amount
        if (reversed_kind or payment["kind"]) == "advance":
            advances_taken += amount
    settled = advances_used = 0
    for allocation, kind, reversed_kind in central_reports.allocations(
        session, branch.branch_id, first=first, after=after
    ):
        amount = document_paise(allocation["amount"])
        if kind is not None and (reversed_kind or kind) == "settlement":
            settled += amount
        if allocation["kind"] == "advance":
            advances_used += amount
    # Dues raised: each issued invoice's total less what was applied to it on its own day.
    applied: dict[str, int] = {}
    if issued:
        for allocation, _kind, _reversed in central_reports.allocations(
            session, branch.branch_id, invoice_ids=list(issued)
        ):
            invoice_id = allocation["invoice_id"]
            moment = datetime.fromisoformat(allocation["created_at"])
            if allocation["kind"] in ("payment", "advance") and (
                _local(moment, zone) == issued[invoice_id][0]
            ):
                applied[invoice_id] = applied.get(invoice_id, 0) + document_paise(
                    allocation["amount"]
                )
    return Takings(
        start=start,
        end=end,
        invoices=len(issued),
        sales=sum(total for _day, total in issued.values()),
        cancelled=cancelled,
        credit_notes=len(notes),
        refunds=sum(notes),
        by_method=_by_method(money),
        dues_raised=sum(max(total - applied.get(i, 0), 0) for i, (_, total) in issued.items()),
        dues_settled=settled,
        advances_taken=advances_taken,
        advances_used=advances_used,
    )


def _by_method(money: dict[str, list[int]]) -> tuple[MethodTakings, ...]:
    methods = [m for m in METHOD_ORDER if m in money] + sorted(
        m for m in money if m not in METHOD_ORDER
    )
    return tuple(MethodTakings(m, money[m][0], money[m][1]) for m in methods)


def _chain_takings(db: Database, start: date, end: date, codes: Sequence[str]) -> Takings:
    """The chosen branches' takings added up (each by its own business dates)."""
    with db.session(write=False) as session:
        parts = [
            _pushed_takings(session, branch, start, end)
            for branch in central_reports.chosen_branches(session, codes)
        ]
    money: dict[str, list[int]] = {}
    for part in parts:
        for method in part.by_method:
            pair = money.setdefault(method.method, [0, 0])
            pair[0] += method.received
            pair[1] += method.paid_back
    return Takings(
        start=start,
        end=end,
        invoices=sum(p.invoices for p in parts),
        sales=sum(p.sales for p in parts),
        cancelled=sum(p.cancelled for p in parts),
        credit_notes=sum(p.credit_notes for p in parts),
        refunds=sum(p.refunds for p in parts),
        by_method=_by_method(money),
        dues_raised=sum(p.dues_raised for p in parts),
        dues_settled=sum(p.dues_settled for p in parts),
        advances_taken=sum(p.advances_taken for p in parts),
        advances_used=sum(p.advances_used for p in parts),
    )
