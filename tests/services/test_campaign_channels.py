"""A campaign on several channels in order (issue #16): each recipient gets one message, on
the first channel they agreed to and can be reached on (WhatsApp, else SMS, else e-mail),
counted while the audience is built, queued once at launch, and received by the real
servers: the WhatsApp Cloud API and the SMS provider played by pytest-httpserver, e-mail by
aiosmtpd."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.models import CampaignExecution, Patient
from domain.errors import BadInput, Refused
from services import channel_settings as cs
from services import consent, invoicing
from services.campaign_sender import send_due
from services.campaigns import campaigns, templates
from services.channels.email import EmailSettings
from services.channels.sms import SmsSettings
from services.channels.whatsapp import WhatsAppSettings
from tests.services.campaign_rows import manager
from tests.services.invoice_helpers import cart
from tests.services.test_campaign_sender import _keyring, smtp

__all__ = ["_keyring", "smtp"]  # the sending tests' fixtures: an in-memory keyring, aiosmtpd

IST = ZoneInfo("Asia/Kolkata")
MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=IST)
WHATSAPP = {
    "name": "Win-back (WhatsApp)",
    "category": "win-back",
    "channel": "whatsapp",
    "body": "Hi {{ first_name }}, {{ clinic_name }} misses you.",
    "whatsapp_template_name": "winback_offer",
    "whatsapp_language": "en",
}
SMS = {
    "name": "Win-back (SMS)",
    "category": "win-back",
    "channel": "sms",
    "body": "Dear {{ first_name }}, {{ clinic_name }} misses you. Book now: {{ clinic_phone }} "
    "-GLOWCL",
    "sms_dlt_template_id": "1107161234567890123",
    "sms_header": "GLOWCL",
    "sms_principal_entity_id": "1101456789012345678",
    "sms_registered_text": "Dear {#var#}, {#var#} misses you. Book now: {#var#} -GLOWCL",
}
EMAIL = {
    "name": "Win-back (e-mail)",
    "category": "win-back",
    "channel": "email",
    "subject": "{{ first_name }}, we miss you",
    "body": "Dear {{ first_name }}, {{ clinic_name }} misses you.",
}


def four_patients(db) -> list[Patient]:
    """Patients with a mobile and an e-mail address whose form gave no consent."""
    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(Patient)
                .where(Patient.is_walk_in.is_(False), Patient.mobile != "")
                .where(Patient.email.is_not(None), Patient.email != "")
                .where(Patient.consent_sms.is_(False), Patient.consent_email.is_(False))
                .where(Patient.consent_whatsapp.is_(False))
                .order_by(Patient.id)
                .limit(4)
            )
        )


def agree(db, patient: Patient, *channels: str) -> None:
    for channel in channels:
        consent.record_consent(
            db, manager(db), patient.id, channel, granted=True, now=MORNING - timedelta(days=3)
        )


def add(db, spec) -> str:
    return str(templates.add_template(db, manager(db), templates.parse_spec(spec), now=MORNING))


def fallback_campaign(db, people, **changes) -> uuid.UUID:
    whatsapp, sms, email = add(db, WHATSAPP), add(db, SMS), add(db, EMAIL)
    spec = {
        "name": "Win-back on every channel",
        "variants": {"A": {"template": whatsapp, "fallbacks": [sms, email]}},
        "minimum_per_arm": 1,
        "audience": {"patients": [str(p.id) for p in people]},
        "cost_per_message": {"whatsapp": "0.80", "sms": "0.25", "email": "0.10"},
    } | changes
    return campaigns.create_campaign(db, manager(db), campaigns.parse_spec(spec), now=MORNING)


def channels_live(db, smtp, httpserver) -> None:
    user = manager(db)
    relay = EmailSettings(host="127.0.0.1", port=smtp.port, security="plain", sender="hi@glow.in")
    cs.save_channel(db, user, "email", relay, mode="live", now=MORNING)
    sms = SmsSettings(url=httpserver.url_for("/GatewayAPI/rest"), account="2000123456")
    cs.save_channel(db, user, "sms", sms, mode="live", now=MORNING)
    whatsapp = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="1065")
    cs.save_channel(db, user, "whatsapp", whatsapp, mode="live", secret_value="EAAG", now=MORNING)


def one_of_each(smtp, httpserver) -> tuple[Any, dict[str, list[str]], dict[str, Any]]:
    """The one e-mail the SMTP server received, the one SMS's form and the one WhatsApp
    message's JSON the HTTP server did."""
    [received] = smtp.inbox.messages
    by_path = {request.path: request for request, _response in httpserver.log}
    assert set(by_path) == {"/GatewayAPI/rest", "/v21.0/1065/messages"}
    form = parse_qs(by_path["/GatewayAPI/rest"].get_data(as_text=True))
    return received, form, by_path["/v21.0/1065/messages"].get_json()


