"""The manager dashboard: KPI tiles, the RFM distributions and segments, fiscal years new
vs old, and the campaign charts, with filters, a click on a bar for its patients, PNG and
CSV export, and the import of visit history from another system.

Every read runs in a background op, progress comes back through a queued signal, and the
figures on show stay until new ones replace them: the panel never waits on the database.
A refresh and an import each number their own runs, so neither takes the other's outcome
or progress for a stale one of its own.

Nor does the panel wait on the chart libraries: it shows its filters, tiles and an outline
of each chart at once, imports pyqtgraph in a worker (`dashboard_preload.preload`, which
the app may also call after sign-in), then builds and fills one chart per turn of the event
loop (bench/panel_stall.py measures the longest turn).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QStandardPaths, Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.customers_dialog import CustomersDialog
from desktop.errors import error_sentence
from desktop.panels import dashboard_figures as figures
from desktop.panels import dashboard_preload
from desktop.panels.dashboard_figures import CardSpec

# The promotions admin's flat tabs and padded table cells, so the two panels look alike.
from desktop.widgets.focus import FocusOnEntry
from desktop.workers import OpCounter, ProgressRelay, StepQueue
from domain.fiscal import fiscal_year_bounds, fiscal_year_start
from domain.log import ui as log
from domain.permissions import allowed
from services import dashboard as dashboard_service
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.dashboard import CustomerRow, Dashboard, DashboardError, DashboardFilters
from services.errors import ServiceError
from services.history_import import ImportResult, import_transactions

if TYPE_CHECKING:
    from desktop.widgets.charts import ChartCard


RFM_TAB, CAMPAIGNS_TAB = 0, 1
PAGES = (figures.RFM_PAGE, figures.CAMPAIGNS_PAGE)
COLUMNS = 3
TILE_SPACING = 10
SIDE_MARGIN = 20
CARD_HEIGHT = 290
SCHEMES = (("4 segments (seed)", "seed"), ("10 segments (rfm)", "ten"))
DATE_FORMAT = "dd MMM yyyy"
LOADING_CHART = "Drawing the chart..."
CHARTS_FAILED = "This chart cannot be drawn here; the log file says why."
# Coming back to the panel reads the figures again once they are this old.
STALE_AFTER = timedelta(minutes=10)
IMPORT_TEXT = "Import history..."


def _restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _fill_cell(card: QWidget) -> None:
    """A card takes its grid cell whatever it holds, so a chart replacing its outline moves
    no other card (which would redraw every chart on show)."""
    card.setFixedHeight(CARD_HEIGHT)
    card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(edit: QDateEdit) -> date:
    value = edit.date().toPython()
    assert isinstance(value, date)
    return value


class KpiTile(QFrame):
    """One key figure: a caption, the figure large, a line under it; exact on hover."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KpiTile")
        self.caption_label = QLabel(caption)
        self.caption_label.setObjectName("KpiCaption")
        self.value_label = QLabel("-")
        self.value_label.setObjectName("KpiValue")
        self.value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("KpiDetail")
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 8, 12, 8)
        column.setSpacing(0)
        column.addWidget(self.caption_label)
        column.addWidget(self.value_label)
        column.addWidget(self.detail_label)

    def set_tile(self, tile: figures.Tile) -> None:
        self.caption_label.setText(tile.caption)
        self.value_label.setText(tile.value)
        self.detail_label.setText(tile.detail)
        self.setToolTip(tile.tooltip)
        self.setAccessibleName(f"{tile.caption}: {tile.value}")

    def set_stale(self, stale: bool) -> None:
        """Grey the figure while new figures are being read."""
        self.value_label.setProperty("stale", stale)
        _restyle(self.value_label)

    def value(self) -> str:
        return self.value_label.text()


