"""A capped promotion's offline quota per branch (issue #15), against a real PostgreSQL: the
head office caps INJECT10 at 3 uses in the chain with an offline quota of 2 a branch; each
branch, between rounds, makes at most 2 uses the centre has not acknowledged (the third is
at full price, with the sentence why), a round gives the quota back, and what two branches
sold offline past the chain's limit shows in the promotion's analytics: at a branch the
total over the limit, at the head office which branch's uses came past it."""

from __future__ import annotations

import pytest

from domain.promotion_spec import SpecError, validate_promotion
from services import catalog, invoicing, promotions
from services.invoicing import CartItem, CartRequest
from tests.services.test_sync import NOW
from tests.services.test_sync_pull import BOTOX, INJECT10, sell_botox

FULL, DISCOUNTED = 450000, 405000
QUOTA10 = {**INJECT10, "max_total_uses": 3, "branch_offline_quota": 2}


def row_of(db, actor, code: str = "INJECT10") -> promotions.PromotionRow:
    return next(
        r for r in promotions.list_promotions(db, actor, now=NOW) if r.campaign_code == code
    )


def quote_botox(branch) -> invoicing.Quote:
    entry = catalog.item_by_code(branch.db, "BOTOX-50")
    request = CartRequest(patient_id=branch.patient.id, items=(CartItem(entry.id),))
    return invoicing.quote(branch.db, branch.admin, request, now=NOW)


@pytest.mark.postgres
def test_each_branch_keeps_to_its_quota_offline_and_the_overrun_is_shown(head_office, two_branches):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, QUOTA10, now=NOW)
    a, b = two_branches
    for branch in two_branches:
        branch.sync()
        assert row_of(branch.db, branch.admin).branch_offline_quota == 2

    # Offline, each branch makes two uses; A's third sale is at full price, and says why.
    assert [sell_botox(a).total_amount for _ in range(2)] == [DISCOUNTED, DISCOUNTED]
    assert row_of(a.db, a.admin).offline_uses == 2
    why = [n.message for n in quote_botox(a).priced.not_applied if n.campaign_code == "INJECT10"]
    assert why and "offline quota" in why[0] and "sync with the centre" in why[0]
    assert sell_botox(a).total_amount == FULL
    assert [sell_botox(b).total_amount for _ in range(2)] == [DISCOUNTED, DISCOUNTED]

    # A syncs first: the centre counts its 2, then B's 2: one past the chain's limit of 3.
    a.sync()
    b.sync()
    a.sync()
    for branch in two_branches:
        row = row_of(branch.db, branch.admin)
        assert (row.uses, row.max_total_uses, row.over_limit, row.offline_uses) == (4, 3, 1, 0)
        assert sell_botox(branch).total_amount == FULL  # the limit holds again
    at_centre = row_of(head_office.db, head_office.admin)
    assert (at_centre.uses, at_centre.over_limit) == (4, 1)
    assert at_centre.overrun_by_branch == (("KOR", 1),)


def check(data: dict):
    return validate_promotion(data, item_codes=set(), categories=set())


def test_a_quota_is_for_a_capped_promotion_and_within_its_limit():
    spec = {**INJECT10, "rules": {"scope": "invoice"}}
    with pytest.raises(SpecError, match="limit of uses in total") as missing:
        check({**spec, "branch_offline_quota": 2})
    assert missing.value.field == "branch_offline_quota"
    with pytest.raises(SpecError, match="at most the limit of 3"):
        check({**spec, "max_total_uses": 3, "branch_offline_quota": 4})
    with pytest.raises(SpecError, match="at least 1"):
        check({**spec, "max_total_uses": 3, "branch_offline_quota": 0})
    valid = check({**spec, "max_total_uses": 3, "branch_offline_quota": "2"})
    assert valid.branch_offline_quota == 2
    assert valid.to_json()["branch_offline_quota"] == 2
    assert check(valid.to_json()) == valid
