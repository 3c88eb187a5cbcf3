"""Campaigns (issue #16): the template library, audiences with their left-out reasons,
launch with the A/B split and hold-out, the budget, and results, on the demo clinic."""

import sqlite3
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from db.models import (
    AuditLog,
    Branch,
    Campaign,
    CampaignExecution,
    ConsentLedger,
    Patient,
    PromoCode,
    PromotionUsageLog,
)
from domain.ab_test import HOLDOUT
from domain.errors import BadInput, Refused
from domain.message_render import TemplateRefused
from domain.roles import PermissionDenied
from services import auth, consent, invoicing
from services.campaigns import audiences, campaigns, templates
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart

REGISTERED = "Dear {#var#}, {#var#} misses you. Book now: {#var#} -GLOWCL"
SMS = {
    "name": "Win-back SMS",
    "category": "win-back",
    "channel": "sms",
    "body": "Dear {{ first_name }}, {{ clinic_name }} misses you. Book now: {{ clinic_phone }} -GLOWCL",
    "sms_dlt_template_id": "1107161234567890123",
    "sms_header": "GLOWCL",
    "sms_principal_entity_id": "1101456789012345678",
    "sms_registered_text": REGISTERED,
}


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def dump(db):
    con = sqlite3.connect(db.path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def patients(db, count):
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(Patient.id)
                .where(Patient.is_walk_in.is_(False), Patient.mobile != "")
                .order_by(Patient.name)
                .limit(count)
            )
        )


def grant(db, actor, ids, channel="sms", granted=True):
    for patient_id in ids:
        consent.record_consent(db, actor, patient_id, channel, granted=granted, now=NOW)


def sms_template(db, actor, **changes):
    return templates.add_template(db, actor, templates.parse_spec(SMS | changes), now=NOW)


# -- templates ---------------------------------------------------------------------------


def test_a_template_is_checked_against_its_dlt_registration_when_saved(demo_db, manager):
    template_id = sms_template(demo_db, manager)
    shown = templates.preview(
        demo_db, manager, template_id, patient_id=patients(demo_db, 1)[0], today=TODAY
    )
    assert shown.dlt_ok and shown.sms is not None and shown.sms.parts == 1
    assert shown.text.startswith("Dear ") and "-GLOWCL" in shown.text

    before = dump(demo_db)
    with pytest.raises(TemplateRefused, match="does not match its DLT registration"):
        sms_template(demo_db, manager, body="Hi {{ first_name }}, 20% off this week only!")
    with pytest.raises(TemplateRefused, match="Unknown tag"):
        sms_template(demo_db, manager, body="Dear {{ frist_name }}")
    with pytest.raises(BadInput, match="is_stackable"):
        templates.parse_spec(SMS | {"is_stackable": "no"})
    with pytest.raises(BadInput, match="channel"):
        templates.parse_spec(SMS | {"channel": 5})
    assert dump(demo_db) == before


def test_a_template_changed_is_checked_again_and_keeps_its_channel(demo_db, manager):
    template_id = sms_template(demo_db, manager)
    changed = SMS | {"name": "Win-back SMS, v2", "category": "lapsed", "purpose": "service"}
    templates.update_template(demo_db, manager, template_id, templates.parse_spec(changed), now=NOW)
    [row] = [r for r in templates.list_templates(demo_db, manager) if r.id == template_id]
    assert (row.name, row.category, row.purpose) == ("Win-back SMS, v2", "lapsed", "service")

    before = dump(demo_db)
    with pytest.raises(TemplateRefused, match="does not match its DLT registration"):
        templates.update_template(
            demo_db,
            manager,
            template_id,
            templates.parse_spec(SMS | {"body": "Hi {{ first_name }}, 20% off!"}),
            now=NOW,
        )
    email = SMS | {"channel": "email", "subject": "Hello", "sms_registered_text": None}
    with pytest.raises(BadInput, match="its campaigns send on it"):
        templates.update_template(
            demo_db, manager, template_id, templates.parse_spec(email), now=NOW
        )
    assert dump(demo_db) == before


def test_the_sample_patient_is_previewed_at_this_clinic(demo_db, manager):
    template_id = sms_template(demo_db, manager)
    with demo_db.session(write=False) as session:
        branch = session.scalars(select(Branch)).one()

    shown = templates.preview(demo_db, manager, template_id, today=TODAY)

    assert shown.text == (f"Dear Asha, {branch.name} misses you. Book now: {branch.phone} -GLOWCL")
    assert "Glow Clinic" not in shown.text and branch.phone


