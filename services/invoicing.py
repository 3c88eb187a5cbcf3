"""Pricing, saving and cancelling invoices at the counter.

Saving is one transaction (BEGIN IMMEDIATE, so two counters queue): the cart is priced
again with the promotions' counts as they are now, the next gap-free number is taken, the
invoice and its lines are written with seed 000's fields and `campaigns_applied`, then the
promotion tracking (one usage row per promotion, counters, auto-deactivation) runs inside a
savepoint, and the outbox document and audit entry are added. A tracking failure rolls back
only the savepoint: the invoice is saved, the failure logged, and `rebuild_usage` repairs
the usage from the invoices' `campaigns_applied` later.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from db import usage_sync
from db.engine import Database
from db.fast_insert import insert_rows
from db.fast_select import (
    fetch,
    fetch_one,
    kept,
    plain_object,
    remember,
    remember_reads,
    remembered,
    savepoint,
)
from db.models import (
    AppSetting,
    Branch,
    CatalogItem,
    CreditNote,
    InvoiceHeader,
    InvoiceLineItem,
    Patient,
    PromoCode,
    PromotionCampaign,
    PromotionUsageItem,
    PromotionUsageLog,
)
from domain.bounds import MAX_QUANTITY
from domain.fiscal import ClosedPeriod, check_document_date
from domain.gst import Taxability, document_type, place_of_supply, split_line
from domain.log import invoicing as log
from domain.money import rupees_to_paise
from domain.payments import TenderLine
from domain.permissions import require
from domain.promotion_rules import PromoCode as DomainPromoCode
from domain.promotion_rules import (
    Promotion,
    normalise_code,
    promo_code_from_row,
    promotion_from_row,
)
from domain.promotions import (
    CartLine,
    ItemType,
    PatientHistory,
    PricedCart,
    PromotionBook,
    price_cart,
)
from domain.usage_limits import count_use
from services import documents, sponsors
from services.auth import CurrentUser
from services.branch import THIS_BRANCH_KEY
from services.catalog import items_priced_on, prices_on
from services.counter_sessions import DESK_KEY, desk_from_setting
from services.errors import NotFound, ServiceError
from services.invoice_document import (
    InvoiceDocument,
    build_invoice_document,
    load_invoice_document,
)
from services.numbering import allocate_invoice_number
from services.payment_settings import PAYMENT_SETTINGS_KEY, PaymentSettings, settings_from_json
from services.payments import check_sale_tender, record_sale_tender
from services.uow import UnitOfWork


@dataclass(frozen=True)
class CartItem:
    """One line as the counter holds it: which item, how many, any manual discount."""

    item_id: uuid.UUID
    quantity: int = 1
    manual_discount_percent: Decimal | None = None


@dataclass(frozen=True)
class CartRequest:
    """A cart to price or save: the patient, the lines in the order typed, codes entered."""

    patient_id: uuid.UUID | None
    items: tuple[CartItem, ...]
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Quote:
    """A priced cart. `priced.lines[i]` belongs to `request.items[i]` (line key str(i))."""

    request: CartRequest
    priced: PricedCart
    invoice_date: date

    @property
    def refused_codes(self) -> list[str]:
        """Sentences for the codes typed that did not apply."""
        return [c.message for c in self.priced.codes if not c.applied]


class InvoiceError(ServiceError):
    """The cart cannot be priced or saved as it is (the message says what to change)."""


class CodeRefused(InvoiceError):
    """A promo code typed at the counter cannot apply; nothing was saved."""

    def __init__(self, message: str, quote: Quote) -> None:
        super().__init__(message)
        self.quote = quote


class DiscountOverLimit(InvoiceError):
    """A manual discount beyond the person's limit: a manager's approval on the spot (their
    PIN) allows it up to the manager's own limit."""


class PriceChanged(InvoiceError):
    """Between the quote and the save a promotion's limits changed (another counter used
    the last use, say); nothing was saved and `quote` holds the new prices."""

    def __init__(self, message: str, quote: Quote) -> None:
        super().__init__(message)
        self.quote = quote


# ----------------------------------------------------------------------------- pricing


# What a save reads of app_settings, in one statement: this database's branch, the payment
# methods and the desk's name (services.branch, payment_settings, counter_sessions).
_SETTINGS = select(AppSetting.key, AppSetting.value).where(
    or_(
        AppSetting.key == THIS_BRANCH_KEY,
        AppSetting.key == PAYMENT_SETTINGS_KEY,
        AppSetting.key == DESK_KEY,
    )
)
_BRANCH = select(Branch.__table__).where(Branch.id == bindparam("id"))
_PATIENT = select(Patient.__table__).where(Patient.id == bindparam("id"))


@dataclass(frozen=True)
class _Settings:
    """The app_settings a save reads (_SETTINGS)."""

    branch_id: uuid.UUID
    payments: PaymentSettings
    desk: str


def _settings(session: Session) -> _Settings:
    return remembered(session, ("settings",), lambda: _read_settings(session))


