"""What each dashboard chart shows, as plain values: bars with their exact tooltips, KPI
tiles, the R/F/M score edges in words, and the rows each chart exports as CSV.

No Qt here: the chart widgets draw these, the tests read them. Heights are floats only
because a plot needs coordinates; every figure a person reads is formatted from the exact
integer or Decimal the service returned (money in paise, Indian grouping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from desktop.widgets.chart_data import BarSpec, LineSeries, StackSpec, Table
from domain.money import format_rupees, group_indian, paise_to_decimal
from domain.rfm import Bar, Edges, Figures, FiscalYearSplit, Kpis
from services.dashboard import TIMELINE_DAYS, TOP_PATIENTS, CustomerRow
from services.promotion_reports import CampaignEffect, TimelinePoint, TopPatient

PAISE_PER_RUPEE = 100

# The distribution charts: the service's chart key, the card's title, and what a bar counts.
DISTRIBUTIONS: tuple[tuple[str, str, str], ...] = (
    ("segments", "Segments", "Each customer's segment from their R, F and M scores"),
    ("r_scores", "Recency score (R)", "Days since the last visit; R5 is the most recent"),
    ("f_scores", "Frequency score (F)", "Visits in the window; F5 visits most"),
    ("m_scores", "Monetary score (M)", "Net spent in the window; M5 spends most"),
    (
        "recency",
        "Days since last visit",
        "Customers by days from their last visit to the as-of date",
    ),
    ("visits", "Visits per customer", "Customers by their number of visits in the window"),
    ("value", "Spending per customer", "Customers by net spent in the window, in rupees"),
    (
        "return_gap",
        "Time between visits",
        "Returning customers by their average gap between visits",
    ),
)
FISCAL_YEARS = "fiscal_years"


@dataclass(frozen=True)
class CardSpec:
    """A chart card: its page and place in the grid, what it draws and how.

    `kind` is "bars", "stacks" (the fiscal years) or "lines" (the timeline); `unit` is
    "count" or "rupees"; a `clickable` card lists the patients behind a bar.
    """

    key: str
    title: str
    note: str
    page: str
    row: int
    col: int
    kind: str = "bars"
    span: int = 1
    horizontal: bool = False
    unit: str = "count"
    clickable: bool = False


RFM_PAGE, CAMPAIGNS_PAGE = "rfm", "campaigns"
_RFM_GRID = (
    ("segments", FISCAL_YEARS, "recency"),
    ("r_scores", "f_scores", "m_scores"),
    ("visits", "value", "return_gap"),
)


def _rfm_cards() -> tuple[CardSpec, ...]:
    words = {key: (title, note) for key, title, note in DISTRIBUTIONS}
    words[FISCAL_YEARS] = (
        "Fiscal years: new vs old",
        "Customers of each fiscal year, by whether it was their first",
    )
    return tuple(
        CardSpec(
            key,
            *words[key],
            RFM_PAGE,
            row,
            col,
            kind="stacks" if key == FISCAL_YEARS else "bars",
            horizontal=key == "segments",
            clickable=True,
        )
        for row, keys in enumerate(_RFM_GRID)
        for col, key in enumerate(keys)
    )


# Every card, in the order they are built: the first page a person sees comes first.
CARDS: tuple[CardSpec, ...] = (
    *_rfm_cards(),
    CardSpec(
        "campaign_uses",
        "Uses per campaign",
        "Invoices each promotion applied to",
        CAMPAIGNS_PAGE,
        0,
        0,
        horizontal=True,
    ),
    CardSpec(
        "campaign_discount",
        "Discount given per campaign",
        "What each promotion took off invoices",
        CAMPAIGNS_PAGE,
        0,
        1,
        horizontal=True,
        unit="rupees",
    ),
    CardSpec(
        "top_patients",
        "Top patients by savings",
        f"The {TOP_PATIENTS} patients promotions saved most",
        CAMPAIGNS_PAGE,
        0,
        2,
        horizontal=True,
        unit="rupees",
    ),
    CardSpec(
        "timeline",
        f"Promotion uses, last {TIMELINE_DAYS} days",
        "Uses per day, a line per campaign",
        CAMPAIGNS_PAGE,
        1,
        0,
        kind="lines",
        span=3,
    ),
)

# Which score chart shows which measure's edges, and how that measure reads.
SCORE_MEASURES = {"r_scores": "recency", "f_scores": "frequency", "m_scores": "monetary"}
_SCORE_LETTERS = {"recency": "R", "frequency": "F", "monetary": "M"}
_UNITS = {"recency": "days", "frequency": "visits", "monetary": ""}
SCORES = 5


@dataclass(frozen=True)
class Tile:
    """A KPI tile: caption, the figure in large, a line under it, the exact in a tooltip."""

    key: str
    caption: str
    value: str
    detail: str
    tooltip: str


# -- numbers in words ------------------------------------------------------------------------


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 customer', '2,041 customers' (Indian grouping)."""
    word = one if count == 1 else (many or f"{one}s")
    return f"{group_indian(count)} {word}"


