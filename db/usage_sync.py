"""This branch's promotion uses on their way to the centre (issue #15, counts across
branches): which ones the centre does not hold yet in their current state, marking them
sent once the centre's commit answered, and the uses not sent yet per promotion and code."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.central import OutgoingUse
from db.engine import Database
from db.models import PromotionUsageLog, SyncUsageSent

_LIVE = PromotionUsageLog.reversed_at.is_(None)


def unsent_uses(db: Database, limit: int) -> list[OutgoingUse]:
    """Up to `limit` uses the centre does not hold in their current state (new ones, and
    ones reversed since they were sent)."""
    statement = (
        select(
            PromotionUsageLog.id,
            PromotionUsageLog.campaign_id,
            PromotionUsageLog.promo_code_id,
            PromotionUsageLog.invoice_id,
            PromotionUsageLog.reversed_at.is_not(None),
        )
        .outerjoin(SyncUsageSent, SyncUsageSent.usage_id == PromotionUsageLog.id)
        .where(
            or_(
                SyncUsageSent.usage_id.is_(None),
                SyncUsageSent.reversed != PromotionUsageLog.reversed_at.is_not(None),
            )
        )
        .order_by(PromotionUsageLog.usage_date, PromotionUsageLog.id)
        .limit(limit)
    )
    with db.session(write=False) as session:
        return [OutgoingUse(*row) for row in session.execute(statement)]


def record_sent(db: Database, uses: Sequence[OutgoingUse]) -> None:
    """After the centre's commit answered: the centre holds `uses` as they were sent."""
    if not uses:
        return
    statement = sqlite_insert(SyncUsageSent)
    statement = statement.on_conflict_do_update(
        index_elements=[SyncUsageSent.usage_id], set_={"reversed": statement.excluded.reversed}
    )
    with db.session(write=True) as session, session.begin():
        session.execute(statement, [{"usage_id": u.id, "reversed": u.reversed} for u in uses])


def unsent_net(session: Session) -> tuple[dict[uuid.UUID, int], dict[uuid.UUID, int]]:
    """Per promotion and per code: this branch's live uses minus those the centre holds
    as live, i.e. what the centre's count does not know yet (negative after a reversal
    not sent yet)."""
    held_live = and_(SyncUsageSent.usage_id.is_not(None), SyncUsageSent.reversed.is_(False))
    step = case((_LIVE, 1), else_=0) - case((held_live, 1), else_=0)
    net = func.sum(step, type_=Integer)
    joined = PromotionUsageLog.__table__.outerjoin(
        SyncUsageSent.__table__, SyncUsageSent.usage_id == PromotionUsageLog.id
    )
    by_promotion = (
        select(PromotionUsageLog.campaign_id, net)
        .select_from(joined)
        .group_by(PromotionUsageLog.campaign_id)
    )
    by_code = (
        select(PromotionUsageLog.promo_code_id, net)
        .select_from(joined)
        .where(PromotionUsageLog.promo_code_id.is_not(None))
        .group_by(PromotionUsageLog.promo_code_id)
    )
    promotions = {target: int(n or 0) for target, n in session.execute(by_promotion)}
    codes = {target: int(n or 0) for target, n in session.execute(by_code)}
    return promotions, codes
