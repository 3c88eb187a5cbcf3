"""The lines of an invoice being refunded: what was sold, what earlier credit notes took,
what is left, and the units chosen now (issue #11)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from domain.money import format_rupees
from services.credit_notes import RefundableLine

_Index = QModelIndex | QPersistentModelIndex
HEADERS = ("#", "Item", "Sold", "Refunded", "Left", "Amount Rs.", "Refund now")
REFUND_COLUMN = 6


class RefundLinesModel(QAbstractTableModel):
    """One row per invoice line; the last column is the units to refund now.

    Signals:
        chosen_changed(): the units to refund changed.
    """

    chosen_changed = Signal()

    def __init__(self, lines: Sequence[RefundableLine], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines = tuple(lines)
        self._chosen = [0] * len(self._lines)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        line = self._lines[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole and column != 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        chosen = self._chosen[index.row()]
        values = (
            str(line.line_no),
            line.item_name,
            str(line.quantity),
            str(line.refunded) if line.refunded else "",
            str(line.left),
            format_rupees(line.line_total, symbol=""),
            str(chosen) if chosen else ("-" if line.left else "none left"),
        )
        return values[column]

    def line(self, row: int) -> RefundableLine:
        return self._lines[row]

    def chosen(self, row: int) -> int:
        return self._chosen[row]

    def set_chosen(self, row: int, units: int) -> None:
        """Units of line `row` to refund, kept between 0 and what is left."""
        if not 0 <= row < len(self._lines):
            return
        units = max(0, min(units, self._lines[row].left))
        if units == self._chosen[row]:
            return
        self._chosen[row] = units
        cell = self.index(row, REFUND_COLUMN)
        self.dataChanged.emit(cell, cell)
        self.chosen_changed.emit()

    def refund_lines(self) -> list[tuple[int, int]]:
        """(invoice line number, units) for every line with units chosen."""
        return [(line.line_no, n) for line, n in zip(self._lines, self._chosen, strict=True) if n]
