"""A read-only table of figures: a label column, then amounts right-aligned (the day close's
expected amounts, the takings)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

Index = QModelIndex | QPersistentModelIndex


class FiguresModel(QAbstractTableModel):
    """Rows of text under `headers`; the first column is the label, the others figures.
    Rows named in `bold` (by index) are totals; columns in `text_columns` (the first by
    default) are text, aligned left.

    Signals: none beyond QAbstractTableModel's.
    """

    def __init__(self, headers: Sequence[str], *, text_columns: Sequence[int] = (0,)) -> None:
        super().__init__()
        self._headers = list(headers)
        self._text = set(text_columns)
        self._rows: list[tuple[str, ...]] = []
        self._bold: set[int] = set()

    def set_rows(self, rows: Sequence[Sequence[str]], *, bold: Sequence[int] = ()) -> None:
        """Show `rows` (each as long as the headers) instead of what was there."""
        self.beginResetModel()
        self._rows = [tuple(row) for row in rows]
        self._bold = {i if i >= 0 else len(self._rows) + i for i in bold}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(index.column())
        if role == Qt.ItemDataRole.FontRole and index.row() in self._bold:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(section)
        return None

    def _alignment(self, column: int) -> int:
        left = column in self._text
        side = Qt.AlignmentFlag.AlignLeft if left else Qt.AlignmentFlag.AlignRight
        return int(side | Qt.AlignmentFlag.AlignVCenter)

    def row_texts(self) -> list[tuple[str, ...]]:
        """What the table shows, row by row (for tests and the clipboard)."""
        return list(self._rows)
