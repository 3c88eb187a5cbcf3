"""Credit notes: refunding some lines or units of a saved invoice (issue #11).

A saved invoice is never edited: a credit note, numbered in its own gap-free series per
fiscal year ("INDC/26-27/00001", taken in the note's own transaction), gives back what the
refunded units were worth once the promotions the kept items still earn are counted again.
The arithmetic and its rules are domain.credit_notes (rules 1 to 7); this module reads the
invoice, writes the note with its lines, reverses the promotion uses the refund undoes, and
moves the money:

- r = min(value, what the invoice owes) only lowers the due (`reduced_due`);
- the rest x had been paid: a negative allocation (kind "credit_note") takes it back from
  the invoice, and it is either paid back (a "refund" payment of -x by cash, UPI, card or
  wallet, in this desk's open counter session; cash needs one) or kept as an advance.
- An invoice paid outside Frontdesk (`paid_outside`) owes nothing: x is all of the value,
  and the negative allocation is written there too (domain.credit_notes rule 7), so the
  patient's advance (payments less allocations) stays right: unchanged when the money is
  paid back, raised by x when it is kept.

So an invoice's owed (total - credit notes - allocations) stays between 0 and its total,
and a patient's advance never goes below 0.

A manager issues a credit note alone; a front-desk user needs a manager's approval on the
spot (services.auth.manager_approval); the audit entry names both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Branch,
    CatalogItem,
    CreditNote,
    CreditNoteLine,
    InvoiceHeader,
    Patient,
    PromoCode,
    PromotionCampaign,
    PromotionUsageItem,
    PromotionUsageLog,
    User,
)
from domain.branch import BranchDetails
from domain.credit_notes import (
    MoneySplit,
    RefundError,
    RefundPricing,
    SoldLine,
    check_refund,
    manual_percent,
    price_refund,
    split_money,
)
from domain.errors import BadInput, Refused
from domain.fiscal import check_document_date
from domain.gst import DocumentType, split_line
from domain.invoice_numbers import NumberFormatError, check_format
from domain.log import invoicing as log
from domain.payments import Method, PaymentError, TenderLine
from domain.permissions import allowed, require
from domain.promotion_rules import promotion_from_row
from domain.promotions import CartLine, ItemType
from domain.roles import PermissionDenied
from services import documents
from services.auth import CurrentUser
from services.branch import branch_details, this_branch_id
from services.counter_sessions import open_session_for
from services.errors import NotFound
from services.invoicing import _count_code_use, _count_use
from services.numbering import allocate_invoice_number
from services.payment_settings import read_payment_settings
from services.payments import (
    MONEY_METHODS,
    allocation_row,
    find_invoice,
    invoice_owed,
    payment_row,
    write_money,
)
from services.uow import UnitOfWork

SERIES = "CN"
# Tried in order: the first that fits GST's 16 characters with the branch's code.
TEMPLATES = ("{BRANCH}C/{FY}/{SEQ}", "{BRANCH}C{FY}/{SEQ}", "{BRANCH}CN{FYYYY}{SEQ}")


# ----------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class CreditNoteLineDoc:
    """One refunded line (paise), with the GST backed out of its amount."""

    line_no: int
    invoice_line_no: int
    item_code: str
    item_name: str
    item_type: str
    quantity: int
    unit_price: int
    gross_amount: int
    discount_amount: int
    line_total: int
    hsn_sac: str
    taxability: str
    tax_rate: Decimal
    taxable_value: int
    cgst_amount: int
    sgst_amount: int
    igst_amount: int


@dataclass(frozen=True)
class ReversedPromotion:
    """A promotion whose use on the invoice the credit note gave back."""

    campaign_code: str
    campaign_name: str
    promo_code: str | None


@dataclass(frozen=True)
class CreditNoteDocument:
    """A saved credit note with what its PDF, JSON and the panel need (paise)."""

    id: uuid.UUID
    number: str
    fiscal_year: str
    note_date: date
    created_at: datetime
    invoice_id: uuid.UUID
    invoice_number: str
    invoice_date: date
    branch: BranchDetails
    branch_timezone: str
    patient_id: uuid.UUID
    patient_name: str
    patient_mobile: str
    recipient_gstin: str
    place_of_supply: str
    document_type: str
    reason: str
    created_by: str
    approved_by: str
    lines: tuple[CreditNoteLineDoc, ...]
    gross_amount: int
    total_discount: int
    tax_amount: int
    total_amount: int
    reduced_due: int
    refunded: int
    to_advance: int
    refund_method: str | None
    promotions_reversed: tuple[ReversedPromotion, ...]
    discount_given_back: int

    @property
    def legal_name(self) -> str:
        return self.branch.legal_name or self.branch.name

    @property
    def taxable_value(self) -> int:
        return sum(line.taxable_value for line in self.lines)

    @property
    def cgst_amount(self) -> int:
        return sum(line.cgst_amount for line in self.lines)

    @property
    def sgst_amount(self) -> int:
        return sum(line.sgst_amount for line in self.lines)

    @property
    def igst_amount(self) -> int:
        return sum(line.igst_amount for line in self.lines)

    @property
    def invoice_heading(self) -> str:
        return DocumentType(self.document_type).heading


def _names(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    keys = [i for i in ids if i is not None]
    if not keys:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(keys))).all())


def load_credit_note_document(session: Session, note_id: uuid.UUID) -> CreditNoteDocument:
    """Read one credit note with its lines, invoice, branch and patient."""
    note = session.get(CreditNote, note_id)
    if note is None:
        raise NotFound("That credit note does not exist.")
    invoice = session.get_one(InvoiceHeader, note.invoice_id)
    branch = session.get_one(Branch, note.branch_id)
    patient = session.get_one(Patient, note.patient_id)
    names = _names(session, {note.created_by, note.approved_by})
    invoice_lines = {line.id: line.line_no for line in invoice.lines}
    reversed_json = note.promotions_reversed or {}
    return CreditNoteDocument(
        id=note.id,
        number=note.number,
        fiscal_year=note.fiscal_year,
        note_date=note.note_date,
        created_at=note.created_at,
        invoice_id=invoice.id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        branch=branch_details(branch),
        branch_timezone=branch.timezone,
        patient_id=patient.id,
        patient_name=patient.name,
        patient_mobile=patient.mobile,
        recipient_gstin=note.recipient_gstin,
        place_of_supply=note.place_of_supply,
        document_type=note.document_type,
        reason=note.reason,
        created_by=names.get(note.created_by, ""),
        approved_by="" if note.approved_by is None else names.get(note.approved_by, ""),
        lines=tuple(
            CreditNoteLineDoc(
                line_no=line.line_no,
                invoice_line_no=invoice_lines.get(line.invoice_line_id, 0),
                item_code=line.item_code,
                item_name=line.item_name,
                item_type=line.item_type,
                quantity=line.quantity,
                unit_price=line.unit_price,
                gross_amount=line.gross_amount,
                discount_amount=line.discount_amount,
                line_total=line.line_total,
                hsn_sac=line.hsn_sac,
                taxability=line.taxability,
                tax_rate=line.tax_rate,
                taxable_value=line.taxable_value,
                cgst_amount=line.cgst_amount,
                sgst_amount=line.sgst_amount,
                igst_amount=line.igst_amount,
            )
            for line in note.lines
        ),
        gross_amount=note.gross_amount,
        total_discount=note.total_discount,
        tax_amount=note.tax_amount,
        total_amount=note.total_amount,
        reduced_due=note.reduced_due,
        refunded=note.refunded,
        to_advance=note.to_advance,
        refund_method=note.refund_method,
        promotions_reversed=tuple(
            ReversedPromotion(p["campaign_code"], p["campaign_name"], p.get("promo_code"))
            for p in reversed_json.get("promotions", [])
        ),
        discount_given_back=int(reversed_json.get("discount_given_back_paise", 0)),
    )


def credit_notes_of(db: Database, invoice_number: str) -> tuple[CreditNoteDocument, ...]:
    """An invoice's credit notes, oldest first."""
    with db.session(write=False) as session:
        invoice = find_invoice(session, invoice_number)
        ids = session.scalars(
            select(CreditNote.id)
            .where(CreditNote.invoice_id == invoice.id)
            .order_by(CreditNote.fiscal_year, CreditNote.sequence_no)
        ).all()
        return tuple(load_credit_note_document(session, i) for i in ids)


