"""The Catalog panel (manager): the items in a table filtered by category, status and a
search, and a form beside it to add an item or change the selected one (a new price from a
date), retire it, and import or export the catalog as CSV.

Every read and change runs in a background op over services.catalog; the form's fields are
a desktop.widgets.form.FieldForm, so a refused value is shown beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.catalog_model import (
    CatalogFilter,
    CatalogModel,
    StatusFilter,
    amount_text,
    status_of,
)
from desktop.models.promotion_models import short_day
from desktop.widgets.empty_table import EmptyStateTable
from desktop.widgets.focus import FocusOnEntry
from desktop.widgets.form import FieldForm, SaveBar, restyle
from desktop.widgets.tables import reselect_row
from desktop.workers import OpCounter
from domain.gst import RATES, Taxability
from services import catalog as catalog_service
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.catalog import CatalogRow, ItemImport

T = TypeVar("T")

# For the F1 list (desktop.main_window adds them when the panel is on the rail).
SHORTCUTS = (
    ("Ctrl+S", "Catalog: save the item in the form"),
    ("Ctrl+N", "Catalog: a new item"),
    ("Ctrl+F", "Catalog: search the items"),
    ("Enter", "Catalog: edit the item selected in the table"),
)

FORM_WIDTH = 390
# The table's columns, least missed first: hidden in this order when the table is narrow
# (the form beside it shows every detail of the selected item).
_DISPENSABLE = (CatalogModel.TYPE, CatalogModel.HSN_SAC, CatalogModel.CATEGORY)
# A column is as wide as its widest text on show, up to these; the name takes the rest.
_WIDEST = {
    CatalogModel.CODE: 170,
    CatalogModel.CATEGORY: 180,
    CatalogModel.TYPE: 100,
    CatalogModel.PRICE: 130,
    CatalogModel.GST: 100,
    CatalogModel.HSN_SAC: 120,
    CatalogModel.STATUS: 110,
    CatalogModel.NEXT_PRICE: 230,
}
_NAME_AT_LEAST = 180
# A cell's padding (the stylesheet's 12 + 8) and a little air.
_CELL_PADDING = 30
# Cells padded like the headers above them, as the promotions' tables are.
# (taxability, rate) as the GST field offers them: exempt, or taxable at one of GST's rates.
_GST_CHOICES = [("Exempt (no GST)", Taxability.EXEMPT, Decimal(0))] + [
    (f"Taxable at {rate.normalize():f}%", Taxability.TAXABLE, rate) for rate in RATES if rate
]

# The form's fields: the name services.catalog.save_item knows them by, and the caption.
_CAPTIONS = (
    ("code", "&Code"),
    ("name", "&Name"),
    ("category", "Ca&tegory"),
    ("item_type", "T&ype"),
    ("price", "&Price (Rs.)"),
    ("cost", "C&ost (Rs.)"),
    ("hsn_sac", "&HSN/SAC"),
    ("tax_rate", "&GST"),
    ("max_discount_percent", "Max &discount"),
    ("barcode", "&Barcode"),
)

# In the order of the form (and of Tab): the date of a new price sits beside the price.
_FIELDS = [field for field, _caption in _CAPTIONS]
_FIELDS.insert(_FIELDS.index("price") + 1, "price_from")
# Fields that share one message line, each with the other.
_PARTNERS = {"price": "price_from", "price_from": "price", "tax_rate": "taxability"}


def _rupees_text(paise: int) -> str:
    """'4500.00': an amount as the manager types it (no grouping commas)."""
    return f"{paise // 100}.{paise % 100:02d}"


def _percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


class CatalogPanel(QWidget):
    """Lists, adds, changes, retires, imports and exports catalog items (managers; the
    rail hides the panel from the front desk).

    Signals:
        item_saved(str): an item was added or changed (its code).
        item_retired(str): an item was retired (its code).
        imported(object): a CSV was imported (the services.catalog.ItemImport).
        exported(int): the catalog was written to a CSV (the number of items).
        refreshed(): the table was just read again.
    """

    item_saved = Signal(str)
    item_retired = Signal(str)
    imported = Signal(object)
    exported = Signal(int)
    refreshed = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`folder` is where the CSV dialogs open first (the home folder by default)."""
        super().__init__(parent)
        self._db = db
        self._user = user
        self._branch = branch_info
        self._clock = clock
        self._folder = folder or Path.home()
        # A read of the list, and a change (save, retire, import, export): one counter each.
        self._reads = OpCounter(self)
        self._changes = OpCounter(self)
        # The item in the form (its code as last saved), or None for a new item.
        self._editing: CatalogRow | None = None
        self._select_after_read: str | None = None
        self.question: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None

        self.model = CatalogModel(self)
        self._build()
        self._shortcuts()
        self._show(None)

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("CatalogSearch")
        self.search_edit.setPlaceholderText("Code, name or barcode")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(120)
        self.search_edit.textChanged.connect(lambda _text: self._filter_changed())
        self.search_edit.installEventFilter(self)
        search_label = QLabel("&Search")
        search_label.setBuddy(self.search_edit)
        self.search_edit.setAccessibleName("Search")

        self.category_filter = QComboBox()
        self.category_filter.setAccessibleName("Category filter")
        self.category_filter.setToolTip("Show the items of one category")
        self.category_filter.addItem("All categories", "")
        self.category_filter.setMinimumContentsLength(12)
        self.category_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.category_filter.currentIndexChanged.connect(lambda _i: self._filter_changed())
        self.status_filter = QComboBox()
        self.status_filter.setAccessibleName("Status filter")
        self.status_filter.setToolTip("Show the items on sale, the retired ones, or both")
        for text, status in (
            ("Active", StatusFilter.ACTIVE),
            ("Retired", StatusFilter.RETIRED),
            ("All", StatusFilter.ALL),
        ):
            self.status_filter.addItem(text, status.value)
        self.status_filter.currentIndexChanged.connect(lambda _i: self._filter_changed())

        self.new_button = QPushButton("+ New item")
        self.new_button.setToolTip("Empty the form for a new item (Ctrl+N)")
        self.new_button.setAutoDefault(False)
        self.new_button.clicked.connect(lambda: self.new_item())
        self.import_button = QPushButton("Import CSV...")
        self.import_button.setAutoDefault(False)
        self.import_button.setToolTip(
            "Add or change items from a CSV in the columns Export writes; all or nothing"
        )
        self.import_button.clicked.connect(self.choose_import_file)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setAutoDefault(False)
        self.export_button.setToolTip("Write the items on sale to a CSV file")
        self.export_button.clicked.connect(self.choose_export_file)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(search_label)
        top.addWidget(self.search_edit, 1)
        top.addSpacing(6)
        top.addWidget(self.category_filter)
        top.addWidget(self.status_filter)
        top.addSpacing(12)
        top.addWidget(self.new_button)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)

        self.table = EmptyStateTable("Reading the catalog...")
        self.table.setObjectName("CatalogTable")
        self.table.setStyleSheet(theme.section("tabs-and-tables"))
        self.table.setAccessibleName("Catalog items")
        self.table.setModel(self.model)
        self.table.set_widths(_WIDEST, stretch=CatalogModel.NAME)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row())
        )
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)
        self.model.modelReset.connect(self._fit_columns)

        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Catalog status")

        self.count_label = QLabel()
        self.count_label.setObjectName("Muted")
        self.count_label.setAccessibleName("Items shown")
        under = QHBoxLayout()
        under.setSpacing(12)
        under.addWidget(self.status_label, 1)
        under.addWidget(self.count_label, 0, Qt.AlignmentFlag.AlignTop)

        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(self.table, 1)
        left.addLayout(under)

        self.form_pane = self._build_form()

        columns = QHBoxLayout()
        columns.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addWidget(self.form_pane)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 14, 16, 14)
        outer.setSpacing(12)
        outer.addLayout(top)
        outer.addLayout(columns, 1)
        FocusOnEntry(self, self.search_edit)

        chain = [
            self.search_edit,
            self.category_filter,
            self.status_filter,
            self.new_button,
            self.import_button,
            self.export_button,
            self.table,
            self.retire_button,
            *(self.form.inputs[field] for field in _FIELDS),
            self.save_bar.save_button,
            self.save_bar.revert_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _build_form(self) -> QFrame:
        pane = QFrame()
        pane.setObjectName("TotalsPane")  # the counter's side card: white, framed
        pane.setFixedWidth(FORM_WIDTH)
        # The date edit drawn as the promotion dialogs' are.
        pane.setStyleSheet(theme.section("spec-dialog"))

        self.heading = QLabel()
        self.heading.setObjectName("PaneHeading")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retire_button = QPushButton("Retire...")
        self.retire_button.setAutoDefault(False)
        self.retire_button.setToolTip("Take the item off sale for good; old invoices keep it")
        self.retire_button.clicked.connect(self.ask_retire)
        keep_place = self.retire_button.sizePolicy()
        keep_place.setRetainSizeWhenHidden(True)  # the heading stays put for a new item
        self.retire_button.setSizePolicy(keep_place)
        self.subheading = QLabel()
        self.subheading.setObjectName("Muted")
        self.subheading.setWordWrap(True)
        heading_row = QHBoxLayout()
        heading_row.setSpacing(8)
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.retire_button)

        self.code_edit = QLineEdit()
        self.code_edit.setMaxLength(30)
        self.code_edit.setPlaceholderText("Like BOTOX50")
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.category_combo = QComboBox()
        self.category_combo.setEditable(True)
        self.category_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        category_line = self.category_combo.lineEdit()
        assert category_line is not None  # the combo is editable
        category_line.setMaxLength(60)
        category_line.setPlaceholderText("Pick one or type a new one")
        self.type_combo = QComboBox()
        self.type_combo.addItem("Service", "service")
        self.type_combo.addItem("Product", "product")
        self.type_combo.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.price_edit = QLineEdit()
        self.price_edit.setPlaceholderText("Like 4500")
        self.price_edit.setToolTip("Rupees and paise, GST included")
        self.price_from_edit = QDateEdit()
        self.price_from_edit.setCalendarPopup(True)
        self.price_from_edit.setDisplayFormat("dd MMM yyyy")
        self.price_from_edit.setToolTip(
            "The first day of a new price or cost; invoices before it keep the old one"
        )
        from_label = QLabel("&from")
        from_label.setBuddy(self.price_from_edit)
        price_row = QWidget()
        price_line = QHBoxLayout(price_row)
        price_line.setContentsMargins(0, 0, 0, 0)
        price_line.setSpacing(6)
        price_line.addWidget(self.price_edit, 1)
        price_line.addWidget(from_label)
        price_line.addWidget(self.price_from_edit)
        self.cost_edit = QLineEdit()
        self.cost_edit.setPlaceholderText("What one costs the clinic")
        self.hsn_edit = QLineEdit()
        self.hsn_edit.setMaxLength(8)
        self.gst_combo = QComboBox()
        for text, taxability, rate in _GST_CHOICES:
            self.gst_combo.addItem(text, (taxability.value, str(rate)))
        self.discount_edit = QLineEdit()
        self.discount_edit.setPlaceholderText("0 to 100 percent")
        self.barcode_edit = QLineEdit()
        self.barcode_edit.setMaxLength(40)
        self.barcode_edit.setPlaceholderText("Scan or type; optional")

        widgets: dict[str, QWidget] = {
            "code": self.code_edit,
            "name": self.name_edit,
            "category": self.category_combo,
            "item_type": self.type_combo,
            "price": price_row,
            "cost": self.cost_edit,
            "hsn_sac": self.hsn_edit,
            "tax_rate": self.gst_combo,
            "max_discount_percent": self.discount_edit,
            "barcode": self.barcode_edit,
        }
        hints: dict[str, str | Callable[[], str]] = {"price": self._price_hint}
        focus: dict[str, QWidget] = {"price": self.price_edit}
        self.form = FieldForm(message_width=0)
        self.messages = self.form.messages
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 4, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        for index, (field, caption) in enumerate(_CAPTIONS):
            self.form.add_row(
                grid,
                2 * index,
                field,
                caption,
                widgets[field],
                hint=hints.get(field, ""),
                focus=focus.get(field),
                below=True,
            )
        self.price_from_edit.setAccessibleName("Price from")
        self.form.add_field(
            "price_from",
            self.price_from_edit,
            self.messages["price"],
            hint=self._price_hint,
            hide_when_empty=True,
        )
        # An error about taxability is about the GST field, which holds both.
        self.form.add_field(
            "taxability", self.gst_combo, self.messages["tax_rate"], hide_when_empty=True
        )
        for field in _FIELDS:
            self._watch(field)

        self.rules_note = QLabel(
            "A new price or cost takes effect from its date; invoices before it keep the "
            "price they were sold at. A retired item stays on the invoices that sold it."
        )
        self.rules_note.setObjectName("Muted")
        self.rules_note.setWordWrap(True)

        fields = QWidget()
        fields.setObjectName("CatalogForm")
        column = QVBoxLayout(fields)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(grid)
        column.addSpacing(12)
        column.addWidget(self.rules_note)
        column.addStretch(1)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.form_scroll.setWidget(fields)

        self.save_bar = SaveBar(self.save, self.revert)
        self.save_bar.revert_button.setText("Undo")
        self.save_bar.revert_button.setToolTip("Show the item as last saved again")
        self.save_status = QLabel()
        self.save_status.setWordWrap(True)
        self.save_status.setObjectName("SavedNote")
        self.save_status.setAccessibleName("Save status")
        # The bar's own status line, beside the buttons, would be a sliver in this narrow
        # pane: say how the save went on a line of its own under them.
        self.save_bar.status_label.hide()
        self.save_bar.status_label = self.save_status

        column = QVBoxLayout(pane)
        column.setContentsMargins(16, 12, 12, 12)
        column.setSpacing(6)
        column.addLayout(heading_row)
        column.addWidget(self.subheading)
        column.addSpacing(4)
        column.addWidget(self.form_scroll, 1)
        column.addSpacing(4)
        column.addWidget(self.save_bar)
        column.addWidget(self.save_status)
        return pane

    def _watch(self, field: str) -> None:
        widget = self.form.inputs[field]
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(lambda *_: self._edited(field))
        elif isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(lambda *_: self._edited(field))
        elif isinstance(widget, QDateEdit):
            widget.dateChanged.connect(lambda *_: self._edited(field))

    def _shortcuts(self) -> None:
        for keys, slot in (
            (QKeySequence(QKeySequence.StandardKey.Save), self.save),
            (QKeySequence("Ctrl+N"), self.new_item),
            (QKeySequence(QKeySequence.StandardKey.Find), self._focus_search),
        ):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            entering = key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            if watched is self.table and entering and self._editing is not None:
                self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
            if watched is self.search_edit and key == Qt.Key.Key_Down and self.model.rowCount():
                # From the search straight into the items it found.
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
                if not self.table.currentIndex().isValid():
                    self.table.setCurrentIndex(self.model.index(0, 0))
                return True
        elif event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    # -- background work -----------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing is being read or changed."""
        return self._reads.idle and self._changes.idle

    def is_saving(self) -> bool:
        """A change (save, retire, import, export) is under way."""
        return not self._changes.idle

    def _change(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object] | None = None,
    ) -> bool:
        """Run one change at a time; False (and nothing run) while another is under way."""
        if not self._changes.idle:
            self.say("Wait for the change under way to finish.", error=True)
            return False
        self._changes.run(call, on_success, on_failure or self._failed)
        return True

    def _failed(self, error: Exception) -> None:
        log_failure(error, "catalog panel failed")
        self.say(error_sentence(error), error=True)

    def say(self, text: str, *, error: bool = False) -> None:
        """Say how a change or a read went, under the table."""
        self.status_label.setObjectName("FieldError" if error else "SavedNote")
        restyle(self.status_label)
        self.status_label.setText(text)

    def _today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).date()

    def _stamp(self) -> str:
        return self._clock().astimezone(ZoneInfo(self._branch.details.timezone)).strftime("%H:%M")

    def set_branch_info(self, info: BranchInfo) -> None:
        """The branch's details changed (its time zone decides what 'today' is)."""
        self._branch = info

    # -- reading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def refresh(self) -> None:
        """Read the catalog again (every item; the filters apply on screen)."""
        number = self._reads.begin()
        db, user, now = self._db, self._user, self._clock()
        self._reads.run(
            lambda: catalog_service.list_items(db, user, now=now, include_retired=True),
            lambda rows: self._listed(number, rows),
            self._failed,
        )

    def _listed(self, number: int, rows: list[CatalogRow]) -> None:
        if not self._reads.is_latest(number):
            return
        keep = self._select_after_read or (self._editing.spec.code if self._editing else None)
        self._select_after_read = None
        self.model.set_rows(rows)
        self._fill_categories()
        self._reselect(keep)
        self._say_count()
        self.refreshed.emit()

    def _fill_categories(self) -> None:
        categories = self.model.categories()
        chosen = str(self.category_filter.currentData() or "")
        with QSignalBlocker(self.category_filter):
            self.category_filter.clear()
            self.category_filter.addItem("All categories", "")
            for category in categories:
                self.category_filter.addItem(category, category)
            self.category_filter.setCurrentIndex(max(self.category_filter.findData(chosen), 0))
        typed = self.category_combo.currentText()
        with QSignalBlocker(self.category_combo):
            self.category_combo.clear()
            self.category_combo.addItems(categories)
            self.category_combo.setCurrentText(typed)

    def _filter_changed(self) -> None:
        wanted = CatalogFilter(
            category=str(self.category_filter.currentData() or ""),
            status=StatusFilter(self.status_filter.currentData() or StatusFilter.ACTIVE),
            text=self.search_edit.text(),
        )
        self.model.set_filter(wanted)
        self._reselect(self._editing.spec.code if self._editing else None)
        self._say_count()

    def _say_count(self) -> None:
        shown, everything = self.model.rowCount(), len(self.model.everything())
        if not everything:
            self.table.empty_title = "The catalog is empty"
            self.table.empty_detail = "Press + New item, or import a CSV."
        else:
            self.table.empty_title = "No item matches"
            self.table.empty_detail = "Clear the search, or choose another category or status."
        self.table.viewport().update()
        self.count_label.setText(f"{shown} of {everything} items")

    def _reselect(self, code: str | None) -> None:
        """Select `code`'s row again after the rows changed, without touching the form."""
        reselect_row(self.table, self.model.row_of(code) if code else -1)

    def _fit_columns(self) -> None:
        """Show the columns that fit beside the names; the status only when retired items
        can be on show, the next price only when an item on show has one."""
        model = self.model
        rows = model.rows()
        wanted = [c for c in range(model.columnCount()) if c != CatalogModel.NAME]
        if all(status_of(r) == "Active" for r in rows):
            wanted.remove(CatalogModel.STATUS)
        if not any(r.next_price is not None for r in rows):
            wanted.remove(CatalogModel.NEXT_PRICE)
        widths = {column: self._column_width(column) for column in wanted}
        room = self.table.viewport().width() - _NAME_AT_LEAST
        for column in _DISPENSABLE:
            if sum(widths[c] for c in wanted) <= room:
                break
            wanted.remove(column)
        for column in range(model.columnCount()):
            hidden = column != CatalogModel.NAME and column not in wanted
            self.table.setColumnHidden(column, hidden)
            if not hidden and column in widths:
                self.table.setColumnWidth(column, widths[column])

    def _column_width(self, column: int) -> int:
        """The width of the widest text of `column` among the rows on show (or its header)."""
        cells = self.table.fontMetrics()
        header = self.table.horizontalHeader().fontMetrics()
        title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
        widest = max(
            [header.horizontalAdvance(title)]
            + [cells.horizontalAdvance(text) for text in self.model.column_texts(column)]
        )
        return min(widest + _CELL_PADDING, _WIDEST[column])

    # -- the form ------------------------------------------------------------------------

    def _row_chosen(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        chosen = self.model.row(row)
        if self._editing is not None and chosen.spec.code == self._editing.spec.code:
            return
        if self._kept_for_changes():
            return
        self._show(chosen)

    def has_changes(self) -> bool:
        """The form differs from the item as last read or saved (or from an empty form)."""
        return self._as_shown != (self.details(), self.price_from())

    def _kept_for_changes(self) -> bool:
        """With changes in the form (or a save under way), keep its item selected and say
        so; True when the form was kept. Nothing typed is ever dropped without Undo."""
        if not (self.has_changes() or self.is_saving()):
            return False
        self._reselect(self._editing.spec.code if self._editing else None)
        what = self._editing.spec.code if self._editing else "the new item"
        self.save_status.setObjectName("FieldError")
        restyle(self.save_status)
        self.save_status.setText(
            f"The changes to {what} are not saved: save them (Ctrl+S) or undo them first."
        )
        return True

    def editing(self) -> CatalogRow | None:
        """The item in the form as last read or saved; None for a new item."""
        return self._editing

    def new_item(self, *, focus: bool = True) -> None:
        """Empty the form for a new item (Ctrl+N); changes not saved keep the form as it is."""
        if self._kept_for_changes():
            return
        self._reselect(None)
        self._show(None)
        if focus:
            self.code_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def revert(self) -> None:
        """Show the item in the form as last saved again (or an empty form)."""
        self._show(self._editing)

    def _show(self, row: CatalogRow | None) -> None:
        self._editing = row
        day = self._today()
        today = QDate(day.year, day.month, day.day)
        with_blocked = [QSignalBlocker(w) for w in self.form.inputs.values()]
        try:
            self.price_from_edit.setMinimumDate(today)
            self.price_from_edit.setDate(today)
            if row is None:
                for edit in (self.code_edit, self.name_edit, self.price_edit, self.hsn_edit):
                    edit.clear()
                self.barcode_edit.clear()
                self.cost_edit.setText("0")
                self.discount_edit.setText("100")
                self.category_combo.setCurrentText(str(self.category_filter.currentData() or ""))
                self.type_combo.setCurrentIndex(0)
                self._choose_gst(Taxability.TAXABLE, Decimal(18))
            else:
                spec = row.spec
                self.code_edit.setText(spec.code)
                self.name_edit.setText(spec.name)
                self.category_combo.setCurrentText(spec.category)
                self.type_combo.setCurrentIndex(max(self.type_combo.findData(spec.item_type), 0))
                self.price_edit.setText(_rupees_text(spec.price))
                self.cost_edit.setText(_rupees_text(spec.cost))
                self.hsn_edit.setText(spec.hsn_sac)
                self._choose_gst(spec.taxability, spec.tax_rate)
                self.discount_edit.setText(_percent_text(spec.max_discount_percent))
                self.barcode_edit.setText(spec.barcode or "")
        finally:
            del with_blocked
        self._type_changed()
        self._show_heading()
        self.form.clear()
        self.save_status.clear()
        self._as_shown = (self.details(), self.price_from())

    def _choose_gst(self, taxability: Taxability, rate: Decimal) -> None:
        """Pick the GST choice for (taxability, rate); one the choices lack (an imported
        item's) is added as it is, so the form shows it and a save names what is wrong."""
        key = (taxability.value, str(rate.normalize() if rate else Decimal(0)))
        for index in range(self.gst_combo.count()):
            held = self.gst_combo.itemData(index)
            if (held[0], str(Decimal(held[1]).normalize() if Decimal(held[1]) else 0)) == key:
                self.gst_combo.setCurrentIndex(index)
                return
        self.gst_combo.addItem(f"{taxability.label} at {_percent_text(rate)}%", key)
        self.gst_combo.setCurrentIndex(self.gst_combo.count() - 1)

    def _show_heading(self) -> None:
        row = self._editing
        self.retire_button.setVisible(row is not None)
        self.retire_button.setEnabled(row is not None and not row.retired)
        if row is None:
            self.heading.setText("New item")
            self.subheading.setText("Fill in its details and save it (Ctrl+S).")
            return
        self.heading.setText(row.spec.code)
        if row.retired:
            self.subheading.setText("Retired: it can no longer be sold; old invoices keep it.")
        elif not row.is_active:
            self.subheading.setText("Off sale: the counter cannot sell it.")
        else:
            self.subheading.setText(f"On sale in {row.spec.category}.")

    def _price_hint(self) -> str:
        row = self._editing
        if row is None or row.next_price is None or row.next_price_from is None:
            return ""
        return f"Rs.{amount_text(row.next_price)} from {short_day(row.next_price_from)}."

    def _type_changed(self) -> None:
        service = self.type_combo.currentData() == "service"
        self.hsn_edit.setPlaceholderText(
            "SAC: 6 digits from 99, like 999722" if service else "HSN: 4, 6 or 8 digits"
        )

    def _edited(self, field: str) -> None:
        self.save_status.clear()
        if field in _PARTNERS:
            self.form.set_error(_PARTNERS[field], None)
        self.form.set_error(field, None)

    def field_error(self, field: str) -> str | None:
        """The error shown beside `field`, or None."""
        return self.form.error(field)

    def details(self) -> dict[str, object]:
        """The form as typed, in services.catalog.save_item's keys (not yet validated)."""
        taxability, rate = self.gst_combo.currentData()
        return {
            "code": self.code_edit.text(),
            "name": self.name_edit.text(),
            "category": self.category_combo.currentText(),
            "item_type": self.type_combo.currentData(),
            "price": self.price_edit.text().replace(",", "").strip(),
            "cost": self.cost_edit.text().replace(",", "").strip() or "0",
            "hsn_sac": self.hsn_edit.text(),
            "taxability": taxability,
            "tax_rate": rate,
            "max_discount_percent": self.discount_edit.text().strip() or "100",
            "barcode": self.barcode_edit.text(),
        }

    def price_from(self) -> date:
        shown = self.price_from_edit.date()
        return date(shown.year(), shown.month(), shown.day())

    # -- changing ------------------------------------------------------------------------

    def save(self) -> None:
        """Add the item in the form, or save the changes to the one being edited (Ctrl+S);
        a new price takes effect from the date beside it."""
        db, user, now = self._db, self._user, self._clock()
        data, starts = self.details(), self.price_from()
        replacing = self._editing.spec.code if self._editing else None
        self.form.clear()
        if self._change(
            lambda: catalog_service.save_item(
                db, user, data, now=now, replacing=replacing, price_from=starts
            ),
            self._saved,
            self._save_refused,
        ):
            self.save_bar.saving()

    def _saved(self, row: CatalogRow) -> None:
        self.save_bar.saved(self._stamp())
        self._show(row)
        verb = "Saved" if self.model.row_of(row.spec.code) >= 0 else "Added"
        later = ""
        if row.next_price is not None and row.next_price_from is not None:
            later = (
                f" From {short_day(row.next_price_from)} it sells at "
                f"Rs.{amount_text(row.next_price)}."
            )
        self.save_status.setText(f"{verb} {row.spec.code} at {self._stamp()}.{later}")
        self._select_after_read = row.spec.code
        self.item_saved.emit(row.spec.code)
        self.refresh()

    def _save_refused(self, error: Exception) -> None:
        self.save_bar.save_button.setEnabled(True)
        self.form.refused(error, self.save_status, fallback="code")

    def ask_retire(self) -> QMessageBox | None:
        """Ask before retiring the item in the form; the answer Retire retires it."""
        row = self._editing
        if row is None or row.retired or self.question is not None:
            return None
        box = QMessageBox(self)
        box.setObjectName("RetireQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Retire an item")
        box.setText(f"Retire {row.spec.code} ({row.spec.name})?")
        box.setInformativeText(
            "It can no longer be sold, and it stays on the invoices that sold it. "
            "A retired item cannot be put back on sale."
        )
        retire = box.addButton("Retire", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        for button in (retire, cancel):
            button.setMinimumWidth(button.sizeHint().width())
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def answered() -> None:
            self.question = None
            if box.clickedButton() is retire:
                self.retire(row.spec.code)
            else:
                self.retire_button.setFocus(Qt.FocusReason.OtherFocusReason)

        box.finished.connect(answered)
        self.question = box
        box.open()
        return box

    def retire(self, code: str) -> None:
        """Retire `code` (asked first by `ask_retire`)."""
        db, user, now = self._db, self._user, self._clock()
        self._change(lambda: catalog_service.retire_item(db, user, code, now=now), self._retired)

    def _retired(self, row: CatalogRow) -> None:
        self._show(row)
        self.say(f"Retired {row.spec.code}: it can no longer be sold and stays on old invoices.")
        self._select_after_read = row.spec.code
        self.item_retired.emit(row.spec.code)
        self.refresh()

    # -- CSV -----------------------------------------------------------------------------

    def _file_dialog(self, title: str, mode: QFileDialog.AcceptMode) -> QFileDialog:
        dialog = QFileDialog(self, title, str(self._folder), "CSV files (*.csv)")
        dialog.setAcceptMode(mode)
        dialog.setDefaultSuffix("csv")
        if mode is QFileDialog.AcceptMode.AcceptOpen:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result: self._file_dialog_closed(dialog))
        self.file_dialog = dialog
        return dialog

    def _file_dialog_closed(self, dialog: QFileDialog) -> None:
        if self.file_dialog is dialog:
            self.file_dialog = None

    def choose_import_file(self) -> QFileDialog:
        """Ask for a CSV to import (non-blocking); choosing one imports it."""
        dialog = self._file_dialog("Import the catalog", QFileDialog.AcceptMode.AcceptOpen)
        dialog.fileSelected.connect(lambda chosen: self.import_csv(Path(chosen)))
        dialog.open()
        return dialog

    def choose_export_file(self) -> QFileDialog:
        """Ask where to write the catalog (non-blocking); choosing a file writes it."""
        dialog = self._file_dialog("Export the catalog", QFileDialog.AcceptMode.AcceptSave)
        dialog.selectFile(f"catalog-{self._today().isoformat()}.csv")
        dialog.fileSelected.connect(lambda chosen: self.export_csv(Path(chosen)))
        dialog.open()
        return dialog

    def import_csv(self, source: Path) -> None:
        """Add or change items from `source`, all or nothing; then say what changed."""
        self._folder = source.parent
        db, user, now = self._db, self._user, self._clock()
        if self._change(
            lambda: catalog_service.import_items(db, user, source, now=now), self._imported
        ):
            self.say(f"Importing {source.name}...")

    def _imported(self, result: ItemImport) -> None:
        self.say(f"{result.added} added, {result.changed} changed, {result.unchanged} unchanged.")
        self.imported.emit(result)
        self.refresh()

    def export_csv(self, target: Path) -> None:
        """Write the items on sale to `target` as CSV."""
        if target.suffix.lower() != ".csv":
            target = target.with_name(f"{target.name}.csv")
        self._folder = target.parent
        db, user, now = self._db, self._user, self._clock()

        def written(count: int) -> None:
            self.say(f"Wrote {count} items to {target.name}.")
            self.exported.emit(count)

        self._change(lambda: catalog_service.export_items(db, user, target, now=now), written)
