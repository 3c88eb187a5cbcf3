"""Rendering campaign messages (issue #16): Jinja2's sandbox, personalisation tags only.

1. A template's body (and an e-mail's subject) is rendered in Jinja2's
   `ImmutableSandboxedEnvironment` with `StrictUndefined`: a name that is not one of TAGS
   is refused by name, and the sandbox refuses attribute tricks such as
   `{{ ''.__class__ }}`. No HTML escaping: messages are plain text.
2. The tags: TAGS below, each a plain string for one patient (dates as 24 Nov 2026).
3. A template is checked when it is saved, by rendering it for a sample patient (SAMPLE);
   an SMS template with a DLT registration must then match its registered text
   (domain.templates.matches_dlt), or it is refused before any message is made from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from domain.errors import BadInput

TAGS: dict[str, str] = {
    "first_name": "the patient's first name",
    "name": "the patient's full name",
    "last_visit": "the day of the last visit, like 24 Nov 2026 (blank if none)",
    "days_since_visit": "days since the last visit",
    "promo_code": "the campaign's code, or the patient's own single-use code",
    "clinic_name": "the clinic's name",
    "clinic_phone": "the clinic's telephone",
    "mobile": "the patient's mobile",
}

SAMPLE: dict[str, str] = {
    "first_name": "Asha",
    "name": "Asha Rao",
    "last_visit": "24 Nov 2026",
    "days_since_visit": "90",
    "promo_code": "WINBACK10",
    "clinic_name": "Glow Clinic",
    "clinic_phone": "080 4000 1234",
    "mobile": "9845012345",
}

MAX_BODY = 4_000


class TemplateRefused(BadInput):
    """A template that cannot be rendered; the message says what to change."""


def _words(error: Exception) -> str:
    return str(error).strip().rstrip(".")


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=64)
def _compiled(text: str) -> Template:
    """A template compiled once for the thousands of patients of a launch."""
    return _environment().from_string(text)


def render(text: str, values: Mapping[str, str]) -> str:
    """`text` with its tags filled from `values` (rule 1)."""
    if len(text) > MAX_BODY:
        raise TemplateRefused(f"A message is at most {MAX_BODY:,} characters.")
    try:
        return _compiled(text).render(dict(values))
    except UndefinedError as exc:
        known = ", ".join(f"{{{{{tag}}}}}" for tag in TAGS)
        raise TemplateRefused(f"Unknown tag: {exc.message}. Use one of {known}.") from exc
    except SecurityError as exc:
        raise TemplateRefused(f"That is not allowed in a message: {_words(exc)}.") from exc
    except TemplateError as exc:
        raise TemplateRefused(f"The template cannot be read: {_words(exc)}.") from exc
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        raise TemplateRefused(f"The template cannot be rendered: {_words(exc)}.") from exc
