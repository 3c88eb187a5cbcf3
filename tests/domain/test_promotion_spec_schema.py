"""Issue #13 item 6: a promotion's JSON is checked by a strict schema before its rules:
wrong types and unknown keys are refused by name; NaN, 1e20 and deep nesting get a
sentence (SpecError), never a traceback."""

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.promotion_spec import (
    SpecError,
    read_spec_json,
    validate_code,
    validate_promotion,
)

SPEC = {
    "campaign_code": "FESTIVE500",
    "campaign_name": "Festive",
    "description": "",
    "promotion_type": "fixed_amount",
    "rules": {"scope": "invoice"},
    "discount_percent": None,
    "discount_amount": "500.00",
    "min_purchase_amount": "5000.00",
    "max_discount_amount": None,
    "start_date": "2026-11-01",
    "end_date": None,
    "priority": 50,
    "is_stackable": False,
    "override_max_discount": False,
    "requires_code": False,
    "max_total_uses": 500,
    "max_uses_per_patient": 1,
    "is_active": True,
}


def validate(data):
    return validate_promotion(data, item_codes={"CONSULT"}, categories={"Peels"})


def test_the_base_spec_is_valid():
    assert validate(SPEC).discount_amount == 50_000
    assert validate(read_spec_json(json.dumps(SPEC))).is_active


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("is_active", "false"),
        ("requires_code", "false"),
        ("is_stackable", "no"),
        ("override_max_discount", 0),
        ("priority", "1"),
        ("priority", 10**30),
        ("rules", "invoice"),
        ("discount_amount", 1e20),
        ("max_total_uses", 1.5),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_by_name(key, value):
    with pytest.raises(SpecError) as refused:
        validate({**SPEC, key: value})
    assert refused.value.field == key
    assert key in str(refused.value)


def test_an_unknown_key_is_refused_by_name():
    with pytest.raises(SpecError) as refused:
        validate({**SPEC, "discount_percnt": "10"})
    assert refused.value.field == "discount_percnt"
    assert "'discount_percnt' is not a field" in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SPEC).replace('"500.00"', "NaN"),
        json.dumps(SPEC).replace('"500.00"', "Infinity"),
        '{"rules": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({**SPEC, "rules": {"a": [[[[[[[[[[1]]]]]]]]]]}}),
        "[1, 2]",
        "{",
    ],
    ids=["nan", "infinity", "deep-json", "deep-rules", "not-an-object", "not-json"],
)
def test_hostile_json_is_a_sentence(text):
    with pytest.raises(SpecError) as refused:
        validate(read_spec_json(text))
    assert str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("discount_amount", "1e20"),
        ("discount_amount", Decimal("1E+20")),
        ("max_total_uses", 10**20),
    ],
)
def test_huge_figures_are_refused(key, value):
    with pytest.raises(SpecError) as refused:
        validate({**SPEC, key: value})
    assert refused.value.field == key


def test_a_code_refuses_a_huge_limit_and_unknown_keys():
    code = {"code": "MORNING10", "promotion_code": "FESTIVE500"}
    assert validate_code({**code, "max_uses": 3}).max_uses == 3
    with pytest.raises(SpecError) as huge:
        validate_code({**code, "max_uses": 99999999999999999999})
    assert huge.value.field == "max_uses"
    with pytest.raises(SpecError) as typo:
        validate_code({**code, "max_usse": 3})
    assert typo.value.field == "max_usse"
    with pytest.raises(SpecError) as wrong:
        validate_code({**code, "auto_deactivate_on_max_uses": "false"})
    assert wrong.value.field == "auto_deactivate_on_max_uses"


def _nested(children):
    return st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=8), children, max_size=3
    )


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(["NaN", "1e20", "-1", "0", "100.001", "2026-02-30", "invoice"]),
    _nested,
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from([*SPEC, "discount_percnt", "rules"]), JSON_VALUES, max_size=4
    ),
    rules=st.dictionaries(
        st.sampled_from(["scope", "categories", "item_codes", "buy", "get", "x"]),
        JSON_VALUES,
        max_size=3,
    ),
)
def test_any_json_spec_is_saved_or_refused_with_a_sentence(changes, rules):
    data = {**SPEC, "rules": {"scope": "invoice", **rules}, **changes}
    text = json.dumps(data, default=str)
    try:
        validate(read_spec_json(text))
    except SpecError as refused:
        assert str(refused)


@pytest.mark.parametrize(("key", "day"), [("start_date", "0001-01-01"), ("end_date", "9999-12-31")])
def test_a_saved_promotions_dates_lie_from_1990_to_ten_years_ahead(key, day):
    assert validate({**SPEC, key: day}).promotion_type  # an export of stored data reads it
    with pytest.raises(SpecError) as refused:
        validate_promotion(
            {**SPEC, key: day}, item_codes=set(), categories=set(), today=date(2026, 12, 3)
        )
    assert refused.value.field == key and "outside 1990-01-01" in str(refused.value)
    code = {"code": "MORNING10", "promotion_code": "FESTIVE500", "valid_to": day}
    with pytest.raises(SpecError):
        validate_code(code, today=date(2026, 12, 3))
