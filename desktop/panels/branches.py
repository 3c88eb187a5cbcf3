"""The head office's Branches panel (issue #15): each branch's sync as the centre knows it
(services.head_office.branch_states), one row a branch: its last push, the documents the
centre holds from it, what it reported at the end of its last round (documents pending,
refused ones needing attention, its clock against the centre's) and why to look at it.
Shown only in the app opened on the centre; it reads again each time it is shown, and F5."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.figures_model import FiguresModel
from desktop.widgets.figures import figures_view
from desktop.workers import BackgroundOp
from services import head_office
from services.auth import CurrentUser
from services.branch import BranchInfo

HEADERS = ["Branch", "Last push", "Documents", "Pending", "Refused", "Clock", "Look at"]
TEXT_COLUMNS = (0, 1, 5, 6)


def ago(delta: timedelta) -> str:
    """How long ago, in the largest whole unit that reads naturally."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} days ago"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def branch_rows(
    states: list[head_office.BranchState], now: datetime, zone: ZoneInfo
) -> list[tuple[str, ...]]:
    """The table's rows: one per branch, as the head office reads them."""
    rows: list[tuple[str, ...]] = []
    for state in states:
        if state.last_push_at is None:
            pushed = "never"
        else:
            local = state.last_push_at.astimezone(zone)
            pushed = f"{local:%d %b %H:%M} ({ago(now - state.last_push_at)})"
        reasons = head_office.attention(state, now)
        rows.append(
            (
                f"{state.code} - {state.name}" if state.name else state.code,
                pushed,
                str(state.documents),
                _count(state.pending),
                _count(state.needs_attention),
                head_office.clock_text(state.clock_offset_s),
                "; ".join(reasons) or "-",
            )
        )
    return rows


def summary(states: list[head_office.BranchState], now: datetime) -> str:
    """One sentence over the table: how many branches, and which need a look."""
    if not states:
        return (
            "No branch has been added to the centre yet: 'frontdesk central add-branch CODE' "
            "gives a branch its role."
        )
    looks = [state.code for state in states if head_office.attention(state, now)]
    count = f"{len(states)} branch{'es' if len(states) != 1 else ''}"
    if not looks:
        return f"{count}: every one has pushed in the last day, nothing refused, clocks on time."
    return f"{count}: {', '.join(looks)} need{'s' if len(looks) == 1 else ''} a look."


class BranchesPanel(QWidget):
    """Each branch's sync state for the head office (see the module's docstring).

    Signals: none.
    """

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
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        self._busy = 0
        self.states: list[head_office.BranchState] | None = None
        self.setObjectName("BranchesPanel")
        self.setStyleSheet(theme.section("day-close"))

        self.summary_label = QLabel()
        self.summary_label.setObjectName("PaneHeading")
        self.summary_label.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.setObjectName("PrimaryButton")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)

        self.model = FiguresModel(HEADERS, text_columns=TEXT_COLUMNS)
        self.view = figures_view(self.model, "BranchesTable")
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel(
            "Pending, Refused and Clock are what each branch said at the end of its last "
            "round; the centre stamps the times. A clock more than 5 minutes off, a document "
            "refused or no push for a day is worth a look."
        )
        self.note.setObjectName("FieldHint")
        self.note.setWordWrap(True)
        self.notice = QLabel()
        self.notice.setObjectName("NoticeError")
        self.notice.setWordWrap(True)
        self.notice.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 12, 20, 12)
        column.setSpacing(10)
        column.addLayout(top)
        column.addWidget(self.view, 1)
        column.addWidget(self.note)
        column.addWidget(self.notice)
        shortcut = QShortcut(QKeySequence("F5"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.refresh)
        self.setFocusProxy(self.view)

    def set_branch_info(self, info: BranchInfo) -> None:
        """The head office's details changed (its time zone shows the times)."""
        self._branch = info

    def is_idle(self) -> bool:
        return self._busy == 0

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Read the branches' states again, off the UI thread."""
        db, user = self._db, self._user
        self._busy += 1

        def done() -> None:
            self._busy -= 1

        op = BackgroundOp(self, lambda: head_office.branch_states(db, user))
        op.success(self._show).failure(self._failed)
        op.finished.connect(done)
        op.run_in_background()

    def _show(self, states: list[head_office.BranchState]) -> None:
        self.states = states
        now = self._clock()
        rows = branch_rows(states, now, ZoneInfo(self._branch.details.timezone))
        looks = [i for i, state in enumerate(states) if head_office.attention(state, now)]
        self.model.set_rows(rows, bold=looks)
        self.summary_label.setText(summary(states, now))
        self.notice.hide()

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.notice.setText(error_sentence(error))
        self.notice.show()
