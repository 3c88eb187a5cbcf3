"""Sponsored campaigns billed per impression (issue #17, seed 002): sponsors, their
campaigns, the impressions of their badges, billing cycles, sponsor invoices and payments.

The rules are domain.sponsor_billing's (numbered there); this module reads and writes
them, each write one unit of work with its audit entry and its outbox documents (the rows
travel whole: services.documents.sponsor_row_json). Managers do all of it, except that
the counter records impressions, clicks and conversions for whoever is signed in.

- An impression is recorded when a sponsored badge has been shown (with how long, on a
  focused window) or printed; `is_unique`, `is_viewable` and `charged` are decided here
  from the rows already written (rules 10 and 11).
- A billing cycle bills the charged impressions of its period not billed before, up to
  the campaign's limit (rule 2), in one sponsor invoice numbered in its own gap-free series
  per fiscal year ("INDS/26-27/00001"); the same period billed again issues nothing.
- Clicks and conversions of an invoice's period are counted from the impressions each
  time they are asked for, never stored on the invoice (seed 002).
- With a centre, the head office's sponsors and campaigns reach every branch at its next
  sync (services.sync_pull), belonging to no branch there (`branch_id` None). A branch
  records their impressions, clicks and conversions like its own, but the centre bills
  them (services.sponsor_billing_central): the branch takes no deposit for them, bills
  none of their cycles and changes none of their settings (`_refuse_head_office`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.fast_select import fetch
from db.models import (
    Branch,
    PromotionCampaign,
    Sponsor,
    SponsoredCampaign,
    SponsoredCampaignPromotion,
    SponsorImpression,
    SponsorInvoice,
    SponsorPayment,
    SyncOutbox,
    SyncSponsorTotal,
)
from domain.invoice_numbers import NumberFormatError, check_format
from domain.permissions import require
from domain.sponsor_billing import (
    BillingFrequency,
    InvoiceBalance,
    InvoiceFigures,
    Pacing,
    PaymentStatus,
    Period,
    SponsorBillingError,
    SponsorInvoiceStatus,
    SponsorInvoiceType,
    billable_now,
    check_payment,
    check_period,
    deposit_invoice,
    final_settlement,
    impression_limit,
    invoice_status,
    is_charged,
    is_credit_note,
    is_inter_state,
    is_viewable,
    may_show,
    pacing,
    payment_status,
    recurring_invoice,
)
from domain.sponsor_spec import CampaignSpec, SponsorSpec, validate_campaign, validate_sponsor
from services import documents, sponsor_billing_central
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import NotFound, ServiceError
from services.numbering import allocate_invoice_number
from services.uow import UnitOfWork

SERIES = "SP"
# The first format that fits GST's 16 characters with the branch's code (as credit notes).
TEMPLATES = ("{BRANCH}S/{FY}/{SEQ}", "{BRANCH}S{FY}{SEQ}", "{BRANCH}SP{FYYYY}{SEQ}")
# A settlement that refunds is a credit note (rule 12), numbered in a series of its own.
CREDIT_SERIES = "SC"
CREDIT_TEMPLATES = ("{BRANCH}SC{FY}/{SEQ}", "{BRANCH}SC{FY}{SEQ}", "{BRANCH}SC{FYYYY}{SEQ}")
METHODS = ("bank_transfer", "upi", "cheque", "card", "cash")


class SponsorError(ServiceError):
    """A sponsor request refused by the state of things."""


def _manager(actor: CurrentUser) -> None:
    require(actor.role, "sponsor.manage")


def _branch(session: Session) -> Branch:
    branch = session.get(Branch, this_branch_id(session))
    assert branch is not None
    return branch


def branch_today(session: Session, now: datetime) -> date:
    """The branch's date at `now`."""
    return now.astimezone(ZoneInfo(_branch(session).timezone)).date()


# ------------------------------------------------------------------------------ sponsors


@dataclass(frozen=True)
class SponsorRow:
    """A sponsor as the panel and `sponsor list` show it."""

    id: uuid.UUID
    legal_name: str
    gstin: str
    state_code: str
    contact_name: str
    contact_email: str
    contact_phone: str
    billing_address: str
    campaigns: int
    # Received from the centre: the head office's sponsor (services.sync_pull).
    head_office: bool = False


def head_office_runs(row: Sponsor | SponsoredCampaign) -> bool:
    """A sponsor or campaign this branch received from the centre (none on the centre)."""
    return row.branch_id is None


def _refuse_head_office(campaign: SponsoredCampaign, what: str) -> None:
    """A branch records the head office's campaign's impressions, and no more."""
    if head_office_runs(campaign):
        raise SponsorError(
            f"Head office runs campaign {campaign.campaign_code} for every branch and {what} "
            "on the centre: this branch records its impressions, and receives any change at "
            "its next sync."
        )


def add_sponsor(
    db: Database,
    actor: CurrentUser,
    spec: SponsorSpec,
    *,
    now: datetime,
    recorded_at: datetime | None = None,
) -> SponsorRow:
    """Save a new sponsor (rule 1 of domain.sponsor_spec); a legal name is used once."""
    _manager(actor)
    checked = validate_sponsor(spec)
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        if session.scalar(select(Sponsor.id).where(Sponsor.legal_name == checked.legal_name)):
            raise SponsorError(f"{checked.legal_name} is already a sponsor.")
        sponsor = Sponsor(
            branch_id=this_branch_id(session),
            legal_name=checked.legal_name,
            gstin=checked.gstin,
            state_code=checked.state_code,
            contact_name=checked.contact_name,
            contact_email=checked.contact_email,
            contact_phone=checked.contact_phone,
            billing_address=checked.billing_address,
            created_at=now,
            updated_at=now,
        )
        session.add(sponsor)
        session.flush()
        uow.audit("sponsor.add", "sponsor", sponsor.id, {"legal_name": sponsor.legal_name})
        uow.outbox(documents.SPONSOR, sponsor.id, documents.sponsor_row_json(sponsor))
        uow.commit()
        return _sponsor_row(sponsor, 0)