def executions(db, campaign_id) -> dict[uuid.UUID, CampaignExecution]:
    with db.session(write=False) as session:
        rows = session.scalars(
            select(CampaignExecution).where(CampaignExecution.campaign_id == campaign_id)
        ).all()
    found = {row.patient_id: row for row in rows}
    assert len(found) == len(rows)  # one message a recipient
    return found


def test_each_recipient_gets_the_first_channel_they_agreed_to_and_it_arrives(
    demo_db, smtp, httpserver
):
    everyone, sms_first, email_only, nobody = four_patients(demo_db)
    agree(demo_db, everyone, "whatsapp", "sms", "email")
    agree(demo_db, sms_first, "sms", "email")
    agree(demo_db, email_only, "email")
    consent.set_do_not_contact(
        demo_db, manager(demo_db), nobody.id, "email", blocked=True, now=MORNING - timedelta(days=1)
    )
    agree(demo_db, nobody, "email")  # but blocked: left out for WhatsApp's reason
    campaign_id = fallback_campaign(demo_db, [everyone, sms_first, email_only, nobody])
    user, today = manager(demo_db), MORNING.date()

    count = campaigns.audience_of(demo_db, user, campaign_id, today=today, now=MORNING)
    launched = campaigns.launch_campaign(demo_db, user, campaign_id, today=today, now=MORNING)
    again = campaigns.launch_campaign(demo_db, user, campaign_id, today=today, now=MORNING)

    assert count.by_channel == {"whatsapp": 1, "sms": 1, "email": 1}
    assert (count.matching, count.reachable, count.left_out["no consent"]) == (4, 3, 1)
    assert launched.queued == 3 and launched.cost == 80 + 25 + 10
    assert again.queued == 0 and again.already == 3
    made = executions(demo_db, campaign_id)
    assert {p: (row.channel, row.step) for p, row in made.items()} == {
        everyone.id: ("whatsapp", 1),
        sms_first.id: ("sms", 1),
        email_only.id: ("email", 1),
    }
    assert made[everyone.id].payload["whatsapp_template_name"] == "winback_offer"
    assert made[sms_first.id].payload["sms_dlt_template_id"] == SMS["sms_dlt_template_id"]
    assert made[email_only.id].recipient == email_only.email

    channels_live(demo_db, smtp, httpserver)
    httpserver.expect_oneshot_request("/GatewayAPI/rest", method="POST").respond_with_json(
        {"response": {"id": "3741587312345", "status": "success"}}
    )
    httpserver.expect_oneshot_request(
        "/v21.0/1065/messages", method="POST", headers={"Authorization": "Bearer EAAG"}
    ).respond_with_json({"messages": [{"id": "wamid.X1"}]})

    sent = send_due(demo_db, user, MORNING + timedelta(minutes=1))

    assert (sent.sent, sent.failed) == (3, 0)
    received, form, whatsapp = one_of_each(smtp, httpserver)
    assert received["To"] == email_only.email
    assert received["Subject"] == f"{email_only.name.split()[0]}, we miss you"
    assert form["send_to"][0].endswith(sms_first.mobile.replace(" ", "")[-10:])
    assert form["msg"][0].startswith(f"Dear {sms_first.name.split()[0]},")
    assert whatsapp["to"].endswith(everyone.mobile.replace(" ", "")[-10:])
    assert whatsapp["template"]["name"] == "winback_offer"
    bought = invoicing.save_invoice(
        demo_db,
        user,
        cart(demo_db, "CONSULT", patient=sms_first.id),
        now=MORNING + timedelta(days=1),
    )
    results = campaigns.campaign_results(demo_db, user, campaign_id)
    assert results.channel == "whatsapp+sms+email" and results.total.sent == 3
    assert results.total.cost == 115
    assert [(c.variant, c.recipients, c.sent, c.cost) for c in results.by_channel] == [
        ("whatsapp", 1, 1, 80),
        ("sms", 1, 1, 25),
        ("email", 1, 1, 10),
    ]
    assert [(c.conversions, c.revenue) for c in results.by_channel] == [
        (0, 0),
        (1, bought.total_amount),  # the SMS brought them back
        (0, 0),
    ]


def test_a_fallback_is_one_template_a_channel_and_the_same_channels_for_every_variant(demo_db):
    people = four_patients(demo_db)[:1]
    whatsapp, sms, email = add(demo_db, WHATSAPP), add(demo_db, SMS), add(demo_db, EMAIL)

    def create(variants, **changes):
        spec = {"name": "x", "variants": variants, "audience": {"patients": [str(people[0].id)]}}
        return campaigns.create_campaign(
            demo_db, manager(demo_db), campaigns.parse_spec(spec | changes), now=MORNING
        )

    with pytest.raises(BadInput, match="one template a channel"):
        create({"A": {"template": sms, "fallbacks": [email, sms]}})
    with pytest.raises(BadInput, match="same channels, in the same order"):
        create(
            {
                "A": {"template": whatsapp, "fallbacks": [sms]},
                "B": {"template": sms, "fallbacks": [whatsapp]},
            }
        )
    with pytest.raises(BadInput, match="does not send on email"):
        create({"A": {"template": whatsapp, "fallbacks": [sms]}}, cost_per_message={"email": "1"})


