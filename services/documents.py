"""One serialiser per document type: the JSON the CLI prints, the outbox carries and the
centre stores comes from the function here, and from nowhere else.

Amounts are strings of rupees with two decimals ("4500.00"), never floats; ids are strings;
instants are ISO 8601 with their offset; dates are ISO dates.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from db.models import (
        CallbackActivity,
        CallbackRequest,
        CashMovement,
        CatalogItem,
        CounterSession,
        Patient,
        Payment,
        PaymentAllocation,
        PromoCode,
        PromotionCampaign,
        User,
    )
    from domain.catalog import ItemSpec
    from services.counter_sessions import SessionReport
    from services.credit_notes import CreditNoteDocument
    from services.invoice_document import InvoiceDocument
    from services.invoicing import Quote

# The document types that travel to the centre, by the name the outbox gives them.
INVOICE = "invoice"
INVOICE_CANCELLATION = "invoice_cancellation"
CALLBACK_REQUEST = "callback_request"
PATIENT = "patient"
PATIENT_MERGE = "patient_merge"
PROMOTION = "promotion"
PROMO_CODE = "promo_code"
CATALOG_ITEM = "catalog_item"
USER = "user"
PAYMENT = "payment"
PAYMENT_ALLOCATION = "payment_allocation"


def rupees(paise: int) -> str:
    """Paise as a string of rupees with two decimals: str(paise_to_decimal(paise)), made
    from the integer (a save writes forty of them; Decimal's arithmetic cost more)."""
    whole, part = divmod(abs(paise), 100)
    return f"{'-' if paise < 0 else ''}{whole}.{part:02d}"


def optional_rupees(paise: int | None) -> str | None:
    return None if paise is None else rupees(paise)


def json_ready(value: Any) -> Any:
    """A JSON column's value with every Decimal as its exact string."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def invoice_json(document: InvoiceDocument) -> dict[str, Any]:
    """A saved invoice, as versioned JSON."""
    return {
        "id": str(document.id),
        "invoice_number": document.invoice_number,
        "invoice_date": document.invoice_date.isoformat(),
        "created_at": document.created_at.isoformat(),
        "document_type": document.document_type,
        "place_of_supply": document.place_of_supply,
        "recipient_gstin": document.recipient_gstin,
        "status": document.status,
        "cancel_reason": document.cancel_reason,
        "branch": document.branch.name,
        "patient": {"name": document.patient_name, "mobile": document.patient_mobile},
        "created_by": document.created_by,
        "lines": [
            {
                "line_no": line.line_no,
                "item_code": line.item_code,
                "item_name": line.item_name,
                "item_type": line.item_type,
                "quantity": line.quantity,
                "unit_price": rupees(line.unit_price),
                "gross_amount": rupees(line.gross_amount),
                "discount_type": line.discount_type,
                "discount_percent": str(line.discount_percent),
                "discount_amount": rupees(line.discount_amount),
                "promotion_id": str(line.promotion_id) if line.promotion_id else None,
                "badge_text": line.badge_text,
                "tax_rate": str(line.tax_rate),
                "tax_amount": rupees(line.tax_amount),
                "line_total": rupees(line.line_total),
                "hsn_sac": line.hsn_sac,
                "taxability": line.taxability,
                "taxable_value": rupees(line.taxable_value),
                "cgst": rupees(line.cgst_amount),
                "sgst": rupees(line.sgst_amount),
                "igst": rupees(line.igst_amount),
                "category": line.category,
            }
            for line in document.lines
        ],
        "totals": {
            "gross": rupees(document.gross_amount),
            "promotion_discount": rupees(document.total_discount - document.manual_discount),
            "manual_discount": rupees(document.manual_discount),
            "total_discount": rupees(document.total_discount),
            "tax": rupees(document.tax_amount),
            "taxable_value": rupees(document.taxable_value),
            "cgst": rupees(document.cgst_amount),
            "sgst": rupees(document.sgst_amount),
            "igst": rupees(document.igst_amount),
            "round_off": rupees(document.round_off),
            "payable": rupees(document.total_amount),
            "cost": rupees(document.total_cost),
        },
        "campaigns_applied": json_ready(document.campaigns_applied),
        "is_history": document.is_history,
        "money": {
            "status": document.paid_status,
            "paid": rupees(document.amount_paid),
            "due": rupees(document.amount_due),
            "credited": rupees(document.credited),
            "change_given": rupees(document.change_given),
            "payments": [
                {
                    "method": p.method,
                    "label": p.label,
                    "amount": rupees(p.amount),
                    "reference": p.reference,
                }
                for p in document.payments
            ],
        },
    }


def quote_json(quote: Quote) -> dict[str, Any]:
    """A priced cart that was not saved: its lines, totals and what did not apply."""
    priced = quote.priced
    totals = priced.totals
    return {
        "invoice_date": quote.invoice_date.isoformat(),
        "lines": [
            {
                "item_code": p.line.item_code,
                "item_name": p.line.name,
                "quantity": p.line.quantity,
                "unit_price": rupees(p.line.unit_price),
                "gross_amount": rupees(p.gross_amount),
                "discount_type": p.discount_type.value if p.discount_type else None,
                "discount_percent": str(p.discount_percent),
                "discount_amount": rupees(p.discount_amount),
                "promotion_id": p.promotion_id,
                "badge_text": p.badge_text,
                "tax_amount": rupees(p.tax_amount),
                "line_total": rupees(p.line_total),
            }
            for p in priced.lines
        ],
        "totals": {
            "gross": rupees(totals.gross),
            "promotion_discount": rupees(totals.promotion_discount),
            "manual_discount": rupees(totals.manual_discount),
            "total_discount": rupees(totals.total_discount),
            "tax": rupees(totals.tax),
            "round_off": rupees(totals.round_off),
            "payable": rupees(totals.payable),
        },
        "campaigns_applied": json_ready(priced.campaigns_applied),
        "not_applied": [
            {"campaign_code": n.campaign_code, "reason": n.reason.value, "message": n.message}
            for n in priced.not_applied
        ],
        "near_misses": [
            {"campaign_code": m.campaign_code, "message": m.message} for m in priced.near_misses
        ],
        "codes": [
            {"code": c.code, "applied": c.applied, "message": c.message} for c in priced.codes
        ],
    }


def cancellation_json(
    invoice_id: uuid.UUID, number: str, reason: str, at: datetime, by: uuid.UUID
) -> dict[str, Any]:
    """An invoice's cancellation: which invoice, why, when and by whom."""
    return {
        "invoice_id": str(invoice_id),
        "invoice_number": number,
        "reason": reason,
        "cancelled_at": at.isoformat(),
        "cancelled_by": str(by),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def promotion_json(promotion: PromotionCampaign) -> dict[str, Any]:
    """A promotion as its spec (what `promo export` prints) plus its id and switch state.
    Its use count is not part of it: uses travel as usage rows, never as a copied field."""
    return {
        "id": str(promotion.id),
        "campaign_code": promotion.campaign_code,
        "campaign_name": promotion.campaign_name,
        "description": promotion.description,
        "promotion_type": promotion.promotion_type,
        "rules": json_ready(promotion.rules),
        "discount_percent": None
        if promotion.discount_percent is None
        else str(promotion.discount_percent),
        "discount_amount": optional_rupees(promotion.discount_amount),
        "min_purchase_amount": optional_rupees(promotion.min_purchase_amount),
        "max_discount_amount": optional_rupees(promotion.max_discount_amount),
        "start_date": _iso(promotion.start_date),
        "end_date": _iso(promotion.end_date),
        "priority": promotion.priority,
        "is_stackable": promotion.is_stackable,
        "override_max_discount": promotion.override_max_discount,
        "requires_code": promotion.requires_code,
        "max_total_uses": promotion.max_total_uses,
        "max_uses_per_patient": promotion.max_uses_per_patient,
        "branch_offline_quota": promotion.branch_offline_quota,
        "is_active": promotion.is_active,
        "auto_deactivated_at": _iso(promotion.auto_deactivated_at),
        "updated_at": _iso(promotion.updated_at),
    }


def promo_code_json(code: PromoCode, campaign_code: str) -> dict[str, Any]:
    """A promo code (seed 001's fields) with its id, its promotion and its status."""
    return {
        "id": str(code.id),
        "code": code.code,
        "promotion_id": str(code.promotion_id),
        "promotion_code": campaign_code,
        "valid_from": _iso(code.valid_from),
        "valid_to": _iso(code.valid_to),
        "active_hours": json_ready(code.active_hours),
        "max_uses": code.max_uses,
        "max_uses_per_patient": code.max_uses_per_patient,
        "auto_deactivate_on_max_uses": code.auto_deactivate_on_max_uses,
        "status": code.status,
        "auto_deactivated_at": _iso(code.auto_deactivated_at),
        "updated_at": _iso(code.updated_at),
    }


def patient_fields_json(
    patient_id: uuid.UUID,
    branch_id: uuid.UUID,
    name: str,
    mobile: str,
    *,
    email: str | None = None,
    birth_date: date | None = None,
    gender: str | None = None,
    consent_sms: bool = False,
    consent_email: bool = False,
    consent_whatsapp: bool = False,
    gstin: str = "",
    retired_at: datetime | None = None,
) -> dict[str, Any]:
    """A patient from its fields (a bulk import has no model object to hand)."""
    return {
        "id": str(patient_id),
        "branch_id": str(branch_id),
        "name": name,
        "mobile": mobile,
        "email": email or "",
        "birth_date": _iso(birth_date),
        "gender": gender or "",
        "consent_sms": consent_sms,
        "consent_email": consent_email,
        "consent_whatsapp": consent_whatsapp,
        "gstin": gstin,
        "retired_at": _iso(retired_at),
    }


def patient_json(patient: Patient) -> dict[str, Any]:
    """A registered patient's details and consents."""
    return patient_fields_json(
        patient.id,
        patient.branch_id,
        patient.name,
        patient.mobile,
        email=patient.email,
        birth_date=patient.birth_date,
        gender=patient.gender,
        consent_sms=patient.consent_sms,
        consent_email=patient.consent_email,
        consent_whatsapp=patient.consent_whatsapp,
        gstin=patient.gstin,
        retired_at=patient.retired_at,
    )


def callback_request_json(
    request: CallbackRequest, activities: Sequence[CallbackActivity]
) -> dict[str, Any]:
    """A callback request with its whole activity log (given oldest first)."""
    return {
        "id": str(request.id),
        "branch_id": str(request.branch_id),
        "patient_id": str(request.patient_id) if request.patient_id else None,
        "contact_name": request.contact_name,
        "mobile": request.mobile,
        "reason": request.reason,
        "source": request.source,
        "notes": request.notes,
        "preferred_from": _iso(request.preferred_from),
        "preferred_to": _iso(request.preferred_to),
        "requested_at": _iso(request.requested_at),
        "created_by": str(request.created_by),
        "assigned_to": str(request.assigned_to) if request.assigned_to else None,
        "assigned_at": _iso(request.assigned_at),
        "status": request.status,
        "attempts": request.attempts,
        "sla_category": request.sla_category,
        "due_at": _iso(request.due_at),
        "not_before": _iso(request.not_before),
        "outcome": request.outcome,
        "closed_at": _iso(request.closed_at),
        "updated_at": _iso(request.updated_at),
        "activities": [
            {
                "id": str(a.id),
                "at": _iso(a.at),
                "user_id": str(a.user_id),
                "activity": a.activity,
                "from_status": a.from_status,
                "to_status": a.to_status,
                "note": a.note,
                "details": json_ready(a.details),
            }
            for a in activities
        ],
    }


def catalog_item_json(item: CatalogItem, spec: ItemSpec, price_from: date) -> dict[str, Any]:
    """A catalog item with its price from `price_from` (its history travels as rows)."""
    return {
        "id": str(item.id),
        "code": spec.code,
        "name": spec.name,
        "category": spec.category,
        "item_type": spec.item_type,
        "price": rupees(spec.price),
        "cost": rupees(spec.cost),
        "price_from": price_from.isoformat(),
        "hsn_sac": spec.hsn_sac,
        "taxability": spec.taxability.value,
        "tax_rate": str(spec.tax_rate),
        "max_discount_percent": str(spec.max_discount_percent),
        "barcode": spec.barcode,
        "is_active": item.is_active,
        "retired_at": _iso(item.retired_at),
    }


def user_json(user: User) -> dict[str, Any]:
    """A member of staff, without the PIN's hash (it never leaves the branch)."""
    return {
        "id": str(user.id),
        "branch_id": str(user.branch_id),
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "max_manual_discount_percent": str(user.max_manual_discount_percent),
        "is_active": user.is_active,
        "retired_at": _iso(user.retired_at),
        "chain_wide": user.chain_wide,
    }


# ----------------------------------------------------------------------------- money


def payment_json(payment: Payment) -> dict[str, Any]:
    """Money taken or paid back (never edited: a reversal is a new row)."""
    return {
        "id": str(payment.id),
        "branch_id": str(payment.branch_id),
        "patient_id": str(payment.patient_id),
        "invoice_id": None if payment.invoice_id is None else str(payment.invoice_id),
        "credit_note_id": None if payment.credit_note_id is None else str(payment.credit_note_id),
        "session_id": None if payment.session_id is None else str(payment.session_id),
        "kind": payment.kind,
        "method": payment.method,
        "amount": rupees(payment.amount),
        "reference": payment.reference,
        "tendered": optional_rupees(payment.tendered),
        "change_given": rupees(payment.change_given),
        "reverses_id": None if payment.reverses_id is None else str(payment.reverses_id),
        "created_at": payment.created_at.isoformat(),
        "created_by": str(payment.created_by),
        "approved_by": None if payment.approved_by is None else str(payment.approved_by),
    }


def allocation_json(allocation: PaymentAllocation) -> dict[str, Any]:
    """Patient money applied to an invoice (negative: taken back by a credit note)."""
    return {
        "id": str(allocation.id),
        "branch_id": str(allocation.branch_id),
        "patient_id": str(allocation.patient_id),
        "invoice_id": str(allocation.invoice_id),
        "kind": allocation.kind,
        "amount": rupees(allocation.amount),
        "payment_id": None if allocation.payment_id is None else str(allocation.payment_id),
        "credit_note_id": (
            None if allocation.credit_note_id is None else str(allocation.credit_note_id)
        ),
        "created_at": allocation.created_at.isoformat(),
        "created_by": str(allocation.created_by),
    }


# ----------------------------------------------------------------------------- counter sessions

COUNTER_SESSION = "counter_session"
CASH_MOVEMENT = "cash_movement"


def counter_session_json(counter: CounterSession) -> dict[str, Any]:
    """A desk's counter session: opened with its float; once closed, the count by
    denomination (coins in rupees), what was expected per method, the difference."""
    denominations = counter.denominations or {}
    return {
        "id": str(counter.id),
        "branch_id": str(counter.branch_id),
        "desk": counter.desk,
        "business_date": counter.business_date.isoformat(),
        "status": counter.status,
        "opened_by": str(counter.opened_by),
        "opened_at": counter.opened_at.isoformat(),
        "opening_float": rupees(counter.opening_float),
        "closed_by": None if counter.closed_by is None else str(counter.closed_by),
        "closed_at": _iso(counter.closed_at),
        "counted_cash": optional_rupees(counter.counted_cash),
        "denominations": {
            label: rupees(count) if label == "coins" else count
            for label, count in denominations.items()
        },
        "expected": {
            method: rupees(int(amount)) for method, amount in (counter.expected or {}).items()
        },
        "difference": optional_rupees(counter.difference),
        "difference_reason": counter.difference_reason,
    }


def cash_movement_json(movement: CashMovement) -> dict[str, Any]:
    """Cash put into or taken out of a session's drawer, with its reason."""
    return {
        "id": str(movement.id),
        "branch_id": str(movement.branch_id),
        "session_id": str(movement.session_id),
        "kind": movement.kind,
        "amount": rupees(movement.amount),
        "reason": movement.reason,
        "created_at": movement.created_at.isoformat(),
        "created_by": str(movement.created_by),
    }


def session_report_json(report: SessionReport) -> dict[str, Any]:
    """An X report (session open) or Z report (closed), as the CLI prints it."""
    s = report.session
    return {
        "report": report.kind,
        "session_id": str(s.id),
        "desk": s.desk,
        "business_date": s.business_date.isoformat(),
        "status": s.status,
        "opened_by": s.opened_by,
        "opened_at": s.opened_at.isoformat(),
        "closed_by": s.closed_by,
        "closed_at": _iso(s.closed_at),
        "opening_float": rupees(s.opening_float),
        "cash_in": rupees(report.cash_in),
        "cash_out": rupees(report.cash_out),
        "cash_takings": rupees(report.cash_takings),
        "cash_refunds": rupees(report.cash_refunds),
        "expected": {method: rupees(amount) for method, amount in report.expected.items()},
        "movements": [
            {
                "kind": m.kind,
                "amount": rupees(m.amount),
                "reason": m.reason,
                "at": m.created_at.isoformat(),
                "by": m.created_by,
            }
            for m in report.movements
        ],
        "invoices": {"count": report.invoices, "total": rupees(report.invoice_total)},
        "cancelled_invoices": report.cancelled_invoices,
        "credit_notes": {"count": report.credit_notes, "total": rupees(report.credit_note_total)},
        "dues_raised": rupees(report.dues_raised),
        "counted_cash": optional_rupees(report.counted_cash),
        "denominations": {
            label: rupees(count) if label == "coins" else count
            for label, count in report.denominations.items()
        },
        "difference": optional_rupees(report.difference),
        "difference_reason": report.difference_reason,
    }


# ----------------------------------------------------------------------------- credit notes

CREDIT_NOTE = "credit_note"


def credit_note_json(note: CreditNoteDocument) -> dict[str, Any]:
    """A credit note (a refund of some lines of an invoice), never edited."""
    return {
        "id": str(note.id),
        "number": note.number,
        "fiscal_year": note.fiscal_year,
        "note_date": note.note_date.isoformat(),
        "created_at": note.created_at.isoformat(),
        "invoice_id": str(note.invoice_id),
        "invoice_number": note.invoice_number,
        "invoice_date": note.invoice_date.isoformat(),
        "patient_id": str(note.patient_id),
        "patient": note.patient_name,
        "recipient_gstin": note.recipient_gstin,
        "place_of_supply": note.place_of_supply,
        "document_type": note.document_type,
        "reason": note.reason,
        "created_by": note.created_by,
        "approved_by": note.approved_by,
        "lines": [
            {
                "line_no": line.line_no,
                "invoice_line_no": line.invoice_line_no,
                "item_code": line.item_code,
                "item_name": line.item_name,
                "quantity": line.quantity,
                "unit_price": rupees(line.unit_price),
                "gross_amount": rupees(line.gross_amount),
                "discount_amount": rupees(line.discount_amount),
                "line_total": rupees(line.line_total),
                "hsn_sac": line.hsn_sac,
                "taxability": line.taxability,
                "tax_rate": str(line.tax_rate),
                "taxable_value": rupees(line.taxable_value),
                "cgst": rupees(line.cgst_amount),
                "sgst": rupees(line.sgst_amount),
                "igst": rupees(line.igst_amount),
            }
            for line in note.lines
        ],
        "gross_amount": rupees(note.gross_amount),
        "total_discount": rupees(note.total_discount),
        "tax_amount": rupees(note.tax_amount),
        "total_amount": rupees(note.total_amount),
        "reduced_due": rupees(note.reduced_due),
        "refunded": rupees(note.refunded),
        "to_advance": rupees(note.to_advance),
        "refund_method": note.refund_method,
        "promotions_reversed": [p.campaign_code for p in note.promotions_reversed],
        "discount_given_back": rupees(note.discount_given_back),
    }


# Sponsored campaigns (issue #17): the rows travel whole, every column, money in rupees.
SPONSOR = "sponsor"
SPONSORED_CAMPAIGN = "sponsored_campaign"
SPONSOR_IMPRESSION = "sponsor_impression"
SPONSOR_INVOICE = "sponsor_invoice"
SPONSOR_PAYMENT = "sponsor_payment"

_SPONSOR_MONEY = frozenset(
    {
        "campaign_budget",
        "cost_per_impression",
        "cpi_rate",
        "amount",
        "deposit_amount",
        "discount_amount",
        "taxable_amount",
        "cgst_amount",
        "sgst_amount",
        "igst_amount",
        "tax_amount",
        "total_amount",
        "refund_amount",
        "outstanding_amount",
    }
)


def _columns_json(row: Any, money: frozenset[str]) -> dict[str, Any]:
    """A row whole: each column by its name, the `money` columns (paise) as rupees, ids,
    instants and dates as text."""
    document: dict[str, Any] = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        if column.key in money and value is not None:
            value = rupees(value)
        elif isinstance(value, uuid.UUID | date | datetime | Decimal):
            value = _iso(value) if isinstance(value, date) else str(value)
        document[column.key] = value
    return document


def sponsor_row_json(row: Any) -> dict[str, Any]:
    """A sponsor, sponsored campaign, impression, sponsor invoice or sponsor payment row:
    each column by its name, money as rupees, ids, instants and dates as text."""
    return _columns_json(row, _SPONSOR_MONEY)


# Campaign sending (issue #16): messages as they end, consent events, do-not-contact and
# replies travel whole, like the sponsors' rows (the cost of a message in rupees).
CAMPAIGN_EXECUTION = "campaign_execution"
CONSENT_EVENT = "consent_event"
DO_NOT_CONTACT = "do_not_contact"
CAMPAIGN_RESPONSE = "campaign_response"


def campaign_row_json(row: Any) -> dict[str, Any]:
    """A consent event, do-not-contact or campaign response row, whole."""
    return _columns_json(row, frozenset())


def campaign_execution_json(row: Any) -> dict[str, Any]:
    """One campaign message with its status, provider id, error, times and `cost` (rupees,
    in place of the paise column)."""
    document = _columns_json(row, frozenset())
    document["cost"] = optional_rupees(document.pop("cost_paise", None))
    return document


# Campaigns (issue #16): templates, campaigns and triggers travel whole; a campaign's
# budget in rupees in place of its paise column.
MESSAGE_TEMPLATE = "message_template"
CAMPAIGN = "campaign"


def message_template_json(row: Any) -> dict[str, Any]:
    """A template of the library, whole."""
    return _columns_json(row, frozenset())


def campaign_json(row: Any) -> dict[str, Any]:
    """A campaign, whole, with `budget` in rupees in place of `budget_paise`."""
    document = _columns_json(row, frozenset())
    document["budget"] = rupees(document.pop("budget_paise"))
    return document


CAMPAIGN_TRIGGER = "campaign_trigger"


def campaign_trigger_json(row: Any) -> dict[str, Any]:
    """A campaign's trigger, whole."""
    return _columns_json(row, frozenset())
