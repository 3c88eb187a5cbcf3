"""The promotions admin's tables: promotions, promo codes, a code's uses by service, and its
applications. Each model holds the rows of its last read; the panel reads them in the
background and hands them over with `set_rows`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from domain.money import format_rupees
from services.promotions import Application, CodeRow, PromotionRow, ServiceUse

AnyIndex = QModelIndex | QPersistentModelIndex
R = TypeVar("R")

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

# The key of a row (campaign code or promo code), for selection and tests.
KEY_ROLE = Qt.ItemDataRole.UserRole + 1

TYPE_NAMES = {
    "buy_x_get_y": "Buy X get Y",
    "percentage": "Percentage",
    "fixed_amount": "Fixed amount",
}

_STATUS_COLOURS = {
    "active": "#0b5c55",
    "scheduled": "#52606d",
    "paused": "#8a5a00",
    "expired": "#b42318",
    "ended": "#52606d",
    "limit reached": "#b42318",
}


def given_text(paise: int) -> str:
    """Discount given for a table cell: 'Rs.61,000.00', or '-' for none."""
    return format_rupees(paise) if paise else "-"


def uses_text(uses: int, limit: int | None) -> str:
    """'37 / 100', or '122 / -' without a limit."""
    return f"{uses} / {'-' if limit is None else limit}"


def short_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def validity_text(start: date | None, end: date | None) -> str:
    """'1 Apr 2025 onwards', 'until 24 Dec 2026', '25 Oct 2026 - 24 Dec 2026', 'always'."""
    if start is None and end is None:
        return "Always"
    if end is None:
        assert start is not None
        return f"From {short_day(start)}"
    if start is None:
        return f"Until {short_day(end)}"
    if start.year == end.year:
        return f"{start.day} {start:%b} - {short_day(end)}"
    return f"{short_day(start)} - {short_day(end)}"


def status_text(status: str) -> str:
    return status[:1].upper() + status[1:]


@dataclass(frozen=True)
class Column(Generic[R]):
    """A column: its header, the cell's text, its alignment, and an optional tooltip."""

    header: str
    text: Callable[[R], str]
    align: Qt.AlignmentFlag = _LEFT
    tooltip: Callable[[R], str] | None = None


class RowsModel(QAbstractTableModel, Generic[R]):
    """A read-only table of frozen rows; `key` names each row for selection."""

    columns: Sequence[Column[R]] = ()

    def __init__(self, key: Callable[[R], str], parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []
        self._key = key

    # -- the rows ----------------------------------------------------------------------

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[R]:
        return list(self._rows)

    def row(self, row: int) -> R:
        return self._rows[row]

    def row_of(self, key: str) -> int:
        """The row whose key is `key`, or -1."""
        return next((i for i, r in enumerate(self._rows) if self._key(r) == key), -1)

    def column_texts(self, column: int) -> list[str]:
        return [self.columns[column].text(r) for r in self._rows]

    # -- Qt ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, index.column())
        if role == KEY_ROLE:
            return self._key(row)
        return None

    def foreground(self, row: R, column: int) -> QColor | None:
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _type_text(row: PromotionRow) -> str:
    kind = TYPE_NAMES.get(row.promotion_type, row.promotion_type)
    return f"{kind}, code" if row.requires_code else kind


class PromotionsModel(RowsModel[PromotionRow]):
    """Every promotion: name, type, status, uses against the limit, discount given, dates."""

    columns = (
        Column[PromotionRow](
            "Promotion",
            lambda r: f"{r.campaign_code}\n{r.campaign_name}",
            tooltip=lambda r: f"{r.campaign_code}: {r.campaign_name}",
        ),
        Column[PromotionRow](
            "Type",
            _type_text,
            tooltip=lambda r: "Needs a promo code at the counter" if r.requires_code else "",
        ),
        Column[PromotionRow]("Status", lambda r: status_text(r.status)),
        Column[PromotionRow]("Uses", lambda r: uses_text(r.uses, r.max_total_uses), _RIGHT),
        Column[PromotionRow]("Given", lambda r: given_text(r.discount_given), _RIGHT),
        Column[PromotionRow]("Valid", lambda r: validity_text(r.start_date, r.end_date)),
    )
    STATUS = 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.campaign_code, parent)

    def foreground(self, row: PromotionRow, column: int) -> QColor | None:
        if column == self.STATUS and row.status in _STATUS_COLOURS:
            return QColor(_STATUS_COLOURS[row.status])
        return None


class CodesModel(RowsModel[CodeRow]):
    """Every promo code: its promotion, status, uses against the limit, given, hours, dates."""

    columns = (
        Column[CodeRow]("Code", lambda r: r.code),
        Column[CodeRow]("Promotion", lambda r: r.promotion_code),
        Column[CodeRow]("Status", lambda r: status_text(r.status)),
        Column[CodeRow]("Uses", lambda r: uses_text(r.uses, r.max_uses), _RIGHT),
        Column[CodeRow]("Given", lambda r: given_text(r.discount_given), _RIGHT),
        Column[CodeRow]("Hours", lambda r: status_text(r.active_hours.describe())),
        Column[CodeRow]("Valid", lambda r: validity_text(r.valid_from, r.valid_to)),
    )
    STATUS = 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.code, parent)

    def foreground(self, row: CodeRow, column: int) -> QColor | None:
        if column == self.STATUS and row.status in _STATUS_COLOURS:
            return QColor(_STATUS_COLOURS[row.status])
        return None


class ServiceUsesModel(RowsModel[ServiceUse]):
    """A code's uses by service: uses, unique patients, discount given."""

    columns = (
        Column[ServiceUse]("Service", lambda r: r.item_name, tooltip=lambda r: r.item_code),
        Column[ServiceUse]("Code", lambda r: r.item_code),
        Column[ServiceUse]("Uses", lambda r: str(r.uses), _RIGHT),
        Column[ServiceUse]("Patients", lambda r: str(r.unique_patients), _RIGHT),
        Column[ServiceUse]("Discount", lambda r: format_rupees(r.total_discount), _RIGHT),
    )

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.item_code, parent)


class ApplicationsModel(RowsModel[Application]):
    """One page of a code's applications, newest first, times in the branch's zone."""

    def __init__(self, timezone: str = "UTC", parent: Any = None) -> None:
        super().__init__(lambda r: f"{r.invoice_number}/{r.item_code}", parent)
        self.timezone = timezone
        # Two lines a row, so the list reads in the narrow pane beside the codes.
        self.columns = (
            Column[Application](
                "Patient",
                lambda r: f"{r.patient_name or '-'}\n{r.item_name}",
                tooltip=lambda r: f"{r.patient_name} {r.patient_mobile}, {r.item_code}",
            ),
            Column[Application]("Invoice", lambda r: f"{r.invoice_number}\n{self._when(r)}"),
            Column[Application]("Discount", lambda r: format_rupees(r.discount), _RIGHT),
        )

    def _when(self, row: Application) -> str:
        at: datetime = row.applied_at
        if at.tzinfo is not None:
            at = at.astimezone(ZoneInfo(self.timezone))
        return f"{at.day} {at:%b %Y %H:%M}"