def decimal_text(value: Decimal) -> str:
    """A Decimal with Indian grouping, keeping its own decimals: 12345.6 -> '12,345.6'."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    return f"{sign}{group_indian(int(whole))}{'.' + fraction if fraction else ''}"


def rupees_text(value: Decimal) -> str:
    """Rupees given as a Decimal, to the paisa: 'Rs.3,40,75,994.96'."""
    return format_rupees(int(value * PAISE_PER_RUPEE))


def whole_rupees_text(value: Decimal) -> str:
    """Rupees to the nearest rupee, half up: 'Rs.3,40,75,995'."""
    paise = int(value * PAISE_PER_RUPEE)
    whole = (abs(paise) + PAISE_PER_RUPEE // 2) // PAISE_PER_RUPEE
    return f"{'-' if paise < 0 else ''}Rs.{group_indian(whole)}"


def percent_text(part: int, whole: int) -> str:
    """part of whole as a percentage to two decimals: '20.07 %' ('0.00 %' of nothing)."""
    if whole == 0:
        return "0.00 %"
    hundredths = (200 * 100 * part + whole) // (2 * whole)  # half up
    return f"{hundredths // 100}.{hundredths % 100:02d} %"


def day_text(day: date) -> str:
    """'24 Nov 2026'."""
    return f"{day.day} {day:%b %Y}"


def rupees_csv(paise: int) -> str:
    """Paise as plain rupees for a CSV cell: '4500.00'."""
    return str(paise_to_decimal(paise))


# -- KPI tiles --------------------------------------------------------------------------------


TILES = (
    ("customers", "Customers"),
    ("units", "Units per visit"),
    ("profit", "Profit per customer"),
    ("spending", "Spending"),
    ("days_to_return", "Days to return"),
    ("retention", "Retention"),
)


def kpi_tiles(kpis: Kpis, as_of: date) -> list[Tile]:
    """Seed 003's six tiles, in the sketch's order."""
    customers = kpis.total_customer
    return [
        Tile(
            "customers",
            "Customers",
            group_indian(customers),
            f"with a visit, as of {day_text(as_of)}",
            f"{plural(customers, 'patient')} with at least one visit in the window",
        ),
        Tile(
            "units",
            "Units per visit",
            f"{kpis.unit_per_transaction}",
            "items on an invoice, on average",
            f"{kpis.unit_per_transaction} units per visit (invoice)",
        ),
        Tile(
            "profit",
            "Profit per customer",
            whole_rupees_text(kpis.profit_per_customer),
            "net spent less cost",
            f"{rupees_text(kpis.profit_per_customer)} per customer (net spent less cost)",
        ),
        Tile(
            "spending",
            "Spending",
            whole_rupees_text(kpis.customer_spending),
            "net spent by these customers",
            f"{rupees_text(kpis.customer_spending)} spent in the window (net of discounts)",
        ),
        Tile(
            "days_to_return",
            "Days to return",
            f"{kpis.days_to_return}",
            "between visits, on average",
            f"{kpis.days_to_return} days between a returning customer's visits, on average",
        ),
        Tile(
            "retention",
            "Retention",
            f"{kpis.retention_rate} %",
            "came back at least once",
            f"{kpis.retention_rate} % of customers visited more than once in the window",
        ),
    ]


# -- R, F and M score edges ---------------------------------------------------------------------


def _edge_text(value: Decimal, measure: str) -> str:
    return f"Rs.{decimal_text(value)}" if measure == "monetary" else decimal_text(value)


def score_bins(edges: dict[str, Edges], measure: str) -> list[tuple[int, Decimal, Decimal]]:
    """(score, lower, upper) for scores 1..5 of `measure`; recency's bins run the other way
    (the first, most recent bin is R5)."""
    found = edges.get(measure)
    if found is None:
        return []
    bins = list(zip(found.lower, found.upper, strict=True))
    if measure == "recency":
        return [(SCORES + 1 - index, *bins[index - 1]) for index in range(SCORES, 0, -1)]
    return [(index, *bins[index - 1]) for index in range(1, SCORES + 1)]


def score_range(measure: str, lower: Decimal, upper: Decimal) -> str:
    """A bin in words: '0 to under 70 days', 'Rs.1,700 to under Rs.4,501', 'none (2 = 2)'."""
    unit = _UNITS[measure]
    low, high = _edge_text(lower, measure), _edge_text(upper, measure)
    if lower >= upper:
        return f"none (both edges are {low})"
    return f"{low} to under {high}{' ' + unit if unit else ''}"


def score_tick(lower: Decimal, upper: Decimal) -> str:
    """A score's bin, short: '0-70', '1,700-4,501', 'none'."""
    if lower >= upper:
        return "none"
    return f"{decimal_text(lower)}-{decimal_text(upper)}"


