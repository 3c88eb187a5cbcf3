"""F1: a small dialog listing the keyboard shortcuts that work where the person is."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.workers import OpCounter


class ShortcutsDialog(QDialog):
    """A read-only table of (keys, what they do); Esc or Enter closes it.

    Signals: none (QDialog's own).
    """

    def __init__(
        self,
        shortcuts: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
        *,
        diagnostics: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._diagnostics = diagnostics
        self._copies = OpCounter(self)
        self.setWindowTitle("Keyboard shortcuts - Frontdesk")
        self.setObjectName("ShortcutsDialog")

        intro = QLabel("Everything in Frontdesk can be done from the keyboard.")
        intro.setObjectName("Muted")
        intro.setWordWrap(True)

        self.table = QTableWidget(len(shortcuts), 2)
        self.table.setObjectName("ShortcutTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        for row, (keys, does) in enumerate(shortcuts):
            key_item = QTableWidgetItem(keys)
            font = key_item.font()
            font.setBold(True)
            key_item.setFont(font)
            self.table.setItem(row, 0, key_item)
            self.table.setItem(row, 1, QTableWidgetItem(does))
        self.table.resizeRowsToContents()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        # Versions, paths, sizes, the last backup and errors: what support asks for first.
        self.diagnostics_button = QPushButton("Copy &diagnostics")
        self.diagnostics_button.setToolTip(
            "Copy versions, paths, the last backup and the last errors for support "
            "(no patient details)"
        )
        self.diagnostics_button.setVisible(diagnostics is not None)
        self.diagnostics_button.clicked.connect(self.copy_diagnostics)
        buttons.addButton(self.diagnostics_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

        rows_height = sum(self.table.rowHeight(r) for r in range(len(shortcuts)))
        header_height = self.table.horizontalHeader().sizeHint().height()
        # At most ~480 px: the list scrolls rather than outgrow a 768-pixel-high screen.
        self.table.setMinimumHeight(min(rows_height + header_height + 6, 480))
        # Wide enough for the longest description, so none is cut off.
        self.table.resizeColumnToContents(1)
        columns = self.table.columnWidth(0) + self.table.columnWidth(1)
        width = columns + 2 * self.table.frameWidth() + 40 + 8
        self.resize(max(460, min(width, 900)), self.sizeHint().height())

    def copy_diagnostics(self) -> None:
        """Put the diagnostics on the clipboard (read in the background)."""
        if self._diagnostics is None or not self._copies.idle:
            return

        def copied(text: str) -> None:
            QGuiApplication.clipboard().setText(text)
            self.diagnostics_button.setText("Diagnostics copied")

        self._copies.run(self._diagnostics, copied, lambda _error: None)

    def is_idle(self) -> bool:
        return self._copies.idle

    def shortcuts(self) -> list[tuple[str, str]]:
        """The rows shown, as (keys, what they do)."""
        rows = []
        for row in range(self.table.rowCount()):
            keys, does = self.table.item(row, 0), self.table.item(row, 1)
            assert keys is not None and does is not None
            rows.append((keys.text(), does.text()))
        return rows
