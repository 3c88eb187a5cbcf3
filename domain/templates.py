"""Message text rules for campaign templates (issue #16): TRAI's DLT match and SMS length.

Written by the campaign-sending work, which needed them first; the campaigns core adds
the rest of the template rules here (rendering, tags).

1. An SMS to an Indian number must match the text registered on DLT, where each
   `{#var#}` stands for up to 30 characters of anything; `{#numeric#}` for up to 30
   digits; `{#alphanumeric#}` for up to 30 letters, digits and spaces; `{#url#}`,
   `{#urlott#}`, `{#cbn#}` (a call-back number) and `{#email#}` for one such value, also
   up to 30 characters. Everything else must be the same, character for character, except
   that runs of spaces count as one (operators collapse them too).
2. An SMS is GSM-7 when every character is in the GSM 03.38 alphabet (its extension
   characters ^{}\\[~]|€ count twice), else UCS-2 ("Unicode"). One GSM-7 message holds 160
   characters, a part of a longer one 153; Unicode 70 and 67.
3. A WhatsApp template's body parameters go to the Cloud API as one `body` component of
   `text` parameters, in the order of the approved template's {{1}}, {{2}}, ... A parameter
   may hold no line break or tab nor more than four spaces in a row, and may not be empty:
   its whitespace is collapsed to single spaces, and an empty one becomes "-" (a patient
   with no last visit, say), so that no message is refused for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

VARIABLE_LENGTH = 30
_VARIABLE = re.compile(r"\{#(\w+)#\}")
_SPACES = re.compile(r"[ \t]+")
_KINDS = {
    "numeric": r"[0-9]",
    "alphanumeric": r"[A-Za-z0-9 ]",
}

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€\f"


def _pattern(registered: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(registered):
        parts.append(re.escape(_SPACES.sub(" ", registered[position : match.start()])))
        char = _KINDS.get(match.group(1).lower(), r".")
        parts.append(f"{char}{{0,{VARIABLE_LENGTH}}}")
        position = match.end()
    parts.append(re.escape(_SPACES.sub(" ", registered[position:])))
    return re.compile("".join(parts), re.DOTALL)


def matches_dlt(rendered: str, registered: str) -> bool:
    """True when `rendered` is `registered` with its `{#var#}` placeholders filled (rule 1)."""
    return _pattern(registered.strip()).fullmatch(_SPACES.sub(" ", rendered.strip())) is not None


@dataclass(frozen=True)
class SmsLength:
    """How an SMS travels (rule 2): its encoding, its length in that encoding's units and
    the number of parts an operator bills."""

    encoding: str
    units: int
    parts: int


def sms_parts(text: str) -> SmsLength:
    """The encoding, length and parts of `text` (rule 2)."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "Unicode"
    parts = 1 if units <= single else -(-units // part)
    return SmsLength(encoding, units, parts)


def whatsapp_body(parameters: Sequence[str]) -> list[dict[str, Any]]:
    """The Cloud API's components for body parameters already rendered (rule 3); none
    without parameters."""
    if not parameters:
        return []
    texts = [" ".join(text.split()) or "-" for text in parameters]
    return [{"type": "body", "parameters": [{"type": "text", "text": t} for t in texts]}]