def test_a_budget_counts_each_recipients_own_channel(demo_db):
    everyone, sms_first, email_only, _nobody = four_patients(demo_db)
    agree(demo_db, everyone, "whatsapp")
    agree(demo_db, sms_first, "sms")
    agree(demo_db, email_only, "email")
    # Rs.1.00 pays for the e-mail (0.10) and the SMS (0.25), not the WhatsApp (0.80) too.
    campaign_id = fallback_campaign(demo_db, [everyone, sms_first, email_only], budget="1.00")

    with pytest.raises(Refused, match="costing Rs.1.15 in all .* it pays for 2"):
        campaigns.launch_campaign(
            demo_db, manager(demo_db), campaign_id, today=MORNING.date(), now=MORNING
        )
    assert executions(demo_db, campaign_id) == {}


def test_whatsapp_body_parameters_are_filled_in_for_each_recipient(demo_db, httpserver):
    people = four_patients(demo_db)[:2]
    for patient in people:
        agree(demo_db, patient, "whatsapp")
    offer = WHATSAPP | {
        "whatsapp_body_parameters": ["{{ first_name }}", "{{ promo_code }}", "{{ last_visit }}"]
    }
    template = add(demo_db, offer)
    spec = {
        "name": "Offer on WhatsApp",
        "variants": {"A": {"template": template}},
        "audience": {"patients": [str(p.id) for p in people]},
        "promotion_code": "GLOW20",
    }
    user = manager(demo_db)
    campaign_id = campaigns.create_campaign(demo_db, user, campaigns.parse_spec(spec), now=MORNING)
    campaigns.launch_campaign(demo_db, user, campaign_id, today=MORNING.date(), now=MORNING)
    whatsapp = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="1065")
    cs.save_channel(
        demo_db, user, "whatsapp", whatsapp, mode="live", secret_value="EAAG", now=MORNING
    )
    for number in (1, 2):
        httpserver.expect_oneshot_request("/v21.0/1065/messages", method="POST").respond_with_json(
            {"messages": [{"id": f"wamid.{number}"}]}
        )
    with demo_db.session(write=False) as session:
        last_visits = templates.TagValues(session, [p.id for p in people], MORNING.date())
        expected = {
            p.mobile.replace(" ", "")[-10:]: [
                p.name.split()[0],
                "GLOW20",
                last_visits.of(p)["last_visit"] or "-",  # the API refuses an empty parameter
            ]
            for p in people
        }

    assert send_due(demo_db, user, MORNING + timedelta(minutes=1)).sent == 2

    received = {}
    for request, _response in httpserver.log:
        body = request.get_json()
        [component] = body["template"]["components"]
        assert component["type"] == "body"
        assert all(p["type"] == "text" for p in component["parameters"])
        received[body["to"][-10:]] = [p["text"] for p in component["parameters"]]
    assert received == expected
    assert {body["template"]["name"] for body in (r.get_json() for r, _ in httpserver.log)} == {
        "winback_offer"
    }


def test_whatsapp_body_parameters_are_checked_when_the_template_is_saved(demo_db):
    with pytest.raises(BadInput, match="unknown|undefined|first_nme"):
        add(demo_db, WHATSAPP | {"whatsapp_body_parameters": ["{{ first_nme }}"]})
    with pytest.raises(BadInput, match="only a WhatsApp template"):
        add(demo_db, EMAIL | {"whatsapp_body_parameters": ["{{ first_name }}"]})
    with pytest.raises(BadInput, match=r"\{\{2\}\} is 1 to 200"):
        add(demo_db, WHATSAPP | {"whatsapp_body_parameters": ["{{ first_name }}", " "]})
    kept = add(demo_db, WHATSAPP | {"whatsapp_body_parameters": ["{{ first_name }}"]})
    changed = WHATSAPP | {"body": "Hello {{ first_name }}."}  # parameters not named: kept
    templates.update_template(
        demo_db, manager(demo_db), uuid.UUID(kept), templates.parse_spec(changed), now=MORNING
    )

    shown = templates.preview(demo_db, manager(demo_db), uuid.UUID(kept), today=MORNING.date())

    assert shown.whatsapp_parameters == (templates.SAMPLE["first_name"],)


def test_the_library_lists_a_templates_body_parameters_as_typed(demo_db):
    kept = add(demo_db, WHATSAPP | {"whatsapp_body_parameters": ["{{ first_name }}", "Rs. 500"]})

    rows = {str(r.id): r for r in templates.list_templates(demo_db, manager(demo_db))}

    assert rows[kept].whatsapp_body_parameters == ("{{ first_name }}", "Rs. 500")
    assert all(r.whatsapp_body_parameters == () for r in rows.values() if r.channel != "whatsapp")
