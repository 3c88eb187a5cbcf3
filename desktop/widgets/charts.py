"""The dashboard's chart cards, drawn with pyqtgraph: bars (either way up), stacked bars and
lines, each with exact figures on hover, a click on a bar reported by key, and its own
Export PNG / Export CSV menu.

pyqtgraph (and numpy under it) is imported here, and this module only by the dashboard
panel, which the main window builds on first open: start-up never pays for it. The plots
are read-only pictures: no panning, zooming or pyqtgraph context menu.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg  # type: ignore[import-untyped]  # pyqtgraph ships no type hints
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QCursor, QFont, QFontMetrics, QImage, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop import theme
from desktop.widgets.chart_data import BarSpec, LineSeries, StackSpec, Table, write_csv
from domain.money import group_indian

# Calm colours that stay apart for people with the common colour-vision deficiencies.
PALETTE = ("#0f766e", "#d97706", "#2563eb", "#be185d", "#7c3aed", "#65a30d", "#0891b2", "#9f1239")
BAR = theme.ACCENT
BAR_HOVER = theme.ACCENT_DARK
GRID = "#e4e8ec"
AXIS = "#9aa5b1"
LABEL = "#52606d"
STACK_COLOURS = ("#0f766e", "#93c5bd")
BAR_WIDTH = 0.68
EXPORT_SCALE = 2  # PNGs are drawn at twice the screen's size, sharp in a report
LEFT_AXIS_MAX = 180  # names longer than this are elided on a horizontal chart's axis

AskPath = Callable[[str, str], Path | None]


def tick_font() -> QFont:
    font = QFont()
    font.setPointSizeF(8.5)
    return font


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` steps to `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return float(multiple * power)
    return float(10 * power)


def value_ticks(top: float, *, whole: bool = True, ticks: int = 4) -> list[float]:
    """Round values from 0 past `top` for the value axis (whole numbers for counts)."""
    step = nice_step(top, ticks)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    count = max(1, math.ceil(top / step))
    return [step * i for i in range(count + 1)]


def short_rupees(value: float) -> str:
    """Rupees short for an axis, the Indian way: 'Rs.750', 'Rs.25K', 'Rs.1.5L', 'Rs.2Cr'."""
    whole = round(value)
    for size, suffix in ((10_000_000, "Cr"), (100_000, "L"), (1_000, "K")):
        if whole >= size:
            shown = f"{whole / size:.1f}".removesuffix(".0")
            return f"Rs.{shown}{suffix}"
    return f"Rs.{whole}"


def axis_text(value: float, unit: str) -> str:
    """A value-axis label: '1,20,000', 'Rs.60K', '50 %'."""
    if unit == "rupees":
        return short_rupees(value)
    whole = group_indian(round(value))
    if unit == "percent":
        return f"{whole} %"
    return whole


def wrap_label(label: str, width: float, metrics: QFontMetrics) -> str:
    """`label` on two lines when it is wider than `width`: broken at the space or dash
    nearest its middle ('6-12 months' -> '6-12\\nmonths')."""
    if "\n" in label or metrics.horizontalAdvance(label) <= width:
        return label
    breaks = [i + 1 for i, ch in enumerate(label) if ch == "-" and 0 < i < len(label) - 1]
    breaks += [i for i, ch in enumerate(label) if ch == " " and i > 0]
    if not breaks:
        return label
    middle = len(label) / 2
    cut = min(breaks, key=lambda i: abs(i - middle))
    return f"{label[:cut].rstrip()}\n{label[cut:].lstrip()}"


def _plot_widget() -> Any:
    # No context menu is ever shown: a view box made without one skips building it (about
    # a third of the time a plot takes to make).
    plot = pg.PlotWidget(background="w", viewBox=pg.ViewBox(enableMenu=False))
    plot.setMinimumHeight(170)
    plot.setFrameShape(QFrame.Shape.NoFrame)
    item = plot.getPlotItem()
    item.setMouseEnabled(x=False, y=False)
    item.hideButtons()
    item.setMenuEnabled(False)
    item.getViewBox().setMouseEnabled(x=False, y=False)
    item.layout.setContentsMargins(4, 8, 12, 4)
    font = tick_font()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(AXIS))
        axis.setTextPen(pg.mkPen(LABEL))
        axis.setStyle(tickFont=font, tickLength=0, tickTextOffset=6)
    return plot


class ChartCard(QFrame):
    """A titled card around one plot: a note under the title, an Export menu, a legend
    row, and a sentence in place of the plot when there is nothing to draw.

    Subclasses say where the bars are (`_hit`), what to show on hover and what a click
    selects; the card turns the plot's mouse moves and clicks into tooltips and signals.

    Signals:
        bar_clicked(str): the key of the bar the person clicked.
        exported(str): a PNG or CSV was written to this path.
        export_failed(str): the sentence saying why an export could not be written.
    """

    bar_clicked = Signal(str)
    exported = Signal(str)
    export_failed = Signal(str)

    def __init__(
        self,
        key: str,
        title: str,
        note: str = "",
        *,
        ask_path: AskPath,
        clickable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.title = title
        self.clickable = clickable
        self._ask_path = ask_path
        self._table = Table((), ())
        self._hover: int | None = None
        self.hover_text = ""
        self.setObjectName("ChartCard")
        self.setStyleSheet(theme.section("chart-card"))
        self.setAccessibleName(title)

        self.title_label = QLabel(title)
        self.title_label.setObjectName("ChartTitle")
        self.title_label.setWordWrap(True)  # a narrow card (the smallest window) keeps it whole
        self.note_label = QLabel(note)
        self.note_label.setObjectName("ChartNote")
        self.note_label.setWordWrap(True)
        if not note:
            self.note_label.hide()

        self.export_png_action = QAction("Export PNG...", self)
        self.export_png_action.triggered.connect(lambda: self._ask_and_export("png"))
        self.export_csv_action = QAction("Export CSV...", self)
        self.export_csv_action.triggered.connect(lambda: self._ask_and_export("csv"))
        menu = QMenu(self)
        menu.addAction(self.export_png_action)
        menu.addAction(self.export_csv_action)
        self.menu_button = QToolButton()
        self.menu_button.setObjectName("ChartMenu")
        self.menu_button.setText("Export")
        self.menu_button.setToolTip(f"Save the {title.lower()} chart as a picture or its data")
        self.menu_button.setAccessibleName(f"Export {title}")
        self.menu_button.setMenu(menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.title_label, 1)
        header.addWidget(self.menu_button)

        self.plot = _plot_widget()
        self.plot_item = self.plot.getPlotItem()
        self.view_box = self.plot_item.getViewBox()
        self.empty_label = QLabel()
        self.empty_label.setObjectName("ChartEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.plot)
        self.stack.addWidget(self.empty_label)
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.legend = QLabel()
        self.legend.setObjectName("ChartLegend")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(14, 10, 10, 10)
        column.setSpacing(4)
        column.addLayout(header)
        column.addWidget(self.note_label)
        column.addWidget(self.stack, 1)
        column.addWidget(self.legend)

        scene = self.plot.scene()
        scene.sigMouseMoved.connect(self._mouse_moved)
        scene.sigMouseClicked.connect(self._mouse_clicked)
        # The keyboard reaches the bars too: Tab to the chart, arrows along the bars (their
        # figures show as on hover), Enter or Space for a bar's patients.
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.installEventFilter(self)

    # -- what subclasses provide ------------------------------------------------------------

    def _hit(self, x: float, y: float) -> int | None:
        """The index of the bar (or point) at view coordinates (x, y), or None."""
        return None

    def _tooltip(self, index: int) -> str:
        return ""

    def _click_key(self, index: int) -> str | None:
        return None

    def _highlight(self, index: int | None) -> None:
        """Show the hovered bar (None: no bar)."""

    def _count(self) -> int:
        """How many bars (or points) the arrow keys step through."""
        return 0

    # -- content --------------------------------------------------------------------------

    def set_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def set_table(self, table: Table) -> None:
        """The rows Export CSV writes."""
        self._table = table

    def table(self) -> Table:
        return self._table

    def show_empty(self, sentence: str) -> None:
        """Say `sentence` where the plot was (nothing to draw)."""
        self.empty_label.setText(sentence)
        self.stack.setCurrentWidget(self.empty_label)
        self._set_hover(None)

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def _show_plot(self) -> None:
        self.stack.setCurrentWidget(self.plot)

    def set_legend(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Colour swatches with names under the plot: (colour, name, tooltip)."""
        if not entries:
            self.legend.hide()
            return
        parts = [
            f"<span style='color:{colour}'>&#9632;</span>&nbsp;{name}"
            for colour, name, _tooltip in entries
        ]
        self.legend.setText("&nbsp;&nbsp;&nbsp; ".join(parts))
        self.legend.setToolTip("\n".join(f"{name}: {tip}" for _c, name, tip in entries if tip))
        self.legend.show()

    # -- the mouse ------------------------------------------------------------------------

    def view_point(self, index: int) -> QPointF:
        """The middle of bar `index` in view coordinates (for tests and keyboard users)."""
        raise NotImplementedError

    def scene_point(self, index: int) -> QPointF:
        """The middle of bar `index` in scene coordinates."""
        point: QPointF = self.view_box.mapViewToScene(self.view_point(index))
        return point

    def _index_at(self, scene_pos: QPointF) -> int | None:
        if self.is_empty() or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        view = self.view_box.mapSceneToView(scene_pos)
        return self._hit(float(view.x()), float(view.y()))

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        index = self._index_at(scene_pos)
        self._set_hover(index)
        if index is None:
            QToolTip.hideText()
            return
        widget_pos = self.plot.mapFromScene(scene_pos)
        QToolTip.showText(self.plot.mapToGlobal(widget_pos), self.hover_text, self.plot)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self._highlight(index)
        self.hover_text = "" if index is None else self._tooltip(index)
        clickable = index is not None and self.clickable and self._click_key(index) is not None
        if clickable:
            self.plot.viewport().setCursor(QCursor(Qt.CursorShape.PointingHandCursor))
        else:
            self.plot.viewport().unsetCursor()

    def _mouse_clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self.clickable:
            return
        index = self._index_at(event.scenePos())
        key = None if index is None else self._click_key(index)
        if key is not None:
            event.accept()
            self.bar_clicked.emit(key)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.plot:
            if event.type() == QEvent.Type.KeyPress:
                assert isinstance(event, QKeyEvent)
                return self._key_pressed(event)
            if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
                self.setProperty("focused", event.type() == QEvent.Type.FocusIn)
                self.style().unpolish(self)
                self.style().polish(self)
                if event.type() == QEvent.Type.FocusOut:
                    self._set_hover(None)
        return super().eventFilter(watched, event)

    def _key_pressed(self, event: QKeyEvent) -> bool:
        count = 0 if self.is_empty() else self._count()
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
        step = steps.get(Qt.Key(event.key()))
        if count and step is not None:
            current = self._hover if self._hover is not None else (-1 if step > 0 else count)
            self.point_at(max(0, min(count - 1, current + step)))
            return True
        opens = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        if count and event.key() in opens and self._hover is not None and self.clickable:
            key = self._click_key(self._hover)
            if key is not None:
                self.bar_clicked.emit(key)
            return True
        return False

    def point_at(self, index: int) -> None:
        """Show bar `index` as hovered, its figures in a tooltip beside it."""
        scene_pos = self.scene_point(index)
        self._set_hover(index)
        widget_pos = self.plot.mapFromScene(scene_pos)
        QToolTip.showText(self.plot.mapToGlobal(widget_pos), self.hover_text, self.plot)

    # -- export ---------------------------------------------------------------------------

    def _ask_and_export(self, kind: str) -> None:
        path = self._ask_path(kind, f"{self.key}.{kind}")
        if path is None:
            return
        try:
            if kind == "png":
                self.export_png(path)
            else:
                self.export_csv(path)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self.export_failed.emit(
                f"{path.name} could not be saved ({reason}). Choose another folder."
            )
            return
        self.exported.emit(str(path))

    def export_csv(self, path: Path) -> None:
        """Write the chart's data to `path`."""
        write_csv(path, self._table)

    def export_png(self, path: Path) -> None:
        """Draw the chart, its title and legend into `path` at twice the screen's size."""
        width, plot_height = self.plot.width(), self.plot.height()
        title_font = QFont(self.title_label.font())
        title_height = QFontMetrics(title_font).height() + 16
        legend_height = self.legend.heightForWidth(width) + 8 if self.legend.isVisible() else 0
        image = QImage(
            width * EXPORT_SCALE,
            (title_height + plot_height + legend_height) * EXPORT_SCALE,
            QImage.Format.Format_ARGB32,
        )
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.scale(EXPORT_SCALE, EXPORT_SCALE)
            painter.setFont(title_font)
            painter.setPen(QColor(theme.INK))
            painter.drawText(
                QRect(12, 0, width - 24, title_height),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                self.title,
            )
            target = QRectF(0, title_height, width, plot_height)
            if self.is_empty():
                painter.setPen(QColor(LABEL))
                painter.drawText(target, int(Qt.AlignmentFlag.AlignCenter), self.empty_label.text())
            else:
                # The scene drawn again at the new scale: sharp lines and text, not a
                # stretched screenshot.
                self.plot.render(painter, target, self.plot.viewport().rect())
            if legend_height:
                self.legend.render(painter, QPoint(12, title_height + plot_height + 4))
        finally:
            painter.end()
        if not image.save(str(path)):
            raise OSError(f"could not write {path}")


