"""WhatsApp through the WhatsApp Business Cloud API (issue #16): a template message
(`POST {base}/{version}/{phone-number-id}/messages`, `type: template`, with the approved
template's name, language and components), the access token as a Bearer token.

Only approved templates may start a conversation, so a campaign always sends one; the
message's `payload` carries `whatsapp_template_name`, `whatsapp_language` and
`whatsapp_components` (the components with their parameters filled in for this patient).
The answer's `messages[0].id` (a `wamid.`) is the provider id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.channels.base import OutgoingMessage, Rejected, Sent, post, timeouts
from services.channels.sms import national

GRAPH_URL = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"


@dataclass(frozen=True)
class WhatsAppSettings:
    """The Cloud API's address and this clinic's sending number; the token is in the keyring."""

    base_url: str = GRAPH_URL
    version: str = GRAPH_VERSION
    phone_number_id: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.phone_number_id)

    @property
    def messages_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/{self.version}/{self.phone_number_id}/messages"


def template_body(message: OutgoingMessage) -> dict[str, Any]:
    """The Cloud API's template message for one recipient."""
    payload = message.payload
    name = payload.get("whatsapp_template_name")
    if not name:
        raise Rejected("A WhatsApp campaign message needs its approved template's name.")
    template: dict[str, Any] = {
        "name": name,
        "language": {"code": payload.get("whatsapp_language") or "en"},
    }
    components = payload.get("whatsapp_components")
    if components:
        template["components"] = components
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": national(message.recipient),
        "type": "template",
        "template": template,
    }


class WhatsAppChannel:
    """The WhatsApp Business Cloud API."""

    name = "whatsapp"

    def __init__(
        self, settings: WhatsAppSettings, token: str | None, client: httpx.Client | None = None
    ) -> None:
        self.settings = settings
        self.token = token or ""
        self.client = client or httpx.Client(timeout=timeouts())

    def close(self) -> None:
        self.client.close()

    def send(self, message: OutgoingMessage) -> Sent:
        if not self.token:
            raise Rejected(
                "WhatsApp has no access token: enter it in Settings > Channels "
                "(or `frontdesk channel set whatsapp --secret`)."
            )
        response = post(
            self.client,
            self.settings.messages_url,
            "WhatsApp",
            json=template_body(message),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        try:
            provider_id = str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise Rejected(f"WhatsApp's answer could not be read: {response.text[:200]}") from exc
        return Sent(provider_id=provider_id)
