"""The one shape every channel has (issue #16): `send(message) -> Sent`, or one of three
failures that tell the sender what to do next.

1. `Sent`: the provider took the message; its id and, when it says, the cost.
2. `TryAgain`: nothing left this computer, or the provider refused for now (HTTP 5xx, 429,
   an SMTP 4xx reply, a connection that could not be made): the sender retries later,
   with a growing delay.
3. `Rejected`: the provider refused this message for good (HTTP 4xx, an SMTP 5xx reply, a
   DLT mismatch): never retried.
4. `Uncertain`: the request left, and no answer came back (a read timeout, a connection cut
   after the message was written). The provider may have sent it; repeating it could send
   it twice, so the sender marks it unknown and shows it instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

# How long a provider has to answer, in seconds: the connection, then the reply.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient, as rendered when it was queued.

    `recipient` is an e-mail address or an E.164 mobile (+919845012345); `payload` carries
    what the channel needs beyond the text (DLT ids and header for SMS; the WhatsApp
    template's name, language and components); `reference` is the execution's id, which
    the preview channel names its files by and providers that take one echo back."""

    recipient: str
    text: str
    subject: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    reference: str = ""


@dataclass(frozen=True)
class Sent:
    """The provider took the message (rule 1)."""

    provider_id: str | None
    cost_paise: int | None = None


class ChannelFailure(Exception):
    """A send that did not go through; str() is a sentence for the campaign's log."""


class TryAgain(ChannelFailure):
    """Rule 2: retry later."""


class Rejected(ChannelFailure):
    """Rule 3: final."""


class Uncertain(ChannelFailure):
    """Rule 4: the message may have gone; never repeated blindly."""


class Channel(Protocol):
    """What the sender needs of a channel."""

    name: str

    def send(self, message: OutgoingMessage) -> Sent: ...

    def close(self) -> None: ...


def timeouts() -> httpx.Timeout:
    return httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)


def post(client: httpx.Client, url: str, what: str, **request: Any) -> httpx.Response:
    """POST to a provider and sort what goes wrong into rules 2 to 4; a 2xx is returned."""
    try:
        response = client.post(url, **request)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise TryAgain(f"{what} could not be reached ({type(exc).__name__}).") from exc
    except httpx.LocalProtocolError as exc:  # refused here, before anything left
        raise Rejected(f"The request to {what} could not be made: {exc}.") from exc
    except httpx.TransportError as exc:
        raise Uncertain(
            f"{what} did not answer after the message was sent ({type(exc).__name__}); "
            "it may have gone out."
        ) from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise TryAgain(f"{what} answered {status}: {_excerpt(response)}")
    if status >= 300:
        raise Rejected(f"{what} refused the message ({status}): {_excerpt(response)}")
    return response


def _excerpt(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:200] or response.reason_phrase
