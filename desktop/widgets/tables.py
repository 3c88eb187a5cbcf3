"""Small things every table panel does the same way."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSignalBlocker
from PySide6.QtWidgets import QTableView


def reselect_row(table: QTableView, row: int) -> None:
    """Select `row` again after the rows changed (none when below 0), without the selection
    signals that would load it into a form."""
    model = table.model()
    selection = table.selectionModel()
    with QSignalBlocker(selection):
        if row >= 0:
            table.setCurrentIndex(model.index(row, 0))
            table.scrollTo(model.index(row, 0))
        else:
            table.clearSelection()
            selection.setCurrentIndex(QModelIndex(), selection.SelectionFlag.NoUpdate)
    table.viewport().update()
