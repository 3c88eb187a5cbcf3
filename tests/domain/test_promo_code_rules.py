"""Seed 001's promo code rules in the engine: active hours and the used-up sentence."""

from datetime import UTC, date, datetime, time

import pytest

from domain.active_hours import ActiveHours
from domain.promotion_rules import CodeStatus, PromoCode
from domain.promotions import Reason
from tests.domain.test_promotions import line, percent_off, price

MORNING = ActiveHours(True, time(6, 0), time(9, 0), "Asia/Kolkata")
SKIN = percent_off("SKIN", 10, requires_code=True)


@pytest.mark.parametrize(
    ("utc_hour", "utc_minute", "applies"),
    [(0, 29, False), (0, 30, True), (3, 30, True), (3, 31, False)],
    ids=["05:59 IST", "06:00 IST", "09:00 IST", "09:01 IST"],
)
def test_a_morning_code_works_only_in_its_hours(utc_hour, utc_minute, applies):
    code = PromoCode("MORNING10", "id-SKIN", active_hours=MORNING)
    at = datetime(2026, 3, 12, utc_hour, utc_minute, tzinfo=UTC)
    result = price([line("PEEL-GLY")], [SKIN], codes=["morning10"], promo_codes=[code], now=at)
    assert bool(result.applied) is applies
    (outcome,) = result.codes
    if not applies:
        assert outcome.reason is Reason.OUTSIDE_HOURS
        assert "06:00-09:00 Asia/Kolkata" in outcome.message


def test_a_code_that_expired_at_its_limit_says_when():
    code = PromoCode(
        "MORNING10",
        "id-SKIN",
        status=CodeStatus.EXPIRED,
        max_uses=3,
        current_uses=3,
        limit_reached_on=date(2026, 3, 12),
    )
    result = price([line("PEEL-GLY")], [SKIN], codes=["MORNING10"], promo_codes=[code])
    (outcome,) = result.codes
    assert outcome.reason is Reason.LIMIT_REACHED
    assert outcome.message == "This code reached its limit of 3 uses on 12 Mar 2026."
