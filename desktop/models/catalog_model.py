"""The Catalog panel's table: the items of the last read, filtered on the UI side by
category, status and what was typed in the search box (the catalog is a few hundred rows at
most, so filtering never waits for the database)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.models.promotion_models import Column, RowsModel, short_day
from domain.gst import Taxability
from domain.money import format_rupees, group_indian
from services.catalog import CatalogRow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class StatusFilter(StrEnum):
    """Which items are on show."""

    ACTIVE = "active"
    RETIRED = "retired"
    ALL = "all"


@dataclass(frozen=True)
class CatalogFilter:
    """The filters of the table: a category ('' for all), a status and the search text."""

    category: str = ""
    status: StatusFilter = StatusFilter.ACTIVE
    text: str = ""


def amount_text(paise: int) -> str:
    """'4,500.00' (Indian grouping, no symbol: the header says Rs.)."""
    whole, fraction = divmod(abs(paise), 100)
    return f"{'-' if paise < 0 else ''}{group_indian(whole)}.{fraction:02d}"


def gst_text(row: CatalogRow) -> str:
    """'18%', or 'Exempt'."""
    if row.spec.taxability is Taxability.EXEMPT:
        return "Exempt"
    return f"{row.spec.tax_rate.normalize():f}%"


def status_of(row: CatalogRow) -> str:
    """'Active', 'Retired', or 'Off sale' (an item switched off without being retired)."""
    if row.retired:
        return "Retired"
    return "Active" if row.is_active else "Off sale"


def next_price_text(row: CatalogRow) -> str:
    """'2,099.00 from 25 Nov 2026', or '' when no later price is set."""
    if row.next_price is None or row.next_price_from is None:
        return ""
    return f"{amount_text(row.next_price)} from {short_day(row.next_price_from)}"


def matches(row: CatalogRow, wanted: CatalogFilter) -> bool:
    """Whether `row` belongs in the table under the filters."""
    if wanted.category and row.spec.category != wanted.category:
        return False
    if wanted.status is StatusFilter.ACTIVE and row.retired:
        return False
    if wanted.status is StatusFilter.RETIRED and not row.retired:
        return False
    text = wanted.text.strip().lower()
    if not text:
        return True
    spec = row.spec
    return text in spec.code.lower() or text in spec.name.lower() or text == (spec.barcode or "")


def _hsn_tooltip(row: CatalogRow) -> str:
    if row.spec.hsn_sac:
        return ""
    kind = "SAC" if row.spec.item_type == "service" else "HSN"
    return f"No {kind} code yet: the GST summary needs one. Select the item to add it."


class CatalogModel(RowsModel[CatalogRow]):
    """The items under the filters: code, name, category, type, price today, GST, HSN/SAC,
    status and the next price. `set_rows` takes every item read; `set_filter` narrows them."""

    columns = (
        Column[CatalogRow]("Code", lambda r: r.spec.code, tooltip=lambda r: r.spec.code),
        Column[CatalogRow]("Name", lambda r: r.spec.name, tooltip=lambda r: r.spec.name),
        Column[CatalogRow](
            "Category", lambda r: r.spec.category, tooltip=lambda r: r.spec.category
        ),
        Column[CatalogRow]("Type", lambda r: r.spec.item_type.capitalize()),
        Column[CatalogRow](
            "Price (Rs.)",
            lambda r: amount_text(r.spec.price),
            _RIGHT,
            tooltip=lambda r: f"{format_rupees(r.spec.price)} today, GST included",
        ),
        Column[CatalogRow]("GST", gst_text, _RIGHT),
        Column[CatalogRow]("HSN/SAC", lambda r: r.spec.hsn_sac or "-", tooltip=_hsn_tooltip),
        Column[CatalogRow]("Status", status_of),
        Column[CatalogRow]("Next price", next_price_text, _LEFT),
    )
    CODE, NAME, CATEGORY, TYPE, PRICE, GST, HSN_SAC, STATUS, NEXT_PRICE = range(9)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.spec.code, parent)
        self._everything: list[CatalogRow] = []
        self._filter = CatalogFilter()

    def set_rows(self, rows: Sequence[CatalogRow]) -> None:
        """Every item read (retired ones too); the table shows those under the filters."""
        self._everything = list(rows)
        super().set_rows([r for r in self._everything if matches(r, self._filter)])

    def set_filter(self, wanted: CatalogFilter) -> None:
        """Show the items under `wanted`."""
        self._filter = wanted
        super().set_rows([r for r in self._everything if matches(r, wanted)])

    @property
    def filter(self) -> CatalogFilter:
        return self._filter

    def everything(self) -> list[CatalogRow]:
        """Every item read, whatever the filters."""
        return list(self._everything)

    def categories(self) -> list[str]:
        """The categories of the items read, sorted."""
        return sorted({r.spec.category for r in self._everything})

    def foreground(self, row: CatalogRow, column: int) -> QColor | None:
        if column == self.STATUS and row.retired:
            return QColor("#b42318")
        if row.retired or (column == self.HSN_SAC and not row.spec.hsn_sac):
            return QColor("#7b8794")
        if column == self.NEXT_PRICE:
            return QColor("#8a5a00")
        return None
