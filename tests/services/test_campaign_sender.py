"""Sending campaign messages (issue #16) against real servers: e-mail received by aiosmtpd
with the personalised text; SMS and WhatsApp received by pytest-httpserver in the
providers' formats with the DLT fields; 4xx final, 5xx retried; a message due at 21:30
held until 10:00; a patient who replied STOP receives nothing more; the frequency cap;
a text that does not match its DLT registration refused before it leaves; at most once
(an interrupted send becomes unknown, one sender at a time)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
from filelock import FileLock

from services import campaign_sender, consent
from services import channel_settings as cs
from services.campaign_sender import send_due
from services.channels.email import EmailSettings
from services.channels.sms import SmsSettings
from services.channels.whatsapp import WhatsAppSettings
from tests.services.campaign_rows import (
    a_campaign,
    a_template,
    consented,
    manager,
    queue,
    some_patients,
    status_of,
)
from tests.services.messaging import SmtpServer

IST = ZoneInfo("Asia/Kolkata")
MORNING = datetime(2026, 11, 24, 11, 0, tzinfo=IST)
SMS_TEXT = "Dear Meera, your Glow Clinic visit is due. Book: 08041234567 -GLOWCL"
GUPSHUP_OK = {"response": {"id": "3741587312345", "status": "success"}}


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db.path) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(autouse=True)
def _keyring(memory_keyring):
    """Providers' secrets go to an in-memory keyring, never the computer's."""
    return memory_keyring


@pytest.fixture
def smtp(tmp_path):
    with SmtpServer(tmp_path) as server:
        yield server


def email_live(db, smtp) -> None:
    relay = EmailSettings(
        host="127.0.0.1", port=smtp.port, security="plain", sender="hello@glow.in"
    )
    cs.save_channel(db, manager(db), "email", relay, mode="live", now=MORNING)


def sms_live(db, httpserver) -> None:
    settings = SmsSettings(url=httpserver.url_for("/GatewayAPI/rest"), account="2000123456")
    cs.save_channel(db, manager(db), "sms", settings, mode="live", now=MORNING)


def one(
    db,
    channel: str,
    recipient: str,
    text: str,
    *,
    purpose: str = "promotional",
    patient=None,
    give=True,
    at=MORNING,
):
    template = a_template(db, channel, purpose=purpose, at=at)
    campaign = a_campaign(db, template, channel, at=at)
    patient = patient or some_patients(db, 1)[0]
    if give:
        consented(db, patient.id, channel, at=at - timedelta(days=30))
    return queue(db, campaign, patient.id, channel, recipient, text, at=at, template_id=template)


def test_an_email_arrives_with_its_personalised_text_and_is_recorded_sent(demo_db, smtp):
    email_live(demo_db, smtp)
    execution = one(demo_db, "email", "meera@example.in", "Dear Meera, we miss you at Glow.")
    audits = rows(demo_db, "SELECT count(*) FROM audit_log")[0][0]

    result = send_due(demo_db, manager(demo_db), MORNING)

    assert (result.sent, result.failed, result.skipped) == (1, 0, 0)
    [received] = smtp.inbox.messages
    assert received["To"] == "meera@example.in"
    assert received["Subject"] == "We miss you"
    assert received.get_content().strip() == "Dear Meera, we miss you at Glow."
    row = status_of(demo_db, execution)
    assert (row.status, row.attempts, row.cost_paise) == ("sent", 1, 25)
    assert row.provider_id == received["Message-ID"]
    assert row.sent_at == MORNING
    assert rows(demo_db, "SELECT action FROM audit_log ORDER BY seq")[audits:] == [
        ("campaign.message_sent",)
    ]
    assert rows(demo_db, "SELECT doc_type FROM sync_outbox ORDER BY id DESC LIMIT 1") == [
        ("campaign_execution",)
    ]
    # Sent once: a second round finds nothing to do.
    again = send_due(demo_db, manager(demo_db), MORNING + timedelta(hours=1))
    assert again.sent == 0 and len(smtp.inbox.messages) == 1


def test_an_sms_reaches_gupshup_with_the_dlt_fields(demo_db, httpserver):
    sms_live(demo_db, httpserver)
    httpserver.expect_oneshot_request("/GatewayAPI/rest", method="POST").respond_with_json(
        GUPSHUP_OK
    )
    execution = one(demo_db, "sms", "+919845012345", SMS_TEXT)

    assert send_due(demo_db, manager(demo_db), MORNING).sent == 1

    [(request, _)] = httpserver.log
    form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
    assert (form["send_to"], form["msg"]) == ("919845012345", SMS_TEXT)
    assert (form["mask"], form["dltTemplateId"], form["principalEntityId"]) == (
        "GLOWCL",
        "1107161234567890123",
        "1101456789012345678",
    )
    assert status_of(demo_db, execution).provider_id == "3741587312345"


def test_whatsapp_gets_the_template_message(demo_db, httpserver):
    settings = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="1065")
    cs.save_channel(
        demo_db,
        manager(demo_db),
        "whatsapp",
        settings,
        mode="live",
        secret_value="EAAG",
        now=MORNING,
    )
    httpserver.expect_oneshot_request(
        "/v21.0/1065/messages", method="POST", headers={"Authorization": "Bearer EAAG"}
    ).respond_with_json({"messages": [{"id": "wamid.X1"}]})
    components = [{"type": "body", "parameters": [{"type": "text", "text": "Meera"}]}]
    payload = {
        "whatsapp_template_name": "winback_offer",
        "whatsapp_language": "en",
        "whatsapp_components": components,
    }
    template = a_template(demo_db, "whatsapp", at=MORNING)
    campaign = a_campaign(demo_db, template, "whatsapp", at=MORNING)
    patient = some_patients(demo_db, 1)[0]
    consented(demo_db, patient.id, "whatsapp", at=MORNING - timedelta(days=1))
    execution = queue(
        demo_db,
        campaign,
        patient.id,
        "whatsapp",
        "+919845012345",
        "Hi Meera",
        at=MORNING,
        template_id=template,
        payload=payload,
    )

    assert send_due(demo_db, manager(demo_db), MORNING).sent == 1
    [(request, _)] = httpserver.log
    body = request.get_json()
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "winback_offer",
        "language": {"code": "en"},
        "components": components,
    }
    assert status_of(demo_db, execution).provider_id == "wamid.X1"


def test_a_5xx_is_tried_again_later_and_a_4xx_is_final(demo_db, httpserver):
    sms_live(demo_db, httpserver)
    patients = some_patients(demo_db, 2)
    busy = one(demo_db, "sms", "+919845012345", SMS_TEXT, patient=patients[0])
    httpserver.expect_ordered_request("/GatewayAPI/rest").respond_with_data("busy", status=503)

    first = send_due(demo_db, manager(demo_db), MORNING)
    assert first.retrying == 1
    row = status_of(demo_db, busy)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at == MORNING + timedelta(minutes=1)
    assert "503" in row.error
    # Not before its time...
    assert send_due(demo_db, manager(demo_db), MORNING + timedelta(seconds=30)).retrying == 0
    assert len(httpserver.log) == 1
    # ...then again, and through.
    httpserver.expect_ordered_request("/GatewayAPI/rest").respond_with_json(GUPSHUP_OK)
    assert send_due(demo_db, manager(demo_db), MORNING + timedelta(minutes=2)).sent == 1
    assert status_of(demo_db, busy).status == "sent"
    assert status_of(demo_db, busy).attempts == 2

    refused = one(demo_db, "sms", "+919845054321", SMS_TEXT, patient=patients[1])
    httpserver.expect_ordered_request("/GatewayAPI/rest").respond_with_data("bad", status=400)
    assert send_due(demo_db, manager(demo_db), MORNING + timedelta(minutes=3)).failed == 1
    row = status_of(demo_db, refused)
    assert row.status == "failed" and "400" in row.error
    send_due(demo_db, manager(demo_db), MORNING + timedelta(hours=3))
    assert len(httpserver.log) == 3  # never tried again


def test_a_promotional_sms_due_at_half_past_nine_at_night_is_held_until_ten(demo_db, httpserver):
    sms_live(demo_db, httpserver)
    late = datetime(2026, 11, 24, 21, 30, tzinfo=IST)
    execution = one(demo_db, "sms", "+919845012345", SMS_TEXT, at=late)

    assert send_due(demo_db, manager(demo_db), late).held == 1
    row = status_of(demo_db, execution)
    assert row.status == "held"
    assert row.next_attempt_at == datetime(2026, 11, 25, 10, 0, tzinfo=IST)
    assert send_due(demo_db, manager(demo_db), datetime(2026, 11, 25, 9, 59, tzinfo=IST)).sent == 0
    assert httpserver.log == []

    httpserver.expect_oneshot_request("/GatewayAPI/rest").respond_with_json(GUPSHUP_OK)
    ten = datetime(2026, 11, 25, 10, 0, tzinfo=IST)
    assert send_due(demo_db, manager(demo_db), ten).sent == 1
    assert status_of(demo_db, execution).sent_at == ten


def test_a_patient_who_replied_stop_receives_nothing_more(demo_db, httpserver, tmp_path):
    sms_live(demo_db, httpserver)
    patient = some_patients(demo_db, 1)[0]
    consented(demo_db, patient.id, "sms", at=MORNING - timedelta(days=30))
    export = tmp_path / "replies.csv"
    export.write_text(
        "received_at,channel,sender,body,provider_id\n"
        f"2026-11-24T09:15+05:30,sms,+91{patient.mobile},STOP,r-1\n",
        encoding="utf-8",
    )
    imported = consent.import_replies(demo_db, manager(demo_db), export, now=MORNING)
    assert imported.opt_outs == 1
    execution = one(demo_db, "sms", f"+91{patient.mobile}", SMS_TEXT, patient=patient, give=False)

    result = send_due(demo_db, manager(demo_db), MORNING)

    assert result.skipped == 1 and httpserver.log == []
    row = status_of(demo_db, execution)
    assert row.status == "skipped"
    assert row.error == "do not contact by sms (unsubscribed)"
    [sms] = [s for s in consent.consent_state(demo_db, patient.id) if s.channel == "sms"]
    assert sms.promotional is not None and sms.promotional.action == "withdrawn"
    assert sms.promotional.at == datetime(2026, 11, 24, 9, 15, tzinfo=IST)
    # The same file again changes nothing.
    again = consent.import_replies(demo_db, manager(demo_db), export, now=MORNING)
    assert (again.already_imported, again.opt_outs) == (1, 0)


def test_the_frequency_cap_holds_over_campaigns_and_spares_service_messages(demo_db, smtp):
    email_live(demo_db, smtp)
    patient = some_patients(demo_db, 1)[0]
    offers = [
        one(demo_db, "email", "meera@example.in", f"Offer {n}", patient=patient, give=n == 0)
        for n in range(3)
    ]
    reminder = one(
        demo_db,
        "email",
        "meera@example.in",
        "Your appointment is tomorrow",
        purpose="service",
        patient=patient,
        give=False,
    )

    result = send_due(demo_db, manager(demo_db), MORNING)

    assert (result.sent, result.skipped) == (3, 1)
    statuses = [status_of(demo_db, e).status for e in offers]
    assert statuses.count("sent") == 2 and statuses.count("skipped") == 1
    [capped] = [status_of(demo_db, e) for e in offers if status_of(demo_db, e).status == "skipped"]
    assert capped.error == "over the frequency cap (2 in 7 days)"
    assert status_of(demo_db, reminder).status == "sent"
    assert len(smtp.inbox.messages) == 3
    # A week on, the next offer goes.
    later = one(
        demo_db,
        "email",
        "meera@example.in",
        "Offer 4",
        patient=patient,
        give=False,
        at=MORNING + timedelta(days=7, minutes=1),
    )
    assert send_due(demo_db, manager(demo_db), MORNING + timedelta(days=7, minutes=1)).sent == 1
    assert status_of(demo_db, later).status == "sent"


def test_the_cap_counts_what_left_or_may_have_left_never_a_failed_send(demo_db, smtp):
    # Counted: sent (no delivery receipt is ever awaited) and unknown (it may have reached
    # them); not counted: failed (it never left). The audience's count agrees with the gate.
    from services.campaigns import audiences

    email_live(demo_db, smtp)
    failed_twice, unknown_twice = some_patients(demo_db, 2)
    for patient, status in ((failed_twice, "failed"), (unknown_twice, "unknown")):
        for n in range(2):
            earlier = one(demo_db, "email", "a@example.in", f"Offer {n}", patient=patient,
                          at=MORNING - timedelta(days=2))  # fmt: skip
            with sqlite3.connect(demo_db.path) as con:
                con.execute(
                    "UPDATE campaign_executions SET status = ?, updated_at = ? WHERE id = ?",
                    (status, (MORNING - timedelta(days=2)).isoformat(), earlier.hex),
                )
    with sqlite3.connect(demo_db.path) as con:  # both have an address to be counted on
        con.execute(
            "UPDATE patients SET email = 'x@example.in' WHERE id IN (?, ?)",
            (failed_twice.id.hex, unknown_twice.id.hex),
        )
    spec = audiences.parse_audience({"patients": [str(failed_twice.id), str(unknown_twice.id)]})
    count = audiences.count_audience(
        demo_db, manager(demo_db), spec, "email", today=MORNING.date(), now=MORNING
    )
    offers = {
        patient.id: one(demo_db, "email", f"{n}@example.in", "Offer 3", patient=patient)
        for n, patient in enumerate((failed_twice, unknown_twice))
    }

    result = send_due(demo_db, manager(demo_db), MORNING)

    assert (result.sent, result.skipped) == (1, 1)
    assert status_of(demo_db, offers[failed_twice.id]).status == "sent"
    assert status_of(demo_db, offers[unknown_twice.id]).error.startswith("over the frequency cap")
    assert (count.reachable, count.left_out["over the frequency cap"]) == (1, 1), count


def test_a_text_that_does_not_match_its_dlt_registration_never_leaves(demo_db, httpserver):
    sms_live(demo_db, httpserver)
    execution = one(demo_db, "sms", "+919845012345", SMS_TEXT + " Reply YES to book")

    assert send_due(demo_db, manager(demo_db), MORNING).failed == 1
    row = status_of(demo_db, execution)
    assert (row.status, row.error) == ("failed", "the text does not match its DLT registration")
    assert row.attempts == 0
    assert httpserver.log == []


def test_no_consent_do_not_contact_and_hold_outs_send_nothing(demo_db, smtp):
    email_live(demo_db, smtp)
    patients = some_patients(demo_db, 3)
    never_asked = one(demo_db, "email", "a@example.in", "Offer", patient=patients[0], give=False)
    blocked = one(demo_db, "email", "b@example.in", "Offer", patient=patients[1])
    consent.set_do_not_contact(
        demo_db,
        manager(demo_db),
        patients[1].id,
        "email",
        blocked=True,
        reason="bounced",
        now=MORNING,
    )
    template = a_template(demo_db, "email", at=MORNING)
    campaign = a_campaign(demo_db, template, "email", at=MORNING)
    consented(demo_db, patients[2].id, "email", at=MORNING)
    holdout = queue(
        demo_db,
        campaign,
        patients[2].id,
        "email",
        "c@example.in",
        "Offer",
        at=MORNING,
        variant="holdout",
        template_id=template,
    )

    result = send_due(demo_db, manager(demo_db), MORNING)

    assert (result.sent, result.skipped) == (0, 2)
    assert status_of(demo_db, never_asked).error == "no consent for promotional email"
    assert status_of(demo_db, blocked).error == "do not contact by email (bounced)"
    assert status_of(demo_db, holdout).status == "queued"
    assert smtp.inbox.messages == []


def test_a_channel_that_is_off_leaves_its_messages_queued(demo_db):
    cs.save_channel(demo_db, manager(demo_db), "email", None, mode="off", now=MORNING)
    execution = one(demo_db, "email", "meera@example.in", "Offer")
    result = send_due(demo_db, manager(demo_db), MORNING)
    assert result.waiting == {"email": 1}
    assert "Waiting for a channel to be switched on: 1 by email." in result.sentence()
    row = status_of(demo_db, execution)
    assert (row.status, row.attempts) == ("queued", 0)


def test_the_preview_channel_writes_the_message_to_its_folder(demo_db, tmp_path):
    cs.save_channel(
        demo_db, manager(demo_db), "preview", cs.PreviewSettings(str(tmp_path)), now=MORNING
    )
    cs.save_channel(demo_db, manager(demo_db), "email", None, mode="preview", now=MORNING)
    execution = one(demo_db, "email", "meera@example.in", "Dear Meera, 20% off peels.")
    assert send_due(demo_db, manager(demo_db), MORNING).sent == 1
    written = (tmp_path / f"{execution}.txt").read_text(encoding="utf-8")
    assert "To: meera@example.in" in written and "Dear Meera, 20% off peels." in written


def test_a_message_left_sending_becomes_unknown_and_is_never_sent_again(demo_db, smtp):
    email_live(demo_db, smtp)
    execution = one(demo_db, "email", "meera@example.in", "Offer")
    with sqlite3.connect(demo_db.path) as connection:
        connection.execute(
            "UPDATE campaign_executions SET status = 'sending', attempts = 1 WHERE id = ?",
            (execution.hex,),
        )
    result = send_due(demo_db, manager(demo_db), MORNING)
    assert (result.interrupted, result.sent) == (1, 0)
    row = status_of(demo_db, execution)
    assert row.status == "unknown" and "may have gone" in row.error
    assert "1 unknown (may have gone; not repeated)" in result.sentence()
    send_due(demo_db, manager(demo_db), MORNING + timedelta(hours=1))
    assert smtp.inbox.messages == []


def test_a_second_sender_does_nothing_while_one_is_running(demo_db, smtp):
    email_live(demo_db, smtp)
    one(demo_db, "email", "meera@example.in", "Offer")
    with FileLock(campaign_sender._lock_path(demo_db)):
        result = send_due(demo_db, manager(demo_db), MORNING)
    assert result.busy and result.sent == 0
    assert result.sentence() == "Another sender is running on this database; nothing was sent."
    assert smtp.inbox.messages == []


def test_a_send_whose_record_fails_stays_sending_and_becomes_unknown_not_twice(demo_db, smtp):
    """The audit of the answer fails after the message went: the row keeps `sending`, so
    the next round marks it unknown instead of sending it again."""
    email_live(demo_db, smtp)
    execution = one(demo_db, "email", "meera@example.in", "Offer")
    with sqlite3.connect(demo_db.path) as connection:
        connection.execute(
            "CREATE TRIGGER audit_fails BEFORE INSERT ON audit_log "
            "WHEN NEW.action = 'campaign.message_sent' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    with pytest.raises(Exception, match="disk trouble"):
        send_due(demo_db, manager(demo_db), MORNING)
    assert status_of(demo_db, execution).status == "sending"
    assert len(smtp.inbox.messages) == 1
    with sqlite3.connect(demo_db.path) as connection:
        connection.execute("DROP TRIGGER audit_fails")
    assert send_due(demo_db, manager(demo_db), MORNING).interrupted == 1
    assert status_of(demo_db, execution).status == "unknown"
    assert len(smtp.inbox.messages) == 1
