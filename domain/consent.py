"""Consent to be messaged (issue #16; India's DPDP Act 2023: consent is specific, informed,
and as easy to withdraw as to give), and what a patient's reply means.

1. Consent is given or withdrawn per patient, channel (email, sms, whatsapp) and purpose
   (promotional, service), with the notice the patient was shown and where it happened
   (a form, the counter, a reply, an import). Events are only ever added; the latest one
   for a (patient, channel, purpose) is its state. No event: no consent for promotional
   messages.
2. Withdrawing takes what granting takes: one action at the counter, on the patient page,
   on the command line, or one word in a reply.
3. A reply whose first word is an opt-out word (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
   QUIT, OPTOUT or "OPT OUT", in any case, with or without punctuation; also the Hindi
   रोकें and बंद) withdraws promotional consent on that channel the same day and puts the
   channel on do-not-contact as "unsubscribed": the patient receives nothing more there.
4. A reply whose first word is START, UNSTOP or SUBSCRIBE grants promotional consent on
   that channel again (the patient asked for it, in words) and lifts "unsubscribed".
   Granting consent anywhere else lifts "unsubscribed" too; never "bounced" (the address
   does not work) nor "manual" (the clinic decided), which only a person lifts.
5. Any other reply is kept as a reply: it changes no consent.
"""

from __future__ import annotations

from enum import StrEnum

CHANNELS = ("email", "sms", "whatsapp")
PURPOSES = ("promotional", "service")
SOURCES = ("form", "counter", "reply", "import")
DNC_REASONS = ("unsubscribed", "bounced", "manual")

OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "रोकें", "बंद"}
)
OPT_IN_WORDS = frozenset({"start", "unstop", "subscribe"})

# What the patient is told when consent is recorded, kept with the event (rule 1).
NOTICES = {
    "promotional": (
        "{clinic} may send you offers and reminders by {channel}. Reply STOP or tell the "
        "front desk at any time to stop them."
    ),
    "service": (
        "{clinic} may send you appointment and billing messages by {channel}. Tell the "
        "front desk at any time to stop them."
    ),
}
CHANNEL_WORDS = {"email": "e-mail", "sms": "SMS", "whatsapp": "WhatsApp"}


class ReplyKind(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    REPLY = "reply"


def notice(purpose: str, channel: str, clinic: str) -> str:
    """The notice shown when a consent is recorded at the counter or on a form."""
    return NOTICES[purpose].format(clinic=clinic, channel=CHANNEL_WORDS[channel])


def _first_word(body: str) -> str:
    words = body.strip().casefold().split()
    if not words:
        return ""
    first = words[0].strip(".,!;:-\"'()")
    if first == "opt" and len(words) > 1 and words[1].strip(".,!;:-\"'()") == "out":
        return "optout"
    return first


def classify_reply(body: str) -> ReplyKind:
    """What a reply means (rules 3 to 5)."""
    word = _first_word(body)
    if word in OPT_OUT_WORDS:
        return ReplyKind.OPT_OUT
    if word in OPT_IN_WORDS:
        return ReplyKind.OPT_IN
    return ReplyKind.REPLY


def lifted_by_grant(reason: str) -> bool:
    """True when granting consent lifts a do-not-contact of this reason (rule 4)."""
    return reason == "unsubscribed"
