"""What a promotion and a promo code say, as typed values read from their stored rows.

`promotion_from_row` turns a `promotion_campaigns` row (plain column values, amounts in paise)
into a `Promotion` whose `rules` JSON has become a `BuyXGetY` or a `Target`; it refuses rules
the engine could not apply, with a sentence naming the campaign.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from domain.active_hours import ActiveHours, ActiveHoursError
from domain.errors import BadInput


class PromotionRuleError(BadInput):
    """A promotion or promo code row whose values the engine cannot apply."""


class PromotionType(StrEnum):
    """The three kinds of promotion (the `promotion_type` column)."""

    BUY_X_GET_Y = "buy_x_get_y"
    PERCENTAGE = "percentage"
    FIXED_AMOUNT = "fixed_amount"


class Scope(StrEnum):
    """What a percentage or fixed-amount promotion discounts."""

    ITEMS = "items"
    CATEGORY = "category"
    INVOICE = "invoice"


class CodeStatus(StrEnum):
    """The `status` column of a promo code."""

    ACTIVE = "active"
    PAUSED = "paused"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Selector:
    """Catalog items chosen by code or by category; a line matches if either list names it."""

    item_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def matches(self, item_code: str, category: str) -> bool:
        """True when an item with this code and category is selected."""
        return item_code in self.item_codes or category in self.categories

    @property
    def is_empty(self) -> bool:
        return not self.item_codes and not self.categories


@dataclass(frozen=True)
class BuyXGetY:
    """Buy `buy_quantity` units of `buy`, get `get_quantity` units of `get` at
    `get_discount_percent` off; with `repeat`, every further complete set counts too, up to
    `max_sets_per_invoice` (None: no limit)."""

    buy: Selector
    buy_quantity: int
    get: Selector
    get_quantity: int
    get_discount_percent: Decimal
    repeat: bool = False
    max_sets_per_invoice: int | None = None

    @property
    def set_limit(self) -> int | None:
        """How many sets one invoice may get (None: as many as the cart holds)."""
        if not self.repeat:
            return 1
        return self.max_sets_per_invoice


@dataclass(frozen=True)
class Target:
    """What a percentage or fixed-amount promotion discounts, and the items that must be on
    the invoice for it to apply (`requires_item_codes`: any one of them is enough)."""

    scope: Scope
    selector: Selector = Selector()
    requires_item_codes: tuple[str, ...] = ()

    def covers(self, item_code: str, category: str) -> bool:
        """True when a line of this item is discounted by the promotion."""
        return self.scope is Scope.INVOICE or self.selector.matches(item_code, category)


Rule = BuyXGetY | Target


@dataclass(frozen=True)
class Promotion:
    """One promotion campaign, as the engine needs it. Amounts are paise, percents Decimals.

    `discount_amount` is per unit on items and categories and once per invoice on the
    invoice; `max_discount_amount` caps the promotion's total on one invoice; dates are
    inclusive and in the branch's calendar; a lower `priority` applies earlier."""

    id: str
    campaign_code: str
    campaign_name: str
    promotion_type: PromotionType
    rule: Rule
    discount_percent: Decimal | None = None
    discount_amount: int | None = None
    min_purchase_amount: int = 0
    max_discount_amount: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    priority: int = 100
    is_stackable: bool = False
    override_max_discount: bool = False
    requires_code: bool = False
    max_total_uses: int | None = None
    max_uses_per_patient: int | None = None
    current_uses: int = 0
    is_active: bool = True
    # The branch's offline quota (rule 1): at most this many uses the centre has not
    # acknowledged; `offline_uses` is how many this branch has made so far.
    branch_offline_quota: int | None = None
    offline_uses: int = 0

    @property
    def order_key(self) -> tuple[int, str]:
        """Priority, then campaign code: the order promotions are applied and listed in."""
        return (self.priority, self.campaign_code)


@dataclass(frozen=True)
class PromoCode:
    """A code typed at the counter that unlocks a promotion marked `requires_code`.

    `max_uses` counts every invoice; `max_uses_per_patient` one patient's invoices.
    Dates are inclusive, in the branch's calendar. `active_hours` limits the code to a daily
    window in its own time zone; `limit_reached_on` is the branch's date on which the code
    expired by reaching `max_uses`, if it did."""

    code: str
    promotion_id: str
    status: CodeStatus = CodeStatus.ACTIVE
    valid_from: date | None = None
    valid_to: date | None = None
    max_uses: int | None = None
    current_uses: int = 0
    max_uses_per_patient: int | None = None
    id: str | None = None
    active_hours: ActiveHours = field(default_factory=ActiveHours)
    limit_reached_on: date | None = None

    @property
    def key(self) -> str:
        """The code as compared with what was typed (see `normalise_code`)."""
        return normalise_code(self.code)


def normalise_code(text: str) -> str:
    """Codes compare without surrounding spaces and case: ' glow20 ' is 'GLOW20'."""
    return text.strip().upper()


def _percent(value: Any, what: str) -> Decimal:
    try:
        percent = Decimal(str(value))
    except InvalidOperation as exc:
        raise PromotionRuleError(f"{what} must be a percentage, not {value!r}") from exc
    if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
        raise PromotionRuleError(f"{what} must be more than 0 and at most 100, not {value!r}")
    return percent


def _count(value: Any, what: str, default: int | None) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PromotionRuleError(f"{what} must be a whole number of at least 1, not {value!r}")
    return value


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PromotionRuleError(f"{what} must be a list of texts, not {value!r}")
    texts = tuple(str(v) for v in value)
    return tuple(dict.fromkeys(texts))


