"""SMS through a provider's HTTP API (issue #16), in one adapter shape.

`GupshupChannel` speaks Gupshup Enterprise's GatewayAPI (`method=SendMessage`, form
fields, `format=json`), with TRAI's DLT fields on every message: the principal entity id
(`principalEntityId`), the registered template id (`dltTemplateId`) and the header, or
sender id (`mask`). Gupshup answers HTTP 200 with `"status": "error"` for a message it
refused; that is final, like an HTTP 4xx.

`JsonSmsChannel` posts one JSON object per message to any URL, for a provider of the
clinic's choice (or a gateway of its own): `{"to", "text", "sender", "dlt_template_id",
"principal_entity_id", "reference"}`, the key as a Bearer token; the answer's `id` (or
`message_id`) is kept.

Both take the message's `payload` as the campaign queued it: `sms_header`,
`sms_dlt_template_id`, `sms_principal_entity_id`; the settings' values fill in the ones a
template leaves out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.channels.base import OutgoingMessage, Rejected, Sent, post, timeouts

GUPSHUP_URL = "https://enterprise.smsgupshup.com/GatewayAPI/rest"
PROVIDERS = ("gupshup", "json")


@dataclass(frozen=True)
class SmsSettings:
    """The provider, its URL and account, and the branch's DLT registration; the password
    or API key is in the keyring."""

    provider: str = "gupshup"
    url: str = GUPSHUP_URL
    account: str = ""
    header: str = ""
    principal_entity_id: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.url and (self.account or self.provider == "json"))


@dataclass(frozen=True)
class DltFields:
    """TRAI's three: who sends (principal entity), the header, the registered template."""

    principal_entity_id: str
    header: str
    template_id: str


def dlt_fields(settings: SmsSettings, payload: dict[str, Any]) -> DltFields:
    """The DLT fields of one message; refused (final) when one is missing, as an operator
    would refuse it."""
    fields = DltFields(
        principal_entity_id=str(
            payload.get("sms_principal_entity_id") or settings.principal_entity_id
        ),
        header=str(payload.get("sms_header") or settings.header),
        template_id=str(payload.get("sms_dlt_template_id") or ""),
    )
    missing = [name for name, value in vars(fields).items() if not value]
    if missing:
        raise Rejected(
            "An SMS to an Indian number needs its DLT registration: "
            f"{', '.join(missing).replace('_', ' ')} missing."
        )
    return fields


def national(mobile: str) -> str:
    """+919845012345 -> 919845012345 (providers take digits only)."""
    return "".join(ch for ch in mobile if ch.isdigit())


def is_unicode(text: str) -> bool:
    """True when the text needs UCS-2 (anything beyond GSM-7's basic ASCII subset)."""
    return any(ord(ch) > 127 for ch in text)


class GupshupChannel:
    """Gupshup Enterprise SMS."""

    name = "sms"

    def __init__(
        self, settings: SmsSettings, password: str | None, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.password = password or ""
        self.client = client or httpx.Client(timeout=timeouts())

    def close(self) -> None:
        self.client.close()

    def send(self, message: OutgoingMessage) -> Sent:
        dlt = dlt_fields(self.settings, message.payload)
        form = {
            "method": "SendMessage",
            "userid": self.settings.account,
            "password": self.password,
            "auth_scheme": "plain",
            "v": "1.1",
            "format": "json",
            "send_to": national(message.recipient),
            "msg": message.text,
            "msg_type": "Unicode_text" if is_unicode(message.text) else "TEXT",
            "mask": dlt.header,
            "principalEntityId": dlt.principal_entity_id,
            "dltTemplateId": dlt.template_id,
        }
        response = post(self.client, self.settings.url, "Gupshup", data=form)
        try:
            answer = response.json()["response"]
        except (ValueError, KeyError, TypeError) as exc:
            raise Rejected(f"Gupshup's answer could not be read: {response.text[:200]}") from exc
        if str(answer.get("status", "")).lower() != "success":
            raise Rejected(
                f"Gupshup refused the message ({answer.get('id', '')}): {answer.get('details', '')}"
            )
        return Sent(provider_id=str(answer.get("id") or "") or None)


class JsonSmsChannel:
    """Any provider that takes one JSON object per message."""

    name = "sms"

    def __init__(
        self, settings: SmsSettings, api_key: str | None, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.api_key = api_key or ""
        self.client = client or httpx.Client(timeout=timeouts())

    def close(self) -> None:
        self.client.close()

    def send(self, message: OutgoingMessage) -> Sent:
        dlt = dlt_fields(self.settings, message.payload)
        body = {
            "to": message.recipient,
            "text": message.text,
            "sender": dlt.header,
            "dlt_template_id": dlt.template_id,
            "principal_entity_id": dlt.principal_entity_id,
            "reference": message.reference,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = post(
            self.client, self.settings.url, "The SMS provider", json=body, headers=headers
        )
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        provider_id = (
            answer.get("id") or answer.get("message_id") if isinstance(answer, dict) else None
        )
        cost = answer.get("cost_paise") if isinstance(answer, dict) else None
        return Sent(
            provider_id=None if provider_id is None else str(provider_id),
            cost_paise=cost if isinstance(cost, int) else None,
        )
