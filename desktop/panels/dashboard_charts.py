"""The dashboard's chart cards: each built from its CardSpec, each filled from a refresh.

Importing this module brings pyqtgraph and numpy (through desktop.widgets.charts), about a
second on a cold start. The dashboard panel therefore never imports it on the UI thread: it
calls `desktop.panels.dashboard_preload.preload` in a worker, then builds and fills one card
per turn of the event loop.
"""

from __future__ import annotations

from datetime import date

from desktop.panels import dashboard_figures as figures
from desktop.panels.dashboard_figures import CardSpec
from desktop.widgets.charts import AskPath, BarChart, ChartCard, LineChart, StackedBarChart
from services import dashboard as dashboard_service
from services.dashboard import Dashboard

NO_CUSTOMERS = "No customers match the filters."
NO_USES = "No promotion has been used yet."
# The distribution cards' own notes (a score card shows its edges instead).
_NOTES = {key: note for key, _title, note in figures.DISTRIBUTIONS}


def build_card(spec: CardSpec, ask_path: AskPath) -> ChartCard:
    """An empty card as `spec` describes it."""
    if spec.kind == "stacks":
        return StackedBarChart(
            spec.key, spec.title, spec.note, ask_path=ask_path, clickable=spec.clickable
        )
    if spec.kind == "lines":
        return LineChart(spec.key, spec.title, spec.note, ask_path=ask_path)
    return BarChart(
        spec.key,
        spec.title,
        spec.note,
        ask_path=ask_path,
        horizontal=spec.horizontal,
        unit=spec.unit,
        clickable=spec.clickable,
    )


def fill_card(card: ChartCard, dashboard: Dashboard, today: date) -> None:
    """Draw `dashboard`'s figures for `card` and set the rows it exports."""
    if card.key == figures.FISCAL_YEARS:
        _fill_fiscal_years(card, dashboard)
    elif card.key in _NOTES:
        _fill_distribution(card, dashboard)
    elif card.key == "timeline":
        _fill_timeline(card, dashboard, today)
    else:
        _fill_campaign_bars(card, dashboard)


def _fill_distribution(card: ChartCard, dashboard: Dashboard) -> None:
    assert isinstance(card, BarChart)
    report = dashboard.rfm
    rfm = report.figures
    value_ends = report.filters.value_ends
    measure = figures.SCORE_MEASURES.get(card.key)
    card.set_note(figures.edges_line(rfm.edges, measure) if measure else _NOTES[card.key])
    card.note_label.setToolTip(figures.EDGES_RULE if measure else "")
    card.set_table(figures.distribution_table(card.key, rfm, value_ends))
    nobody = rfm.kpis.total_customer == 0
    bars = [] if nobody else figures.distribution_bars(card.key, rfm, value_ends)
    card.set_bars(bars, NO_CUSTOMERS)


def _fill_fiscal_years(card: ChartCard, dashboard: Dashboard) -> None:
    assert isinstance(card, StackedBarChart)
    rfm = dashboard.rfm.figures
    card.set_table(figures.fiscal_year_table(rfm.fiscal_years))
    nobody = rfm.kpis.total_customer == 0
    card.set_stacks([] if nobody else figures.fiscal_year_stacks(rfm.fiscal_years), NO_CUSTOMERS)


def _fill_campaign_bars(card: ChartCard, dashboard: Dashboard) -> None:
    assert isinstance(card, BarChart)
    charts = dashboard.campaigns
    if card.key == "top_patients":
        card.set_bars(figures.top_patient_bars(charts.top_patients), "No patient has saved yet.")
        card.set_table(figures.top_patients_table(charts.top_patients))
        return
    effects = [e for e in charts.effectiveness if e.uses > 0]
    if card.key == "campaign_uses":
        card.set_bars(figures.campaign_use_bars(effects), NO_USES)
    else:
        card.set_bars(figures.campaign_discount_bars(effects), NO_USES)
    card.set_table(figures.campaign_table(charts.effectiveness))


def _fill_timeline(card: ChartCard, dashboard: Dashboard, today: date) -> None:
    assert isinstance(card, LineChart)
    points = dashboard.campaigns.timeline
    days = figures.timeline_days(today, dashboard_service.TIMELINE_DAYS)
    series = figures.timeline_series(points, days)
    card.set_series(
        series,
        [f"{day.day} {day:%b}" for day in days],
        lambda position: figures.timeline_tooltip(series, days, position),
        f"No promotion was used in the last {dashboard_service.TIMELINE_DAYS} days.",
    )
    card.set_table(figures.timeline_table(points))
