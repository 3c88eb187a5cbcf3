"""RFM analysis of a clinic's visits: the manager dashboard's figures (seed 003).

An invoice is a visit; a customer is a patient with a visit in the date window, and the
as-of date is the window's last day. Recency is whole days from the last visit to the
as-of date, frequency the number of visits, monetary the net spent (paise here).

Scores are those of the R package `rfm` (rfm_table_order), so an analyst gets the same
answer: the breakpoints are the 20/40/60/80th percentiles of the customers' values (R's
default quantile, type 7: linear interpolation between order statistics), each plus one
(one rupee for money). With lower edges (min, b1..b4) and upper edges (b1..b4, max + 1) a
value in [lower_i, upper_i) scores i; recency is reversed, so the most recent bin is R = 5.
Equal values always share a score and a bin may be empty.

The percentiles are kept exact: with n sorted values the 20k-th percentile sits at
position (n - 1) * k / 5, so five times it is an integer. Every comparison is done on
five times the value, in integers, and no customer lands on the wrong side of an edge
through floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from domain.errors import BadInput
from domain.fiscal import fiscal_year_bounds, fiscal_year_label, fiscal_year_start

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TWO_PLACES: Final = Decimal("0.01")
PAISE_PER_RUPEE: Final = 100
QUANTILES: Final = 5


class Scheme:
    """Names of the two segment tables."""

    SEED: Final = "seed"
    TEN: Final = "ten"


@dataclass(frozen=True)
class SegmentRule:
    """A segment: inclusive score ranges for R, F and M."""

    name: str
    recency: tuple[int, int]
    frequency: tuple[int, int]
    monetary: tuple[int, int]


ANY: Final = (1, 5)

# Seed 003's four segments, first match wins.
SEED_SEGMENTS: Final = (
    SegmentRule("CHAMPIONS", (3, 5), (3, 5), (3, 5)),
    SegmentRule("POTENTIAL LOYALISTS", (2, 5), (2, 5), ANY),
    SegmentRule("NEW CUSTOMERS", (4, 5), ANY, ANY),
    SegmentRule("NEED ATTENTION", ANY, ANY, ANY),
)

# The `rfm` package's documented ten segments (rfm_segment's example, version 0.3.0).
TEN_SEGMENTS: Final = (
    SegmentRule("Champions", (5, 5), (5, 5), (5, 5)),
    SegmentRule("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    SegmentRule("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    SegmentRule("Promising", (3, 4), (1, 3), (3, 5)),
    SegmentRule("New Customers", (4, 5), (1, 3), (1, 5)),
    SegmentRule("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    SegmentRule("At Risk", (1, 2), (2, 5), (4, 5)),
    SegmentRule("Need Attention", (1, 3), (3, 5), (3, 5)),
    SegmentRule("About To Sleep", (2, 3), (1, 3), (1, 4)),
    SegmentRule("Lost", (1, 1), (1, 5), (1, 5)),
)
OTHERS: Final = "Others"

SEGMENT_TABLES: Final = {Scheme.SEED: SEED_SEGMENTS, Scheme.TEN: TEN_SEGMENTS}

# Recency buckets in days, upper ends inclusive: 0-200, 201-400, ..., 801-1000, >1000.
RECENCY_BUCKET_ENDS: Final = (200, 400, 600, 800, 1000)
VISIT_BUCKETS: Final = 10  # 1..9 visits, then 10+
# Value buckets in rupees, upper ends inclusive: 0-1000, ..., 4000-5000, >5000.
DEFAULT_VALUE_BUCKET_ENDS: Final = (1000, 2000, 3000, 4000, 5000)
# Each returning patient's mean gap between visits, in days: [lower, upper) ranges.
RETURN_GAP_BUCKETS: Final = (
    ("< 1 month", 0, 30),
    ("1-2 months", 30, 61),
    ("2-3 months", 61, 90),
    ("3-6 months", 90, 181),
    ("6-12 months", 181, 365),
    ("1-2 years", 365, 731),
    ("> 2 years", 731, None),
)


class RfmError(BadInput):
    """A filter or setting the analysis cannot use."""


@dataclass(frozen=True)
class CustomerFacts:
    """Each customer's visits in the window, one array entry per customer.

    Days are day numbers (date.toordinal()); money is paise. `visited_year[i, j]` is true
    when customer i has a visit in the window during fiscal year `years[j]` (its starting
    calendar year). `keys` identify the customers to the caller (patient ids)."""

    keys: Sequence[str]
    visits: IntArray
    first_day: IntArray
    last_day: IntArray
    net: IntArray
    units: IntArray
    cost: IntArray
    first_ever_day: IntArray
    years: tuple[int, ...]
    visited_year: BoolArray

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Filters:
    """Which customers the figures count: `chosen` (a mask from the mobile and name
    filters, None for all) and R, F, M scores (None for any)."""

    chosen: BoolArray | None = None
    r: int | None = None
    f: int | None = None
    m: int | None = None


@dataclass(frozen=True)
class Edges:
    """A score's bins in the value's own unit (days, visits, rupees): score i covers
    [lower[i - 1], upper[i - 1]); recency's scores run 5..1 over the same bins."""

    lower: tuple[Decimal, ...]
    upper: tuple[Decimal, ...]


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label (also the key a click selects by) and its patients."""

    label: str
    count: int


@dataclass(frozen=True)
class FiscalYearSplit:
    """A fiscal year's customers: new (first visit ever in that year) and old."""

    label: str
    customers: int
    new: int
    old: int
    new_percent: Decimal
    old_percent: Decimal


