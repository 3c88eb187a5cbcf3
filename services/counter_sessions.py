"""The counter session: a desk's day at the drawer (issue #11; the arithmetic is
domain.cash_count).

A session opens with a float, takes cash in and out with a reason, reports at any moment
(the X report) and closes with a count by denomination (the Z report). Everything a session
holds names it by id: payments, cash movements, invoices and credit notes carry its
`session_id`, and the close reads them by that id, never by time, so an invoice saved in
the closing minute belongs to the session that saved it. Every unit of work here begins
with the write lock (services.uow), so a payment and the close never interleave: the
payment either finds the session open and is counted, or finds it closed and is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.fast_select import fetch_one
from db.models import (
    AppSetting,
    Branch,
    CashMovement,
    CounterSession,
    CreditNote,
    InvoiceHeader,
    Payment,
    PaymentAllocation,
    User,
)
from domain.bounds import check_amount
from domain.cash_count import CASH, CashCountError, close_count, expected_by_method
from domain.errors import BadInput, Refused
from domain.money import format_rupees
from domain.permissions import require
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import NotFound
from services.uow import UnitOfWork

DESK_KEY = "desk"
DEFAULT_DESK = "Front desk"
MAX_DESK_LENGTH = 40

OPEN = "open"
CLOSED = "closed"


class SessionRefused(Refused):
    """A session action its state does not allow; the message says what to do instead."""


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class SessionSummary:
    """One counter session as the list shows it; amounts in paise."""

    id: uuid.UUID
    desk: str
    business_date: date
    status: str
    opened_by: str
    opened_at: datetime
    opening_float: int
    closed_by: str | None = None
    closed_at: datetime | None = None
    counted_cash: int | None = None
    difference: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True)
class Movement:
    """Cash put into (`in`) or taken out of (`out`) the drawer, with why and by whom."""

    id: uuid.UUID
    kind: str
    amount: int
    reason: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class SessionReport:
    """The X report (session open) or the Z report (closed); amounts in paise.

    `expected` maps each payment method to what the session should hold, cash first
    (domain.cash_count rules 3 and 4). `dues_raised` is what the session's invoices left
    owing at the sale. The count fields are set once the session is closed."""

    session: SessionSummary
    expected: dict[str, int]
    cash_in: int
    cash_out: int
    cash_takings: int
    cash_refunds: int
    movements: tuple[Movement, ...]
    invoices: int
    invoice_total: int
    cancelled_invoices: int
    credit_notes: int
    credit_note_total: int
    dues_raised: int
    denominations: dict[str, int] = field(default_factory=dict)
    counted_cash: int | None = None
    difference: int | None = None
    difference_reason: str = ""
    branch_name: str = ""
    branch_timezone: str = "Asia/Kolkata"

    @property
    def kind(self) -> str:
        """'Z' once closed, 'X' while open."""
        return "X" if self.session.is_open else "Z"

    @property
    def expected_cash(self) -> int:
        return self.expected.get(CASH, 0)


def desk_name(session: Session) -> str:
    """This installation's desk (AppSetting "desk"), "Front desk" when never named."""
    row = session.get(AppSetting, DESK_KEY)
    return desk_from_setting(None if row is None else row.value)


def desk_from_setting(value: dict[str, Any] | None) -> str:
    """The desk's name from its AppSetting value (None: never named)."""
    name = "" if value is None else str(value.get("name") or "").strip()
    return name or DEFAULT_DESK


# Asked at every sale, so built once (an expression costs more to build than to run).
# The status as a literal, not a parameter: SQLite then uses the partial index of the open
# sessions (uq_counter_sessions_open_desk) instead of reading every session ever closed.
_IS_OPEN = CounterSession.status == literal_column(f"'{OPEN}'")
_OPEN_AT_DESK = select(CounterSession).where(
    CounterSession.branch_id == bindparam("branch"),
    CounterSession.desk == bindparam("desk"),
    _IS_OPEN,
)


def open_session_for(session: Session, branch_id: uuid.UUID) -> CounterSession | None:
    """The open counter session of this desk, read inside the caller's transaction."""
    return session.scalar(_OPEN_AT_DESK, {"branch": branch_id, "desk": desk_name(session)})


_OPEN_ID_AT_DESK = select(CounterSession.id).where(
    CounterSession.branch_id == bindparam("branch"),
    CounterSession.desk == bindparam("desk"),
    _IS_OPEN,
)


