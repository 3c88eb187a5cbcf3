"""A trigger on a campaign with fallback channels and an A/B test (issue #16) sends as the
launch does: each patient the event happened to gets one message, on the first of the
campaign's channels that reaches them, in their arm of the split (the hold-out nothing),
with that arm's template for that channel; and it arrives at the real servers (aiosmtpd,
pytest-httpserver)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from db.models import Campaign, CampaignExecution, Patient
from domain import ab_test
from services.campaign_sender import send_due
from services.campaigns import campaigns, triggers
from tests.services.campaign_rows import manager
from tests.services.test_campaign_channels import (
    EMAIL,
    MORNING,
    SMS,
    WHATSAPP,
    add,
    agree,
    channels_live,
    one_of_each,
)
from tests.services.test_campaign_sender import _keyring, smtp

__all__ = ["_keyring", "smtp"]  # the sending tests' fixtures: an in-memory keyring, aiosmtpd

WHATSAPP_B = WHATSAPP | {"name": "Gift (WhatsApp)", "whatsapp_template_name": "gift_offer"}
SMS_B = SMS | {
    "name": "Gift (SMS)",
    "body": "Hello {{ first_name }}, a gift awaits at {{ clinic_name }}: {{ clinic_phone }} -GLOWCL",
    "sms_dlt_template_id": "1107161234567890999",
    "sms_registered_text": "Hello {#var#}, a gift awaits at {#var#}: {#var#} -GLOWCL",
}
EMAIL_B = EMAIL | {"name": "Gift (e-mail)", "subject": "{{ first_name }}, a gift for you"}


def reachable_people(db, count: int) -> list[Patient]:
    """Patients with a mobile and an e-mail address whose form gave no consent."""
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(Patient)
                .where(Patient.is_walk_in.is_(False), Patient.retired_at.is_(None))
                .where(Patient.mobile != "", Patient.email.is_not(None), Patient.email != "")
                .where(Patient.consent_sms.is_(False), Patient.consent_email.is_(False))
                .where(Patient.consent_whatsapp.is_(False))
                .order_by(Patient.id)
                .limit(count)
            )
        )


def born_today_only(db, people: list[Patient]) -> None:
    """`people` have their birthday on MORNING's day, and nobody else has."""
    day = MORNING.date()
    with db.session(write=True) as session, session.begin():
        born = session.execute(select(Patient.id, Patient.birth_date)).all()
        others = [p for p, d in born if d is not None and (d.month, d.day) == (day.month, day.day)]
        if others:
            session.execute(update(Patient).where(Patient.id.in_(others)).values(birth_date=None))
        session.execute(
            update(Patient)
            .where(Patient.id.in_([p.id for p in people]))
            .values(birth_date=day.replace(year=1990))
        )


