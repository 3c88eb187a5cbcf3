"""A campaign's lift over its hold-out group (domain.campaign_lift), on figures worked by hand."""

import pytest

from domain.campaign_lift import Group, measure


def test_a_significant_lift_gives_incremental_conversions_revenue_and_roi():
    # 1,000 messaged, 200 converted (20 %), Rs.2,00,000; 250 held out, 25 converted (10 %),
    # Rs.25,000.01. Without the campaign the messaged would have made 25 x 4 = 100
    # conversions and 2,500,001 x 4 = 10,000,004 paise; the messages cost Rs.250.
    lift = measure(Group(1000, 200, 20_000_000), Group(250, 25, 2_500_001), cost=25_000)

    assert lift is not None
    assert lift.expected_conversions == 100
    assert lift.incremental_conversions == 100
    assert lift.expected_revenue == 10_000_004
    assert lift.incremental_revenue == 9_999_996
    assert lift.incremental_roi == pytest.approx((9_999_996 - 25_000) / 25_000)
    assert lift.relative_lift == pytest.approx(1.0)  # 20 % is twice 10 %
    # pooled 225/1250 = 0.18; z = 0.1 / sqrt(0.18 x 0.82 x (1/1000 + 1/250)) = 3.681
    assert lift.test.z == pytest.approx(3.681, abs=1e-3)
    assert lift.measurable
    assert lift.sentence().startswith("Lift: messaged patients converted 20.0%")
    assert "100.0 conversions and Rs.99,999.96 revenue more" in lift.sentence()


def test_the_demo_campaign_whose_hold_out_converts_better_has_no_measurable_lift():
    # The demo's figures: 211 messaged, 27 converted (12.8 %), Rs.2,51,960; 29 held out,
    # 5 converted (17.2 %), Rs.46,430: expected 5 x 211 / 29 = 36.38 conversions and
    # 4,643,000 x 211 / 29 = 33,781,827.59 -> 33,781,828 paise, more than came.
    lift = measure(Group(211, 27, 25_196_000), Group(29, 5, 4_643_000), cost=2_020)

    assert lift is not None
    assert lift.incremental_conversions == pytest.approx(27 - 5 * 211 / 29)
    assert lift.incremental_revenue == 25_196_000 - 33_781_828
    assert lift.incremental_roi == pytest.approx((25_196_000 - 33_781_828 - 2_020) / 2_020)
    assert not lift.measurable
    assert lift.sentence().startswith("No measurable lift")


def test_a_higher_rate_that_is_not_significant_is_no_measurable_lift():
    # 15 % against 10 %: pooled 35/250 = 0.14, z = 0.05 / 0.05486 = 0.911, p = 0.36.
    lift = measure(Group(200, 30, 6_000_000), Group(50, 5, 900_050), cost=5_000)

    assert lift is not None
    assert lift.incremental_conversions == 10 and lift.incremental_revenue == 2_399_800
    assert lift.test.p_value == pytest.approx(0.362, abs=1e-3)
    assert not lift.measurable
    assert "No measurable lift" in lift.sentence()


def test_expected_revenue_is_rounded_half_up_to_the_paisa():
    assert measure(Group(2, 0, 0), Group(3, 1, 100), cost=0).expected_revenue == 67  # 66.67
    assert measure(Group(1, 0, 0), Group(3, 1, 100), cost=0).expected_revenue == 33  # 33.33
    assert measure(Group(1, 0, 0), Group(2, 1, 1), cost=0).expected_revenue == 1  # 0.5


def test_without_a_cost_there_is_no_incremental_roi_and_without_a_hold_out_no_lift():
    assert measure(Group(10, 2, 100), Group(10, 1, 50), cost=0).incremental_roi is None
    assert measure(Group(10, 2, 100), Group(0, 0, 0), cost=100) is None
    assert measure(Group(0, 0, 0), Group(10, 1, 50), cost=0) is None


def test_a_hold_out_that_never_converts_has_no_relative_lift():
    lift = measure(Group(100, 5, 500), Group(20, 0, 0), cost=0)

    assert lift is not None and lift.relative_lift is None
    assert lift.incremental_conversions == 5