def test_the_front_desk_cannot_touch_the_library(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        templates.add_template(demo_db, desk, templates.parse_spec(SMS), now=NOW)


# -- audiences ---------------------------------------------------------------------------


def test_the_count_says_who_is_left_out_and_why(demo_db, manager):
    ten = patients(demo_db, 10)
    grant(demo_db, manager, ten[:6])
    grant(demo_db, manager, ten[6:8], granted=False)  # ten[8:] never asked: no consent
    consent.set_do_not_contact(demo_db, manager, ten[0], "sms", blocked=True, now=NOW)
    spec = audiences.AudienceSpec(patients=ten)

    count = audiences.count_audience(demo_db, manager, spec, "sms", today=TODAY, now=NOW)

    assert count.matching == 10 and count.reachable == 5
    assert count.left_out[audiences.DO_NOT_CONTACT] == 1
    assert count.left_out[audiences.NO_CONSENT] == 4
    assert "5 of 10 can be reached" in count.sentence()
    service = audiences.count_audience(
        demo_db, manager, spec, "sms", purpose="service", today=TODAY, now=NOW
    )
    assert service.reachable == 9  # service messages need no grant; do-not-contact holds


def test_filters_narrow_the_audience(demo_db, manager):
    everyone = audiences.count_audience(
        demo_db, manager, audiences.AudienceSpec(), "sms", purpose="service", today=TODAY, now=NOW
    )
    lapsed = audiences.count_audience(
        demo_db,
        manager,
        audiences.AudienceSpec(last_visit_older_than_days=90),
        "sms",
        purpose="service",
        today=TODAY,
        now=NOW,
    )
    big = audiences.count_audience(
        demo_db,
        manager,
        audiences.AudienceSpec(spent_more_than="20000"),
        "sms",
        purpose="service",
        today=TODAY,
        now=NOW,
    )
    with demo_db.session(write=False) as session:
        on_record = session.scalar(
            select(func.count()).where(Patient.is_walk_in.is_(False), Patient.retired_at.is_(None))
        )
    assert everyone.matching == on_record
    assert 0 < lapsed.matching < everyone.matching and 0 < big.matching < everyone.matching


# -- launch and results -------------------------------------------------------------------


def a_campaign(db, actor, ids, **changes):
    a = sms_template(db, actor, name=f"A {uuid.uuid4().hex[:4]}")
    b = sms_template(db, actor, name=f"B {uuid.uuid4().hex[:4]}")
    spec = {
        "name": "Win back the lapsed",
        "variants": {"A": {"template": str(a)}, "B": {"template": str(b)}},
        "holdout_percent": 20,
        "minimum_per_arm": 1,
        "audience": {"patients": [str(p) for p in ids]},
        "cost_per_message": "0.25",
    } | changes
    return campaigns.create_campaign(db, actor, campaigns.parse_spec(spec), now=NOW)


def executions(db, campaign_id):
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(CampaignExecution).where(CampaignExecution.campaign_id == campaign_id)
            )
        )


def test_launch_queues_each_reachable_recipient_once_with_an_arm(demo_db, manager):
    ids = patients(demo_db, 40)
    grant(demo_db, manager, ids[:30])
    grant(demo_db, manager, ids[30:], granted=False)
    campaign_id = a_campaign(demo_db, manager, ids)

    launched = campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    again = campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)

    rows = executions(demo_db, campaign_id)
    assert len(rows) == 30 == launched.queued + launched.held_out
    assert again.queued == 0 and again.already == 30
    arms = {row.variant for row in rows}
    assert arms <= {"A", "B", HOLDOUT} and {"A", "B"} <= arms
    held = [row for row in rows if row.variant == HOLDOUT]
    assert all(row.status == "skipped" for row in held)
    assert all(row.status == "queued" for row in rows if row.variant != HOLDOUT)
    sms = next(row for row in rows if row.variant != HOLDOUT)
    assert sms.payload["sms_dlt_template_id"] == SMS["sms_dlt_template_id"]
    assert sms.rendered_text.startswith("Dear ") and sms.recipient
    with demo_db.session(write=False) as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "campaign.launch")).all()
    assert audit[0].details["queued"] == launched.queued


def test_a_launch_over_budget_is_refused_and_queues_nothing(demo_db, manager):
    ids = patients(demo_db, 20)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, budget="1.00", holdout_percent=0)

    with pytest.raises(Refused, match="it pays for 4"):
        campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    assert executions(demo_db, campaign_id) == []