def credit_note_by_number(db: Database, number: str) -> CreditNoteDocument:
    """One credit note by its number."""
    with db.session(write=False) as session:
        note_id = session.scalar(
            select(CreditNote.id).where(CreditNote.number == number.strip().upper())
        )
        if note_id is None:
            raise NotFound(f"There is no credit note {number}.")
        return load_credit_note_document(session, note_id)


# ----------------------------------------------------------------------------- reading an invoice


@dataclass(frozen=True)
class RefundableLine:
    """An invoice line as the refund form lists it (paise)."""

    line_no: int
    item_code: str
    item_name: str
    item_type: str
    quantity: int
    refunded: int
    unit_price: int
    line_total: int

    @property
    def left(self) -> int:
        return self.quantity - self.refunded


@dataclass(frozen=True)
class RefundForm:
    """What a refund of an invoice starts from: its lines, what is left to refund in value
    (`standing`: payable less credit notes) and what it still owes (paise)."""

    invoice_number: str
    invoice_date: date
    patient_name: str
    walk_in: bool
    status: str
    lines: tuple[RefundableLine, ...]
    total_amount: int
    standing: int
    owed: int


@dataclass
class _Invoice:
    """An invoice read for a refund, with what the domain rules need."""

    invoice: InvoiceHeader
    patient: Patient
    branch: Branch
    sold: list[SoldLine]
    standing: int
    owed: int
    promotions: list[PromotionCampaign]


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _read(session: Session, number: str) -> _Invoice:
    invoice = find_invoice(session, number)
    patient = session.get_one(Patient, invoice.patient_id)
    branch = session.get_one(Branch, invoice.branch_id)
    line_ids = [line.id for line in invoice.lines]
    refunded = dict(
        session.execute(
            select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.quantity))
            .where(CreditNoteLine.invoice_line_id.in_(line_ids))
            .group_by(CreditNoteLine.invoice_line_id)
        ).all()
    )
    promoted = dict(
        session.execute(
            select(PromotionUsageItem.invoice_line_id, func.sum(PromotionUsageItem.discount_amount))
            .where(PromotionUsageItem.invoice_line_id.in_(line_ids))
            .group_by(PromotionUsageItem.invoice_line_id)
        ).all()
    )
    limits = dict(
        session.execute(
            select(CatalogItem.id, CatalogItem.max_discount_percent).where(
                CatalogItem.id.in_([line.item_id for line in invoice.lines])
            )
        ).all()
    )
    sold = []
    for line in invoice.lines:
        if line.discount_type == "manual":
            by_promotion = 0
        else:
            by_promotion = int(promoted.get(line.id, line.discount_amount))
        manual = max(0, line.discount_amount - by_promotion)
        sold.append(
            SoldLine(
                line.line_no,
                CartLine(
                    line_key=str(line.line_no),
                    item_id=str(line.item_id),
                    item_code=line.item_code,
                    name=line.item_name,
                    item_type=ItemType(line.item_type),
                    category=line.category,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                    max_discount_percent=limits.get(line.item_id, Decimal(100)),
                    tax_rate=line.tax_rate,
                    manual_discount_percent=manual_percent(line.gross_amount, by_promotion, manual),
                ),
                line.line_total,
                int(refunded.get(line.id, 0)),
            )
        )
    earlier = session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id)).all()
    credited = sum(note.total_amount for note in earlier)
    gone = {
        entry["promotion_id"]
        for note in earlier
        for entry in (note.promotions_reversed or {}).get("promotions", [])
    }
    used = [
        uuid.UUID(entry["promotion_id"])
        for entry in (invoice.campaigns_applied or {}).get("applied_promotions", [])
        if entry["promotion_id"] not in gone
    ]
    promotions = (
        list(session.scalars(select(PromotionCampaign).where(PromotionCampaign.id.in_(used))))
        if used
        else []
    )
    return _Invoice(
        invoice,
        patient,
        branch,
        sold,
        invoice.total_amount - credited,
        invoice_owed(session, invoice),
        promotions,
    )