def _read_settings(session: Session) -> _Settings:
    values = {row.key: row.value for row in fetch(session, _SETTINGS)}
    if THIS_BRANCH_KEY not in values:
        raise NotFound("This database has not been set up yet. Run 'frontdesk init' first.")
    return _Settings(
        uuid.UUID(values[THIS_BRANCH_KEY]["branch_id"]),
        settings_from_json(values.get(PAYMENT_SETTINGS_KEY)),
        desk_from_setting(values.get(DESK_KEY)),
    )


def _branch(session: Session, branch_id: uuid.UUID | None = None) -> Branch:
    """This database's branch as a plain copy of its row (not an object of the session)."""
    if branch_id is None:
        branch_id = _settings(session).branch_id
    return remembered(session, ("branch", branch_id), lambda: _read_branch(session, branch_id))


def _read_branch(session: Session, branch_id: uuid.UUID) -> Branch:
    row = fetch_one(session, _BRANCH, {"id": branch_id})
    if row is None:
        raise NotFound("This database's branch is missing.")
    return plain_object(Branch, row._asdict())


def _patient(session: Session, patient_id: uuid.UUID) -> Patient:
    """A patient on record, as a plain copy of their row."""
    return remembered(session, ("patient", patient_id), lambda: _read_patient(session, patient_id))


def _read_patient(session: Session, patient_id: uuid.UUID) -> Patient:
    row = fetch_one(session, _PATIENT, {"id": patient_id})
    if row is None or row.retired_at is not None:
        raise NotFound("That patient is not on record.")
    return plain_object(Patient, row._asdict())


def _local_date(branch: Branch, now: datetime) -> date:
    return now.astimezone(ZoneInfo(branch.timezone)).date()


def _check_request(
    actor: CurrentUser, request: CartRequest, approver: CurrentUser | None = None
) -> None:
    """A cart the person may save: lines of 1 to 999 units (domain.bounds), discounts within their limit or, with
    a manager's approval on the spot, within the manager's."""
    limit = actor.max_manual_discount_percent
    if approver is not None:
        require(approver.role, "discount.approve")
        limit = max(limit, approver.max_manual_discount_percent)
    if not request.items:
        raise InvoiceError("Add at least one item to the invoice.")
    for item in request.items:
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise InvoiceError(f"Quantities are whole numbers from 1 to {MAX_QUANTITY}.")
        manual = item.manual_discount_percent
        if manual is not None:
            if manual < 0:
                raise InvoiceError("A discount cannot be negative.")
            if manual > limit:
                if approver is not None:
                    raise InvoiceError(
                        f"{approver.full_name}'s discount limit is {limit.normalize():f}%."
                    )
                raise DiscountOverLimit(
                    f"Your discount limit is {actor.max_manual_discount_percent.normalize():f}%;"
                    " ask a manager for more."
                )


def _cart_lines(
    session: Session, request: CartRequest, today: date
) -> tuple[list[CartLine], dict[uuid.UUID, CatalogItem], dict[uuid.UUID, tuple[int, int]]]:
    """The cart's lines at the prices in force `today`, its items, and (price, cost) by id."""
    ids = frozenset(item.item_id for item in request.items)
    found = remembered(session, ("items", ids, today), lambda: items_priced_on(session, ids, today))
    items = {i: item for i, (item, _price, _cost) in found.items()}
    prices = {i: (price, cost) for i, (_item, price, cost) in found.items()}
    lines = []
    for index, wanted in enumerate(request.items):
        item = items.get(wanted.item_id)
        if item is None:
            raise NotFound("An item on this invoice is no longer in the catalog.")
        lines.append(
            _line(
                str(index),
                item,
                wanted.quantity,
                wanted.manual_discount_percent or None,
                price=prices[item.id][0],
            )
        )
    return lines, items, prices


# Asked at every pricing, so built once (an expression costs more to build than to run).
_LIVE_PROMOTIONS = select(PromotionCampaign.__table__).where(PromotionCampaign.retired_at.is_(None))
_LIVE_USE = PromotionUsageLog.reversed_at.is_(None) & (
    PromotionUsageLog.patient_id == bindparam("patient")
)
_USES_BY_PROMOTION = (
    select(PromotionUsageLog.campaign_id, func.count())
    .where(_LIVE_USE)
    .group_by(PromotionUsageLog.campaign_id)
)
_USES_BY_CODE = (
    select(PromoCode.code, func.count())
    .join(PromotionUsageLog, PromotionUsageLog.promo_code_id == PromoCode.id)
    .where(_LIVE_USE)
    .group_by(PromoCode.code)
)


def _promotion_rows(session: Session) -> list[Any]:
    """The promotions not retired, as plain rows (named tuples of their columns)."""
    return fetch(session, _LIVE_PROMOTIONS)


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _promo_code(code: PromoCode, branch: Branch) -> DomainPromoCode:
    row = _columns(code)
    if code.auto_deactivated_at is not None:
        row["limit_reached_on"] = _local_date(branch, code.auto_deactivated_at)
    return promo_code_from_row(row)


def _history(session: Session, patient_id: uuid.UUID | None, *, with_codes: bool) -> PatientHistory:
    if patient_id is None:
        return PatientHistory()
    uses = fetch(session, _USES_BY_PROMOTION, {"patient": patient_id})
    code_uses = fetch(session, _USES_BY_CODE, {"patient": patient_id}) if with_codes else []
    return PatientHistory(
        patient_id=str(patient_id),
        prior_uses={str(cid): n for cid, n in uses},
        prior_code_uses={normalise_code(code): n for code, n in code_uses},
    )


