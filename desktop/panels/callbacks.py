"""The Callbacks panel: the queue, filters, Call next (F5), details with the log, outcomes.

The queue is read again in the background every REFRESH_MS while the window is shown, so
waiting and due times stay current and requests added at another desk appear; a request
that becomes urgent is announced (tray message when there is a tray, a banner otherwise).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.callback_dialog import AddCallbackDialog, date_time_edit, from_qdatetime
from desktop.errors import error_sentence
from desktop.models.callback_model import (
    ASSIGNED,
    COLUMNS,
    DUE,
    MOBILE,
    NAME,
    PRIORITY,
    REASON,
    STATUS,
    WAITING,
    CallbackQueueModel,
    QueueFilter,
    due_text,
    duration_text,
)
from desktop.widgets.column_fit import ColumnsGiveWay
from desktop.widgets.focus import FocusOnEntry
from desktop.workers import OpCounter
from domain.callbacks import OPEN_STATUSES, Category, Status
from domain.log import ui as log
from services import callbacks as callback_service
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.callbacks import CallbackDetail, CallbackRow, QueueSnapshot
from services.patients import PatientMatch

T = TypeVar("T")

REFRESH_MS = 30_000
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("F5", "Callbacks: call the next person in the queue"),
    ("Ins", "Callbacks: add a request"),
    ("F6", "Callbacks: the call is done (with the outcome typed)"),
    ("F7", "Callbacks: nobody answered"),
    ("F8", "Callbacks: reschedule to the time chosen"),
)


_VIEW_LABELS = (
    (QueueFilter.MINE, "Mine"),
    (QueueFilter.UNASSIGNED, "Unassigned"),
    (QueueFilter.OVERDUE, "Overdue"),
    (QueueFilter.ALL, "All"),
)


class CallbacksPanel(QWidget):
    """The front desk's queue of people to call back.

    Signals:
        callback_added(str): the id of a request just added here.
        callback_changed(str): the id of a request just assigned, called, moved or closed.
        urgent_arrived(list): ids of requests that have just become urgent.
        queue_loaded(): a reading of the queue is on show.
        detail_loaded(): the details pane shows the selected request as it is now.
    """

    callback_added = Signal(str)
    callback_changed = Signal(str)
    urgent_arrived = Signal(list)
    queue_loaded = Signal()
    detail_loaded = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        notify: Callable[[str, str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`notify(title, text)` shows a desktop notification and says whether it could;
        by default the system tray is used when there is one."""
        super().__init__(parent)
        self.setStyleSheet(theme.section("callbacks"))
        self._db = db
        self._user = user
        self._clock = clock
        self._zone = ZoneInfo(branch_info.details.timezone)
        self._notify = notify or self._tray_notify
        self._tray: QSystemTrayIcon | None = None
        self._ops = OpCounter(self)
        self._loaded = False
        self._seen_urgent: set[str] = set()  # the rows' keys
        self._selected: uuid.UUID | None = None
        self._detail: CallbackDetail | None = None
        self._watched: QWidget | None = None
        self._dialog: AddCallbackDialog | None = None

        self.model = CallbackQueueModel(user.id, branch_info.details.timezone, self)
        self._build()

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

        for key, slot in (
            (QKeySequence(Qt.Key.Key_F5), self.call_next),
            (QKeySequence(Qt.Key.Key_Insert), self.add_request),
            (QKeySequence(Qt.Key.Key_F6), self.mark_done),
            (QKeySequence(Qt.Key.Key_F7), self.mark_no_answer),
            (QKeySequence(Qt.Key.Key_F8), self.reschedule_selected),
        ):
            shortcut = QShortcut(key, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        FocusOnEntry(self, self.table)
        self._show_detail(None)
        self.refresh()

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.filter_group = QButtonGroup(self)
        self.filter_group.setExclusive(True)
        self.filter_buttons: dict[QueueFilter, QPushButton] = {}
        filters = QHBoxLayout()
        filters.setSpacing(4)
        for view, text in _VIEW_LABELS:
            button = QPushButton(text)
            button.setObjectName("FilterButton")
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.filter_group.addButton(button)
            self.filter_buttons[view] = button
            button.clicked.connect(lambda _=False, v=view: self.set_view(v))
            filters.addWidget(button)
        self.filter_buttons[QueueFilter.ALL].setChecked(True)
        self.status_combo = QComboBox()
        self.status_combo.addItem("Any status", None)
        for status in OPEN_STATUSES:
            self.status_combo.addItem(status.label, status.value)
        self.status_combo.currentIndexChanged.connect(lambda _: self._apply_filter())
        self.status_combo.setAccessibleName("Status filter")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search name, mobile, reason")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName("Search the queue")
        self.search_edit.textChanged.connect(lambda _: self._apply_filter())
        self.add_button = QPushButton("+ Add  (Ins)")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_request)
        filters.addStretch(1)
        filters.addWidget(self.add_button)
        # The status and the search on a row of their own: in one row with the views they
        # squeezed every button's text at the smallest window.
        search_row = QHBoxLayout()
        search_row.setSpacing(8)
        search_row.addWidget(self.status_combo)
        search_row.addWidget(self.search_edit, 1)

        self.banner = QLabel()
        self.banner.setObjectName("UrgentBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.table = QTableView()
        self.table.setObjectName("CallbackTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table for the note and the outcome buttons; arrows move in it.
        self.table.setTabKeyNavigation(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # Mobile, Due and Status are read whole ("overdue 23 h 40 m", "No answer (1/3)"), in
        # the font the style sheet gives the table; a long reason may be cut short (its
        # detail shows it whole).
        self.table.ensurePolished()
        metrics = self.table.fontMetrics()
        widths = {
            PRIORITY: 78,
            MOBILE: metrics.horizontalAdvance("99999999999") + 24,
            REASON: 128,
            WAITING: 80,
            DUE: _bold_width(self.table, "overdue 23 h 59 m") + 24,
            ASSIGNED: 90,
            STATUS: metrics.horizontalAdvance("No answer (3/3)") + 24,
        }
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, widths.get(column, 100))
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        # On a narrow table what the detail pane repeats (who has it, its status, how long
        # it has waited, then the reason) gives way to the mobile and the due time.
        ColumnsGiveWay(
            self.table,
            (PRIORITY, MOBILE, DUE, REASON, WAITING, STATUS, ASSIGNED),
            frozenset({REASON, WAITING, STATUS, ASSIGNED}),
            stretch_at_least=140,
        )
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda _: self.call_selected())

        self.empty_label = QLabel()
        self.empty_label.setObjectName("EmptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty_label)

        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        self.call_next_button = QPushButton("Call next  (F5)")
        self.call_next_button.setObjectName("PrimaryButton")
        self.call_next_button.setAutoDefault(False)
        self.call_next_button.clicked.connect(self.call_next)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.call_next_button)

        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(16, 14, 8, 14)
        left_column.setSpacing(10)
        left_column.addLayout(filters)
        left_column.addLayout(search_row)
        left_column.addWidget(self.banner)
        left_column.addWidget(self.table_stack, 1)
        left_column.addLayout(bottom)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self._build_details())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([1000, 380])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(splitter)

    def _build_details(self) -> QWidget:
        pane = QFrame()
        pane.setObjectName("TotalsPane")
        pane.setMaximumWidth(460)

        self.detail_name = QLabel()
        self.detail_name.setObjectName("DetailName")
        self.detail_name.setWordWrap(True)
        self.detail_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_info = QLabel()
        self.detail_info.setWordWrap(True)
        self.detail_info.setObjectName("Muted")
        self.score_label = QLabel()
        self.score_label.setObjectName("ScoreLine")
        self.score_label.setWordWrap(True)
        self.detail_notes = QLabel()
        self.detail_notes.setWordWrap(True)

        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Outcome or note (optional)")
        self.note_edit.setAccessibleName("Outcome or note")
        self.call_button = QPushButton("Call now")
        self.call_button.setAutoDefault(False)
        self.call_button.clicked.connect(self.call_selected)
        self.done_button = QPushButton("Done")
        self.done_button.setObjectName("PrimaryButton")
        self.done_button.setAutoDefault(False)
        self.done_button.setToolTip("The call is done (F6); the note becomes its outcome")
        self.done_button.clicked.connect(self.mark_done)
        self.no_answer_button = QPushButton("No answer")
        self.no_answer_button.setAutoDefault(False)
        self.no_answer_button.setToolTip("Nobody answered (F7): tried again later")
        self.no_answer_button.clicked.connect(self.mark_no_answer)
        self.reschedule_edit = date_time_edit(self._zone, self._clock() + timedelta(days=1))
        self.reschedule_edit.setAccessibleName("Reschedule to")
        self.reschedule_button = QPushButton("Reschedule")
        self.reschedule_button.setAutoDefault(False)
        self.reschedule_button.setToolTip("Call back at the time chosen (F8)")
        self.reschedule_button.clicked.connect(self.reschedule_selected)
        self.cancel_button = QPushButton("Cancel request")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setToolTip("Type the reason in the note field first")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.note_button = QPushButton("Add note")
        self.note_button.setAutoDefault(False)
        self.note_button.clicked.connect(self.add_note)
        self.message_label = QLabel()
        self.message_label.setObjectName("FieldError")
        self.message_label.setWordWrap(True)

        outcome_row = QHBoxLayout()
        outcome_row.addWidget(self.call_button)
        outcome_row.addWidget(self.done_button)
        outcome_row.addWidget(self.no_answer_button)
        reschedule_row = QHBoxLayout()
        reschedule_row.addWidget(self.reschedule_edit, 1)
        reschedule_row.addWidget(self.reschedule_button)
        other_row = QHBoxLayout()
        other_row.addWidget(self.note_button)
        other_row.addWidget(self.cancel_button)
        other_row.addStretch(1)

        # Rich text wraps long entries, which a tree view's rows do not do well.
        self.log_label = QLabel()
        self.log_label.setObjectName("ActivityText")
        self.log_label.setTextFormat(Qt.TextFormat.RichText)
        self.log_label.setWordWrap(True)
        self.log_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_view = QScrollArea()
        self.log_view.setObjectName("ActivityLog")
        self.log_view.setWidgetResizable(True)
        self.log_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.log_view.setWidget(self.log_label)
        self._log_lines: list[tuple[str, str]] = []

        log_heading = QLabel("Activity")
        log_heading.setObjectName("PaneHeading")
        self.detail_box = QWidget()
        box = QVBoxLayout(self.detail_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(8)
        box.addWidget(self.detail_name)
        box.addWidget(self.detail_info)
        box.addWidget(self.score_label)
        box.addWidget(self.detail_notes)
        box.addSpacing(4)
        box.addWidget(self.note_edit)
        box.addLayout(outcome_row)
        box.addLayout(reschedule_row)
        box.addLayout(other_row)
        box.addWidget(self.message_label)
        box.addSpacing(4)
        box.addWidget(log_heading)
        box.addWidget(self.log_view, 1)

        self.detail_empty = QLabel(
            "Pick a request to see why it is where it is in the queue and what happened so "
            "far, or press F5 to call the next person."
        )
        self.detail_empty.setObjectName("EmptyState")
        self.detail_empty.setWordWrap(True)
        self.detail_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(self.detail_box)
        self.detail_stack.addWidget(self.detail_empty)
        column = QVBoxLayout(pane)
        column.setContentsMargins(16, 14, 16, 14)
        column.addWidget(self.detail_stack)
        return pane

    # -- background work -----------------------------------------------------------------

    def _run(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object] | None = None,
    ) -> None:
        self._ops.run(call, on_success, on_failure or self._refused)

    def is_idle(self) -> bool:
        """Nothing is loading or being saved."""
        return self._ops.idle and (self._dialog is None or not self._dialog.is_saving())

    def _refused(self, error: Exception) -> None:
        self.message_label.setText(error_sentence(error))
        log.info("callback action refused: %s", error)

    def message(self) -> str:
        return self.message_label.text()

    # -- the timer: only while the window is shown ---------------------------------------

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        window = self.window()
        if window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window
        if not self.timer.isActive():
            self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self._watched and event.type() in (QEvent.Type.Hide, QEvent.Type.Close):
            self.timer.stop()
        elif watched is self._watched and event.type() == QEvent.Type.Show:
            self.timer.start()
        return False

    def stop(self) -> None:
        """Stop the live updates (the window is closing)."""
        self.timer.stop()

    # -- the queue -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the queue again (in the background) and show it."""
        db, user, now = self._db, self._user, self._clock()
        self._run(lambda: callback_service.queue(db, user, now=now), self._show_queue)

    def _show_queue(self, snapshot: QueueSnapshot) -> None:
        self.model.set_snapshot(snapshot)
        self._after_reset(reload_detail=True)
        urgent = {row.key for row in snapshot.rows if row.category is Category.URGENT}
        fresh = urgent - self._seen_urgent
        if self._loaded and fresh:
            self._announce([row for row in snapshot.rows if row.key in fresh])
        self._seen_urgent = urgent
        self._loaded = True
        self.queue_loaded.emit()

    def _after_reset(self, *, reload_detail: bool = False) -> None:
        rows = self.model.all_rows()
        overdue = sum(1 for row in rows if row.overdue)
        shown = self.model.rowCount()
        waiting = f"{len(rows)} open" + (f", {overdue} overdue" if overdue else "")
        self.count_label.setText(waiting if shown == len(rows) else f"{shown} shown of {waiting}")
        if shown:
            self.table_stack.setCurrentWidget(self.table)
        else:
            self.empty_label.setText(
                "Nobody is waiting for a call. New requests appear here as they come in; "
                "add one with Ins."
                if not rows
                else "No request matches these filters. Choose All to see the whole queue."
            )
            self.table_stack.setCurrentWidget(self.empty_label)
        self._reselect(reload_detail=reload_detail)

    def _reselect(self, *, reload_detail: bool = True) -> None:
        if self._selected is None:
            return
        row = self.model.row_of(self._selected)
        selection = self.table.selectionModel()
        if row >= 0:
            with_signals = selection.blockSignals(True)
            selection.setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            selection.blockSignals(with_signals)
        if reload_detail:
            self.load_detail(self._selected)

    def set_view(self, view: QueueFilter) -> None:
        """Show mine / unassigned / overdue / all."""
        self.filter_buttons[view].setChecked(True)
        self._apply_filter()

    def set_status_filter(self, status: Status | None) -> None:
        wanted = None if status is None else status.value
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(wanted)))

    def view(self) -> QueueFilter:
        return next(v for v, b in self.filter_buttons.items() if b.isChecked())

    def _apply_filter(self) -> None:
        chosen = self.status_combo.currentData()
        status = Status(chosen) if chosen else None
        self.model.set_filter(self.view(), status, self.search_edit.text())
        self._after_reset()

    # -- urgent requests -----------------------------------------------------------------

    def _announce(self, rows: list[CallbackRow]) -> None:
        names = ", ".join(f"{row.name} ({row.reason.label.lower()})" for row in rows[:3])
        more = f" and {len(rows) - 3} more" if len(rows) > 3 else ""
        text = f"Urgent callback: {names}{more}. Press F5 to call."
        if not self._notify("Frontdesk: urgent callback", text):
            self.banner.setText(text)
            self.banner.show()
        self.urgent_arrived.emit([str(row.id) for row in rows])

    def _tray_notify(self, title: str, text: str) -> bool:
        if not QSystemTrayIcon.isSystemTrayAvailable() or not QSystemTrayIcon.supportsMessages():
            return False
        if self._tray is None:
            self._tray = QSystemTrayIcon(theme.icon("callbacks"), self)
            self._tray.setToolTip("Frontdesk callbacks")
            self._tray.show()
        self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 10_000)
        return True

    def banner_text(self) -> str:
        return self.banner.text() if self.banner.isVisible() else ""

    # -- details -------------------------------------------------------------------------

    def _current_changed(self, current: Any, _previous: Any) -> None:
        if not current.isValid():
            return
        row = self.model.row_at(current.row())
        if row.id != self._selected:
            self.message_label.clear()
            self.note_edit.clear()
        self._selected = row.id
        self.load_detail(row.id)

    def select(self, callback_id: uuid.UUID) -> None:
        """Show `callback_id` in the details pane (and select it when it is on show)."""
        self._selected = callback_id
        self._reselect()

    def selected_id(self) -> uuid.UUID | None:
        return self._selected

    def load_detail(self, callback_id: uuid.UUID) -> None:
        db, user, now = self._db, self._user, self._clock()
        self._run(
            lambda: callback_service.get_callback(db, user, callback_id, now=now),
            self._got_detail,
        )

    def _got_detail(self, detail: CallbackDetail) -> None:
        if detail.row.id == self._selected:
            self._show_detail(detail)
            self.detail_loaded.emit()

    def detail(self) -> CallbackDetail | None:
        return self._detail

    def _show_detail(self, detail: CallbackDetail | None) -> None:
        self._detail = detail
        if detail is None:
            self.detail_stack.setCurrentWidget(self.detail_empty)
            return
        row = detail.row
        self.detail_stack.setCurrentWidget(self.detail_box)
        self.detail_name.setText(f"{row.name}  {row.mobile}")
        registered = "registered patient" if row.patient_id else "not registered"
        lines = [
            f"{row.reason.label} - {row.source.label.lower()} - {registered}",
            f"{row.status.label}"
            + (f" - {row.assigned_name}" if row.assigned_name else " - not assigned")
            + (f" - {row.attempts}/{row.max_attempts} tries" if row.attempts else ""),
        ]
        if row.status.is_open:
            lines.append(f"Waiting {duration_text(row.at - row.requested_at)}")
            lines.append(
                f"Due {row.due_at.astimezone(self._zone):%a %d %b %H:%M} - "
                f"{due_text(row, self._zone)}"
            )
        if row.preferred_from or row.preferred_to:
            start = (
                f"{row.preferred_from.astimezone(self._zone):%a %d %b %H:%M}"
                if row.preferred_from
                else "any time"
            )
            end = f"{row.preferred_to.astimezone(self._zone):%H:%M}" if row.preferred_to else "-"
            lines.append(f"Prefers {start} to {end}")
        if row.outcome:
            lines.append(f"Outcome: {row.outcome}")
        self.detail_info.setText("\n".join(lines))
        self.score_label.setText(
            f"Score {row.score.value} ({row.category.label}): {row.score.explain()}"
        )
        self.detail_notes.setText(row.notes)
        self.detail_notes.setVisible(bool(row.notes))
        self._log_lines = [
            (entry.at.astimezone(self._zone).strftime("%d %b %H:%M"), entry.text)
            for entry in detail.activities
        ]
        cells = "".join(
            f"<tr><td style='color:#52606d; padding:2px 10px 4px 0' nowrap>{html.escape(when)}"
            f"</td><td style='padding:2px 0 4px 0'>{html.escape(what)}</td></tr>"
            for when, what in self._log_lines
        )
        self.log_label.setText(f"<table cellspacing='0'>{cells}</table>")
        self._enable_actions(row)

    def _enable_actions(self, row: CallbackRow) -> None:
        status = row.status
        waiting = status in (Status.NEW, Status.ASSIGNED, Status.NO_ANSWER, Status.RESCHEDULED)
        self.call_button.setEnabled(waiting)
        self.done_button.setEnabled(status is Status.IN_PROGRESS)
        self.no_answer_button.setEnabled(status is Status.IN_PROGRESS)
        self.reschedule_button.setEnabled(status.is_open)
        self.reschedule_edit.setEnabled(status.is_open)
        self.cancel_button.setEnabled(status.is_open)
        self.note_edit.setEnabled(True)

    def activity_texts(self) -> list[tuple[str, str]]:
        """The log on show: (when, what) per line."""
        return list(self._log_lines)

    # -- actions -------------------------------------------------------------------------

    def _act(self, call: Callable[[uuid.UUID, datetime], CallbackRow]) -> None:
        if self._selected is None:
            self.message_label.setText("Pick a request in the queue first.")
            return
        callback_id, now = self._selected, self._clock()
        self.message_label.clear()
        self._run(lambda: call(callback_id, now), self._changed)

    def _changed(self, row: CallbackRow) -> None:
        self._selected = row.id
        self.note_edit.clear()
        self.callback_changed.emit(str(row.id))
        self.refresh()

    def call_next(self) -> None:
        """Take the top request I may call, assign it to me and start the call (F5)."""
        db, user, now = self._db, self._user, self._clock()
        self.message_label.clear()

        def taken(row: CallbackRow | None) -> None:
            if row is None:
                self.banner.hide()
                self.message_label.setText("Nobody is waiting for a call that you can make now.")
                self.refresh()
                return
            self.banner.hide()
            self._changed(row)

        self._run(lambda: callback_service.call_next(db, user, now=now), taken)

    def call_selected(self) -> None:
        db, user = self._db, self._user
        self._act(lambda cid, now: callback_service.take_call(db, user, cid, now=now))

    def mark_done(self) -> None:
        db, user, outcome = self._db, self._user, self.note_edit.text()
        self._act(
            lambda cid, now: callback_service.complete(db, user, cid, now=now, outcome=outcome)
        )

    def mark_no_answer(self) -> None:
        db, user, note = self._db, self._user, self.note_edit.text()
        self._act(lambda cid, now: callback_service.no_answer(db, user, cid, now=now, note=note))

    def reschedule_selected(self) -> None:
        db, user, note = self._db, self._user, self.note_edit.text()
        to = from_qdatetime(self.reschedule_edit.dateTime())
        self._act(
            lambda cid, now: callback_service.reschedule(db, user, cid, to=to, now=now, note=note)
        )

    def cancel_selected(self) -> None:
        db, user, reason = self._db, self._user, self.note_edit.text()
        self._act(lambda cid, now: callback_service.cancel(db, user, cid, reason=reason, now=now))

    def add_note(self) -> None:
        db, user, note = self._db, self._user, self.note_edit.text()
        self._act(lambda cid, now: callback_service.add_note(db, user, cid, note=note, now=now))

    # -- adding --------------------------------------------------------------------------

    def add_request(self) -> AddCallbackDialog:
        """Open the add dialog (Ins)."""
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.raise_()
            return self._dialog
        dialog = AddCallbackDialog(
            self._db, self._user, timezone=self._zone.key, clock=self._clock, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.added.connect(self._added)
        dialog.destroyed.connect(lambda: setattr(self, "_dialog", None))
        self._dialog = dialog
        dialog.open()
        return dialog

    def add_for_patient(self, patient: PatientMatch) -> AddCallbackDialog:
        """Open the add dialog for this registered patient (from an invoice or a search)."""
        dialog = self.add_request()
        dialog.set_patient(patient)
        return dialog

    def _added(self, row: CallbackRow) -> None:
        self._selected = row.id
        self.callback_added.emit(str(row.id))
        self.refresh()


def _bold_width(widget: QWidget, text: str) -> int:
    """How wide `text` is in the widget's font made bold (an overdue due time is bold)."""
    font = QFont(widget.font())
    font.setBold(True)
    return QFontMetrics(font).horizontalAdvance(text)
