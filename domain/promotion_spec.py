"""Validating a promotion or promo code as a manager describes it (dialog or JSON file).

A promotion spec is the JSON the promotions dialog edits and `frontdesk promo add` reads:

    {
      "campaign_code": "MORNING10", "campaign_name": "Morning 10% off", "description": "",
      "promotion_type": "percentage" | "fixed_amount" | "buy_x_get_y",
      "rules": {...},                      # as the engine reads them (see README)
      "discount_percent": "10",            # percentage and buy_x_get_y
      "discount_amount": "500.00",         # fixed_amount, rupees
      "min_purchase_amount": "0.00", "max_discount_amount": null,   # rupees
      "start_date": "2026-11-01", "end_date": null,
      "priority": 100, "is_stackable": false, "override_max_discount": false,
      "requires_code": false, "max_total_uses": null, "max_uses_per_patient": null,
      "is_active": true,
      "branch_offline_quota": null         # a capped promotion's uses a branch may make
    }                                      # that the centre has not acknowledged

Errors name the field to fix with a sentence the dialog shows beside it.

The shape is checked first by a schema (pydantic, strict; issue #13): a key that is not a
field (a typo such as `discount_percnt`) and a value of the wrong type (`"is_active":
"false"`) are refused by name; amounts, percentages and limits may be text, whole numbers
or decimals, never floats (`read_spec_json` reads JSON numbers as decimals and refuses NaN
and Infinity); `rules` nest at most 8 deep. Then the rules of each field apply as before.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from domain.active_hours import ActiveHours, ActiveHoursError
from domain.bounds import MAX_AMOUNT, MAX_COUNT, OutOfBounds, check_day
from domain.errors import BadInput
from domain.money import MoneyError, paise_to_decimal, rupees_to_paise
from domain.promotion_rules import (
    BuyXGetY,
    PromotionRuleError,
    PromotionType,
    Scope,
    Target,
    normalise_code,
    parse_rules,
)

_CAMPAIGN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
_PROMO_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")


class SpecError(BadInput):
    """A spec that cannot be saved; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


MAX_RULE_DEPTH = 8
MAX_PRIORITY = 1_000_000

# A figure as the dialog types it (text) or a JSON file gives it (a whole number or, read
# by read_spec_json, a decimal); a float is refused (1e20 and NaN are floats).
_Figure = StrictStr | StrictInt | Annotated[Decimal, Strict()] | None
_Day = StrictStr | Annotated[date, Strict()] | None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _PromotionShape(_Shape):
    campaign_code: StrictStr | None = None
    campaign_name: StrictStr | None = None
    description: StrictStr | None = None
    promotion_type: StrictStr | None = None
    rules: dict[str, Any] | None = None
    discount_percent: _Figure = None
    discount_amount: _Figure = None
    min_purchase_amount: _Figure = None
    max_discount_amount: _Figure = None
    start_date: _Day = None
    end_date: _Day = None
    priority: StrictInt = 100
    is_stackable: StrictBool = False
    override_max_discount: StrictBool = False
    requires_code: StrictBool = False
    max_total_uses: StrictStr | StrictInt | None = None
    max_uses_per_patient: StrictStr | StrictInt | None = None
    is_active: StrictBool = True
    branch_offline_quota: StrictStr | StrictInt | None = None

    @field_validator("rules")
    @classmethod
    def _shallow(cls, rules: dict[str, Any] | None) -> dict[str, Any] | None:
        if rules is not None and _depth(rules) > MAX_RULE_DEPTH:
            raise ValueError(f"the rules nest more than {MAX_RULE_DEPTH} levels deep")
        return rules

    @field_validator("priority")
    @classmethod
    def _priority(cls, priority: int) -> int:
        if abs(priority) > MAX_PRIORITY:
            raise ValueError(
                f"the priority is a whole number from -{MAX_PRIORITY:,} to {MAX_PRIORITY:,}"
            )
        return priority


# The keys of a promotion spec, in the order `PromotionSpec.to_json` writes them.
PROMOTION_FIELDS = tuple(_PromotionShape.model_fields)