def _sponsor_row(sponsor: Sponsor, campaigns: int) -> SponsorRow:
    return SponsorRow(
        sponsor.id,
        sponsor.legal_name,
        sponsor.gstin,
        sponsor.state_code,
        sponsor.contact_name,
        sponsor.contact_email,
        sponsor.contact_phone,
        sponsor.billing_address,
        campaigns,
        head_office_runs(sponsor),
    )


def list_sponsors(db: Database, actor: CurrentUser) -> list[SponsorRow]:
    """Every sponsor, by name, with how many campaigns each has."""
    _manager(actor)
    with db.session(write=False) as session:
        counts = dict(
            session.execute(
                select(SponsoredCampaign.sponsor_id, func.count()).group_by(
                    SponsoredCampaign.sponsor_id
                )
            ).all()
        )
        sponsors = session.scalars(
            select(Sponsor).where(Sponsor.retired_at.is_(None)).order_by(Sponsor.legal_name)
        )
        return [_sponsor_row(s, counts.get(s.id, 0)) for s in sponsors]


def _find_sponsor(session: Session, name: str) -> Sponsor:
    sponsor = session.scalar(
        select(Sponsor).where(func.lower(Sponsor.legal_name) == name.strip().lower())
    )
    if sponsor is None:
        raise NotFound(f"There is no sponsor named {name}; add it first (sponsor add).")
    return sponsor


# ------------------------------------------------------------------------------ campaigns


def _find_campaign(session: Session, code: str) -> SponsoredCampaign:
    campaign = session.scalar(
        select(SponsoredCampaign).where(SponsoredCampaign.campaign_code == code.strip().upper())
    )
    if campaign is None:
        raise NotFound(f"There is no sponsored campaign {code}.")
    return campaign


def _flight(campaign: SponsoredCampaign) -> Period:
    return Period(campaign.start_date, campaign.end_date)


def _limit(campaign: SponsoredCampaign) -> int:
    return impression_limit(
        campaign.booked_impressions, campaign.campaign_budget, campaign.cost_per_impression
    )


def add_sponsored_campaign(
    db: Database,
    actor: CurrentUser,
    data: dict[str, Any],
    *,
    now: datetime,
    recorded_at: datetime | None = None,
) -> str:
    """Save a sponsored campaign from its spec (domain.sponsor_spec rule 2) with the
    promotions it pays for; with a deposit, its deposit invoice is issued at once (rule
    4). Returns the campaign's code."""
    _manager(actor)
    with db.session(write=False) as session:
        today = branch_today(session, now)
    spec = validate_campaign(data, today=today)
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        sponsor = _find_sponsor(session, spec.sponsor)
        same = session.scalar(
            select(SponsoredCampaign).where(SponsoredCampaign.campaign_code == spec.campaign_code)
        )
        if same is not None:
            _refuse_head_office(same, "bills it")
            raise SponsorError(f"There is already a sponsored campaign {spec.campaign_code}.")
        promotion_ids = _promotions(session, spec)
        campaign = SponsoredCampaign(
            branch_id=this_branch_id(session),
            sponsor_id=sponsor.id,
            campaign_code=spec.campaign_code,
            campaign_name=spec.campaign_name,
            billing_frequency=spec.billing_frequency.value,
            campaign_budget=spec.campaign_budget,
            cost_per_impression=spec.cost_per_impression,
            booked_impressions=spec.booked_impressions,
            deposit_amount=spec.deposit_amount,
            discount_percent=spec.discount_percent,
            branch_offline_quota=spec.branch_offline_quota,
            start_date=spec.start_date,
            end_date=spec.end_date,
            payment_terms_days=spec.payment_terms_days,
            notes=spec.notes,
            created_at=now,
            updated_at=now,
        )
        session.add(campaign)
        session.flush()
        session.add_all(
            SponsoredCampaignPromotion(campaign_id=campaign.id, promotion_id=p)
            for p in promotion_ids
        )
        uow.audit(
            "sponsor.campaign.add",
            "sponsored_campaign",
            campaign.id,
            {"campaign_code": campaign.campaign_code, "sponsor": sponsor.legal_name},
        )
        payload = documents.sponsor_row_json(campaign)
        payload["promotions"] = list(spec.promotions)
        uow.outbox(documents.SPONSORED_CAMPAIGN, campaign.id, payload)
        if campaign.deposit_amount:
            figures = deposit_invoice(
                campaign.deposit_amount, inter_state=_inter_state(session, sponsor)
            )
            _issue(uow, campaign, sponsor, figures, None, cycle=0, today=today)
        uow.commit()
        return campaign.campaign_code


def stop_campaign(
    db: Database, actor: CurrentUser, campaign_code: str, *, stopped: bool, now: datetime
) -> None:
    """Stop a sponsored campaign (or resume it: `stopped` False) from now on (manager): a
    stopped campaign's badges are neither shown nor recorded, so nothing more is charged
    to the sponsor; its promotions stay the clinic's own, applied as before without the
    sponsor's badge (pause them in Promotions to end their discount too). What it charged
    before is billed as usual. The head office's campaign is stopped on the centre, and
    every branch stops it at its next sync."""
    _manager(actor)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        campaign = _find_campaign(session, campaign_code)
        _refuse_head_office(campaign, "stops or resumes it")
        if campaign.is_active != stopped:
            state = "stopped" if stopped else "running"
            raise SponsorError(f"Campaign {campaign.campaign_code} is {state} already.")
        campaign.is_active = not stopped
        campaign.updated_at = now
        session.flush()
        uow.audit(
            "sponsor.campaign.stop" if stopped else "sponsor.campaign.resume",
            "sponsored_campaign",
            campaign.id,
            {"campaign_code": campaign.campaign_code},
        )
        payload = documents.sponsor_row_json(campaign)
        payload["promotions"] = list(
            session.scalars(
                select(PromotionCampaign.campaign_code)
                .join(SponsoredCampaignPromotion)
                .where(SponsoredCampaignPromotion.campaign_id == campaign.id)
                .order_by(PromotionCampaign.campaign_code)
            )
        )
        uow.outbox(documents.SPONSORED_CAMPAIGN, campaign.id, payload)
        uow.commit()


