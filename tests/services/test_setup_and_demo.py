import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from db.models import (
    AuditLog,
    CatalogItem,
    InvoiceHeader,
    InvoiceLineItem,
    InvoiceSequence,
    Patient,
    PromotionCampaign,
    PromotionUsageLog,
    User,
)
from domain.fiscal import fiscal_year_label
from services import auth, branch
from services.setup import SetupError, initialise, open_branch_database
from tests.services.conftest import NOW, TODAY


def count(db, model):
    with db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_demo_clinic_has_catalog_promotions_staff_and_patients(demo_db):
    assert 35 <= count(demo_db, CatalogItem) <= 45
    assert count(demo_db, Patient) == 2000
    with demo_db.session(write=False) as session:
        codes = set(session.scalars(select(PromotionCampaign.campaign_code)))
        prices = dict(session.execute(select(CatalogItem.code, CatalogItem.price)).all())
        roles = Counter(session.scalars(select(User.role)))
    assert codes == {"PREMIUM_CONSULT", "GLOW20", "FESTIVE500"}
    assert prices["CONSULT"] == 50_000 and prices["BOTOX50"] == 450_000
    assert set(roles) == {"front_desk", "manager", "admin"}


def test_premium_consult_gives_the_consultation_free_with_botox(demo_db):
    with demo_db.session(write=False) as session:
        promo = session.scalars(
            select(PromotionCampaign).where(PromotionCampaign.campaign_code == "PREMIUM_CONSULT")
        ).one()
    assert promo.promotion_type == "buy_x_get_y"
    assert "BOTOX50" in promo.rules["buy"]["item_codes"]
    assert promo.rules["get"]["item_codes"] == ["CONSULT"]


def test_demo_history_spans_two_years_and_adds_up(demo_db):
    with demo_db.session(write=False) as session:
        first, last = session.execute(
            select(func.min(InvoiceHeader.invoice_date), func.max(InvoiceHeader.invoice_date))
        ).one()
        mismatched = session.scalar(
            select(func.count())
            .select_from(InvoiceHeader)
            .where(
                InvoiceHeader.total_amount
                != select(func.sum(InvoiceLineItem.line_total))
                .where(InvoiceLineItem.invoice_id == InvoiceHeader.id)
                .scalar_subquery()
                + InvoiceHeader.round_off
            )
        )
        visits = Counter(session.scalars(select(InvoiceHeader.patient_id)))
    assert (TODAY - first).days >= 700 and last <= TODAY
    assert mismatched == 0
    assert max(visits.values()) >= 10, "some patients should be regulars for the dashboard"


def test_invoice_numbers_are_gap_free_per_fiscal_year(demo_db):
    with demo_db.session(write=False) as session:
        rows = session.execute(
            select(
                InvoiceHeader.fiscal_year,
                InvoiceHeader.sequence_no,
                InvoiceHeader.invoice_number,
                InvoiceHeader.invoice_date,
            )
        ).all()
        sequences = dict(
            session.execute(
                select(InvoiceSequence.fiscal_year, InvoiceSequence.last_number).where(
                    InvoiceSequence.series == "SVC"
                )
            ).all()
        )
    by_year: dict[str, list[int]] = {}
    for year, number, text, day in rows:
        assert year == fiscal_year_label(day, 4)
        assert text == f"IND/{year[2:4]}-{year[7:9]}/{number:05d}"
        assert len(text) <= 16
        by_year.setdefault(year, []).append(number)
    for year, numbers in by_year.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
        assert sequences[year] == len(numbers)


def test_demo_is_the_same_every_time_for_the_same_day(demo_template, tmp_path):
    db = open_branch_database(tmp_path / "again.db", now=NOW)
    initialise(db, demo=True, now=NOW, today=TODAY)
    template = open_branch_database(demo_template, now=NOW)
    query = select(InvoiceHeader.invoice_number, InvoiceHeader.total_amount).order_by(
        InvoiceHeader.invoice_number
    )
    with db.session(write=False) as a, template.session(write=False) as b:
        assert a.execute(query).all() == b.execute(query).all()
    db.close()
    template.close()


def test_initialising_again_changes_nothing(demo_db):
    before = (count(demo_db, InvoiceHeader), count(demo_db, AuditLog), count(demo_db, User))
    result = initialise(demo_db, demo=True, now=NOW, today=TODAY)
    assert not result.created and "nothing changed" in result.message
    assert (count(demo_db, InvoiceHeader), count(demo_db, AuditLog), count(demo_db, User)) == before


def test_blank_branch_gets_one_admin_who_can_sign_in(tmp_path):
    db = open_branch_database(tmp_path / "blank.db", now=NOW)
    result = initialise(
        db, demo=False, now=NOW, today=TODAY, admin_username="Owner", admin_pin="432109"
    )
    assert result.created and not result.demo
    user = auth.sign_in(db, "owner", "432109")
    assert user.role.value == "admin"
    assert branch.get_branch(db).details.name == "My clinic"
    db.close()


@pytest.mark.parametrize(
    ("name", "pin"), [("admin", None), ("admin", "12"), ("admin", "1234"), ("bad name", "123456")]
)
def test_blank_branch_needs_a_usable_admin(tmp_path, name, pin):
    db = open_branch_database(tmp_path / "blank.db", now=NOW)
    with pytest.raises(SetupError):
        initialise(db, demo=False, now=NOW, today=TODAY, admin_username=name, admin_pin=pin)
    assert not branch.is_initialised(db), "a refused set-up leaves nothing behind"
    db.close()


def test_demo_history_was_priced_by_the_promotion_engine(demo_db):
    with demo_db.session(write=False) as session:
        promoted = session.scalar(
            select(func.count())
            .select_from(InvoiceHeader)
            .where(InvoiceHeader.campaigns_applied.is_not(None))
        )
        uses = session.scalar(select(func.count()).select_from(PromotionUsageLog))
        counters = dict(
            session.execute(
                select(PromotionCampaign.campaign_code, PromotionCampaign.current_uses)
            ).all()
        )
        per_campaign = dict(
            session.execute(
                select(PromotionCampaign.campaign_code, func.count(PromotionUsageLog.id))
                .join(PromotionUsageLog, PromotionUsageLog.campaign_id == PromotionCampaign.id)
                .group_by(PromotionCampaign.campaign_code)
            ).all()
        )
        free_consults = session.scalars(
            select(InvoiceLineItem.badge_text).where(
                InvoiceLineItem.item_code == "CONSULT", InvoiceLineItem.discount_percent == 100
            )
        ).all()
    assert promoted > 0 and promoted <= uses
    assert counters == per_campaign and counters["PREMIUM_CONSULT"] > 0
    assert set(free_consults) == {"Rs.500 Free (PREMIUM_CONSULT)"}


def test_opening_the_app_brings_in_neither_the_demo_nor_the_message_channels():
    # services.setup is on the app's start-up path; the demo's writers import the channels'
    # HTTP client, which only writing the demo clinic needs.
    probe = (
        "import sys, services.setup; print(sorted({'httpx', 'services.demo'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )

    assert done.stdout.strip() == "[]"
