"""What the dashboard's charts say, without Qt: the recency scores read the edges the other
way round, amounts are grouped the Indian way, and labels that do not fit are wrapped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtGui import QFont, QFontMetrics

from desktop.panels import dashboard_figures as figures
from desktop.widgets.charts import axis_text, short_rupees, value_ticks, wrap_label
from domain.rfm import Edges
from services.promotion_reports import TimelinePoint

EDGES = {
    "recency": Edges(
        lower=tuple(Decimal(x) for x in ("0", "70", "178.8", "327.2", "505.6")),
        upper=tuple(Decimal(x) for x in ("70", "178.8", "327.2", "505.6", "731")),
    ),
    "frequency": Edges(
        lower=tuple(Decimal(x) for x in ("1", "2", "2", "4", "5")),
        upper=tuple(Decimal(x) for x in ("2", "2", "4", "5", "23")),
    ),
    "monetary": Edges(
        lower=tuple(Decimal(x) for x in ("1700", "4501", "8451", "14831", "25701")),
        upper=tuple(Decimal(x) for x in ("4501", "8451", "14831", "25701", "168106")),
    ),
}


def test_the_most_recent_recency_bin_is_r5_and_the_others_count_down():
    bins = figures.score_bins(EDGES, "recency")

    assert [score for score, _low, _high in bins] == [1, 2, 3, 4, 5]
    assert bins[4] == (5, Decimal("0"), Decimal("70"))  # the first bin of the edges
    assert bins[0] == (1, Decimal("505.6"), Decimal("731"))
    assert figures.score_range("recency", Decimal("0"), Decimal("70")) == "0 to under 70 days"
    assert figures.edges_line(EDGES, "recency").replace("\u00a0", " ") == (
        "R1 505.6-731 · R2 327.2-505.6 · R3 178.8-327.2 · R4 70-178.8 · R5 0-70 days"
    )


def test_frequency_and_money_bins_run_upwards_and_an_empty_bin_says_so():
    assert figures.score_bins(EDGES, "frequency")[1] == (2, Decimal("2"), Decimal("2"))
    assert figures.score_range("frequency", Decimal("2"), Decimal("2")) == (
        "none (both edges are 2)"
    )
    assert figures.score_range("monetary", Decimal("25701"), Decimal("168106")) == (
        "Rs.25,701 to under Rs.1,68,106"
    )
    assert figures.edges_line({}, "monetary") == "No edges: no customers in the window."


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (figures.whole_rupees_text, Decimal("34075994.96"), "Rs.3,40,75,995"),
        (figures.whole_rupees_text, Decimal("11835.46"), "Rs.11,835"),
        (figures.whole_rupees_text, Decimal("0.50"), "Rs.1"),
        (figures.rupees_text, Decimal("34075994.96"), "Rs.3,40,75,994.96"),
        (figures.decimal_text, Decimal("168106"), "1,68,106"),
        (figures.decimal_text, Decimal("178.8"), "178.8"),
    ],
)
def test_amounts_are_grouped_the_indian_way(function, value, text):
    assert function(value) == text


def test_shares_are_rounded_half_up_to_two_places():
    assert figures.percent_text(401, 1998) == "20.07 %"
    assert figures.percent_text(1, 8) == "12.50 %"
    assert figures.percent_text(1, 0) == "0.00 %"


def test_axis_labels_are_short_rupees_and_grouped_counts():
    assert short_rupees(750) == "Rs.750"
    assert short_rupees(25_000) == "Rs.25K"
    assert short_rupees(150_000) == "Rs.1.5L"
    assert short_rupees(20_000_000) == "Rs.2Cr"
    assert axis_text(120_000, "count") == "1,20,000"
    assert axis_text(50, "percent") == "50 %"
    assert value_ticks(875) == [0, 250, 500, 750, 1000]
    assert value_ticks(3) == [0, 1, 2, 3]


def test_a_label_wider_than_its_bar_breaks_near_its_middle(qapp):
    metrics = QFontMetrics(QFont())

    assert wrap_label("6-12 months", 10, metrics) == "6-12\nmonths"
    assert wrap_label("1,000-2,000", 10, metrics) == "1,000-\n2,000"
    assert wrap_label("0-200", 500, metrics) == "0-200"
    assert wrap_label(">1000", 1, metrics) == ">1000"


def test_the_timeline_has_a_point_every_day_and_its_tooltip_lists_the_days_uses():
    days = figures.timeline_days(date(2026, 11, 24), 3)
    points = [
        TimelinePoint(date(2026, 11, 24), "FESTIVE500", "Festive", 2, 100_000),
        TimelinePoint(date(2026, 11, 22), "GLOW20", "Glow", 1, 22_857),
        TimelinePoint(date(2026, 11, 24), "GLOW20", "Glow", 1, 20_000),
        TimelinePoint(date(2026, 10, 1), "OLD", "Too old", 9, 1),
    ]

    series = figures.timeline_series(points, days)

    assert days == [date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)]
    assert [(line.key, line.values) for line in series] == [
        ("FESTIVE500", (0, 0, 2)),
        ("GLOW20", (1, 0, 1)),
    ]
    assert figures.timeline_tooltip(series, days, 2) == (
        "24 Nov 2026\nFESTIVE500: 2 uses, Rs.1,000.00\nGLOW20: 1 use, Rs.200.00"
    )
    assert figures.timeline_tooltip(series, days, 1) == "23 Nov 2026\nNo promotion uses"
