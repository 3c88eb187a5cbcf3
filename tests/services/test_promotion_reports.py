from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import InvoiceHeader, PromotionCampaign, PromotionUsageLog
from domain.roles import PermissionDenied
from services import auth, invoicing, promotion_reports
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def live_uses(db):
    """The usage log computed independently of the report queries."""
    with db.session(write=False) as session:
        rows = session.execute(
            select(
                PromotionCampaign.campaign_code,
                PromotionUsageLog.patient_id,
                PromotionUsageLog.discount_amount,
                InvoiceHeader.invoice_date,
            )
            .join(PromotionCampaign, PromotionCampaign.id == PromotionUsageLog.campaign_id)
            .join(InvoiceHeader, InvoiceHeader.id == PromotionUsageLog.invoice_id)
            .where(PromotionUsageLog.reversed_at.is_(None))
        ).all()
    return rows


def test_effectiveness_matches_the_usage_log(demo_db, manager):
    rows = live_uses(demo_db)
    report = {
        r.campaign_code: r for r in promotion_reports.campaign_effectiveness(demo_db, manager)
    }
    assert set(report) == {"PREMIUM_CONSULT", "GLOW20", "FESTIVE500"}
    for code, effect in report.items():
        mine = [r for r in rows if r.campaign_code == code]
        assert effect.uses == len(mine) == effect.current_uses
        assert effect.unique_patients == len({r.patient_id for r in mine})
        assert effect.total_discount == sum(r.discount_amount for r in mine)
        if mine:
            assert abs(effect.average_discount * len(mine) - effect.total_discount) <= len(mine)
    totals = [effect.total_discount for effect in report.values()]
    assert [
        r.total_discount for r in promotion_reports.campaign_effectiveness(demo_db, manager)
    ] == sorted(totals, reverse=True)


def test_a_cancelled_invoice_leaves_the_reports(demo_db, manager):
    desk = auth.sign_in(demo_db, "priya", "1111")
    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "BOTOX50", "CONSULT"), now=NOW)

    def premium():
        return next(
            r
            for r in promotion_reports.campaign_effectiveness(demo_db, manager)
            if r.campaign_code == "PREMIUM_CONSULT"
        )

    after_save = premium()
    assert promotion_reports.promoted_invoices(demo_db, manager, limit=1)[0].invoice_number == (
        saved.invoice_number
    )
    invoicing.cancel_invoice(demo_db, manager, saved.invoice_number, reason="Test", now=NOW)
    assert premium().uses == after_save.uses - 1
    assert saved.invoice_number not in {
        p.invoice_number for p in promotion_reports.promoted_invoices(demo_db, manager, limit=500)
    }


def test_timeline_counts_each_day_and_promotion(demo_db, manager):
    rows = live_uses(demo_db)
    expected: dict[tuple, list[int]] = defaultdict(list)
    for code, _patient, amount, day in rows:
        if day > TODAY - timedelta(days=30):
            expected[(day, code)].append(amount)
    timeline = promotion_reports.usage_timeline(demo_db, manager, today=TODAY, days=30)
    assert {(p.day, p.campaign_code): (p.uses, p.discount) for p in timeline} == {
        key: (len(amounts), sum(amounts)) for key, amounts in expected.items()
    }
    assert [p.day for p in timeline] == sorted((p.day for p in timeline), reverse=True)


def test_top_patients_are_ranked_by_savings(demo_db, manager):
    rows = live_uses(demo_db)
    savings = Counter()
    for _code, patient, amount, _day in rows:
        savings[patient] += amount
    top = promotion_reports.top_patients(demo_db, manager, limit=10)
    assert len(top) == 10
    assert [p.total_savings for p in top] == sorted(savings.values(), reverse=True)[:10]
    assert all(savings[p.patient_id] == p.total_savings for p in top)


def test_promoted_invoices_name_their_campaigns(demo_db, manager):
    invoices = promotion_reports.promoted_invoices(demo_db, manager, limit=20)
    assert len(invoices) == 20
    assert all(p.campaign_codes and p.total_discount > 0 for p in invoices)


def test_front_desk_cannot_read_promotion_reports(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        promotion_reports.campaign_effectiveness(demo_db, desk)
