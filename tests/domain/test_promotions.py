"""The promotion engine, scenario by scenario (seed 000 and the rules in its docstring)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.money import format_rupees
from domain.promotion_rules import (
    CodeStatus,
    PromoCode,
    Promotion,
    PromotionRuleError,
    promotion_from_row,
)
from domain.promotions import (
    CartLine,
    DiscountType,
    ItemType,
    NearMissKind,
    PatientHistory,
    PricedCart,
    PromotionBook,
    Reason,
    price_cart,
)

TODAY = date(2025, 11, 21)
NOW = datetime(2025, 11, 21, 6, 30, tzinfo=UTC)

# code: (name, type, category, price in rupees, max discount %, GST %)
CATALOG: dict[str, tuple[str, str, str, int, int, int]] = {
    "CONSULT": ("Consultation", "service", "Consultation", 500, 100, 0),
    "FOLLOWUP": ("Follow-up consultation", "service", "Consultation", 300, 100, 0),
    "BOTOX50": ("Botox (50 units)", "service", "Injectables", 4500, 30, 0),
    "BOTOX100": ("Botox (100 units)", "service", "Injectables", 8500, 30, 0),
    "HYDRAFACIAL": ("HydraFacial", "service", "Facials", 5500, 40, 0),
    "PEEL-GLY": ("Glycolic peel", "service", "Peels", 1000, 50, 0),
    "PEEL-TCA": ("TCA peel", "service", "Peels", 3000, 50, 0),
    "MOLE": ("Mole removal", "service", "Procedures", 2500, 50, 0),
    "SPF50": ("Sunscreen SPF 50 (50 g)", "product", "Skincare products", 850, 20, 18),
    "RETINOL": ("Retinol night cream", "product", "Skincare products", 1650, 20, 18),
}
NAMES = {code: row[0] for code, row in CATALOG.items()}


def line(
    code: str,
    quantity: int = 1,
    *,
    key: str | None = None,
    manual: str | None = None,
    price: int | None = None,
) -> CartLine:
    name, kind, category, rupees, max_discount, gst = CATALOG[code]
    return CartLine(
        line_key=key or code,
        item_id=f"item-{code}",
        item_code=code,
        name=name,
        item_type=ItemType(kind),
        category=category,
        unit_price=(rupees if price is None else price) * 100,
        quantity=quantity,
        max_discount_percent=Decimal(max_discount),
        tax_rate=Decimal(gst),
        manual_discount_percent=None if manual is None else Decimal(manual),
    )


def promo(code: str, promotion_type: str, rules: dict[str, Any], **columns: Any) -> Promotion:
    return promotion_from_row(
        {
            "id": f"id-{code}",
            "campaign_code": code,
            "campaign_name": f"{code} campaign",
            "promotion_type": promotion_type,
            "rules": rules,
            **columns,
        }
    )


def percent_off(code: str, percent: int, **columns: Any) -> Promotion:
    rules = columns.pop("rules", {"scope": "items", "item_codes": ["PEEL-GLY"]})
    return promo(code, "percentage", rules, discount_percent=Decimal(percent), **columns)


def price(lines: list[CartLine], promotions: list[Promotion], **kwargs: Any) -> PricedCart:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("item_names", NAMES)
    return price_cart(lines, promotions, **kwargs)


# The demo clinic's three promotions (services/demo.py), as the engine reads them.
PREMIUM_CONSULT = promo(
    "PREMIUM_CONSULT",
    "buy_x_get_y",
    {
        "buy": {"item_codes": ["BOTOX50", "BOTOX100"], "quantity": 1},
        "get": {"item_codes": ["CONSULT"], "quantity": 1, "discount_percent": "100"},
        "repeat": True,
        "max_sets_per_invoice": 2,
    },
    campaign_name="Premium Service - Free Consultation",
    discount_percent=Decimal(100),
    priority=10,
)
GLOW20 = promo(
    "GLOW20",
    "percentage",
    {
        "scope": "category",
        "categories": ["Skincare products"],
        "requires_item_codes": ["HYDRAFACIAL"],
    },
    discount_percent=Decimal(20),
    max_discount_amount=100_000,
    priority=20,
    is_stackable=True,
)
FESTIVE500 = promo(
    "FESTIVE500",
    "fixed_amount",
    {"scope": "invoice"},
    discount_amount=50_000,
    min_purchase_amount=500_000,
    priority=50,
    max_total_uses=500,
    max_uses_per_patient=1,
    start_date=TODAY - timedelta(days=30),
    end_date=TODAY + timedelta(days=30),
)
DEMO = [PREMIUM_CONSULT, GLOW20, FESTIVE500]


def not_applied(result: PricedCart, code: str) -> Any:
    return next(n for n in result.not_applied if n.campaign_code == code)


# --------------------------------------------------------------------- seed 000


def test_consultation_is_free_with_botox():
    result = price([line("BOTOX50"), line("CONSULT")], DEMO)

    consult = result.line("CONSULT")
    assert consult.discount_type is DiscountType.PROMOTION
    assert consult.discount_percent == Decimal("100.00")
    assert consult.discount_amount == 50_000
    assert consult.promotion_id == "id-PREMIUM_CONSULT"
    assert consult.badge_text == "Rs.500 Free (PREMIUM_CONSULT)"
    botox = result.line("BOTOX50")
    assert (botox.discount_type, botox.discount_amount, botox.badge_text) == (None, 0, None)
    assert format_rupees(result.totals.payable) == "Rs.4,500.00"
    assert result.totals.you_save == 50_000
    assert result.campaigns_applied == {
        "applied_promotions": [
            {
                "promotion_id": "id-PREMIUM_CONSULT",
                "campaign_name": "Premium Service - Free Consultation",
                "campaign_code": "PREMIUM_CONSULT",
                "promotion_type": "buy_x_get_y",
                "items_affected": ["item-CONSULT"],
                "total_discount": Decimal("500.00"),
            }
        ]
    }


def test_the_invoice_wide_exclusive_promotion_does_not_add_to_the_free_consultation():
    festive = not_applied(price([line("BOTOX50"), line("CONSULT")], DEMO), "FESTIVE500")
    assert festive.reason is Reason.LOST_TO_BETTER
    assert festive.lost_to == ("PREMIUM_CONSULT",)


def test_no_promotion_gives_no_campaigns_applied():
    result = price([line("MOLE")], DEMO)
    assert result.campaigns_applied is None
    assert result.applied == ()
    assert result.totals.payable == result.totals.gross == 250_000


# --------------------------------------------------------------------- buy X get Y


@pytest.mark.parametrize(
    ("cart", "free"),
    [
        ([line("BOTOX50", 2), line("CONSULT", 2)], 100_000),
        ([line("BOTOX50"), line("BOTOX100"), line("CONSULT", 2)], 100_000),
        ([line("BOTOX50", 3), line("CONSULT", 3)], 100_000),  # max 2 sets per invoice
        ([line("BOTOX50"), line("CONSULT", 2)], 50_000),  # one Botox, one free
    ],
    ids=["two-and-two", "two-kinds-of-botox", "three-capped-at-two", "one-botox"],
)
def test_free_consultations_scale_with_the_botox_bought(cart, free):
    result = price(cart, [PREMIUM_CONSULT])
    assert result.line("CONSULT").discount_amount == free
    assert result.totals.promotion_discount == free


def test_without_repeat_only_one_set_counts():
    once = promo(
        "ONCE",
        "buy_x_get_y",
        {"buy": {"item_codes": ["BOTOX50"]}, "get": {"item_codes": ["CONSULT"]}},
    )
    result = price([line("BOTOX50", 2), line("CONSULT", 2)], [once])
    assert result.line("CONSULT").discount_amount == 50_000
    assert result.line("CONSULT").badge_text == "Rs.500 Free (ONCE)"


def test_free_consultations_on_separate_lines_are_both_free():
    cart = [
        line("BOTOX50", key="a"),
        line("CONSULT", key="b"),
        line("BOTOX50", key="c"),
        line("CONSULT", key="d"),
    ]
    result = price(cart, [PREMIUM_CONSULT])
    assert [result.line(k).discount_amount for k in "abcd"] == [0, 50_000, 0, 50_000]
    assert result.applied[0].items_affected == ("item-CONSULT",)
    assert set(result.applied[0].line_keys) == {"b", "d"}


def test_buy_one_get_one_of_the_same_category_frees_the_cheaper_unit():
    bogo = promo(
        "PEELBOGO",
        "buy_x_get_y",
        {"buy": {"categories": ["Peels"]}, "get": {"categories": ["Peels"]}, "repeat": True},
        override_max_discount=True,
    )
    result = price([line("PEEL-GLY"), line("PEEL-TCA")], [bogo])
    assert result.line("PEEL-TCA").discount_amount == 0
    assert result.line("PEEL-GLY").discount_amount == 100_000


def test_a_partly_discounted_get_item_shows_rupees_off():
    half = promo(
        "HALFCONSULT",
        "buy_x_get_y",
        {
            "buy": {"item_codes": ["MOLE"], "quantity": 2},
            "get": {"item_codes": ["FOLLOWUP"], "discount_percent": "50"},
        },
    )
    result = price([line("MOLE", 2), line("FOLLOWUP")], [half])
    assert result.line("FOLLOWUP").discount_amount == 15_000
    assert result.line("FOLLOWUP").badge_text == "Rs.150 off (HALFCONSULT)"


# --------------------------------------------------------------------- percentages and amounts


def test_skincare_is_20_percent_off_with_a_hydrafacial():
    result = price([line("HYDRAFACIAL"), line("SPF50", 2), line("RETINOL")], DEMO)
    assert result.line("SPF50").discount_amount == 34_000
    assert result.line("RETINOL").discount_amount == 33_000
    assert result.line("SPF50").badge_text == "20% off (GLOW20)"
    # GLOW20 saves Rs.670, more than FESTIVE500's Rs.500 on the whole invoice.
    assert [a.campaign_code for a in result.applied] == ["GLOW20"]
    assert not_applied(result, "FESTIVE500").reason is Reason.LOST_TO_BETTER


def test_fixed_amount_per_unit_on_items():
    off = promo(
        "MOLE250",
        "fixed_amount",
        {"scope": "items", "item_codes": ["MOLE"]},
        discount_amount=25_000,
    )
    result = price([line("MOLE", 2)], [off])
    assert result.line("MOLE").discount_amount == 50_000
    assert result.line("MOLE").badge_text == "Rs.500 off (MOLE250)"


def test_fixed_amount_on_the_invoice_is_spread_in_exact_paise():
    result = price([line("BOTOX50"), line("MOLE"), line("PEEL-GLY")], [FESTIVE500])
    # Rs.500 over Rs.4,500 + Rs.2,500 + Rs.1,000 in proportion: 281.25, 156.25, 62.50.
    amounts = [result.line(k).discount_amount for k in ("BOTOX50", "MOLE", "PEEL-GLY")]
    assert amounts == [28_125, 15_625, 6_250]
    assert result.line("BOTOX50").badge_text == "Rs.281.25 off (FESTIVE500)"

    odd = price(
        [line("CONSULT"), line("MOLE", price=2000), line("PEEL-GLY", price=3000)], [FESTIVE500]
    )
    amounts = [odd.line(k).discount_amount for k in ("CONSULT", "MOLE", "PEEL-GLY")]
    assert sum(amounts) == 50_000
    # 45.4545, 181.8181, 272.7272: the two paise left go to the largest remainders.
    assert amounts == [4_545, 18_182, 27_273]


def test_minimum_spend_not_met_is_explained_with_a_near_miss():
    result = price([line("PEEL-TCA"), line("PEEL-GLY")], [FESTIVE500])
    assert result.applied == ()
    festive = not_applied(result, "FESTIVE500")
    assert festive.reason is Reason.MIN_SPEND_NOT_MET
    assert festive.message == (
        "FESTIVE500 needs an invoice of Rs.5,000.00 or more; this one is Rs.4,000.00."
    )
    (near,) = result.near_misses
    assert near.kind is NearMissKind.SPEND_MORE
    assert near.missing_amount == 100_000
    assert near.message == "Add Rs.1,000.00 more to get Rs.500 off (FESTIVE500)"


# --------------------------------------------------------------------- stacking


def test_the_larger_exclusive_saving_wins_the_line():
    small = percent_off("SMALL10", 10, priority=1)
    large = percent_off("LARGE15", 15, priority=99)
    result = price([line("PEEL-GLY")], [small, large])
    assert result.line("PEEL-GLY").discount_amount == 15_000
    assert result.line("PEEL-GLY").promotion_id == "id-LARGE15"
    loser = not_applied(result, "SMALL10")
    assert (loser.reason, loser.lost_to) == (Reason.LOST_TO_BETTER, ("LARGE15",))


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        (dict(code="AAA", priority=20), dict(code="BBB", priority=10), "BBB"),
        (dict(code="AAA", priority=10), dict(code="BBB", priority=10), "AAA"),
    ],
    ids=["lower-priority-number", "then-campaign-code"],
)
def test_equal_exclusive_savings_go_by_priority_then_code(first, second, winner):
    promotions = [percent_off(p["code"], 10, priority=p["priority"]) for p in (second, first)]
    result = price([line("PEEL-GLY")], promotions)
    assert result.line("PEEL-GLY").promotion_id == f"id-{winner}"


def test_combinable_promotions_apply_in_priority_order_to_what_is_left():
    twenty = percent_off("TWENTY", 20, priority=1, is_stackable=True)
    ten = percent_off("TEN", 10, priority=2, is_stackable=True)
    result = price([line("PEEL-GLY")], [ten, twenty])
    peel = result.line("PEEL-GLY")
    assert peel.line_total == 72_000
    assert [(s.campaign_code, s.amount) for s in peel.shares] == [
        ("TWENTY", 20_000),
        ("TEN", 8_000),
    ]
    assert peel.badge_text == "20% off (TWENTY) + 10% off (TEN)"
    assert peel.discount_percent == Decimal("28.00")


def test_an_exclusive_promotion_beating_the_combinable_ones_takes_the_line_alone():
    twenty = percent_off("TWENTY", 20, priority=1, is_stackable=True)
    ten = percent_off("TEN", 10, priority=2, is_stackable=True)
    big = percent_off("BIG40", 40, priority=50)
    result = price([line("PEEL-GLY")], [twenty, ten, big])
    assert [s.campaign_code for s in result.line("PEEL-GLY").shares] == ["BIG40"]
    assert not_applied(result, "TEN").reason is Reason.LOST_TO_BETTER


def test_a_cap_is_shared_in_proportion_with_exact_paise():
    capped = percent_off(
        "CAPPED",
        10,
        rules={"scope": "category", "categories": ["Peels", "Procedures"]},
        max_discount_amount=10_000,
    )
    cart = [line("PEEL-GLY", price=1000), line("PEEL-TCA", price=1000), line("MOLE", price=1000)]
    result = price(cart, [capped])
    shares = [result.line(k).discount_amount for k in ("MOLE", "PEEL-GLY", "PEEL-TCA")]
    # 3 x Rs.100 capped at Rs.100: the odd paisa goes to the first line in the fixed order.
    assert shares == [3_334, 3_333, 3_333]
    assert result.applied[0].discount_amount == 10_000
    assert result.line("MOLE").badge_text == "Rs.33.34 off (CAPPED)"


# --------------------------------------------------------------------- maximum discounts


def test_no_line_is_discounted_beyond_its_items_maximum():
    half = percent_off("HALF", 50, rules={"scope": "items", "item_codes": ["BOTOX50"]})
    result = price([line("BOTOX50")], [half])
    assert result.line("BOTOX50").discount_amount == 135_000  # 30% of Rs.4,500
    assert result.line("BOTOX50").badge_text == "Rs.1,350 off (HALF)"


def test_a_promotion_may_override_the_items_maximum():
    half = percent_off(
        "HALF",
        50,
        rules={"scope": "items", "item_codes": ["BOTOX50"]},
        override_max_discount=True,
    )
    result = price([line("BOTOX50")], [half])
    assert result.line("BOTOX50").discount_amount == 225_000
    assert result.line("BOTOX50").badge_text == "50% off (HALF)"


def test_respect_max_discount_can_be_switched_off():
    half = percent_off("HALF", 50, rules={"scope": "items", "item_codes": ["BOTOX50"]})
    result = price([line("BOTOX50")], [half], respect_max_discount=False)
    assert result.line("BOTOX50").discount_amount == 225_000


def test_a_promotion_on_items_already_at_their_maximum_is_explained():
    none_left = percent_off("NOROOM", 10, rules={"scope": "items", "item_codes": ["BOTOX50"]})
    cart = [
        CartLine(
            "x", "item-x", "BOTOX50", "Botox", ItemType.SERVICE, "Injectables", 100, 1, Decimal(0)
        )
    ]
    result = price(cart, [none_left])
    assert not_applied(result, "NOROOM").reason is Reason.AT_MAX_DISCOUNT


# --------------------------------------------------------------------- manual discounts


def test_a_manual_discount_alone_is_manual():
    result = price([line("MOLE", manual="10")], [])
    mole = result.line("MOLE")
    assert (mole.discount_type, mole.discount_amount, mole.manual_discount) == (
        DiscountType.MANUAL,
        25_000,
        25_000,
    )
    assert mole.badge_text is None
    assert result.totals.manual_discount == 25_000


def test_a_manual_discount_comes_after_promotions_within_the_remaining_headroom():
    twenty = percent_off("TWENTY", 20, rules={"scope": "items", "item_codes": ["BOTOX50"]})
    result = price([line("BOTOX50", manual="25")], [twenty])
    botox = result.line("BOTOX50")
    # 20% promotion (Rs.900), then 25% of Rs.3,600 would be Rs.900, but only 10% is left.
    assert (botox.promotion_discount, botox.manual_discount) == (90_000, 45_000)
    assert botox.discount_type is DiscountType.PROMOTION
    assert botox.discount_amount == 135_000


# --------------------------------------------------------------------- tax and totals


def test_gst_is_included_in_the_price_and_the_payable_rounds_to_the_rupee():
    result = price([line("SPF50"), line("CONSULT", price=100)], [])
    spf = result.line("SPF50")
    assert spf.tax_amount == 12_966  # 850 x 18/118 = 129.66
    totals = result.totals
    assert (totals.gross, totals.net, totals.tax, totals.taxable) == (
        95_000,
        95_000,
        12_966,
        82_034,
    )
    assert (totals.round_off, totals.payable) == (0, 95_000)


def test_round_off_goes_half_up_to_the_rupee():
    manual = price([line("MOLE", price=1001, manual="5.05")], [])
    # 5.05% of Rs.1,001 = Rs.50.55 -> net Rs.950.45 -> payable Rs.950.
    assert manual.totals.net == 95_045
    assert (manual.totals.round_off, manual.totals.payable) == (-45, 95_000)
    up = price([line("MOLE", price=1001, manual="5")], [])
    assert up.totals.net == 95_095
    assert (up.totals.round_off, up.totals.payable) == (5, 95_100)


# --------------------------------------------------------------------- explanations


@pytest.mark.parametrize(
    ("columns", "reason", "message"),
    [
        (dict(end_date=TODAY - timedelta(days=1)), Reason.EXPIRED, "SKIN ended on 20 Nov 2025."),
        (
            dict(start_date=TODAY + timedelta(days=1)),
            Reason.NOT_YET_VALID,
            "SKIN starts on 22 Nov 2025.",
        ),
        (dict(is_active=False), Reason.INACTIVE, "SKIN is switched off."),
        (
            dict(max_total_uses=5, current_uses=5),
            Reason.LIMIT_REACHED,
            "SKIN has been used 5 times, its limit.",
        ),
        (
            dict(max_uses_per_patient=1),
            Reason.PATIENT_LIMIT_REACHED,
            "This patient has used SKIN 1 time; the limit is 1 time per patient.",
        ),
        (dict(requires_code=True), Reason.NEEDS_CODE, "SKIN needs a promo code."),
    ],
    ids=["expired", "not-yet-valid", "inactive", "limit", "patient-limit", "needs-code"],
)
def test_promotions_that_cannot_apply_say_why(columns, reason, message):
    skin = percent_off("SKIN", 10, **columns)
    patient = PatientHistory("patient-1", {"id-SKIN": 1})
    result = price([line("PEEL-GLY")], [skin], patient=patient)
    assert result.applied == ()
    (explained,) = result.not_applied
    assert (explained.reason, explained.message) == (reason, message)


def test_validity_dates_are_inclusive():
    skin = percent_off("SKIN", 10, start_date=TODAY, end_date=TODAY)
    assert price([line("PEEL-GLY")], [skin]).line("PEEL-GLY").discount_amount == 10_000


def test_a_walk_in_is_not_held_to_a_per_patient_limit():
    skin = percent_off("SKIN", 10, max_uses_per_patient=1)
    assert price([line("PEEL-GLY")], [skin]).applied


def test_a_code_unlocks_its_promotion():
    skin = percent_off("SKIN", 10, requires_code=True)
    code = PromoCode("GLOW-NOV", "id-SKIN", id="code-1")
    result = price([line("PEEL-GLY")], [skin], codes=[" glow-nov "], promo_codes=[code])
    assert result.line("PEEL-GLY").discount_amount == 10_000
    assert (result.applied[0].promo_code, result.applied[0].promo_code_id) == ("GLOW-NOV", "code-1")
    (outcome,) = result.codes
    assert outcome.applied and outcome.message == "The code GLOW-NOV applied SKIN."


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (PromoCode("GLOW-NOV", "id-SKIN", status=CodeStatus.PAUSED), Reason.INACTIVE),
        (PromoCode("GLOW-NOV", "id-SKIN", valid_to=TODAY - timedelta(days=1)), Reason.EXPIRED),
        (
            PromoCode("GLOW-NOV", "id-SKIN", valid_from=TODAY + timedelta(days=1)),
            Reason.NOT_YET_VALID,
        ),
        (PromoCode("GLOW-NOV", "id-SKIN", max_uses=3, current_uses=3), Reason.LIMIT_REACHED),
        (PromoCode("OTHER", "id-SKIN"), Reason.UNKNOWN_CODE),
    ],
    ids=["paused", "expired", "not-yet-valid", "used-up", "unknown"],
)
def test_a_code_that_cannot_apply_says_why(code, reason):
    skin = percent_off("SKIN", 10, requires_code=True)
    result = price([line("PEEL-GLY")], [skin], codes=["GLOW-NOV"], promo_codes=[code])
    assert result.applied == ()
    (outcome,) = result.codes
    assert (outcome.applied, outcome.reason) == (False, reason)
    assert not_applied(result, "SKIN").reason is Reason.NEEDS_CODE


def test_a_valid_code_whose_promotion_does_not_apply_passes_on_the_reason():
    festive = promo(
        "CODE500",
        "fixed_amount",
        {"scope": "invoice"},
        discount_amount=50_000,
        min_purchase_amount=500_000,
        requires_code=True,
    )
    result = price(
        [line("MOLE")],
        [festive],
        codes=["SAVE500"],
        promo_codes=[PromoCode("SAVE500", "id-CODE500")],
    )
    (outcome,) = result.codes
    assert outcome.reason is Reason.MIN_SPEND_NOT_MET


def test_near_misses_name_what_to_add():
    result = price([line("CONSULT")], DEMO)
    messages = [near.message for near in result.near_misses]
    assert messages == [
        "Add Botox (50 units) or Botox (100 units) to get Consultation free (PREMIUM_CONSULT)",
        "Add Rs.4,500.00 more to get Rs.500 off (FESTIVE500)",
    ]
    assert not_applied(result, "PREMIUM_CONSULT").reason is Reason.CONDITIONS_UNMET


def test_near_misses_offer_the_free_item_and_the_required_item():
    botox_only = price([line("BOTOX50")], [PREMIUM_CONSULT])
    assert [n.message for n in botox_only.near_misses] == [
        "Add Consultation to get it free (PREMIUM_CONSULT)"
    ]
    skincare_only = price([line("SPF50")], [GLOW20])
    (near,) = skincare_only.near_misses
    assert near.message == "Add HydraFacial to get 20% off Skincare products (GLOW20)"
    assert near.missing_item_codes == ("HYDRAFACIAL",)


# The catalog as one-unit lines: what lets the engine price a hint's item before it is added.
CATALOG_LINES = {code: line(code) for code in CATALOG}

# An exclusive promotion that makes the consultation free with Botox (100 units) only, and
# wins the tie with PREMIUM_CONSULT by its priority.
VIP_CONSULT = promo(
    "VIP_CONSULT",
    "percentage",
    {"scope": "items", "item_codes": ["CONSULT"], "requires_item_codes": ["BOTOX100"]},
    discount_percent=Decimal(100),
    priority=1,
)


@pytest.mark.parametrize(
    ("cart", "promotions", "hints"),
    [
        pytest.param(
            [line("BOTOX50"), line("CONSULT")],
            DEMO,
            [],
            id="seed-000 cart: PREMIUM_CONSULT takes the consultation, FESTIVE500 is not hinted",
        ),
        pytest.param(
            [line("BOTOX50", price=4000), line("CONSULT")],
            DEMO,
            [],
            id="Rs.500 short of FESTIVE500, but PREMIUM_CONSULT would still keep it out",
        ),
        pytest.param(
            [line("BOTOX50")],
            DEMO,
            [
                "Add Consultation to get it free (PREMIUM_CONSULT)",
                "Add Rs.500.00 more, other than Consultation, to get Rs.500 off (FESTIVE500)",
            ],
            id="spending the Rs.500 on the consultation would not bring FESTIVE500",
        ),
        pytest.param(
            [line("CONSULT")],
            DEMO,
            [
                "Add Botox (50 units) or Botox (100 units) to get Consultation free "
                "(PREMIUM_CONSULT)",
                "Add Rs.4,500.00 more, other than Botox (50 units) or Botox (100 units), "
                "to get Rs.500 off (FESTIVE500)",
            ],
            id="the Botox the other hint suggests would not bring FESTIVE500",
        ),
        pytest.param(
            [line("PEEL-TCA")],
            DEMO,
            ["Add Rs.2,000.00 more to get Rs.500 off (FESTIVE500)"],
            id="a true spend-more hint is still offered",
        ),
        pytest.param(
            [line("BOTOX50")],
            [PREMIUM_CONSULT],
            ["Add Consultation to get it free (PREMIUM_CONSULT)"],
            id="a true add-item hint is still offered",
        ),
        pytest.param(
            [line("SPF50")],
            DEMO,
            ["Add Rs.4,150.00 more to get Rs.500 off (FESTIVE500)"],
            id="adding the HydraFacial would bring FESTIVE500, which beats GLOW20",
        ),
        pytest.param(
            [line("SPF50")],
            [GLOW20],
            ["Add HydraFacial to get 20% off Skincare products (GLOW20)"],
            id="with nothing to beat it GLOW20 is hinted",
        ),
        pytest.param(
            [line("CONSULT")],
            [PREMIUM_CONSULT, VIP_CONSULT],
            [
                "Add Botox (100 units) to get 100% off Consultation (VIP_CONSULT)",
                "Add Botox (50 units) to get Consultation free (PREMIUM_CONSULT)",
            ],
            id="a hint naming two items keeps the one that works",
        ),
    ],
)
def test_a_hint_is_offered_only_if_taking_it_applies_the_promotion(cart, promotions, hints):
    result = price(cart, promotions, catalog=CATALOG_LINES)
    assert [near.message for near in result.near_misses] == hints


def test_a_spend_more_hint_is_checked_without_a_catalog():
    result = price([line("BOTOX50", price=4000), line("CONSULT")], DEMO)
    assert result.near_misses == ()
    assert not_applied(result, "FESTIVE500").reason is Reason.MIN_SPEND_NOT_MET


def test_an_item_the_engine_cannot_price_is_hinted_unchecked():
    # No catalog: the Botox cannot be priced before it is added, so the hint stays.
    result = price([line("CONSULT")], [PREMIUM_CONSULT, VIP_CONSULT])
    assert result.near_misses[1].missing_item_codes == ("BOTOX50", "BOTOX100")


def test_checking_hints_stops_after_eight_repricings():
    # Ten promotions, each needing an item with the consultation. The cart is priced again
    # for eight items at most (the counter shows three hints): NEEDS8's Retinol is not
    # checked, so not offered; NEEDS9 needs the sunscreen already checked for NEEDS7.
    codes = ["FOLLOWUP", "BOTOX50", "BOTOX100", "HYDRAFACIAL", "PEEL-GLY", "PEEL-TCA", "MOLE"]
    needs = [
        promo(
            f"NEEDS{n}",
            "percentage",
            {"scope": "items", "item_codes": ["CONSULT"], "requires_item_codes": [code]},
            discount_percent=Decimal(10),
            priority=n,
            is_stackable=True,
        )
        for n, code in enumerate([*codes, "SPF50", "RETINOL", "SPF50"])
    ]
    result = price([line("CONSULT")], needs, catalog=CATALOG_LINES)
    assert [near.campaign_code for near in result.near_misses] == [
        f"NEEDS{n}" for n in range(8)
    ] + ["NEEDS9"]


def test_saving_asks_for_no_hints():
    result = price([line("BOTOX50")], DEMO, catalog=CATALOG_LINES, hints=False)
    assert result.near_misses == ()
    assert not_applied(result, "FESTIVE500").reason is Reason.MIN_SPEND_NOT_MET


def test_unrelated_promotions_are_skipped_unless_all_are_explained():
    result = price([line("MOLE")], [PREMIUM_CONSULT, GLOW20])
    assert result.not_applied == ()
    everything = price([line("MOLE")], [PREMIUM_CONSULT, GLOW20], explain_all=True)
    assert [(n.campaign_code, n.reason) for n in everything.not_applied] == [
        ("PREMIUM_CONSULT", Reason.CONDITIONS_UNMET),
        ("GLOW20", Reason.CONDITIONS_UNMET),
    ]


# --------------------------------------------------------------------- order and inputs


def test_the_order_lines_were_typed_does_not_matter():
    cart = [line("CONSULT", key="1"), line("BOTOX50", key="2"), line("CONSULT", key="3")]
    once = promo(
        "ONCE",
        "buy_x_get_y",
        {"buy": {"item_codes": ["BOTOX50"]}, "get": {"item_codes": ["CONSULT"]}},
    )
    forward = price(cart, [once])
    backward = price(cart[::-1], [once])
    assert [forward.line(k).discount_amount for k in "123"] == [
        backward.line(k).discount_amount for k in "123"
    ]
    assert [p.line_key for p in backward.lines] == ["3", "2", "1"]


def test_a_prebuilt_book_prices_the_same_as_a_list():
    cart = [line("BOTOX50"), line("CONSULT"), line("HYDRAFACIAL"), line("SPF50")]
    assert price(cart, PromotionBook(DEMO)) == price(cart, DEMO)


@pytest.mark.parametrize(
    ("cart", "now"),
    [
        ([line("MOLE", key="a"), line("PEEL-GLY", key="a")], NOW),
        ([line("MOLE", 0)], NOW),
        ([line("MOLE", manual="120")], NOW),
        ([line("MOLE")], datetime(2025, 11, 21, 6, 30)),  # noqa: DTZ001 - refused on purpose
    ],
    ids=["duplicate-keys", "zero-quantity", "manual-over-100", "naive-now"],
)
def test_bad_input_is_refused(cart, now):
    with pytest.raises(ValueError):
        price(cart, DEMO, now=now)


@pytest.mark.parametrize(
    ("promotion_type", "rules", "columns"),
    [
        ("buy_x_get_y", {"buy": {"item_codes": ["A"]}}, {}),
        ("percentage", {"scope": "items"}, {"discount_percent": Decimal(10)}),
        ("percentage", {"scope": "invoice"}, {}),
        ("percentage", {"scope": "invoice"}, {"discount_percent": Decimal(120)}),
        ("fixed_amount", {"scope": "invoice"}, {}),
        ("fixed_amount", {"scope": "everything"}, {"discount_amount": 100}),
        ("bogus", {}, {}),
    ],
)
def test_unusable_promotion_rows_are_refused(promotion_type, rules, columns):
    with pytest.raises(PromotionRuleError, match="BAD"):
        promo("BAD", promotion_type, rules, **columns)
