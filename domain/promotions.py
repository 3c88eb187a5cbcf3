"""The promotion engine: prices a cart against the branch's promotions.

Pure: no database, no clock (`now` and the branch's `today` are passed in), money in paise.
`price_cart` returns each line's discount, promotion and badge, the invoice totals (GST is
included in catalog prices), the `campaigns_applied` JSON of seed 000, why every related
promotion did not apply, and near misses the counter can offer.

How a cart is priced (the rules a clinic manager reads):

1. A promotion is considered only when it is switched on, today (the branch's date) lies
   within its start and end dates (both included), it has uses left in total and for this
   patient (and, with a branch offline quota, this branch has made fewer uses the centre
   has not acknowledged than its quota), its promo code was entered if it needs one, the
   items it needs are on the invoice, and the invoice's gross (before any discount)
   reaches its minimum spend.
2. Each promotion either combines with others or is exclusive. A line is discounted either
   by one exclusive promotion or by the combinable promotions, never by both.
3. The combinable promotions count as one team. The exclusive promotions and the team
   compete for the lines: whichever saves the patient the most on the lines still free takes
   the lines it discounts; then the best of the rest takes from the lines still free, and so
   on until nothing more can be saved. Ties go to the lower priority number, then to the
   campaign code (the team counts with its first member's). A promotion that loses some
   lines still applies to the others; what it needs (items to buy, items required, minimum
   spend) is always judged on the whole invoice. An exclusive promotion on the whole
   invoice needs every line: it applies only if it wins before anything else takes a line,
   and then nothing else applies to the invoice.
4. Within the team, promotions apply in priority order (then campaign code), each to what
   is left of the line after the ones before it: 20% then 10% on Rs.1,000 leaves Rs.720.
5. Buy X get Y: each set takes the bought units first and then the discounted units, each
   time the most expensive units left, preferring units that can only play that part;
   with "repeat" every further complete set counts, up to the sets allowed per invoice.
6. A percentage is taken from what is left of each line, rounded half-up to the paisa per
   line. A fixed amount on items or categories is per unit; on the invoice it is given once,
   spread over the lines in proportion to what is left of them, in exact paise.
7. No line is discounted beyond its item's maximum discount percent unless the promotion
   overrides that maximum, and no line beyond its own amount. Paise an invoice-wide fixed
   amount cannot give one line go to the other lines.
8. A promotion's cap (maximum discount) limits its total on the invoice: the cap is shared
   among the lines it discounted in proportion to their discounts, the paise going by
   largest remainder (ties to the earlier line in the fixed order of rule 10).
9. Manual discounts come last: a percentage of what is left of the line, never beyond what
   the item's maximum discount percent still allows.
10. The order in which lines were typed never matters: lines are handled in a fixed order
    (item code, then price from high to low, quantity, item id, line key).
11. A hint (a near miss: "Add Consultation to get it free") is offered only when taking it
    would really apply the promotion: the cart is priced again with what the hint names
    added, and the hint stays only if the promotion then gives a discount. "Add X" adds the
    units it names of X (on X's first line if X is on the invoice, else a line of X from
    the catalog); a hint naming several items keeps only those that work. "Add Rs.N more"
    adds a line worth Rs.N that no promotion names; if spending it on an item another hint
    suggests would keep the promotion out, the hint says "other than" that item. An item
    the engine cannot price (not on the invoice, not in the catalog it was given) and a
    category cannot be checked, and are named as before. The cart is priced again for at
    most eight different additions; a hint that would need more is not offered.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from domain.money import PAISE_PER_RUPEE, format_rupees, paise_to_decimal, round_half_up
from domain.promotion_rules import (
    BuyXGetY,
    CodeStatus,
    PromoCode,
    Promotion,
    PromotionType,
    Scope,
    Selector,
    Target,
    normalise_code,
)

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_NO_LINES: list[int] = []  # shared and never changed
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ----------------------------------------------------------------------------- inputs


class ItemType(StrEnum):
    """A catalog item is a service or a product."""

    SERVICE = "service"
    PRODUCT = "product"


@dataclass(frozen=True)
class CartLine:
    """One line of the cart. `unit_price` is paise and includes GST at `tax_rate` percent;
    `manual_discount_percent` is what the receptionist typed (already within their limit)."""

    line_key: str
    item_id: str
    item_code: str
    name: str
    item_type: ItemType
    category: str
    unit_price: int
    quantity: int
    max_discount_percent: Decimal = _HUNDRED
    tax_rate: Decimal = Decimal(0)
    manual_discount_percent: Decimal | None = None

    @property
    def gross_amount(self) -> int:
        """Quantity times unit price, in paise."""
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class PatientHistory:
    """Who the invoice is for (None: a walk-in) and how often they used each promotion
    (by promotion id) and each promo code (by code, as `normalise_code` writes it)."""

    patient_id: str | None = None
    prior_uses: Mapping[str, int] = field(default_factory=dict)
    prior_code_uses: Mapping[str, int] = field(default_factory=dict)


WALK_IN = PatientHistory()


class PromotionBook:
    """A branch's promotions indexed by item code and category, so pricing a cart skips the
    promotions that have nothing to do with it. Build it when the promotions change and
    reuse it for every cart."""

    __slots__ = (
        "promotions",
        "_by_code",
        "_by_category",
        "_everywhere",
        "_by_id",
        "selectors_by_code",
        "selectors_by_category",
        "selector_ids",
    )

    def __init__(self, promotions: Iterable[Promotion]) -> None:
        self.promotions: tuple[Promotion, ...] = tuple(sorted(promotions, key=_order_key))
        self._by_id: dict[str, int] = {}
        self._by_code: dict[str, list[int]] = {}
        self._by_category: dict[str, list[int]] = {}
        self._everywhere: list[int] = []
        # Every rule's selectors by the codes and categories they name: a cart finds the
        # lines of all of them in one pass over its lines.
        self.selectors_by_code: dict[str, list[Selector]] = {}
        self.selectors_by_category: dict[str, list[Selector]] = {}
        self.selector_ids: set[int] = set()
        for index, promotion in enumerate(self.promotions):
            if promotion.id in self._by_id:
                raise ValueError(f"Promotion {promotion.id} is listed twice")
            self._by_id[promotion.id] = index
            codes, categories, everywhere = _index_keys(promotion)
            for code in codes:
                self._by_code.setdefault(code, []).append(index)
            for category in categories:
                self._by_category.setdefault(category, []).append(index)
            if everywhere:
                self._everywhere.append(index)
            for selector in _selectors(promotion):
                if id(selector) in self.selector_ids:
                    continue
                self.selector_ids.add(id(selector))
                for code in selector.item_codes:
                    self.selectors_by_code.setdefault(code, []).append(selector)
                for category in selector.categories:
                    self.selectors_by_category.setdefault(category, []).append(selector)

    def get(self, promotion_id: str) -> Promotion | None:
        """The promotion with this id, if the book holds it."""
        index = self._by_id.get(promotion_id)
        return None if index is None else self.promotions[index]

    def related(
        self, item_codes: Iterable[str], categories: Iterable[str], promotion_ids: Iterable[str]
    ) -> list[Promotion]:
        """Promotions that name one of these items or categories, cover the whole invoice,
        or have one of these ids; in priority order."""
        found: set[int] = set(self._everywhere)
        for code in item_codes:
            found.update(self._by_code.get(code, ()))
        for category in categories:
            found.update(self._by_category.get(category, ()))
        found.update(self._by_id[i] for i in promotion_ids if i in self._by_id)
        return [self.promotions[i] for i in sorted(found)]


def _order_key(promotion: Promotion) -> tuple[int, str]:
    return promotion.order_key


def _selectors(promotion: Promotion) -> tuple[Selector, ...]:
    rule = promotion.rule
    if isinstance(rule, BuyXGetY):
        return (rule.buy, rule.get)
    return () if rule.scope is Scope.INVOICE else (rule.selector,)


def _index_keys(promotion: Promotion) -> tuple[set[str], set[str], bool]:
    rule = promotion.rule
    if isinstance(rule, BuyXGetY):
        codes = set(rule.buy.item_codes) | set(rule.get.item_codes)
        return codes, set(rule.buy.categories) | set(rule.get.categories), False
    codes = set(rule.selector.item_codes) | set(rule.requires_item_codes)
    return codes, set(rule.selector.categories), rule.scope is Scope.INVOICE


# ----------------------------------------------------------------------------- outputs


class DiscountType(StrEnum):
    """Where a line's discount came from (the `discount_type` column)."""

    PROMOTION = "promotion"
    MANUAL = "manual"