def refund_form(db: Database, invoice_number: str) -> RefundForm:
    """An invoice's lines with what is left to refund of each."""
    with db.session(write=False) as session:
        read = _read(session, invoice_number)
        invoice = read.invoice
        return RefundForm(
            invoice.invoice_number,
            invoice.invoice_date,
            read.patient.name,
            read.patient.is_walk_in,
            invoice.status,
            tuple(
                RefundableLine(
                    s.line_no,
                    s.cart_line.item_code,
                    s.cart_line.name,
                    s.cart_line.item_type.value,
                    s.cart_line.quantity,
                    s.refunded_before,
                    s.cart_line.unit_price,
                    s.line_total,
                )
                for s in read.sold
            ),
            invoice.total_amount,
            read.standing,
            read.owed,
        )


# ----------------------------------------------------------------------------- pricing


@dataclass(frozen=True)
class CreditNotePreview:
    """What a refund would give back, saving nothing (paise): the value, its lines (line
    number, units, gross, amount), the money's split, the promotions it would reverse (by
    campaign code) and the discount the kept items give back."""

    invoice_number: str
    value: int
    lines: tuple[tuple[int, int, int, int], ...]
    split: MoneySplit
    promotions_reversed: tuple[str, ...]
    discount_given_back: int
    kept_payable: int


