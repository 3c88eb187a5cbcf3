"""RFM scores, segments, buckets and KPIs on data small enough to compute by hand."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyreadr
import pytest

from domain import rfm

AS_OF = date(2026, 3, 31)
DAY = AS_OF.toordinal()
RFM_DATA = Path(__file__).resolve().parents[1] / "data"


def facts(
    *,
    visits,
    first_ago=None,
    last_ago,
    net_paise,
    units=None,
    cost=None,
    first_ever_ago=None,
    years=(),
    visited=None,
):
    n = len(visits)
    first_ago = last_ago if first_ago is None else first_ago
    return rfm.CustomerFacts(
        keys=[f"p{i}" for i in range(n)],
        visits=np.array(visits, dtype=np.int64),
        first_day=DAY - np.array(first_ago, dtype=np.int64),
        last_day=DAY - np.array(last_ago, dtype=np.int64),
        net=np.array(net_paise, dtype=np.int64),
        units=np.array(units if units is not None else visits, dtype=np.int64),
        cost=np.array(cost if cost is not None else [0] * n, dtype=np.int64),
        first_ever_day=DAY
        - np.array(first_ever_ago if first_ever_ago is not None else first_ago, dtype=np.int64),
        years=tuple(years),
        visited_year=np.array(visited, dtype=np.bool_).reshape(n, len(years))
        if visited is not None
        else np.zeros((n, len(years)), dtype=np.bool_),
    )


def test_breakpoints_are_type_7_percentiles_plus_one():
    # Values 1..5: the 20 % percentile sits 0.8 of the way from 1 to 2, so b1 = 1.8 + 1.
    fifths = rfm.breakpoints_fifths(np.array([5, 3, 1, 4, 2], dtype=np.int64), plus=1)
    assert [Decimal(int(x)) / 5 for x in fifths] == [
        Decimal("2.8"),
        Decimal("3.6"),
        Decimal("4.4"),
        Decimal("5.2"),
    ]


def test_the_plus_one_pushes_values_down_a_bin_and_leaves_the_top_bin_empty():
    data = facts(visits=[1, 2, 3, 4, 5], last_ago=[0] * 5, net_paise=[100] * 5)
    scores = rfm.score(data, AS_OF)
    assert scores.f.tolist() == [1, 1, 2, 3, 4]
    assert scores.edges["frequency"] == rfm.Edges(
        lower=(Decimal(1), Decimal("2.8"), Decimal("3.6"), Decimal("4.4"), Decimal("5.2")),
        upper=(Decimal("2.8"), Decimal("3.6"), Decimal("4.4"), Decimal("5.2"), Decimal(6)),
    )


def test_recency_is_reversed_so_the_latest_visitors_score_five():
    data = facts(visits=[1] * 5, last_ago=[0, 100, 200, 300, 400], net_paise=[100] * 5)
    # Days 0..400: breakpoints 81, 161, 241, 321; 0 -> bin 1 -> R 5; 400 -> bin 5 -> R 1.
    assert rfm.score(data, AS_OF).r.tolist() == [5, 4, 3, 2, 1]


def test_equal_values_share_a_score_and_a_bin_may_be_empty():
    data = facts(visits=[2, 2, 2, 2, 7], last_ago=[10] * 5, net_paise=[50_000] * 5)
    scores = rfm.score(data, AS_OF)
    # Percentiles 2, 2, 2, 3 plus one: 3, 3, 3, 4. Every 2 is below 3; 7 is at or above 4.
    assert scores.f.tolist() == [1, 1, 1, 1, 5]
    assert set(scores.r.tolist()) == {5}
    assert set(scores.m.tolist()) == {1}


def test_money_breakpoints_add_one_rupee_and_stay_exact_to_a_fifth_of_a_paisa():
    data = facts(visits=[1] * 4, last_ago=[0] * 4, net_paise=[100_001, 100_002, 100_003, 100_004])
    # 20 % of the way over 3 gaps: 0.6 of the way from 100,001 to 100,002 paise, plus 100.
    assert rfm.score(data, AS_OF).edges["monetary"].lower[1] == Decimal("1001.0160")
    assert rfm.score(data, AS_OF).m.tolist() == [1, 1, 1, 1]


SEED_CASES = [
    ((3, 3, 3), "CHAMPIONS"),
    ((5, 5, 2), "POTENTIAL LOYALISTS"),
    ((2, 2, 1), "POTENTIAL LOYALISTS"),
    ((5, 1, 5), "NEW CUSTOMERS"),
    ((4, 1, 1), "NEW CUSTOMERS"),
    ((3, 1, 5), "NEED ATTENTION"),
    ((1, 5, 5), "NEED ATTENTION"),
]


@pytest.mark.parametrize(("rfm_scores", "segment"), SEED_CASES)
def test_seed_segments_first_match_wins(rfm_scores, segment):
    r, f, m = (np.array([x]) for x in rfm_scores)
    index = rfm.segment_of(r, f, m, rfm.SEED_SEGMENTS)[0]
    assert rfm.SEED_SEGMENTS[index].name == segment


TEN_CASES = [
    ((5, 5, 5), "Champions"),
    ((4, 4, 2), "Potential Loyalist"),
    ((2, 2, 2), "Loyal Customers"),
    ((3, 1, 3), "Promising"),
    ((5, 1, 1), "New Customers"),
    ((1, 3, 4), "Can't Lose Them"),
    ((1, 2, 4), "At Risk"),
    ((1, 5, 3), "Need Attention"),
    ((3, 2, 1), "About To Sleep"),
    ((1, 1, 1), "Lost"),
    ((2, 1, 5), "Others"),
]


@pytest.mark.parametrize(("rfm_scores", "segment"), TEN_CASES)
def test_the_rfm_packages_ten_segments_in_its_documented_order(rfm_scores, segment):
    r, f, m = (np.array([x]) for x in rfm_scores)
    index = rfm.segment_of(r, f, m, rfm.TEN_SEGMENTS)[0]
    names = [rule.name for rule in rfm.TEN_SEGMENTS] + [rfm.OTHERS]
    assert names[index] == segment


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(0, "0-200"), (200, "0-200"), (201, "201-400"), (1000, "801-1000"), (1001, ">1000")],
)
def test_recency_buckets(days, bucket):
    index = rfm.recency_bucket(np.array([days]))[0]
    assert rfm.RECENCY_LABELS[index] == bucket


@pytest.mark.parametrize(
    ("paise", "bucket"),
    [(0, "0-1,000"), (100_000, "0-1,000"), (100_001, "1,000-2,000"), (500_001, ">5,000")],
)
def test_value_buckets_include_their_upper_end(paise, bucket):
    ends = rfm.DEFAULT_VALUE_BUCKET_ENDS
    index = rfm.value_bucket(np.array([paise]), ends)[0]
    assert rfm.value_labels(ends)[index] == bucket


@pytest.mark.parametrize(
    ("visits", "span", "bucket"),
    [
        (3, 59, "< 1 month"),  # mean 29.5 days
        (3, 60, "1-2 months"),  # mean exactly 30
        (3, 121, "1-2 months"),  # mean 60.5
        (2, 61, "2-3 months"),
        (2, 89, "2-3 months"),
        (2, 90, "3-6 months"),
        (2, 364, "6-12 months"),
        (2, 365, "1-2 years"),
        (2, 731, "> 2 years"),
        (1, 0, None),
    ],
)
def test_mean_gap_buckets_compare_fractional_means_exactly(visits, span, bucket):
    data = facts(visits=[visits], first_ago=[span + 5], last_ago=[5], net_paise=[100])
    index = rfm.return_gap_bucket(data)[0]
    assert (rfm.GAP_LABELS[index] if index >= 0 else None) == bucket


def test_kpis_by_hand():
    data = facts(
        visits=[1, 3, 2],
        first_ago=[10, 100, 50],
        last_ago=[10, 40, 20],
        net_paise=[100_000, 250_050, 49_950],
        units=[2, 5, 2],
        cost=[30_000, 100_000, 0],
    )
    figures, _scores, _mask = rfm.figures(data, AS_OF)
    assert figures.kpis == rfm.Kpis(
        total_customer=3,
        unit_per_transaction=Decimal("1.50"),  # 9 units / 6 visits
        profit_per_customer=Decimal("900.00"),  # (4,000.00 - 1,300.00) / 3
        customer_spending=Decimal("4000.00"),
        days_to_return=Decimal("30.00"),  # gaps (60 + 30) over (2 + 1) returns
        retention_rate=Decimal("66.67"),
    )


def test_score_filters_choose_customers_after_scoring_everyone():
    data = facts(visits=[1, 2, 3, 4, 5], last_ago=[0] * 5, net_paise=[100] * 5)
    everyone, scores, _ = rfm.figures(data, AS_OF)
    only_f1, scores_f1, mask = rfm.figures(data, AS_OF, rfm.Filters(f=1))
    assert scores_f1.f.tolist() == scores.f.tolist()
    assert only_f1.kpis.total_customer == 2
    assert [bar.count for bar in only_f1.f_scores] == [2, 0, 0, 0, 0]
    assert everyone.kpis.total_customer == 5
    picked = rfm.figures(data, AS_OF, rfm.Filters(chosen=np.array([1, 0, 0, 0, 1], bool)))[0]
    assert picked.kpis.customer_spending == Decimal("2.00")
    assert mask.tolist() == [True, True, False, False, False]


def test_fiscal_year_customers_split_by_their_first_visit_ever():
    # Fiscal years starting April 2024 and April 2025; as of 31-03-2026.
    data = facts(
        visits=[2, 1, 1],
        first_ago=[400, 30, 30],
        last_ago=[30, 30, 30],
        net_paise=[100, 100, 100],
        first_ever_ago=[400, 30, 900],
        years=(2024, 2025),
        visited=[[True, True], [False, True], [False, True]],
    )
    figures, scores, mask = rfm.figures(data, AS_OF)
    assert figures.fiscal_years == (
        rfm.FiscalYearSplit("2024-2025", 1, 1, 0, Decimal("100.00"), Decimal("0.00")),
        rfm.FiscalYearSplit("2025-2026", 3, 1, 2, Decimal("33.33"), Decimal("66.67")),
    )
    new = rfm.members(data, scores, mask, "fiscal_years", "2025-2026 new")
    assert new.tolist() == [1]


def test_a_click_on_a_bar_lists_exactly_the_customers_counted_in_it():
    data = facts(visits=[1, 2, 3, 4, 5, 9, 12], last_ago=[0] * 7, net_paise=[100] * 7)
    figures, scores, mask = rfm.figures(data, AS_OF)
    for chart in ("segments", "r_scores", "f_scores", "m_scores", "visits", "value", "recency"):
        for bar in getattr(figures, chart):
            assert len(rfm.members(data, scores, mask, chart, bar.label)) == bar.count
    with pytest.raises(rfm.RfmError, match="no bar"):
        rfm.members(data, scores, mask, "visits", "11")


def test_no_customers_gives_zeros_not_errors():
    figures, _scores, _mask = rfm.figures(facts(visits=[], last_ago=[], net_paise=[]), AS_OF)
    assert figures.kpis.total_customer == 0
    assert figures.kpis.retention_rate == Decimal("0.00")
    assert figures.edges == {}


@pytest.mark.parametrize("ends", [(), (0, 100), (2000, 1000), (1000, 1000)])
def test_value_bucket_ends_must_increase(ends):
    with pytest.raises(rfm.RfmError, match="increasing"):
        rfm.check_value_ends(ends)


def test_scores_outside_one_to_five_are_refused():
    data = facts(visits=[1], last_ago=[0], net_paise=[100])
    with pytest.raises(rfm.RfmError, match="An R score is 1-5"):
        rfm.figures(data, AS_OF, rfm.Filters(r=6))


def rfm_sample_orders():
    orders = pyreadr.read_r(RFM_DATA / "rfm_data_orders.rda")["rfm_data_orders"]
    days = {}
    for customer, order_date, revenue in zip(
        orders["customer_id"], orders["order_date"], orders["revenue"], strict=True
    ):
        day = date.fromisoformat(str(order_date)[:10]).toordinal()
        first, last, count, total = days.get(customer, (day, day, 0, 0))
        days[customer] = (min(first, day), max(last, day), count + 1, total + int(revenue))
    values = list(days.values())
    return facts(
        visits=[v[2] for v in values],
        first_ago=[DAY - v[0] for v in values],
        last_ago=[DAY - v[1] for v in values],
        net_paise=[v[3] * 100 for v in values],
    )


def test_the_rfm_packages_own_test_on_its_sample_orders():
    # rfm 0.3.0's tests/testthat/test-rfm-segment.R: with analysis date 2006-12-31 and its
    # older segment table, "Champions" (R, F, M 4-5) are 158 customers with 1,234 orders
    # and 120,178 of revenue. Its documented thresholds are 115/181/297/482 days,
    # 4/5/6/8 orders and 256/382/506/666 revenue (our edges, rounded).
    data = rfm_sample_orders()
    scores = rfm.score(data, date(2006, 12, 31))
    champions = rfm.segment_of(
        scores.r, scores.f, scores.m, (rfm.SegmentRule("Champions", (4, 5), (4, 5), (4, 5)),)
    )
    chosen = champions == 0
    assert int(chosen.sum()) == 158
    assert int(data.visits[chosen].sum()) == 1234
    assert int(data.net[chosen].sum()) == 120_178 * 100
    rounded = {
        name: [round(value) for value in edges.lower[1:]] for name, edges in scores.edges.items()
    }
    assert rounded == {
        "recency": [115, 181, 297, 482],
        "frequency": [4, 5, 6, 8],
        "monetary": [256, 382, 506, 666],
    }
    assert len(data) == 995
    assert int(data.visits.sum()) == 4906
