"""Seed 001's testing checklist, through the services: active hours, auto-deactivation,
service tracking, analytics and applications."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from db.models import AuditLog, PromotionUsageItem, PromotionUsageLog
from domain.promotion_spec import SpecError
from domain.roles import PermissionDenied
from services import auth, invoicing, promotions
from services.invoicing import CodeRefused
from tests.services.invoice_helpers import a_patient, cart

SEVEN_IST = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 07:00 in Asia/Kolkata

PEELS10 = {
    "campaign_code": "PEELS10",
    "campaign_name": "Morning peels 10% off",
    "promotion_type": "percentage",
    "rules": {"scope": "category", "categories": ["Peels"]},
    "discount_percent": "10",
    "requires_code": True,
    "priority": 30,
}


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


@pytest.fixture
def morning10(demo_db, manager):
    promotions.save_promotion(demo_db, manager, PEELS10, now=SEVEN_IST)
    return promotions.save_code(
        demo_db,
        manager,
        {
            "code": "morning10",
            "promotion_code": "PEELS10",
            "active_hours": {
                "enabled": True,
                "start_time": "06:00",
                "end_time": "09:00",
                "timezone": "Asia/Kolkata",
            },
            "max_uses": 3,
        },
        now=SEVEN_IST,
    )


def bill(db, desk, offset, at, *codes):
    request = cart(
        db, "PEEL-GLY", "SPF50", patient=a_patient(db, offset), promo_codes=codes or ("MORNING10",)
    )
    return invoicing.save_invoice(db, desk, request, now=at)


@pytest.mark.parametrize(
    ("at", "applies"),
    [
        (datetime(2026, 11, 24, 0, 29, tzinfo=UTC), False),
        (datetime(2026, 11, 24, 0, 30, tzinfo=UTC), True),
        (datetime(2026, 11, 24, 3, 30, tzinfo=UTC), True),
        (datetime(2026, 11, 24, 3, 31, tzinfo=UTC), False),
    ],
    ids=["05:59 IST", "06:00 IST", "09:00 IST", "09:01 IST"],
)
def test_the_code_works_only_in_its_hours(demo_db, desk, morning10, at, applies):
    if applies:
        saved = bill(demo_db, desk, 0, at)
        assert saved.campaigns_applied["applied_promotions"][0]["campaign_code"] == "PEELS10"
    else:
        with pytest.raises(CodeRefused, match="06:00-09:00 Asia/Kolkata"):
            bill(demo_db, desk, 0, at)


def test_three_uses_expire_the_code_and_the_fourth_is_refused(demo_db, desk, manager, morning10):
    times = [SEVEN_IST + timedelta(minutes=10 * n) for n in range(3)]
    for offset, at in enumerate(times):
        bill(demo_db, desk, offset, at)
    [row] = [c for c in promotions.list_codes(demo_db, manager) if c.code == "MORNING10"]
    assert (row.status, row.uses, row.uses_remaining) == ("expired", 3, 0)
    assert row.auto_deactivated_at == times[-1]

    with pytest.raises(CodeRefused, match="This code reached its limit of 3 uses on 24 Nov 2026"):
        bill(demo_db, desk, 3, times[-1] + timedelta(minutes=5))


def test_cancelling_gives_the_use_back_and_revives_the_code(demo_db, desk, manager, morning10):
    saved = [bill(demo_db, desk, n, SEVEN_IST + timedelta(minutes=n)) for n in range(3)]
    invoicing.cancel_invoice(
        demo_db, manager, saved[1].invoice_number, reason="Duplicate", now=SEVEN_IST
    )
    [row] = [c for c in promotions.list_codes(demo_db, manager) if c.code == "MORNING10"]
    assert (row.status, row.uses, row.auto_deactivated_at) == ("active", 2, None)
    with demo_db.session(write=False) as session:
        note = session.scalars(select(AuditLog).where(AuditLog.action == "invoice.cancel")).one()
    # One audit entry for the cancellation, naming what it brought back.
    assert note.user_id == manager.id and note.details["reactivated"] == ["MORNING10"]


def test_each_use_records_the_service_it_landed_on(demo_db, desk, manager, morning10):
    for n in range(2):
        bill(demo_db, desk, n, SEVEN_IST + timedelta(minutes=n))
    analytics = promotions.code_analytics(demo_db, manager, "morning10")
    assert (analytics.total_uses, analytics.uses_remaining, analytics.total_discount) == (
        2,
        1,
        36_000,
    )
    [peel] = analytics.by_service
    assert (peel.item_code, peel.uses, peel.total_discount, peel.unique_patients) == (
        "PEEL-GLY",
        2,
        36_000,
        2,
    )


def test_applications_are_paginated_newest_first(demo_db, desk, manager, morning10):
    saved = [bill(demo_db, desk, n, SEVEN_IST + timedelta(minutes=n)) for n in range(3)]
    first = promotions.code_applications(demo_db, manager, "MORNING10", page=1, limit=2)
    second = promotions.code_applications(demo_db, manager, "MORNING10", page=2, limit=2)
    assert (first.total, first.pages) == (3, 2)
    numbers = [a.invoice_number for a in first.applications + second.applications]
    assert numbers == [s.invoice_number for s in reversed(saved)]
    assert all(a.item_code == "PEEL-GLY" and a.discount == 18_000 for a in first.applications)
    assert first.applications[0].patient_name == saved[-1].patient_name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "MORNING10"}, "code"),
        ({"code": "m!"}, "code"),
        ({"valid_from": "2026-12-01", "valid_to": "2026-11-01"}, "valid_to"),
        ({"promotion_code": "NOPE"}, "promotion_code"),
        ({"max_uses": "0"}, "max_uses"),
        (
            {
                "active_hours": {
                    "enabled": True,
                    "start_time": "6",
                    "end_time": "09:00",
                    "timezone": "UTC",
                }
            },
            "start_time",
        ),
    ],
)
def test_bad_codes_are_refused_naming_the_field(demo_db, manager, morning10, change, field):
    data = {"code": "EVENING5", "promotion_code": "PEELS10", **change}
    with pytest.raises(SpecError) as caught:
        promotions.save_code(demo_db, manager, data, now=SEVEN_IST)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"discount_percent": "120"}, "discount_percent"),
        ({"start_date": "2026-12-01", "end_date": "2026-11-01"}, "end_date"),
        ({"campaign_code": "PREMIUM_CONSULT"}, "campaign_code"),
        ({"rules": {"scope": "items", "item_codes": ["NOPE"]}}, "rules"),
        ({"campaign_name": " "}, "campaign_name"),
    ],
)
def test_bad_promotions_are_refused_naming_the_field(demo_db, manager, change, field):
    with pytest.raises(SpecError) as caught:
        promotions.save_promotion(demo_db, manager, {**PEELS10, **change}, now=SEVEN_IST)
    assert caught.value.field == field


def test_export_gives_back_the_spec_that_was_saved(demo_db, manager, morning10):
    exported = promotions.export_promotion(demo_db, manager, "peels10")
    assert exported["rules"] == PEELS10["rules"]
    assert (exported["discount_percent"], exported["requires_code"]) == ("10.00", True)
    assert (
        promotions.export_promotion(demo_db, manager, "PREMIUM_CONSULT")["promotion_type"]
        == "buy_x_get_y"
    )


def test_pause_and_resume_a_code_and_a_promotion(demo_db, desk, manager, morning10):
    promotions.set_paused(demo_db, manager, "morning10", paused=True, now=SEVEN_IST)
    with pytest.raises(CodeRefused, match="paused"):
        bill(demo_db, desk, 0, SEVEN_IST)
    promotions.set_paused(demo_db, manager, "MORNING10", paused=False, now=SEVEN_IST)
    promotions.set_paused(demo_db, manager, "PEELS10", paused=True, now=SEVEN_IST)
    status = {
        p.campaign_code: p.status
        for p in promotions.list_promotions(demo_db, manager, now=SEVEN_IST)
    }
    assert status["PEELS10"] == "paused"


def test_every_change_is_audited_with_who(demo_db, manager, morning10):
    with demo_db.session(write=False) as session:
        actions = {
            a.action: a.user_id
            for a in session.scalars(
                select(AuditLog).where(AuditLog.entity_type.in_(["promotion", "promo_code"]))
            )
        }
    assert actions == {"promotion.create": manager.id, "promo_code.create": manager.id}


def test_front_desk_cannot_manage_promotions(demo_db, desk):
    with pytest.raises(PermissionDenied):
        promotions.save_promotion(demo_db, desk, PEELS10, now=SEVEN_IST)


def test_a_promotion_and_a_code_of_the_same_name_are_paused_as_asked(demo_db, manager, morning10):
    promotions.save_code(
        demo_db, manager, {"code": "GLOW20", "promotion_code": "PEELS10"}, now=SEVEN_IST
    )
    promotions.set_paused(demo_db, manager, "GLOW20", paused=True, now=SEVEN_IST, kind="promotion")
    status = {
        p.campaign_code: p.status
        for p in promotions.list_promotions(demo_db, manager, now=SEVEN_IST)
    }
    codes = {c.code: c.status for c in promotions.list_codes(demo_db, manager)}
    assert (status["GLOW20"], codes["GLOW20"]) == ("paused", "active")


def test_after_a_tracking_failure_and_a_rebuild_a_once_per_patient_code_is_still_refused(
    demo_db, desk, manager
):
    promotions.save_promotion(demo_db, manager, PEELS10, now=SEVEN_IST)
    promotions.save_code(
        demo_db,
        manager,
        {"code": "ONCE10", "promotion_code": "PEELS10", "max_uses_per_patient": 1, "max_uses": 5},
        now=SEVEN_IST,
    )
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            text(
                "CREATE TRIGGER usage_fails BEFORE INSERT ON promotion_usage_log "
                "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
        )
    saved = bill(demo_db, desk, 0, SEVEN_IST, "ONCE10")
    assert saved.campaigns_applied["applied_promotions"][0]["campaign_code"] == "PEELS10"
    with demo_db.session(write=True) as session, session.begin():
        session.execute(text("DROP TRIGGER usage_fails"))

    repair = invoicing.rebuild_usage(demo_db, manager, now=SEVEN_IST)

    assert repair.added == 1
    with demo_db.session(write=False) as session:
        [use] = session.scalars(
            select(PromotionUsageLog).where(PromotionUsageLog.invoice_id == saved.id)
        ).all()
        landed = session.scalars(
            select(PromotionUsageItem.item_code).where(PromotionUsageItem.usage_id == use.id)
        ).all()
    assert use.promo_code_id is not None and use.discount_amount == 18_000
    assert landed == ["PEEL-GLY"]
    [row] = [c for c in promotions.list_codes(demo_db, manager) if c.code == "ONCE10"]
    assert row.uses == 1
    with pytest.raises(CodeRefused):
        bill(demo_db, desk, 0, SEVEN_IST + timedelta(minutes=5), "ONCE10")
    # Another patient may still use it.
    assert bill(demo_db, desk, 1, SEVEN_IST + timedelta(minutes=6), "ONCE10").campaigns_applied
