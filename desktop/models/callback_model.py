"""The callback queue as a Qt table model: plain rows from services, filtered on the UI side."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from domain.callbacks import Category, Status
from services.callbacks import CallbackRow, QueueSnapshot

Index = QModelIndex | QPersistentModelIndex
_CENTRED = int(Qt.AlignmentFlag.AlignCenter)

COLUMNS = ("Priority", "Name", "Mobile", "Reason", "Waiting", "Due", "Assigned to", "Status")
PRIORITY, NAME, MOBILE, REASON, WAITING, DUE, ASSIGNED, STATUS = range(len(COLUMNS))

RED = "#b42318"
MUTED = "#52606d"
BADGE_COLOURS = {
    Category.URGENT: ("#ffffff", "#b42318"),
    Category.HIGH: ("#7c2d12", "#fde2cc"),
    Category.MEDIUM: ("#0b5c55", "#dff3ef"),
    Category.LOW: ("#3e4c59", "#eef1f4"),
}
BADGE_TEXT = {
    Category.URGENT: "URG",
    Category.HIGH: "HIGH",
    Category.MEDIUM: "MED",
    Category.LOW: "LOW",
}


class QueueFilter(StrEnum):
    """Which part of the queue is on show."""

    ALL = "all"
    MINE = "mine"
    UNASSIGNED = "unassigned"
    OVERDUE = "overdue"


def duration_text(span: timedelta) -> str:
    """A short human duration: '40 m', '2 h 10 m', '3 d 4 h'."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} m" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def due_text(row: CallbackRow, zone: ZoneInfo) -> str:
    """'in 3 h', 'overdue 40 m', or, for a rescheduled request or a retry, 'call at 16:00'."""
    if row.waiting_for_retry and row.not_before is not None:
        local = row.not_before.astimezone(zone)
        same_day = local.date() == row.at.astimezone(zone).date()
        return f"call at {local:%H:%M}" if same_day else f"call {local:%a %d %b %H:%M}"
    if row.overdue:
        return f"overdue {duration_text(row.at - row.due_at)}"
    return f"in {duration_text(row.due_at - row.at)}"


def matches(
    row: CallbackRow, view: QueueFilter, status: Status | None, me: uuid.UUID, text: str
) -> bool:
    """Whether `row` belongs in the table under the chosen filters and search text."""
    if view is QueueFilter.MINE and row.assigned_to != me:
        return False
    if view is QueueFilter.UNASSIGNED and row.assigned_to is not None:
        return False
    if view is QueueFilter.OVERDUE and not row.overdue:
        return False
    if status is not None and row.status is not status:
        return False
    if text:
        haystack = f"{row.name} {row.mobile} {row.reason.label} {row.notes}".lower()
        return all(word in haystack for word in text.lower().split())
    return True