def test_a_second_launch_counts_what_the_first_queued_against_the_budget(demo_db, manager):
    # Rs.1.00 pays for 4 messages at Rs.0.25. The first launch queues the 4 who consented;
    # 4 more consent while those wait unsent: launching again would send 8.
    ids = patients(demo_db, 8)
    grant(demo_db, manager, ids[:4])
    grant(demo_db, manager, ids[4:], granted=False)
    campaign_id = a_campaign(demo_db, manager, ids, budget="1.00", holdout_percent=0)
    first = campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    assert first.queued == 4
    later = NOW + timedelta(minutes=5)
    for patient_id in ids[4:]:
        consent.record_consent(demo_db, manager, patient_id, "sms", granted=True, now=later)

    with pytest.raises(Refused, match="it pays for 0"):
        campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=later)
    assert len(executions(demo_db, campaign_id)) == 4


def test_results_count_conversions_revenue_and_roi(demo_db, manager):
    ids = patients(demo_db, 20)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=0)
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(CampaignExecution)
            .where(CampaignExecution.campaign_id == campaign_id)
            .values(status="delivered", sent_at=NOW, cost_paise=25)
        )
        # One message failed: that patient's later invoice is not the campaign's doing.
        session.execute(
            update(CampaignExecution)
            .where(CampaignExecution.campaign_id == campaign_id)
            .where(CampaignExecution.patient_id == ids[19])
            .values(status="failed", cost_paise=0)
        )
    buyers = ids[:3]
    later = NOW + timedelta(days=2)
    invoicing.save_invoice(demo_db, manager, cart(demo_db, "CONSULT", patient=ids[19]), now=later)
    for patient_id in buyers:
        invoicing.save_invoice(
            demo_db, manager, cart(demo_db, "CONSULT", patient=patient_id), now=later
        )
    too_late = NOW + timedelta(days=40)
    invoicing.save_invoice(demo_db, manager, cart(demo_db, "CONSULT", patient=ids[5]), now=too_late)

    results = campaigns.campaign_results(demo_db, manager, campaign_id)

    total = results.total
    assert total.recipients == 20 and total.delivered == 19 and total.failed == 1
    assert total.cost == 19 * 25
    assert total.conversions == 3 and total.revenue > 0
    assert results.roi == pytest.approx((total.revenue - 475) / 475)
    assert results.decision is not None  # two arms: decided (or declined) by the z-test
    # Per day of the branch (India): all sent on 24 Nov at 11:00, the failure too; the three
    # bought on 26 Nov. The day between is there, with nothing.
    assert [(d.day.day, d.sent, d.delivered, d.failed, d.conversions) for d in results.by_day] == [
        (24, 19, 19, 1, 0),
        (25, 0, 0, 0, 0),
        (26, 0, 0, 0, 3),
    ]


def test_the_lift_compares_everyone_given_a_template_with_the_hold_out(demo_db, manager):
    ids = patients(demo_db, 40)
    grant(demo_db, manager, ids)
    went_out = NOW + timedelta(days=1)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=0, send_at=went_out.isoformat())
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    messaged, held = ids[:30], ids[30:]
    e = CampaignExecution
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(e)
            .where(e.campaign_id == campaign_id, e.patient_id.in_(messaged))
            .values(variant="A", status="delivered", sent_at=went_out, cost_paise=25)
        )
        session.execute(  # the message to ids[0] failed: it still counts for the lift
            update(e)
            .where(e.campaign_id == campaign_id, e.patient_id == ids[0])
            .values(status="failed", cost_paise=0)
        )
        session.execute(
            update(e)
            .where(e.campaign_id == campaign_id, e.patient_id.in_(held))
            .values(variant=HOLDOUT, status="skipped")
        )

    def buys(patient_id, at):
        saved = invoicing.save_invoice(
            demo_db, manager, cart(demo_db, "CONSULT", patient=patient_id), now=at
        )
        return saved.total_amount

    later = went_out + timedelta(days=2)
    price = buys(ids[0], later)
    for patient_id in ids[1:6]:
        buys(patient_id, later)
    buys(held[0], later)
    buys(held[1], NOW + timedelta(hours=12))  # before the campaign went out: not counted
    buys(ids[6], went_out + timedelta(days=31))  # after the 30-day window: not counted

    results = campaigns.campaign_results(demo_db, manager, campaign_id)

    # Attributed: 5 converted (ids[0]'s message failed), revenue 5P, cost 29 x 25 paise.
    assert results.total.conversions == 5 and results.total.cost == 725
    lift = results.lift
    assert lift is not None
    # Messaged 30 with 6 converted (20 %), hold-out 10 with 1 (10 %): expected 1 x 30/10 = 3.
    assert (lift.messaged.recipients, lift.messaged.conversions) == (30, 6)
    assert (lift.holdout.recipients, lift.holdout.conversions) == (10, 1)
    assert lift.messaged.revenue == 6 * price and lift.holdout.revenue == price
    assert lift.expected_conversions == 3 and lift.incremental_conversions == 3
    assert lift.incremental_revenue == 3 * price
    assert lift.incremental_roi == pytest.approx((3 * price - 725) / 725)
    # pooled 7/40: z = 0.1 / sqrt(0.175 x 0.825 x (1/30 + 1/10)) = 0.7207, p = 0.471
    assert lift.test.p_value == pytest.approx(0.471, abs=1e-3)
    assert not lift.measurable
    assert results.lift_sentence().startswith("No measurable lift")