class Reason(StrEnum):
    """Why a promotion (or a typed code) did not apply."""

    INACTIVE = "inactive"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    LIMIT_REACHED = "limit_reached"
    PATIENT_LIMIT_REACHED = "patient_limit_reached"
    NEEDS_CODE = "needs_code"
    CONDITIONS_UNMET = "conditions_unmet"
    MIN_SPEND_NOT_MET = "min_spend_not_met"
    LOST_TO_BETTER = "lost_to_better"
    AT_MAX_DISCOUNT = "at_max_discount"
    UNKNOWN_CODE = "unknown_code"
    OUTSIDE_HOURS = "outside_hours"


class NearMissKind(StrEnum):
    """What the patient would have to add to get a promotion."""

    ADD_ITEMS = "add_items"
    SPEND_MORE = "spend_more"


@dataclass(frozen=True)
class PromotionShare:
    """One promotion's part of one line's discount (paise) and its badge."""

    promotion_id: str
    campaign_code: str
    amount: int
    badge: str


@dataclass(frozen=True)
class PricedLine:
    """A cart line with its discount. Amounts are paise: `discount_amount` is promotions
    plus manual; `line_total` what the patient pays for the line, GST included, of which
    `tax_amount` is the GST. `promotion_id` names the promotion with the largest share."""

    line: CartLine
    gross_amount: int
    discount_type: DiscountType | None
    discount_percent: Decimal
    discount_amount: int
    promotion_id: str | None
    badge_text: str | None
    promotion_discount: int
    manual_discount: int
    shares: tuple[PromotionShare, ...]
    tax_amount: int
    line_total: int

    @property
    def line_key(self) -> str:
        return self.line.line_key


@dataclass(frozen=True)
class AppliedPromotion:
    """A promotion that gave a discount: its total (paise), the items it discounted and
    the promo code that unlocked it, if one was typed."""

    promotion_id: str
    campaign_code: str
    campaign_name: str
    promotion_type: PromotionType
    discount_amount: int
    items_affected: tuple[str, ...]
    line_keys: tuple[str, ...]
    promo_code: str | None = None
    promo_code_id: str | None = None


@dataclass(frozen=True)
class Totals:
    """The invoice's figures in paise. `net` is the sum of the lines (GST included), `tax`
    the GST inside it, `round_off` brings `payable` to the rupee (half-up)."""

    gross: int
    promotion_discount: int
    manual_discount: int
    total_discount: int
    net: int
    tax: int
    round_off: int
    payable: int

    @property
    def you_save(self) -> int:
        """What the patient saved, all discounts together."""
        return self.total_discount

    @property
    def taxable(self) -> int:
        """The net amount without its GST."""
        return self.net - self.tax


@dataclass(frozen=True)
class NotApplied:
    """A promotion related to the cart that gave nothing, why, and a sentence saying so.
    `lost_to` lists the campaign codes that took its lines."""

    promotion_id: str
    campaign_code: str
    campaign_name: str
    reason: Reason
    message: str
    lost_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class NearMiss:
    """A promotion one step away: the items to add (codes and how many) or the rupees to
    spend (paise), with the sentence the counter shows."""

    promotion_id: str
    campaign_code: str
    kind: NearMissKind
    message: str
    missing_item_codes: tuple[str, ...] = ()
    missing_quantity: int = 0
    missing_amount: int = 0


@dataclass(frozen=True)
class CodeOutcome:
    """What became of one typed code: applied, or the reason and a sentence."""

    code: str
    applied: bool
    promotion_id: str | None
    reason: Reason | None
    message: str


@dataclass(frozen=True)
class PricedCart:
    """Everything the counter shows about a priced cart. Lines keep the input order;
    applied promotions, explanations and near misses are in priority order."""

    lines: tuple[PricedLine, ...]
    totals: Totals
    applied: tuple[AppliedPromotion, ...]
    not_applied: tuple[NotApplied, ...]
    near_misses: tuple[NearMiss, ...]
    codes: tuple[CodeOutcome, ...]

    def line(self, line_key: str) -> PricedLine:
        """The priced line with this key."""
        for priced in self.lines:
            if priced.line_key == line_key:
                return priced
        raise KeyError(line_key)

    @property
    def campaigns_applied(self) -> dict[str, Any] | None:
        """The invoice's `campaigns_applied` JSON in seed 000's shape (rupee amounts as
        Decimals with two places), or None when no promotion applied."""
        if not self.applied:
            return None
        return {
            "applied_promotions": [
                {
                    "promotion_id": applied.promotion_id,
                    "campaign_name": applied.campaign_name,
                    "campaign_code": applied.campaign_code,
                    "promotion_type": applied.promotion_type.value,
                    "items_affected": list(applied.items_affected),
                    "total_discount": paise_to_decimal(applied.discount_amount),
                }
                for applied in self.applied
            ]
        }


# ----------------------------------------------------------------------------- the cart


@dataclass(slots=True)
class _Fit:
    """The lines a promotion discounts in one cart (the free-unit candidates for buy X get
    Y) and their gross, maximum-discount and unit totals."""

    lines: list[int]
    relevant: frozenset[int]
    gross: int
    limit: int
    units: int


def _canonical_key(line: CartLine) -> tuple[str, int, int, str, str]:
    return (line.item_code, -line.unit_price, line.quantity, line.item_id, line.line_key)