def _promotions(session: Session, spec: CampaignSpec) -> list[uuid.UUID]:
    ids = []
    for code in spec.promotions:
        promotion_id = session.scalar(
            select(PromotionCampaign.id).where(PromotionCampaign.campaign_code == code)
        )
        if promotion_id is None:
            raise NotFound(f"There is no promotion {code} to sponsor.")
        taken = session.scalar(
            select(SponsoredCampaign.campaign_code)
            .join(SponsoredCampaignPromotion)
            .where(SponsoredCampaignPromotion.promotion_id == promotion_id)
        )
        if taken is not None:
            raise SponsorError(f"Promotion {code} is already sponsored by campaign {taken}.")
        ids.append(promotion_id)
    return ids


def _inter_state(session: Session, sponsor: Sponsor) -> bool:
    return is_inter_state(_branch(session).state_code or sponsor.state_code, sponsor.state_code)


# ------------------------------------------------------------------------------ invoices


def _template(branch: Branch, series: str, templates: tuple[str, ...]) -> str:
    for template in templates:
        try:
            check_format(template, branch_code=branch.branch_code, series=series)
            return template
        except NumberFormatError:
            continue
    return templates[-1]


def _issue(
    uow: UnitOfWork,
    campaign: SponsoredCampaign,
    sponsor: Sponsor,
    figures: InvoiceFigures,
    period: Period | None,
    *,
    cycle: int,
    today: date,
) -> SponsorInvoice:
    """Write one sponsor invoice with its number and its outbox document."""
    invoice = new_sponsor_invoice(
        uow.session,
        _branch(uow.session),
        campaign,
        sponsor,
        figures,
        period,
        cycle=cycle,
        today=today,
        now=uow.now,
        created_by=None if uow.actor is None else uow.actor.id,
    )
    uow.outbox(documents.SPONSOR_INVOICE, invoice.id, documents.sponsor_row_json(invoice))
    return invoice


def new_sponsor_invoice(
    session: Session,
    branch: Branch,
    campaign: SponsoredCampaign,
    sponsor: Sponsor,
    figures: InvoiceFigures,
    period: Period | None,
    *,
    cycle: int,
    today: date,
    now: datetime,
    created_by: uuid.UUID | None,
    invoice_id: uuid.UUID | None = None,
) -> SponsorInvoice:
    """Add one sponsor invoice to the session's transaction, numbered in the sponsor series
    (rule 46: unique in the fiscal year), or a settlement that refunds in the sponsor
    credit notes' (rule 12); the caller writes its audit and outbox rows."""
    series, templates = (
        (CREDIT_SERIES, CREDIT_TEMPLATES) if is_credit_note(figures) else (SERIES, TEMPLATES)
    )
    number = allocate_invoice_number(
        session,
        branch_id=branch.id,
        series=series,
        invoice_date=today,
        start_month=branch.fiscal_year_start_month,
        template=_template(branch, series, templates),
        branch_code=branch.branch_code,
    )
    tax = figures.tax
    invoice = SponsorInvoice(
        id=invoice_id or uuid.uuid4(),
        branch_id=branch.id,
        campaign_id=campaign.id,
        sponsor_id=sponsor.id,
        invoice_number=number.text,
        series=number.series,
        fiscal_year=number.fiscal_year,
        sequence_no=number.sequence,
        invoice_type=figures.invoice_type.value,
        billing_cycle_number=cycle,
        billing_period_start=None if period is None else period.start,
        billing_period_end=None if period is None else period.end,
        impressions_delivered=figures.impressions,
        cpi_rate=figures.rate,
        amount=figures.amount,
        deposit_amount=figures.deposit_amount,
        discount_amount=figures.discount,
        taxable_amount=tax.taxable_value,
        cgst_amount=tax.cgst,
        sgst_amount=tax.sgst,
        igst_amount=tax.igst,
        tax_amount=tax.tax,
        total_amount=figures.total,
        refund_amount=figures.refund,
        outstanding_amount=figures.total,
        # The recipient as it is now (rule 46): kept on the document whatever the sponsor's
        # row says later.
        place_of_supply=sponsor.state_code,
        sponsor_legal_name=sponsor.legal_name,
        sponsor_gstin=sponsor.gstin,
        sponsor_address=sponsor.billing_address,
        status=invoice_status(figures.total, 0, figures.refund).value,
        issued_at=now,
        invoice_date=today,
        due_date=today + timedelta(days=campaign.payment_terms_days),
        notes="",
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(invoice)
    session.flush()
    return invoice


@dataclass(frozen=True)
class BillingResult:
    """What a billing cycle did: the invoice it issued (None when the period was billed
    before, or had nothing to bill), and the impressions over the limit, never billed.
    At the centre also the chain's charged impressions in the flight and each branch's
    overrun past the limit, by branch code (rule 11); None and empty at a branch."""

    invoice_number: str | None
    already_billed: bool
    impressions_billed: int
    over_delivered: int
    charged_in_chain: int | None = None
    overrun_by_branch: dict[str, int] = field(default_factory=dict)


def bill_sponsor_period(
    db: Database,
    actor: CurrentUser,
    campaign_code: str,
    period: Period,
    *,
    final: bool = False,
    now: datetime,
    recorded_at: datetime | None = None,
) -> BillingResult:
    """One billing cycle for `period` (rules 1 to 5): a recurring invoice, or with `final`
    the final settlement. The same period billed again issues nothing new."""
    _manager(actor)
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        if not sponsor_billing_central.at_centre(session):
            _refuse_head_office(_find_campaign(session, campaign_code), "bills it")
            result = _bill_cycle(
                uow, campaign_code, period, final=final, unbilled=_unbilled_here, link=_link_here
            )
        else:
            # The head office: every branch's impressions, billed once (rule 11).
            chain = sponsor_billing_central.chain_cycle(
                session, _find_campaign(session, campaign_code)
            )
            result = _bill_cycle(
                uow,
                campaign_code,
                period,
                final=final,
                unbilled=chain.unbilled,
                link=chain.link,
                details={"chain_overrun_by_branch": chain.overrun_by_branch},
            )
            result = replace(
                result, charged_in_chain=chain.charged, overrun_by_branch=chain.overrun_by_branch
            )
        uow.commit()
        return result


# unbilled(session, campaign, period): the charged impressions of the period not billed
# yet, in the order they are billed (first charged first).
Unbilled = Callable[[Session, SponsoredCampaign, Period], list[uuid.UUID]]
# link(session, invoice, ids): record that the invoice billed these impressions.
Link = Callable[[Session, SponsorInvoice, list[uuid.UUID]], None]


def _unbilled_here(
    session: Session, campaign: SponsoredCampaign, period: Period
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(SponsorImpression.id)
            .where(
                SponsorImpression.campaign_id == campaign.id,
                SponsorImpression.charged.is_(True),
                SponsorImpression.sponsor_invoice_id.is_(None),
                SponsorImpression.shown_on.between(period.start, period.end),
            )
            .order_by(SponsorImpression.charged_at, SponsorImpression.id)
        )
    )


