"""Today's takings, for the manager (issue #11): the days' sales and refunds, the money
taken and paid back by method, the dues raised and settled, the advances taken and used.

Dates are the branch's business dates: an invoice counts on its `invoice_date`, a credit
note on its `note_date`, money on the branch's local date of the moment it moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db.engine import Database
from db.models import Branch, CreditNote, InvoiceHeader, Payment, PaymentAllocation
from domain.errors import BadInput
from domain.permissions import require
from services.auth import CurrentUser
from services.branch import this_branch_id

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


def takings(db: Database, actor: CurrentUser, start: date, end: date) -> Takings:
    """The branch's takings from `start` to `end`, both included (manager)."""
    require(actor.role, "takings.read")
    if end < start:
        raise BadInput("The range ends before it starts; put the earlier date first")
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