class _Cart:
    """The lines in their fixed order, with what every promotion needs to look up."""

    def __init__(self, lines: Sequence[CartLine], respect_max_discount: bool) -> None:
        self.lines = sorted(lines, key=_canonical_key)
        self.respect_max_discount = respect_max_discount
        self.size = len(self.lines)
        self.gross = [line.gross_amount for line in self.lines]
        self.quantities = [line.quantity for line in self.lines]
        self.total_gross = sum(self.gross)
        self.limit = [
            _max_discount(line) if respect_max_discount else line.gross_amount
            for line in self.lines
        ]
        self.by_code: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        for index, line in enumerate(self.lines):
            self.by_code.setdefault(line.item_code, []).append(index)
            self.by_category.setdefault(line.category, []).append(index)
        self.everything = frozenset(range(self.size))
        # Keyed by id(): the selectors and rules live as long as the pricing call.
        self._matches: dict[int, list[int]] = {}
        self._pairs: dict[int, tuple[int, dict[int, int]]] = {}
        self._fits: dict[int, _Fit] = {}
        self._units: dict[int, int] = {}
        self._scanned: set[int] = set()
        self._all = list(range(self.size))

    def scan(self, book: PromotionBook) -> None:
        """Find the lines of every selector in the book in one pass over the lines."""
        matches = self._matches
        for index, line in enumerate(self.lines):
            for selectors in (
                book.selectors_by_code.get(line.item_code, ()),
                book.selectors_by_category.get(line.category, ()),
            ):
                for selector in selectors:
                    found = matches.get(id(selector))
                    if found is None:
                        matches[id(selector)] = [index]
                    elif found[-1] != index:
                        found.append(index)
        self._scanned = book.selector_ids

    def matching(self, selector: Selector) -> list[int]:
        """Indexes of the lines a selector picks, in the fixed order."""
        found = self._matches.get(id(selector))
        if found is None:
            if id(selector) in self._scanned:
                return _NO_LINES
            picked: set[int] = set()
            for code in selector.item_codes:
                picked.update(self.by_code.get(code, ()))
            for category in selector.categories:
                picked.update(self.by_category.get(category, ()))
            found = sorted(picked)
            self._matches[id(selector)] = found
        return found

    def pair(self, rule: BuyXGetY, free: frozenset[int]) -> tuple[int, dict[int, int]]:
        """`_pair`, remembered for the whole cart."""
        if free is not self.everything:
            return _pair(rule, self, free)
        found = self._pairs.get(id(rule))
        if found is None:
            found = self._pairs[id(rule)] = _pair(rule, self, free)
        return found

    def fit(self, promotion: Promotion) -> _Fit:
        """Where the promotion lands in this cart (remembered)."""
        found = self._fits.get(id(promotion))
        if found is None:
            rule = promotion.rule
            lines = self.matching(rule.get) if isinstance(rule, BuyXGetY) else self.covered(rule)
            gross = limit = units = 0
            for index in lines:
                gross += self.gross[index]
                limit += self.limit[index]
                units += self.quantities[index]
            found = _Fit(lines, frozenset(lines), gross, limit, units)
            self._fits[id(promotion)] = found
        return found

    def relevant(self, promotion: Promotion) -> frozenset[int]:
        """The lines whose being free changes what the promotion gives."""
        return self.fit(promotion).relevant

    def covered(self, target: Target) -> list[int]:
        """Indexes of the lines a percentage or fixed-amount promotion discounts."""
        if target.scope is Scope.INVOICE:
            return self._all
        return self.matching(target.selector)

    def units(self, selector: Selector) -> int:
        found = self._units.get(id(selector))
        if found is None:
            found = self._units[id(selector)] = sum(
                self.quantities[i] for i in self.matching(selector)
            )
        return found

    def has_any(self, item_codes: Iterable[str]) -> bool:
        return any(code in self.by_code for code in item_codes)


def _max_discount(line: CartLine) -> int:
    """The most a line may be discounted: rounded down, so the percent is never exceeded."""
    allowed = Decimal(line.gross_amount) * line.max_discount_percent / _HUNDRED
    return int(allowed.to_integral_value(rounding=ROUND_DOWN))


def _check_lines(lines: Sequence[CartLine]) -> None:
    keys: set[str] = set()
    for line in lines:
        if line.line_key in keys:
            raise ValueError(f"Two cart lines share the key {line.line_key!r}")
        keys.add(line.line_key)
        if line.quantity < 1:
            raise ValueError(f"{line.name}: the quantity must be at least 1")
        if line.unit_price < 0:
            raise ValueError(f"{line.name}: the price cannot be negative")
        if not Decimal(0) <= line.max_discount_percent <= _HUNDRED:
            raise ValueError(f"{line.name}: the maximum discount must be 0 to 100 percent")
        manual = line.manual_discount_percent
        if manual is not None and not Decimal(0) <= manual <= _HUNDRED:
            raise ValueError(f"{line.name}: a manual discount must be 0 to 100 percent")
        if line.tax_rate < 0:
            raise ValueError(f"{line.name}: the tax rate cannot be negative")


# ----------------------------------------------------------------------------- allocation


@dataclass(slots=True)
class _Alloc:
    """One promotion's discount per line index (paise); `nominal` lines got the promotion's
    stated rate, untouched by a cap or a maximum."""

    promotion: Promotion
    amounts: dict[int, int]
    nominal: set[int]

    @property
    def total(self) -> int:
        return sum(self.amounts.values())