def _link_here(session: Session, invoice: SponsorInvoice, billed: list[uuid.UUID]) -> None:
    for start in range(0, len(billed), 500):
        session.execute(
            update(SponsorImpression)
            .where(SponsorImpression.id.in_(billed[start : start + 500]))
            .values(sponsor_invoice_id=invoice.id)
            .execution_options(synchronize_session=False)
        )


def _bill_cycle(
    uow: UnitOfWork,
    campaign_code: str,
    period: Period,
    *,
    final: bool,
    unbilled: Unbilled,
    link: Link,
    details: dict[str, Any] | None = None,
) -> BillingResult:
    """One billing cycle inside `uow` (rules 1 to 5) over the impressions `unbilled`
    names: a branch's own, or the chain's at the centre (services.sponsor_billing_central).
    The caller checked the actor and commits."""
    kind = SponsorInvoiceType.FINAL_SETTLEMENT if final else SponsorInvoiceType.RECURRING
    session = uow.session
    campaign = _find_campaign(session, campaign_code)
    today = branch_today(session, uow.now)
    check_period(period, _flight(campaign), today)
    invoices = list(
        session.scalars(select(SponsorInvoice).where(SponsorInvoice.campaign_id == campaign.id))
    )
    same = [
        i
        for i in invoices
        if i.invoice_type == kind.value
        and (i.billing_period_start, i.billing_period_end) == (period.start, period.end)
    ]
    if same:
        return BillingResult(same[0].invoice_number, True, same[0].impressions_delivered, 0)
    if any(i.invoice_type == SponsorInvoiceType.FINAL_SETTLEMENT for i in invoices):
        raise SponsorError(
            f"Campaign {campaign.campaign_code} is settled: its final invoice was issued."
        )
    waiting = unbilled(session, campaign, period)
    billed_before = sum(i.impressions_delivered for i in invoices)
    count, over = billable_now(len(waiting), billed_before, _limit(campaign))
    sponsor = session.get(Sponsor, campaign.sponsor_id)
    assert sponsor is not None
    inter_state = _inter_state(session, sponsor)
    percent = campaign.discount_percent
    rate = campaign.cost_per_impression
    if final:
        deposits = sum(i.amount for i in invoices if i.invoice_type == SponsorInvoiceType.DEPOSIT)
        figures = final_settlement(
            count, rate, discount_percent=percent, deposits=deposits, inter_state=inter_state
        )
    elif count == 0:
        return BillingResult(None, False, 0, over)
    else:
        figures = recurring_invoice(count, rate, discount_percent=percent, inter_state=inter_state)
    cycle = 1 + sum(1 for i in invoices if i.invoice_type != SponsorInvoiceType.DEPOSIT)
    invoice = _issue(uow, campaign, sponsor, figures, period, cycle=cycle, today=today)
    link(session, invoice, waiting[:count])
    uow.audit(
        "sponsor.bill",
        "sponsor_invoice",
        invoice.id,
        {
            "invoice_number": invoice.invoice_number,
            "campaign_code": campaign.campaign_code,
            "period": [period.start.isoformat(), period.end.isoformat()],
            "impressions": count,
            "over_delivered": over,
            **(details or {}),
        },
    )
    return BillingResult(invoice.invoice_number, False, count, over)


def bill_every_campaign(
    db: Database,
    actor: CurrentUser,
    period: Period,
    *,
    final: bool = False,
    now: datetime,
    recorded_at: datetime | None = None,
) -> dict[str, BillingResult]:
    """One billing cycle for every campaign whose flight meets `period` (the period cut to
    each flight); each campaign is billed in its own unit of work, by campaign code. At a
    branch the head office's campaigns are left to the centre."""
    _manager(actor)
    with db.session(write=False) as session:
        flights = session.execute(
            select(
                SponsoredCampaign.campaign_code,
                SponsoredCampaign.start_date,
                SponsoredCampaign.end_date,
            )
            .where(
                SponsoredCampaign.start_date <= period.end,
                SponsoredCampaign.end_date >= period.start,
                # At a branch, the head office's campaigns are the centre's to bill.
                SponsoredCampaign.branch_id.is_not(None),
            )
            .order_by(SponsoredCampaign.campaign_code)
        ).all()
    return {
        code: bill_sponsor_period(
            db,
            actor,
            code,
            Period(max(start, period.start), min(end, period.end)),
            final=final,
            now=now,
            recorded_at=recorded_at,
        )
        for code, start, end in flights
    }


def _find_invoice(session: Session, number: str) -> SponsorInvoice:
    invoice = session.scalar(
        select(SponsorInvoice).where(SponsorInvoice.invoice_number == number.strip().upper())
    )
    if invoice is None:
        raise NotFound(f"There is no sponsor invoice {number}.")
    return invoice