def test_a_birthday_trigger_sends_each_arm_on_the_first_channel_that_reaches_them(
    demo_db, smtp, httpserver
):
    user, today = manager(demo_db), MORNING.date()
    a = [add(demo_db, spec) for spec in (WHATSAPP, SMS, EMAIL)]
    b = [add(demo_db, spec) for spec in (WHATSAPP_B, SMS_B, EMAIL_B)]
    pool = reachable_people(demo_db, 40)
    launched_to = pool.pop()  # no consent: the launch queues nothing, the campaign runs
    spec = {
        "name": "Birthday on every channel",
        "variants": {
            "A": {"template": a[0], "fallbacks": a[1:]},
            "B": {"template": b[0], "fallbacks": b[1:]},
        },
        "holdout_percent": 30,
        "minimum_per_arm": 1,
        "audience": {"patients": [str(launched_to.id)]},
        "cost_per_message": {"whatsapp": "0.80", "sms": "0.25", "email": "0"},
    }
    campaign_id = campaigns.create_campaign(demo_db, user, campaigns.parse_spec(spec), now=MORNING)
    assert (
        campaigns.launch_campaign(demo_db, user, campaign_id, today=today, now=MORNING).queued == 0
    )
    with demo_db.session(write=False) as session:
        arms = campaigns.arms_of(session.get_one(Campaign, campaign_id), [p.id for p in pool])

    def one_in(arm: str, taken: list[Patient]) -> Patient:
        return next(p for p in pool if arms[p.id] == arm and p not in taken)

    chosen: list[Patient] = []
    for arm in ("A", "B", "A", ab_test.HOLDOUT, "B"):
        chosen.append(one_in(arm, chosen))
    a_whatsapp, b_sms, a_email, held, b_nobody = chosen
    agree(demo_db, a_whatsapp, "whatsapp", "sms", "email")
    agree(demo_db, b_sms, "sms", "email")
    agree(demo_db, a_email, "email")
    agree(demo_db, held, "whatsapp", "sms", "email")
    born_today_only(demo_db, chosen)
    # As the builder makes it: the trigger names the campaign's template A.
    trigger = triggers.TriggerSpec("birthday", "send_template", template=a[0])
    triggers.add_trigger(demo_db, user, campaign_id, trigger, now=MORNING)

    fired = triggers.run_due_triggers(demo_db, user, MORNING)
    again = triggers.run_due_triggers(demo_db, user, MORNING + timedelta(hours=1))

    with demo_db.session(write=False) as session:
        rows = session.scalars(
            select(CampaignExecution).where(
                CampaignExecution.campaign_id == campaign_id, CampaignExecution.step == 2
            )
        ).all()
    made = {row.patient_id: row for row in rows}
    assert len(made) == len(rows) == 4  # one message a patient; no channel reaches b_nobody
    assert (fired, again) == (3, 0)
    assert {p: (r.channel, r.variant, r.status) for p, r in made.items()} == {
        a_whatsapp.id: ("whatsapp", "A", "queued"),
        b_sms.id: ("sms", "B", "queued"),
        a_email.id: ("email", "A", "queued"),
        held.id: ("whatsapp", ab_test.HOLDOUT, "skipped"),
    }
    assert made[a_whatsapp.id].payload["template_id"] == a[0]
    assert made[b_sms.id].payload["template_id"] == b[1]
    assert made[b_sms.id].payload["sms_dlt_template_id"] == SMS_B["sms_dlt_template_id"]
    assert made[a_email.id].payload["template_id"] == a[2]

    channels_live(demo_db, smtp, httpserver)
    httpserver.expect_oneshot_request("/GatewayAPI/rest", method="POST").respond_with_json(
        {"response": {"id": "3741587312345", "status": "success"}}
    )
    httpserver.expect_oneshot_request("/v21.0/1065/messages", method="POST").respond_with_json(
        {"messages": [{"id": "wamid.X1"}]}
    )

    sent = send_due(demo_db, user, MORNING + timedelta(minutes=1))

    assert (sent.sent, sent.failed) == (3, 0)
    received, form, whatsapp = one_of_each(smtp, httpserver)
    assert received["To"] == a_email.email
    assert received["Subject"] == f"{a_email.name.split()[0]}, we miss you"
    assert form["send_to"][0].endswith(b_sms.mobile.replace(" ", "")[-10:])
    assert form["msg"][0].startswith(f"Hello {b_sms.name.split()[0]}, a gift awaits")
    assert whatsapp["to"].endswith(a_whatsapp.mobile.replace(" ", "")[-10:])
    assert whatsapp["template"]["name"] == "winback_offer"
    results = campaigns.campaign_results(demo_db, user, campaign_id)
    assert [(c.variant, c.sent, c.cost) for c in results.by_channel] == [
        ("whatsapp", 1, 80),
        ("sms", 1, 25),
        ("email", 1, 0),
    ]


def test_a_patient_given_a_triggers_message_on_one_channel_is_not_given_it_on_another(demo_db):
    user, today = manager(demo_db), MORNING.date()
    whatsapp, sms = add(demo_db, WHATSAPP), add(demo_db, SMS)
    [someone, launched_to] = reachable_people(demo_db, 2)
    spec = {
        "name": "Birthday, WhatsApp then SMS",
        "variants": {"A": {"template": whatsapp, "fallbacks": [sms]}},
        "audience": {"patients": [str(launched_to.id)]},
    }
    campaign_id = campaigns.create_campaign(demo_db, user, campaigns.parse_spec(spec), now=MORNING)
    campaigns.launch_campaign(demo_db, user, campaign_id, today=today, now=MORNING)
    born_today_only(demo_db, [someone])
    triggers.add_trigger(
        demo_db,
        user,
        campaign_id,
        triggers.TriggerSpec("birthday", "send_template", template=sms),
        now=MORNING,
    )
    agree(demo_db, someone, "sms")
    assert triggers.run_due_triggers(demo_db, user, MORNING) == 1
    agree(demo_db, someone, "whatsapp")  # now the first channel reaches them too

    assert triggers.run_due_triggers(demo_db, user, MORNING + timedelta(hours=1)) == 0

    with demo_db.session(write=False) as session:
        channels = session.scalars(
            select(CampaignExecution.channel).where(
                CampaignExecution.campaign_id == campaign_id,
                CampaignExecution.patient_id == someone.id,
            )
        ).all()
    assert channels == ["sms"]