@dataclass(frozen=True)
class Kpis:
    """Seed 003's KPI tiles; money in rupees, the rest to two decimals."""

    total_customer: int
    unit_per_transaction: Decimal
    profit_per_customer: Decimal
    customer_spending: Decimal
    days_to_return: Decimal
    retention_rate: Decimal


@dataclass(frozen=True)
class Scores:
    """Every customer's recency (days), R, F, M score and segment index, plus the edges."""

    recency: IntArray
    r: IntArray
    f: IntArray
    m: IntArray
    segment: IntArray
    segment_names: tuple[str, ...]
    edges: dict[str, Edges]


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard draws from the RFM analysis."""

    as_of: date
    kpis: Kpis
    r_scores: tuple[Bar, ...]
    f_scores: tuple[Bar, ...]
    m_scores: tuple[Bar, ...]
    recency: tuple[Bar, ...]
    visits: tuple[Bar, ...]
    value: tuple[Bar, ...]
    return_gap: tuple[Bar, ...]
    segments: tuple[Bar, ...]
    fiscal_years: tuple[FiscalYearSplit, ...]
    edges: dict[str, Edges]


CHARTS: Final = (
    "segments",
    "r_scores",
    "f_scores",
    "m_scores",
    "recency",
    "visits",
    "value",
    "return_gap",
    "fiscal_years",
)


def _ratio(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator to two decimals, half up; 0 when there is nothing to divide."""
    if denominator == 0:
        return Decimal("0.00")
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    hundredths, remainder = divmod(abs(numerator) * 100, abs(denominator))
    if 2 * remainder >= abs(denominator):
        hundredths += 1
    return (Decimal(sign * hundredths) / 100).quantize(TWO_PLACES)


def rupees(paise: int) -> Decimal:
    """Paise as rupees with two decimals."""
    return (Decimal(paise) / PAISE_PER_RUPEE).quantize(TWO_PLACES)


def breakpoints_fifths(values: IntArray, plus: int) -> IntArray:
    """Five times each of the four breakpoints: R's type-7 quantiles at 20..80 %, plus `plus`."""
    ordered = np.sort(values)
    last = len(ordered) - 1
    fifths = []
    for k in range(1, QUANTILES):
        position, remainder = divmod(last * k, QUANTILES)
        low = int(ordered[position])
        step = int(ordered[position + 1]) - low if remainder else 0
        fifths.append(QUANTILES * low + remainder * step + QUANTILES * plus)
    return np.array(fifths, dtype=np.int64)