def edges_line(edges: dict[str, Edges], measure: str) -> str:
    """The edges of one score in bar order, for the chart's note:
    'R1 505.6-731 · R2 327.2-505.6 · ... · R5 0-70 days'."""
    bins = score_bins(edges, measure)
    if not bins:
        return "No edges: no customers in the window."
    letter = _SCORE_LETTERS[measure]
    unit = _UNITS[measure] or "rupees"
    # No-break spaces keep each bin on one line when the note wraps.
    parts = [f"{letter}{score}\u00a0{score_tick(low, high)}" for score, low, high in sorted(bins)]
    return f"{' · '.join(parts)}\u00a0{unit}"


EDGES_RULE = "Each bin holds its lower edge, not its upper: 0-70 is 0 to under 70."


# -- distributions ------------------------------------------------------------------------------


def _value_labels(value_ends: Sequence[int]) -> list[str]:
    labels, low = [], 0
    for end in value_ends:
        labels.append(f"{group_indian(low)}-{group_indian(end)}")
        low = end
    labels.append(f">{group_indian(low)}")
    return labels


def _bucket_words(chart: str, bar: Bar, shown: str) -> str:
    if chart == "recency":
        return f"last visit {shown} days before the as-of date"
    if chart == "visits":
        return f"{shown} visit{'' if shown == '1' else 's'} in the window"
    if chart == "value":
        return f"spent Rs.{shown} in the window"
    if chart == "return_gap":
        return f"a visit every {shown} on average"
    if chart == "segments":
        return f"segment {bar.label}"
    return ""


def distribution_bars(
    chart: str, figures: Figures, value_ends: Sequence[int] = ()
) -> list[BarSpec]:
    """The bars of one distribution chart (a key of DISTRIBUTIONS), tooltips exact."""
    bars: tuple[Bar, ...] = getattr(figures, chart)
    total = figures.kpis.total_customer
    labels = [bar.label for bar in bars]
    if chart == "value" and len(value_ends) + 1 == len(bars):
        labels = _value_labels(value_ends)
    measure = SCORE_MEASURES.get(chart)
    ranges = (
        {score: (low, high) for score, low, high in score_bins(figures.edges, measure)}
        if measure
        else {}
    )
    result = []
    for bar, label in zip(bars, labels, strict=True):
        share = percent_text(bar.count, total)
        if measure:
            letter = _SCORE_LETTERS[measure]
            tick = f"{letter}{bar.label}"
            score = int(bar.label)
            words = ""
            if score in ranges:
                low, high = ranges[score]
                words = f"\n{_measure_name(measure)} {score_range(measure, low, high)}"
            tooltip = f"{letter}{bar.label}: {plural(bar.count, 'customer')} ({share}){words}"
        else:
            tick = label
            tooltip = (
                f"{label}: {plural(bar.count, 'customer')} ({share})\n"
                f"{_bucket_words(chart, bar, label)}"
            )
        result.append(BarSpec(bar.label, tick, float(bar.count), group_indian(bar.count), tooltip))
    return result


