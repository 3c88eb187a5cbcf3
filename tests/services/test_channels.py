"""The channels against real servers (issue #16): e-mail received by aiosmtpd over
STARTTLS with a verified certificate; SMS (Gupshup Enterprise and the generic JSON) and
WhatsApp (the Cloud API's template message) received by pytest-httpserver in the
providers' formats, with the DLT fields; what each failure means to the sender (4xx and
SMTP 5xx final, 5xx and SMTP 4xx retried, no answer after sending uncertain)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import httpx
import pytest
from werkzeug import Request, Response

from services.channels.base import OutgoingMessage, Rejected, TryAgain, Uncertain
from services.channels.email import EmailChannel, EmailSettings
from services.channels.preview import PreviewChannel
from services.channels.sms import GupshupChannel, JsonSmsChannel, SmsSettings
from services.channels.whatsapp import WhatsAppChannel, WhatsAppSettings
from tests.services.messaging import SmtpServer

DLT = {
    "sms_header": "GLOWCL",
    "sms_dlt_template_id": "1107161234567890123",
    "sms_principal_entity_id": "1101456789012345678",
}
SMS_TEXT = "Dear Meera, your Glow Clinic visit is due. Book: 08041234567 -GLOWCL"


def mail(to: str = "meera@example.in", text: str = "Dear Meera, we miss you.") -> OutgoingMessage:
    return OutgoingMessage(to, text, subject="Your skin, a year on", reference="e1")


# ------------------------------------------------------------------------------ e-mail


def test_an_email_arrives_over_starttls_with_a_verified_certificate_and_a_login(tmp_path):
    with SmtpServer(tmp_path, tls=True, users={"clinic": "s3cret"}) as server:
        settings = EmailSettings(
            host="localhost",
            port=server.port,
            security="starttls",
            username="clinic",
            sender="hello@glowclinic.in",
            sender_name="Glow Clinic",
            ca_file=str(server.cert),
        )
        sent = EmailChannel(settings, "s3cret").send(mail())

    [received] = server.inbox.messages
    assert received["To"] == "meera@example.in"
    assert received["From"] == "Glow Clinic <hello@glowclinic.in>"
    assert received["Subject"] == "Your skin, a year on"
    assert received.get_content().strip() == "Dear Meera, we miss you."
    assert sent.provider_id == received["Message-ID"]


def test_a_certificate_nobody_vouches_for_is_refused_before_anything_is_sent(tmp_path):
    with SmtpServer(tmp_path, tls=True) as server:
        settings = EmailSettings(
            host="localhost", port=server.port, security="starttls", sender="hello@glow.in"
        )
        with pytest.raises(Rejected, match="certificate cannot be trusted"):
            EmailChannel(settings, None).send(mail())
    assert server.inbox.messages == []


def test_a_plain_relay_is_used_only_when_chosen_and_never_with_a_password(tmp_path):
    with SmtpServer(tmp_path) as server:
        relay = EmailSettings(
            host="127.0.0.1", port=server.port, security="plain", sender="hello@glow.in"
        )
        EmailChannel(relay, None).send(mail())
        with_login = EmailSettings(**{**vars(relay), "username": "clinic"})
        with pytest.raises(Rejected, match="never sent over a plain connection"):
            EmailChannel(with_login, "s3cret").send(mail("ravi@example.in"))
        # The default is STARTTLS, which this server does not offer.
        starttls = EmailSettings(host="127.0.0.1", port=server.port, sender="hello@glow.in")
        with pytest.raises(Rejected, match="STARTTLS"):
            EmailChannel(starttls, None).send(mail("kavya@example.in"))
    assert server.inbox.per_recipient() == {"meera@example.in": 1}


@pytest.mark.parametrize(
    ("reply", "failure"),
    [("550 5.1.1 No such mailbox", Rejected), ("451 4.3.0 Try again later", TryAgain)],
)
def test_a_mailbox_refused_for_good_is_final_and_one_refused_for_now_is_retried(
    tmp_path, reply, failure
):
    with SmtpServer(tmp_path) as server:
        server.inbox.rcpt_reply["gone@example.in"] = reply
        relay = EmailSettings(
            host="127.0.0.1", port=server.port, security="plain", sender="hello@glow.in"
        )
        with pytest.raises(failure, match=reply[:3]):
            EmailChannel(relay, None).send(mail("gone@example.in"))
    assert server.inbox.messages == []


def test_a_mail_server_that_is_not_there_is_tried_again_later():
    from tests.services.messaging import free_port

    settings = EmailSettings(
        host="127.0.0.1", port=free_port(), security="plain", sender="hello@glow.in"
    )
    with pytest.raises(TryAgain, match="could not be reached"):
        EmailChannel(settings, None).send(mail())


# ------------------------------------------------------------------------------ SMS


def gupshup(httpserver, password: str = "pw") -> GupshupChannel:
    settings = SmsSettings(
        provider="gupshup", url=httpserver.url_for("/GatewayAPI/rest"), account="2000123456"
    )
    return GupshupChannel(settings, password)


def test_an_sms_reaches_gupshup_in_its_format_with_the_dlt_fields(httpserver):
    httpserver.expect_oneshot_request("/GatewayAPI/rest", method="POST").respond_with_json(
        {"response": {"id": "3741587312345", "phone": "919845012345", "status": "success"}}
    )
    channel = gupshup(httpserver)
    sent = channel.send(OutgoingMessage("+919845012345", SMS_TEXT, payload=DLT))
    channel.close()

    [(request, _)] = httpserver.log
    form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
    assert form == {
        "method": "SendMessage",
        "userid": "2000123456",
        "password": "pw",
        "auth_scheme": "plain",
        "v": "1.1",
        "format": "json",
        "send_to": "919845012345",
        "msg": SMS_TEXT,
        "msg_type": "TEXT",
        "mask": "GLOWCL",
        "principalEntityId": "1101456789012345678",
        "dltTemplateId": "1107161234567890123",
    }
    assert sent.provider_id == "3741587312345"


def test_hindi_goes_as_unicode_text(httpserver):
    httpserver.expect_oneshot_request("/GatewayAPI/rest").respond_with_json(
        {"response": {"id": "1", "status": "success"}}
    )
    gupshup(httpserver).send(OutgoingMessage("+919845012345", "नमस्ते मीरा", payload=DLT))
    [(request, _)] = httpserver.log
    assert parse_qs(request.get_data(as_text=True))["msg_type"] == ["Unicode_text"]


def test_an_sms_without_its_dlt_registration_never_leaves(httpserver):
    payload = {k: v for k, v in DLT.items() if k != "sms_dlt_template_id"}
    with pytest.raises(Rejected, match="template id missing"):
        gupshup(httpserver).send(OutgoingMessage("+919845012345", SMS_TEXT, payload=payload))
    assert httpserver.log == []


def test_gupshup_refusing_in_a_200_answer_is_final(httpserver):
    httpserver.expect_oneshot_request("/GatewayAPI/rest").respond_with_json(
        {"response": {"id": "175", "status": "error", "details": "Template mismatch"}}
    )
    with pytest.raises(Rejected, match="Template mismatch"):
        gupshup(httpserver).send(OutgoingMessage("+919845012345", SMS_TEXT, payload=DLT))


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (400, Rejected),
        (401, Rejected),
        (404, Rejected),
        (429, TryAgain),
        (500, TryAgain),
        (503, TryAgain),
    ],
)
def test_a_4xx_is_final_and_a_5xx_is_tried_again(httpserver, status, failure):
    httpserver.expect_oneshot_request("/sms").respond_with_data("no", status=status)
    channel = JsonSmsChannel(SmsSettings(provider="json", url=httpserver.url_for("/sms")), "k")
    with pytest.raises(failure, match=str(status)):
        channel.send(OutgoingMessage("+919845012345", SMS_TEXT, payload=DLT, reference="e9"))
    assert len(httpserver.log) == 1


def test_the_generic_json_provider_gets_one_object_with_the_dlt_fields(httpserver):
    httpserver.expect_oneshot_request(
        "/sms", method="POST", headers={"Authorization": "Bearer key-1"}
    ).respond_with_json({"id": "m-77", "cost_paise": 18})
    channel = JsonSmsChannel(SmsSettings(provider="json", url=httpserver.url_for("/sms")), "key-1")
    sent = channel.send(OutgoingMessage("+919845012345", SMS_TEXT, payload=DLT, reference="e9"))

    [(request, _)] = httpserver.log
    assert request.get_json() == {
        "to": "+919845012345",
        "text": SMS_TEXT,
        "sender": "GLOWCL",
        "dlt_template_id": "1107161234567890123",
        "principal_entity_id": "1101456789012345678",
        "reference": "e9",
    }
    assert (sent.provider_id, sent.cost_paise) == ("m-77", 18)


def test_a_provider_that_takes_the_request_and_never_answers_is_uncertain(httpserver):
    arrived: list[str] = []

    def slow(request: Request) -> Response:
        arrived.append(request.get_json()["reference"])
        time.sleep(1.0)
        return Response("{}", status=200)

    httpserver.expect_oneshot_request("/sms").respond_with_handler(slow)
    client = httpx.Client(timeout=httpx.Timeout(0.3, connect=2.0))
    channel = JsonSmsChannel(
        SmsSettings(provider="json", url=httpserver.url_for("/sms")), "k", client
    )
    with pytest.raises(Uncertain, match="may have gone out"):
        channel.send(OutgoingMessage("+919845012345", SMS_TEXT, payload=DLT, reference="e3"))
    channel.close()
    assert arrived == ["e3"]
    # Let the slow answer finish, so the next test's server log starts empty.
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)


# ------------------------------------------------------------------------------ WhatsApp

COMPONENTS = [{"type": "body", "parameters": [{"type": "text", "text": "Meera"}]}]


def test_whatsapp_gets_the_cloud_api_template_message(httpserver):
    httpserver.expect_oneshot_request(
        "/v21.0/106540352242922/messages",
        method="POST",
        headers={"Authorization": "Bearer EAAG-token"},
    ).respond_with_json(
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": "919845012345", "wa_id": "919845012345"}],
            "messages": [{"id": "wamid.HBgMOTE5ODQ1MDEyMzQ1FQIAERgS"}],
        }
    )
    settings = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="106540352242922")
    payload = {
        "whatsapp_template_name": "winback_offer",
        "whatsapp_language": "en_US",
        "whatsapp_components": COMPONENTS,
    }
    sent = WhatsAppChannel(settings, "EAAG-token").send(
        OutgoingMessage("+919845012345", "Hi Meera", payload=payload)
    )

    [(request, _)] = httpserver.log
    assert json.loads(request.get_data()) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "919845012345",
        "type": "template",
        "template": {
            "name": "winback_offer",
            "language": {"code": "en_US"},
            "components": COMPONENTS,
        },
    }
    assert sent.provider_id == "wamid.HBgMOTE5ODQ1MDEyMzQ1FQIAERgS"


def test_whatsapp_refusing_a_template_is_final(httpserver):
    httpserver.expect_oneshot_request("/v21.0/1065/messages").respond_with_json(
        {"error": {"message": "Template name does not exist", "code": 132001}}, status=400
    )
    settings = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="1065")
    payload = {"whatsapp_template_name": "nope"}
    with pytest.raises(Rejected, match="Template name does not exist"):
        WhatsAppChannel(settings, "t").send(OutgoingMessage("+919845012345", "x", payload=payload))


# ------------------------------------------------------------------------------ preview


def test_the_preview_channel_writes_each_message_once_to_its_folder(tmp_path):
    channel = PreviewChannel(tmp_path / "sent", name="email")
    message = OutgoingMessage("meera@example.in", "Dear Meera", "Hello", reference="exec-1")
    first = channel.send(message)
    again = channel.send(OutgoingMessage("meera@example.in", "changed", reference="exec-1"))

    assert first == again
    text = (tmp_path / "sent" / "exec-1.txt").read_text(encoding="utf-8")
    assert text.splitlines() == [
        "To: meera@example.in",
        "Channel: email",
        "Subject: Hello",
        "",
        "Dear Meera",
    ]


def test_whatsapp_without_its_token_is_refused_before_anything_leaves(httpserver):
    settings = WhatsAppSettings(base_url=httpserver.url_for("/"), phone_number_id="1065")
    payload = {"whatsapp_template_name": "winback_offer"}
    with pytest.raises(Rejected, match="no access token"):
        WhatsAppChannel(settings, None).send(OutgoingMessage("+919845012345", "x", payload=payload))
    assert httpserver.log == []