def bin_numbers(values: IntArray, fifths: IntArray) -> IntArray:
    """Each value's bin, 1-5: one more than the number of breakpoints at or below it."""
    return (np.searchsorted(fifths, QUANTILES * values, side="right") + 1).astype(np.int64)


def _edges(values: IntArray, fifths: IntArray, unit: int) -> Edges:
    def shown(fifth_units: int) -> Decimal:
        value = Decimal(fifth_units) / (QUANTILES * unit)
        return (
            value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
        )

    low = QUANTILES * int(values.min())
    high = QUANTILES * (int(values.max()) + unit)
    cuts = [int(x) for x in fifths]
    return Edges(
        lower=tuple(shown(x) for x in [low, *cuts]),
        upper=tuple(shown(x) for x in [*cuts, high]),
    )


def segment_of(r: IntArray, f: IntArray, m: IntArray, rules: Sequence[SegmentRule]) -> IntArray:
    """Index of each customer's segment in `rules` (first match wins); len(rules) = Others."""
    segment = np.full(len(r), len(rules), dtype=np.int64)
    for index in range(len(rules) - 1, -1, -1):
        rule = rules[index]
        matches = (
            (r >= rule.recency[0])
            & (r <= rule.recency[1])
            & (f >= rule.frequency[0])
            & (f <= rule.frequency[1])
            & (m >= rule.monetary[0])
            & (m <= rule.monetary[1])
        )
        segment[matches] = index
    return segment


def score(facts: CustomerFacts, as_of: date, scheme: str = Scheme.SEED) -> Scores:
    """R, F and M scores and segments of every customer of the window."""
    if scheme not in SEGMENT_TABLES:
        raise RfmError(f"The segment scheme is 'seed' or 'ten', not {scheme!r}")
    rules = SEGMENT_TABLES[scheme]
    names = (*(rule.name for rule in rules), OTHERS)
    recency = as_of.toordinal() - facts.last_day
    if len(facts) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Scores(recency, empty, empty, empty, empty, names, {})
    measures = {
        "recency": (recency, 1, 1),
        "frequency": (facts.visits, 1, 1),
        "monetary": (facts.net, PAISE_PER_RUPEE, PAISE_PER_RUPEE),
    }
    bins = {}
    edges = {}
    for name, (values, plus, unit) in measures.items():
        fifths = breakpoints_fifths(values, plus)
        bins[name] = bin_numbers(values, fifths)
        edges[name] = _edges(values, fifths, unit)
    r = (QUANTILES + 1 - bins["recency"]).astype(np.int64)
    f, m = bins["frequency"], bins["monetary"]
    return Scores(recency, r, f, m, segment_of(r, f, m, rules), names, edges)


def chosen(scores: Scores, filters: Filters) -> BoolArray:
    """The customers every figure counts: the mobile/name choice and the score filters."""
    for label, wanted in (("R", filters.r), ("F", filters.f), ("M", filters.m)):
        if wanted is not None and not 1 <= wanted <= QUANTILES:
            raise RfmError(f"An {label} score is 1-5, not {wanted}")
    mask = np.ones(len(scores.r), dtype=np.bool_)
    if filters.chosen is not None:
        mask &= filters.chosen
    for values, wanted in ((scores.r, filters.r), (scores.f, filters.f), (scores.m, filters.m)):
        if wanted is not None:
            mask &= values == wanted
    return mask


def _counts(keys: IntArray, size: int) -> list[int]:
    return [int(x) for x in np.bincount(keys, minlength=size)[:size]]


def recency_bucket(recency: IntArray) -> IntArray:
    """0-based recency bucket: 0-200, 201-400, ..., >1000 days."""
    return np.searchsorted(np.array(RECENCY_BUCKET_ENDS), recency, side="left").astype(np.int64)


def value_bucket(net: IntArray, ends_rupees: Sequence[int]) -> IntArray:
    """0-based value bucket of each net (paise) against upper-inclusive ends in rupees."""
    ends = np.array([end * PAISE_PER_RUPEE for end in ends_rupees], dtype=np.int64)
    return np.searchsorted(ends, net, side="left").astype(np.int64)