def _selector(part: Mapping[str, Any], what: str) -> Selector:
    return Selector(
        _strings(part.get("item_codes"), f"{what} item codes"),
        _strings(part.get("categories"), f"{what} categories"),
    )


def parse_rules(
    promotion_type: PromotionType, rules: Mapping[str, Any], discount_percent: Decimal | None
) -> Rule:
    """Read a promotion's `rules` JSON; `discount_percent` is the fallback for the free part."""
    if promotion_type is PromotionType.BUY_X_GET_Y:
        buy = rules.get("buy")
        get = rules.get("get")
        if not isinstance(buy, Mapping) or not isinstance(get, Mapping):
            raise PromotionRuleError("a buy X get Y promotion needs 'buy' and 'get' in its rules")
        buy_selector = _selector(buy, "buy")
        get_selector = _selector(get, "get")
        if buy_selector.is_empty or get_selector.is_empty:
            raise PromotionRuleError(
                "a buy X get Y promotion must name what to buy and what to get"
            )
        raw_percent = get.get("discount_percent", discount_percent)
        return BuyXGetY(
            buy=buy_selector,
            buy_quantity=_count(buy.get("quantity"), "the buy quantity", 1) or 1,
            get=get_selector,
            get_quantity=_count(get.get("quantity"), "the get quantity", 1) or 1,
            get_discount_percent=_percent(
                100 if raw_percent is None else raw_percent, "the get discount"
            ),
            repeat=bool(rules.get("repeat", False)),
            max_sets_per_invoice=_count(
                rules.get("max_sets_per_invoice"), "the sets per invoice", None
            ),
        )
    try:
        scope = Scope(rules.get("scope", Scope.INVOICE.value))
    except ValueError as exc:
        raise PromotionRuleError(f"unknown scope {rules.get('scope')!r}") from exc
    selector = _selector(rules, "target")
    if scope is Scope.ITEMS and not selector.item_codes:
        raise PromotionRuleError("a promotion on items must list item codes")
    if scope is Scope.CATEGORY and not selector.categories:
        raise PromotionRuleError("a promotion on categories must list categories")
    if scope is Scope.ITEMS:
        selector = Selector(selector.item_codes, ())
    elif scope is Scope.CATEGORY:
        selector = Selector((), selector.categories)
    else:
        selector = Selector()
    return Target(scope, selector, _strings(rules.get("requires_item_codes"), "required items"))


def promotion_from_row(row: Mapping[str, Any]) -> Promotion:
    """A `Promotion` from a `promotion_campaigns` row given as column name -> value
    (amounts in paise; missing optional columns take the model's defaults)."""
    code = str(row["campaign_code"])
    try:
        promotion_type = PromotionType(row["promotion_type"])
        percent = row.get("discount_percent")
        discount_percent = None if percent is None else _percent(percent, "the discount")
        amount = row.get("discount_amount")
        if promotion_type is PromotionType.PERCENTAGE and discount_percent is None:
            raise PromotionRuleError("a percentage promotion needs its discount percent")
        if promotion_type is PromotionType.FIXED_AMOUNT and (amount is None or amount <= 0):
            raise PromotionRuleError("a fixed-amount promotion needs an amount above zero")
        rule = parse_rules(promotion_type, row.get("rules") or {}, discount_percent)
    except (PromotionRuleError, ValueError) as exc:
        raise PromotionRuleError(f"Promotion {code}: {exc}") from exc
    return Promotion(
        id=str(row["id"]),
        campaign_code=code,
        campaign_name=str(row.get("campaign_name") or code),
        promotion_type=promotion_type,
        rule=rule,
        discount_percent=discount_percent,
        discount_amount=None if amount is None else int(amount),
        min_purchase_amount=int(row.get("min_purchase_amount") or 0),
        max_discount_amount=row.get("max_discount_amount"),
        start_date=row.get("start_date"),
        end_date=row.get("end_date"),
        priority=int(row.get("priority", 100)),
        is_stackable=bool(row.get("is_stackable", False)),
        override_max_discount=bool(row.get("override_max_discount", False)),
        requires_code=bool(row.get("requires_code", False)),
        max_total_uses=row.get("max_total_uses"),
        max_uses_per_patient=row.get("max_uses_per_patient"),
        current_uses=int(row.get("current_uses") or 0),
        is_active=bool(row.get("is_active", True)),
        branch_offline_quota=row.get("branch_offline_quota"),
        offline_uses=int(row.get("offline_uses") or 0),
    )


def promo_code_from_row(row: Mapping[str, Any]) -> PromoCode:
    """A `PromoCode` from a `promo_codes` row given as column name -> value."""
    try:
        status = CodeStatus(row.get("status", CodeStatus.ACTIVE.value))
    except ValueError as exc:
        raise PromotionRuleError(f"Code {row.get('code')}: unknown status") from exc
    ident = row.get("id")
    return PromoCode(
        code=str(row["code"]),
        promotion_id=str(row["promotion_id"]),
        status=status,
        valid_from=row.get("valid_from"),
        valid_to=row.get("valid_to"),
        max_uses=row.get("max_uses"),
        current_uses=int(row.get("current_uses") or 0),
        max_uses_per_patient=row.get("max_uses_per_patient"),
        id=None if ident is None else str(ident),
        active_hours=_active_hours(row),
        limit_reached_on=row.get("limit_reached_on"),
    )


def _active_hours(row: Mapping[str, Any]) -> ActiveHours:
    try:
        return ActiveHours.from_json(row.get("active_hours"))
    except ActiveHoursError as exc:
        raise PromotionRuleError(f"Code {row.get('code')}: {exc}") from exc