@dataclass(frozen=True)
class _Priced:
    """A quote with the rows it was priced from (kept referenced within the session)."""

    quote: Quote
    items: dict[uuid.UUID, CatalogItem]
    promotions: list[Any]  # rows of _LIVE_PROMOTIONS
    prices: dict[uuid.UUID, tuple[int, int]]  # (price, cost) in force, by item id


def _price(
    session: Session,
    branch: Branch,
    request: CartRequest,
    now: datetime,
    *,
    hints: bool,
    explain_all: bool = False,
) -> _Priced:
    today = _local_date(branch, now)
    typed = [normalise_code(code) for code in request.codes if code.strip()]
    codes = (
        session.scalars(
            select(PromoCode).where(
                func.upper(PromoCode.code).in_(typed), PromoCode.retired_at.is_(None)
            )
        ).all()
        if typed
        else []
    )
    # One unit of every item on sale lets the engine word and check (rule 11) hints about
    # items not on the cart; a save shows no hints.
    catalog = _hint_catalog(session, today) if hints else None
    lines, items, prices = _cart_lines(session, request, today)
    # A sponsored promotion whose campaign has spent its impressions is neither shown nor
    # applied (domain.sponsor_billing rule 11's hard stop).
    badges = remembered(
        session, ("badges", today), lambda: sponsors.badges_in_flight(session, today)
    )
    spent = {p for p, badge in badges.items() if not badge.open}
    live = remembered(session, _PROMOTIONS_KEY, lambda: _promotion_rows(session))
    promotions = [row for row in live if row.id not in spent]
    offline = _offline_uses(session, promotions)
    priced = price_cart(
        lines,
        PromotionBook(_promotion(session, row, offline.get(row.id, 0)) for row in promotions),
        now=now,
        today=today,
        patient=_history(session, request.patient_id, with_codes=bool(typed)),
        codes=typed,
        promo_codes=[_promo_code(code, branch) for code in codes],
        item_names=None if catalog is None else {c: line.name for c, line in catalog.items()},
        catalog=catalog,
        explain_all=explain_all,
        hints=hints,
    )
    return _Priced(Quote(request, priced, today), items, promotions, prices)


# The live promotions' rows as a save keeps them (db.fast_select.remember_reads): the save
# moves their counts itself (_track_usage), and keeps the rows as it wrote them
# (_remember_counts), so that the desk's next save need not read them again.
_PROMOTIONS_KEY = ("promotions",)


def _promotion(session: Session, row: Any, offline: int) -> Promotion:
    """The engine's promotion of `row`, kept with the rows (by what a save changes of it)."""
    key = ("promotion", row.id, row.current_uses, row.is_active, row.auto_deactivated_at, offline)
    return remembered(
        session, key, lambda: promotion_from_row(row._asdict() | {"offline_uses": offline})
    )


def _remember_counts(session: Session, moved: Mapping[uuid.UUID, Any]) -> None:
    """The promotions' rows kept for the next save (_PROMOTIONS_KEY) as this save's
    usage tracking wrote them, once it stood (its savepoint released)."""
    rows = kept(session, _PROMOTIONS_KEY)
    if rows is not None and moved:
        remember(session, _PROMOTIONS_KEY, [moved.get(row.id, row) for row in rows])


def _offline_uses(session: Session, promotions: Sequence[Any]) -> dict[uuid.UUID, int]:
    """This branch's uses of each promotion with an offline quota that the centre has not
    acknowledged yet (db.usage_sync), for the engine's rule 1; none on the centre itself
    (the head office sells there directly) or when no promotion has a quota."""
    if session.get_bind().dialect.name != "sqlite" or not any(
        row.branch_offline_quota is not None for row in promotions
    ):
        return {}
    return usage_sync.unsent_net(session)[0]


def _hint_catalog(session: Session, today: date) -> dict[str, CartLine]:
    """code -> a line of one unit at today's price, for every item on sale."""
    rows = session.scalars(
        select(CatalogItem).where(CatalogItem.is_active, CatalogItem.retired_at.is_(None))
    ).all()
    history = prices_on(session, (item.id for item in rows), today)
    return {
        item.code: _line(
            f"hint:{item.code}", item, 1, None, price=history.get(item.id, (item.price, 0))[0]
        )
        for item in rows
    }


def _line(
    key: str, item: CatalogItem, quantity: int, manual: Decimal | None, *, price: int
) -> CartLine:
    return CartLine(
        line_key=key,
        item_id=str(item.id),
        item_code=item.code,
        name=item.name,
        item_type=ItemType(item.item_type),
        category=item.category,
        unit_price=price,
        quantity=quantity,
        max_discount_percent=item.max_discount_percent,
        tax_rate=item.tax_rate,
        manual_discount_percent=manual,
    )


def quote(
    db: Database,
    actor: CurrentUser,
    request: CartRequest,
    *,
    now: datetime,
    explain_all: bool = False,
    approver: CurrentUser | None = None,
) -> Quote:
    """Price a cart without saving it (every signed-in user; `approver`: a manager who
    allowed a discount over the person's limit)."""
    _check_request(actor, request, approver)
    with db.session(write=False) as session:
        branch = _branch(session)
        return _price(session, branch, request, now, hints=True, explain_all=explain_all).quote