def open_session_id(session: Session, branch_id: uuid.UUID, desk: str) -> uuid.UUID | None:
    """The id of the open counter session of `desk` (desk_name), read inside the caller's
    transaction as a plain row (db.fast_select: a sale asks it at every save)."""
    row = fetch_one(session, _OPEN_ID_AT_DESK, {"branch": branch_id, "desk": desk})
    return None if row is None else row.id


def _names(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {row.id: row.full_name for row in rows}


def _summary(counter: CounterSession, names: dict[uuid.UUID, str]) -> SessionSummary:
    return SessionSummary(
        id=counter.id,
        desk=counter.desk,
        business_date=counter.business_date,
        status=counter.status,
        opened_by=names.get(counter.opened_by, "?"),
        opened_at=counter.opened_at,
        opening_float=counter.opening_float,
        closed_by=None if counter.closed_by is None else names.get(counter.closed_by, "?"),
        closed_at=counter.closed_at,
        counted_cash=counter.counted_cash,
        difference=counter.difference,
    )


def _payments_by_method(session: Session, session_id: uuid.UUID) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Payment.method, Payment.amount).where(Payment.session_id == session_id)
    )
    return [(row.method, row.amount) for row in rows]


def _movements(session: Session, session_id: uuid.UUID) -> list[CashMovement]:
    return list(
        session.scalars(
            select(CashMovement)
            .where(CashMovement.session_id == session_id)
            .order_by(CashMovement.created_at, CashMovement.id)
        )
    )


def _expected(session: Session, counter: CounterSession) -> dict[str, int]:
    movements = _movements(session, counter.id)
    cash_in = sum(m.amount for m in movements if m.kind == "in")
    cash_out = sum(m.amount for m in movements if m.kind == "out")
    return expected_by_method(
        counter.opening_float, cash_in, cash_out, _payments_by_method(session, counter.id)
    )


def _dues_raised(session: Session, session_id: uuid.UUID) -> int:
    """Invoice totals of the session less what was applied to them at the sale (the
    allocations written in the invoice's own unit of work)."""
    applied = (
        select(
            PaymentAllocation.invoice_id,
            func.sum(PaymentAllocation.amount).label("applied"),
        )
        .join(InvoiceHeader, InvoiceHeader.id == PaymentAllocation.invoice_id)
        .where(
            InvoiceHeader.session_id == session_id,
            PaymentAllocation.kind.in_(("payment", "advance")),
            PaymentAllocation.created_at == InvoiceHeader.created_at,
        )
        .group_by(PaymentAllocation.invoice_id)
        .subquery()
    )
    rows = session.execute(
        select(InvoiceHeader.total_amount, func.coalesce(applied.c.applied, 0))
        .outerjoin(applied, applied.c.invoice_id == InvoiceHeader.id)
        .where(InvoiceHeader.session_id == session_id, InvoiceHeader.status == "issued")
    )
    return sum(max(total - paid, 0) for total, paid in rows)


def _report(session: Session, counter: CounterSession) -> SessionReport:
    movements = _movements(session, counter.id)
    payments = _payments_by_method(session, counter.id)
    cash_in = sum(m.amount for m in movements if m.kind == "in")
    cash_out = sum(m.amount for m in movements if m.kind == "out")
    if counter.status == CLOSED and counter.expected is not None:
        expected = {str(k): int(v) for k, v in counter.expected.items()}
    else:
        expected = expected_by_method(counter.opening_float, cash_in, cash_out, payments)
    invoices = session.execute(
        select(
            InvoiceHeader.status,
            func.count(),
            func.coalesce(func.sum(InvoiceHeader.total_amount), 0),
        )
        .where(InvoiceHeader.session_id == counter.id)
        .group_by(InvoiceHeader.status)
    ).all()
    issued = next(((n, total) for status, n, total in invoices if status == "issued"), (0, 0))
    cancelled = sum(n for status, n, _ in invoices if status != "issued")
    notes = session.execute(
        select(func.count(), func.coalesce(func.sum(CreditNote.total_amount), 0)).where(
            CreditNote.session_id == counter.id
        )
    ).one()
    names = _names(
        session,
        {counter.opened_by, counter.closed_by, *(m.created_by for m in movements)},
    )
    branch = session.get(Branch, counter.branch_id)
    return SessionReport(
        session=_summary(counter, names),
        expected=expected,
        cash_in=cash_in,
        cash_out=cash_out,
        cash_takings=sum(a for m, a in payments if m == CASH and a > 0),
        cash_refunds=-sum(a for m, a in payments if m == CASH and a < 0),
        movements=tuple(
            Movement(m.id, m.kind, m.amount, m.reason, m.created_at, names.get(m.created_by, "?"))
            for m in movements
        ),
        invoices=int(issued[0]),
        invoice_total=int(issued[1]),
        cancelled_invoices=int(cancelled),
        credit_notes=int(notes[0]),
        credit_note_total=int(notes[1]),
        dues_raised=_dues_raised(session, counter.id),
        denominations=dict(counter.denominations or {}),
        counted_cash=counter.counted_cash,
        difference=counter.difference,
        difference_reason=counter.difference_reason or "",
        branch_name="" if branch is None else branch.name,
        branch_timezone="Asia/Kolkata" if branch is None else branch.timezone,
    )


