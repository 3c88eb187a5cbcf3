"""The head office's view of the branches' campaigns (issue #16), the Campaigns panel's
"Branches' campaigns" tab in the app opened on the centre: a Branch box (the whole chain
or one branch, as the dashboard's), one row per branch campaign with its results' totals
(services.campaigns.chain_results), the chosen branches' sum under it, and a chart of the
messages sent and the conversions of each branch.

It reads off the UI thread each time it is shown, on F5 and when the Branch box changes.
The chart brings pyqtgraph, so the Campaigns panel imports this module in a worker the
first time the tab is opened, never at start-up.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.campaigns.draft import channel_text
from desktop.errors import error_sentence, log_failure
from desktop.models.promotion_models import Column, RowsModel, status_text
from desktop.widgets.chart_data import BarSpec, Table
from desktop.widgets.charts import AskPath, BarChart
from desktop.widgets.empty_table import EmptyStateTable
from desktop.workers import OpCounter
from domain.money import format_rupees, group_indian
from services.auth import CurrentUser
from services.campaigns.chain_results import BranchCampaign, ChainCampaigns, branch_campaigns

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
TABLE_ROWS = 6  # campaigns shown before the list scrolls


def roi_text(row: BranchCampaign) -> str:
    """The attributed ROI in percent, or a dash without a cost."""
    return "-" if row.roi is None else f"{row.roi:,.0%}"


def figures_text(row: BranchCampaign) -> str:
    """Every figure of a row (or a total) in words, for a tooltip or the line under the list."""
    return (
        f"{group_indian(row.recipients)} recipients, {group_indian(row.messages)} messages: "
        f"{group_indian(row.sent)} sent, {group_indian(row.delivered)} delivered, "
        f"{group_indian(row.failed)} failed, {group_indian(row.replied)} replied, "
        f"{group_indian(row.opted_out)} opted out; cost {format_rupees(row.cost)}; "
        f"{group_indian(row.conversions)} converted, revenue {format_rupees(row.revenue)}; "
        f"ROI {roi_text(row)}"
    )


def row_tooltip(row: BranchCampaign) -> str:
    """A campaign's name, channels and every figure."""
    channels = channel_text("+".join(row.channels)) if row.channels else "no channel"
    return f"{row.name} ({channels}): {figures_text(row)}"


def _number(pick: Any) -> Any:
    return lambda r: group_indian(pick(r))


class ChainCampaignsModel(RowsModel[BranchCampaign]):
    """The branches' campaigns, by branch and newest first. The channels, delivered,
    replied and opted out are in each row's tooltip (and the total's line): the smallest
    window has no room for them as columns."""

    columns = (
        Column[BranchCampaign]("Branch", lambda r: r.branch_code, tooltip=figures_text),
        Column[BranchCampaign]("Campaign", lambda r: r.name, tooltip=row_tooltip),
        Column[BranchCampaign]("Status", lambda r: status_text(r.status)),
        Column[BranchCampaign](
            "Recipients",
            _number(lambda r: r.recipients),
            _RIGHT,
            tooltip=lambda r: "Patients messaged, each once however many messages they had",
        ),
        Column[BranchCampaign]("Sent", _number(lambda r: r.sent), _RIGHT),
        Column[BranchCampaign]("Failed", _number(lambda r: r.failed), _RIGHT),
        Column[BranchCampaign]("Cost", lambda r: format_rupees(r.cost), _RIGHT),
        Column[BranchCampaign](
            "Converted",
            _number(lambda r: r.conversions),
            _RIGHT,
            tooltip=lambda r: "Recipients who bought within the attribution window",
        ),
        Column[BranchCampaign]("Revenue", lambda r: format_rupees(r.revenue), _RIGHT),
        Column[BranchCampaign](
            "ROI", roi_text, _RIGHT, tooltip=lambda r: "(revenue - cost) / cost"
        ),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: f"{r.branch_code}/{r.campaign_id}", parent)


def branch_bars(found: ChainCampaigns) -> list[BarSpec]:
    """One bar a branch: its conversions, with the messages sent beside them."""
    return [
        BarSpec(
            key=branch.branch_code,
            label=branch.branch_code,
            value=float(branch.conversions),
            value_text=f"{group_indian(branch.conversions)} of {group_indian(branch.sent)} sent",
            tooltip=f"{branch.branch_code}: {figures_text(branch)}",
        )
        for branch in found.by_branch()
    ]


def branch_table(found: ChainCampaigns) -> Table:
    """The chart's data for Export CSV: each branch's figures, plain."""
    return Table(
        ("branch", "recipients", "messages", "sent", "conversions", "cost", "revenue"),
        tuple(
            (
                b.branch_code,
                str(b.recipients),
                str(b.messages),
                str(b.sent),
                str(b.conversions),
                f"{b.cost / 100:.2f}",
                f"{b.revenue / 100:.2f}",
            )
            for b in found.by_branch()
        ),
    )


