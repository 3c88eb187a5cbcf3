"""A saved invoice as plain data: what the PDF, the CLI's JSON and the panel read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Branch,
    CreditNote,
    InvoiceHeader,
    Patient,
    Payment,
    PaymentAllocation,
    PromotionCampaign,
    User,
)
from domain.branch import BranchDetails
from domain.gst import DocumentType
from domain.money import rupees_to_paise
from domain.payments import Method
from services.branch import branch_details
from services.errors import NotFound
from services.payment_settings import read_payment_settings


@dataclass(frozen=True)
class DocumentLine:
    """One invoice line; amounts in paise."""

    line_no: int
    item_code: str
    item_name: str
    item_type: str
    quantity: int
    unit_price: int
    gross_amount: int
    discount_type: str | None
    discount_percent: Decimal
    discount_amount: int
    promotion_id: uuid.UUID | None
    badge_text: str | None
    tax_rate: Decimal
    tax_amount: int
    line_total: int
    hsn_sac: str = ""
    taxability: str = "taxable"
    taxable_value: int = 0
    cgst_amount: int = 0
    sgst_amount: int = 0
    igst_amount: int = 0
    # The catalog category the line was sold under (GST's HSN summary describes by it).
    category: str = ""


@dataclass(frozen=True)
class PromotionSaving:
    """What one promotion saved the patient on this invoice (paise)."""

    campaign_code: str
    campaign_name: str
    amount: int


@dataclass(frozen=True)
class DocumentPayment:
    """Money applied to this invoice: a payment taken with it or later, or an advance used
    (paise). `method` is a domain.payments.Method value; `label` the branch's name for it."""

    method: str
    label: str
    amount: int
    reference: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class InvoiceDocument:
    """A saved invoice with everything needed to print it; amounts in paise."""

    id: uuid.UUID
    invoice_number: str
    invoice_date: date
    created_at: datetime
    status: str
    cancel_reason: str | None
    branch: BranchDetails
    branch_timezone: str
    patient_name: str
    patient_mobile: str
    created_by: str
    lines: tuple[DocumentLine, ...]
    gross_amount: int
    total_discount: int
    promotion_savings: tuple[PromotionSaving, ...]
    manual_discount: int
    tax_amount: int
    round_off: int
    total_amount: int
    campaigns_applied: dict[str, Any] | None
    # GST particulars (rule 46): the document the lines made, the place of supply, and the
    # recipient's GSTIN for a B2B sale.
    document_type: str = "tax_invoice"
    place_of_supply: str = ""
    recipient_gstin: str = ""
    # Money (issue #11): what was applied to the invoice, the change handed back with the
    # cash at the sale, and what credit notes took off it (paise).
    payments: tuple[DocumentPayment, ...] = ()
    change_given: int = 0
    credited: int = 0
    paid_outside: bool = False
    # What the lines cost the clinic (paise), for the head office's profit per customer.
    total_cost: int = 0
    # Imported from an earlier system (the history import): no GST of ours, no takings.
    is_history: bool = False

    @property
    def amount_paid(self) -> int:
        return sum(payment.amount for payment in self.payments)

    @property
    def amount_due(self) -> int:
        """What the patient still owes on this invoice (0 once cancelled)."""
        if self.status == "cancelled" or self.paid_outside:
            return 0
        return max(0, self.total_amount - self.credited - self.amount_paid)

    @property
    def paid_status(self) -> str:
        """ "paid", "partly_paid" or "unpaid" (domain.payments.PaidStatus values)."""
        due = self.amount_due
        if due <= 0:
            return "paid"
        return "unpaid" if due >= self.total_amount - self.credited else "partly_paid"

    @property
    def legal_name(self) -> str:
        """The supplier's legal name that heads the document (its short name if unset)."""
        return self.branch.legal_name or self.branch.name

    @property
    def branch_state(self) -> str:
        """The GST state code of the supplying branch."""
        return self.branch.state_code or ""

    @property
    def heading(self) -> str:
        """TAX INVOICE, BILL OF SUPPLY or INVOICE-CUM-BILL OF SUPPLY."""
        return DocumentType(self.document_type).heading

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
    def subtotal(self) -> int:
        """Gross less every discount, before rounding off (tax is included in it)."""
        return self.gross_amount - self.total_discount