def _largest_remainder(total: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Split `total` paise in proportion to `weights`; the leftover paise go to the largest
    remainders, ties to the lower line index."""
    weight = sum(weights.values())
    if weight <= 0:
        return dict.fromkeys(weights, 0)
    shares: dict[int, int] = {}
    remainders: list[tuple[int, int]] = []
    for index, w in weights.items():
        share, remainder = divmod(total * w, weight)
        shares[index] = share
        remainders.append((-remainder, index))
    remainders.sort()
    for _, index in remainders[: total - sum(shares.values())]:
        shares[index] += 1
    return shares


def _spread(total: int, weights: Mapping[int, int], limits: Mapping[int, int]) -> dict[int, int]:
    """Spread `total` in proportion to `weights` without passing any line's limit; what one
    line cannot take goes to the others (in proportion again)."""
    given = dict.fromkeys(weights, 0)
    left = min(total, sum(limits.values()))
    active = [i for i in weights if limits[i] > 0 and weights[i] > 0]
    while left > 0 and active:
        shares = _largest_remainder(left, {i: weights[i] for i in active})
        still: list[int] = []
        for index in active:
            give = min(shares[index], limits[index] - given[index])
            given[index] += give
            left -= give
            if given[index] < limits[index]:
                still.append(index)
        active = still
    return given


def _take(order: Sequence[int], left: dict[int, int], need: int) -> dict[int, int] | None:
    took: dict[int, int] = {}
    for index in order:
        if need == 0:
            break
        count = min(left[index], need)
        if count:
            took[index] = count
            left[index] -= count
            need -= count
    if need:
        for index, count in took.items():
            left[index] += count
        return None
    return took


def _pair(rule: BuyXGetY, cart: _Cart, free: frozenset[int]) -> tuple[int, dict[int, int]]:
    """How many buy X get Y sets the cart makes and how many discounted units fall on each
    free line (rule 5)."""
    buy = set(cart.matching(rule.buy))
    get = {i for i in cart.matching(rule.get) if i in free}
    if not buy or not get:
        return 0, {}

    def dearest_first(indexes: set[int]) -> list[int]:
        return sorted(indexes, key=lambda i: (-cart.lines[i].unit_price, i))

    both = buy & get
    buy_order = dearest_first(buy - get) + dearest_first(both)
    get_order = dearest_first(get - buy) + dearest_first(both)
    left = {i: cart.lines[i].quantity for i in buy | get}
    most = sum(left.values()) // (rule.buy_quantity + rule.get_quantity)
    limit = most if rule.set_limit is None else min(most, rule.set_limit)
    got: dict[int, int] = {}
    sets = 0
    while sets < limit:
        bought = _take(buy_order, left, rule.buy_quantity)
        if bought is None:
            break
        taken = _take(get_order, left, rule.get_quantity)
        if taken is None:
            for index, count in bought.items():
                left[index] += count
            break
        for index, count in taken.items():
            got[index] = got.get(index, 0) + count
        sets += 1
    return sets, got


def _evaluate(
    promotion: Promotion,
    cart: _Cart,
    free: frozenset[int],
    remaining: Sequence[int],
    taken: Sequence[int],
) -> _Alloc:
    """What one promotion gives the free lines, given what is left of each line and what
    it already carries (rules 5 to 8)."""
    rule = promotion.rule

    def headroom(index: int) -> int:
        if promotion.override_max_discount:
            return remaining[index]
        return max(0, min(remaining[index], cart.limit[index] - taken[index]))

    raw: dict[int, int] = {}
    if isinstance(rule, BuyXGetY):
        percent = rule.get_discount_percent
        for index, units in cart.pair(rule, free)[1].items():
            share = Decimal(remaining[index] * units) * percent
            raw[index] = round_half_up(share / (cart.lines[index].quantity * _HUNDRED))
    else:
        targets = [i for i in cart.fit(promotion).lines if i in free and remaining[i] > 0]
        if promotion.promotion_type is PromotionType.PERCENTAGE:
            percent = promotion.discount_percent or Decimal(0)
            for index in targets:
                raw[index] = round_half_up(Decimal(remaining[index]) * percent / _HUNDRED)
        elif rule.scope is not Scope.INVOICE:
            per_unit = promotion.discount_amount or 0
            for index in targets:
                raw[index] = min(per_unit * cart.lines[index].quantity, remaining[index])
        else:
            spread = _spread(
                promotion.discount_amount or 0,
                {i: remaining[i] for i in targets},
                {i: headroom(i) for i in targets},
            )
            raw = {i: amount for i, amount in spread.items() if amount > 0}
    amounts: dict[int, int] = {}
    nominal: set[int] = set()
    for index, wanted in raw.items():
        amount = min(wanted, headroom(index))
        if amount > 0:
            amounts[index] = amount
            if amount == wanted:
                nominal.add(index)
    cap = promotion.max_discount_amount
    if cap is not None and sum(amounts.values()) > cap:
        amounts = {i: a for i, a in _largest_remainder(cap, amounts).items() if a > 0}
        nominal = set()
    return _Alloc(promotion, amounts, nominal)


@dataclass
class _Contestant:
    """An exclusive promotion, or the team of combinable ones (rule 3)."""

    members: list[Promotion]
    seq: int
    relevant: frozenset[int] = frozenset()
    key: tuple[int, str] = field(init=False)
    is_team: bool = field(init=False)
    # An exclusive promotion on the invoice takes every line or none (rule 3).
    wants_whole_invoice: bool = field(init=False)

    def __post_init__(self) -> None:
        first = self.members[0]
        self.key = first.order_key
        self.is_team = first.is_stackable
        rule = first.rule
        self.wants_whole_invoice = (
            not self.is_team and isinstance(rule, Target) and rule.scope is Scope.INVOICE
        )

    def bound(self, cart: _Cart) -> int:
        """At most what the contestant can save (see `_bound`)."""
        if not self.is_team:
            return _bound(self.members[0], cart)
        total = sum(_bound(member, cart) for member in self.members)
        return min(total, sum(cart.gross[i] for i in self.relevant))

    def evaluate(self, cart: _Cart, free: frozenset[int]) -> list[_Alloc]:
        if not self.is_team:
            promotion = self.members[0]
            if self.wants_whole_invoice and free != cart.everything:
                return [_Alloc(promotion, {}, set())]
            return [_evaluate(promotion, cart, free, cart.gross, [0] * cart.size)]
        remaining = list(cart.gross)
        taken = [0] * cart.size
        allocs: list[_Alloc] = []
        for member in self.members:
            alloc = _evaluate(member, cart, free, remaining, taken)
            for index, amount in alloc.amounts.items():
                remaining[index] -= amount
                taken[index] += amount
            allocs.append(alloc)
        return allocs


def _bound(promotion: Promotion, cart: _Cart) -> int:
    """A cheap figure the promotion can never save more than, whatever lines are free."""
    fit = cart.fit(promotion)
    rule = promotion.rule
    ceiling = fit.gross if promotion.override_max_discount else min(fit.gross, fit.limit)
    if promotion.promotion_type is PromotionType.FIXED_AMOUNT:
        amount = promotion.discount_amount or 0
        if isinstance(rule, Target) and rule.scope is not Scope.INVOICE:
            amount *= fit.units
        ceiling = min(ceiling, amount)
    else:
        percent = (
            rule.get_discount_percent
            if isinstance(rule, BuyXGetY)
            else promotion.discount_percent or _HUNDRED
        )
        if percent < _HUNDRED:
            # Each line rounds half-up on its own: at most half a paisa more per line.
            share = Decimal(fit.gross) * percent / _HUNDRED
            ceiling = min(ceiling, int(share.to_integral_value(ROUND_CEILING)) + len(fit.lines))
    cap = promotion.max_discount_amount
    return ceiling if cap is None else min(ceiling, cap)


def _compete(cart: _Cart, contestants: list[_Contestant]) -> list[list[_Alloc]]:
    """Hand the lines to the contestants by rule 3; return each line's allocations."""
    per_line: list[list[_Alloc]] = [[] for _ in range(cart.size)]
    for _, allocs in _claims(cart, contestants):
        for alloc in allocs:
            for index in alloc.amounts:
                per_line[index].append(alloc)
    return per_line


def _claims(
    cart: _Cart, contestants: list[_Contestant]
) -> Iterator[tuple[_Contestant, list[_Alloc]]]:
    """Rule 3: each contestant as it takes its lines, with what it gives them, best first;
    a contestant that can no longer take any line comes with nothing.

    A contestant can only save less as lines are taken. The heap starts from upper bounds
    and a contestant is priced exactly only when it reaches the top (again only if a line
    it cares about was taken since), so the greedy choice is exact but most contestants
    are never priced."""
    free = cart.everything
    latest: dict[int, list[_Alloc]] = {}
    # The lines a contestant cared about that were free when it was last priced.
    priced_on: dict[int, frozenset[int]] = {}
    heap: list[tuple[int, int, str, int]] = []
    for contestant in contestants:
        bound = contestant.bound(cart)
        if bound > 0:
            heap.append((-bound, *contestant.key, contestant.seq))
    heapq.heapify(heap)
    by_seq = {c.seq: c for c in contestants}
    while heap and free:
        _, priority, code, seq = heapq.heappop(heap)
        contestant = by_seq[seq]
        still = contestant.relevant & free
        if not still or (contestant.wants_whole_invoice and free is not cart.everything):
            yield contestant, []
            continue
        if priced_on.get(seq) != still:
            allocs = contestant.evaluate(cart, free)
            latest[seq] = allocs
            priced_on[seq] = still
            saving = sum(a.total for a in allocs)
            if saving > 0:
                heapq.heappush(heap, (-saving, priority, code, seq))
            else:
                yield contestant, []
            continue
        claimed: set[int] = set(free) if contestant.wants_whole_invoice else set()
        for alloc in latest[seq]:
            claimed.update(alloc.amounts)
        free = free - claimed
        yield contestant, latest[seq]


# ----------------------------------------------------------------------------- sentences


def _day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _short_rupees(paise: int) -> str:
    """'Rs.500' for whole rupees, 'Rs.250.50' otherwise (badge style)."""
    return format_rupees(paise).removesuffix(".00")


def _percent_text(percent: Decimal) -> str:
    return format(percent.normalize(), "f")


def _uses(count: int) -> str:
    return "1 use" if count == 1 else f"{count} uses"


def _times(count: int) -> str:
    return "1 time" if count == 1 else f"{count} times"


def _either(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def _few(codes: Sequence[str]) -> str:
    """At most three codes, then how many more."""
    if len(codes) <= 3:
        return _either(codes)
    return f"{', '.join(codes[:3])} and {len(codes) - 3} more"


class _Names:
    """Display names for item codes: the caller's catalog names, else the cart's, else
    the code itself."""

    def __init__(
        self, cart: _Cart, item_names: Mapping[str, str], catalog: Mapping[str, CartLine]
    ) -> None:
        self._names = {code: line.name for code, line in catalog.items()}
        self._names.update((line.item_code, line.name) for line in cart.lines)
        self._names.update(item_names)
        self._said: dict[int, str] = {}

    def of(self, selector: Selector) -> str:
        said = self._said.get(id(selector))
        if said is None:
            names = [self._names.get(code, code) for code in selector.item_codes]
            said = self._said[id(selector)] = _either(names + list(selector.categories))
        return said

    def of_codes(self, codes: Sequence[str], categories: Sequence[str] = ()) -> str:
        return _either([self._names.get(code, code) for code in codes] + list(categories))


def _counted(count: int, what: str) -> str:
    return what if count == 1 else f"{count} x {what}"


def _benefit(promotion: Promotion, names: _Names) -> str:
    """What the promotion gives, for a hint: 'Consultation free', '20% off Skincare'."""
    rule = promotion.rule
    if isinstance(rule, BuyXGetY):
        get = _counted(rule.get_quantity, names.of(rule.get))
        if rule.get_discount_percent == _HUNDRED:
            return f"{get} free"
        return f"{_percent_text(rule.get_discount_percent)}% off {get}"
    if promotion.promotion_type is PromotionType.PERCENTAGE:
        text = f"{_percent_text(promotion.discount_percent or Decimal(0))}% off"
    else:
        text = f"{_short_rupees(promotion.discount_amount or 0)} off"
    if rule.scope is Scope.INVOICE:
        return text
    return f"{text} {names.of(rule.selector)}"


def _badge(alloc: _Alloc, index: int) -> str:
    promotion = alloc.promotion
    amount = alloc.amounts[index]
    code = promotion.campaign_code
    nominal = index in alloc.nominal
    rule = promotion.rule
    if isinstance(rule, BuyXGetY) and nominal and rule.get_discount_percent == _HUNDRED:
        return f"{_short_rupees(amount)} Free ({code})"
    if promotion.promotion_type is PromotionType.PERCENTAGE and nominal:
        return f"{_percent_text(promotion.discount_percent or Decimal(0))}% off ({code})"
    return f"{_short_rupees(amount)} off ({code})"


# ----------------------------------------------------------------------------- checks


_ITEMS = "\x00items"  # where a hint's items are named, once it knows which work (rule 11)


@dataclass(frozen=True, slots=True)
class _Hint:
    """A near miss before it is checked (rule 11): the item codes it names (and categories,
    which cannot be checked) with how many units to add, or the paise to spend; `words` is
    its sentence with `_ITEMS` where the items' names go."""

    promotion: Promotion
    kind: NearMissKind
    words: str
    codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    quantity: int = 0
    amount: int = 0


@dataclass(slots=True)
class _Miss:
    reason: Reason
    message: str
    near: _Hint | None = None


def _gate(promotion: Promotion, today: date, patient: PatientHistory) -> _Miss | None:
    code = promotion.campaign_code
    most = promotion.max_total_uses
    # A promotion switched off because it reached its limit says so, not just "off".
    if most is not None and promotion.current_uses >= most:
        return _Miss(Reason.LIMIT_REACHED, f"{code} has been used {_times(most)}, its limit.")
    quota = promotion.branch_offline_quota
    if quota is not None and promotion.offline_uses >= quota:
        return _Miss(
            Reason.LIMIT_REACHED,
            f"{code} has been used {_times(promotion.offline_uses)} here since the centre last "
            f"counted, this branch's offline quota: sync with the centre to use it again.",
        )
    if not promotion.is_active:
        return _Miss(Reason.INACTIVE, f"{code} is switched off.")
    if promotion.start_date is not None and today < promotion.start_date:
        return _Miss(Reason.NOT_YET_VALID, f"{code} starts on {_day(promotion.start_date)}.")
    if promotion.end_date is not None and today > promotion.end_date:
        return _Miss(Reason.EXPIRED, f"{code} ended on {_day(promotion.end_date)}.")
    per_patient = promotion.max_uses_per_patient
    if per_patient is not None and patient.patient_id is not None:
        used = patient.prior_uses.get(promotion.id, 0)
        if used >= per_patient:
            return _Miss(
                Reason.PATIENT_LIMIT_REACHED,
                f"This patient has used {code} {_times(used)}; "
                f"the limit is {_times(per_patient)} per patient.",
            )
    return None


def _code_problem(
    code: PromoCode, now: datetime, today: date, patient: PatientHistory
) -> _Miss | None:
    text = code.key
    if code.status is CodeStatus.PAUSED:
        return _Miss(Reason.INACTIVE, f"The code {text} is paused.")
    if code.status is CodeStatus.EXPIRED:
        if code.limit_reached_on is not None and code.max_uses is not None:
            return _Miss(
                Reason.LIMIT_REACHED,
                f"This code reached its limit of {_uses(code.max_uses)} on "
                f"{_day(code.limit_reached_on)}.",
            )
        return _Miss(Reason.EXPIRED, f"The code {text} has expired.")
    if code.valid_from is not None and today < code.valid_from:
        return _Miss(
            Reason.NOT_YET_VALID, f"The code {text} is valid from {_day(code.valid_from)}."
        )
    if code.valid_to is not None and today > code.valid_to:
        return _Miss(Reason.EXPIRED, f"The code {text} expired on {_day(code.valid_to)}.")
    if code.max_uses is not None and code.current_uses >= code.max_uses:
        return _Miss(
            Reason.LIMIT_REACHED,
            f"The code {text} has been used {_times(code.max_uses)}, its limit.",
        )
    hours = code.active_hours
    if not hours.allows(now):
        return _Miss(
            Reason.OUTSIDE_HOURS,
            f"The code {text} works only {hours.describe()}; "
            f"it is {hours.local_minute(now):%H:%M} there now.",
        )
    per_patient = code.max_uses_per_patient
    if per_patient is not None and patient.patient_id is not None:
        used = patient.prior_code_uses.get(text, 0)
        if used >= per_patient:
            return _Miss(
                Reason.PATIENT_LIMIT_REACHED,
                f"This patient has used the code {text} {_times(used)}; "
                f"the limit is {_times(per_patient)} per patient.",
            )
    return None


def _add(promotion: Promotion, words: str, selector: Selector, quantity: int) -> _Hint:
    """A hint to add `quantity` units of what the selector picks."""
    return _Hint(
        promotion,
        NearMissKind.ADD_ITEMS,
        words,
        codes=selector.item_codes,
        categories=selector.categories,
        quantity=quantity,
    )


def _conditions(promotion: Promotion, cart: _Cart, names: _Names) -> _Miss | None:
    """Whether the whole cart meets what the promotion needs (rule 1); if not, why."""
    if _meets(promotion, cart):
        return None
    return _unmet(promotion, cart, names)


def _meets(promotion: Promotion, cart: _Cart) -> bool:
    """Whether the whole cart meets what the promotion needs (rule 1)."""
    rule = promotion.rule
    if isinstance(rule, BuyXGetY):
        met = (
            cart.units(rule.buy) >= rule.buy_quantity and cart.units(rule.get) >= rule.get_quantity
        )
        if met and not cart.fit(promotion).relevant.isdisjoint(cart.matching(rule.buy)):
            met = cart.pair(rule, cart.everything)[0] > 0
    else:
        met = (rule.scope is Scope.INVOICE or bool(cart.fit(promotion).lines)) and (
            not rule.requires_item_codes or cart.has_any(rule.requires_item_codes)
        )
    return met and promotion.min_purchase_amount <= cart.total_gross


def _unmet(promotion: Promotion, cart: _Cart, names: _Names) -> _Miss:
    """Why the cart does not meet what the promotion needs, and the near miss when only one
    thing is missing."""
    code = promotion.campaign_code
    rule = promotion.rule
    short = max(0, promotion.min_purchase_amount - cart.total_gross)
    benefit = _benefit(promotion, names)
    if isinstance(rule, BuyXGetY):
        if cart.pair(rule, cart.everything)[0] == 0:
            buy = names.of(rule.buy)
            get = names.of(rule.get)
            bought = cart.units(rule.buy)
            wanted = cart.units(rule.get)
            message = (
                f"{code} needs {_counted(rule.buy_quantity, buy)} "
                f"with {_counted(rule.get_quantity, get)} on the invoice."
            )
            near = None
            if short == 0 and wanted and bought < rule.buy_quantity:
                missing = rule.buy_quantity - bought
                words = f"Add {_counted(missing, _ITEMS)} to get {benefit} ({code})"
                near = _add(promotion, words, rule.buy, missing)
            elif short == 0 and not wanted and bought >= rule.buy_quantity:
                them = "it" if rule.get_quantity == 1 else "them"
                gives = (
                    f"{them} free"
                    if rule.get_discount_percent == _HUNDRED
                    else f"{_percent_text(rule.get_discount_percent)}% off {them}"
                )
                words = f"Add {_counted(rule.get_quantity, _ITEMS)} to get {gives} ({code})"
                near = _add(promotion, words, rule.get, rule.get_quantity)
            return _Miss(Reason.CONDITIONS_UNMET, message, near)
    else:
        has_targets = rule.scope is Scope.INVOICE or bool(cart.covered(rule))
        has_required = not rule.requires_item_codes or cart.has_any(rule.requires_item_codes)
        if not has_targets or not has_required:
            near = None
            if not has_required:
                required = names.of_codes(rule.requires_item_codes)
                message = f"{code} needs {required} on the invoice."
                if has_targets and short == 0:
                    words = f"Add {_ITEMS} to get {benefit} ({code})"
                    near = _add(promotion, words, Selector(rule.requires_item_codes), 1)
            else:
                targets = names.of(rule.selector)
                message = f"{code} is for {targets}, and none is on the invoice."
                if rule.requires_item_codes and short == 0:
                    words = f"Add {_ITEMS} to get {benefit} ({code})"
                    near = _add(promotion, words, rule.selector, 1)
            return _Miss(Reason.CONDITIONS_UNMET, message, near)
    if short > 0:
        return _Miss(
            Reason.MIN_SPEND_NOT_MET,
            f"{code} needs an invoice of {format_rupees(promotion.min_purchase_amount)} "
            f"or more; this one is {format_rupees(cart.total_gross)}.",
            _Hint(
                promotion,
                NearMissKind.SPEND_MORE,
                f"Add {format_rupees(short)} more{_ITEMS} to get {benefit} ({code})",
                amount=short,
            ),
        )
    raise AssertionError("_unmet called for a promotion whose conditions hold")


# ----------------------------------------------------------------------------- pricing


def price_cart(
    lines: Sequence[CartLine],
    promotions: PromotionBook | Iterable[Promotion],
    *,
    now: datetime,
    today: date,
    patient: PatientHistory = WALK_IN,
    codes: Sequence[str] = (),
    promo_codes: Iterable[PromoCode] = (),
    item_names: Mapping[str, str] | None = None,
    catalog: Mapping[str, CartLine] | None = None,
    respect_max_discount: bool = True,
    explain_all: bool = False,
    hints: bool = True,
) -> PricedCart:
    """Price a cart by the rules in this module's docstring.

    `now` is the aware instant of pricing and `today` the branch's local date (validity
    windows compare with it). `codes` are the codes typed at the counter and `promo_codes`
    the stored codes found for them. `item_names` (code -> name) words hints about items not
    in the cart; `catalog` (code -> a line of one unit of that item) lets a hint about an item
    not in the cart be checked by rule 11. Only promotions related to the cart (naming one of
    its items or categories, covering the whole invoice, or unlocked by a typed code) are
    explained; `explain_all` adds a one-line reason for every other promotion too (for the
    quote command). `hints=False` skips the near misses and the pricing that checks them
    (saving an invoice shows none)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    _check_lines(lines)
    book = promotions if isinstance(promotions, PromotionBook) else PromotionBook(promotions)
    cart = _Cart(lines, respect_max_discount)
    cart.scan(book)
    names = _Names(cart, item_names or {}, catalog or {})

    typed = _read_codes(codes, promo_codes, book, now, today, patient)
    unlocked = {c.promotion_id: c for c, problem in typed.values() if c and problem is None}
    code_ids = [c.promotion_id for c, _ in typed.values() if c]
    related = book.related(cart.by_code, cart.by_category, code_ids)
    misses: dict[str, _Miss] = {}
    exclusive: list[Promotion] = []
    team: list[Promotion] = []
    met: dict[str, bool] = {}  # whether the cart meets the conditions, where they were judged
    for promotion in related:
        miss = _gate(promotion, today, patient)
        if miss is None and promotion.requires_code and promotion.id not in unlocked:
            miss = _Miss(Reason.NEEDS_CODE, f"{promotion.campaign_code} needs a promo code.")
        if miss is None:
            miss = _conditions(promotion, cart, names)
            met[promotion.id] = miss is None
        if miss is not None:
            misses[promotion.id] = miss
        elif promotion.is_stackable:
            team.append(promotion)
        else:
            exclusive.append(promotion)

    contestants = _contestants(cart, exclusive, team)
    per_line = _compete(cart, contestants)
    lost = _explain_losers(cart, contestants, per_line, misses)

    priced_lines = _priced_lines(cart, per_line)
    by_key = {priced.line_key: priced for priced in priced_lines}
    applied = _applied(cart, per_line, book, unlocked)
    not_applied = [
        NotApplied(
            p.id, p.campaign_code, p.campaign_name, miss.reason, miss.message, lost.get(p.id, ())
        )
        for p in related
        if (miss := misses.get(p.id)) is not None
    ]
    if explain_all:
        not_applied = _explain_unrelated(book, related, not_applied, today, patient)
    return PricedCart(
        lines=tuple(by_key[line.line_key] for line in lines),
        totals=_totals(priced_lines),
        applied=applied,
        not_applied=tuple(not_applied),
        near_misses=_true_hints(
            [near for p in related if (miss := misses.get(p.id)) and (near := miss.near)],
            _Recheck(cart, book, catalog or {}, today, patient, code_ids, set(unlocked), met),
            names,
        )
        if hints
        else (),
        codes=_code_outcomes(typed, applied, book, misses),
    )


def _contestants(
    cart: _Cart, exclusive: Sequence[Promotion], team: Sequence[Promotion]
) -> list[_Contestant]:
    """Each exclusive promotion on its own, and the combinable ones as one team (rule 3)."""
    contestants = [_Contestant([p], seq, cart.relevant(p)) for seq, p in enumerate(exclusive)]
    if team:
        relevant = frozenset().union(*(cart.relevant(p) for p in team))
        contestants.append(_Contestant(list(team), len(contestants), relevant))
    return contestants


# ----------------------------------------------------------------------------- hints

# A line key no cart line uses (numbered when a check adds two lines), and the item code of
# "spend Rs.N more", which no promotion names.
_HINT_LINE = "\x00hint"
_ANY_ITEM = "\x00any item"

# What a check adds to the cart: (item code, units), or (_ANY_ITEM, paise).
_Additions = tuple[tuple[str, int], ...]

# Checking a hint costs about one pricing of the cart. A branch with a thousand promotions
# can have dozens of near misses on one cart; the counter shows three. Hints that would need
# more repricings than this are not offered (never offered unchecked).
_MOST_REPRICINGS = 8


class _Recheck:
    """Prices the cart again with what a hint names added, and tells whether a promotion
    then gives a discount (rule 11). Each addition is priced once, however many hints ask,
    and only as far as the question needs (rule 3 hands out lines best first)."""

    def __init__(
        self,
        cart: _Cart,
        book: PromotionBook,
        catalog: Mapping[str, CartLine],
        today: date,
        patient: PatientHistory,
        code_ids: Sequence[str],
        unlocked: set[str],
        met: Mapping[str, bool],
    ) -> None:
        self._cart = cart
        self._met = met
        self._book = book
        self._catalog = catalog
        self._today = today
        self._patient = patient
        self._code_ids = code_ids
        self._unlocked = unlocked
        self._open: dict[str, bool] = {}
        self._priced: dict[_Additions, _Race | None] = {}
        self._left = _MOST_REPRICINGS

    def applies(self, promotion: Promotion, additions: _Additions) -> bool | None:
        """Whether the promotion gives a discount once the additions are on the cart: None
        when one of the items cannot be priced, False too when the repricings are spent."""
        if additions not in self._priced:
            lines = self._with(additions)
            if lines is not None and self._left == 0:
                return False
            if lines is not None:
                self._left -= 1
            self._priced[additions] = None if lines is None else self._race(lines, additions)
        race = self._priced[additions]
        return None if race is None else race.gives(promotion)

    def can_check(self, additions: _Additions) -> bool:
        """Whether `applies` would answer from what it knows or can still price."""
        return additions in self._priced or self._left > 0

    def unit_price(self, item_code: str) -> int | None:
        """The item's price (paise) from the cart or the catalog, if either has it."""
        on_cart = self._cart.by_code.get(item_code)
        if on_cart:
            return self._cart.lines[on_cart[0]].unit_price
        item = self._catalog.get(item_code)
        return None if item is None else item.unit_price

    def _with(self, additions: _Additions) -> list[CartLine] | None:
        lines = list(self._cart.lines)
        for number, (item_code, count) in enumerate(additions):
            key = f"{_HINT_LINE}{number}"
            on_cart = self._cart.by_code.get(item_code)
            if item_code == _ANY_ITEM:
                lines.append(_spend_line(key, count))
            elif on_cart:
                # More on the item's first line (rule 10's order), as a scanner adds it.
                index = on_cart[0]
                lines[index] = replace(lines[index], quantity=lines[index].quantity + count)
            elif (item := self._catalog.get(item_code)) is not None:
                lines.append(
                    replace(item, line_key=key, quantity=count, manual_discount_percent=None)
                )
            else:
                return None
        return lines

    def _race(self, lines: list[CartLine], additions: _Additions) -> _Race:
        """Rules 1 to 3 on the new cart, ready to hand out its lines."""
        cart = _Cart(lines, self._cart.respect_max_discount)
        cart.scan(self._book)
        # Only a promotion that names what was added, covers the invoice, or has a minimum
        # spend the old cart did not reach can judge the new cart otherwise than the old.
        codes = [code for code, _ in additions]
        categories = {cart.lines[i].category for code in codes for i in cart.by_code[code]}
        touched = {id(p) for p in self._book.related(codes, categories, ())}
        exclusive: list[Promotion] = []
        team: list[Promotion] = []
        for other in self._book.related(cart.by_code, cart.by_category, self._code_ids):
            if not self._is_open(other):
                continue
            meets = self._met.get(other.id)
            if (
                meets is None
                or id(other) in touched
                or other.min_purchase_amount > self._cart.total_gross
            ):
                meets = _meets(other, cart)
            if meets:
                (team if other.is_stackable else exclusive).append(other)
        return _Race(_claims(cart, _contestants(cart, exclusive, team)))

    def _is_open(self, promotion: Promotion) -> bool:
        """Rule 1 apart from the cart: switched on, in its dates, uses left, code typed."""
        found = self._open.get(promotion.id)
        if found is None:
            found = _gate(promotion, self._today, self._patient) is None and (
                not promotion.requires_code or promotion.id in self._unlocked
            )
            self._open[promotion.id] = found
        return found


class _Race:
    """The competition of rule 3 on one cart, run only until a question is answered."""

    def __init__(self, claims: Iterator[tuple[_Contestant, list[_Alloc]]]) -> None:
        self._claims = claims
        self._done: set[str] = set()  # promotions whose contestant took its lines or gave up
        self._given: set[str] = set()  # promotions that gave a discount
        self._over = False

    def gives(self, promotion: Promotion) -> bool:
        """Whether the promotion gives a discount on this cart."""
        while promotion.id not in self._done and not self._over:
            taken = next(self._claims, None)
            if taken is None:
                self._over = True
                break
            contestant, allocs = taken
            self._done.update(member.id for member in contestant.members)
            self._given.update(alloc.promotion.id for alloc in allocs if alloc.amounts)
        return promotion.id in self._given


def _spend_line(line_key: str, amount: int) -> CartLine:
    """A line worth `amount` paise that no promotion names: "spend Rs.N more" (rule 11)."""
    return CartLine(
        line_key=line_key,
        item_id=_ANY_ITEM,
        item_code=_ANY_ITEM,
        name="",
        item_type=ItemType.SERVICE,
        category=_ANY_ITEM,
        unit_price=amount,
        quantity=1,
    )


def _true_hints(hints: Sequence[_Hint], recheck: _Recheck, names: _Names) -> tuple[NearMiss, ...]:
    """The hints that taking would really apply their promotion, each naming only the items
    that work (rule 11); in the order given."""
    found: dict[int, NearMiss] = {}
    suggested: list[tuple[str, int]] = []
    for number, hint in enumerate(hints):
        if hint.kind is NearMissKind.SPEND_MORE:
            continue
        promotion = hint.promotion
        codes = tuple(
            code
            for code in hint.codes
            if recheck.applies(promotion, ((code, hint.quantity),)) is not False
        )
        if codes or hint.categories:
            suggested.extend((code, hint.quantity) for code in codes)
            found[number] = NearMiss(
                promotion.id,
                promotion.campaign_code,
                hint.kind,
                hint.words.replace(_ITEMS, names.of_codes(codes, hint.categories)),
                missing_item_codes=codes,
                missing_quantity=hint.quantity,
            )
    for number, hint in enumerate(hints):
        if hint.kind is NearMissKind.SPEND_MORE:
            near = _spend_hint(hint, recheck, names, suggested)
            if near is not None:
                found[number] = near
    return tuple(found[number] for number in sorted(found))


def _spend_hint(
    hint: _Hint, recheck: _Recheck, names: _Names, suggested: Sequence[tuple[str, int]]
) -> NearMiss | None:
    """ "Add Rs.N more" if a line worth Rs.N that no promotion names would apply the
    promotion; and if one of the items the other hints suggest would keep it out (spent
    on its own or topped up to Rs.N), the hint says "other than" that item (rule 11)."""
    promotion = hint.promotion
    if recheck.applies(promotion, ((_ANY_ITEM, hint.amount),)) is False:
        return None
    other_than: list[str] = []
    for code, count in dict.fromkeys(suggested):
        price = recheck.unit_price(code)
        if price is None:
            continue
        additions: _Additions = ((code, count),)
        if price * count < hint.amount:
            additions = ((code, count), (_ANY_ITEM, hint.amount - price * count))
        if not recheck.can_check(additions):
            return None
        if recheck.applies(promotion, additions) is False:
            other_than.append(code)
    but = f", other than {names.of_codes(other_than)}," if other_than else ""
    return NearMiss(
        promotion.id,
        promotion.campaign_code,
        hint.kind,
        hint.words.replace(_ITEMS, but),
        missing_amount=hint.amount,
    )


_Typed = dict[str, tuple[PromoCode | None, _Miss | None]]


def _read_codes(
    codes: Sequence[str],
    promo_codes: Iterable[PromoCode],
    book: PromotionBook,
    now: datetime,
    today: date,
    patient: PatientHistory,
) -> _Typed:
    """Each typed code (normalised, once) with its stored code and what is wrong with it."""
    stored = {code.key: code for code in promo_codes}
    typed: _Typed = {}
    for text in dict.fromkeys(normalise_code(c) for c in codes if c.strip()):
        found = stored.get(text)
        if found is None:
            typed[text] = (None, _Miss(Reason.UNKNOWN_CODE, f"No promotion has the code {text}."))
            continue
        problem = _code_problem(found, now, today, patient)
        if problem is None and book.get(found.promotion_id) is None:
            problem = _Miss(
                Reason.INACTIVE, f"The code {text} belongs to a promotion that is not running."
            )
        typed[text] = (found, problem)
    return typed


def _code_outcomes(
    typed: _Typed,
    applied: Sequence[AppliedPromotion],
    book: PromotionBook,
    misses: Mapping[str, _Miss],
) -> tuple[CodeOutcome, ...]:
    applied_ids = {a.promotion_id for a in applied}
    outcomes: list[CodeOutcome] = []
    for text, (found, problem) in typed.items():
        pid = None if found is None else found.promotion_id
        if pid is None or problem is not None:
            miss = problem or _Miss(Reason.UNKNOWN_CODE, f"No promotion has the code {text}.")
        elif pid in applied_ids:
            code = _known(book, pid).campaign_code
            outcomes.append(CodeOutcome(text, True, pid, None, f"The code {text} applied {code}."))
            continue
        else:
            miss = misses[pid]
        outcomes.append(CodeOutcome(text, False, pid, miss.reason, miss.message))
    return tuple(outcomes)


def _explain_unrelated(
    book: PromotionBook,
    related: Sequence[Promotion],
    explained: list[NotApplied],
    today: date,
    patient: PatientHistory,
) -> list[NotApplied]:
    """Add a cheap reason for every promotion unrelated to the cart; all in book order."""
    seen = {p.id for p in related}
    for promotion in book.promotions:
        if promotion.id in seen:
            continue
        miss = _gate(promotion, today, patient) or _Miss(
            Reason.CONDITIONS_UNMET,
            f"None of the items {promotion.campaign_code} is for is on the invoice.",
        )
        explained.append(
            NotApplied(
                promotion.id,
                promotion.campaign_code,
                promotion.campaign_name,
                miss.reason,
                miss.message,
            )
        )
    order = {p.id: i for i, p in enumerate(book.promotions)}
    return sorted(explained, key=lambda n: order[n.promotion_id])


def _explain_losers(
    cart: _Cart,
    contestants: Sequence[_Contestant],
    per_line: Sequence[list[_Alloc]],
    misses: dict[str, _Miss],
) -> dict[str, tuple[str, ...]]:
    """Record why promotions that qualified gave nothing: the codes that took lines they
    cared about (returned by promotion id), or else the items' maximum discount."""
    given = {alloc.promotion.id for allocs in per_line for alloc in allocs}
    exclusive_owner = [
        {a.promotion.campaign_code for a in allocs if not a.promotion.is_stackable}
        for allocs in per_line
    ]
    any_owner = [{a.promotion.campaign_code for a in allocs} for allocs in per_line]
    lost: dict[str, tuple[str, ...]] = {}
    known: dict[tuple[bool, frozenset[int]], tuple[str, ...]] = {}
    for contestant in contestants:
        owners = exclusive_owner if contestant.is_team else any_owner
        for promotion in contestant.members:
            if promotion.id in given:
                continue
            code = promotion.campaign_code
            lines = cart.relevant(promotion)
            takers = known.get((contestant.is_team, lines))
            if takers is None:
                takers = tuple(sorted(set().union(*(owners[i] for i in lines))))
                known[(contestant.is_team, lines)] = takers
            if not takers:
                misses[promotion.id] = _Miss(
                    Reason.AT_MAX_DISCOUNT,
                    f"The items {code} covers are already at their maximum discount.",
                )
                continue
            lost[promotion.id] = takers
            if promotion.is_stackable:
                message = f"{_few(takers)} took the same items and does not combine with others."
            else:
                message = (
                    f"{_few(takers)} took the same items; {code} does not combine with "
                    "other promotions."
                )
            misses[promotion.id] = _Miss(Reason.LOST_TO_BETTER, message)
    return lost


def _priced_lines(cart: _Cart, per_line: list[list[_Alloc]]) -> list[PricedLine]:
    priced: list[PricedLine] = []
    for index, line in enumerate(cart.lines):
        gross = cart.gross[index]
        allocs = per_line[index]
        shares = tuple(
            PromotionShare(
                a.promotion.id, a.promotion.campaign_code, a.amounts[index], _badge(a, index)
            )
            for a in allocs
        )
        promoted = sum(share.amount for share in shares)
        manual = 0
        if line.manual_discount_percent:
            remaining = gross - promoted
            wanted = round_half_up(Decimal(remaining) * line.manual_discount_percent / _HUNDRED)
            manual = max(0, min(wanted, remaining, cart.limit[index] - promoted))
        discount = promoted + manual
        main = max(shares, key=lambda s: s.amount, default=None)
        if shares:
            kind: DiscountType | None = DiscountType.PROMOTION
        else:
            kind = DiscountType.MANUAL if manual else None
        total = gross - discount
        percent = (
            (Decimal(discount) * _HUNDRED / gross).quantize(_CENT, rounding=ROUND_HALF_UP)
            if gross
            else Decimal("0.00")
        )
        rate = line.tax_rate
        tax = round_half_up(Decimal(total) * rate / (_HUNDRED + rate)) if rate else 0
        priced.append(
            PricedLine(
                line=line,
                gross_amount=gross,
                discount_type=kind,
                discount_percent=percent,
                discount_amount=discount,
                promotion_id=None if main is None else main.promotion_id,
                badge_text=" + ".join(share.badge for share in shares) or None,
                promotion_discount=promoted,
                manual_discount=manual,
                shares=shares,
                tax_amount=tax,
                line_total=total,
            )
        )
    return priced


def _applied(
    cart: _Cart,
    per_line: list[list[_Alloc]],
    book: PromotionBook,
    unlocked: Mapping[str, PromoCode],
) -> tuple[AppliedPromotion, ...]:
    amounts: dict[str, int] = {}
    lines_of: dict[str, list[int]] = {}
    for index, allocs in enumerate(per_line):
        for alloc in allocs:
            pid = alloc.promotion.id
            amounts[pid] = amounts.get(pid, 0) + alloc.amounts[index]
            lines_of.setdefault(pid, []).append(index)
    applied: list[AppliedPromotion] = []
    for pid in sorted(amounts, key=lambda i: _order_key(_known(book, i))):
        promotion = _known(book, pid)
        code = unlocked.get(pid)
        applied.append(
            AppliedPromotion(
                promotion_id=pid,
                campaign_code=promotion.campaign_code,
                campaign_name=promotion.campaign_name,
                promotion_type=promotion.promotion_type,
                discount_amount=amounts[pid],
                items_affected=tuple(dict.fromkeys(cart.lines[i].item_id for i in lines_of[pid])),
                line_keys=tuple(cart.lines[i].line_key for i in lines_of[pid]),
                promo_code=None if code is None else code.key,
                promo_code_id=None if code is None else code.id,
            )
        )
    return tuple(applied)


def _known(book: PromotionBook, promotion_id: str) -> Promotion:
    promotion = book.get(promotion_id)
    assert promotion is not None
    return promotion


def _totals(lines: Sequence[PricedLine]) -> Totals:
    gross = sum(line.gross_amount for line in lines)
    promoted = sum(line.promotion_discount for line in lines)
    manual = sum(line.manual_discount for line in lines)
    net = sum(line.line_total for line in lines)
    payable = round_half_up(Decimal(net) / PAISE_PER_RUPEE) * PAISE_PER_RUPEE
    return Totals(
        gross=gross,
        promotion_discount=promoted,
        manual_discount=manual,
        total_discount=promoted + manual,
        net=net,
        tax=sum(line.tax_amount for line in lines),
        round_off=payable - net,
        payable=payable,
    )