# ----------------------------------------------------------------------------- saving


def _same_prices(before: Quote, after: Quote) -> bool:
    """Same totals, and the same promotions giving the same amounts."""

    def given(quote: Quote) -> set[tuple[str, int]]:
        return {(a.campaign_code, a.discount_amount) for a in quote.priced.applied}

    return before.priced.totals == after.priced.totals and given(before) == given(after)


def _changes(before: Quote, after: Quote) -> str:
    lost = {a.campaign_code for a in before.priced.applied} - {
        a.campaign_code for a in after.priced.applied
    }
    reasons = [n.message for n in after.priced.not_applied if n.campaign_code in lost]
    detail = " ".join(reasons) if reasons else "A promotion's limits changed."
    return (
        f"The prices changed while you were billing: {detail} Check the new total and save again."
    )


def save_invoice(
    db: Database,
    actor: CurrentUser,
    request: CartRequest,
    *,
    now: datetime,
    at: datetime | None = None,
    seen: Quote | None = None,
    allow_refused_codes: bool = False,
    payments: Sequence[TenderLine] = (),
    approver: CurrentUser | None = None,
) -> InvoiceDocument:
    """Save the cart as an invoice with its payments in one transaction and return it as
    printed.

    `now` is the branch's clock at saving: it dates the invoice, its audit and outbox rows.
    `at` backdates the invoice (priced and dated then): an admin only, never after `now`,
    in a closed fiscal year or before the last invoice of the series
    (domain.fiscal.check_document_date); the audit row still carries `now`, and says so.

    `seen` is the quote the person looked at: if the cart prices differently now (another
    counter took a promotion's last use), PriceChanged is raised and nothing is saved. A
    typed code that cannot apply raises CodeRefused unless `allow_refused_codes`.
    `payments` is the tender (services.payments; none: all of it on account). `approver`
    is a manager who gave their PIN on the spot for what the person saving may not do (a
    discount over their limit, credit over the patient's limit); the audit keeps both.
    """
    _check_request(actor, request, approver)
    if request.patient_id is None:
        raise InvoiceError("Choose the patient before saving the invoice.")
    if at is not None:
        require(actor.role, "invoice.backdate")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        # This branch, its settings, the patient, the items and the sponsored badges, as
        # read at this desk's last save when nothing was written since (the unit of work
        # stamps them at commit; a save writes none of them).
        remember_reads(session)
        settings = _settings(session)
        patient = _patient(session, request.patient_id)
        branch = _branch(session, settings.branch_id)
        moment = now if at is None else _backdated(session, branch, at, now)
        pricing = _price(session, branch, request, moment, hints=False)
        fresh = pricing.quote
        if fresh.refused_codes and not allow_refused_codes:
            raise CodeRefused(" ".join(fresh.refused_codes), fresh)
        if seen is not None and not _same_prices(seen, fresh):
            raise PriceChanged(_changes(seen, fresh), fresh)
        if patient.is_walk_in:
            _check_walk_in(pricing)
        checked = check_sale_tender(
            session,
            branch.id,
            patient,
            fresh.priced.totals.payable,
            payments,
            approver=approver,
            settings=settings.payments,
            desk=settings.desk,
        )
        discount_approved = approver is not None and any(
            (item.manual_discount_percent or 0) > actor.max_manual_discount_percent
            for item in request.items
        )
        invoice = _write_invoice(
            session,
            actor,
            branch,
            patient,
            pricing,
            now,
            session_id=checked.session_id,
            approved_by=approver.id
            if approver is not None and (discount_approved or checked.credit_allowed_by)
            else None,
        )
        paid = record_sale_tender(uow, invoice, checked)
        try:
            with savepoint(session):
                moved = _track_usage(session, actor, invoice, fresh, moment, pricing.promotions)
            _remember_counts(session, moved)
        except Exception:
            # The invoice stands; rebuild_usage repairs the usage from campaigns_applied.
            log.exception("promotion tracking failed for %s", invoice.invoice_number)
            uow.audit(
                "promotion.tracking_failed",
                "invoice",
                invoice.id,
                {"invoice_number": invoice.invoice_number},
                branch_id=invoice.branch_id,
            )
        session.flush()
        document = build_invoice_document(
            invoice,
            branch,
            patient,
            created_by=actor.full_name,
            promotion_names={p.id: (p.campaign_code, p.campaign_name) for p in pricing.promotions},
        )
        document = replace(document, payments=paid, change_given=checked.tender.change)
        uow.outbox(documents.INVOICE, invoice.id, documents.invoice_json(document))
        details: dict[str, Any] = {
            "invoice_number": invoice.invoice_number,
            "payable": invoice.total_amount,
        }
        if discount_approved and approver is not None:
            details["discount_approved_by"] = approver.full_name
            details["saved_by"] = actor.full_name
        if at is not None:
            details["dated"] = at.isoformat()
        uow.audit("invoice.save", "invoice", invoice.id, details, branch_id=invoice.branch_id)
        uow.commit()
        return document