class BarChart(ChartCard):
    """Bars of categories: upright (categories along the bottom) or lying (categories down
    the left, first at the top, for long names). The figure sits at the end of each bar."""

    def __init__(
        self,
        key: str,
        title: str,
        note: str = "",
        *,
        ask_path: AskPath,
        horizontal: bool = False,
        unit: str = "count",
        clickable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(key, title, note, ask_path=ask_path, clickable=clickable, parent=parent)
        self.horizontal = horizontal
        self.unit = unit
        self.bars: list[BarSpec] = []
        self._item: Any = None
        self._labels: list[Any] = []
        self._ticks: list[str] = []
        self._drawn_ticks: list[str] = []
        if horizontal:
            self.view_box.invertY(True)
            self.plot_item.showGrid(x=True, y=False, alpha=0.35)
        else:
            self.plot_item.showGrid(x=False, y=True, alpha=0.35)
        self.view_box.sigResized.connect(self._resized)

    def set_bars(self, bars: Sequence[BarSpec], empty: str = "Nothing to show") -> None:
        """Draw `bars` (or say `empty` when there are none)."""
        self.bars = list(bars)
        self.plot_item.clear()
        self._item = None
        self._labels = []
        self._hover = None
        if not self.bars:
            self.show_empty(empty)
            return
        self._show_plot()
        positions = list(range(len(self.bars)))
        values = [bar.value for bar in self.bars]
        if self.horizontal:
            self._item = pg.BarGraphItem(
                x0=0, y=positions, height=BAR_WIDTH, width=values, pen=None, brush=BAR
            )
        else:
            self._item = pg.BarGraphItem(
                x=positions, height=values, width=BAR_WIDTH, pen=None, brush=BAR
            )
        self.plot_item.addItem(self._item)
        font = tick_font()
        for position, bar in enumerate(self.bars):
            label = pg.TextItem(
                bar.value_text,
                color=theme.INK,
                anchor=(0, 0.5) if self.horizontal else (0.5, 1),
            )
            label.setFont(font)
            if self.horizontal:
                label.setPos(bar.value, position)
            else:
                label.setPos(position, bar.value)
            self.plot_item.addItem(label)
            self._labels.append(label)
        self._set_ranges(max(values))

    def _resized(self) -> None:
        if self.bars:
            self._set_ranges(max(bar.value for bar in self.bars))

    def _set_ranges(self, top: float) -> None:
        whole = self.unit != "rupees" or top >= 10
        ticks = value_ticks(top if top > 0 else 1, whole=whole, ticks=3 if self.horizontal else 4)
        # Room past the longest bar for its figure.
        metrics = QFontMetrics(tick_font())
        if self.horizontal:
            widest = max(metrics.horizontalAdvance(bar.value_text) for bar in self.bars)
            span = max(ticks[-1], top)
            value_axis, category_axis = "bottom", "left"
            self.plot_item.setYRange(-0.6, len(self.bars) - 0.4, padding=0)
            # The longest bar's figure needs `widest` pixels past its end: the range is wide
            # enough that `top` leaves them free.
            plot_width = max(self.view_box.width(), 200)
            room = min((widest + 14) / plot_width, 0.5)
            self.plot_item.setXRange(0, max(span, top / (1 - room)), padding=0)
        else:
            span = max(ticks[-1], top * 1.12)
            value_axis, category_axis = "left", "bottom"
            self.plot_item.setXRange(-0.6, len(self.bars) - 0.4, padding=0)
            self.plot_item.setYRange(0, span, padding=0)
        labels = [(value, axis_text(value, self.unit)) for value in ticks]
        axis = self.plot_item.getAxis(value_axis)
        axis.setTicks([labels, []])
        if not self.horizontal:
            axis.setWidth(max(metrics.horizontalAdvance(text) for _v, text in labels) + 14)
        self._ticks = [bar.label for bar in self.bars]
        category = self.plot_item.getAxis(category_axis)
        if self.horizontal:
            elided = [
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, LEFT_AXIS_MAX)
                for label in self._ticks
            ]
            category.setTicks([list(enumerate(elided)), []])
            self._drawn_ticks = elided
            category.setWidth(max(metrics.horizontalAdvance(text) for text in elided) + 14)
        self._fit_ticks()

    def _fit_ticks(self) -> None:
        """Category labels along the bottom, each on two lines when its slot is narrow."""
        if self.horizontal or not self._ticks:
            return
        metrics = QFontMetrics(tick_font())
        slot = self.view_box.width() / max(len(self._ticks), 1) - 6
        labels = [wrap_label(label, slot, metrics) for label in self._ticks]
        lines = max(label.count("\n") + 1 for label in labels)
        axis = self.plot_item.getAxis("bottom")
        axis.setTicks([list(enumerate(labels)), []])
        self._drawn_ticks = labels
        axis.setHeight(metrics.lineSpacing() * lines + 12)

    def tick_labels(self) -> list[str]:
        """The category labels as drawn (two-line labels keep their line break)."""
        return list(self._drawn_ticks)

    def _hit(self, x: float, y: float) -> int | None:
        along = y if self.horizontal else x
        index = round(along)
        if 0 <= index < len(self.bars) and abs(along - index) <= 0.5:
            return index
        return None

    def view_point(self, index: int) -> QPointF:
        half = self.bars[index].value / 2
        return QPointF(half, index) if self.horizontal else QPointF(index, half)

    def _tooltip(self, index: int) -> str:
        return self.bars[index].tooltip

    def _count(self) -> int:
        return len(self.bars)

    def _click_key(self, index: int) -> str | None:
        return self.bars[index].key if self.clickable else None

    def _highlight(self, index: int | None) -> None:
        if self._item is None:
            return
        brushes = [BAR_HOVER if i == index else BAR for i in range(len(self.bars))]
        self._item.setOpts(brushes=brushes)