def _get(session: Session, session_id: uuid.UUID) -> CounterSession:
    counter = session.get(CounterSession, session_id)
    if counter is None or counter.branch_id != this_branch_id(session):
        raise NotFound("There is no such counter session here; 'session list' shows them.")
    return counter


def _current(session: Session) -> CounterSession:
    counter = open_session_for(session, this_branch_id(session))
    if counter is None:
        raise SessionRefused(
            f"No counter session is open at {desk_name(session)}; open one with its float first."
        )
    return counter


def current_session(db: Database) -> SessionSummary | None:
    """This desk's open session, or None."""
    with db.session(write=False) as session:
        counter = open_session_for(session, this_branch_id(session))
        if counter is None:
            return None
        return _summary(counter, _names(session, {counter.opened_by}))


def this_desk(db: Database) -> str:
    """The name of this installation's desk."""
    with db.session(write=False) as session:
        return desk_name(session)


def x_report(db: Database, session_id: uuid.UUID | None = None) -> SessionReport:
    """The report of a session (this desk's open one when no id is given): an X report
    while it is open, its Z report once closed."""
    with db.session(write=False) as session:
        counter = _current(session) if session_id is None else _get(session, session_id)
        return _report(session, counter)


def list_sessions(
    db: Database,
    *,
    start: date | None = None,
    end: date | None = None,
    desk: str | None = None,
    limit: int = 100,
) -> list[SessionSummary]:
    """This branch's sessions, newest first, optionally by business date and desk."""
    with db.session(write=False) as session:
        query = select(CounterSession).where(CounterSession.branch_id == this_branch_id(session))
        if start is not None:
            query = query.where(CounterSession.business_date >= start)
        if end is not None:
            query = query.where(CounterSession.business_date <= end)
        if desk:
            query = query.where(CounterSession.desk == desk)
        rows = list(session.scalars(query.order_by(CounterSession.opened_at.desc()).limit(limit)))
        people: set[uuid.UUID | None] = {r.opened_by for r in rows}
        names = _names(session, people | {r.closed_by for r in rows})
        return [_summary(row, names) for row in rows]


# ----------------------------------------------------------------------------- writing


def _business_date(session: Session, branch_id: uuid.UUID, now: datetime) -> date:
    branch = session.get_one(Branch, branch_id)
    return now.astimezone(ZoneInfo(branch.timezone)).date()


def _clean_desk(desk: str) -> str:
    name = " ".join(desk.split())
    if not name:
        raise BadInput("Name the desk, as 'Front desk' or 'Desk 2'")
    if len(name) > MAX_DESK_LENGTH:
        raise BadInput(f"A desk's name fits in {MAX_DESK_LENGTH} characters")
    return name