def _backdated(session: Session, branch: Branch, at: datetime, now: datetime) -> datetime:
    """`at` when an invoice of the branch's series may be dated then; see save_invoice."""
    if at.tzinfo is None:
        raise ValueError("A backdated invoice needs an aware instant.")
    last = session.scalar(
        select(func.max(InvoiceHeader.invoice_date)).where(
            InvoiceHeader.branch_id == branch.id,
            InvoiceHeader.series == branch.invoice_series,
            InvoiceHeader.is_history.is_(False),
        )
    )
    check_document_date(
        _local_date(branch, at),
        today=_local_date(branch, now),
        last_of_series=last,
        start_month=branch.fiscal_year_start_month,
    )
    if at > now:
        raise ClosedPeriod(f"An invoice cannot be dated after now ({now.isoformat()}).")
    return at


def _write_invoice(
    session: Session,
    actor: CurrentUser,
    branch: Branch,
    patient: Patient,
    pricing: _Priced,
    now: datetime,
    *,
    session_id: uuid.UUID | None = None,
    approved_by: uuid.UUID | None = None,
) -> InvoiceHeader:
    quote = pricing.quote
    number = allocate_invoice_number(
        session,
        branch_id=branch.id,
        series=branch.invoice_series,
        invoice_date=quote.invoice_date,
        start_month=branch.fiscal_year_start_month,
        template=branch.number_format,
        branch_code=branch.branch_code,
    )
    totals = quote.priced.totals
    # GST (domain.gst): the place of supply decides CGST/SGST or IGST; the lines' items
    # decide the document.
    place = place_of_supply(branch.state_code, patient.gstin)
    inter_state = bool(branch.state_code) and place != branch.state_code
    catalog = {
        priced.line_key: pricing.items[uuid.UUID(priced.line.item_id)]
        for priced in quote.priced.lines
    }
    kinds = [Taxability(catalog[priced.line_key].taxability) for priced in quote.priced.lines]
    header: dict[str, Any] = dict(
        id=uuid.uuid4(),
        branch_id=branch.id,
        invoice_number=number.text,
        series=number.series,
        fiscal_year=number.fiscal_year,
        sequence_no=number.sequence,
        invoice_date=quote.invoice_date,
        patient_id=quote.request.patient_id,
        created_by=actor.id,
        created_at=now,
        status="issued",
        gross_amount=totals.gross,
        total_discount=totals.total_discount,
        tax_amount=totals.tax,
        round_off=totals.round_off,
        total_amount=totals.payable,
        campaigns_applied=documents.json_ready(quote.priced.campaigns_applied),
        promo_codes_entered={"codes": list(quote.request.codes)} if quote.request.codes else None,
        is_history=False,
        notes="",
        document_type=document_type(
            kinds, supplier_registered=bool(branch.gstin), recipient_registered=bool(patient.gstin)
        ).value,
        place_of_supply=place,
        recipient_gstin=patient.gstin,
        session_id=session_id,
        approved_by=approved_by,
        total_quantity=sum(priced.line.quantity for priced in quote.priced.lines),
        total_cost=sum(
            priced.line.quantity * pricing.prices[uuid.UUID(priced.line.item_id)][1]
            for priced in quote.priced.lines
        ),
    )
    lines: list[dict[str, Any]] = []
    for number_on_invoice, priced in enumerate(quote.priced.lines, start=1):
        line = priced.line
        item = catalog[priced.line_key]
        gst = split_line(priced.line_total, line.tax_rate, inter_state=inter_state)
        lines.append(
            dict(
                id=uuid.uuid4(),
                invoice_id=header["id"],
                line_no=number_on_invoice,
                item_id=uuid.UUID(line.item_id),
                item_code=line.item_code,
                item_name=line.name,
                item_type=line.item_type.value,
                category=line.category,
                quantity=line.quantity,
                unit_price=line.unit_price,
                unit_cost=pricing.prices[uuid.UUID(line.item_id)][1],
                gross_amount=priced.gross_amount,
                discount_type=priced.discount_type.value if priced.discount_type else None,
                discount_percent=priced.discount_percent,
                discount_amount=priced.discount_amount,
                promotion_id=uuid.UUID(priced.promotion_id) if priced.promotion_id else None,
                badge_text=priced.badge_text,
                tax_rate=line.tax_rate,
                tax_amount=priced.tax_amount,
                line_total=priced.line_total,
                hsn_sac=item.hsn_sac,
                taxability=item.taxability,
                taxable_value=gst.taxable_value,
                cgst_amount=gst.cgst,
                sgst_amount=gst.sgst,
                igst_amount=gst.igst,
            )
        )
    # Plain inserts of the rows just built: nothing reads them back through the session, and
    # the unit of work's bookkeeping was most of the time a save took. The invoice returned
    # is a plain object of them, for the document.
    insert_rows(session, InvoiceHeader.__table__, [header])
    insert_rows(session, InvoiceLineItem.__table__, lines)
    invoice = plain_object(InvoiceHeader, header)
    invoice.__dict__["lines"] = [plain_object(InvoiceLineItem, line) for line in lines]
    return invoice