def load_invoice_document(session: Session, invoice_id: uuid.UUID) -> InvoiceDocument:
    """Read one invoice, its lines, branch, patient and promotion savings."""
    invoice = session.get(InvoiceHeader, invoice_id)
    if invoice is None:
        raise NotFound("That invoice does not exist.")
    user = session.get(User, invoice.created_by) if invoice.created_by else None
    promotion_ids = {line.promotion_id for line in invoice.lines if line.promotion_id}
    names = {
        p.id: (p.campaign_code, p.campaign_name)
        for p in session.scalars(
            select(PromotionCampaign).where(PromotionCampaign.id.in_(promotion_ids))
        )
    }
    payments, change, credited = invoice_money(session, invoice.id)
    return replace(
        build_invoice_document(
            invoice,
            session.get_one(Branch, invoice.branch_id),
            session.get_one(Patient, invoice.patient_id),
            created_by=user.full_name if user else "",
            promotion_names=names,
        ),
        payments=payments,
        change_given=change,
        credited=credited,
    )


def build_invoice_document(
    invoice: InvoiceHeader,
    branch: Branch,
    patient: Patient,
    *,
    created_by: str,
    promotion_names: dict[uuid.UUID, tuple[str, str]],
) -> InvoiceDocument:
    """The document of an invoice whose rows are at hand (code and name by promotion id)."""
    names = dict(promotion_names)
    savings: dict[uuid.UUID, int] = {}
    for entry in (invoice.campaigns_applied or {}).get("applied_promotions", []):
        pid = uuid.UUID(entry["promotion_id"])
        savings[pid] = rupees_to_paise(Decimal(str(entry["total_discount"])))
        names.setdefault(pid, (entry["campaign_code"], entry["campaign_name"]))
    promotion_total = sum(savings.values())
    return InvoiceDocument(
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        created_at=invoice.created_at,
        status=invoice.status,
        cancel_reason=invoice.cancel_reason,
        branch=branch_details(branch),
        branch_timezone=branch.timezone,
        patient_name=patient.name,
        patient_mobile=patient.mobile,
        created_by=created_by,
        lines=tuple(
            DocumentLine(
                line_no=line.line_no,
                item_code=line.item_code,
                item_name=line.item_name,
                item_type=line.item_type,
                quantity=line.quantity,
                unit_price=line.unit_price,
                gross_amount=line.gross_amount,
                discount_type=line.discount_type,
                discount_percent=line.discount_percent,
                discount_amount=line.discount_amount,
                promotion_id=line.promotion_id,
                badge_text=line.badge_text,
                tax_rate=line.tax_rate,
                tax_amount=line.tax_amount,
                line_total=line.line_total,
                hsn_sac=line.hsn_sac,
                taxability=line.taxability,
                taxable_value=line.taxable_value,
                cgst_amount=line.cgst_amount,
                sgst_amount=line.sgst_amount,
                igst_amount=line.igst_amount,
                category=line.category,
            )
            for line in invoice.lines
        ),
        gross_amount=invoice.gross_amount,
        total_discount=invoice.total_discount,
        promotion_savings=tuple(
            PromotionSaving(names[pid][0], names[pid][1], amount)
            for pid, amount in sorted(savings.items(), key=lambda kv: names[kv[0]][0])
        ),
        manual_discount=invoice.total_discount - promotion_total,
        tax_amount=invoice.tax_amount,
        round_off=invoice.round_off,
        total_amount=invoice.total_amount,
        campaigns_applied=invoice.campaigns_applied,
        document_type=invoice.document_type,
        place_of_supply=invoice.place_of_supply,
        recipient_gstin=invoice.recipient_gstin,
        paid_outside=invoice.paid_outside,
        total_cost=invoice.total_cost,
        is_history=invoice.is_history,
    )


def invoice_money(
    session: Session, invoice_id: uuid.UUID
) -> tuple[tuple[DocumentPayment, ...], int, int]:
    """What was applied to an invoice (as the document lists it), the change handed back
    at the sale, and what credit notes took off it."""
    settings = read_payment_settings(session)
    rows = session.execute(
        select(PaymentAllocation, Payment)
        .outerjoin(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(PaymentAllocation.invoice_id == invoice_id)
        .order_by(PaymentAllocation.created_at)
    ).all()
    payments = []
    for allocation, payment in rows:
        if allocation.kind == "credit_note":
            method, reference = "credit_note", ""
            label = "Taken back by credit note"
        elif payment is None:
            method, reference, label = Method.ADVANCE.value, "", settings.label(Method.ADVANCE)
        else:
            method, reference = payment.method, payment.reference
            label = settings.label(payment.method)
            if payment.kind == "reversal":
                label = f"{label} reversed"
        payments.append(
            DocumentPayment(method, label, allocation.amount, reference, allocation.created_at)
        )
    change = session.scalar(
        select(func.coalesce(func.sum(Payment.change_given), 0)).where(
            Payment.invoice_id == invoice_id, Payment.kind == "sale"
        )
    )
    credited = session.scalar(
        select(func.coalesce(func.sum(CreditNote.total_amount), 0)).where(
            CreditNote.invoice_id == invoice_id
        )
    )
    return tuple(payments), int(change or 0), int(credited or 0)
