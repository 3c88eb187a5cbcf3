"""The promotions admin (manager): promotions and promo codes at a glance, their dialogs,
pause and resume, and the selected code's analytics and applications.

Every read and change runs in a background op; the lists are read again when the panel is
shown and after every change, so uses made at the counter appear on coming back here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.code_dialog import CodeDialog
from desktop.dialogs.promotion_dialog import PromotionDialog
from desktop.errors import error_sentence
from desktop.models.promotion_models import (
    TYPE_NAMES,
    ApplicationsModel,
    CodesModel,
    PromotionsModel,
    RowsModel,
    ServiceUsesModel,
    status_text,
    validity_text,
)
from desktop.widgets.column_fit import ColumnsGiveWay
from desktop.widgets.empty_table import EmptyStateTable
from desktop.workers import OpCounter
from domain.log import ui as log
from domain.money import format_rupees
from services import promotions as promotion_service
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.errors import ServiceError
from services.promotions import ApplicationsPage, CodeAnalytics, CodeRow, PromotionRow

T = TypeVar("T")

PROMOTIONS_TAB, CODES_TAB = 0, 1
ANALYTICS_TAB, APPLICATIONS_TAB = 0, 1
PAGE_SIZE = 20
DETAIL_WIDTH = 400


def hours_line(code: CodeRow) -> str:
    """'Active 06:00-09:00 Asia/Kolkata', 'Active at any time', 'Paused', 'Expired on 12 Mar'."""
    if code.status == "expired":
        if code.auto_deactivated_at is not None:
            at = code.auto_deactivated_at
            return f"Expired: reached its limit on {at.day} {at:%b %Y}"
        return "Expired"
    prefix = status_text(code.status)
    if not code.active_hours.enabled:
        return f"{prefix} at any time"
    return f"{prefix} {code.active_hours.describe()}"


def quota_lines(promotion: PromotionRow) -> list[str]:
    """A capped promotion's offline quota and what went past its limit (issue #15)."""
    lines = []
    quota = promotion.branch_offline_quota
    if quota is not None:
        lines.append(
            f"Offline quota {quota} a branch: {promotion.offline_uses} used here that the "
            "centre has not counted yet"
        )
    if promotion.over_limit:
        where = ", ".join(f"{code} {uses}" for code, uses in promotion.overrun_by_branch)
        lines.append(
            f"{promotion.over_limit} over the limit, sold while branches were offline"
            + (f" ({where})" if where else "")
        )
    return lines


def code_uses_line(code: CodeRow) -> str:
    """'37 of 100 uses', '1 use, no limit'."""
    if code.max_uses is None:
        plural = "use" if code.uses == 1 else "uses"
        return f"{code.uses} {plural}, no limit"
    return f"{code.uses} of {code.max_uses} uses"


