"""TRAI's DLT match, SMS length and WhatsApp body parameters (domain.templates, rules 1 to 3)."""

from __future__ import annotations

import pytest

from domain.templates import matches_dlt, sms_parts, whatsapp_body

REGISTERED = "Dear {#var#}, get {#numeric#}% off at Glow Clinic till {#var#}. -GLOWCL"


@pytest.mark.parametrize(
    ("rendered", "matches"),
    [
        ("Dear Meera Nair, get 20% off at Glow Clinic till 30 Nov. -GLOWCL", True),
        ("Dear Meera  Nair,  get 20% off at Glow Clinic till 30 Nov. -GLOWCL", True),
        ("Dear , get 20% off at Glow Clinic till 30 Nov. -GLOWCL", True),
        ("Dear Meera, get twenty% off at Glow Clinic till 30 Nov. -GLOWCL", False),
        ("Dear Meera, get 20% off at Glow Clinic till 30 Nov. -GLOWCL Reply STOP", False),
        ("Dear Meera, get 20% off at Shine Clinic till 30 Nov. -GLOWCL", False),
        ("Dear " + "x" * 31 + ", get 20% off at Glow Clinic till 30 Nov. -GLOWCL", False),
        ("Dear " + "x" * 30 + ", get 20% off at Glow Clinic till 30 Nov. -GLOWCL", True),
    ],
)
def test_a_text_matches_its_registration_only_with_its_variables_filled(rendered, matches):
    assert matches_dlt(rendered, REGISTERED) is matches


def test_special_characters_of_the_registered_text_are_literal():
    assert matches_dlt("Pay Rs.500 (cash)? y/n", "Pay Rs.{#numeric#} (cash)? y/n")
    assert not matches_dlt("Pay Rs 500 (cash)? y/n", "Pay Rs.{#numeric#} (cash)? y/n")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("{}" * 40, "GSM-7", 160, 1),
        ("नमस्ते" * 10, "Unicode", 60, 1),
        ("€" + "é" * 70, "GSM-7", 72, 1),
        ("₹" + "a" * 69, "Unicode", 70, 1),
        ("₹" + "a" * 70, "Unicode", 71, 2),
    ],
)
def test_sms_length_and_parts(text, encoding, units, parts):
    length = sms_parts(text)
    assert (length.encoding, length.units, length.parts) == (encoding, units, parts)


def test_whatsapp_body_parameters_become_one_body_component_the_cloud_api_accepts():
    assert whatsapp_body([]) == []
    assert whatsapp_body(["Meera", "Dr.  Rao\n\tand   team", "   "]) == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Meera"},
                {"type": "text", "text": "Dr. Rao and team"},  # no line breaks, tabs, runs
                {"type": "text", "text": "-"},  # never empty
            ],
        }
    ]
