"""The cart at the counter as a table: what was added, how many, and what it costs once priced."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from domain.bounds import MAX_QUANTITY
from domain.money import format_rupees
from domain.promotions import PricedCart, PricedLine
from services.catalog import CatalogEntry
from services.invoicing import CartItem

AnyIndex = QModelIndex | QPersistentModelIndex

COLUMNS = ("#", "Item", "Qty", "Price", "Discount", "Amount")
NUMBER, ITEM, QTY, PRICE, DISCOUNT, AMOUNT = range(len(COLUMNS))

# The Item cell's badge ("Rs.500 Free (PREMIUM_CONSULT)"), drawn under the name by its delegate.
BADGE_ROLE = Qt.ItemDataRole.UserRole + 1
# The item's code, for tests and tooltips.
CODE_ROLE = Qt.ItemDataRole.UserRole + 2

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def amount_text(paise: int) -> str:
    """An amount for a table cell: Indian grouping, no currency sign ('4,500.00')."""
    return format_rupees(paise, symbol="")


def percent_text(value: Decimal) -> str:
    """'10', '12.5': a percentage without trailing zeros."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class CartRow:
    """One line of the cart: a stable id, the catalog item, how many, any manual discount,
    and its prices from the last quote that matched the cart (None until priced)."""

    uid: int
    entry: CatalogEntry
    quantity: int = 1
    manual_discount_percent: Decimal | None = None
    priced: PricedLine | None = None

    @property
    def gross(self) -> int:
        return self.entry.price * self.quantity

    def item(self) -> CartItem:
        return CartItem(self.entry.id, self.quantity, self.manual_discount_percent)


