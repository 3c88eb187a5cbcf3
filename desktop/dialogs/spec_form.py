"""What the promotion and promo code dialogs share: date edits that may hold "no date", list
fields for item codes and categories, and saving through a service call in the background,
a refusal shown beside its field (desktop.widgets.form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from db.engine import Database
from desktop.widgets.form import FieldForm
from desktop.widgets.type_ahead import TypeAheadField
from desktop.workers import BackgroundOp
from services import catalog
from services.catalog import CatalogEntry

_ICONS = Path(str(importlib_resources.files("resources").joinpath("icons"))).as_posix()


# Inputs in the dialogs are this wide, so the messages beside them line up.
INPUT_WIDTH = 330


def split_list(text: str) -> list[str]:
    """'PEEL-GLY, peel-sal,' -> ['PEEL-GLY', 'peel-sal']."""
    return [part.strip() for part in text.split(",") if part.strip()]


def join_list(values: Sequence[str]) -> str:
    return ", ".join(values)


class OptionalDateEdit(QWidget):
    """A date, or none: a date edit with a calendar and a "No date" box beside it."""

    def __init__(self, no_date_text: str = "No date", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd MMM yyyy")
        self.date_edit.setMinimumWidth(140)
        self.none_box = QCheckBox(no_date_text)
        self.none_box.toggled.connect(lambda checked: self.date_edit.setEnabled(not checked))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        row.addWidget(self.date_edit)
        row.addWidget(self.none_box)
        row.addStretch(1)
        self.setFocusProxy(self.date_edit)
        self.set_date(None)

    def set_date(self, day: date | None, *, default: date | None = None) -> None:
        shown = day or default
        self.date_edit.setDate(
            QDate.currentDate() if shown is None else QDate(shown.year, shown.month, shown.day)
        )
        self.none_box.setChecked(day is None)
        self.date_edit.setEnabled(day is not None)

    def date(self) -> date | None:
        if self.none_box.isChecked():
            return None
        value = self.date_edit.date().toPython()
        assert isinstance(value, date)
        return value

    def iso(self) -> str | None:
        day = self.date()
        return None if day is None else day.isoformat()


class ListCompleter(QCompleter):
    """Completes the last entry of a comma-separated list, matching anywhere in the name."""

    def __init__(self, parent: QLineEdit) -> None:
        self.names = QStringListModel()
        super().__init__(self.names, parent)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._edit = parent

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 (Qt's name)
        return [path.split(",")[-1].strip()]

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:  # noqa: N802
        parts = self._edit.text().split(",")[:-1]
        return join_list([*[p.strip() for p in parts if p.strip()], str(index.data())])


class CategoriesField(QLineEdit):
    """Categories as a comma-separated list, completed from the catalog's categories."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("e.g. Peels, Laser")
        self.list_completer = ListCompleter(self)
        self.setCompleter(self.list_completer)

    def set_choices(self, names: Sequence[str]) -> None:
        self.list_completer.names.setStringList(list(names))

    def values(self) -> list[str]:
        return split_list(self.text())

    def set_values(self, values: Sequence[str]) -> None:
        self.setText(join_list(values))


class ItemCodesField(TypeAheadField[CatalogEntry]):
    """Item codes as a comma-separated list; typing searches the catalog for the last one."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(
            lambda text: catalog.find_items(db, text.split(",")[-1]),
            lambda entry: (entry.code, entry.name),
            list_width=420,
            parent=parent,
        )
        self.setPlaceholderText("Type a code or name, e.g. PEEL-GLY")
        self.chosen.connect(self._chosen)

    def _chosen(self, entry: CatalogEntry) -> None:
        parts = split_list(self.text())[:-1]
        if entry.code not in parts:
            parts.append(entry.code)
        self.setText(join_list(parts) + ", ")

    def values(self) -> list[str]:
        return [code.upper() for code in split_list(self.text())]

    def set_values(self, values: Sequence[str]) -> None:
        self.setText(join_list(values))


def plain_number_box(box: QAbstractSpinBox) -> QAbstractSpinBox:
    """A spin or time box that looks like the line edits: typed, no arrows (DIALOG_STYLE)."""
    line = box.findChild(QLineEdit)
    if line is not None:
        line.setTextMargins(6, 0, 6, 0)
    return box


def optional_text(edit: QLineEdit) -> str | None:
    """What was typed, or None when the field is empty (no limit / no amount)."""
    text = edit.text().strip()
    return text or None


class SpecDialog(QDialog):
    """A dialog that saves what it shows with one service call run in the background.

    Subclasses build `self.form`, give `spec()` and `save_call(spec)`; a refusal that names
    a field shows beside it (a SpecError naming none beside `fallback_field`), anything else
    in the status line under the form.

    Signals:
        saved(object): what the service returned; the dialog then closes.
    """

    saved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = FieldForm()
        self.status_label = QLabel()
        self.status_label.setObjectName("FieldError")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Save status")
        self._op: BackgroundOp[Any] | None = None
        # A refused field whose name the form does not know is shown here instead.
        self.fallback_field = ""

    def button_box(self) -> QDialogButtonBox:
        """Save (the default button, `self.save_button`) and Cancel."""
        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("SaveButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        return buttons

    def fit(self, width: int, height: int) -> None:
        """Open at this size, or smaller when the window it belongs to is (the form
        scrolls, and a refused field is scrolled into view)."""
        size = QSize(width, height)
        parent = self.parentWidget()
        if parent is not None:
            size = size.boundedTo(parent.window().size())
        self.resize(size)

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def save_call(self, spec: dict[str, Any]) -> Callable[[], object]:
        raise NotImplementedError

    def is_saving(self) -> bool:
        return self._op is not None

    def save(self) -> None:
        """Validate and save in the background; close when saved."""
        if self._op is not None:
            return
        self.form.clear()
        self.status_label.clear()
        call = self.save_call(self.spec())
        self._set_busy(True)
        self._op = (
            BackgroundOp(self, call).success(self._saved).failure(self._refused)
        ).run_in_background()

    def _set_busy(self, busy: bool) -> None:
        for button in self.findChildren(QWidget, "SaveButton"):
            button.setEnabled(not busy)

    def _saved(self, result: object) -> None:
        self._op = None
        self._set_busy(False)
        self.saved.emit(result)
        self.accept()

    def refused_field(self, field: str) -> str:
        """The form's field for a field the service refused (the same name unless a
        dialog shows it elsewhere)."""
        return field

    def _refused(self, error: Exception) -> None:
        self._op = None
        self._set_busy(False)
        field = getattr(error, "field", None)
        self.form.refused(
            error,
            self.status_label,
            field=None if not isinstance(field, str) else self.refused_field(field),
            fallback=self.fallback_field,
        )