class ChainCampaignsView(QWidget):
    """Every branch's campaigns for the head office (see the module's docstring).

    Signals:
        shown(object): the rows were read and drawn (ChainCampaigns).
    """

    shown = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        ask_path: AskPath,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._user = db, user
        self._reads = OpCounter(self)
        self.found: ChainCampaigns | None = None

        self.branch_combo = QComboBox()
        self.branch_combo.addItem("Whole chain", None)
        self.branch_combo.setAccessibleName("Branch")
        self.branch_combo.setToolTip("The whole chain's campaigns, or one branch's")
        self.branch_combo.currentIndexChanged.connect(lambda _index: self.refresh())
        branch_label = QLabel("&Branch")
        branch_label.setBuddy(self.branch_combo)
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        self.summary_label = QLabel("Reading the branches' campaigns...")
        self.summary_label.setObjectName("Muted")
        self.summary_label.setWordWrap(True)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(branch_label)
        top.addWidget(self.branch_combo)
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.refresh_button)

        self.model = ChainCampaignsModel(self)
        self.table = EmptyStateTable(
            "No branch campaigns yet",
            "A branch's campaigns show here once it has synced with the centre.",
        )
        self.table.setObjectName("ChainCampaignsTable")
        self.table.setAccessibleName("Branches' campaigns")
        self.table.setModel(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.total_label = QLabel()
        self.total_label.setObjectName("FieldHint")
        self.total_label.setWordWrap(True)
        self.total_label.setAccessibleName("Total")

        self.chart = BarChart(
            "branch-campaigns",
            "Conversions and messages sent, by branch",
            "Each bar is a branch's converted recipients; beside it, the messages it sent.",
            ask_path=ask_path,
            horizontal=True,
        )
        self.chart.setMinimumHeight(180)

        self.notice = QLabel()
        self.notice.setObjectName("FieldError")
        self.notice.setWordWrap(True)
        self.notice.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 0)
        column.setSpacing(8)
        column.addLayout(top)
        column.addWidget(self.table)
        column.addWidget(self.total_label)
        column.addWidget(self.chart, 1)
        column.addWidget(self.notice)
        self._fit_table()
        shortcut = QShortcut(QKeySequence("F5"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)
        self.setFocusProxy(self.table)
        self.setTabOrder(self.branch_combo, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.table)
        self.setTabOrder(self.table, self.chart.menu_button)

    def _fit_table(self) -> None:
        """The list as tall as its rows (up to TABLE_ROWS), leaving the chart the rest."""
        table = self.table
        rows = min(max(self.model.rowCount(), 2), TABLE_ROWS)
        header = table.horizontalHeader()
        height = header.sizeHint().height() + rows * table.verticalHeader().defaultSectionSize() + 4
        if header.length() > table.viewport().width():  # room for the scroll bar, no row hidden
            height += table.horizontalScrollBar().sizeHint().height()
        table.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_table()

    def is_idle(self) -> bool:
        return self._reads.idle

    def chosen_branches(self) -> tuple[str, ...]:
        code = self.branch_combo.currentData()
        return () if code is None else (str(code),)

    def refresh(self) -> None:
        """Read the chosen branches' campaigns again, off the UI thread."""
        number = self._reads.begin()
        db, user, branches = self._db, self._user, self.chosen_branches()
        self._reads.run(
            lambda: branch_campaigns(db, user, branches=branches),
            lambda found: self._read(number, found),
            self._failed,
        )

    def _read(self, number: int, found: ChainCampaigns) -> None:
        if not self._reads.is_latest(number):
            return
        self.found = found
        self._offer_branches(found.branch_codes)
        self.model.set_rows(found.rows)
        self._fit_table()
        total = found.total
        where = "The whole chain" if not self.chosen_branches() else self.chosen_branches()[0]
        campaigns = len(found.rows)
        self.summary_label.setText(
            f"{where}: {campaigns} campaign{'s' if campaigns != 1 else ''}, "
            f"{group_indian(total.conversions)} converted, revenue "
            f"{format_rupees(total.revenue)}, ROI {roi_text(total)}."
        )
        self.total_label.setText(
            f"All: {figures_text(total)}. Messages still waiting at a branch are counted once "
            "they have left and the branch has synced."
        )
        self.chart.set_bars(branch_bars(found), empty="No branch has sent a campaign message yet.")
        self.chart.set_table(branch_table(found))
        self.notice.hide()
        self.shown.emit(found)

    def _offer_branches(self, codes: tuple[str, ...]) -> None:
        """The Branch box lists every branch the centre knows (the choice kept)."""
        listed = [self.branch_combo.itemData(i) for i in range(1, self.branch_combo.count())]
        if listed == list(codes):
            return
        self.branch_combo.blockSignals(True)
        chosen = self.branch_combo.currentData()
        while self.branch_combo.count() > 1:
            self.branch_combo.removeItem(1)
        for code in codes:
            self.branch_combo.addItem(code, code)
        index = self.branch_combo.findData(chosen) if chosen is not None else 0
        self.branch_combo.setCurrentIndex(max(index, 0))
        self.branch_combo.blockSignals(False)

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.notice.setText(error_sentence(error))
        self.notice.show()