@dataclass(frozen=True)
class PaymentRecorded:
    """A sponsor payment and what its invoice still owes."""

    payment_id: uuid.UUID
    invoice_number: str
    outstanding: int
    status: str


def record_sponsor_payment(
    db: Database,
    actor: CurrentUser,
    invoice_number: str,
    amount: int,
    *,
    method: str,
    reference: str = "",
    now: datetime,
    recorded_at: datetime | None = None,
) -> PaymentRecorded:
    """A payment on a sponsor invoice, part or all of what it owes (rule 7)."""
    _manager(actor)
    if method not in METHODS:
        raise SponsorBillingError(f"A sponsor pays by {', '.join(METHODS)}, not '{method}'")
    with UnitOfWork(db, actor, now, recorded_at=recorded_at) as uow:
        session = uow.session
        invoice = _find_invoice(session, invoice_number)
        if invoice.status == SponsorInvoiceStatus.REFUND_DUE:
            raise SponsorError(
                f"Invoice {invoice.invoice_number} refunds the sponsor: nothing is due on it."
            )
        check_payment(amount, invoice.outstanding_amount)
        payment = SponsorPayment(
            branch_id=this_branch_id(session),
            sponsor_invoice_id=invoice.id,
            amount=amount,
            method=method,
            reference=reference.strip(),
            paid_at=now,
            created_at=now,
            created_by=actor.id,
        )
        session.add(payment)
        invoice.outstanding_amount -= amount
        paid = invoice.total_amount - invoice.outstanding_amount
        invoice.status = invoice_status(invoice.total_amount, paid).value
        invoice.payment_method = method
        invoice.payment_transaction_id = payment.reference or None
        invoice.paid_at = now
        invoice.updated_at = now
        session.flush()
        uow.audit(
            "sponsor.pay",
            "sponsor_invoice",
            invoice.id,
            {"invoice_number": invoice.invoice_number, "amount": amount, "method": method},
        )
        uow.outbox(documents.SPONSOR_PAYMENT, payment.id, documents.sponsor_row_json(payment))
        uow.outbox(documents.SPONSOR_INVOICE, invoice.id, documents.sponsor_row_json(invoice))
        uow.commit()
        return PaymentRecorded(
            payment.id, invoice.invoice_number, invoice.outstanding_amount, invoice.status
        )


# ------------------------------------------------------------------------------ impressions


@dataclass(frozen=True)
class SponsoredBadge:
    """A promotion whose badge a campaign pays for, and whether it may still be shown."""

    promotion_id: uuid.UUID
    campaign_id: uuid.UUID
    campaign_code: str
    sponsor: str
    open: bool


def _charged(session: Session, campaign_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                SponsorImpression.campaign_id == campaign_id, SponsorImpression.charged.is_(True)
            )
        )
        or 0
    )


def _unacknowledged(session: Session, campaign_id: uuid.UUID) -> int:
    """This branch's charged impressions the centre has not acknowledged (rule 11)."""
    waiting = select(SyncOutbox.doc_id).where(
        SyncOutbox.doc_type == documents.SPONSOR_IMPRESSION, SyncOutbox.sent_at.is_(None)
    )
    return (
        session.scalar(
            select(func.count()).where(
                SponsorImpression.campaign_id == campaign_id,
                SponsorImpression.charged.is_(True),
                SponsorImpression.id.in_(waiting),
            )
        )
        or 0
    )


def _others_at_pull(session: Session, campaign_id: uuid.UUID) -> int:
    """The other branches' charged impressions of the campaign's promotions, as the centre
    counted them at this branch's last pull (none before the first, or with no centre)."""
    others = func.sum(SyncSponsorTotal.charged - SyncSponsorTotal.own)
    return max(
        0,
        session.scalar(
            select(func.coalesce(others, 0))
            .join(
                SponsoredCampaignPromotion,
                SponsoredCampaignPromotion.promotion_id == SyncSponsorTotal.promotion_id,
            )
            .where(SponsoredCampaignPromotion.campaign_id == campaign_id)
        )
        or 0,
    )


def _charged_in_chain(session: Session, campaign_id: uuid.UUID) -> int:
    """Rule 11's count at a branch: the centre's total at the last pull plus this branch's
    charged impressions it did not hold then, i.e. the others' as pulled plus all of this
    branch's own (its own are always known here, whatever the order of push and pull)."""
    return _others_at_pull(session, campaign_id) + _charged(session, campaign_id)


def _room_left(session: Session, campaign: SponsoredCampaign) -> bool:
    # Every quote at the counter asks (invoicing's hard stop): the outbox is read only
    # for a campaign that has a quota.
    quota = campaign.branch_offline_quota
    waiting = 0 if quota is None else _unacknowledged(session, campaign.id)
    return may_show(_charged_in_chain(session, campaign.id), _limit(campaign), waiting, quota)


# Every quote at the counter asks which sponsored promotions are in flight and which of
# them have spent their impressions (invoicing's hard stop), so it is one statement, built
# once: each in-flight campaign's promotions with the counts of _charged_in_chain.
_PROMOTION = SponsoredCampaignPromotion.__table__.alias("campaign_promotion")
_CHARGED_HERE = (
    select(func.count())
    .where(
        SponsorImpression.campaign_id == SponsoredCampaign.id,
        SponsorImpression.charged.is_(True),
    )
    .correlate(SponsoredCampaign)
    .scalar_subquery()
)
_OTHERS_AT_PULL = (
    select(func.coalesce(func.sum(SyncSponsorTotal.charged - SyncSponsorTotal.own), 0))
    .join(_PROMOTION, _PROMOTION.c.promotion_id == SyncSponsorTotal.promotion_id)
    .where(_PROMOTION.c.campaign_id == SponsoredCampaign.id)
    .correlate(SponsoredCampaign)
    .scalar_subquery()
)
_IN_FLIGHT = (
    select(
        SponsoredCampaignPromotion.promotion_id,
        SponsoredCampaign,
        Sponsor.legal_name,
        _CHARGED_HERE,
        _OTHERS_AT_PULL,
    )
    .select_from(SponsoredCampaignPromotion)
    .join(SponsoredCampaign, SponsoredCampaign.id == SponsoredCampaignPromotion.campaign_id)
    .join(Sponsor, Sponsor.id == SponsoredCampaign.sponsor_id)
    .where(
        SponsoredCampaign.is_active.is_(True),
        SponsoredCampaign.retired_at.is_(None),
        SponsoredCampaign.start_date <= bindparam("today"),
        SponsoredCampaign.end_date >= bindparam("today"),
    )
)


