"""The send gate (issue #16): the one place that decides, when a campaign message is about
to leave, whether it goes now, waits, or does not go at all. Pure: the sender passes the
patient's consent and do-not-contact state, what was sent to them lately and the instant.

1. Do-not-contact on the message's channel (unsubscribed, bounced, or set by hand) stops
   every message on that channel, promotional or service: skipped.
2. Consent (DPDP Act 2023): a promotional message goes only when the latest consent event
   for its patient, channel and purpose is a grant (no event: no consent). A service
   message (a reminder, a receipt) goes unless the latest service event is a withdrawal.
   A STOP reply withdraws consent the same day, so nothing promotional follows it: skipped.
3. An SMS must match its DLT registration (domain.templates, rule 1): a text that does not
   is refused here, before it leaves, as the operator would refuse it: failed, for good.
4. The promotional window: a promotional SMS leaves between 10:00 and 21:00 India time
   (TRAI's rule, not a setting); other channels keep the branch's window, in the branch's
   time zone. A message due outside it is held until the window next opens (due at 21:30,
   sent at 10:00 the next day). Service messages have no window.
5. The frequency cap: a patient receives at most `cap_messages` promotional messages in
   any `cap_days` days, over every channel and campaign (2 in 7 by default, a branch
   setting). One more would break it: skipped, and the campaign's results say why. A
   message counts once it left or may have left (sent, sending, unknown, and what a sent
   one became), never when it failed (it never left); not only once delivered, since no
   provider's receipt is awaited and a message whose receipt never came did reach most.

The rules run in that order: nothing is held that would never be allowed, and the cap is
counted at the moment of sending, after any wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.templates import matches_dlt

INDIA = ZoneInfo("Asia/Kolkata")
TRAI_WINDOW = (time(10, 0), time(21, 0))
PROMOTIONAL, SERVICE = "promotional", "service"


class Outcome(StrEnum):
    SEND = "send"
    HOLD = "held"
    SKIP = "skipped"
    REFUSE = "failed"


@dataclass(frozen=True)
class Verdict:
    """What the gate decided; `until` is when a held message is looked at again."""

    outcome: Outcome
    reason: str = ""
    until: datetime | None = None


@dataclass(frozen=True)
class SendingRules:
    """The branch's settings: the frequency cap (rule 5) and each channel's promotional
    window (rule 4; SMS's is TRAI's and ignores this)."""

    cap_messages: int = 2
    cap_days: int = 7
    windows: dict[str, tuple[time, time]] = field(
        default_factory=lambda: {"email": TRAI_WINDOW, "whatsapp": TRAI_WINDOW}
    )

    def window(self, channel: str) -> tuple[time, time] | None:
        if channel == "sms":
            return TRAI_WINDOW
        return self.windows.get(channel)


@dataclass(frozen=True)
class Candidate:
    """One message at the gate: its channel and purpose, the latest consent action for
    that channel and purpose ("granted", "withdrawn" or None), the do-not-contact reason
    on that channel (None when there is none), when promotional messages were last sent
    to the patient, and for SMS the rendered and the DLT-registered text."""

    channel: str
    purpose: str
    consent: str | None
    do_not_contact: str | None
    recent_promotional: Sequence[datetime] = ()
    text: str = ""
    registered_text: str | None = None


def window_opens(at: datetime, window: tuple[time, time], zone: ZoneInfo) -> datetime | None:
    """None when `at` is inside the window [start, end); else when it next opens (rule 4)."""
    start, end = window
    local = at.astimezone(zone)
    if start <= local.time() < end:
        return None
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone)


def check(candidate: Candidate, rules: SendingRules, at: datetime, zone: ZoneInfo) -> Verdict:
    """The gate's verdict for `candidate` at `at`, `zone` being the branch's (rules 1-5)."""
    c = candidate
    if c.do_not_contact:
        return Verdict(Outcome.SKIP, f"do not contact by {c.channel} ({c.do_not_contact})")
    if c.purpose == PROMOTIONAL and c.consent != "granted":
        why = "consent withdrawn" if c.consent == "withdrawn" else "no consent"
        return Verdict(Outcome.SKIP, f"{why} for promotional {c.channel}")
    if c.purpose != PROMOTIONAL and c.consent == "withdrawn":
        return Verdict(Outcome.SKIP, f"consent withdrawn for service {c.channel}")
    if c.channel == "sms":
        if not c.registered_text:
            return Verdict(Outcome.REFUSE, "the SMS template has no DLT-registered text")
        if not matches_dlt(c.text, c.registered_text):
            return Verdict(Outcome.REFUSE, "the text does not match its DLT registration")
    if c.purpose != PROMOTIONAL:
        return Verdict(Outcome.SEND)
    window = rules.window(c.channel)
    if window is not None:
        opens = window_opens(at, window, INDIA if c.channel == "sms" else zone)
        if opens is not None:
            return Verdict(Outcome.HOLD, "outside the promotional window", opens)
    since = at - timedelta(days=rules.cap_days)
    if sum(since < sent <= at for sent in c.recent_promotional) >= rules.cap_messages:
        return Verdict(
            Outcome.SKIP,
            f"over the frequency cap ({rules.cap_messages} in {rules.cap_days} days)",
        )
    return Verdict(Outcome.SEND)