def _check_method(session: Session, method: Method | None) -> None:
    if method is None:
        return
    if method not in MONEY_METHODS:
        raise PaymentError(
            f"{method.label} cannot pay a refund back; choose cash, UPI, card or wallet"
        )
    settings = read_payment_settings(session)
    if not settings.setting(method).enabled:
        raise PaymentError(f"{settings.label(method)} is not offered at this branch")


def _pricing(
    read: _Invoice,
    lines: Sequence[tuple[int, int]],
    refund_method: Method | None,
    now: datetime,
) -> tuple[RefundPricing, MoneySplit]:
    invoice = read.invoice
    if invoice.status == "cancelled":
        raise Refused(f"Invoice {invoice.invoice_number} is cancelled: there is nothing to refund")
    refund = check_refund(read.sold, lines)
    pricing = price_refund(
        read.sold,
        refund,
        [promotion_from_row(_columns(row)) for row in read.promotions],
        standing=read.standing,
        now=now,
        today=invoice.invoice_date,
    )
    split = split_money(
        pricing.value,
        read.owed,
        pay_back=refund_method is not None,
        walk_in=read.patient.is_walk_in,
    )
    return pricing, split


def _reversed_codes(read: _Invoice, pricing: RefundPricing) -> list[PromotionCampaign]:
    return sorted(
        (p for p in read.promotions if str(p.id) not in pricing.still_applied),
        key=lambda p: p.campaign_code,
    )


def preview_credit_note(
    db: Database,
    invoice_number: str,
    lines: Sequence[tuple[int, int]],
    *,
    refund_method: Method | None,
    now: datetime,
) -> CreditNotePreview:
    """What refunding `lines` ((line number, units), ...) would give back; saves nothing."""
    with db.session(write=False) as session:
        read = _read(session, invoice_number)
        _check_method(session, refund_method)
        pricing, split = _pricing(read, lines, refund_method, now)
        return CreditNotePreview(
            read.invoice.invoice_number,
            pricing.value,
            tuple((n.line_no, n.quantity, n.gross_amount, n.line_total) for n in pricing.lines),
            split,
            tuple(p.campaign_code for p in _reversed_codes(read, pricing)),
            pricing.discount_given_back,
            pricing.kept_payable,
        )


# ----------------------------------------------------------------------------- issuing


def _template(branch: Branch) -> str:
    """The first credit-note format that fits GST's 16 characters with this branch's code."""
    for template in TEMPLATES:
        try:
            check_format(template, branch_code=branch.branch_code, series=SERIES)
        except NumberFormatError:
            continue
        return template
    return TEMPLATES[0]


def _local_date(branch: Branch, now: datetime) -> date:
    return now.astimezone(ZoneInfo(branch.timezone)).date()


def _check_approval(actor: CurrentUser, approver: CurrentUser | None) -> CurrentUser:
    """The manager who approves: the actor if they are one, else `approver`, required."""
    if allowed(actor.role, "refund.approve"):
        return actor
    if approver is None:
        raise PermissionDenied("A credit note needs a manager's approval: their name and PIN")
    require(approver.role, "refund.approve")
    return approver


