"""The Campaigns panel (manager): the campaigns at a glance with launch and pause and the
selected one's results in charts; the template library with a preview; suggestions
drawn from the data, each with a button that acts on it; and, in the app opened on the
centre, the branches' campaigns with their results (desktop.panels.chain_campaigns).

Every read and change runs in a background op. The results' charts bring pyqtgraph: its
module is imported in a worker the first time results are shown, never at start-up, and
the charts are built one per turn of the event loop (desktop.panels.campaign_results).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.campaigns.draft import CampaignDraft
from desktop.campaigns.shortcuts import SHORTCUTS as SHORTCUTS
from desktop.dialogs.campaign_builder import CampaignBuilder
from desktop.dialogs.template_editor import TemplateEditor, preview_text
from desktop.errors import error_sentence
from desktop.models.campaign_models import HEAD_OFFICE_TEMPLATE, CampaignsModel, TemplatesModel
from desktop.widgets.empty_table import EmptyStateTable
from desktop.widgets.form import restyle
from desktop.workers import OpCounter
from domain.log import ui as log
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.campaigns import campaigns as campaign_service
from services.campaigns import recommendations as recommendation_service
from services.campaigns import templates as template_service
from services.campaigns.campaigns import CampaignRow, Launch, Results
from services.campaigns.recommendations import Recommendation
from services.campaigns.templates import Preview, TemplateRow
from services.errors import ServiceError

if TYPE_CHECKING:
    from desktop.panels.campaign_results import ResultsView
    from desktop.panels.chain_campaigns import ChainCampaignsView
    from desktop.widgets.charts import BarChart, LineChart

T = TypeVar("T")

CAMPAIGNS_TAB, TEMPLATES_TAB, SUGGESTIONS_TAB, CHAIN_TAB = 0, 1, 2, 3
RESULTS_MODULE = "desktop.panels.campaign_results"
CHAIN_MODULE = "desktop.panels.chain_campaigns"
DETAIL_WIDTH = 380
TABLE_ROWS = 5  # campaigns shown before the list scrolls
# What each suggestion's button does, by its rule (services.campaigns.recommendations).
ACTIONS = {
    "win_back": "Build the win-back",
    "birthday": "Build birthday wishes",
    "consent": "Open the counter",
    "failures": "Open Settings > Channels",
    "ab_winner": "Send the winner to the rest",
}


class CampaignsPanel(QWidget):
    """Campaigns, templates and suggestions for a manager (the rail hides it from others).

    Signals:
        changed(str): a campaign or template was created, launched or paused (its id).
        refreshed(): the lists on show were just read again.
        results_shown(object): the selected campaign's results were drawn (Results).
        counter_requested(): a suggestion asks for the counter (consent is taken there).
        channels_requested(): a suggestion asks for Settings > Channels.
    """

    changed = Signal(str)
    refreshed = Signal()
    results_shown = Signal(object)
    counter_requested = Signal()
    channels_requested = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        ask_path: Callable[[str, str], Path | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setStyleSheet(theme.section("tabs-and-tables"))
        self._db, self._user, self._branch, self._clock = db, user, branch_info, clock
        self._ask_path = ask_path or self._ask_export_path
        self._ops = OpCounter(self)
        self._lists = OpCounter(self)
        self._results = OpCounter(self)
        self._previews = OpCounter(self)
        self._charts = OpCounter(self)
        self._chain_loading = OpCounter(self)
        # The app opened on the centre (the head office) also shows the branches' campaigns.
        self.on_centre = db.on_centre
        self.chain_view: ChainCampaignsView | None = None
        self._select_after: str | None = None
        self._select_template_after = ""
        self.results_view: ResultsView | None = None
        self._pending_results: Results | None = None
        self.dialog: QDialog | None = None
        self.suggestions: list[Recommendation] = []
        self.suggestion_buttons: list[QPushButton] = []

        self.campaigns = CampaignsModel(self)
        self.templates = TemplatesModel(self)
        self._build()
        self._shortcuts()

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.tabs = QTabBar()
        self.tabs.setObjectName("CampaignTabs")
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        for title in ("Campaigns", "Templates", "Suggestions"):
            self.tabs.addTab(title)
        if self.on_centre:
            self.tabs.addTab("Branches' campaigns")
            self.tabs.setTabToolTip(CHAIN_TAB, "Every branch's campaigns and results (Alt+4)")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.new_campaign_button = QPushButton("+ Campaign")
        self.new_campaign_button.setToolTip("Build a new campaign in steps (Ctrl+N)")
        self.new_campaign_button.setAutoDefault(False)
        self.new_campaign_button.clicked.connect(lambda: self.new_campaign())
        self.new_template_button = QPushButton("+ Template")
        self.new_template_button.setToolTip("Add a template to the library (Ctrl+T)")
        self.new_template_button.setAutoDefault(False)
        self.new_template_button.clicked.connect(lambda: self.new_template())
        self.launch_button = QPushButton("Launch")
        self.launch_button.setToolTip("Queue its messages, or resume it when paused (Ctrl+L)")
        self.launch_button.setAutoDefault(False)
        self.launch_button.clicked.connect(self.launch_selected)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Stop its queued messages leaving (Ctrl+Shift+P)")
        self.pause_button.setAutoDefault(False)
        self.pause_button.clicked.connect(self.pause_selected)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.tabs, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.launch_button)
        top.addWidget(self.pause_button)
        top.addSpacing(12)
        top.addWidget(self.new_campaign_button)
        top.addWidget(self.new_template_button)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._campaigns_page())
        self.pages.addWidget(self._templates_page())
        self.pages.addWidget(self._suggestions_page())
        if self.on_centre:
            self.pages.addWidget(self._chain_page())

        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Status")
        self.status_label.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 12, 20, 12)
        column.setSpacing(8)
        column.addLayout(top)
        column.addWidget(self.pages, 1)
        column.addWidget(self.status_label)
        self.setFocusProxy(self.campaigns_table)

    def _campaigns_page(self) -> QWidget:
        self.campaigns_table = EmptyStateTable(
            "No campaigns yet", "Press + Campaign (Ctrl+N) to build the first one."
        )
        self.campaigns_table.setObjectName("CampaignsTable")
        self.campaigns_table.setAccessibleName("Campaigns")
        self.campaigns_table.setModel(self.campaigns)
        self.campaigns_table.set_widths({1: 112, 2: 116, 3: 96, 4: 80, 5: 104}, stretch=0)
        self._fit_table()
        self.campaigns_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._campaign_selected()
        )

        self.results_note = QLabel("Select a campaign to see its results here.")
        self.results_note.setObjectName("Muted")
        self.results_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.results_note.setWordWrap(True)
        self.results_holder = QWidget()
        self.results_column = QVBoxLayout(self.results_holder)
        self.results_column.setContentsMargins(0, 4, 0, 0)
        self.results_column.addWidget(self.results_note, 1)
        self.results_scroll = QScrollArea()
        self.results_scroll.setObjectName("ResultsScroll")
        self.results_scroll.setWidgetResizable(True)
        self.results_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.results_scroll.setWidget(self.results_holder)

        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(8)
        column.addWidget(self.campaigns_table)
        column.addWidget(self.results_scroll, 1)
        return page

    def _fit_table(self) -> None:
        """The list as tall as its rows (up to TABLE_ROWS), leaving the results the rest."""
        table = self.campaigns_table
        rows = min(max(self.campaigns.rowCount(), 2), TABLE_ROWS)
        header = table.horizontalHeader().sizeHint().height()
        height = header + rows * table.verticalHeader().defaultSectionSize() + 4
        table.setFixedHeight(height)

    def _templates_page(self) -> QWidget:
        self.templates_table = EmptyStateTable(
            "No templates yet", "Press + Template (Ctrl+T) to write the first message."
        )
        self.templates_table.setObjectName("TemplatesTable")
        self.templates_table.setAccessibleName("Templates")
        self.templates_table.setModel(self.templates)
        self.templates_table.set_widths({1: 110, 2: 90, 3: 110}, stretch=0)
        self.templates_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._template_selected()
        )
        self.templates_table.doubleClicked.connect(lambda _index: self.edit_template())
        pane = QFrame()
        pane.setObjectName("TotalsPane")
        pane.setFixedWidth(DETAIL_WIDTH)
        self.template_title = QLabel("Nothing selected")
        self.template_title.setObjectName("PaneHeading")
        self.template_title.setWordWrap(True)
        self.template_line = QLabel()
        self.template_line.setObjectName("Muted")
        self.template_line.setWordWrap(True)
        self.template_preview = QPlainTextEdit()
        self.template_preview.setObjectName("TemplatePreview")
        self.template_preview.setAccessibleName("Template preview")
        self.template_preview.setReadOnly(True)
        self.template_preview.setTabChangesFocus(True)
        self.edit_button = QPushButton("Edit")
        self.edit_button.setToolTip(
            "Change it (Enter); messages already made keep their text, later ones use the change"
        )
        self.edit_button.setAutoDefault(False)
        self.edit_button.clicked.connect(self.edit_template)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Open it in the editor as a new template (Ctrl+Shift+C)")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_template)
        template_buttons = QHBoxLayout()
        template_buttons.addWidget(self.edit_button)
        template_buttons.addWidget(self.copy_button)
        pane_column = QVBoxLayout(pane)
        pane_column.setContentsMargins(14, 12, 14, 12)
        pane_column.setSpacing(6)
        pane_column.addWidget(self.template_title)
        pane_column.addWidget(self.template_line)
        pane_column.addWidget(self.template_preview, 1)
        pane_column.addLayout(template_buttons)
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(16)
        row.addWidget(self.templates_table, 1)
        row.addWidget(pane)
        return page

    def _suggestions_page(self) -> QWidget:
        self.suggestions_holder = QWidget()
        self.suggestions_column = QVBoxLayout(self.suggestions_holder)
        self.suggestions_column.setContentsMargins(0, 4, 8, 0)
        self.suggestions_column.setSpacing(8)
        self.suggestions_note = QLabel("Reading the suggestions...")
        self.suggestions_note.setObjectName("Muted")
        self.suggestions_note.setWordWrap(True)
        self.suggestions_column.addWidget(self.suggestions_note)
        self.suggestions_column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.suggestions_holder)
        return scroll

    def _chain_page(self) -> QWidget:
        self.chain_holder = QWidget()
        self.chain_column = QVBoxLayout(self.chain_holder)
        self.chain_column.setContentsMargins(0, 0, 0, 0)
        self.chain_note = QLabel("Reading the branches' campaigns...")
        self.chain_note.setObjectName("Muted")
        self.chain_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chain_note.setWordWrap(True)
        self.chain_column.addWidget(self.chain_note, 1)
        return self.chain_holder

    def _shortcuts(self) -> None:
        for keys, slot in (
            ("Ctrl+N", self.new_campaign),
            ("Ctrl+T", self.new_template),
            ("Ctrl+L", self.launch_selected),
            ("Ctrl+Shift+P", self.pause_selected),
            ("Alt+1", lambda: self.tabs.setCurrentIndex(CAMPAIGNS_TAB)),
            ("Alt+2", lambda: self.tabs.setCurrentIndex(TEMPLATES_TAB)),
            ("Alt+3", lambda: self.tabs.setCurrentIndex(SUGGESTIONS_TAB)),
            *((("Alt+4", lambda: self.tabs.setCurrentIndex(CHAIN_TAB)),) if self.on_centre else ()),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        # Enter on a template opens it to change; Ctrl+Shift+C as a copy.
        for table_keys, opens in (
            ("Return", self.edit_template),
            ("Ctrl+Shift+C", self.copy_template),
        ):
            on_table = QShortcut(QKeySequence(table_keys), self.templates_table)
            on_table.setContext(Qt.ShortcutContext.WidgetShortcut)
            on_table.activated.connect(opens)

    def _tab_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.launch_button.setVisible(index == CAMPAIGNS_TAB)
        self.pause_button.setVisible(index == CAMPAIGNS_TAB)
        table: dict[int, QWidget | None] = {
            CAMPAIGNS_TAB: self.campaigns_table,
            TEMPLATES_TAB: self.templates_table,
            CHAIN_TAB: self.chain_view,
        }
        focus = table.get(index)
        if focus is not None:
            self.setFocusProxy(focus)
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.suggestion_buttons and index == SUGGESTIONS_TAB:
            self.suggestion_buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)
        if index == SUGGESTIONS_TAB:
            self.read_suggestions()
        if index == CHAIN_TAB:
            self.show_chain()

    # -- the branches' campaigns (on the centre) -------------------------------------------------

    def show_chain(self) -> None:
        """Read the branches' campaigns (loading the view, with its chart, the first time)."""
        if self.chain_view is not None:
            self.chain_view.refresh()
            return
        if self._chain_loading.idle:
            self._chain_loading.run(
                lambda: importlib.import_module(CHAIN_MODULE),
                lambda _module: self._chain_loaded(),
                self._chain_failed,
            )

    def _chain_loaded(self) -> None:
        from desktop.panels.chain_campaigns import ChainCampaignsView

        view = ChainCampaignsView(self._db, self._user, ask_path=self._ask_path)
        view.chart.exported.connect(lambda path: self.say(f"Saved {Path(path).name}."))
        view.chart.export_failed.connect(lambda sentence: self.say(sentence, error=True))
        self.chain_note.hide()
        self.chain_column.addWidget(view, 1)
        self.chain_view = view
        if self.tabs.currentIndex() == CHAIN_TAB:
            self.setFocusProxy(view)
            view.setFocus(Qt.FocusReason.OtherFocusReason)
        view.refresh()

    def _chain_failed(self, error: Exception) -> None:
        log.error("campaigns panel: the branches' campaigns could not be loaded", exc_info=error)
        self.chain_note.setText("The branches' campaigns could not be loaded.")

    # -- background work -----------------------------------------------------------------------

    def _run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object] | None = None,
    ) -> None:
        self._ops.run(call, on_success, on_failure or self._failed)

    def is_idle(self) -> bool:
        """Nothing is being read or changed (an open dialog's own work aside)."""
        counters = (
            self._ops,
            self._lists,
            self._results,
            self._previews,
            self._charts,
            self._chain_loading,
        )
        building = self.results_view is not None and self.results_view.is_building()
        chain_idle = self.chain_view is None or self.chain_view.is_idle()
        return all(counter.idle for counter in counters) and not building and chain_idle

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, ServiceError):
            log.error("campaigns panel: %s", error, exc_info=error)
        self.say(error_sentence(error), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))
        restyle(self.status_label)

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides 'today')."""
        self._branch = info

    def _ask_export_path(self, kind: str, name: str) -> Path | None:
        pattern = "PNG pictures (*.png)" if kind == "png" else "CSV files (*.csv)"
        chosen, _filter = QFileDialog.getSaveFileName(self, "Export", name, pattern)
        return Path(chosen) if chosen else None

    # -- reading -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def refresh(self) -> None:
        """Read the campaigns (with the live audience of those not launched) and templates."""
        number = self._lists.begin()
        db, user, today, now = self._db, self._user, self._today(), self._clock()

        def read() -> tuple[list[CampaignRow], dict[uuid.UUID, int], list[TemplateRow]]:
            rows = campaign_service.list_campaigns(db, user)
            audience: dict[uuid.UUID, int] = {}
            for row in rows:
                if row.recipients == 0 and row.status != "completed":
                    count = campaign_service.audience_of(db, user, row.id, today=today, now=now)
                    audience[row.id] = count.reachable
            return rows, audience, template_service.list_templates(db, user)

        self._lists.run(read, lambda found: self._listed(number, *found), self._failed)
        if self.tabs.currentIndex() == SUGGESTIONS_TAB:
            self.read_suggestions()
        if self.tabs.currentIndex() == CHAIN_TAB:
            self.show_chain()

    def _listed(
        self,
        number: int,
        rows: list[CampaignRow],
        audience: dict[uuid.UUID, int],
        template_rows: list[TemplateRow],
    ) -> None:
        if not self._lists.is_latest(number):
            return
        keep = self._select_after or self.selected_campaign_key()
        keep_template = self.selected_template_key()
        self._select_after = None
        self.campaigns.set_rows(rows)
        self.campaigns.set_audience(audience)
        self._fit_table()
        self.templates.set_rows(template_rows)
        if not self.select_campaign(keep) and rows:
            self.campaigns_table.setCurrentIndex(self.campaigns.index(0, 0))
        if not self._select_template(keep_template) and template_rows:
            self.templates_table.setCurrentIndex(self.templates.index(0, 0))
        self._campaign_selected()
        self.refreshed.emit()

    # -- campaigns -----------------------------------------------------------------------------

    def selected_campaign(self) -> CampaignRow | None:
        row = self.campaigns_table.currentIndex().row()
        return self.campaigns.row(row) if 0 <= row < self.campaigns.rowCount() else None

    def selected_campaign_key(self) -> str:
        campaign = self.selected_campaign()
        return "" if campaign is None else str(campaign.id)

    def select_campaign(self, key: str) -> bool:
        """Select campaign `key` (its id, or its name); False when it is not listed."""
        row = self.campaigns.row_of(key)
        if row < 0:
            row = next(
                (i for i, r in enumerate(self.campaigns.rows()) if r.name == key and key), -1
            )
        if row < 0:
            return False
        self.campaigns_table.setCurrentIndex(self.campaigns.index(row, 0))
        return True

    def _campaign_selected(self) -> None:
        campaign = self.selected_campaign()
        status = campaign.status if campaign else ""
        self.launch_button.setText("Resume" if status == "paused" else "Launch")
        self.launch_button.setEnabled(status in ("draft", "paused", "scheduled", "running"))
        self.pause_button.setEnabled(status in ("running", "scheduled"))
        if campaign is None:
            self.results_note.setText("Select a campaign to see its results here.")
            self._show_results_note(True)
            return
        self.read_results(campaign.id)

    def _show_results_note(self, shown: bool) -> None:
        self.results_note.setVisible(shown)
        if self.results_view is not None:
            self.results_view.setVisible(not shown)

    def read_results(self, campaign_id: uuid.UUID) -> None:
        """Read campaign `campaign_id`'s results and draw them (charts loaded first)."""
        number = self._results.begin()
        db, user = self._db, self._user
        self._results.run(
            lambda: campaign_service.campaign_results(db, user, campaign_id),
            lambda results: self._results_read(number, results),
            self._failed,
        )
        if self.results_view is None and self._charts.idle:
            self._charts.run(
                lambda: importlib.import_module(RESULTS_MODULE),
                lambda _module: self._charts_loaded(),
                self._charts_failed,
            )

    def _charts_loaded(self) -> None:
        from desktop.panels.campaign_results import ResultsView

        view = ResultsView(self._ask_path)
        self.results_column.addWidget(view, 1)
        self.results_view = view
        view.chart_built.connect(self._chart_built)
        view.hide()
        if self._pending_results is not None:
            results, self._pending_results = self._pending_results, None
            self._draw_results(results)

    def _chart_built(self, chart: BarChart | LineChart) -> None:
        chart.exported.connect(lambda path: self.say(f"Saved {Path(path).name}."))
        chart.export_failed.connect(lambda sentence: self.say(sentence, error=True))

    def _charts_failed(self, error: Exception) -> None:
        log.error("campaigns panel: the charts could not be loaded", exc_info=error)
        self.results_note.setText("The results' charts could not be loaded.")

    def _results_read(self, number: int, results: Results) -> None:
        if not self._results.is_latest(number):
            return
        if self.results_view is None:
            self._pending_results = results
            return
        self._draw_results(results)

    def _draw_results(self, results: Results) -> None:
        assert self.results_view is not None
        self.results_view.set_results(results)
        launched = any(arm.recipients for arm in results.arms)
        if not launched:
            # Nothing to chart yet: say what launching it would do instead of empty charts.
            campaign = self.selected_campaign()
            reach = "" if campaign is None else self.campaigns.audience_text(campaign)
            reach = f" {reach} patients can be reached now." if reach not in ("", "-") else ""
            self.results_note.setText(
                f"{results.name} is not launched yet.{reach} Launch (Ctrl+L) queues its "
                "messages; its results show here as they are sent."
            )
        self._show_results_note(not launched)
        self.results_shown.emit(results)

    def launch_selected(self) -> None:
        """Launch the selected campaign (queue its messages), or resume it when paused."""
        campaign = self.selected_campaign()
        if campaign is None or not self.launch_button.isEnabled():
            return
        db, user, today, now, key = self._db, self._user, self._today(), self._clock(), campaign.id

        def launched(launch: Launch) -> None:
            held = f", {launch.held_out:,} in the hold-out group" if launch.held_out else ""
            self.say(f"{campaign.name}: {launch.queued:,} messages queued{held}.")
            self._changed(str(key))

        self.say(f"Launching {campaign.name}...")
        self._run(
            lambda: campaign_service.launch_campaign(db, user, key, today=today, now=now),
            launched,
        )

    def pause_selected(self) -> None:
        """Pause the selected campaign: its queued messages wait."""
        campaign = self.selected_campaign()
        if campaign is None or not self.pause_button.isEnabled():
            return
        db, user, now, key = self._db, self._user, self._clock(), campaign.id

        def paused(_none: None) -> None:
            self.say(f"{campaign.name} is paused; its queued messages wait. Ctrl+L resumes it.")
            self._changed(str(key))

        self._run(lambda: campaign_service.pause_campaign(db, user, key, now=now), paused)

    def _changed(self, key: str) -> None:
        self._select_after = key
        self.changed.emit(key)
        self.refresh()

    # -- dialogs -------------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> QDialog:
        if self.dialog is not None:
            self.dialog.close()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def new_campaign(self, draft: CampaignDraft | None = None) -> CampaignBuilder:
        """Open the builder (on `draft`, when a suggestion or the dashboard filled one)."""
        builder = CampaignBuilder(
            self._db,
            self._user,
            clock=self._clock,
            timezone=self._branch.details.timezone,
            draft=draft,
            parent=self,
        )
        builder.created.connect(self._campaign_created)
        self._open(builder)
        return builder

    def audience_from_segment(self, segment: str) -> CampaignBuilder:
        """The builder for a dashboard segment ('make this an audience')."""
        self.tabs.setCurrentIndex(CAMPAIGNS_TAB)
        return self.new_campaign(CampaignDraft(name=f"{segment.title()} campaign", segment=segment))

    def _campaign_created(self, campaign_id: uuid.UUID) -> None:
        self.tabs.setCurrentIndex(CAMPAIGNS_TAB)
        self.say("The campaign is saved as a draft: Launch (Ctrl+L) sends it.")
        self._changed(str(campaign_id))

    def new_template(
        self, copy_of: TemplateRow | None = None, editing: TemplateRow | None = None
    ) -> TemplateEditor:
        """Open the template editor (on a copy of `copy_of`, or to change `editing`)."""
        editor = TemplateEditor(
            self._db, self._user, clock=self._clock, copy_of=copy_of, editing=editing, parent=self
        )
        editor.saved.connect(self._template_saved)
        self._open(editor)
        return editor

    def edit_template(self) -> TemplateEditor | None:
        """Open the selected template in the editor to change it."""
        row = self.selected_template()
        if row is not None and row.head_office:
            self.say(HEAD_OFFICE_TEMPLATE, error=True)
            return None
        return None if row is None else self.new_template(editing=row)

    def copy_template(self) -> TemplateEditor | None:
        """Open the selected template in the editor as a new one."""
        row = self.selected_template()
        return None if row is None else self.new_template(copy_of=row)

    def _template_saved(self, template_id: uuid.UUID) -> None:
        self.tabs.setCurrentIndex(TEMPLATES_TAB)
        self.say("The template is saved in the library.")
        self._select_template_after = str(template_id)
        self.changed.emit(str(template_id))
        self.refresh()

    # -- templates -----------------------------------------------------------------------------

    def selected_template(self) -> TemplateRow | None:
        row = self.templates_table.currentIndex().row()
        return self.templates.row(row) if 0 <= row < self.templates.rowCount() else None

    def selected_template_key(self) -> str:
        key, self._select_template_after = self._select_template_after, ""
        if key:
            return key
        row = self.selected_template()
        return "" if row is None else str(row.id)

    def _select_template(self, key: str) -> bool:
        row = self.templates.row_of(key) if key else -1
        if row < 0:
            return False
        self.templates_table.setCurrentIndex(self.templates.index(row, 0))
        return True

    def _template_selected(self) -> None:
        row = self.selected_template()
        self.copy_button.setEnabled(row is not None)
        self.edit_button.setEnabled(row is not None and not row.head_office)
        if row is None:
            self.template_title.setText("Nothing selected")
            self.template_line.setText("")
            self.template_preview.setPlainText("")
            return
        self.template_title.setText(row.name)
        line = f"{row.category} - {row.channel} - {row.purpose}"
        if row.channel == "sms" and row.sms_dlt_template_id:
            line += f"\nDLT {row.sms_dlt_template_id}, header {row.sms_header}"
        if row.channel == "whatsapp" and row.whatsapp_template_name:
            line += f"\nApproved template {row.whatsapp_template_name}"
        if row.head_office:
            line += f"\n{HEAD_OFFICE_TEMPLATE}"
        self.template_line.setText(line)
        number = self._previews.begin()
        db, user, today, key = self._db, self._user, self._today(), row.id
        self._previews.run(
            lambda: template_service.preview(db, user, key, today=today),
            lambda preview: self._template_previewed(number, preview),
            self._failed,
        )

    def _template_previewed(self, number: int, preview: Preview) -> None:
        if self._previews.is_latest(number):
            self.template_preview.setPlainText(
                "For the sample patient:\n\n" + preview_text(preview)
            )

    # -- suggestions ---------------------------------------------------------------------------

    def read_suggestions(self) -> None:
        """Read the suggestions that apply today."""
        db, user, today, now = self._db, self._user, self._today(), self._clock()
        self._run(
            lambda: recommendation_service.recommend(db, user, today=today, now=now),
            self._suggested,
        )

    def _suggested(self, found: list[Recommendation]) -> None:
        self.suggestions = found
        for button in self.suggestion_buttons:
            card = button.parentWidget()
            if card is not None:
                card.deleteLater()
        self.suggestion_buttons = []
        self.suggestions_note.setText(
            "Suggestions drawn from the clinic's data; each button acts on one."
            if found
            else "Nothing to suggest today."
        )
        for index, suggestion in enumerate(found):
            card = QFrame()
            card.setObjectName("TotalsPane")
            row = QHBoxLayout(card)
            row.setContentsMargins(14, 10, 14, 10)
            row.setSpacing(12)
            sentence = QLabel(suggestion.sentence)
            sentence.setWordWrap(True)
            button = QPushButton(ACTIONS.get(suggestion.rule, "Act on it"))
            button.setObjectName("SuggestionButton")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, s=suggestion: self.act_on(s))
            row.addWidget(sentence, 1)
            row.addWidget(button)
            self.suggestions_column.insertWidget(1 + index, card)
            self.suggestion_buttons.append(button)
        if self.tabs.currentIndex() == SUGGESTIONS_TAB and self.suggestion_buttons:
            self.suggestion_buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def act_on(self, suggestion: Recommendation) -> Any:
        """Do what `suggestion` asks: a builder filled in, the counter, or the channels."""
        if suggestion.rule == "win_back":
            return self.new_campaign(
                CampaignDraft(
                    name="Champions win-back",
                    objective="Bring back champions who have not visited in 90 days",
                    segment="CHAMPIONS",
                    last_visit_older_than_days=recommendation_service.LAPSED_DAYS,
                )
            )
        if suggestion.rule == "birthday":
            return self.new_campaign(
                CampaignDraft(name="Birthday wishes", channel="sms", birthday_within_days=7)
            )
        if suggestion.rule == "consent":
            self.counter_requested.emit()
            return None
        if suggestion.rule == "failures":
            self.channels_requested.emit()
            return None
        if suggestion.rule == "ab_winner" and suggestion.campaign_id is not None:
            self.tabs.setCurrentIndex(CAMPAIGNS_TAB)
            self.select_campaign(str(suggestion.campaign_id))
            return self._winner_to_the_rest(suggestion)
        return None

    def _winner_to_the_rest(self, suggestion: Recommendation) -> CampaignBuilder | None:
        """The builder on the A/B winner's template and the campaign's audience, less those
        the campaign made a message for."""
        template = next(
            (row for row in self.templates.rows() if row.id == suggestion.template_id), None
        )
        campaign = self.selected_campaign()
        if template is None or campaign is None or suggestion.audience is None:
            return None
        draft = CampaignDraft.for_audience(
            suggestion.audience,
            name=f"{campaign.name}: the winner to the rest",
            channel=template.channel,
            purpose=template.purpose,
            template_a=template.id,
            kept_words=f"not reached by {campaign.name}",
        )
        return self.new_campaign(draft)