# The same as plain rows of the columns it needs (db.fast_select: every save asks it).
_IN_FLIGHT_ROWS = _IN_FLIGHT.with_only_columns(
    SponsoredCampaignPromotion.promotion_id,
    SponsoredCampaign.id,
    SponsoredCampaign.campaign_code,
    SponsoredCampaign.branch_offline_quota,
    SponsoredCampaign.booked_impressions,
    SponsoredCampaign.campaign_budget,
    SponsoredCampaign.cost_per_impression,
    Sponsor.legal_name,
    _CHARGED_HERE.label("charged"),
    _OTHERS_AT_PULL.label("others"),
    maintain_column_froms=True,
)


def badges_in_flight(session: Session, today: date) -> dict[uuid.UUID, SponsoredBadge]:
    """The sponsored promotions in flight on `today`, by promotion id, each saying whether
    its badge may still be shown and the promotion applied (rule 11's hard stop, counted
    as _room_left counts it)."""
    room: dict[uuid.UUID, bool] = {}
    badges = {}
    for row in fetch(session, _IN_FLIGHT_ROWS, {"today": today}):
        if row.id not in room:
            quota = row.branch_offline_quota
            waiting = 0 if quota is None else _unacknowledged(session, row.id)
            in_chain = max(0, int(row.others)) + int(row.charged)
            limit = impression_limit(
                row.booked_impressions, row.campaign_budget, row.cost_per_impression
            )
            room[row.id] = may_show(in_chain, limit, waiting, quota)
        badges[row.promotion_id] = SponsoredBadge(
            row.promotion_id, row.id, row.campaign_code, row.legal_name, room[row.id]
        )
    return badges


def sponsored_badges(db: Database, *, now: datetime) -> dict[uuid.UUID, SponsoredBadge]:
    """The sponsored promotions in flight today (badges_in_flight), for the counter."""
    with db.session(write=False) as session:
        return badges_in_flight(session, branch_today(session, now))


@dataclass(frozen=True)
class ImpressionRecorded:
    """An impression as written: whether it was viewable, unique and charged."""

    id: uuid.UUID
    campaign_code: str
    viewable: bool
    unique: bool
    charged: bool


def record_impression(
    db: Database,
    actor: CurrentUser,
    promotion_id: uuid.UUID,
    viewer_key: str,
    *,
    shown_ms: int = 0,
    printed: bool = False,
    patient_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
    now: datetime,
) -> ImpressionRecorded | None:
    """One showing of a sponsored badge (rules 10 and 11); None when the promotion is not
    sponsored today. Unique means no earlier viewable showing to this viewer today."""
    require(actor.role, "sponsor.impression")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        today = branch_today(session, now)
        campaign = session.scalar(
            select(SponsoredCampaign)
            .join(SponsoredCampaignPromotion)
            .where(
                SponsoredCampaignPromotion.promotion_id == promotion_id,
                SponsoredCampaign.is_active.is_(True),
                SponsoredCampaign.start_date <= today,
                SponsoredCampaign.end_date >= today,
            )
        )
        if campaign is None:
            return None
        viewable = is_viewable(shown_ms, printed=printed)
        seen = session.scalar(
            select(func.count()).where(
                SponsorImpression.campaign_id == campaign.id,
                SponsorImpression.viewer_key == viewer_key,
                SponsorImpression.shown_on == today,
                SponsorImpression.is_viewable.is_(True),
            )
        )
        unique = viewable and not seen
        charged = is_charged(
            viewable=viewable, unique=unique, room_left=_room_left(session, campaign)
        )
        impression = SponsorImpression(
            branch_id=this_branch_id(session),
            campaign_id=campaign.id,
            promotion_id=promotion_id,
            patient_id=patient_id,
            invoice_id=invoice_id,
            user_id=actor.id,
            viewer_key=viewer_key,
            source="print" if printed else "counter",
            shown_on=today,
            is_unique=unique,
            is_viewable=viewable,
            viewable_duration=max(0, shown_ms),
            cpi_rate=campaign.cost_per_impression,
            charged=charged,
            charged_at=now if charged else None,
            created_at=now,
        )
        session.add(impression)
        session.flush()
        uow.audit(
            "sponsor.impression",
            "sponsor_impression",
            impression.id,
            {"campaign_code": campaign.campaign_code, "charged": charged},
        )
        uow.outbox(
            documents.SPONSOR_IMPRESSION, impression.id, documents.sponsor_row_json(impression)
        )
        uow.commit()
        return ImpressionRecorded(impression.id, campaign.campaign_code, viewable, unique, charged)


def _mark(
    db: Database,
    actor: CurrentUser,
    promotion_ids: Sequence[uuid.UUID],
    viewer_key: str,
    *,
    now: datetime,
    action: str,
    values: dict[str, Any],
) -> int:
    """Flag today's impressions of these promotions to this viewer (clicked, converted)."""
    require(actor.role, "sponsor.impression")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        rows = list(
            session.scalars(
                select(SponsorImpression).where(
                    SponsorImpression.promotion_id.in_(promotion_ids),
                    SponsorImpression.viewer_key == viewer_key,
                    SponsorImpression.shown_on == branch_today(session, now),
                )
            )
        )
        if not rows:
            return 0
        for row in rows:
            for name, value in values.items():
                setattr(row, name, value)
        session.flush()
        uow.audit(action, "sponsor_impression", rows[0].id, {"impressions": len(rows)})
        uow.outbox_many(
            [(documents.SPONSOR_IMPRESSION, r.id, documents.sponsor_row_json(r)) for r in rows]
        )
        uow.commit()
        return len(rows)