def _check_walk_in(pricing: _Priced) -> None:
    """The walk-in customer buys products only: a service is given to a registered patient."""
    services = sorted(
        {item.name for item in pricing.items.values() if item.item_type != ItemType.PRODUCT.value}
    )
    if services:
        raise InvoiceError(
            f"A walk-in sale is for products only; register the patient for {', '.join(services)}."
        )


def _track_usage(
    session: Session,
    actor: CurrentUser,
    invoice: InvoiceHeader,
    quote: Quote,
    now: datetime,
    promotions: Sequence[Any],
) -> dict[uuid.UUID, Any]:
    """One usage row per applied promotion with the items it discounted, its counter, and
    auto-deactivation of a promotion or code at its limit. `promotions`: the rows it was
    priced from, read in this transaction (their counts are the ones to move). It writes
    through db.fast_select and db.fast_insert only, none through the session's objects, so
    that save_invoice may wrap it in fast_select.savepoint. Returns the promotions' rows
    as it left them, by id."""
    rows = {row.id: row for row in promotions}
    moved: dict[uuid.UUID, Any] = {}
    line_rows = {str(index): row for index, row in enumerate(invoice.lines)}
    uses: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for applied in quote.priced.applied:
        promotion_id = uuid.UUID(applied.promotion_id)
        code_id = uuid.UUID(applied.promo_code_id) if applied.promo_code_id else None
        use_id = uuid.uuid4()
        uses.append(
            {
                "id": use_id,
                "campaign_id": promotion_id,
                "branch_id": invoice.branch_id,
                "patient_id": invoice.patient_id,
                "invoice_id": invoice.id,
                "promo_code_id": code_id,
                "usage_date": now,
                "discount_amount": applied.discount_amount,
                "applied_by": actor.id,
            }
        )
        for priced in quote.priced.lines:
            for share in priced.shares:
                if share.promotion_id == applied.promotion_id and share.amount:
                    row = line_rows[priced.line_key]
                    items.append(
                        {
                            "id": uuid.uuid4(),
                            "usage_id": use_id,
                            "invoice_line_id": row.id,
                            "item_id": row.item_id,
                            "item_code": row.item_code,
                            "item_name": row.item_name,
                            "discount_amount": share.amount,
                        }
                    )
        promotion = moved.get(promotion_id) or rows.get(promotion_id)
        if promotion is None:
            promotion = fetch_one(session, _PROMOTION_ROW, {"id": promotion_id})
        moved[promotion_id] = _count_row_use(session, promotion, +1, now)
        if code_id is not None:
            _count_row_code_use(session, fetch_one(session, _CODE_ROW, {"id": code_id}), +1, now)
    if uses:
        insert_rows(session, PromotionUsageLog.__table__, uses)
    if items:
        insert_rows(session, PromotionUsageItem.__table__, items)
    return moved


def _count_code_use(session: Session, code_id: uuid.UUID, step: int, now: datetime) -> str | None:
    """Move a code's use count (domain.usage_limits); returns "expired" or "reactivated"
    when that switched it off or on."""
    code = session.get_one(PromoCode, code_id)
    counted = count_use(
        code.current_uses,
        code.max_uses,
        step,
        active=code.status == "active",
        auto_deactivated=code.auto_deactivated_at is not None,
        auto_deactivate=code.auto_deactivate_on_max_uses,
    )
    code.current_uses = counted.uses
    code.updated_at = now
    if counted.deactivate:
        code.status = "expired"
        code.auto_deactivated_at = now
        log.info("code %s reached its limit of %s uses", code.code, code.max_uses)
        return "expired"
    if counted.reactivate:
        code.status = "active"
        code.auto_deactivated_at = None
        return "reactivated"
    return None


_promotion_column = PromotionCampaign.__table__.c
_SET_USES = (
    update(PromotionCampaign)
    .where(_promotion_column.id == bindparam("b_id", type_=_promotion_column.id.type))
    .values(
        current_uses=bindparam("b_uses", type_=_promotion_column.current_uses.type),
        updated_at=bindparam("b_now", type_=_promotion_column.updated_at.type),
        is_active=bindparam("b_active", type_=_promotion_column.is_active.type),
        auto_deactivated_at=bindparam("b_off", type_=_promotion_column.auto_deactivated_at.type),
    )
    .execution_options(synchronize_session=False)
)


_PROMOTION_ROW = select(PromotionCampaign.__table__).where(PromotionCampaign.id == bindparam("id"))
_CODE_ROW = select(PromoCode.__table__).where(PromoCode.id == bindparam("id"))
_code_column = PromoCode.__table__.c
_SET_CODE_USES = (
    update(PromoCode)
    .where(_code_column.id == bindparam("b_id", type_=_code_column.id.type))
    .values(
        current_uses=bindparam("b_uses", type_=_code_column.current_uses.type),
        updated_at=bindparam("b_now", type_=_code_column.updated_at.type),
        status=bindparam("b_status", type_=_code_column.status.type),
        auto_deactivated_at=bindparam("b_off", type_=_code_column.auto_deactivated_at.type),
    )
    .execution_options(synchronize_session=False)
)


