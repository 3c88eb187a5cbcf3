"""The promo codes at the counter: the field and Apply, a line on the code being typed, and
a row per code on the invoice with what became of it and a Remove button."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class CodeLine:
    """One code's row. `kind` is the row's object name for the stylesheet: CodeChecking,
    CodeApplied or CodeRefused; `removable` shows its Remove button, `enabled` lets it work."""

    code: str
    text: str
    kind: str
    removable: bool = True
    enabled: bool = True


class PromoCodes(QWidget):
    """The codes area beside the totals.

    Signals:
        apply_requested(str): Enter in the field or Apply, with the code typed (trimmed,
            upper case; '' when the field is empty).
        remove_requested(str): a code's Remove button was pressed.
        typed(str): the field's text, as the person edits it.
    """

    apply_requested = Signal(str)
    remove_requested = Signal(str)
    typed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code_field = QLineEdit()
        self.code_field.setObjectName("PromoCode")
        self.code_field.setPlaceholderText("Promo code")
        self.code_field.setAccessibleName("Promo code")
        self.code_field.setMaxLength(40)
        self.code_field.returnPressed.connect(self._apply)
        self.code_field.textEdited.connect(self.typed)
        code_label = QLabel("&Code")
        code_label.setObjectName("FieldCaption")
        code_label.setBuddy(self.code_field)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setAutoDefault(False)
        self.apply_button.clicked.connect(self._apply)
        self.entry_row = QWidget()
        entry = QHBoxLayout(self.entry_row)
        entry.setContentsMargins(0, 0, 0, 0)
        entry.setSpacing(8)
        entry.addWidget(code_label)
        entry.addWidget(self.code_field, 1)
        entry.addWidget(self.apply_button)

        self.status_label = QLabel()
        self.status_label.setObjectName("Hint")
        self.status_label.setAccessibleName("Promo code status")
        self.status_label.setWordWrap(True)
        self.status_label.hide()

        self._rows = QVBoxLayout()
        self._rows.setSpacing(6)
        self._removes: list[QToolButton] = []

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(12)
        column.addWidget(self.entry_row)
        column.addWidget(self.status_label)
        column.addLayout(self._rows)

    def _apply(self) -> None:
        self.apply_requested.emit(self.code_field.text().strip().upper())

    # -- the code being typed ------------------------------------------------------------

    def show_status(self, text: str) -> None:
        """Say what the code being typed is ('3 uses remaining'); '' hides the line."""
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def status_message(self) -> str:
        return self.status_label.text() if self.status_label.isVisible() else ""

    # -- the codes on the invoice --------------------------------------------------------

    def show_codes(self, lines: Sequence[CodeLine]) -> None:
        """One row per code, in order. A Remove button that had the focus hands it to the
        new row of the same code."""
        focused = next((b for b in self._removes if b.hasFocus()), None)
        focused_code = str(focused.property("code")) if focused is not None else None
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._removes = []
        for line in lines:
            row = QFrame()
            row.setObjectName(line.kind)
            layout = QHBoxLayout(row)
            layout.setContentsMargins(10, 6, 6, 6)
            layout.setSpacing(6)
            label = QLabel(line.text)
            label.setObjectName(line.kind + "Text")
            label.setWordWrap(True)
            remove = QToolButton()
            remove.setText("Remove")
            remove.setObjectName("RemoveCode")
            remove.setProperty("code", line.code)
            remove.setToolTip(f"Remove the code {line.code}")
            remove.setAccessibleName(f"Remove {line.code}")
            remove.clicked.connect(
                lambda _checked=False, c=line.code: self.remove_requested.emit(c)
            )
            remove.setEnabled(line.enabled)
            layout.addWidget(label, 1)
            layout.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)
            # Only once it has a parent: shown before, it would open as a window of its own.
            remove.setHidden(not line.removable)
            self._rows.addWidget(row)
            self._removes.append(remove)
            if line.code == focused_code:
                remove.setFocus(Qt.FocusReason.OtherFocusReason)

    def remove_buttons(self) -> list[QToolButton]:
        """Each code's Remove button, in the order of the rows."""
        return list(self._removes)

    def messages(self) -> list[str]:
        """What each code's row says, in order."""
        texts = []
        for index in range(self._rows.count()):
            item = self._rows.itemAt(index)
            widget = item.widget() if item is not None else None
            label = widget.findChild(QLabel) if widget is not None else None
            if label is not None:
                texts.append(label.text())
        return texts
