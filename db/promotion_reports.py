"""Seed 000's promotion reports as queries: effectiveness, promoted invoices, usage
timeline and top patients. Reversed usage (cancelled invoices) never counts. Amounts in
paise; days are the branch's business dates (the invoice date)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from db.models import InvoiceHeader, Patient, PromotionCampaign, PromotionUsageLog

_live = PromotionUsageLog.reversed_at.is_(None)


def campaign_effectiveness(session: Session) -> list[dict[str, Any]]:
    """Per promotion: uses, unique patients, total and average discount (largest first)."""
    total = func.coalesce(func.sum(PromotionUsageLog.discount_amount), 0)
    query = (
        select(
            PromotionCampaign.id,
            PromotionCampaign.campaign_code,
            PromotionCampaign.campaign_name,
            PromotionCampaign.promotion_type,
            PromotionCampaign.is_active,
            PromotionCampaign.current_uses,
            func.count(PromotionUsageLog.id).label("uses"),
            func.count(distinct(PromotionUsageLog.patient_id)).label("unique_patients"),
            total.label("total_discount"),
        )
        .outerjoin(
            PromotionUsageLog, (PromotionUsageLog.campaign_id == PromotionCampaign.id) & _live
        )
        .where(PromotionCampaign.retired_at.is_(None))
        .group_by(PromotionCampaign.id)
        .order_by(total.desc(), PromotionCampaign.campaign_code)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def promoted_invoices(session: Session, *, limit: int) -> list[dict[str, Any]]:
    """Issued invoices that carry promotions, newest first."""
    query = (
        select(
            InvoiceHeader.id,
            InvoiceHeader.invoice_number,
            InvoiceHeader.invoice_date,
            Patient.name,
            Patient.mobile,
            InvoiceHeader.total_discount,
            InvoiceHeader.total_amount,
            InvoiceHeader.campaigns_applied,
        )
        .join(Patient, Patient.id == InvoiceHeader.patient_id)
        .where(InvoiceHeader.campaigns_applied.is_not(None), InvoiceHeader.status == "issued")
        .order_by(InvoiceHeader.created_at.desc(), InvoiceHeader.invoice_number.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(query)]


def usage_timeline(session: Session, *, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """Uses and discount per business day and promotion between two dates (inclusive)."""
    query = (
        select(
            InvoiceHeader.invoice_date,
            PromotionCampaign.campaign_code,
            PromotionCampaign.campaign_name,
            func.count(PromotionUsageLog.id).label("uses"),
            func.sum(PromotionUsageLog.discount_amount).label("discount"),
        )
        .join(InvoiceHeader, InvoiceHeader.id == PromotionUsageLog.invoice_id)
        .join(PromotionCampaign, PromotionCampaign.id == PromotionUsageLog.campaign_id)
        .where(_live, InvoiceHeader.invoice_date.between(first_day, last_day))
        .group_by(InvoiceHeader.invoice_date, PromotionCampaign.id)
        .order_by(
            InvoiceHeader.invoice_date.desc(), func.sum(PromotionUsageLog.discount_amount).desc()
        )
    )
    return [dict(row._mapping) for row in session.execute(query)]


def top_patients(session: Session, *, limit: int) -> list[dict[str, Any]]:
    """Patients who saved most through promotions."""
    savings = func.sum(PromotionUsageLog.discount_amount)
    query = (
        select(
            Patient.id,
            Patient.name,
            Patient.mobile,
            func.count(distinct(PromotionUsageLog.campaign_id)).label("promotions_used"),
            func.count(PromotionUsageLog.id).label("uses"),
            savings.label("total_savings"),
            func.max(PromotionUsageLog.usage_date).label("last_promotion_at"),
        )
        .join(Patient, Patient.id == PromotionUsageLog.patient_id)
        .where(_live)
        .group_by(Patient.id)
        .order_by(savings.desc(), Patient.name)
        .limit(limit)
    )
    return [dict(row._mapping) for row in session.execute(query)]
