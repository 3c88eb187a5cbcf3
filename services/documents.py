"""One serialiser per document type: the JSON the CLI prints, the outbox carries and the
centre stores comes from the function here, and from nowhere else.

Amounts are strings of rupees with two decimals ("4500.00"), never floats; ids are strings;
instants are ISO 8601 with their offset; dates are ISO dates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.money import paise_to_decimal

if TYPE_CHECKING:
    from services.invoice_document import InvoiceDocument
    from services.invoicing import Quote

# The document types that travel to the centre, by the name the outbox gives them.
INVOICE = "invoice"
INVOICE_CANCELLATION = "invoice_cancellation"
CALLBACK_REQUEST = "callback_request"
PATIENT = "patient"
PROMOTION = "promotion"
PROMO_CODE = "promo_code"


def rupees(paise: int) -> str:
    """Paise as a string of rupees with two decimals."""
    return str(paise_to_decimal(paise))


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
            }
            for line in document.lines
        ],
        "totals": {
            "gross": rupees(document.gross_amount),
            "promotion_discount": rupees(document.total_discount - document.manual_discount),
            "manual_discount": rupees(document.manual_discount),
            "total_discount": rupees(document.total_discount),
            "tax": rupees(document.tax_amount),
            "round_off": rupees(document.round_off),
            "payable": rupees(document.total_amount),
        },
        "campaigns_applied": json_ready(document.campaigns_applied),
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