def _reverse_uses(
    session: Session,
    actor: CurrentUser,
    invoice: InvoiceHeader,
    promotions: Sequence[PromotionCampaign],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rule 5: give back the uses of `promotions` on the invoice; returns what the credit
    note records and the promotions or codes switched on again."""
    entries: list[dict[str, Any]] = []
    revived: list[str] = []
    for promotion in promotions:
        use = session.scalar(
            select(PromotionUsageLog).where(
                PromotionUsageLog.invoice_id == invoice.id,
                PromotionUsageLog.campaign_id == promotion.id,
                PromotionUsageLog.reversed_at.is_(None),
            )
        )
        code_text = None
        if use is not None:
            use.reversed_at = now
            use.reversed_by = actor.id
            if _count_use(session, promotion.id, -1, now) == "reactivated":
                revived.append(promotion.campaign_code)
            if use.promo_code_id is not None:
                code = session.get_one(PromoCode, use.promo_code_id)
                code_text = code.code
                if _count_code_use(session, code.id, -1, now) == "reactivated":
                    revived.append(code.code)
        entries.append(
            {
                "promotion_id": str(promotion.id),
                "campaign_code": promotion.campaign_code,
                "campaign_name": promotion.campaign_name,
                "promo_code": code_text,
                "usage_reversed": use is not None,
                "discount_at_sale": None if use is None else documents.rupees(use.discount_amount),
            }
        )
    return entries, revived


def _note_date(
    session: Session,
    branch: Branch,
    invoice_date: date,
    now: datetime,
    recorded_at: datetime | None,
) -> date:
    """The credit note's date: today at the branch, or, dated otherwise by an admin (the
    real clock `recorded_at` beside it), a day no earlier than the series' last note and not
    in a closed fiscal year (domain.fiscal). Never before the invoice it refunds."""
    day = _local_date(branch, now)
    if recorded_at is not None and now != recorded_at:
        last = session.scalar(
            select(func.max(CreditNote.note_date)).where(
                CreditNote.branch_id == branch.id, CreditNote.series == SERIES
            )
        )
        check_document_date(
            day,
            today=_local_date(branch, recorded_at),
            last_of_series=last,
            start_month=branch.fiscal_year_start_month,
            what="a credit note",
        )
    if day < invoice_date:
        raise Refused(
            f"The invoice is dated {invoice_date}; its credit note cannot be dated before it."
        )
    return day


def issue_credit_note(
    db: Database,
    actor: CurrentUser,
    invoice_number: str,
    lines: Sequence[tuple[int, int]],
    *,
    reason: str,
    refund_method: Method | None,
    reference: str = "",
    approver: CurrentUser | None = None,
    now: datetime,
    recorded_at: datetime | None = None,
) -> CreditNoteDocument:
    """Refund `lines` ((invoice line number, units), ...) of an invoice with a reason: the
    credit note, its promotion reversals and its money (paid back by `refund_method`, or
    kept as an advance when it is None), in one transaction (see the module's docstring).
    A manager issues alone; front desk needs `approver`, a manager."""
    why = " ".join(reason.split())
    if len(why) < 3:
        raise BadInput("Say why the invoice is refunded")
    manager = _check_approval(actor, approver)
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        _check_method(session, refund_method)
        read = _read(session, invoice_number)
        invoice, branch, patient = read.invoice, read.branch, read.patient
        pricing, split = _pricing(read, lines, refund_method, now)
        branch_id = this_branch_id(session)
        counter = open_session_for(session, branch_id)
        if split.refunded and refund_method is Method.CASH and counter is None:
            raise Refused(
                "Open the counter session first, then pay cash back: Ctrl+Shift+O, or "
                "`frontdesk session open`."
            )
        today = _note_date(session, branch, invoice.invoice_date, now, recorded_at)
        number = allocate_invoice_number(
            session,
            branch_id=branch_id,
            series=SERIES,
            invoice_date=today,
            start_month=branch.fiscal_year_start_month,
            template=_template(branch),
            branch_code=branch.branch_code,
        )
        reversed_promotions = _reversed_codes(read, pricing)
        entries, revived = _reverse_uses(session, actor, invoice, reversed_promotions, now)
        place = invoice.place_of_supply or branch.state_code
        inter_state = bool(branch.state_code) and place != branch.state_code
        by_no = {line.line_no: line for line in invoice.lines}
        note = CreditNote(
            id=uuid.uuid4(),
            branch_id=branch_id,
            number=number.text,
            series=number.series,
            fiscal_year=number.fiscal_year,
            sequence_no=number.sequence,
            note_date=today,
            invoice_id=invoice.id,
            patient_id=patient.id,
            session_id=None if counter is None else counter.id,
            reason=why,
            created_at=now,
            created_by=actor.id,
            approved_by=manager.id,
            gross_amount=sum(n.gross_amount for n in pricing.lines),
            total_discount=sum(n.discount_amount for n in pricing.lines),
            total_amount=pricing.value,
            reduced_due=split.reduced_due,
            refunded=split.refunded,
            to_advance=split.to_advance,
            refund_method=refund_method.value if refund_method and split.refunded else None,
            promotions_reversed={
                "promotions": entries,
                "discount_given_back": documents.rupees(pricing.discount_given_back),
                "discount_given_back_paise": pricing.discount_given_back,
                "kept_payable": documents.rupees(pricing.kept_payable),
            },
            document_type=invoice.document_type,
            place_of_supply=place,
            recipient_gstin=invoice.recipient_gstin,
        )
        tax = 0
        for number_on_note, refunded in enumerate(pricing.lines, start=1):
            sold = by_no[refunded.line_no]
            gst = split_line(refunded.line_total, sold.tax_rate, inter_state=inter_state)
            tax += gst.cgst + gst.sgst + gst.igst
            note.lines.append(
                CreditNoteLine(
                    id=uuid.uuid4(),
                    credit_note_id=note.id,
                    line_no=number_on_note,
                    invoice_line_id=sold.id,
                    item_id=sold.item_id,
                    item_code=sold.item_code,
                    item_name=sold.item_name,
                    item_type=sold.item_type,
                    quantity=refunded.quantity,
                    unit_price=sold.unit_price,
                    gross_amount=refunded.gross_amount,
                    discount_amount=refunded.discount_amount,
                    line_total=refunded.line_total,
                    hsn_sac=sold.hsn_sac,
                    taxability=sold.taxability,
                    tax_rate=sold.tax_rate,
                    taxable_value=gst.taxable_value,
                    cgst_amount=gst.cgst,
                    sgst_amount=gst.sgst,
                    igst_amount=gst.igst,
                )
            )
        note.tax_amount = tax
        session.add(note)
        session.flush()
        _money(uow, note, invoice, split, refund_method, reference, counter_id=note.session_id)
        document = load_credit_note_document(session, note.id)
        uow.outbox(documents.CREDIT_NOTE, note.id, documents.credit_note_json(document))
        details: dict[str, Any] = {
            "credit_note": note.number,
            "invoice_number": invoice.invoice_number,
            "value": documents.rupees(note.total_amount),
            "reduced_due": documents.rupees(note.reduced_due),
            "refunded": documents.rupees(note.refunded),
            "to_advance": documents.rupees(note.to_advance),
            "method": note.refund_method,
            "reason": why,
            "issued_by": actor.full_name,
            "approved_by": manager.full_name,
            "promotions_reversed": [e["campaign_code"] for e in entries],
            "reactivated": revived,
        }
        uow.audit("invoice.credit_note", "credit_note", note.id, details, branch_id=branch_id)
        uow.commit()
        log.info("credit note %s on %s", note.number, invoice.invoice_number)
        return document


def _money(
    uow: UnitOfWork,
    note: CreditNote,
    invoice: InvoiceHeader,
    split: MoneySplit,
    method: Method | None,
    reference: str,
    *,
    counter_id: uuid.UUID | None,
) -> None:
    """Rule 7's rows: the negative allocation of what had been paid, and the refund."""
    if not split.taken_back:
        return
    actor = uow.actor
    assert actor is not None
    common: dict[str, Any] = {"branch_id": note.branch_id, "patient_id": note.patient_id}
    payments = []
    if split.refunded and method is not None:
        payment = payment_row(
            **common,
            session_id=counter_id,
            kind="refund",
            line=TenderLine(method, -split.refunded, reference),
            actor=actor,
            now=uow.now,
            invoice_id=invoice.id,
            approved_by=note.approved_by,
        )
        payment.credit_note_id = note.id
        payments.append(payment)
    allocation = allocation_row(
        None,
        **common,
        invoice_id=invoice.id,
        amount=-split.taken_back,
        kind="credit_note",
        actor=actor,
        now=uow.now,
    )
    allocation.credit_note_id = note.id
    write_money(uow, payments, [allocation])


__all__ = [
    "CreditNoteDocument",
    "CreditNotePreview",
    "RefundError",
    "RefundForm",
    "credit_note_by_number",
    "credit_notes_of",
    "issue_credit_note",
    "load_credit_note_document",
    "preview_credit_note",
    "refund_form",
]