def visit_bucket(visits: IntArray) -> IntArray:
    """0-based visits bucket: 1..9 visits, then 10+."""
    return (np.minimum(visits, VISIT_BUCKETS) - 1).astype(np.int64)


def return_gap_bucket(facts: CustomerFacts) -> IntArray:
    """0-based bucket of each returning customer's mean gap; -1 for one-visit customers.

    The mean gap is (last - first) / (visits - 1) days; it is compared exactly by
    multiplying each bucket's bounds by (visits - 1)."""
    gaps = facts.visits - 1
    span = facts.last_day - facts.first_day
    bucket = np.full(len(facts), -1, dtype=np.int64)
    returning = gaps > 0
    for index, (_label, low, _high) in enumerate(RETURN_GAP_BUCKETS):
        bucket[returning & (span >= low * gaps)] = index
    return bucket


def value_labels(ends_rupees: Sequence[int]) -> tuple[str, ...]:
    """Labels of the value buckets: '0-1,000', '1,000-2,000', ..., '>5,000'."""
    labels = []
    low = 0
    for end in ends_rupees:
        labels.append(f"{low:,}-{end:,}")
        low = end
    labels.append(f">{low:,}")
    return tuple(labels)


def check_value_ends(ends_rupees: Sequence[int]) -> tuple[int, ...]:
    """The value bucket ends, refused unless positive whole rupees in increasing order."""
    ends = tuple(ends_rupees)
    if not ends or any(end <= 0 for end in ends) or list(ends) != sorted(set(ends)):
        raise RfmError("Value buckets need increasing amounts above 0, like 1000, 2000, 5000")
    return ends


def fiscal_years_touched(start: date, end: date, start_month: int) -> tuple[int, ...]:
    """Starting calendar years of the fiscal years the window [start, end] touches."""
    return tuple(
        range(fiscal_year_start(start, start_month), fiscal_year_start(end, start_month) + 1)
    )


def kpis(facts: CustomerFacts, mask: BoolArray) -> Kpis:
    """Seed 003's KPIs over the chosen customers."""
    customers = int(mask.sum())
    visits = int(facts.visits[mask].sum())
    net = int(facts.net[mask].sum())
    profit = net - int(facts.cost[mask].sum())
    gaps = facts.visits[mask] - 1
    spans = facts.last_day[mask] - facts.first_day[mask]
    return Kpis(
        total_customer=customers,
        unit_per_transaction=_ratio(int(facts.units[mask].sum()), visits),
        profit_per_customer=_ratio(profit, customers * PAISE_PER_RUPEE),
        customer_spending=rupees(net),
        days_to_return=_ratio(int(spans.sum()), int(gaps.sum())),
        retention_rate=_ratio(100 * int((facts.visits[mask] >= 2).sum()), customers),
    )


def fiscal_year_splits(
    facts: CustomerFacts, mask: BoolArray, start_month: int
) -> tuple[FiscalYearSplit, ...]:
    """Per fiscal year of the window: its customers, split into new and old."""
    splits = []
    for column, year in enumerate(facts.years):
        first, after = fiscal_year_bounds(year, start_month)
        in_year = mask & facts.visited_year[:, column]
        new_here = (facts.first_ever_day >= first.toordinal()) & (
            facts.first_ever_day < after.toordinal()
        )
        customers = int(in_year.sum())
        new = int((in_year & new_here).sum())
        splits.append(
            FiscalYearSplit(
                label=fiscal_year_label(first, start_month),
                customers=customers,
                new=new,
                old=customers - new,
                new_percent=_ratio(100 * new, customers),
                old_percent=_ratio(100 * (customers - new), customers),
            )
        )
    return tuple(splits)


RECENCY_LABELS: Final = ("0-200", "201-400", "401-600", "601-800", "801-1000", ">1000")
VISIT_LABELS: Final = (*(str(i) for i in range(1, VISIT_BUCKETS)), f"{VISIT_BUCKETS}+")
SCORE_LABELS: Final = tuple(str(i) for i in range(1, QUANTILES + 1))
GAP_LABELS: Final = tuple(label for label, _low, _high in RETURN_GAP_BUCKETS)