class PromotionsPanel(QWidget):
    """Lists promotions and codes; creates, edits, pauses and resumes them; shows a code's
    analytics. For managers (the rail hides the panel from the front desk).

    Signals:
        changed(str): a promotion or code was created, changed, paused or resumed (its code).
        refreshed(): the lists on show were just read again.
    """

    changed = Signal(str)
    refreshed = Signal()

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
        self.setStyleSheet(theme.section("tabs-and-tables"))
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        self._ops = OpCounter(self)
        self._list_sequence = 0
        self._detail_sequence = 0
        self._page = 1
        self._pages = 1
        self._select_after_refresh: tuple[int, str] | None = None
        self.dialog: QDialog | None = None

        self.promotions = PromotionsModel(self)
        self.codes = CodesModel(self)
        self.service_uses = ServiceUsesModel(self)
        self.applications = ApplicationsModel(branch_info.details.timezone, self)
        self._build()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.promotions_table = EmptyStateTable(
            "No promotions yet", "Press + Promotion to create the first one."
        )
        self.promotions_table.setObjectName("PromotionsTable")
        self.promotions_table.setAccessibleName("Promotions")
        self.promotions_table.setModel(self.promotions)
        # A flight ("30 Nov 2026 - 31 Dec 2026") is read whole, in the table's own font.
        self.promotions_table.ensurePolished()
        valid = self.promotions_table.fontMetrics().horizontalAdvance("30 Nov 2026 - 31 Dec 2026")
        self.promotions_table.set_widths({1: 118, 2: 80, 3: 96, 4: 116, 5: valid + 24}, stretch=0)
        # Code above name: long names stay readable in a narrow column.
        self.promotions_table.verticalHeader().setDefaultSectionSize(48)
        self.codes_table = EmptyStateTable(
            "No promo codes yet", "Press + Code to create one for a promotion."
        )
        self.codes_table.setObjectName("CodesTable")
        self.codes_table.setAccessibleName("Promo codes")
        self.codes_table.setModel(self.codes)
        self.codes_table.set_widths(
            {0: 118, 1: 136, 2: 76, 3: 72, 4: 116, 6: valid + 24}, stretch=5
        )
        # At the smallest window what the detail pane says anyway gives way, so that the
        # name, the status and the uses are read whole beside it.
        ColumnsGiveWay(
            self.promotions_table, (2, 3, 4, 1, 5), frozenset({1, 4, 5}), stretch_at_least=150
        )
        ColumnsGiveWay(
            self.codes_table, (0, 2, 3, 1, 4, 6), frozenset({1, 4, 6}), stretch_at_least=110
        )
        for table in (self.promotions_table, self.codes_table):
            selection = table.selectionModel()
            selection.currentRowChanged.connect(lambda *_: self._selection_changed())
            table.doubleClicked.connect(lambda _index: self.edit_selected())

        self.pages = QStackedWidget()
        self.pages.addWidget(self.promotions_table)
        self.pages.addWidget(self.codes_table)
        self.tabs = QTabBar()
        self.tabs.setObjectName("PromotionTabs")
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.tabs.addTab("Promotions")
        self.tabs.addTab("Codes")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.new_promotion_button = QPushButton("+ Promotion")
        self.new_promotion_button.setAutoDefault(False)
        self.new_promotion_button.clicked.connect(self.new_promotion)
        self.new_code_button = QPushButton("+ Code")
        self.new_code_button.setAutoDefault(False)
        self.new_code_button.clicked.connect(self.new_code)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.tabs, 0, Qt.AlignmentFlag.AlignBottom)
        top.addStretch(1)
        top.addWidget(self.new_promotion_button)
        top.addWidget(self.new_code_button)

        self.edit_button = QPushButton("Edit")
        self.edit_button.setAutoDefault(False)
        self.edit_button.setToolTip("Change the selected promotion or code (double-click)")
        self.edit_button.clicked.connect(self.edit_selected)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setAutoDefault(False)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Status")
        actions = QHBoxLayout()
        actions.setSpacing(8)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.pause_button)
        actions.addSpacing(8)
        actions.addWidget(self.status_label, 1)

        left = QVBoxLayout()
        left.setSpacing(10)
        left.addLayout(top)
        left.addWidget(self.pages, 1)
        left.addLayout(actions)

        self.detail = self._build_detail()

        outer = QHBoxLayout(self)
        outer.setContentsMargins(20, 14, 20, 16)
        outer.setSpacing(18)
        outer.addLayout(left, 1)
        outer.addWidget(self.detail)
        self.setFocusProxy(self.promotions_table)
        self._show_detail()

    def _build_detail(self) -> QFrame:
        pane = QFrame()
        pane.setObjectName("TotalsPane")  # the counter's side card: white, framed
        pane.setFixedWidth(DETAIL_WIDTH)
        self.detail_title = QLabel()
        self.detail_title.setObjectName("PaneHeading")
        self.detail_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_line1 = QLabel()
        self.detail_line1.setWordWrap(True)
        self.detail_line2 = QLabel()
        self.detail_line2.setObjectName("Muted")
        self.detail_line2.setWordWrap(True)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.service_table = EmptyStateTable("No uses yet", "Invoices that use the code show here.")
        self.service_table.setObjectName("ServiceUsesTable")
        self.service_table.setAccessibleName("Uses by service")
        self.service_table.setModel(self.service_uses)
        self.service_table.set_widths({1: 84, 2: 60, 3: 80, 4: 96}, stretch=0)
        self.service_table.setColumnHidden(1, True)
        analytics = QWidget()
        analytics_column = QVBoxLayout(analytics)
        analytics_column.setContentsMargins(0, 8, 0, 0)
        analytics_column.setSpacing(8)
        analytics_column.addWidget(self.summary_label)
        analytics_column.addWidget(self.service_table, 1)

        self.applications_table = EmptyStateTable(
            "No applications yet", "Each service the code discounts shows here."
        )
        self.applications_table.setObjectName("ApplicationsTable")
        self.applications_table.setAccessibleName("Applications")
        self.applications_table.setModel(self.applications)
        self.applications_table.set_widths({1: 176, 2: 92}, stretch=0)
        self.applications_table.verticalHeader().setDefaultSectionSize(48)
        self.prev_button = QPushButton("< Prev")
        self.prev_button.setAutoDefault(False)
        self.prev_button.clicked.connect(lambda: self.show_page(self._page - 1))
        self.next_button = QPushButton("Next >")
        self.next_button.setAutoDefault(False)
        self.next_button.clicked.connect(lambda: self.show_page(self._page + 1))
        self.page_label = QLabel()
        self.page_label.setObjectName("Muted")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pager = QHBoxLayout()
        pager.addWidget(self.prev_button)
        pager.addWidget(self.page_label, 1)
        pager.addWidget(self.next_button)
        applications = QWidget()
        applications_column = QVBoxLayout(applications)
        applications_column.setContentsMargins(0, 8, 0, 0)
        applications_column.setSpacing(8)
        applications_column.addWidget(self.applications_table, 1)
        applications_column.addLayout(pager)

        self.detail_tabs = QTabWidget()
        self.detail_tabs.setObjectName("CodeDetailTabs")
        self.detail_tabs.setDocumentMode(True)
        self.detail_tabs.addTab(analytics, "Analytics")
        self.detail_tabs.addTab(applications, "Applications")

        self.detail_note = QLabel()
        self.detail_note.setObjectName("Muted")
        self.detail_note.setWordWrap(True)
        self.detail_note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        column = QVBoxLayout(pane)
        column.setContentsMargins(16, 14, 16, 14)
        column.setSpacing(4)
        column.addWidget(self.detail_title)
        column.addWidget(self.detail_line1)
        column.addWidget(self.detail_line2)
        column.addSpacing(8)
        column.addWidget(self.detail_tabs, 1)
        column.addWidget(self.detail_note, 1)
        return pane

    def _tab_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self._selection_changed()

    # -- background work -----------------------------------------------------------------

    def _run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object] | None = None,
    ) -> None:
        self._ops.run(call, on_success, on_failure or self._failed)

    def is_idle(self) -> bool:
        """Nothing is being read or changed (an open dialog's own save aside)."""
        return self._ops.idle

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, ServiceError):
            log.error("promotions panel: %s", error, exc_info=error)
        self.say(error_sentence(error), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        self.status_label.setText(text)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides dates and times shown)."""
        self._branch = info
        self.applications.timezone = info.details.timezone

    # -- reading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def refresh(self) -> None:
        """Read the promotions and codes again (and the selected code's analytics)."""
        self._list_sequence += 1
        sequence = self._list_sequence
        db, user, now = self._db, self._user, self._clock()

        def read() -> tuple[list[PromotionRow], list[CodeRow]]:
            return (
                promotion_service.list_promotions(db, user, now=now),
                promotion_service.list_codes(db, user),
            )

        self._run(read, lambda rows: self._listed(sequence, *rows))

    def _listed(self, sequence: int, promotions: list[PromotionRow], codes: list[CodeRow]) -> None:
        if sequence != self._list_sequence:
            return
        keep = self._select_after_refresh or (self.tabs.currentIndex(), self.selected_key())
        self._select_after_refresh = None
        self.promotions.set_rows(promotions)
        self.codes.set_rows(codes)
        tab, key = keep
        if tab != self.tabs.currentIndex():
            self.tabs.setCurrentIndex(tab)
        if key:
            self.select(key)
        self._selection_changed()
        self.refreshed.emit()

    # -- selection -----------------------------------------------------------------------

    def _current(self) -> tuple[EmptyStateTable, RowsModel[Any]]:
        if self.tabs.currentIndex() == CODES_TAB:
            return self.codes_table, self.codes
        return self.promotions_table, self.promotions

    def selected_key(self) -> str:
        """The campaign code or promo code selected on the tab on show ('' for none)."""
        table, model = self._current()
        row = table.currentIndex().row()
        if not 0 <= row < model.rowCount():
            return ""
        item = model.row(row)
        return str(item.code if isinstance(item, CodeRow) else item.campaign_code)

    def selected_code(self) -> CodeRow | None:
        if self.tabs.currentIndex() != CODES_TAB:
            return None
        row = self.codes_table.currentIndex().row()
        return self.codes.row(row) if 0 <= row < self.codes.rowCount() else None

    def selected_promotion(self) -> PromotionRow | None:
        if self.tabs.currentIndex() != PROMOTIONS_TAB:
            return None
        row = self.promotions_table.currentIndex().row()
        return self.promotions.row(row) if 0 <= row < self.promotions.rowCount() else None

    def select(self, key: str) -> bool:
        """Select the row `key` on the tab on show; False if it is not there."""
        table, model = self._current()
        row = model.row_of(key)
        if row < 0:
            return False
        table.setCurrentIndex(model.index(row, 0))
        return True

    def show_codes(self, code: str | None = None) -> None:
        """Switch to the Codes tab (and select `code`)."""
        self.tabs.setCurrentIndex(CODES_TAB)
        if code:
            self.select(code)

    def _selection_changed(self) -> None:
        self._page = 1
        self._show_detail()
        self._update_buttons()
        code = self.selected_code()
        if code is not None:
            self._read_detail(code.code)

    def _update_buttons(self) -> None:
        code, promotion = self.selected_code(), self.selected_promotion()
        status = code.status if code else promotion.status if promotion else ""
        self.edit_button.setEnabled(bool(code or promotion))
        resume = status in ("paused", "expired")
        self.pause_button.setText("Resume" if resume else "Pause")
        self.pause_button.setEnabled(bool(status) and status != "limit reached")
        if status == "expired":
            self.pause_button.setToolTip("Raise its limit or dates (Edit) to use it again")
        else:
            self.pause_button.setToolTip("")

    # -- the detail pane -----------------------------------------------------------------

    def _show_detail(self) -> None:
        code, promotion = self.selected_code(), self.selected_promotion()
        self.detail_tabs.setVisible(code is not None)
        self.detail_note.setVisible(code is None)
        if code is not None:
            self.detail_title.setText(code.code)
            self.detail_line1.setText(hours_line(code))
            self.detail_line2.setText(f"{code_uses_line(code)} - unlocks {code.promotion_code}")
            return
        self.service_uses.set_rows([])
        self.applications.set_rows([])
        if promotion is not None:
            self.detail_title.setText(promotion.campaign_code)
            self.detail_line1.setText(promotion.campaign_name)
            kind = TYPE_NAMES.get(promotion.promotion_type, promotion.promotion_type)
            limit = "" if promotion.max_total_uses is None else f" of {promotion.max_total_uses}"
            self.detail_line2.setText(
                f"{kind} - {status_text(promotion.status)} - "
                f"{validity_text(promotion.start_date, promotion.end_date)}\n"
                f"{promotion.uses}{limit} uses, {format_rupees(promotion.discount_given)} given"
                + "".join(f"\n{line}" for line in quota_lines(promotion))
            )
            codes = [
                c.code for c in self.codes.rows() if c.promotion_code == promotion.campaign_code
            ]
            if codes:
                note = f"Codes for it: {', '.join(codes)}. Open the Codes tab for their analytics."
            elif promotion.requires_code:
                note = "It needs a promo code and has none yet: press + Code to create one."
            else:
                note = "It applies at the counter without a code."
            self.detail_note.setText(note)
            return
        self.detail_title.setText("Nothing selected")
        self.detail_line1.setText("")
        self.detail_line2.setText("")
        which = "code" if self.tabs.currentIndex() == CODES_TAB else "promotion"
        self.detail_note.setText(f"Select a {which} to see its details here.")

    def _read_detail(self, code: str) -> None:
        self._detail_sequence += 1
        sequence, page = self._detail_sequence, self._page
        db, user = self._db, self._user

        def read() -> tuple[CodeAnalytics, ApplicationsPage]:
            return (
                promotion_service.code_analytics(db, user, code),
                promotion_service.code_applications(db, user, code, page=page, limit=PAGE_SIZE),
            )

        self._run(read, lambda found: self._detail_read(sequence, *found))

    def _detail_read(self, sequence: int, analytics: CodeAnalytics, page: ApplicationsPage) -> None:
        if sequence != self._detail_sequence:
            return
        remaining = (
            "no limit"
            if analytics.uses_remaining is None
            else f"{analytics.uses_remaining} remaining"
        )
        plural = "use" if analytics.total_uses == 1 else "uses"
        self.summary_label.setText(
            f"<b>{analytics.total_uses}</b> {plural} ({remaining}), "
            f"<b>{format_rupees(analytics.total_discount)}</b> given"
        )
        self.service_uses.set_rows(analytics.by_service)
        self.applications.set_rows(page.applications)
        self._page, self._pages = page.page, page.pages
        noun = "application" if page.total == 1 else "applications"
        self.page_label.setText(f"Page {page.page} of {page.pages}")
        self.page_label.setToolTip(f"{page.total} {noun}")
        self.detail_tabs.setTabText(APPLICATIONS_TAB, f"Applications ({page.total})")
        self.prev_button.setEnabled(page.page > 1)
        self.next_button.setEnabled(page.page < page.pages)

    def show_page(self, page: int) -> None:
        """Show page `page` of the selected code's applications."""
        code = self.selected_code()
        if code is None or not 1 <= page <= self._pages:
            return
        self._page = page
        self._read_detail(code.code)

    # -- changing ------------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def new_promotion(self) -> PromotionDialog:
        """Open the dialog for a new promotion."""
        dialog = PromotionDialog(
            self._db, self._user, now=self._clock, today=self._today(), parent=self
        )
        dialog.saved.connect(lambda spec: self._saved(PROMOTIONS_TAB, spec.campaign_code))
        self._open(dialog)
        return dialog

    def new_code(self) -> CodeDialog:
        """Open the dialog for a new promo code (for the selected promotion, if any)."""
        promotion = self.selected_promotion()
        dialog = CodeDialog(
            self._db,
            self._user,
            self.promotions.rows(),
            now=self._clock,
            today=self._today(),
            default_timezone=self._branch.details.timezone,
            promotion_code=promotion.campaign_code if promotion else None,
            parent=self,
        )
        dialog.saved.connect(lambda row: self._saved(CODES_TAB, row.code))
        self._open(dialog)
        return dialog

    def edit_selected(self) -> None:
        """Open the selected promotion or code in its dialog."""
        code, promotion = self.selected_code(), self.selected_promotion()
        if code is not None:
            dialog = CodeDialog(
                self._db,
                self._user,
                self.promotions.rows(),
                now=self._clock,
                today=self._today(),
                default_timezone=self._branch.details.timezone,
                code=code,
                parent=self,
            )
            dialog.saved.connect(lambda row: self._saved(CODES_TAB, row.code))
            self._open(dialog)
        elif promotion is not None:
            db, user, key = self._db, self._user, promotion.campaign_code
            self._run(
                lambda: promotion_service.export_promotion(db, user, key), self._edit_promotion
            )

    def _edit_promotion(self, spec: dict[str, Any]) -> None:
        dialog = PromotionDialog(
            self._db, self._user, now=self._clock, today=self._today(), spec=spec, parent=self
        )
        dialog.saved.connect(lambda saved: self._saved(PROMOTIONS_TAB, saved.campaign_code))
        self._open(dialog)

    def _saved(self, tab: int, key: str) -> None:
        self.say(f"{key} saved.")
        self._select_after_refresh = (tab, key)
        self.changed.emit(key)
        self.refresh()

    def toggle_pause(self) -> None:
        """Pause the selected promotion or code, or resume it if it is paused."""
        key = self.selected_key()
        if not key:
            return
        paused = self.pause_button.text() == "Pause"
        db, user, now = self._db, self._user, self._clock()
        tab = self.tabs.currentIndex()

        def done(sentence: str) -> None:
            self.say(sentence)
            self._select_after_refresh = (tab, key)
            self.changed.emit(key)
            self.refresh()

        kind: Literal["code", "promotion"] = "code" if tab == CODES_TAB else "promotion"
        self._run(
            lambda: promotion_service.set_paused(db, user, key, paused=paused, now=now, kind=kind),
            done,
        )

    def current_dialog(self) -> QDialog | None:
        return self.dialog