def test_a_campaign_without_a_hold_out_says_its_lift_cannot_be_measured(demo_db, manager):
    ids = patients(demo_db, 6)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=0)
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)

    results = campaigns.campaign_results(demo_db, manager, campaign_id)

    assert results.lift is None
    assert results.lift_sentence().startswith("No hold-out group")


def test_a_day_of_the_results_is_the_branchs_date(demo_db, manager):
    ids = patients(demo_db, 3)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids, holdout_percent=0)
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    e = CampaignExecution
    late = NOW.replace(hour=19)  # 19:00 UTC on 24 Nov is 00:30 on 25 Nov in India
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(e).where(e.campaign_id == campaign_id).values(status="sent", sent_at=NOW)
        )
        session.execute(
            update(e)
            .where(e.campaign_id == campaign_id, e.patient_id == ids[0])
            .values(status="delivered", sent_at=late, delivered_at=late + timedelta(days=1))
        )

    days = campaigns.campaign_results(demo_db, manager, campaign_id).by_day

    assert [(d.day.isoformat(), d.sent, d.delivered) for d in days] == [
        ("2026-11-24", 2, 0),
        ("2026-11-25", 1, 0),
        ("2026-11-26", 0, 1),  # delivered when the provider said so, not when sent
    ]


def test_personal_codes_are_single_use_codes_of_the_linked_promotion(demo_db, manager):
    code = "GLOW20"  # a demo promotion's code
    ids = patients(demo_db, 8)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(
        demo_db, manager, ids, holdout_percent=0, promotion_code=code, personal_codes=True
    )
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)

    rows = executions(demo_db, campaign_id)
    given = [row.personal_code for row in rows]
    assert len(set(given)) == 8 and all(given)
    with demo_db.session(write=False) as session:
        made = session.scalars(select(PromoCode).where(PromoCode.code.in_(given))).all()
    assert len(made) == 8 and all(c.max_uses == 1 for c in made)


def test_a_personal_code_used_is_its_recipients_conversion_whoever_and_whenever(demo_db, manager):
    """Rule 5: a recipient's personal code on an issued invoice converts them exactly: on a
    relative's invoice, after the attribution window too; their own invoice that used it
    within the window counts once; a cancelled invoice's use counts not at all."""
    ids = patients(demo_db, 6)
    recipients, relative = ids[:5], ids[5]
    grant(demo_db, manager, recipients)
    campaign_id = a_campaign(
        demo_db,
        manager,
        recipients,
        holdout_percent=0,
        promotion_code="GLOW20",
        attribution_days=60,
        personal_codes=True,
    )
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    e = CampaignExecution
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(e).where(e.campaign_id == campaign_id).values(status="delivered", sent_at=NOW)
        )
    code_of = {row.patient_id: row.personal_code for row in executions(demo_db, campaign_id)}

    def buy(patient, when, code=None):
        request = cart(
            demo_db, "HYDRAFACIAL", "SPF50", patient=patient, promo_codes=(code,) if code else ()
        )
        saved = invoicing.save_invoice(demo_db, manager, request, now=when)
        return saved

    # After FESTIVE500's last day (it takes the same items), inside a 60-day window or past it.
    window_past = NOW + timedelta(days=70)
    # recipients[0]'s code, used by a relative after the window: theirs, exactly.
    late = buy(relative, window_past, code_of[recipients[0]])
    with demo_db.session(write=False) as session:
        used = session.scalar(
            select(PromoCode.code)
            .join(PromotionUsageLog, PromotionUsageLog.promo_code_id == PromoCode.id)
            .where(PromotionUsageLog.invoice_id == late.id)
        )
    assert used == code_of[recipients[0]]
    # recipients[1] uses their own code within the window: one conversion, one invoice.
    own = buy(recipients[1], NOW + timedelta(days=35), code_of[recipients[1]])
    # recipients[2] buys after the window without the code: not the campaign's doing.
    buy(recipients[2], window_past)
    # recipients[3]'s code on an invoice cancelled since: nothing.
    cancelled = buy(relative, NOW + timedelta(days=36), code_of[recipients[3]])
    invoicing.cancel_invoice(
        demo_db, manager, cancelled.invoice_number, reason="entered twice", now=NOW
    )

    total = campaigns.campaign_results(demo_db, manager, campaign_id).total
    assert total.conversions == 2
    assert total.revenue == late.total_amount + own.total_amount