class CallbackQueueModel(QAbstractTableModel):
    """The open requests in queue order, as filtered; holds plain CallbackRow values.

    Signals: those of QAbstractTableModel.
    """

    def __init__(self, me: uuid.UUID, timezone: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._me = me
        self._zone = ZoneInfo(timezone)
        self._all: tuple[CallbackRow, ...] = ()
        self._rows: list[CallbackRow] = []
        self._view = QueueFilter.ALL
        self._status: Status | None = None
        self._text = ""
        self._bold = QFont()
        self._bold.setBold(True)
        self._red = QBrush(QColor(RED))
        self._muted = QBrush(QColor(MUTED))
        self._badges = {
            category: (QBrush(QColor(ink)), QBrush(QColor(wash)))
            for category, (ink, wash) in BADGE_COLOURS.items()
        }
        role = Qt.ItemDataRole
        self._answers: dict[int, Callable[[CallbackRow, int], Any]] = {
            role.DisplayRole: self._text_of,
            role.ToolTipRole: self._tooltip,
            role.UserRole: self._id_of,
            role.ForegroundRole: self._foreground,
            role.BackgroundRole: self._background,
            role.FontRole: self._font,
            role.TextAlignmentRole: self._alignment,
        }

    # -- contents ------------------------------------------------------------------------

    def set_snapshot(self, snapshot: QueueSnapshot) -> None:
        """Show a new reading of the queue (the filters stay as they are)."""
        self._all = snapshot.rows
        self._refilter()

    def set_timezone(self, timezone: str) -> None:
        self._zone = ZoneInfo(timezone)
        self._refilter()

    def set_filter(
        self, view: QueueFilter, status: Status | None = None, text: str | None = None
    ) -> None:
        self._view = view
        self._status = status
        if text is not None:
            self._text = text.strip()
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        if self._view is QueueFilter.ALL and self._status is None and not self._text:
            self._rows = list(self._all)  # nothing filtered out: no call per row
        else:
            self._rows = [
                row
                for row in self._all
                if matches(row, self._view, self._status, self._me, self._text)
            ]
        self.endResetModel()

    def all_rows(self) -> tuple[CallbackRow, ...]:
        """Every open request of the last reading, whatever the filters."""
        return self._all

    def rows(self) -> list[CallbackRow]:
        """The requests on show, in order."""
        return list(self._rows)

    def row_at(self, row: int) -> CallbackRow:
        return self._rows[row]

    def row_of(self, callback_id: uuid.UUID) -> int:
        """The table row showing `callback_id`, or -1."""
        key = callback_id.hex  # the rows' own form of their ids: no UUID made per row
        return next((n for n, row in enumerate(self._rows) if row.key == key), -1)

    # -- Qt ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # The view asks for seven roles of every cell it paints, twice after each reading:
        # one dictionary look-up finds the answer (or that there is none) for a role.
        answer = self._answers.get(role)
        if answer is None or not index.isValid():
            return None
        number = index.row()
        if not 0 <= number < len(self._rows):
            return None
        return answer(self._rows[number], index.column())

    def _foreground(self, row: CallbackRow, column: int) -> QBrush | None:
        if column == PRIORITY:
            return self._badges[row.category][0]
        if column == DUE:
            if row.waiting_for_retry:
                return self._muted
            if row.overdue:
                return self._red
        if column == ASSIGNED and not row.assigned_name:
            return self._muted
        return None

    def _background(self, row: CallbackRow, column: int) -> QBrush | None:
        return self._badges[row.category][1] if column == PRIORITY else None

    def _font(self, row: CallbackRow, column: int) -> QFont | None:
        if column == PRIORITY or (column == DUE and row.overdue):
            return self._bold
        return None

    def _alignment(self, row: CallbackRow, column: int) -> int | None:
        return _CENTRED if column == PRIORITY else None

    def _id_of(self, row: CallbackRow, column: int) -> str:
        return str(row.id)

    def _text_of(self, row: CallbackRow, column: int) -> str:
        if column == PRIORITY:
            return f"{BADGE_TEXT[row.category]} {row.score.value}"
        if column == NAME:
            return row.name
        if column == MOBILE:
            return row.mobile
        if column == REASON:
            return row.reason.label
        if column == WAITING:
            return duration_text(row.at - row.requested_at)
        if column == DUE:
            return due_text(row, self._zone)
        if column == ASSIGNED:
            return row.assigned_name.split()[0] if row.assigned_name else "-"
        if row.status is Status.NO_ANSWER:
            return f"No answer ({row.attempts}/{row.max_attempts})"
        return row.status.label

    def _tooltip(self, row: CallbackRow, column: int) -> str:
        if column == PRIORITY:
            return f"Score {row.score.value} ({row.category.label}): {row.score.explain()}"
        if column == WAITING:
            asked = row.requested_at.astimezone(self._zone)
            return f"Asked {asked:%a %d %b %H:%M}; {duration_text(row.waited)} of opening time"
        if column == DUE:
            return f"Due {row.due_at.astimezone(self._zone):%a %d %b %H:%M}"
        if column == ASSIGNED:
            return row.assigned_name or "Not assigned"
        if column in (NAME, REASON):
            return row.notes or row.reason.label
        return ""
