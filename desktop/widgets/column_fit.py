"""Columns that give way on a narrow table, so that what stays is read whole.

At the smallest window (1024 x 640) a list beside a detail pane has about 500 pixels: its
figures at their widths push the last columns out of sight and squeeze the stretching one
(a name) to an ellipsis. A table set up with `ColumnsGiveWay` hides the columns the detail
pane repeats, least needed first, whenever its viewport is too narrow for them, and shows
them again when it is wide enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QTableView
from shiboken6 import isValid


class ColumnsGiveWay(QObject):
    """Fits `table`'s columns to its viewport: `order` lists its fixed-width columns from
    the most needed on; once one of them does not fit beside the stretching column at
    `stretch_at_least` pixels, it and every optional column after it are hidden (the
    columns not in `optional` always stay)."""

    def __init__(
        self,
        table: QTableView,
        order: Sequence[int],
        optional: frozenset[int],
        *,
        stretch_at_least: int,
    ) -> None:
        super().__init__(table)
        self._table = table
        self._order = tuple(order)
        self._optional = optional
        self._least = stretch_at_least
        self._widths = {column: table.columnWidth(column) for column in self._order}
        self._viewport = table.viewport()
        self._viewport.installEventFilter(self)

    def fit(self, width: int) -> None:
        """Show what fits in `width` pixels (the viewport's)."""
        room = width - self._least
        for column in self._order:
            if not self._table.isColumnHidden(column):
                self._widths[column] = self._table.columnWidth(column)  # as the user left it
            room -= self._widths[column]
            self._table.setColumnHidden(column, room < 0 and column in self._optional)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # A table being taken down still resizes its viewport: nothing to fit then.
        if watched is self._viewport and isinstance(event, QResizeEvent) and isValid(self._table):
            self.fit(event.size().width())
        return False