def test_a_campaign_spec_is_strict(demo_db, manager):
    with pytest.raises(BadInput, match="varients"):
        campaigns.parse_spec({"name": "x", "variants": {"A": {"template": "t"}}, "varients": {}})
    with pytest.raises(BadInput, match="personal_codes"):
        campaigns.parse_spec(
            {"name": "x", "variants": {"A": {"template": "t"}}, "personal_codes": "false"}
        )


def test_a_dashboard_segment_is_an_audience(demo_db, manager):
    from services import dashboard

    report = dashboard.rfm_report(demo_db, manager, dashboard.DashboardFilters(), today=TODAY)
    name = report.scores.segment_names[0]
    members = dashboard.customers(demo_db, manager, report, chart="segments", key=name)
    spec = audiences.AudienceSpec(segment=name.lower())  # as typed, in any case

    count = audiences.count_audience(
        demo_db, manager, spec, "sms", purpose="service", today=TODAY, now=NOW
    )

    assert count.matching == len(members) > 0
    with pytest.raises(BadInput, match="segments are"):
        audiences.count_audience(
            demo_db,
            manager,
            audiences.AudienceSpec(segment="Unicorns"),
            "sms",
            today=TODAY,
            now=NOW,
        )


def test_recommendations_are_drawn_from_the_data(demo_db, manager):
    from services.campaigns import recommendations

    found = recommendations.recommend(demo_db, manager, today=TODAY, now=NOW)
    rules = {r.rule: r for r in found}

    with demo_db.session(write=False) as session:
        never_asked = session.scalar(
            select(func.count()).where(
                Patient.is_walk_in.is_(False),
                Patient.retired_at.is_(None),
                ~Patient.id.in_(select(ConsentLedger.patient_id)),
            )
        )
    assert rules["consent"].count == never_asked
    assert "never asked for their consent" in rules["consent"].sentence
    assert [r.count for r in found] == sorted((r.count for r in found), reverse=True)


def test_an_ab_winner_is_suggested_with_its_template_for_the_rest_of_the_audience(demo_db, manager):
    from services.campaigns import recommendations

    ids = patients(demo_db, 40)
    grant(demo_db, manager, ids)
    campaign_id = a_campaign(demo_db, manager, ids[:30], holdout_percent=0, minimum_per_arm=1)
    campaigns.launch_campaign(demo_db, manager, campaign_id, today=TODAY, now=NOW)
    with demo_db.session(write=True) as session, session.begin():
        session.execute(
            update(CampaignExecution)
            .where(CampaignExecution.campaign_id == campaign_id)
            .values(status="delivered", sent_at=NOW)
        )
    arm_of = {row.patient_id: row.variant for row in executions(demo_db, campaign_id)}
    for patient_id, variant in arm_of.items():  # everyone who got A came back; nobody of B
        if variant == "A":
            invoicing.save_invoice(
                demo_db,
                manager,
                cart(demo_db, "CONSULT", patient=patient_id),
                now=NOW + timedelta(days=2),
            )

    found = recommendations.recommend(demo_db, manager, today=TODAY, now=NOW)

    [winner] = [r for r in found if r.rule == "ab_winner"]
    assert winner.campaign_id == campaign_id and "A wins" in winner.sentence
    with demo_db.session(write=False) as session:
        arms = session.get_one(Campaign, campaign_id).variants["arms"]
    assert winner.template_id == uuid.UUID(arms["A"]["template_id"])
    assert winner.audience == {
        "patients": [str(p) for p in ids[:30]],
        "not_in_campaign": str(campaign_id),
    }
    rest = audiences.parse_audience(winner.audience | {"patients": [str(p) for p in ids]})
    reached = audiences.reachable_patients(demo_db, manager, rest, "sms", today=TODAY, now=NOW)
    assert set(reached) <= set(ids[30:])  # nobody the campaign already wrote to
