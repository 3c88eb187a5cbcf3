"""Managing promotions and promo codes (manager), and each code's analytics (seed 001).

Every change is one transaction with an audit entry saying who changed what.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from db import central, usage_sync
from db.engine import Database, session_on_centre
from db.models import (
    Branch,
    CatalogItem,
    InvoiceHeader,
    Patient,
    PromoCode,
    PromotionCampaign,
    PromotionUsageItem,
    PromotionUsageLog,
)
from domain.active_hours import ActiveHours
from domain.money import paise_to_decimal
from domain.permissions import require
from domain.promotion_rules import normalise_code
from domain.promotion_spec import (
    PROMOTION_FIELDS,
    CodeSpec,
    PromotionSpec,
    SpecError,
    validate_code,
    validate_promotion,
)
from domain.usage_limits import reactivates
from services import documents
from services.auth import CurrentUser
from services.branch import this_branch_id
from services.errors import NotFound, ServiceError
from services.uow import UnitOfWork

__all__ = ["SpecError"]


class PromotionError(ServiceError):
    """A promotion or code change that cannot be made as asked."""


@dataclass(frozen=True)
class CodeRow:
    """A promo code at a glance; `discount_given` in paise."""

    id: uuid.UUID
    code: str
    promotion_code: str
    status: str
    uses: int
    max_uses: int | None
    uses_remaining: int | None
    max_uses_per_patient: int | None
    valid_from: date | None
    valid_to: date | None
    active_hours: ActiveHours
    auto_deactivate_on_max_uses: bool
    auto_deactivated_at: datetime | None
    discount_given: int


@dataclass(frozen=True)
class PromotionRow:
    """A promotion at a glance; `discount_given` in paise."""

    id: uuid.UUID
    campaign_code: str
    campaign_name: str
    promotion_type: str
    status: str
    uses: int
    max_total_uses: int | None
    discount_given: int
    start_date: date | None
    end_date: date | None
    requires_code: bool
    is_stackable: bool
    priority: int
    # A capped promotion's offline quota a branch (None: none), and this branch's uses the
    # centre has not acknowledged yet (issue #15).
    branch_offline_quota: int | None = None
    offline_uses: int = 0
    # On the centre: each branch's uses that came past the limit, in the order the centre
    # received them (sold while branches were offline), as (branch code, uses).
    overrun_by_branch: tuple[tuple[str, int], ...] = ()

    @property
    def over_limit(self) -> int:
        """How many uses went past the limit (0 without one)."""
        return 0 if self.max_total_uses is None else max(0, self.uses - self.max_total_uses)


@dataclass(frozen=True)
class ServiceUse:
    """How a code was used on one catalog item (seed 001's offer breakdown)."""

    item_id: uuid.UUID
    item_code: str
    item_name: str
    uses: int
    total_discount: int
    unique_patients: int


@dataclass(frozen=True)
class CodeAnalytics:
    """A code's uses, what is left of its limit, and its breakdown by service."""

    code: str
    total_uses: int
    max_uses: int | None
    uses_remaining: int | None
    total_discount: int
    by_service: tuple[ServiceUse, ...]


@dataclass(frozen=True)
class Application:
    """One patient + service + invoice a code was applied to."""

    patient_id: uuid.UUID | None
    patient_name: str
    patient_mobile: str
    item_code: str
    item_name: str
    invoice_number: str
    applied_at: datetime
    discount: int


@dataclass(frozen=True)
class ApplicationsPage:
    """A page of a code's applications, newest first."""

    code: str
    page: int
    limit: int
    total: int
    applications: tuple[Application, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def _today(session: Session, now: datetime) -> date:
    branch = session.get_one(Branch, this_branch_id(session))
    return now.astimezone(ZoneInfo(branch.timezone)).date()


# ----------------------------------------------------------------------------- reading


def _promotion_status(promotion: PromotionCampaign, today: date) -> str:
    if promotion.auto_deactivated_at is not None:
        return "limit reached"
    if not promotion.is_active:
        return "paused"
    if promotion.end_date is not None and today > promotion.end_date:
        return "ended"
    if promotion.start_date is not None and today < promotion.start_date:
        return "scheduled"
    return "active"


def _given(session: Session, column: Any) -> dict[Any, int]:
    rows = session.execute(
        select(column, func.sum(PromotionUsageLog.discount_amount))
        .where(PromotionUsageLog.reversed_at.is_(None), column.is_not(None))
        .group_by(column)
    ).all()
    return {k: int(v) for k, v in rows}


def list_promotions(db: Database, actor: CurrentUser, *, now: datetime) -> list[PromotionRow]:
    """Every promotion with its status, uses against its limit and discount given."""
    require(actor.role, "promotion.read")
    with db.session(write=False) as session:
        today = _today(session, now)
        given = _given(session, PromotionUsageLog.campaign_id)
        promotions = session.scalars(
            select(PromotionCampaign)
            .where(PromotionCampaign.retired_at.is_(None))
            .order_by(PromotionCampaign.priority, PromotionCampaign.campaign_code)
        ).all()
        on_centre = session_on_centre(session)
        if on_centre:
            # The head office: its own uses (current_uses) plus every branch's pushed ones.
            connection = session.connection()
            chain_uses = central.chain_promotion_uses(connection)
            overruns = central.promotion_overruns(connection)
            offline: dict[uuid.UUID, int] = {}
        else:
            chain_uses, overruns = {}, {}
            offline = usage_sync.unsent_net(session)[0]
        return [
            PromotionRow(
                id=p.id,
                campaign_code=p.campaign_code,
                campaign_name=p.campaign_name,
                promotion_type=p.promotion_type,
                status=_promotion_status(p, today),
                uses=p.current_uses + chain_uses.get(p.id, 0),
                max_total_uses=p.max_total_uses,
                discount_given=given.get(p.id, 0),
                start_date=p.start_date,
                end_date=p.end_date,
                requires_code=p.requires_code,
                is_stackable=p.is_stackable,
                priority=p.priority,
                branch_offline_quota=p.branch_offline_quota,
                offline_uses=max(0, offline.get(p.id, 0)),
                overrun_by_branch=overruns.get(p.id, ()),
            )
            for p in promotions
        ]


def _code_row(code: PromoCode, promotion_code: str, given: int) -> CodeRow:
    remaining = None if code.max_uses is None else max(0, code.max_uses - code.current_uses)
    return CodeRow(
        id=code.id,
        code=code.code,
        promotion_code=promotion_code,
        status=code.status,
        uses=code.current_uses,
        max_uses=code.max_uses,
        uses_remaining=remaining,
        max_uses_per_patient=code.max_uses_per_patient,
        valid_from=code.valid_from,
        valid_to=code.valid_to,
        active_hours=ActiveHours.from_json(code.active_hours),
        auto_deactivate_on_max_uses=code.auto_deactivate_on_max_uses,
        auto_deactivated_at=code.auto_deactivated_at,
        discount_given=given,
    )


def list_codes(db: Database, actor: CurrentUser) -> list[CodeRow]:
    """Every promo code with its status, uses, limits, hours and discount given."""
    require(actor.role, "promotion.read")
    with db.session(write=False) as session:
        given = _given(session, PromotionUsageLog.promo_code_id)
        rows = session.execute(
            select(PromoCode, PromotionCampaign.campaign_code)
            .join(PromotionCampaign, PromotionCampaign.id == PromoCode.promotion_id)
            .where(PromoCode.retired_at.is_(None))
            .order_by(PromoCode.code)
        ).all()
        return [_code_row(code, campaign, given.get(code.id, 0)) for code, campaign in rows]


def _find_code(session: Session, text: str) -> PromoCode:
    code = session.scalar(
        select(PromoCode).where(func.upper(PromoCode.code) == normalise_code(text))
    )
    if code is None or code.retired_at is not None:
        raise NotFound(f"There is no promo code {normalise_code(text)}.")
    return code


def _find_promotion(session: Session, campaign_code: str) -> PromotionCampaign:
    promotion = session.scalar(
        select(PromotionCampaign).where(
            PromotionCampaign.campaign_code == campaign_code.strip().upper()
        )
    )
    if promotion is None or promotion.retired_at is not None:
        raise NotFound(f"There is no promotion {campaign_code.strip().upper()}.")
    return promotion


def code_at_counter(db: Database, text: str) -> CodeRow | None:
    """A typed code as the counter shows it ("3 uses remaining"), or None if unknown."""
    with db.session(write=False) as session:
        try:
            code = _find_code(session, text)
        except NotFound:
            return None
        promotion = session.get_one(PromotionCampaign, code.promotion_id)
        return _code_row(code, promotion.campaign_code, 0)


# ----------------------------------------------------------------------------- promotions


def _catalog(session: Session) -> tuple[set[str], set[str]]:
    rows = session.execute(select(CatalogItem.code, CatalogItem.category)).all()
    return {code for code, _ in rows}, {category for _, category in rows}


def export_promotion(db: Database, actor: CurrentUser, campaign_code: str) -> dict[str, Any]:
    """A promotion as the JSON spec the dialog edits and `promo add` reads."""
    require(actor.role, "promotion.read")
    with db.session(write=False) as session:
        p = _find_promotion(session, campaign_code)
        items, categories = _catalog(session)
        columns = {key: getattr(p, key) for key in PROMOTION_FIELDS}
        spec = validate_promotion(
            {
                **columns,
                "discount_amount": _as_rupees(p.discount_amount),
                "min_purchase_amount": _as_rupees(p.min_purchase_amount),
                "max_discount_amount": _as_rupees(p.max_discount_amount),
            },
            item_codes=items,
            categories=categories,
        )
        return spec.to_json()


def _as_rupees(paise: int | None) -> str | None:
    return None if paise is None else str(paise_to_decimal(paise))


def _apply(promotion: PromotionCampaign, spec: PromotionSpec) -> None:
    promotion.campaign_code = spec.campaign_code
    promotion.campaign_name = spec.campaign_name
    promotion.description = spec.description
    promotion.promotion_type = spec.promotion_type.value
    promotion.rules = spec.rules
    promotion.discount_percent = spec.discount_percent
    promotion.discount_amount = spec.discount_amount
    promotion.min_purchase_amount = spec.min_purchase_amount
    promotion.max_discount_amount = spec.max_discount_amount
    promotion.start_date = spec.start_date
    promotion.end_date = spec.end_date
    promotion.priority = spec.priority
    promotion.is_stackable = spec.is_stackable
    promotion.override_max_discount = spec.override_max_discount
    promotion.requires_code = spec.requires_code
    promotion.max_total_uses = spec.max_total_uses
    promotion.max_uses_per_patient = spec.max_uses_per_patient
    promotion.branch_offline_quota = spec.branch_offline_quota
    promotion.is_active = spec.is_active


def save_promotion(
    db: Database,
    actor: CurrentUser,
    data: dict[str, Any],
    *,
    now: datetime,
    replacing: str | None = None,
) -> PromotionSpec:
    """Create a promotion from its spec, or replace the one called `replacing`.

    Raises SpecError (with the field to fix) for bad input, including a code that exists.
    """
    require(actor.role, "promotion.manage")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        items, categories = _catalog(session)
        spec = validate_promotion(
            data, item_codes=items, categories=categories, today=_today(session, now)
        )
        clash = session.scalar(
            select(PromotionCampaign).where(PromotionCampaign.campaign_code == spec.campaign_code)
        )
        if replacing is None:
            if clash is not None:
                raise SpecError("campaign_code", f"A promotion {spec.campaign_code} exists")
            promotion = PromotionCampaign(
                id=uuid.uuid4(), branch_id=None, created_at=now, current_uses=0
            )
            session.add(promotion)
            action = "promotion.create"
        else:
            promotion = _find_promotion(session, replacing)
            if clash is not None and clash.id != promotion.id:
                raise SpecError("campaign_code", f"A promotion {spec.campaign_code} exists")
            action = "promotion.update"
        before = None if replacing is None else _snapshot(promotion)
        _apply(promotion, spec)
        if spec.is_active and reactivates(
            promotion.current_uses,
            promotion.max_total_uses,
            auto_deactivated=promotion.auto_deactivated_at is not None,
        ):
            promotion.auto_deactivated_at = None
        promotion.updated_at = now
        session.flush()
        uow.outbox(documents.PROMOTION, promotion.id, documents.promotion_json(promotion))
        uow.audit(action, "promotion", promotion.id, {"before": before, "after": spec.to_json()})
        uow.commit()
        return spec


def _snapshot(promotion: PromotionCampaign) -> dict[str, Any]:
    return {
        "campaign_code": promotion.campaign_code,
        "is_active": promotion.is_active,
        "discount_percent": None
        if promotion.discount_percent is None
        else str(promotion.discount_percent),
        "discount_amount": promotion.discount_amount,
        "max_total_uses": promotion.max_total_uses,
        "start_date": None if promotion.start_date is None else promotion.start_date.isoformat(),
        "end_date": None if promotion.end_date is None else promotion.end_date.isoformat(),
    }


# ----------------------------------------------------------------------------- codes


def _code_json(spec: CodeSpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "promotion_code": spec.promotion_code,
        "valid_from": None if spec.valid_from is None else spec.valid_from.isoformat(),
        "valid_to": None if spec.valid_to is None else spec.valid_to.isoformat(),
        "active_hours": spec.active_hours.to_json(),
        "max_uses": spec.max_uses,
        "max_uses_per_patient": spec.max_uses_per_patient,
        "auto_deactivate_on_max_uses": spec.auto_deactivate_on_max_uses,
    }


def save_code(
    db: Database,
    actor: CurrentUser,
    data: dict[str, Any],
    *,
    now: datetime,
    replacing: str | None = None,
) -> CodeRow:
    """Create a promo code (or change the one called `replacing`); SpecError for bad input,
    including a code that already exists (codes are unique in any case)."""
    require(actor.role, "promotion.manage")
    spec = validate_code(data)
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        validate_code(data, today=_today(session, now))  # its dates within domain.bounds
        try:
            promotion = _find_promotion(session, spec.promotion_code)
        except NotFound as exc:
            raise SpecError("promotion_code", str(exc)) from exc
        clash = session.scalar(select(PromoCode).where(func.upper(PromoCode.code) == spec.code))
        if replacing is None:
            if clash is not None:
                raise SpecError("code", f"The code {spec.code} already exists")
            code = PromoCode(id=uuid.uuid4(), created_at=now, current_uses=0, status="active")
            session.add(code)
            action = "promo_code.create"
        else:
            code = _find_code(session, replacing)
            if clash is not None and clash.id != code.id:
                raise SpecError("code", f"The code {spec.code} already exists")
            action = "promo_code.update"
        code.code = spec.code
        code.promotion_id = promotion.id
        code.valid_from = spec.valid_from
        code.valid_to = spec.valid_to
        code.active_hours = spec.active_hours.to_json()
        code.max_uses = spec.max_uses
        code.max_uses_per_patient = spec.max_uses_per_patient
        code.auto_deactivate_on_max_uses = spec.auto_deactivate_on_max_uses
        code.updated_at = now
        if code.status == "expired" and reactivates(
            code.current_uses, spec.max_uses, auto_deactivated=code.auto_deactivated_at is not None
        ):
            code.status = "active"
            code.auto_deactivated_at = None
        session.flush()
        uow.outbox(
            documents.PROMO_CODE, code.id, documents.promo_code_json(code, promotion.campaign_code)
        )
        uow.audit(action, "promo_code", code.id, _code_json(spec))
        row = _code_row(code, promotion.campaign_code, 0)
        uow.commit()
        return row


def set_paused(
    db: Database,
    actor: CurrentUser,
    text: str,
    *,
    paused: bool,
    now: datetime,
    kind: Literal["code", "promotion"] | None = None,
) -> str:
    """Pause or resume a promo code or a promotion (by its campaign code); returns a
    sentence. Without `kind`, a promo code of that name is meant before a promotion."""
    require(actor.role, "promotion.manage")
    with UnitOfWork(db, actor, now) as uow:
        session = uow.session
        code = None
        if kind != "promotion":
            try:
                code = _find_code(session, text)
            except NotFound:
                if kind == "code":
                    raise
        if code is not None:
            if code.status == "expired" and not paused:
                raise PromotionError(
                    f"{code.code} has expired; raise its limit or dates to use it again."
                )
            code.status = "paused" if paused else "active"
            code.updated_at = now
            entity, name, entity_id = "promo_code", code.code, code.id
            owner = session.get_one(PromotionCampaign, code.promotion_id)
            uow.outbox(
                documents.PROMO_CODE, code.id, documents.promo_code_json(code, owner.campaign_code)
            )
        else:
            promotion = _find_promotion(session, text)
            promotion.is_active = not paused
            promotion.updated_at = now
            entity, name, entity_id = "promotion", promotion.campaign_code, promotion.id
            uow.outbox(documents.PROMOTION, promotion.id, documents.promotion_json(promotion))
        verb = "paused" if paused else "resumed"
        uow.audit(f"{entity}.{'pause' if paused else 'resume'}", entity, entity_id)
        uow.commit()
        return f"{name} {verb}."


# ----------------------------------------------------------------------------- analytics


def code_analytics(db: Database, actor: CurrentUser, text: str) -> CodeAnalytics:
    """Total uses, uses remaining, and uses / discount / unique patients per service."""
    require(actor.role, "promotion.read")
    with db.session(write=False) as session:
        code = _find_code(session, text)
        live = (PromotionUsageLog.promo_code_id == code.id) & PromotionUsageLog.reversed_at.is_(
            None
        )
        uses, total = session.execute(
            select(
                func.count(), func.coalesce(func.sum(PromotionUsageLog.discount_amount), 0)
            ).where(live)
        ).one()
        rows = session.execute(
            select(
                PromotionUsageItem.item_id,
                PromotionUsageItem.item_code,
                PromotionUsageItem.item_name,
                func.count(distinct(PromotionUsageItem.usage_id)),
                func.sum(PromotionUsageItem.discount_amount),
                func.count(distinct(PromotionUsageLog.patient_id)),
            )
            .join(PromotionUsageLog, PromotionUsageLog.id == PromotionUsageItem.usage_id)
            .where(live)
            .group_by(
                PromotionUsageItem.item_id,
                PromotionUsageItem.item_code,
                PromotionUsageItem.item_name,
            )
            .order_by(
                func.sum(PromotionUsageItem.discount_amount).desc(), PromotionUsageItem.item_code
            )
        ).all()
        remaining = None if code.max_uses is None else max(0, code.max_uses - uses)
        return CodeAnalytics(
            code=code.code,
            total_uses=uses,
            max_uses=code.max_uses,
            uses_remaining=remaining,
            total_discount=int(total),
            by_service=tuple(ServiceUse(*row) for row in rows),
        )


def code_applications(
    db: Database, actor: CurrentUser, text: str, *, page: int = 1, limit: int = 20
) -> ApplicationsPage:
    """The patient + service + invoice + time + discount of each application, newest first."""
    require(actor.role, "promotion.read")
    if page < 1 or not 1 <= limit <= 500:
        raise PromotionError("Pages start at 1 and hold 1 to 500 applications.")
    with db.session(write=False) as session:
        code = _find_code(session, text)
        live = (PromotionUsageLog.promo_code_id == code.id) & PromotionUsageLog.reversed_at.is_(
            None
        )
        base = (
            select(
                PromotionUsageLog.patient_id,
                Patient.name,
                Patient.mobile,
                PromotionUsageItem.item_code,
                PromotionUsageItem.item_name,
                InvoiceHeader.invoice_number,
                PromotionUsageLog.usage_date,
                PromotionUsageItem.discount_amount,
            )
            .join(PromotionUsageLog, PromotionUsageLog.id == PromotionUsageItem.usage_id)
            .join(InvoiceHeader, InvoiceHeader.id == PromotionUsageLog.invoice_id)
            .outerjoin(Patient, Patient.id == PromotionUsageLog.patient_id)
            .where(live)
        )
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.execute(
            base.order_by(
                PromotionUsageLog.usage_date.desc(),
                InvoiceHeader.invoice_number.desc(),
                PromotionUsageItem.item_code,
            )
            .offset((page - 1) * limit)
            .limit(limit)
        ).all()
        return ApplicationsPage(
            code=code.code,
            page=page,
            limit=limit,
            total=total,
            applications=tuple(
                Application(
                    patient_id=pid,
                    patient_name=name or "",
                    patient_mobile=mobile or "",
                    item_code=item_code,
                    item_name=item_name,
                    invoice_number=number,
                    applied_at=at,
                    discount=discount,
                )
                for pid, name, mobile, item_code, item_name, number, at, discount in rows
            ),
        )
