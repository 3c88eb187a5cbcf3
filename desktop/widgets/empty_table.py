"""A read-only table that says what belongs in it while it is empty."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from desktop import theme


class EmptyStateTable(QTableView):
    """Rows selected whole, one at a time, never edited; a title and a line when empty."""

    def __init__(self, title: str, detail: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_title = title
        self.empty_detail = detail
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(32)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setSectionsClickable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def set_widths(self, widths: dict[int, int], stretch: int) -> None:
        """Fixed widths for the figures; column `stretch` takes the rest."""
        header = self.horizontalHeader()
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(column, width)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0:
            return
        painter = QPainter(self.viewport())
        area = self.viewport().rect().adjusted(16, 0, -16, 0)
        title_font = QFont(self.font())
        title_font.setBold(True)
        title_height = QFontMetrics(title_font).height()
        detail_height = self.fontMetrics().height() if self.empty_detail else 0
        top = area.center().y() - (title_height + 6 + detail_height) // 2
        painter.setFont(title_font)
        painter.setPen(QColor(theme.RAIL_INK))
        painter.drawText(
            QRect(area.left(), top, area.width(), title_height),
            Qt.AlignmentFlag.AlignCenter,
            self.empty_title,
        )
        if self.empty_detail:
            painter.setFont(self.font())
            painter.setPen(QColor("#52606d"))
            painter.drawText(
                QRect(area.left(), top + title_height + 6, area.width(), detail_height),
                Qt.AlignmentFlag.AlignCenter,
                self.empty_detail,
            )
        painter.end()