def record_sponsor_click(
    db: Database, actor: CurrentUser, promotion_id: uuid.UUID, viewer_key: str, *, now: datetime
) -> int:
    """Staff opened or applied a sponsored badge: today's impressions to this viewer are
    clicked. Returns how many were marked."""
    return _mark(
        db,
        actor,
        [promotion_id],
        viewer_key,
        now=now,
        action="sponsor.click",
        values={"clicked": True, "clicked_at": now},
    )


def record_sponsor_conversions(
    db: Database,
    actor: CurrentUser,
    invoice_id: uuid.UUID | None,
    promotion_ids: Sequence[uuid.UUID],
    viewer_key: str,
    *,
    now: datetime,
) -> int:
    """A saved invoice used these sponsored promotions: today's impressions of them to
    this viewer converted, on that invoice. Returns how many were marked."""
    return _mark(
        db,
        actor,
        promotion_ids,
        viewer_key,
        now=now,
        action="sponsor.convert",
        values={"converted": True, "converted_at": now, "invoice_id": invoice_id},
    )


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class InvoiceRow:
    """A sponsor invoice with the clicks and conversions of its period, counted now."""

    id: uuid.UUID
    invoice_number: str
    invoice_type: str
    billing_cycle_number: int
    period_start: date | None
    period_end: date | None
    invoice_date: date
    due_date: date
    impressions: int
    clicks: int
    conversions: int
    rate: int
    amount: int
    deposit_amount: int
    discount: int
    taxable: int
    cgst: int
    sgst: int
    igst: int
    tax: int
    total: int
    refund: int
    outstanding: int
    status: str
    place_of_supply: str


def _period_counts(session: Session, invoice: SponsorInvoice) -> tuple[int, int]:
    """Clicks and conversions of the invoice's period (seed 002: from the impressions)."""
    if invoice.billing_period_start is None or invoice.billing_period_end is None:
        return 0, 0
    if sponsor_billing_central.at_centre(session):
        chain = sponsor_billing_central.chain_counts(
            session,
            invoice.campaign_id,
            invoice.billing_period_start,
            invoice.billing_period_end,
            invoice.billing_period_end,
        )
        return chain.clicks, chain.conversions
    in_period = (
        SponsorImpression.campaign_id == invoice.campaign_id,
        SponsorImpression.shown_on.between(
            invoice.billing_period_start, invoice.billing_period_end
        ),
    )
    clicks, conversions = session.execute(
        select(
            func.count().filter(SponsorImpression.clicked.is_(True)),
            func.count().filter(SponsorImpression.converted.is_(True)),
        ).where(*in_period)
    ).one()
    return int(clicks), int(conversions)


def _invoice_row(session: Session, invoice: SponsorInvoice) -> InvoiceRow:
    clicks, conversions = _period_counts(session, invoice)
    return InvoiceRow(
        invoice.id,
        invoice.invoice_number,
        invoice.invoice_type,
        invoice.billing_cycle_number,
        invoice.billing_period_start,
        invoice.billing_period_end,
        invoice.invoice_date,
        invoice.due_date,
        invoice.impressions_delivered,
        clicks,
        conversions,
        invoice.cpi_rate,
        invoice.amount,
        invoice.deposit_amount,
        invoice.discount_amount,
        invoice.taxable_amount,
        invoice.cgst_amount,
        invoice.sgst_amount,
        invoice.igst_amount,
        invoice.tax_amount,
        invoice.total_amount,
        invoice.refund_amount,
        invoice.outstanding_amount,
        invoice.status,
        invoice.place_of_supply,
    )


@dataclass(frozen=True)
class CampaignStatus:
    """A sponsored campaign's delivery, pacing, invoices and payment summary (seed 002's
    campaign_with_payment_summary and get_campaign_payment_status)."""

    campaign_code: str
    campaign_name: str
    sponsor: str
    promotions: tuple[str, ...]
    billing_frequency: BillingFrequency
    start_date: date
    end_date: date
    cost_per_impression: int
    campaign_budget: int
    booked_impressions: int
    limit: int
    deposit_amount: int
    discount_percent: Decimal
    shown_today: int
    charged_today: int
    charged: int
    clicks: int
    conversions: int
    pacing: Pacing
    planned: int
    budget_left: int
    open: bool
    invoices: tuple[InvoiceRow, ...]
    total_invoices: int
    impressions_billed: int
    invoiced: int
    paid: int
    outstanding: int
    refunds: int
    payment_status: PaymentStatus
    # Charged impressions of every branch, as the hard stop counts them (rule 11): at a
    # branch the centre's count at its last pull plus its own since; at the centre, its count.
    charged_in_chain: int = 0
    # Received from the centre: the head office runs and bills it (services.sync_pull).
    head_office: bool = False
    # Stopped by a manager (stop_campaign): no badge, no charge, until resumed.
    stopped: bool = False