class CartModel(QAbstractTableModel):
    """The lines of the invoice being written, in the order they were added.

    A quantity or a manual discount typed in a cell is only proposed here: the counter's
    session decides (a quantity may be refused or asked about, a discount is checked against
    the user's limit through the service) and then sets it.

    Signals:
        cart_changed(): lines, quantities or discounts changed; the cart needs pricing again.
        quantity_proposed(int, int): (line uid, quantity) typed in the Qty column.
        discount_proposed(int, object): (line uid, Decimal percent or None) typed in the
            Discount column.
    """

    cart_changed = Signal()
    quantity_proposed = Signal(int, int)
    discount_proposed = Signal(int, object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[CartRow] = []
        # The "#" shown per row. Renumbered only after a removal is complete, so that views
        # (and Qt's model tester) see each row keep its data while rows move.
        self._numbers: list[int] = []
        self._uids = itertools.count(1)
        self.read_only = False

    # -- reading -------------------------------------------------------------------------

    def rows(self) -> list[CartRow]:
        return list(self._rows)

    def row(self, index: int) -> CartRow:
        return self._rows[index]

    def items(self) -> tuple[CartItem, ...]:
        """The cart as the services take it, lines in order."""
        return tuple(row.item() for row in self._rows)

    def row_of(self, uid: int) -> int:
        for number, row in enumerate(self._rows):
            if row.uid == uid:
                return number
        raise KeyError(uid)

    def is_empty(self) -> bool:
        return not self._rows

    # -- Qt's model interface ------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 (Qt's name)
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if section in (PRICE, DISCOUNT, AMOUNT):
                return _RIGHT
            return _CENTRE if section in (NUMBER, QTY) else _LEFT
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self.read_only and index.column() in (QTY, DISCOUNT):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(index.row(), row, column)
        if role == Qt.ItemDataRole.EditRole:
            if column == QTY:
                return row.quantity
            if column == DISCOUNT:
                manual = row.manual_discount_percent
                return percent_text(manual) if manual else ""
            return self._display(index.row(), row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (PRICE, DISCOUNT, AMOUNT):
                return _RIGHT
            return _CENTRE if column in (NUMBER, QTY) else _LEFT
        if role == BADGE_ROLE and column == ITEM:
            return row.priced.badge_text if row.priced else None
        if role == CODE_ROLE:
            return row.entry.code
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == ITEM:
            badge = row.priced.badge_text if row.priced else None
            return f"{row.entry.name}, {badge}" if badge else row.entry.name
        return None

    def _display(self, number: int, row: CartRow, column: int) -> str:
        priced = row.priced
        if column == NUMBER:
            return str(self._numbers[number])
        if column == ITEM:
            return row.entry.name
        if column == QTY:
            return str(row.quantity)
        if column == PRICE:
            return amount_text(row.entry.price)
        if column == DISCOUNT:
            if priced is None or not priced.discount_amount:
                return ""
            return (
                f"{percent_text(priced.discount_percent)}%  -{amount_text(priced.discount_amount)}"
            )
        if column == AMOUNT:
            return amount_text(priced.line_total if priced else row.gross)
        return ""

    def _tooltip(self, row: CartRow, column: int) -> str | None:
        if column == ITEM:
            return f"{row.entry.code} - {row.entry.category}"
        if column == QTY and not self.read_only:
            return "+ and - change the quantity; F2 types it"
        if column == DISCOUNT:
            priced = row.priced
            parts = []
            if priced and priced.promotion_discount:
                codes = ", ".join(share.campaign_code for share in priced.shares)
                parts.append(f"Promotion {codes}: -{amount_text(priced.promotion_discount)}")
            if priced and priced.manual_discount:
                parts.append(f"Manual discount: -{amount_text(priced.manual_discount)}")
            if not self.read_only:
                parts.append("Ctrl+D types a manual discount in percent")
            return "\n".join(parts)
        return None

    def setData(  # noqa: N802 (Qt's name)
        self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or self.read_only:
            return False
        row = self._rows[index.row()]
        if index.column() == QTY:
            try:
                quantity = int(value)
            except (TypeError, ValueError):
                return False
            self.quantity_proposed.emit(row.uid, quantity)
            # Nothing changes until the session has taken the quantity.
            return False
        if index.column() == DISCOUNT:
            text = str(value or "").strip().removesuffix("%").strip()
            try:
                percent = Decimal(text) if text else None
            except ArithmeticError:
                return False
            if percent is not None and not percent.is_finite():
                return False
            self.discount_proposed.emit(row.uid, percent or None)
            # Nothing changes until the panel has checked the discount.
            return False
        return False

    # -- changing ------------------------------------------------------------------------

    def add(self, entry: CatalogEntry, quantity: int = 1) -> int:
        """Append a line for `entry`; returns its row."""
        position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.append(CartRow(next(self._uids), entry, quantity))
        self._numbers.append(position + 1)
        self.endInsertRows()
        self.cart_changed.emit()
        return position

    def remove(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._numbers[row]
        self.endRemoveRows()
        if row < len(self._rows):  # the lines below it move up a number
            self._numbers = list(range(1, len(self._rows) + 1))
            self._changed(row, len(self._rows) - 1)
        self.cart_changed.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._numbers.clear()
        self.read_only = False
        self.endResetModel()
        self.cart_changed.emit()

    def set_quantity(self, uid: int, quantity: int) -> bool:
        """Set a line's quantity (1 to 999); False when refused or unchanged."""
        number = self.row_of(uid)
        row = self._rows[number]
        if not 1 <= quantity <= MAX_QUANTITY or quantity == row.quantity:
            return False
        self._rows[number] = replace(row, quantity=quantity, priced=None)
        self._changed(number, number)
        self.cart_changed.emit()
        return True

    def step_quantity(self, row: int, step: int) -> bool:
        if self.read_only or not 0 <= row < len(self._rows):
            return False
        current = self._rows[row]
        return self.set_quantity(current.uid, current.quantity + step)

    def set_manual_discount(self, uid: int, percent: Decimal | None) -> bool:
        """Set a line's manual discount; False when it was already that."""
        number = self.row_of(uid)
        row = self._rows[number]
        if row.manual_discount_percent == percent:
            return False
        self._rows[number] = replace(row, manual_discount_percent=percent, priced=None)
        self._changed(number, number)
        self.cart_changed.emit()
        return True

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        if self._rows:
            self._changed(0, len(self._rows) - 1)

    def apply_prices(self, priced: PricedCart) -> None:
        """Show the prices of a quote made for exactly these lines (same order)."""
        if len(priced.lines) != len(self._rows):
            raise ValueError("the quote is for another cart")
        self._rows = [
            replace(row, priced=line) for row, line in zip(self._rows, priced.lines, strict=True)
        ]
        if self._rows:
            # Not the Qty column: a quote arriving while a quantity is being typed would
            # put the editor's number back.
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(0, NUMBER), self.index(last, ITEM))
            self.dataChanged.emit(self.index(0, PRICE), self.index(last, AMOUNT))

    def _changed(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