def chart_keys(
    chart: str, facts: CustomerFacts, scores: Scores, value_ends: Sequence[int]
) -> tuple[IntArray, tuple[str, ...]]:
    """Each customer's 0-based bar in `chart` (-1 for none) and the bars' labels."""
    if chart == "r_scores":
        return scores.r - 1, SCORE_LABELS
    if chart == "f_scores":
        return scores.f - 1, SCORE_LABELS
    if chart == "m_scores":
        return scores.m - 1, SCORE_LABELS
    if chart == "recency":
        return recency_bucket(scores.recency), RECENCY_LABELS
    if chart == "visits":
        return visit_bucket(facts.visits), VISIT_LABELS
    if chart == "value":
        return value_bucket(facts.net, value_ends), value_labels(value_ends)
    if chart == "return_gap":
        return return_gap_bucket(facts), GAP_LABELS
    if chart == "segments":
        return scores.segment, scores.segment_names
    raise RfmError(f"There is no chart called {chart!r}")


def figures(
    facts: CustomerFacts,
    as_of: date,
    filters: Filters = Filters(),
    *,
    scheme: str = Scheme.SEED,
    value_ends: Sequence[int] = DEFAULT_VALUE_BUCKET_ENDS,
    start_month: int = 4,
) -> tuple[Figures, Scores, BoolArray]:
    """All of the dashboard's RFM figures, the scores behind them and the chosen mask."""
    ends = check_value_ends(value_ends)
    scores = score(facts, as_of, scheme)
    mask = chosen(scores, filters)

    def bars(chart: str) -> tuple[Bar, ...]:
        keys, labels = chart_keys(chart, facts, scores, ends)
        counts = _counts(keys[mask & (keys >= 0)], len(labels))
        return tuple(Bar(label, count) for label, count in zip(labels, counts, strict=True))

    return (
        Figures(
            as_of=as_of,
            kpis=kpis(facts, mask),
            r_scores=bars("r_scores"),
            f_scores=bars("f_scores"),
            m_scores=bars("m_scores"),
            recency=bars("recency"),
            visits=bars("visits"),
            value=bars("value"),
            return_gap=bars("return_gap"),
            segments=bars("segments"),
            fiscal_years=fiscal_year_splits(facts, mask, start_month),
            edges=scores.edges,
        ),
        scores,
        mask,
    )


def members(
    facts: CustomerFacts,
    scores: Scores,
    mask: BoolArray,
    chart: str,
    key: str,
    *,
    value_ends: Sequence[int] = DEFAULT_VALUE_BUCKET_ENDS,
    start_month: int = 4,
) -> IntArray:
    """Indices of the chosen customers behind one bar of one chart (a click on it).

    Fiscal-year bars are keyed 'YYYY-YYYY new' or 'YYYY-YYYY old' ('YYYY-YYYY' for both)."""
    if chart == "fiscal_years":
        return _fiscal_year_members(facts, mask, key, start_month)
    keys, labels = chart_keys(chart, facts, scores, check_value_ends(value_ends))
    if key not in labels:
        raise RfmError(f"The {chart} chart has no bar {key!r}")
    return np.flatnonzero(mask & (keys == labels.index(key))).astype(np.int64)


def _fiscal_year_members(
    facts: CustomerFacts, mask: BoolArray, key: str, start_month: int
) -> IntArray:
    """Customers of a fiscal year: key 'YYYY-YYYY', optionally ' new' or ' old' after it."""
    label, _, part = key.partition(" ")
    for column, year in enumerate(facts.years):
        first, after = fiscal_year_bounds(year, start_month)
        if fiscal_year_label(first, start_month) != label:
            continue
        selected = mask & facts.visited_year[:, column]
        new_here = (facts.first_ever_day >= first.toordinal()) & (
            facts.first_ever_day < after.toordinal()
        )
        if part == "new":
            selected &= new_here
        elif part == "old":
            selected &= ~new_here
        elif part:
            raise RfmError(f"A fiscal-year bar is 'new' or 'old', not {part!r}")
        return np.flatnonzero(selected).astype(np.int64)
    raise RfmError(f"The window has no fiscal year {label!r}")