def _count_row_code_use(session: Session, code: Any, step: int, now: datetime) -> None:
    """_count_code_use for a code's row read in this transaction, as one plain UPDATE."""
    counted = count_use(
        code.current_uses,
        code.max_uses,
        step,
        active=code.status == "active",
        auto_deactivated=code.auto_deactivated_at is not None,
        auto_deactivate=code.auto_deactivate_on_max_uses,
    )
    status, off = code.status, code.auto_deactivated_at
    if counted.deactivate:
        status, off = "expired", now
        log.info("code %s reached its limit of %s uses", code.code, code.max_uses)
    elif counted.reactivate:
        status, off = "active", None
    fetch(
        session,
        _SET_CODE_USES,
        {"b_id": code.id, "b_uses": counted.uses, "b_now": now, "b_status": status, "b_off": off},
    )


def _count_row_use(session: Session, promotion: Any, step: int, now: datetime) -> Any:
    """_count_use for a promotion whose row this transaction read (a save's, priced from
    it inside the write lock): the same rules, one plain UPDATE. Returns the row as it
    now stands."""
    counted = count_use(
        promotion.current_uses,
        promotion.max_total_uses,
        step,
        active=promotion.is_active,
        auto_deactivated=promotion.auto_deactivated_at is not None,
    )
    active, off = promotion.is_active, promotion.auto_deactivated_at
    if counted.deactivate:
        active, off = False, now
        log.info(
            "%s reached its limit of %s uses", promotion.campaign_code, promotion.max_total_uses
        )
    elif counted.reactivate:
        active, off = True, None
    fetch(
        session,
        _SET_USES,
        {
            "b_id": promotion.id,
            "b_uses": counted.uses,
            "b_now": now,
            "b_active": active,
            "b_off": off,
        },
    )
    return promotion._replace(
        current_uses=counted.uses, updated_at=now, is_active=active, auto_deactivated_at=off
    )


def _count_use(session: Session, promotion_id: uuid.UUID, step: int, now: datetime) -> str | None:
    """Move a promotion's use count (domain.usage_limits); returns "deactivated" or
    "reactivated" when that switched it off or on."""
    promotion = session.get_one(PromotionCampaign, promotion_id)
    counted = count_use(
        promotion.current_uses,
        promotion.max_total_uses,
        step,
        active=promotion.is_active,
        auto_deactivated=promotion.auto_deactivated_at is not None,
    )
    promotion.current_uses = counted.uses
    promotion.updated_at = now
    if counted.deactivate:
        promotion.is_active = False
        promotion.auto_deactivated_at = now
        log.info(
            "%s reached its limit of %s uses", promotion.campaign_code, promotion.max_total_uses
        )
        return "deactivated"
    if counted.reactivate:
        promotion.is_active = True
        promotion.auto_deactivated_at = None
        return "reactivated"
    return None


# ----------------------------------------------------------------------------- reading


def _find(session: Session, number: str) -> InvoiceHeader:
    invoice = session.scalar(
        select(InvoiceHeader).where(InvoiceHeader.invoice_number == number.strip().upper())
    )
    if invoice is None:
        raise NotFound(f"There is no invoice {number}.")
    return invoice


def invoice_by_number(db: Database, number: str) -> InvoiceDocument:
    """A saved invoice, as printed."""
    with db.session(write=False) as session:
        return load_invoice_document(session, _find(session, number).id)


# ----------------------------------------------------------------------------- cancelling


def cancel_invoice(
    db: Database, actor: CurrentUser, number: str, *, reason: str, now: datetime
) -> InvoiceDocument:
    """Cancel an issued invoice (manager): it is kept, marked cancelled with the reason, and
    its promotion uses are reversed and given back to the counters."""
    require(actor.role, "invoice.cancel")
    why = " ".join(reason.split())
    if len(why) < 3:
        raise InvoiceError("Say why the invoice is cancelled.")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        invoice = _find(session, number)
        if invoice.status == "cancelled":
            raise InvoiceError(f"Invoice {invoice.invoice_number} is already cancelled.")
        if session.scalar(select(func.count()).where(CreditNote.invoice_id == invoice.id)):
            raise InvoiceError(
                f"Invoice {invoice.invoice_number} has a credit note: refund what is left with"
                " another credit note instead of cancelling it."
            )
        invoice.status = "cancelled"
        invoice.cancel_reason = why
        invoice.cancelled_at = now
        invoice.cancelled_by = actor.id
        uses = session.scalars(
            select(PromotionUsageLog).where(
                PromotionUsageLog.invoice_id == invoice.id, PromotionUsageLog.reversed_at.is_(None)
            )
        ).all()
        revived: list[str] = []
        for use in uses:
            use.reversed_at = now
            use.reversed_by = actor.id
            if _count_use(session, use.campaign_id, -1, now) == "reactivated":
                revived.append(session.get_one(PromotionCampaign, use.campaign_id).campaign_code)
            code_id = use.promo_code_id
            if code_id and _count_code_use(session, code_id, -1, now) == "reactivated":
                revived.append(session.get_one(PromoCode, code_id).code)
        session.flush()
        uow.outbox(
            documents.INVOICE_CANCELLATION,
            invoice.id,
            documents.cancellation_json(invoice.id, invoice.invoice_number, why, now, actor.id),
        )
        uow.audit(
            "invoice.cancel",
            "invoice",
            invoice.id,
            {
                "invoice_number": invoice.invoice_number,
                "reason": why,
                "uses_reversed": len(uses),
                "reactivated": revived,
            },
            branch_id=invoice.branch_id,
        )
        document = load_invoice_document(session, invoice.id)
        uow.commit()
        return document