class _CodeShape(_Shape):
    code: StrictStr | None = None
    promotion_code: StrictStr | None = None
    valid_from: _Day = None
    valid_to: _Day = None
    active_hours: dict[str, Any] | None = None
    max_uses: StrictStr | StrictInt | None = None
    max_uses_per_patient: StrictStr | StrictInt | None = None
    auto_deactivate_on_max_uses: StrictBool = True


_KINDS = {
    "bool_type": "true or false (without quotes)",
    "int_type": "a whole number",
    "string_type": "text in quotes",
    "dict_type": "an object { ... }",
}


def _check_shape(shape: type[_Shape], data: Any, what: str) -> None:
    """Refuse unknown keys and values of the wrong type by name (SpecError)."""
    if not isinstance(data, dict):
        raise SpecError("", f"A {what} is one JSON object {{ ... }}.")
    try:
        shape.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "extra_forbidden":
            known = ", ".join(shape.model_fields)
            raise SpecError(
                name, f"'{name}' is not a field of a {what} (a typo?); the fields are {known}."
            ) from None
        kinds = [_KINDS.get(str(e["type"])) for e in exc.errors() if e["loc"][:1] == (name,)]
        wanted = " or ".join(dict.fromkeys(k for k in kinds if k)) or error["msg"]
        if error["type"].startswith("value_error"):
            wanted = str(error["msg"]).removeprefix("Value error, ")
            raise SpecError(name, f"{name}: {wanted}.") from None
        raise SpecError(
            name, f"{name} must be {wanted}, not {_shown(error.get('input'))}."
        ) from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_spec_json(text: str, what: str = "promotion") -> dict[str, Any]:
    """A spec file's JSON as a dict: numbers with a point as decimals; NaN, Infinity, too
    deep a nesting or anything but one object refused with a sentence (SpecError)."""

    def constant(name: str) -> Any:
        raise SpecError("", f"{name} is not a number a {what} can hold.")

    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=constant)
    except RecursionError:
        raise SpecError("", f"The {what} is nested too deeply to be a {what}.") from None
    except ValueError as exc:
        if isinstance(exc, SpecError):
            raise
        raise SpecError("", f"This is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise SpecError("", f"The file should hold one JSON object (a {what}).")
    _check_shape(_PromotionShape if what == "promotion" else _CodeShape, data, what)
    return data


@dataclass(frozen=True)
class PromotionSpec:
    """A validated promotion; amounts in paise."""

    campaign_code: str
    campaign_name: str
    description: str
    promotion_type: PromotionType
    rules: dict[str, Any]
    discount_percent: Decimal | None
    discount_amount: int | None
    min_purchase_amount: int
    max_discount_amount: int | None
    start_date: date | None
    end_date: date | None
    priority: int
    is_stackable: bool
    override_max_discount: bool
    requires_code: bool
    max_total_uses: int | None
    max_uses_per_patient: int | None
    is_active: bool
    branch_offline_quota: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The spec as JSON (rupees and ISO dates), the inverse of `validate_promotion`."""
        return {
            "campaign_code": self.campaign_code,
            "campaign_name": self.campaign_name,
            "description": self.description,
            "promotion_type": self.promotion_type.value,
            "rules": self.rules,
            "discount_percent": None
            if self.discount_percent is None
            else str(self.discount_percent),
            "discount_amount": _rupees(self.discount_amount),
            "min_purchase_amount": _rupees(self.min_purchase_amount),
            "max_discount_amount": _rupees(self.max_discount_amount),
            "start_date": _iso(self.start_date),
            "end_date": _iso(self.end_date),
            "priority": self.priority,
            "is_stackable": self.is_stackable,
            "override_max_discount": self.override_max_discount,
            "requires_code": self.requires_code,
            "max_total_uses": self.max_total_uses,
            "max_uses_per_patient": self.max_uses_per_patient,
            "is_active": self.is_active,
            "branch_offline_quota": self.branch_offline_quota,
        }


@dataclass(frozen=True)
class CodeSpec:
    """A validated promo code (seed 001's fields)."""

    code: str
    promotion_code: str
    valid_from: date | None = None
    valid_to: date | None = None
    active_hours: ActiveHours = field(default_factory=ActiveHours)
    max_uses: int | None = None
    max_uses_per_patient: int | None = None
    auto_deactivate_on_max_uses: bool = True


def _rupees(paise: int | None) -> str | None:
    return None if paise is None else str(paise_to_decimal(paise))


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _date(value: Any, name: str, today: date | None = None) -> date | None:
    """A date of the spec; with `today` (a new or changed spec), within domain.bounds."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value))
        except ValueError as exc:
            raise SpecError(name, f"'{value}' is not a date like 2026-11-24") from exc
    if today is not None:
        try:
            check_day(day, today)
        except OutOfBounds as exc:
            raise SpecError(name, str(exc)) from None
    return day


def _amount(value: Any, name: str, *, required: bool = False) -> int | None:
    if value in (None, ""):
        if required:
            raise SpecError(name, "Enter the amount in rupees")
        return None
    try:
        paise = rupees_to_paise(value if isinstance(value, int | Decimal) else str(value))
    except MoneyError as exc:
        raise SpecError(name, str(exc)) from exc
    if paise < 0:
        raise SpecError(name, "An amount cannot be negative")
    if paise > MAX_AMOUNT:
        raise SpecError(name, "An amount is at most Rs.1 crore")
    return paise


def _count(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError as exc:
        raise SpecError(name, f"'{value}' is not a whole number") from exc
    if number < 1:
        raise SpecError(name, "A limit is at least 1 (leave it empty for no limit)")
    if number > MAX_COUNT:
        raise SpecError(name, f"A limit is at most {MAX_COUNT:,} (leave it empty for no limit)")
    return number


def _percent(value: Any, name: str) -> Decimal:
    try:
        percent = Decimal(str(value))
    except InvalidOperation as exc:
        raise SpecError(name, f"'{value}' is not a percentage") from exc
    if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
        raise SpecError(name, "A percentage is more than 0 and at most 100")
    if percent != percent.quantize(Decimal("0.01")):
        raise SpecError(name, "A percentage has at most two decimals")
    return percent


def _window(start: date | None, end: date | None, end_field: str) -> None:
    if start is not None and end is not None and end < start:
        raise SpecError(end_field, "The end date is before the start date")


def validate_promotion(
    data: dict[str, Any], *, item_codes: set[str], categories: set[str], today: date | None = None
) -> PromotionSpec:
    """Check a promotion spec against the catalog; return it cleaned, or raise SpecError.
    `today` (when saving) keeps its dates within domain.bounds' range."""
    _check_shape(_PromotionShape, data, "promotion")
    code = str(data.get("campaign_code") or "").strip().upper()
    if not _CAMPAIGN_CODE.match(code):
        raise SpecError(
            "campaign_code", "A campaign code is 2-40 letters, digits, '-' or '_', like GLOW20"
        )
    name = " ".join(str(data.get("campaign_name") or "").split())
    if not name:
        raise SpecError("campaign_name", "Give the promotion a name")
    try:
        kind = PromotionType(str(data.get("promotion_type")))
    except ValueError as exc:
        raise SpecError(
            "promotion_type", "Choose buy X get Y, a percentage or a fixed amount"
        ) from exc
    percent = None
    amount = None
    if kind is PromotionType.FIXED_AMOUNT:
        amount = _amount(data.get("discount_amount"), "discount_amount", required=True)
        if not amount:
            raise SpecError("discount_amount", "A fixed discount is more than Rs.0")
    elif kind is PromotionType.PERCENTAGE or data.get("discount_percent") not in (None, ""):
        percent = _percent(data.get("discount_percent"), "discount_percent")
    rules = data.get("rules")
    if not isinstance(rules, dict):
        raise SpecError("rules", "Say which items the promotion is for")
    try:
        rule = parse_rules(kind, rules, percent)
    except PromotionRuleError as exc:
        raise SpecError("rules", str(exc)) from exc
    _check_catalog(rule, item_codes, categories)
    start = _date(data.get("start_date"), "start_date", today)
    end = _date(data.get("end_date"), "end_date", today)
    _window(start, end, "end_date")
    try:
        priority = int(data.get("priority", 100))
    except (TypeError, ValueError) as exc:
        raise SpecError("priority", "The priority is a whole number (lower goes first)") from exc
    most = _count(data.get("max_total_uses"), "max_total_uses")
    quota = _count(data.get("branch_offline_quota"), "branch_offline_quota")
    if quota is not None and most is None:
        raise SpecError(
            "branch_offline_quota",
            "An offline quota is for a promotion with a limit of uses in total: set the limit",
        )
    if quota is not None and most is not None and quota > most:
        raise SpecError(
            "branch_offline_quota", f"The offline quota is at most the limit of {most} uses"
        )
    return PromotionSpec(
        campaign_code=code,
        campaign_name=name,
        description=str(data.get("description") or "").strip(),
        promotion_type=kind,
        rules=rules,
        discount_percent=percent,
        discount_amount=amount,
        min_purchase_amount=_amount(data.get("min_purchase_amount"), "min_purchase_amount") or 0,
        max_discount_amount=_amount(data.get("max_discount_amount"), "max_discount_amount"),
        start_date=start,
        end_date=end,
        priority=priority,
        is_stackable=bool(data.get("is_stackable", False)),
        override_max_discount=bool(data.get("override_max_discount", False)),
        requires_code=bool(data.get("requires_code", False)),
        max_total_uses=most,
        max_uses_per_patient=_count(data.get("max_uses_per_patient"), "max_uses_per_patient"),
        is_active=bool(data.get("is_active", True)),
        branch_offline_quota=quota,
    )


def _check_catalog(rule: BuyXGetY | Target, item_codes: set[str], categories: set[str]) -> None:
    selectors = [rule.buy, rule.get] if isinstance(rule, BuyXGetY) else [rule.selector]
    for selector in selectors:
        unknown = sorted(set(selector.item_codes) - item_codes)
        if unknown:
            raise SpecError("rules", f"No item has the code {', '.join(unknown)}")
        missing = sorted(set(selector.categories) - categories)
        if missing:
            raise SpecError("rules", f"No item is in the category {', '.join(missing)}")
    if isinstance(rule, Target):
        unknown = sorted(set(rule.requires_item_codes) - item_codes)
        if unknown:
            raise SpecError("rules", f"No item has the code {', '.join(unknown)}")
        if rule.scope is not Scope.INVOICE and not (
            rule.selector.item_codes or rule.selector.categories
        ):
            raise SpecError("rules", "Choose the items or categories the discount is for")


def validate_code(data: dict[str, Any], *, today: date | None = None) -> CodeSpec:
    """Check a promo code as typed in the dialog or on the command line (`today`: its dates
    within domain.bounds' range)."""
    _check_shape(_CodeShape, data, "promo code")
    code = normalise_code(str(data.get("code") or ""))
    if not _PROMO_CODE.match(code):
        raise SpecError("code", "A code is 3-40 letters, digits or '-', like MORNING10")
    promotion = str(data.get("promotion_code") or "").strip().upper()
    if not promotion:
        raise SpecError("promotion_code", "Choose the promotion the code unlocks")
    valid_from = _date(data.get("valid_from"), "valid_from", today)
    valid_to = _date(data.get("valid_to"), "valid_to", today)
    _window(valid_from, valid_to, "valid_to")
    try:
        hours = ActiveHours.from_json(data.get("active_hours"))
    except ActiveHoursError as exc:
        raise SpecError(exc.field, str(exc)) from exc
    return CodeSpec(
        code=code,
        promotion_code=promotion,
        valid_from=valid_from,
        valid_to=valid_to,
        active_hours=hours,
        max_uses=_count(data.get("max_uses"), "max_uses"),
        max_uses_per_patient=_count(data.get("max_uses_per_patient"), "max_uses_per_patient"),
        auto_deactivate_on_max_uses=bool(data.get("auto_deactivate_on_max_uses", True)),
    )