def open_session(
    db: Database,
    actor: CurrentUser,
    *,
    opening_float: int,
    now: datetime,
    recorded_at: datetime | None = None,
    desk: str | None = None,
) -> SessionSummary:
    """Open this desk's session with its float (paise). Naming a desk makes it this
    installation's desk from now on. A desk holds one open session at a time."""
    require(actor.role, "session.open")
    if opening_float < 0:
        raise CashCountError("The opening float cannot be below 0")
    check_amount(opening_float, "The opening float")
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        branch_id = this_branch_id(session)
        if desk is not None:
            name = _clean_desk(desk)
            if name != desk_name(session):
                setting = session.get(AppSetting, DESK_KEY)
                if setting is None:
                    session.add(AppSetting(key=DESK_KEY, value={"name": name}))
                else:
                    setting.value = {"name": name}
                uow.audit("session.desk", "app_setting", DESK_KEY, {"name": name})
        name = desk_name(session)
        already = open_session_for(session, branch_id)
        if already is not None:
            opener = _names(session, {already.opened_by}).get(already.opened_by, "someone")
            raise SessionRefused(
                f"{name} already has a session open (opened by {opener} on "
                f"{already.business_date:%d %b %Y}); close it before opening another."
            )
        counter = CounterSession(
            id=uuid.uuid4(),
            branch_id=branch_id,
            desk=name,
            business_date=_business_date(session, branch_id, now),
            status=OPEN,
            opened_by=actor.id,
            opened_at=now,
            opening_float=opening_float,
        )
        session.add(counter)
        session.flush()
        uow.audit(
            "session.open",
            "counter_session",
            counter.id,
            {"desk": name, "opening_float": documents.rupees(opening_float)},
        )
        uow.outbox(documents.COUNTER_SESSION, counter.id, documents.counter_session_json(counter))
        summary = _summary(counter, {actor.id: actor.full_name})
        uow.commit()
        return summary


def cash_movement(
    db: Database,
    actor: CurrentUser,
    *,
    kind: str,
    amount: int,
    reason: str,
    now: datetime,
    recorded_at: datetime | None = None,
) -> Movement:
    """Put cash into (`in`) or take it out of (`out`) this desk's open session's drawer,
    with a reason; taking out more than the drawer should hold is refused."""
    require(actor.role, "session.cash")
    if kind not in ("in", "out"):
        raise BadInput("Cash moves 'in' or 'out'")
    if amount <= 0:
        raise BadInput("The amount must be above 0")
    check_amount(amount, "The amount")
    reason = " ".join(reason.split())
    if not reason:
        raise BadInput("Give the reason the cash moved (as 'change from the bank')")
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        counter = _current(session)
        if kind == "out":
            in_drawer = _expected(session, counter)[CASH]
            if amount > in_drawer:
                raise SessionRefused(
                    f"The drawer should hold {format_rupees(in_drawer)}; "
                    f"{format_rupees(amount)} cannot come out of it."
                )
        row = CashMovement(
            id=uuid.uuid4(),
            branch_id=counter.branch_id,
            session_id=counter.id,
            kind=kind,
            amount=amount,
            reason=reason,
            created_at=now,
            created_by=actor.id,
        )
        session.add(row)
        session.flush()
        uow.audit(
            f"session.cash_{kind}",
            "cash_movement",
            row.id,
            {"session_id": str(counter.id), "amount": documents.rupees(amount), "reason": reason},
        )
        uow.outbox(documents.CASH_MOVEMENT, row.id, documents.cash_movement_json(row))
        movement = Movement(row.id, kind, amount, reason, now, actor.full_name)
        uow.commit()
        return movement


def close_session(
    db: Database,
    actor: CurrentUser,
    session_id: uuid.UUID,
    *,
    denominations: dict[str, int],
    reason: str,
    now: datetime,
    recorded_at: datetime | None = None,
) -> SessionReport:
    """Close the session `session_id` with the cash counted by denomination (label ->
    count; "coins" -> paise) and, when the count differs from what was expected, a reason.
    What it holds is read by its id, inside the close's own transaction. Returns the Z
    report."""
    require(actor.role, "session.close")
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        counter = _get(session, session_id)
        if counter.status != OPEN:
            names = _names(session, {counter.closed_by})
            closer = "someone" if counter.closed_by is None else names.get(counter.closed_by, "?")
            when = "" if counter.closed_at is None else f" at {counter.closed_at:%H:%M}"
            raise SessionRefused(
                f"This session was already closed by {closer}{when}; 'session x' on it "
                "shows its Z report."
            )
        expected = _expected(session, counter)
        count = close_count(denominations, expected[CASH], reason)
        counter.status = CLOSED
        counter.closed_by = actor.id
        counter.closed_at = now
        counter.counted_cash = count.counted
        counter.denominations = count.denominations
        counter.expected = expected
        counter.difference = count.difference
        counter.difference_reason = count.reason or None
        session.flush()
        uow.audit(
            "session.close",
            "counter_session",
            counter.id,
            {
                "counted_cash": documents.rupees(count.counted),
                "expected_cash": documents.rupees(count.expected),
                "difference": documents.rupees(count.difference),
                "reason": count.reason,
            },
        )
        uow.outbox(documents.COUNTER_SESSION, counter.id, documents.counter_session_json(counter))
        report = _report(session, counter)
        uow.commit()
        return report
