"""A campaign's results: the figures at a glance (sent, delivered, failed, converted,
revenue, cost, ROI attributed and over the hold-out), the lift, the A/B decision as
services.campaigns computes it, and four charts: what became of the messages; the
conversion rate of each template and of the hold-out; performance over time (running
totals by day) and conversions per day.

Importing this module brings pyqtgraph (desktop.widgets.charts): the Campaigns panel
imports it in a worker the first time results are asked for, never at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.campaigns.draft import channel_text
from desktop.widgets.chart_data import BarSpec, LineSeries, Table
from desktop.widgets.charts import BarChart, LineChart
from domain import ab_test
from domain.money import format_rupees, group_indian
from services.campaigns.campaigns import ArmResult, Day, Results

AskPath = Callable[[str, str], Path | None]
OUTCOMES = (
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("replied", "Replied"),
    ("opted_out", "Opted out"),
    ("conversions", "Converted"),
)


def arm_name(variant: str) -> str:
    return "Hold-out" if variant == ab_test.HOLDOUT else f"Template {variant}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def roi_text(results: Results) -> str:
    """'ROI 340 %' style figure: (revenue - cost) / cost; '-' without a cost."""
    roi = results.roi
    return "-" if roi is None else f"{roi * 100:,.0f} %"


def incremental_text(results: Results) -> str:
    """The incremental ROI over the hold-out: 'No lift' unless the lift is measurable, '-'
    without a hold-out or a cost."""
    lift = results.lift
    if lift is None:
        return "-"
    if not lift.measurable:
        return "No lift"
    roi = lift.incremental_roi
    return "-" if roi is None else f"{roi * 100:,.0f} %"


def channels_text(results: Results) -> str:
    """Each channel's share of a campaign on several (empty for one channel)."""
    if len(results.by_channel) < 2:
        return ""
    return (
        "By channel: "
        + "; ".join(
            f"{channel_text(arm.variant)} {group_indian(arm.sent)} sent, "
            f"{group_indian(arm.conversions)} converted, {format_rupees(arm.cost)}"
            for arm in results.by_channel
        )
        + "."
    )


def incremental_tooltip(results: Results) -> str:
    lift = results.lift
    if lift is None:
        return "Needs a hold-out group: the lift over it is what the campaign changed"
    roi = "-" if lift.incremental_roi is None else f"{lift.incremental_roi * 100:,.0f} %"
    return (
        f"Against the hold-out: {lift.incremental_conversions:,.1f} conversions, "
        f"{format_rupees(lift.incremental_revenue)} revenue, ROI {roi} "
        f"(p = {lift.test.p_value:.3f})"
    )


def decision_text(results: Results) -> str:
    """The A/B decision and the hold-out's comparison, in sentences."""
    lines = []
    if results.decision is not None:
        lines.append(f"A/B test: {results.decision.reason}")
    elif len([a for a in results.arms if a.variant != ab_test.HOLDOUT]) == 1:
        lines.append("One template: no A/B test.")
    if results.total.recipients:
        lines.append(results.lift_sentence())
    if results.budget_stopped:
        lines.append(f"The budget stopped {group_indian(results.budget_stopped)} trigger messages.")
    return " ".join(lines)


def outcome_bars(total: ArmResult) -> list[BarSpec]:
    bars = []
    for key, label in OUTCOMES:
        value = int(getattr(total, key))
        # Conversions are of recipients (each patient once); the rest of messages.
        whole, of = (
            (total.recipients, "recipients")
            if key == "conversions"
            else (total.messages, "messages")
        )
        share = percent(value, whole)
        bars.append(
            BarSpec(
                key,
                label,
                float(value),
                group_indian(value),
                f"{label}: {group_indian(value)} of {group_indian(whole)} {of} ({share})",
            )
        )
    return bars


def conversion_bars(results: Results) -> list[BarSpec]:
    bars = []
    for arm in results.arms:
        rate = arm.rate(arm.conversions) * 100
        bars.append(
            BarSpec(
                arm.variant,
                arm_name(arm.variant),
                rate,
                f"{rate:.1f} %",
                f"{arm_name(arm.variant)}: {group_indian(arm.conversions)} of "
                f"{group_indian(arm.recipients)} converted, {format_rupees(arm.revenue)} revenue",
            )
        )
    return bars


def arms_table(results: Results) -> Table:
    header = (
        "group", "recipients", "messages", *(key for key, _label in OUTCOMES), "revenue_paise"
    )  # fmt: skip
    rows = tuple(
        (
            arm.variant,
            str(arm.recipients),
            str(arm.messages),
            *(str(getattr(arm, key)) for key, _label in OUTCOMES),
            str(arm.revenue),
        )
        for arm in results.arms
    )
    return Table(header, rows)


