"""The campaigns' A/B test (domain.ab_test), checked against statsmodels (tests only)."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportions_ztest

from domain.ab_test import HOLDOUT, arm, bucket, decide, two_proportion_z


@given(st.integers(0, 500), st.integers(1, 600), st.integers(0, 500), st.integers(1, 600))
def test_the_z_test_agrees_with_statsmodels(x1, n1, x2, n2):
    x1, x2 = min(x1, n1), min(x2, n2)
    ours = two_proportion_z((x1, x2), (n1, n2))
    if (x1 + x2) in (0, n1 + n2):
        assert ours.p_value == 1.0  # no spread: nothing to test
        return
    z, p = proportions_ztest([x1, x2], [n1, n2])
    assert ours.z == pytest.approx(z, rel=1e-9, abs=1e-12)
    assert ours.p_value == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_a_fixed_data_set_picks_the_known_winner():
    decision = decide({"A": (60, 1000), "B": (95, 1000), HOLDOUT: (40, 500)}, 500)
    assert decision.winner == "B" and decision.test is not None
    assert decision.test.p_value < 0.05


def test_a_fixed_data_set_where_it_declines():
    decision = decide({"A": (60, 1000), "B": (70, 1000)}, 500)
    assert decision.winner is None and "not significant" in decision.reason


def test_too_few_recipients_name_no_winner():
    decision = decide({"A": (10, 100), "B": (40, 100)}, 500)
    assert decision.winner is None and "fewer than 500" in decision.reason


def test_the_split_is_deterministic_and_follows_the_shares():
    campaign = uuid.UUID(int=7)
    patients = [uuid.UUID(int=n) for n in range(20_000)]
    arms = [arm(bucket(campaign, p), [("A", 1), ("B", 1)], 10) for p in patients]
    again = [arm(bucket(campaign, p), [("A", 1), ("B", 1)], 10) for p in patients]
    assert arms == again
    counts = {name: arms.count(name) for name in ("A", "B", HOLDOUT)}
    assert abs(counts[HOLDOUT] - 2_000) < 200
    assert abs(counts["A"] - counts["B"]) < 400
    assert all(arm(point, [("only", 3)], 0) == "only" for point in range(0, 10_000, 97))