def _measure_name(measure: str) -> str:
    return {"recency": "Last visit", "frequency": "Visits", "monetary": "Spent"}[measure]


def distribution_table(chart: str, figures: Figures, value_ends: Sequence[int] = ()) -> Table:
    """A distribution's CSV: bar, customers (and a score's bin edges)."""
    bars: tuple[Bar, ...] = getattr(figures, chart)
    measure = SCORE_MEASURES.get(chart)
    if measure:
        ranges = {score: (low, high) for score, low, high in score_bins(figures.edges, measure)}
        return Table(
            ("score", "customers", "lower_edge", "upper_edge"),
            tuple(
                (
                    bar.label,
                    str(bar.count),
                    *(str(edge) for edge in ranges.get(int(bar.label), ("", ""))),
                )
                for bar in bars
            ),
        )
    labels = [bar.label for bar in bars]
    if chart == "value" and len(value_ends) + 1 == len(bars):
        labels = [label.replace(",", "") for label in _value_labels(value_ends)]
    return Table(
        ("bar", "customers"),
        tuple((label, str(bar.count)) for label, bar in zip(labels, bars, strict=True)),
    )


# -- fiscal years ---------------------------------------------------------------------------------


def fiscal_year_stacks(splits: Iterable[FiscalYearSplit]) -> list[StackSpec]:
    """Each fiscal year's new and old customers as two stacked percentages."""
    stacks = []
    for split in splits:
        parts = []
        for part, count, percent in (
            ("new", split.new, split.new_percent),
            ("old", split.old, split.old_percent),
        ):
            first = "first visit ever" if part == "new" else "first visit in an earlier year"
            parts.append(
                BarSpec(
                    f"{split.label} {part}",
                    split.label,
                    float(percent),
                    f"{percent} %",
                    f"{split.label}, {part}: {plural(count, 'customer')} ({percent} %)\n"
                    f"{first}; {plural(split.customers, 'customer')} that year",
                )
            )
        stacks.append(StackSpec(split.label, (parts[0], parts[1])))
    return stacks


def fiscal_year_table(splits: Iterable[FiscalYearSplit]) -> Table:
    return Table(
        ("fiscal_year", "customers", "new", "old", "new_percent", "old_percent"),
        tuple(
            (
                s.label,
                str(s.customers),
                str(s.new),
                str(s.old),
                str(s.new_percent),
                str(s.old_percent),
            )
            for s in splits
        ),
    )


# -- campaigns ------------------------------------------------------------------------------------


def _campaign_tooltip(effect: CampaignEffect) -> str:
    return (
        f"{effect.campaign_code}: {effect.campaign_name}\n"
        f"{plural(effect.uses, 'use')} by {plural(effect.unique_patients, 'patient')}\n"
        f"{format_rupees(effect.total_discount)} given, "
        f"{format_rupees(effect.average_discount)} per use on average"
    )


def _campaign_bars(
    effects: Iterable[CampaignEffect], measure: Callable[[CampaignEffect], int], money: bool
) -> list[BarSpec]:
    ordered = sorted(effects, key=lambda e: (-measure(e), e.campaign_code))
    return [
        BarSpec(
            e.campaign_code,
            e.campaign_code,
            measure(e) / PAISE_PER_RUPEE if money else float(measure(e)),
            whole_rupees_text(paise_to_decimal(measure(e))) if money else group_indian(measure(e)),
            _campaign_tooltip(e),
        )
        for e in ordered
    ]


def campaign_use_bars(effects: Iterable[CampaignEffect]) -> list[BarSpec]:
    """Uses per campaign, most used first."""
    return _campaign_bars(effects, lambda e: e.uses, money=False)


def campaign_discount_bars(effects: Iterable[CampaignEffect]) -> list[BarSpec]:
    """Discount given per campaign (drawn in rupees), most given first."""
    return _campaign_bars(effects, lambda e: e.total_discount, money=True)


