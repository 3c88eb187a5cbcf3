"""The cart's table: badges under discounted lines, keys for the counter, an empty-state note."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop import theme
from desktop.models.cart_model import (
    AMOUNT,
    BADGE_ROLE,
    DISCOUNT,
    ITEM,
    NUMBER,
    PRICE,
    QTY,
)

# Column widths at 1366x768 and up, and in a narrow window (the app's minimum size).
WIDTHS = {NUMBER: 44, QTY: 64, PRICE: 110, DISCOUNT: 150, AMOUNT: 120}
COMPACT_WIDTHS = {NUMBER: 32, QTY: 48, PRICE: 88, DISCOUNT: 122, AMOUNT: 96}

EMPTY_TITLE = "Scan or type an item code to start"
EMPTY_DETAIL = "A barcode scan adds the item from any field of this screen."

_BADGE_FILL = QColor("#dff3ef")
_BADGE_EDGE = QColor("#b7e0d8")
# Where the style puts an ordinary cell's text: the stylesheet's 8px padding and its margin.
_PADDING = 11
_BADGE_GAP = 3


_BADGE_PILL = 16  # the pill's room around its text
# How much smaller than the cell's text a badge may be drawn before its text is elided.
_BADGE_SIZE_DOWN = (1.0, 1.5, 2.0, 2.5)


def _badge_font(base: QFont, size_down: float = _BADGE_SIZE_DOWN[0]) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(base.pointSizeF() - size_down, 7.0))
    font.setBold(True)
    return font


def fit_badge(base: QFont, badge: str, width: int) -> tuple[QFont, str]:
    """The font and text of a badge drawn `width` px wide: in a narrow window a point or so
    smaller rather than cut short; elided only when even that does not fit."""
    for size_down in _BADGE_SIZE_DOWN:
        font = _badge_font(base, size_down)
        metrics = QFontMetrics(font)
        if metrics.horizontalAdvance(badge) + _BADGE_PILL <= width:
            return font, badge
    return font, metrics.elidedText(badge, Qt.TextElideMode.ElideRight, width - _BADGE_PILL)


def badge_pill(cell: QRect, base: QFont, badge: str) -> tuple[QRect, QFont, str]:
    """Where a line's badge is drawn in its Item cell (under the name), in which font and
    with what text (elided in a narrow cell)."""
    rect = cell.adjusted(_PADDING, 5, -_PADDING, -5)
    name_bottom = rect.top() + QFontMetrics(base).height() - 1
    font, text = fit_badge(base, badge, rect.width())
    metrics = QFontMetrics(font)
    pill = QRect(
        rect.left(),
        name_bottom + 1 + _BADGE_GAP,
        metrics.horizontalAdvance(text) + _BADGE_PILL,
        metrics.height() + 4,
    )
    return pill, font, text


class ItemDelegate(QStyledItemDelegate):
    """Draws the item's name and, under it, its badge as an accent-coloured pill."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        badge = index.data(BADGE_ROLE)
        if not badge:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = opt.rect.adjusted(_PADDING, 5, -_PADDING, -5)
        metrics: QFontMetrics = opt.fontMetrics
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(opt.font)
        painter.setPen(QColor(theme.INK))
        name_rect = QRect(rect.left(), rect.top(), rect.width(), metrics.height())
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, rect.width()),
        )
        pill, font, text = badge_pill(opt.rect, opt.font, badge)
        painter.setPen(QPen(_BADGE_EDGE, 1))
        painter.setBrush(_BADGE_FILL)
        radius = pill.height() / 2
        painter.drawRoundedRect(pill, radius, radius)
        painter.setFont(font)
        painter.setPen(QColor(theme.ACCENT_DARK))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(  # noqa: N802 (Qt's name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        metrics: QFontMetrics = option.fontMetrics
        height = metrics.height() + 14
        if index.data(BADGE_ROLE):
            badge = QFontMetrics(_badge_font(option.font))
            height += _BADGE_GAP + badge.height() + 4
        return QSize(size.width(), max(size.height(), height))


class CartTable(QTableView):
    """The cart's lines. Del removes the selected line, + and - change its quantity, F2 types
    the quantity, Ctrl+D (in the panel) a manual discount. Typing does not start an edit, so
    a scanner's digits never land in a cell.

    Signals:
        remove_requested(int): Del on this row.
        step_requested(int, int): (row, +1 or -1) from the + and - keys.
        leave_up(): Up on the first row (the owner moves the focus back to the item field).
        badge_opened(int): a click on this row's badge.
    """

    remove_requested = Signal(int)
    step_requested = Signal(int, int)
    leave_up = Signal()
    badge_opened = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CartTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setAlternatingRowColors(False)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setItemDelegateForColumn(ITEM, ItemDelegate(self))
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setMinimumSectionSize(24)
        self.verticalHeader().setDefaultSectionSize(36)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def configure_columns(self, *, compact: bool = False) -> None:
        """Widths that keep every figure readable (down to Rs.9,99,999.00, and "100%  -500.00"
        in Discount); the item name takes the rest. Compact: a narrow window's widths."""
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsClickable(False)
        widths = COMPACT_WIDTHS if compact else WIDTHS
        # A narrow window leaves the line numbers out: the item names need the room.
        self.setColumnHidden(NUMBER, compact)
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.setColumnWidth(column, width)
        header.setSectionResizeMode(ITEM, QHeaderView.ResizeMode.Stretch)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        row = self.currentIndex().row()
        text = event.text()
        if self.state() != QAbstractItemView.State.EditingState and row >= 0:
            if event.key() == Qt.Key.Key_Delete:
                self.remove_requested.emit(row)
                event.accept()
                return
            if text in ("+", "="):
                self.step_requested.emit(row, 1)
                event.accept()
                return
            if text == "-":
                self.step_requested.emit(row, -1)
                event.accept()
                return
            model = self.model()
            if event.key() == Qt.Key.Key_F2 and model is not None:
                # F2 always types the quantity, whichever cell of the line is current.
                quantity = model.index(row, QTY)
                self.setCurrentIndex(quantity)
                self.edit(quantity)
                event.accept()
                return
            if event.key() == Qt.Key.Key_Up and row == 0:
                self.leave_up.emit()
                event.accept()
                return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        super().mousePressEvent(event)
        index = self.indexAt(event.position().toPoint())
        badge = index.data(BADGE_ROLE) if index.isValid() and index.column() == ITEM else None
        if event.button() == Qt.MouseButton.LeftButton and badge:
            pill, _font, _text = badge_pill(self.visualRect(index), self.font(), badge)
            if pill.contains(event.position().toPoint()):
                self.badge_opened.emit(index.row())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0:
            return
        painter = QPainter(self.viewport())
        area = self.viewport().rect().adjusted(24, 0, -24, 0)
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() + 2)
        title_font.setBold(True)
        title_height = QFontMetrics(title_font).height()
        detail_height = self.fontMetrics().height()
        top = area.center().y() - (title_height + 6 + detail_height) // 2
        painter.setFont(title_font)
        painter.setPen(QColor(theme.RAIL_INK))
        painter.drawText(
            QRect(area.left(), top, area.width(), title_height),
            Qt.AlignmentFlag.AlignCenter,
            EMPTY_TITLE,
        )
        painter.setFont(self.font())
        painter.setPen(QColor("#52606d"))
        painter.drawText(
            QRect(area.left(), top + title_height + 6, area.width(), detail_height),
            Qt.AlignmentFlag.AlignCenter,
            EMPTY_DETAIL,
        )
        painter.end()


__all__ = ["AMOUNT", "DISCOUNT", "PRICE", "QTY", "CartTable", "ItemDelegate"]