CHART_HEIGHT = 230
CHART_MAX_HEIGHT = 320
# A campaign sends in a day or two and converts over weeks: per day, the sends are one
# spike beside a month of zeros, so they are drawn as running totals; conversions per day.
RUNNING_LINES = (
    ("Sent", "sent"),
    ("Delivered", "delivered"),
    ("Failed", "failed"),
    ("Converted", "conversions"),
)


def day_label(day: Day) -> str:
    return f"{day.day.day} {day.day:%b}"


def day_series(
    days: list[Day], lines: tuple[tuple[str, str], ...], *, running: bool = False
) -> list[LineSeries]:
    """A line per count of `lines` ((name, Day field)) over the campaign's days, each day's
    own count or (`running`) the total so far."""
    series = []
    for name, key in lines:
        values, so_far = [], 0
        for day in days:
            so_far = so_far * running + int(getattr(day, key))
            values.append(so_far)
        series.append(LineSeries(name, name, tuple(values), (0,) * len(days)))
    return series


def day_tooltip(days: list[Day], position: int) -> str:
    """That day's own figures, and the totals by its end."""
    day = days[position]
    upto = days[: position + 1]

    def both(key: str) -> str:
        return (
            f"{group_indian(getattr(day, key))} "
            f"({group_indian(sum(getattr(d, key) for d in upto))} so far)"
        )

    return (
        f"{day.day:%a %d %b %Y}: sent {both('sent')}, delivered {both('delivered')}, "
        f"failed {both('failed')}, converted {both('conversions')}"
    )


def days_table(days: list[Day]) -> Table:
    return Table(
        ("day", "sent", "delivered", "failed", "conversions"),
        tuple(
            (d.day.isoformat(), str(d.sent), str(d.delivered), str(d.failed), str(d.conversions))
            for d in days
        ),
    )