def campaign_table(effects: Iterable[CampaignEffect]) -> Table:
    return Table(
        (
            "campaign_code",
            "campaign_name",
            "uses",
            "unique_patients",
            "total_discount_rupees",
            "average_discount_rupees",
        ),
        tuple(
            (
                e.campaign_code,
                e.campaign_name,
                str(e.uses),
                str(e.unique_patients),
                rupees_csv(e.total_discount),
                rupees_csv(e.average_discount),
            )
            for e in effects
        ),
    )


def timeline_days(today: date, days: int) -> list[date]:
    """The timeline's days, oldest first, ending today."""
    return [today - timedelta(days=days - 1 - offset) for offset in range(days)]


def timeline_series(points: Iterable[TimelinePoint], days: Sequence[date]) -> list[LineSeries]:
    """A line per campaign over `days` (0 on days without a use), most used first."""
    index = {day: position for position, day in enumerate(days)}
    uses: dict[str, list[int]] = {}
    discounts: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for point in points:
        if point.day not in index:
            continue
        code = point.campaign_code
        names[code] = point.campaign_name
        uses.setdefault(code, [0] * len(days))[index[point.day]] += point.uses
        discounts.setdefault(code, [0] * len(days))[index[point.day]] += point.discount
    ordered = sorted(uses, key=lambda code: (-sum(uses[code]), code))
    return [
        LineSeries(code, names[code], tuple(uses[code]), tuple(discounts[code])) for code in ordered
    ]


def timeline_tooltip(series: Sequence[LineSeries], days: Sequence[date], position: int) -> str:
    """One day's uses, campaign by campaign: the tooltip where the pointer is."""
    lines = [day_text(days[position])]
    for line in series:
        count = line.values[position]
        if count:
            lines.append(
                f"{line.key}: {plural(count, 'use')}, {format_rupees(line.amounts[position])}"
            )
    if len(lines) == 1:
        lines.append("No promotion uses")
    return "\n".join(lines)


def timeline_table(points: Iterable[TimelinePoint]) -> Table:
    ordered = sorted(points, key=lambda p: (p.day, p.campaign_code))
    return Table(
        ("day", "campaign_code", "campaign_name", "uses", "discount_rupees"),
        tuple(
            (
                p.day.isoformat(),
                p.campaign_code,
                p.campaign_name,
                str(p.uses),
                rupees_csv(p.discount),
            )
            for p in ordered
        ),
    )


def top_patient_bars(patients: Iterable[TopPatient]) -> list[BarSpec]:
    """Patients by what promotions saved them, most first (drawn in rupees)."""
    return [
        BarSpec(
            str(p.patient_id),
            p.name or p.mobile,
            p.total_savings / PAISE_PER_RUPEE,
            whole_rupees_text(paise_to_decimal(p.total_savings)),
            f"{p.name} ({p.mobile})\nsaved {format_rupees(p.total_savings)} in "
            f"{plural(p.uses, 'use')} of {plural(p.promotions_used, 'promotion')}\n"
            f"last on {day_text(p.last_promotion_at.date())}",
        )
        for p in patients
    ]


def top_patients_table(patients: Iterable[TopPatient]) -> Table:
    return Table(
        ("name", "mobile", "promotions_used", "uses", "total_savings_rupees"),
        tuple(
            (p.name, p.mobile, str(p.promotions_used), str(p.uses), rupees_csv(p.total_savings))
            for p in patients
        ),
    )


# -- customers behind a bar ---------------------------------------------------------------------


def customers_table(rows: Iterable[CustomerRow]) -> Table:
    """The patients behind a bar, as the list's CSV."""
    return Table(
        (
            "name",
            "mobile",
            "last_visit",
            "recency_days",
            "visits",
            "value_rupees",
            "r",
            "f",
            "m",
            "segment",
        ),
        tuple(
            (
                row.name,
                row.mobile,
                row.last_visit.isoformat(),
                str(row.recency),
                str(row.frequency),
                rupees_csv(row.monetary),
                str(row.r),
                str(row.f),
                str(row.m),
                row.segment,
            )
            for row in rows
        ),
    )
