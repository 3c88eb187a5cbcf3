"""Properties of the promotion engine that must hold for any cart and any promotions."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.promotion_rules import Promotion
from domain.promotions import (
    CartLine,
    ItemType,
    NearMiss,
    NearMissKind,
    PricedCart,
    PricedLine,
    PromotionBook,
    _bound,
    _Cart,
    _Contestant,
)
from tests.domain.test_promotions import (
    CATALOG,
    CATALOG_LINES,
    DEMO,
    line,
    percent_off,
    price,
    promo,
)

CODES = sorted(CATALOG)
CATEGORIES = sorted({row[2] for row in CATALOG.values()})


@st.composite
def carts(draw: st.DrawFn) -> list[Any]:
    count = draw(st.integers(1, 8))
    lines = []
    for key in range(count):
        code = draw(st.sampled_from(CODES))
        lines.append(
            line(
                code,
                draw(st.integers(1, 3)),
                key=f"k{key}",
                manual=draw(st.sampled_from([None, "0", "5", "12.5", "50", "100"])),
                price=draw(st.sampled_from([None, 0, 1, 999, 1001])),
            )
        )
    return lines


@st.composite
def promotions(draw: st.DrawFn, seq: int) -> Promotion:
    code = f"R{seq}"
    kind = draw(st.sampled_from(["buy_x_get_y", "percentage", "fixed_amount"]))
    columns: dict[str, Any] = {
        "priority": draw(st.integers(1, 5)),
        "is_stackable": draw(st.booleans()),
        "override_max_discount": draw(st.booleans()),
        "max_discount_amount": draw(st.sampled_from([None, 1, 5_000, 100_000])),
        "min_purchase_amount": draw(st.sampled_from([0, 0, 300_000])),
    }
    if kind == "buy_x_get_y":
        rules = {
            "buy": {
                "item_codes": draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3)),
                "quantity": draw(st.integers(1, 2)),
            },
            "get": {
                "item_codes": draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3)),
                "quantity": draw(st.integers(1, 2)),
                "discount_percent": draw(st.sampled_from(["100", "50", "33.33"])),
            },
            "repeat": draw(st.booleans()),
            "max_sets_per_invoice": draw(st.sampled_from([None, 1, 2])),
        }
        return promo(code, kind, rules, **columns)
    scope = draw(st.sampled_from(["items", "category", "invoice"]))
    rules = {"scope": scope}
    if scope == "items":
        rules["item_codes"] = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3))
    elif scope == "category":
        rules["categories"] = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2))
    if draw(st.booleans()):
        rules["requires_item_codes"] = [draw(st.sampled_from(CODES))]
    if kind == "percentage":
        percent = draw(st.sampled_from(["5", "10", "12.5", "20", "33.33", "100"]))
        return promo(code, kind, rules, discount_percent=Decimal(percent), **columns)
    amount = draw(st.sampled_from([1, 2_500, 25_000, 50_000, 1_000_000]))
    return promo(code, kind, rules, discount_amount=amount, **columns)


@st.composite
def promotion_sets(draw: st.DrawFn) -> list[Promotion]:
    fixed = [
        *DEMO,
        percent_off("TWENTY", 20, priority=1, is_stackable=True),
        percent_off("TEN", 10, priority=2, is_stackable=True),
    ]
    chosen = draw(st.lists(st.sampled_from(fixed), unique_by=lambda p: p.id, max_size=5))
    count = draw(st.integers(0, 5))
    return chosen + [draw(promotions(seq)) for seq in range(count)]


def overridden(priced: PricedLine, by_id: dict[str, Promotion]) -> bool:
    return any(by_id[share.promotion_id].override_max_discount for share in priced.shares)


def max_allowed(priced: PricedLine) -> Decimal:
    return Decimal(priced.gross_amount) * priced.line.max_discount_percent / 100


@settings(max_examples=300, deadline=None)
@given(carts(), promotion_sets())
def test_no_line_or_total_is_negative_and_none_passes_its_limits(cart, promos):
    result = price(cart, promos)
    by_id = {p.id: p for p in promos}
    for priced in result.lines:
        assert 0 <= priced.discount_amount <= priced.gross_amount
        assert priced.line_total >= 0 and priced.tax_amount >= 0
        assert all(share.amount > 0 for share in priced.shares)
        if not overridden(priced, by_id):
            assert priced.discount_amount <= max_allowed(priced)
        # A manual discount never takes a line past the item's maximum.
        assert priced.manual_discount == 0 or priced.discount_amount <= max_allowed(priced)
    totals = result.totals
    assert min(totals.gross, totals.net, totals.tax, totals.payable, totals.total_discount) >= 0


@settings(max_examples=300, deadline=None)
@given(carts(), promotion_sets())
def test_totals_are_the_sum_of_the_lines(cart, promos):
    result = price(cart, promos)
    totals = result.totals
    lines = result.lines
    assert totals.gross == sum(p.gross_amount for p in lines)
    assert totals.promotion_discount == sum(p.promotion_discount for p in lines)
    assert totals.manual_discount == sum(p.manual_discount for p in lines)
    assert totals.total_discount == sum(p.discount_amount for p in lines)
    assert totals.net == sum(p.line_total for p in lines) == totals.gross - totals.total_discount
    assert totals.tax == sum(p.tax_amount for p in lines)
    assert totals.payable % 100 == 0 and -50 < totals.round_off <= 50
    assert totals.promotion_discount == sum(a.discount_amount for a in result.applied)


@settings(max_examples=300, deadline=None)
@given(carts(), promotion_sets())
def test_a_promotions_cap_is_never_exceeded(cart, promos):
    result = price(cart, promos)
    by_id = {p.id: p for p in promos}
    for applied in result.applied:
        cap = by_id[applied.promotion_id].max_discount_amount
        assert cap is None or applied.discount_amount <= cap


def signature(result: PricedCart) -> Any:
    lines = sorted(
        (p.line_key, p.discount_amount, p.promotion_id, p.shares, p.manual_discount, p.badge_text)
        for p in result.lines
    )
    applied = [(a.promotion_id, a.discount_amount, sorted(a.line_keys)) for a in result.applied]
    explained = sorted((n.promotion_id, n.reason, n.message) for n in result.not_applied)
    return lines, result.totals, applied, explained, result.near_misses


@settings(max_examples=300, deadline=None)
@given(st.data(), carts(), promotion_sets())
def test_any_line_order_prices_the_same(data, cart, promos):
    shuffled = data.draw(st.permutations(cart))
    shuffled_promotions = data.draw(st.permutations(promos))
    assert signature(price(shuffled, shuffled_promotions)) == signature(price(cart, promos))


@settings(max_examples=300, deadline=None)
@given(carts(), promotion_sets())
def test_a_contestants_bound_is_never_below_what_it_saves(cart, promos):
    # The competition skips pricing contestants whose bound is low; a wrong bound would
    # silently change who wins.
    internal = _Cart(cart, True)
    internal.scan(PromotionBook(promos))
    for seq, promotion in enumerate(promos):
        contestant = _Contestant([promotion], seq, internal.relevant(promotion))
        saving = sum(a.total for a in contestant.evaluate(internal, internal.everything))
        assert _bound(promotion, internal) >= saving


def taking(cart: list[CartLine], near: NearMiss) -> list[list[CartLine]]:
    """The carts a person gets by doing what the hint says, one per item it names."""
    if near.kind is NearMissKind.SPEND_MORE:
        # Something no promotion names, worth what the hint asks.
        gift = CartLine("gift", "gift", "GIFT", "Gift card", ItemType.PRODUCT, "Gifts", 1, 1)
        return [[*cart, replace(gift, unit_price=near.missing_amount)]]
    carts = []
    for code in near.missing_item_codes:
        same = sorted(
            (i for i, line in enumerate(cart) if line.item_code == code),
            key=lambda i: (-cart[i].unit_price, cart[i].quantity, cart[i].line_key),
        )
        taken = list(cart)
        if same:
            first = taken[same[0]]
            taken[same[0]] = replace(first, quantity=first.quantity + near.missing_quantity)
        else:
            taken.append(replace(CATALOG_LINES[code], quantity=near.missing_quantity))
        carts.append(taken)
    return carts


@settings(max_examples=300, deadline=None)
@given(carts(), promotion_sets())
def test_a_hint_taken_applies_its_promotion(cart, promos):
    result = price(cart, promos, catalog=CATALOG_LINES)
    for near in result.near_misses:
        for taken in taking(cart, near):
            applied = {a.promotion_id for a in price(taken, promos).applied}
            assert near.promotion_id in applied, near.message