# ----------------------------------------------------------------------------- repair


@dataclass(frozen=True)
class UsageRepair:
    """What `rebuild_usage` changed."""

    added: int
    reversed: int
    counters_fixed: int


def rebuild_usage(db: Database, actor: CurrentUser, *, now: datetime) -> UsageRepair:
    """Rebuild the promotion usage log and counters from the invoices' `campaigns_applied`
    (manager): missing uses are added with the promo code the invoice was given and the
    items they landed on, uses of cancelled invoices reversed, and every promotion's and
    code's counter set to its number of live uses, switched off at its limit or back on
    under it (domain.usage_limits). Running it twice changes nothing."""
    require(actor.role, "usage.rebuild")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        existing = {
            (use.campaign_id, use.invoice_id): use
            for use in session.scalars(select(PromotionUsageLog))
        }
        known = set(session.scalars(select(PromotionCampaign.id)))
        codes = {normalise_code(code.code): code for code in session.scalars(select(PromoCode))}
        added = reversed_count = 0
        items: list[dict[str, Any]] = []
        invoices = session.scalars(
            select(InvoiceHeader).where(InvoiceHeader.campaigns_applied.is_not(None))
        )
        for invoice in invoices:
            typed = [
                codes[key]
                for key in map(normalise_code, (invoice.promo_codes_entered or {}).get("codes", []))
                if key in codes
            ]
            for entry in (invoice.campaigns_applied or {}).get("applied_promotions", []):
                campaign_id = uuid.UUID(entry["promotion_id"])
                if campaign_id not in known:
                    continue
                use = existing.get((campaign_id, invoice.id))
                if use is None:
                    code = next((c for c in typed if c.promotion_id == campaign_id), None)
                    use = PromotionUsageLog(
                        id=uuid.uuid4(),
                        campaign_id=campaign_id,
                        branch_id=invoice.branch_id,
                        patient_id=invoice.patient_id,
                        invoice_id=invoice.id,
                        promo_code_id=None if code is None else code.id,
                        usage_date=invoice.created_at,
                        discount_amount=rupees_to_paise(Decimal(str(entry["total_discount"]))),
                        applied_by=invoice.created_by,
                    )
                    session.add(use)
                    items.extend(_usage_items(invoice, use))
                    added += 1
                if invoice.status == "cancelled" and use.reversed_at is None:
                    use.reversed_at = invoice.cancelled_at or now
                    use.reversed_by = invoice.cancelled_by
                    reversed_count += 1
        session.flush()
        if items:
            session.execute(insert(PromotionUsageItem), items)
        fixed = _recount(session, now)
        repair = UsageRepair(added, reversed_count, fixed)
        uow.audit(
            "promotion.rebuild_usage",
            "promotion_usage_log",
            details={"added": added, "reversed": reversed_count, "counters_fixed": fixed},
        )
        uow.commit()
        return repair


def _usage_items(invoice: InvoiceHeader, use: PromotionUsageLog) -> list[dict[str, Any]]:
    """The lines a rebuilt use landed on: those the promotion discounted, their discounts
    taken in line order up to the use's total (a line shared with a combinable promotion
    keeps only what is left of the total)."""
    left = use.discount_amount
    rows = []
    for line in invoice.lines:
        if line.promotion_id != use.campaign_id or not line.discount_amount or left <= 0:
            continue
        amount = min(left, line.discount_amount)
        left -= amount
        rows.append(
            {
                "id": uuid.uuid4(),
                "usage_id": use.id,
                "invoice_line_id": line.id,
                "item_id": line.item_id,
                "item_code": line.item_code,
                "item_name": line.item_name,
                "discount_amount": amount,
            }
        )
    return rows


def _recount(session: Session, now: datetime) -> int:
    """Set every promotion's and code's uses to its live usage rows, switching off what
    that brings to its limit and back on what it brings under (domain.usage_limits).
    Returns how many counters were wrong."""
    live = select(PromotionUsageLog).where(PromotionUsageLog.reversed_at.is_(None))
    by_promotion = Counter(use.campaign_id for use in session.scalars(live))
    by_code = Counter(
        use.promo_code_id for use in session.scalars(live) if use.promo_code_id is not None
    )
    return move_use_counts(session, by_promotion, by_code, now)


def move_use_counts(
    session: Session,
    promotions: Mapping[uuid.UUID, int],
    codes: Mapping[uuid.UUID, int],
    now: datetime,
) -> int:
    """Move every promotion's and code's uses to the count given for it (none given: 0),
    by the same rules as uses taken or given back at the counter (domain.usage_limits), in
    the caller's session. Returns how many counters moved."""
    fixed = 0
    for promotion in session.scalars(select(PromotionCampaign)).all():
        step = promotions.get(promotion.id, 0) - promotion.current_uses
        if step:
            _count_use(session, promotion.id, step, now)
            fixed += 1
    for code in session.scalars(select(PromoCode)).all():
        step = codes.get(code.id, 0) - code.current_uses
        if step:
            _count_code_use(session, code.id, step, now)
            fixed += 1
    return fixed
