"""Campaign templates render in Jinja2's sandbox with known tags only (issue #16 and the
hostile-input part of #13: templates are an entrance)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.message_render import SAMPLE, TemplateRefused, render


def test_tags_are_filled():
    text = "Dear {{ first_name }}, {{clinic_name}} misses you since {{ last_visit }}."
    assert render(text, SAMPLE) == "Dear Asha, Glow Clinic misses you since 24 Nov 2026."


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hi {{ frist_name }}", "Unknown tag"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
        ("{{ first_name.__class__ }}", "not allowed"),
        ("{% for x in range(10**9) %}{% endfor %}", "Range too big"),
        ("{{ first_name ", "cannot be read"),
        ("{{ 1/0 }}", "cannot be rendered"),
    ],
)
def test_unknown_tags_and_sandbox_escapes_are_refused(text, words):
    with pytest.raises(TemplateRefused, match=words):
        render(text, SAMPLE)


@given(st.text(max_size=300))
def test_any_text_renders_or_is_refused_in_words(text):
    try:
        render(text, SAMPLE)
    except TemplateRefused as refused:
        assert str(refused)