class Figure(QFrame):
    """One figure with its caption, like the dashboard's tiles."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("ResultFigure")
        self.caption = QLabel(caption)
        self.caption.setObjectName("Muted")
        self.value = QLabel("-")
        self.value.setObjectName("ResultValue")
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 6, 10, 6)
        column.setSpacing(0)
        column.addWidget(self.caption)
        column.addWidget(self.value)


class ResultsView(QWidget):
    """The results of one campaign (set_results draws them).

    The figures come at once; the four charts are built one per turn of the event loop
    (each pyqtgraph plot takes tens of milliseconds to build and draw), so the window keeps
    answering while the results view first fills in. Each draws the latest results when
    it is built.

    Signals:
        chart_built(object): a chart was built and drawn (BarChart or LineChart).
        charts_built(): the last of them was.
    """

    chart_built = Signal(object)
    charts_built = Signal()

    outcomes: BarChart
    conversions: BarChart
    running: LineChart
    conversions_by_day: LineChart

    def __init__(self, ask_path: AskPath, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ask_path = ask_path
        self._results: Results | None = None
        self._built: list[BarChart | LineChart] = []
        self._building = True
        self.heading = QLabel()
        self.heading.setObjectName("PaneHeading")
        self.heading.setWordWrap(True)
        self.figures: dict[str, Figure] = {}
        grid = QGridLayout()
        grid.setSpacing(8)
        names = (
            ("recipients", "Recipients"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("failed", "Failed"),
            ("conversions", "Converted"),
            ("revenue", "Revenue"),
            ("cost", "Cost"),
            ("roi", "ROI attributed"),
            ("incremental", "ROI over hold-out"),
        )
        for index, (key, caption) in enumerate(names):
            figure = Figure(caption)
            self.figures[key] = figure
            grid.addWidget(figure, 0, index)
        self.decision_label = QLabel()
        self.decision_label.setObjectName("ABDecision")
        self.decision_label.setWordWrap(True)
        self.decision_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addWidget(self.heading)
        column.addLayout(grid)
        column.addWidget(self.decision_label)
        # A place of its final size for each chart, two a row, so that a chart arriving
        # does not resize (and redraw) those already there.
        self._slots: list[QVBoxLayout] = []
        for _row in range(2):
            row = QHBoxLayout()
            row.setSpacing(12)
            for _place in range(2):
                slot = QWidget()
                # A plot asks for 480 pixels: capped, the two rows stay alike and the
                # results scroll less.
                slot.setMinimumHeight(CHART_HEIGHT)
                slot.setMaximumHeight(CHART_MAX_HEIGHT)
                place = QVBoxLayout(slot)
                place.setContentsMargins(0, 0, 0, 0)
                row.addWidget(slot, 1)
                self._slots.append(place)
            column.addLayout(row, 1)
        self._to_build: list[Callable[[], BarChart | LineChart]] = [
            self._outcomes_chart,
            self._conversions_chart,
            self._running_chart,
            self._conversions_by_day_chart,
        ]
        QTimer.singleShot(0, self, self._build_next)

    # -- the charts, one a turn --------------------------------------------------------------

    def _outcomes_chart(self) -> BarChart:
        self.outcomes = BarChart(
            "campaign_outcomes",
            "What became of the messages",
            "Of every message made, the hold-out group left out",
            ask_path=self._ask_path,
            horizontal=True,
        )
        return self.outcomes

    def _conversions_chart(self) -> BarChart:
        self.conversions = BarChart(
            "campaign_conversions",
            "Conversion rate by group",
            "Patients with an invoice within the attribution window",
            ask_path=self._ask_path,
            unit="percent",
        )
        return self.conversions

    def _running_chart(self) -> LineChart:
        self.running = LineChart(
            "campaign_over_time",
            "Performance over time",
            "Running totals by day, the hold-out group left out",
            ask_path=self._ask_path,
        )
        return self.running

    def _conversions_by_day_chart(self) -> LineChart:
        self.conversions_by_day = LineChart(
            "campaign_conversions_by_day",
            "Conversions per day",
            "On the day of each recipient's first invoice in the window",
            ask_path=self._ask_path,
        )
        return self.conversions_by_day

    def _build_next(self) -> None:
        chart = self._to_build.pop(0)()
        chart.setMinimumHeight(CHART_HEIGHT)
        self._slots[len(self._built)].addWidget(chart)
        self._built.append(chart)
        # Drawn on the next turn: building and drawing together stalled the window twice
        # as long.
        QTimer.singleShot(0, self, lambda: self._chart_ready(chart))

    def _chart_ready(self, chart: BarChart | LineChart) -> None:
        if self._results is not None:
            self._draw_chart(chart, self._results)
        self.chart_built.emit(chart)
        if self._to_build:
            QTimer.singleShot(0, self, self._build_next)
        else:
            self._building = False
            self.charts_built.emit()

    def is_building(self) -> bool:
        """Some of the charts are still to be built or drawn."""
        return self._building

    def charts(self) -> tuple[BarChart | LineChart, ...]:
        """The charts built so far, in their order."""
        return tuple(self._built)

    def set_results(self, results: Results) -> None:
        total = results.total
        channel = channel_text(results.channel)
        status = results.status[:1].upper() + results.status[1:]
        self.heading.setText(f"{results.name} - {status}, {channel}")
        values = {
            "recipients": group_indian(total.recipients),
            "sent": group_indian(total.sent),
            "delivered": group_indian(total.delivered),
            "failed": group_indian(total.failed),
            "conversions": group_indian(total.conversions),
            "revenue": format_rupees(total.revenue),
            "cost": format_rupees(total.cost),
            "roi": roi_text(results),
            "incremental": incremental_text(results),
        }
        for key, text in values.items():
            self.figures[key].value.setText(text)
        self.figures["recipients"].setToolTip(
            f"Patients messaged, each once: {group_indian(total.messages)} messages in all"
        )
        self.figures["sent"].setToolTip("Messages sent: a patient messaged twice counts twice")
        self.figures["roi"].setToolTip(
            "(revenue - cost) / cost, counting every invoice of a messaged patient"
        )
        self.figures["incremental"].setToolTip(incremental_tooltip(results))
        self.decision_label.setText(
            " ".join(part for part in (channels_text(results), decision_text(results)) if part)
        )
        self._results = results
        for chart in self._built:
            self._draw_chart(chart, results)

    def _draw_chart(self, chart: BarChart | LineChart, results: Results) -> None:
        total, days = results.total, results.by_day
        nothing = "No message of this campaign has been made yet: launch it."
        if chart is self.outcomes:
            self.outcomes.set_bars(outcome_bars(total) if total.recipients else [], nothing)
            self.outcomes.set_table(arms_table(results))
        elif chart is self.conversions:
            self.conversions.set_bars(conversion_bars(results) if results.arms else [], nothing)
            self.conversions.set_table(arms_table(results))
        elif isinstance(chart, LineChart):
            running = chart is self.running
            lines = RUNNING_LINES if running else (("Converted", "conversions"),)
            chart.set_series(
                day_series(days, lines, running=running) if days else [],
                [day_label(day) for day in days],
                lambda position: day_tooltip(days, position),
                "Nothing has been sent yet.",
            )
            chart.set_table(days_table(days))