class ChartSlot(QFrame):
    """Where a chart will be, with its title, while the chart libraries load."""

    def __init__(self, spec: CardSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChartSlot")
        _fill_cell(self)
        title = QLabel(spec.title)
        title.setObjectName("SlotTitle")
        title.setWordWrap(True)
        self.text_label = QLabel(LOADING_CHART)
        self.text_label.setObjectName("Muted")
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(14, 10, 10, 10)
        column.addWidget(title)
        column.addWidget(self.text_label, 1)


class DashboardPanel(QWidget):
    """The manager's figures: filters, KPI tiles and two tabs of charts (customers by RFM,
    campaigns). For managers (the rail hides the panel from the front desk).

    Signals:
        refreshed(): new figures are on show.
        refresh_refused(str): the filters could not be used; the sentence shown beside them.
        customers_shown(object): the list of a bar's patients opened (the CustomersDialog).
        audience_requested(str): "Make this an audience" was pressed on a segment's list.
        history_imported(object): visit history was imported (the ImportResult).
        import_failed(str): an import stopped; the sentence that says why.
    """

    refreshed = Signal()
    refresh_refused = Signal(str)
    customers_shown = Signal(object)
    audience_requested = Signal(str)
    history_imported = Signal(object)
    import_failed = Signal(str)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(theme.section("tabs-and-tables") + theme.section("dashboard"))
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        # One counter per kind of operation: each numbers its own runs.
        self._refreshes = OpCounter(self)
        self._imports = OpCounter(self)
        self._reads = OpCounter(self)  # the patients behind a bar
        self._chart_loading = OpCounter(self)
        # UI-thread work in small steps: building the cards, then drawing figures on them.
        self._building = StepQueue(self)
        self._drawing = StepQueue(self)
        self._refreshing = False
        self._stale = False
        self._read_at = clock()
        self.dashboard: Dashboard | None = None
        self.message_box: QMessageBox | None = None
        self._cancel_import: threading.Event | None = None
        self.customers_dialog: CustomersDialog | None = None
        self._export_folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        )
        self._refresh_progress = ProgressRelay(self._refresh_progressed, self)
        self._import_progress = ProgressRelay(self._import_progressed, self)
        self.cards: dict[str, ChartCard] = {}
        self._slots: dict[str, ChartSlot] = {}
        self._grids: dict[str, QGridLayout] = {}
        # Figures read before the cards were built, drawn once they are.
        self._undrawn: tuple[int, Dashboard, date] | None = None
        # On the centre (the head office): the branches the figures may be narrowed to.
        self._branch_codes = dashboard_service.branch_codes(db, user) if db.on_centre else []
        self._build()
        self._load_charts()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        filters = self._build_filters()
        tiles = self._build_tiles()

        self.tabs = QTabWidget()
        self.tabs.setObjectName("DashboardTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_rfm_page(), "Customers (RFM)")
        self.tabs.addTab(self._build_campaigns_page(), "Campaigns")

        outer = QVBoxLayout(self)
        outer.setContentsMargins(SIDE_MARGIN, 12, SIDE_MARGIN, 12)
        outer.setSpacing(10)
        outer.addWidget(filters)
        outer.addLayout(tiles)
        outer.addWidget(self.tabs, 1)

        # F5 anywhere on the panel; Enter in the filters (on a chart it opens a bar).
        for key, scope in (("F5", self), ("Return", filters), ("Enter", filters)):
            shortcut = QShortcut(QKeySequence(key), scope)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.refresh)
        FocusOnEntry(self, self.refresh_button)

    def _caption(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setObjectName("FilterCaption")
        label.setBuddy(buddy)
        return label

    def _build_filters(self) -> QWidget:
        today = self._today()
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(DATE_FORMAT)
            edit.setMinimumWidth(124)
        first_day, _next = fiscal_year_bounds(
            fiscal_year_start(today, self._branch.details.fiscal_year_start_month),
            self._branch.details.fiscal_year_start_month,
        )
        self.from_edit.setDate(_qdate(first_day))
        self.to_edit.setDate(_qdate(today))
        self.all_history_box = QCheckBox("All history")
        self.all_history_box.setToolTip(
            "Every visit on record up to today; clear it to choose the dates"
        )
        self.all_history_box.toggled.connect(self._all_history_toggled)
        self.all_history_box.setChecked(True)
        self._all_history_toggled(True)

        self.mobile_edit = QLineEdit()
        self.mobile_edit.setPlaceholderText("any")
        self.mobile_edit.setClearButtonEnabled(True)
        self.mobile_edit.setFixedWidth(130)
        self.mobile_edit.setToolTip("Only the patient with this mobile number")
        self.mobile_edit.setAccessibleName("Mobile filter")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("any")
        self.name_edit.setClearButtonEnabled(True)
        self.name_edit.setFixedWidth(150)
        self.name_edit.setToolTip("Only patients whose name contains this")
        self.name_edit.setAccessibleName("Name filter")

        self.score_combos: dict[str, QComboBox] = {}
        for letter in ("R", "F", "M"):
            combo = QComboBox()
            combo.addItem("Any", None)
            for score in range(1, 6):
                combo.addItem(str(score), score)
            combo.setToolTip(f"Only customers with this {letter} score")
            combo.setAccessibleName(f"{letter} score")
            combo.setMinimumWidth(70)
            self.score_combos[letter] = combo
        self.scheme_combo = QComboBox()
        for text, scheme in SCHEMES:
            self.scheme_combo.addItem(text, scheme)
        self.scheme_combo.setToolTip("Seed 003's four segments, or the rfm package's ten segments")
        self.branch_combo = QComboBox(self)  # a child even where no layout holds it
        self.branch_combo.addItem("Whole chain", None)
        for code in self._branch_codes:
            self.branch_combo.addItem(code, code)
        self.branch_combo.setToolTip(
            "The head office: one branch's figures, or the whole chain's (a patient of two "
            "branches, with the same mobile and name, is one customer)"
        )
        self.branch_combo.setAccessibleName("Branch")
        self.value_edit = QLineEdit(" ".join(str(end) for end in DashboardFilters().value_ends))
        self.value_edit.setFixedWidth(200)
        self.value_edit.setToolTip(
            "Where the spending buckets end, in whole rupees: 1000 2000 5000 gives "
            "0-1,000, 1,000-2,000, 2,000-5,000 and >5,000"
        )

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("PrimaryButton")
        self.refresh_button.setToolTip("Read the figures again with these filters (Enter, F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        self.import_button = QPushButton(IMPORT_TEXT)
        self.import_button.setAutoDefault(False)
        self.import_button.setToolTip(
            "Add visits billed by another system, from a CSV file with a row per invoice line"
        )
        self.import_button.clicked.connect(self._import_clicked)

        self.filter_error = QLabel()
        self.filter_error.setObjectName("FieldError")
        self.filter_error.setWordWrap(True)
        self.filter_error.setAccessibleName("Filter error")
        self.filter_error.hide()  # shown with a sentence; empty, it would take the status's room
        # What the panel is doing or has done, beside the filters: in the tabs' corner a
        # long sentence was cut.
        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setAccessibleName("Dashboard status")
        self.status_label.setWordWrap(True)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("RefreshProgress")
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.hide()

        # Three short rows rather than two long ones: at the smallest window (1024 px) two
        # rows pushed Refresh and the tiles past the right edge.
        first = QHBoxLayout()
        first.setSpacing(8)
        first.addWidget(self._caption("From", self.from_edit))
        first.addWidget(self.from_edit)
        first.addWidget(self._caption("To", self.to_edit))
        first.addWidget(self.to_edit)
        first.addWidget(self.all_history_box)
        first.addSpacing(14)
        first.addWidget(self._caption("Segments", self.scheme_combo))
        first.addWidget(self.scheme_combo)
        if self._branch_codes:
            first.addSpacing(14)
            first.addWidget(self._caption("Branch", self.branch_combo))
            first.addWidget(self.branch_combo)
        else:
            self.branch_combo.hide()
        first.addStretch(1)
        first.addWidget(self.refresh_button)

        second = QHBoxLayout()
        second.setSpacing(8)
        second.addWidget(self._caption("Mobile", self.mobile_edit))
        second.addWidget(self.mobile_edit)
        second.addWidget(self._caption("Name", self.name_edit))
        second.addWidget(self.name_edit)
        second.addSpacing(14)
        for letter, combo in self.score_combos.items():
            second.addWidget(self._caption(letter, combo))
            second.addWidget(combo)
        second.addStretch(1)
        second.addWidget(self.import_button)
        # History is imported at a branch; the centre receives it by sync. (Hidden, never
        # shown here: setVisible(True) before the layout has a parent opens a window.)
        if self._db.on_centre:
            self.import_button.hide()

        third = QHBoxLayout()
        third.setSpacing(8)
        third.addWidget(self._caption("Spending buckets (Rs.)", self.value_edit))
        third.addWidget(self.value_edit)
        third.addSpacing(14)
        third.addWidget(self.filter_error, 1)
        third.addWidget(self.status_label, 2)
        third.addWidget(self.progress_bar)

        box = QWidget()
        box.setObjectName("DashboardFilters")
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addLayout(first)
        column.addLayout(second)
        column.addLayout(third)

        for line_edit in (self.mobile_edit, self.name_edit, self.value_edit):
            line_edit.textEdited.connect(self._filters_edited)
        for combo in (*self.score_combos.values(), self.scheme_combo, self.branch_combo):
            combo.currentIndexChanged.connect(self._filters_edited)
        for date_edit in (self.from_edit, self.to_edit):
            date_edit.dateChanged.connect(self._filters_edited)
        self.all_history_box.toggled.connect(self._filters_edited)
        return box

    def _build_tiles(self) -> QGridLayout:
        self._tile_grid = QGridLayout()
        self._tile_grid.setSpacing(TILE_SPACING)
        self.tiles: dict[str, KpiTile] = {key: KpiTile(caption) for key, caption in figures.TILES}
        self._tile_columns = 0
        self._arrange_tiles(len(self.tiles))
        return self._tile_grid

    def _arrange_tiles(self, columns: int) -> None:
        if columns == self._tile_columns:
            return
        self._tile_columns = columns
        for index, tile in enumerate(self.tiles.values()):
            self._tile_grid.removeWidget(tile)
            self._tile_grid.addWidget(tile, index // columns, index % columns)
        for column in range(len(self.tiles)):
            self._tile_grid.setColumnStretch(column, 1 if column < columns else 0)

    def _fit_tiles(self) -> None:
        """The tiles in one row when their figures fit across the panel, else in two rows
        (the smallest window): a figure is never cut."""
        room = self.width() - 2 * SIDE_MARGIN
        widths = [tile.minimumSizeHint().width() for tile in self.tiles.values()]
        one_row = sum(widths) + TILE_SPACING * (len(widths) - 1) <= room
        self._arrange_tiles(len(self.tiles) if one_row else (len(self.tiles) + 1) // 2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_tiles()

    def _grid_page(self, page: str, note: str = "") -> QScrollArea:
        """A scrolling grid for the page's charts, outlined in a step of their own (the panel
        shows before), then built in their outlines' places."""
        grid_widget = QWidget()
        grid_widget.setObjectName("ChartGrid")
        column = QVBoxLayout(grid_widget)
        column.setContentsMargins(0, 10, 4, 4)
        column.setSpacing(8)
        if note:
            label = QLabel(note)
            label.setObjectName("Muted")
            label.setWordWrap(True)
            column.addWidget(label)
        grid = QGridLayout()
        grid.setSpacing(12)
        for index in range(COLUMNS):
            grid.setColumnStretch(index, 1)
        self._grids[page] = grid
        self._building.add(partial(self._outline_charts, page))
        column.addLayout(grid)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("ChartScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # No Tab stop of its own (it shows no focus): Tab to a chart scrolls it into view.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(grid_widget)
        return scroll

    def _build_rfm_page(self) -> QScrollArea:
        return self._grid_page(figures.RFM_PAGE)

    def _build_campaigns_page(self) -> QScrollArea:
        return self._grid_page(
            figures.CAMPAIGNS_PAGE,
            "Campaign figures cover every patient and all of history (the timeline: the last "
            f"{dashboard_service.TIMELINE_DAYS} days); the filters above choose the customers "
            "of the RFM figures.",
        )

    # -- the charts: imported in a worker, built and drawn a card per turn ---------------

    def _load_charts(self) -> None:
        self._chart_loading.run(dashboard_preload.preload, self._charts_loaded, self._charts_failed)

    def _outline_charts(self, page: str) -> None:
        for spec in figures.CARDS:
            if spec.page == page:
                slot = ChartSlot(spec)
                self._slots[spec.key] = slot
                self._grids[page].addWidget(slot, spec.row, spec.col, 1, spec.span)

    def _charts_loaded(self, _result: None) -> None:
        for spec in figures.CARDS:
            self._building.add(partial(self._build_card, spec))
        self._building.add(self._cards_built)

    def _charts_failed(self, error: Exception) -> None:
        log.error("dashboard: the charts could not be loaded", exc_info=error)

        def say_so() -> None:
            for slot in self._slots.values():
                slot.text_label.setText(CHARTS_FAILED)

        self._building.add(say_so)

    def _build_card(self, spec: CardSpec) -> None:
        from desktop.panels.dashboard_charts import build_card

        card = build_card(spec, self._ask_export_path)
        _fill_cell(card)
        card.exported.connect(
            lambda path: self.say(f"Saved {Path(path).name} in {Path(path).parent}.")
        )
        card.export_failed.connect(lambda sentence: self.say(sentence, error=True))
        if spec.clickable:
            card.bar_clicked.connect(lambda bar, chart=spec.key: self.list_customers(chart, bar))
        slot = self._slots.pop(spec.key)
        grid = self._grids[spec.page]
        grid.removeWidget(slot)
        slot.deleteLater()
        grid.addWidget(card, spec.row, spec.col, 1, spec.span)
        self.cards[spec.key] = card

    def _cards_built(self) -> None:
        if self._undrawn is not None:
            number, dashboard, today = self._undrawn
            self._undrawn = None
            self._draw(number, dashboard, today)

    def charts_ready(self) -> bool:
        """Every chart card is built (figures may still be on their way)."""
        return len(self.cards) == len(figures.CARDS)

    # -- the filters ---------------------------------------------------------------------

    def _all_history_toggled(self, checked: bool) -> None:
        self.from_edit.setEnabled(not checked)
        self.to_edit.setEnabled(not checked)

    def _filters_edited(self) -> None:
        if self.dashboard is not None and not self._refreshing:
            self.say("Filters changed: press Enter or Refresh to apply them.")

    def filters(self) -> DashboardFilters:
        """The filters as typed; raises DashboardError when the value buckets cannot be read
        (the dates and mobile are checked by the service)."""
        value_ends = dashboard_service.parse_value_ends(self.value_edit.text())
        start = end = None
        if not self.all_history_box.isChecked():
            start, end = _pydate(self.from_edit), _pydate(self.to_edit)
        scores = {letter: combo.currentData() for letter, combo in self.score_combos.items()}
        return DashboardFilters(
            start=start,
            end=end,
            mobile=self.mobile_edit.text().strip() or None,
            name=self.name_edit.text().strip() or None,
            r=scores["R"],
            f=scores["F"],
            m=scores["M"],
            scheme=str(self.scheme_combo.currentData()),
            value_ends=value_ends,
            branches=()
            if self.branch_combo.currentData() is None
            else (str(self.branch_combo.currentData()),),
        )

    def set_window(self, start: date | None, end: date | None) -> None:
        """Choose the dates (None for both: all history)."""
        every = start is None and end is None
        self.all_history_box.setChecked(every)
        if start is not None:
            self.from_edit.setDate(_qdate(start))
        if end is not None:
            self.to_edit.setDate(_qdate(end))

    def set_score(self, letter: str, score: int | None) -> None:
        """Choose the R, F or M score filter (None for any)."""
        combo = self.score_combos[letter]
        combo.setCurrentIndex(combo.findData(score) if score is not None else 0)

    def _show_filter_error(self, sentence: str) -> None:
        self.filter_error.setText(sentence)
        self.filter_error.show()
        self.refresh_refused.emit(sentence)

    # -- background work -----------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing is being read, imported, built or drawn."""
        counters = (self._refreshes, self._imports, self._reads, self._chart_loading)
        return all(c.idle for c in counters) and self._building.idle and self._drawing.idle

    def is_refreshing(self) -> bool:
        """New figures are being read or drawn."""
        return self._refreshing

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, ServiceError):
            log.error("dashboard: %s", error, exc_info=error)
        self.say(error_sentence(error), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        """A line in the status line (red for a problem)."""
        self.status_label.setObjectName("FieldError" if error else "Muted")
        self.status_label.setText(text)
        _restyle(self.status_label)

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides today)."""
        self._branch = info

    # -- refreshing ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous() and self._needs_refresh():
            self.refresh()

    def _needs_refresh(self) -> bool:
        if self.dashboard is None or self._stale:
            return True
        return self._clock() - self._read_at >= STALE_AFTER

    def mark_stale(self) -> None:
        """The figures on show are out of date (an invoice was saved): read them again the
        next time the panel is shown."""
        self._stale = True

    def refresh(self) -> None:
        """Read the figures again with the filters on show; the old ones stay until then."""
        try:
            filters = self.filters()
        except DashboardError as exc:
            self.value_edit.setProperty("invalid", True)
            _restyle(self.value_edit)
            self._show_filter_error(str(exc))
            return
        self.value_edit.setProperty("invalid", False)
        _restyle(self.value_edit)
        number = self._refreshes.begin()
        self._stale = False
        self._read_at = self._clock()
        db, user, today, relay = self._db, self._user, self._today(), self._refresh_progress

        def read() -> Dashboard:
            return dashboard_service.refresh(
                db,
                user,
                filters,
                today=today,
                progress=lambda percent, step: relay.report(number, percent, step),
            )

        self._set_refreshing(True)
        self._refreshes.run(
            read,
            lambda dashboard: self._refreshed(number, today, dashboard),
            lambda error: self._refresh_failed(number, error),
        )

    def _refresh_progressed(self, number: int, percent: int, step: str) -> None:
        # While an import runs, the bar and the status line are the import's.
        if self._refreshes.is_latest(number) and self._refreshing and not self.is_importing():
            self.progress_bar.setValue(percent)
            self.say(f"{step}...")

    def _set_refreshing(self, refreshing: bool) -> None:
        self._refreshing = refreshing
        self.progress_bar.setVisible(refreshing or self.is_importing())
        if refreshing and not self.is_importing():
            self.progress_bar.setValue(0)
            self.say("Refreshing...")
        for tile in self.tiles.values():
            tile.set_stale(refreshing and self.dashboard is not None)

    def _refreshed(self, number: int, today: date, dashboard: Dashboard) -> None:
        if not self._refreshes.is_latest(number):
            return
        self.dashboard = dashboard
        self.filter_error.clear()
        self.filter_error.hide()
        rfm = dashboard.rfm.figures
        for tile in figures.kpi_tiles(rfm.kpis, rfm.as_of):
            self.tiles[tile.key].set_tile(tile)
        self._fit_tiles()
        if self.charts_ready():
            self._draw(number, dashboard, today)
        else:
            self._undrawn = (number, dashboard, today)
            if not self.is_importing():
                self.say("Drawing the charts...")

    def _refresh_failed(self, number: int, error: Exception) -> None:
        if not self._refreshes.is_latest(number):
            return
        self._set_refreshing(False)
        if isinstance(error, DashboardError):
            self._show_filter_error(str(error))
            self.say("The figures on show are from the last refresh.")
            return
        self._failed(error)

    # -- drawing -------------------------------------------------------------------------

    def _draw(self, number: int, dashboard: Dashboard, today: date) -> None:
        """Draw `dashboard` on the cards, one card per turn, the page on show first."""
        from desktop.panels.dashboard_charts import fill_card

        self._drawing.clear()
        shown = PAGES[self.tabs.currentIndex()]
        order = sorted(figures.CARDS, key=lambda spec: spec.page != shown)
        for spec in order:
            self._drawing.add(partial(fill_card, self.cards[spec.key], dashboard, today))
        self._drawing.add(lambda: self._drawn(number, dashboard))

    def _drawn(self, number: int, dashboard: Dashboard) -> None:
        if not self._refreshes.is_latest(number):
            return
        self._set_refreshing(False)
        if not self.is_importing():
            report = dashboard.rfm
            customers = report.figures.kpis.total_customer
            hint = " Hover a bar for its figures, click it for its patients." if customers else ""
            self.say(
                f"{figures.plural(customers, 'customer')}, "
                f"{figures.day_text(report.start)} to {figures.day_text(report.end)}.{hint}"
            )
        self.refreshed.emit()

    # -- the patients behind a bar -------------------------------------------------------

    def list_customers(self, chart: str, key: str) -> None:
        """Read the customers behind bar `key` of `chart` and list them in a dialog."""
        if self.dashboard is None:
            return
        report = self.dashboard.rfm
        db, user = self._db, self._user
        self.say(f"Reading the customers of {key}...")
        self._reads.run(
            lambda: dashboard_service.customers(db, user, report, chart=chart, key=key),
            lambda rows: self._show_customers(chart, key, report, rows),
            self._failed,
        )

    def _show_customers(
        self, chart: str, key: str, report: dashboard_service.RfmReport, rows: list[CustomerRow]
    ) -> None:
        heading = _bar_name(chart, key)
        dialog = CustomersDialog(
            heading,
            f"{self.cards[chart].title}. {_filters_text(report)}",
            rows,
            ask_path=self._ask_export_path,
            file_stem=f"customers-{chart}-{key}".replace(" ", "-").lower(),
            audience_segment=key
            if chart == "segments" and allowed(self._user.role, "campaign.manage")
            else None,
            parent=self,
        )
        dialog.audience_requested.connect(self.audience_requested)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result: self._customers_closed(dialog))
        if self.customers_dialog is not None:
            self.customers_dialog.close()
        self.customers_dialog = dialog
        self.say(f"{figures.plural(len(rows), 'customer')} in {heading}.")
        dialog.open()
        self.customers_shown.emit(dialog)

    def _customers_closed(self, dialog: CustomersDialog) -> None:
        if self.customers_dialog is dialog:
            self.customers_dialog = None

    # -- export --------------------------------------------------------------------------

    def _ask_export_path(self, kind: str, name: str) -> Path | None:
        """Ask where to save an export (PNG or CSV), suggesting a dated name."""
        stem, _, _ext = name.rpartition(".")
        suggested = self._export_folder / f"dashboard-{stem}-{self._today().isoformat()}.{kind}"
        kinds = {"png": "PNG pictures (*.png)", "csv": "CSV files (*.csv)"}
        chosen, _filter = QFileDialog.getSaveFileName(
            self, f"Export {kind.upper()}", str(suggested), kinds[kind]
        )
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() != f".{kind}":
            path = path.with_name(f"{path.name}.{kind}")
        self._export_folder = path.parent
        return path

    # -- importing history ---------------------------------------------------------------

    def is_importing(self) -> bool:
        return self._cancel_import is not None

    def _import_clicked(self) -> None:
        if self._cancel_import is not None:
            self.cancel_import()
        else:
            self.choose_history_file()

    def choose_history_file(self) -> None:
        """Ask for a history CSV, then import it in the background."""
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Import visit history", str(self._export_folder), "CSV files (*.csv)"
        )
        if chosen:
            self.import_history(Path(chosen))

    def import_history(self, source: Path) -> None:
        """Import `source` as history invoices, with a progress bar and a Cancel button;
        then say what was added and read the figures again."""
        number = self._imports.begin()
        db, user, now, relay = self._db, self._user, self._clock(), self._import_progress
        cancel = self._cancel_import = threading.Event()

        def progress(done: int, total: int) -> None:
            if cancel.is_set():
                # The service stops and writes nothing when its progress callback raises.
                raise ImportCancelled
            percent = 100 * done // total if total else 0
            relay.report(number, percent, f"Importing {source.name}: {percent} %")

        self.import_button.setText("Cancel import")
        self.import_button.setToolTip("Stop the import; nothing of the file is kept")
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.say(f"Importing {source.name}...")
        self._imports.run(
            lambda: import_transactions(db, user, source, now=now, progress=progress),
            self._history_imported,
            self._history_failed,
        )

    def _import_progressed(self, number: int, percent: int, text: str) -> None:
        if self._imports.is_latest(number) and self.is_importing():
            self.progress_bar.setValue(percent)
            self.say(text)

    def cancel_import(self) -> None:
        """Stop the import under way at its next progress report (nothing is written)."""
        if self._cancel_import is not None:
            self._cancel_import.set()
            self.import_button.setEnabled(False)
            self.say("Cancelling the import...")

    def _import_done(self) -> None:
        self._cancel_import = None
        self.import_button.setText(IMPORT_TEXT)
        self.import_button.setToolTip(
            "Add visits billed by another system, from a CSV file with a row per invoice line"
        )
        self.import_button.setEnabled(True)
        self.progress_bar.setVisible(self._refreshing)

    def _history_imported(self, result: ImportResult) -> None:
        self._import_done()
        sentence = import_summary(result)
        self.say(sentence)
        self._message(QMessageBox.Icon.Information, sentence)
        self.history_imported.emit(result)
        self.refresh()

    def _history_failed(self, error: Exception) -> None:
        self._import_done()
        if isinstance(error, ImportCancelled):
            sentence = "Import cancelled: nothing of the file was saved."
            self.say(sentence)
        else:
            self._failed(error)
            sentence = error_sentence(error)
            self._message(QMessageBox.Icon.Warning, sentence)
        self.import_failed.emit(sentence)

    def _message(self, icon: QMessageBox.Icon, text: str) -> None:
        box = QMessageBox(icon, "Import history", text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.finished.connect(lambda _result: self._message_closed(box))
        self.message_box = box
        box.open()

    def _message_closed(self, box: QMessageBox) -> None:
        if self.message_box is box:
            self.message_box = None


class ImportCancelled(Exception):
    """The manager pressed Cancel import."""


def import_summary(result: ImportResult) -> str:
    """What an import added: 'Imported 3 invoices (5 lines), 2 new patients and ...'."""
    plural = figures.plural
    sentence = (
        f"Imported {plural(result.invoices_added, 'invoice')} "
        f"({plural(result.lines_added, 'line')}), "
        f"{plural(result.patients_added, 'new patient')} and "
        f"{plural(result.items_added, 'new catalog item')}."
    )
    if result.invoices_skipped:
        sentence += (
            f" {plural(result.invoices_skipped, 'invoice')} had been imported before "
            "and were left as they were."
        )
    return sentence


def _bar_name(chart: str, key: str) -> str:
    letter = {"r_scores": "R", "f_scores": "F", "m_scores": "M"}.get(chart)
    return f"{letter}{key}" if letter else key


def _filters_text(report: dashboard_service.RfmReport) -> str:
    chosen = report.filters
    parts = [f"Visits from {figures.day_text(report.start)} to {figures.day_text(report.end)}"]
    if chosen.mobile:
        parts.append(f"mobile {chosen.mobile}")
    if chosen.name:
        parts.append(f"name containing '{chosen.name}'")
    for letter, score in (("R", chosen.r), ("F", chosen.f), ("M", chosen.m)):
        if score is not None:
            parts.append(f"{letter} = {score}")
    return "; ".join(parts) + ". Most valuable first."