def _status(session: Session, campaign: SponsoredCampaign, today: date) -> CampaignStatus:
    sponsor = session.get(Sponsor, campaign.sponsor_id)
    assert sponsor is not None
    promotions = tuple(
        session.scalars(
            select(PromotionCampaign.campaign_code)
            .join(SponsoredCampaignPromotion)
            .where(SponsoredCampaignPromotion.campaign_id == campaign.id)
            .order_by(PromotionCampaign.campaign_code)
        )
    )
    if sponsor_billing_central.at_centre(session):
        # The head office: every branch's impressions (its own counter shows none).
        chain = sponsor_billing_central.chain_counts(
            session, campaign.id, campaign.start_date, campaign.end_date, today
        )
        shown_today, charged_today, charged_all, clicks, conversions = (
            chain.shown_today,
            chain.charged_today,
            chain.charged,
            chain.clicks,
            chain.conversions,
        )
        in_chain = chain.charged
        # The head office shows no badge: it is open while the chain has not reached the limit.
        badge_open = may_show(in_chain, _limit(campaign), 0, None)
    else:
        mine = SponsorImpression.campaign_id == campaign.id
        charged = SponsorImpression.charged.is_(True)
        on_today = SponsorImpression.shown_on == today
        shown_today, charged_today, charged_all, clicks, conversions = session.execute(
            select(
                func.count().filter(on_today),
                func.count().filter(on_today, charged),
                func.count().filter(charged),
                func.count().filter(SponsorImpression.clicked.is_(True)),
                func.count().filter(SponsorImpression.converted.is_(True)),
            ).where(mine)
        ).one()
        in_chain = _others_at_pull(session, campaign.id) + int(charged_all)
        badge_open = _room_left(session, campaign)
    invoices = [
        _invoice_row(session, i)
        for i in session.scalars(
            select(SponsorInvoice)
            .where(SponsorInvoice.campaign_id == campaign.id)
            # Credit notes number in a series of their own: the cycle orders within a day.
            .order_by(
                SponsorInvoice.issued_at,
                SponsorInvoice.billing_cycle_number,
                SponsorInvoice.sequence_no,
            )
        )
    ]
    limit = _limit(campaign)
    report = pacing(charged_all, campaign.booked_impressions, _flight(campaign), today)
    invoiced = sum(i.total for i in invoices)
    outstanding = sum(i.outstanding for i in invoices)
    return CampaignStatus(
        campaign.campaign_code,
        campaign.campaign_name,
        sponsor.legal_name,
        promotions,
        BillingFrequency(campaign.billing_frequency),
        campaign.start_date,
        campaign.end_date,
        campaign.cost_per_impression,
        campaign.campaign_budget,
        campaign.booked_impressions,
        limit,
        campaign.deposit_amount,
        campaign.discount_percent,
        int(shown_today),
        int(charged_today),
        int(charged_all),
        int(clicks),
        int(conversions),
        report.pacing,
        report.planned,
        max(0, campaign.campaign_budget - min(charged_all, limit) * campaign.cost_per_impression),
        badge_open and campaign.is_active,
        tuple(invoices),
        len(invoices),
        sum(i.impressions for i in invoices),
        invoiced,
        invoiced - outstanding,
        outstanding,
        sum(i.refund for i in invoices),
        payment_status(
            [InvoiceBalance(SponsorInvoiceType(i.invoice_type), i.outstanding) for i in invoices]
        ),
        in_chain,
        head_office_runs(campaign),
        not campaign.is_active,
    )


def campaign_status(
    db: Database, actor: CurrentUser, campaign_code: str, *, now: datetime
) -> CampaignStatus:
    """One campaign's delivery today, pacing, invoices and payment summary."""
    _manager(actor)
    with db.session(write=False) as session:
        return _status(session, _find_campaign(session, campaign_code), branch_today(session, now))


def sponsor_campaigns(
    db: Database, actor: CurrentUser, sponsor_id: uuid.UUID | None = None, *, now: datetime
) -> list[CampaignStatus]:
    """Every sponsored campaign (of one sponsor when given), by start date."""
    _manager(actor)
    with db.session(write=False) as session:
        today = branch_today(session, now)
        query = select(SponsoredCampaign).order_by(
            SponsoredCampaign.start_date, SponsoredCampaign.campaign_code
        )
        if sponsor_id is not None:
            query = query.where(SponsoredCampaign.sponsor_id == sponsor_id)
        return [_status(session, c, today) for c in session.scalars(query)]


@dataclass(frozen=True)
class SponsorInvoiceDocument:
    """What a sponsor invoice's PDF shows: the clinic, the sponsor, the campaign and the
    invoice with its period's clicks and conversions."""

    invoice: InvoiceRow
    campaign_code: str
    campaign_name: str
    sponsor_name: str
    sponsor_gstin: str
    sponsor_state: str
    sponsor_address: str
    clinic_name: str
    clinic_address: str
    clinic_gstin: str
    clinic_state: str
    paid: int
    payments: tuple[tuple[datetime, int, str, str], ...]
    # "TAX INVOICE", or "CREDIT NOTE" for a settlement that refunds (rule 12), with the
    # tax invoices it corrects (the campaign's deposit invoices: number and date).
    title: str = "TAX INVOICE"
    against: tuple[tuple[str, date], ...] = ()


def sponsor_invoice_document(
    db: Database, actor: CurrentUser, invoice_number: str
) -> SponsorInvoiceDocument:
    """A sponsor invoice (or credit note, rule 12) with everything its PDF needs."""
    _manager(actor)
    with db.session(write=False) as session:
        invoice = _find_invoice(session, invoice_number)
        campaign = session.get(SponsoredCampaign, invoice.campaign_id)
        assert campaign is not None
        branch = _branch(session)
        payments = tuple(
            (p.paid_at, p.amount, p.method, p.reference)
            for p in session.scalars(
                select(SponsorPayment)
                .where(SponsorPayment.sponsor_invoice_id == invoice.id)
                .order_by(SponsorPayment.paid_at)
            )
        )
        credit = invoice.refund_amount > 0
        deposits = session.execute(
            select(SponsorInvoice.invoice_number, SponsorInvoice.invoice_date)
            .where(
                SponsorInvoice.campaign_id == campaign.id,
                SponsorInvoice.invoice_type == SponsorInvoiceType.DEPOSIT.value,
            )
            .order_by(SponsorInvoice.invoice_date, SponsorInvoice.sequence_no)
        )
        against = tuple((number, day) for number, day in deposits) if credit else ()
        return SponsorInvoiceDocument(
            _invoice_row(session, invoice),
            campaign.campaign_code,
            campaign.campaign_name,
            # The sponsor as it was when the document was issued (migration 0016).
            invoice.sponsor_legal_name,
            invoice.sponsor_gstin,
            invoice.place_of_supply,
            invoice.sponsor_address,
            branch.legal_name or branch.name,
            branch.address,
            branch.gstin,
            branch.state_code or "",
            sum(p[1] for p in payments),
            payments,
            "CREDIT NOTE" if credit else "TAX INVOICE",
            against,
        )