class StackedBarChart(ChartCard):
    """Upright columns of two stacked parts in percent (fiscal years: new below, old above),
    each part's share printed inside it when there is room."""

    PART_NAMES = ("New", "Old")

    def __init__(
        self,
        key: str,
        title: str,
        note: str = "",
        *,
        ask_path: AskPath,
        clickable: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(key, title, note, ask_path=ask_path, clickable=clickable, parent=parent)
        self.stacks: list[StackSpec] = []
        self._items: list[Any] = []
        # Each part's figure and its width in pixels: shown only while the bar is wider.
        self._figures: list[tuple[Any, int]] = []
        self.plot_item.showGrid(x=False, y=True, alpha=0.35)
        self.view_box.sigResized.connect(self._fit_figures)
        self._legend_entries = [
            (STACK_COLOURS[0], "New (first visit ever)", ""),
            (STACK_COLOURS[1], "Old (came in an earlier year)", ""),
        ]

    def set_stacks(self, stacks: Sequence[StackSpec], empty: str = "Nothing to show") -> None:
        self.stacks = list(stacks)
        self.plot_item.clear()
        self._items = []
        self._figures = []
        self._hover = None
        if not self.stacks:
            self.set_legend([])
            self.show_empty(empty)
            return
        self._show_plot()
        self.set_legend(self._legend_entries)
        positions = list(range(len(self.stacks)))
        lower = [stack.parts[0].value for stack in self.stacks]
        upper = [stack.parts[1].value for stack in self.stacks]
        for part, (bottoms, heights) in enumerate(((None, lower), (lower, upper))):
            item = pg.BarGraphItem(
                x=positions,
                y0=bottoms if bottoms is not None else 0,
                height=heights,
                width=BAR_WIDTH,
                pen=pg.mkPen("#ffffff", width=1),
                brush=STACK_COLOURS[part],
            )
            self.plot_item.addItem(item)
            self._items.append(item)
        font = tick_font()
        metrics = QFontMetrics(font)
        for position, stack in enumerate(self.stacks):
            bottom = 0.0
            for part, spec in enumerate(stack.parts):
                if spec.value >= 9:  # room for the figure inside the part
                    text = pg.TextItem(
                        spec.value_text,
                        color="#ffffff" if part == 0 else theme.INK,
                        anchor=(0.5, 0.5),
                    )
                    text.setFont(font)
                    text.setPos(position, bottom + spec.value / 2)
                    self.plot_item.addItem(text)
                    self._figures.append((text, metrics.horizontalAdvance(spec.value_text)))
                bottom += spec.value
        self.plot_item.setXRange(-0.6, len(self.stacks) - 0.4, padding=0)
        self.plot_item.setYRange(0, 100, padding=0)
        left = self.plot_item.getAxis("left")
        left.setTicks([[(v, axis_text(v, "percent")) for v in (0, 25, 50, 75, 100)], []])
        left.setWidth(QFontMetrics(tick_font()).horizontalAdvance("100 %") + 14)
        self.plot_item.getAxis("bottom").setTicks(
            [[(i, stack.label) for i, stack in enumerate(self.stacks)], []]
        )
        self._fit_figures()

    def _fit_figures(self) -> None:
        """Hide a part's figure when its bar is too narrow for it (the tooltip still has it)."""
        if not self.stacks:
            return
        bar = BAR_WIDTH * self.view_box.width() / (len(self.stacks) + 0.2)  # the x range
        for text, width in self._figures:
            text.setVisible(width + 6 <= bar)

    def _hit(self, x: float, y: float) -> int | None:
        column = round(x)
        if not (0 <= column < len(self.stacks) and abs(x - column) <= 0.5):
            return None
        part = 0 if y <= self.stacks[column].parts[0].value else 1
        return column * 2 + part

    def view_point(self, index: int) -> QPointF:
        column, part = divmod(index, 2)
        parts = self.stacks[column].parts
        bottom = parts[0].value if part else 0.0
        return QPointF(column, bottom + parts[part].value / 2)

    def _tooltip(self, index: int) -> str:
        column, part = divmod(index, 2)
        return self.stacks[column].parts[part].tooltip

    def _count(self) -> int:
        return 2 * len(self.stacks)

    def _click_key(self, index: int) -> str | None:
        column, part = divmod(index, 2)
        return self.stacks[column].parts[part].key if self.clickable else None

    def _highlight(self, index: int | None) -> None:
        for part, item in enumerate(self._items):
            pens = [
                pg.mkPen(theme.INK, width=2)
                if index is not None and index == column * 2 + part
                else pg.mkPen("#ffffff", width=1)
                for column in range(len(self.stacks))
            ]
            item.setOpts(pens=pens)


class LineChart(ChartCard):
    """A line per series over days (the promotion usage timeline), a legend under it, and
    the day's figures for every series on hover."""

    def __init__(
        self,
        key: str,
        title: str,
        note: str = "",
        *,
        ask_path: AskPath,
        tooltip: Callable[[int], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(key, title, note, ask_path=ask_path, parent=parent)
        self.series: list[LineSeries] = []
        self.day_labels: list[str] = []
        self._day_tooltip = tooltip
        self._marker: Any = None
        self.plot_item.showGrid(x=False, y=True, alpha=0.35)

    def set_series(
        self,
        series: Sequence[LineSeries],
        day_labels: Sequence[str],
        tooltip: Callable[[int], str],
        empty: str = "Nothing to show",
    ) -> None:
        """Draw a line per series over `day_labels`; `tooltip(day)` is the hover text."""
        self.series = list(series)
        self.day_labels = list(day_labels)
        self._day_tooltip = tooltip
        self.plot_item.clear()
        self._hover = None
        self._marker = None
        if not self.series:
            self.set_legend([])
            self.show_empty(empty)
            return
        self._show_plot()
        positions = list(range(len(self.day_labels)))
        entries = []
        for number, line in enumerate(self.series):
            colour = PALETTE[number % len(PALETTE)]
            self.plot_item.plot(
                positions,
                list(line.values),
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=colour,
                symbolPen=None,
            )
            entries.append((colour, line.key, line.name))
        self.set_legend(entries)
        self._marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#c5ccd3", width=1))
        self._marker.hide()
        self.plot_item.addItem(self._marker)
        top = max(max(line.values) for line in self.series)
        ticks = value_ticks(max(top, 1))
        # Room on the right for the last day's label.
        self.plot_item.setXRange(-0.5, len(positions) - 0.5 + 0.8, padding=0)
        self.plot_item.setYRange(0, max(ticks[-1], top * 1.1), padding=0)
        metrics = QFontMetrics(tick_font())
        left = self.plot_item.getAxis("left")
        left.setTicks([[(v, axis_text(v, "count")) for v in ticks], []])
        left.setWidth(max(metrics.horizontalAdvance(axis_text(v, "count")) for v in ticks) + 14)
        every = max(1, math.ceil(len(positions) / 6))
        last = len(positions) - 1
        marks = [(i, self.day_labels[i]) for i in range(last, -1, -every)]
        self.plot_item.getAxis("bottom").setTicks([sorted(marks), []])

    def _hit(self, x: float, y: float) -> int | None:
        index = round(x)
        return index if 0 <= index < len(self.day_labels) else None

    def view_point(self, index: int) -> QPointF:
        return QPointF(index, 0.5)

    def _tooltip(self, index: int) -> str:
        return self._day_tooltip(index) if self._day_tooltip else ""

    def _count(self) -> int:
        return len(self.day_labels) if self.series else 0

    def _highlight(self, index: int | None) -> None:
        if self._marker is None:
            return
        if index is None:
            self._marker.hide()
        else:
            self._marker.setPos(index)
            self._marker.show()
