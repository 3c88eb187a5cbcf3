"""Forms whose every field has its message beside it.

A row is caption | input | message. The message is the field's hint while its value is
fine, and the sentence that refused it after a save: a `FrontdeskError` whose `field` names
a field of the form is shown beside that field, which is marked in red, takes the focus and
is scrolled into view. `SaveBar` is the Save / Undo buttons of a settings form with the line
that says how the save went; `timezone_combo` the time-zone field the forms share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QWidget,
)

from desktop.errors import error_sentence
from domain.branch import timezone_names
from domain.errors import BadInput, FrontdeskError
from domain.log import ui as log

MARKED_IN_RED = "Not saved: correct the field marked in red."

# A field's hint, or what works it out when it is shown (it may depend on other fields).
Hint = str | Callable[[], str]


def restyle(widget: QWidget) -> None:
    """Apply the stylesheet again after an object name or property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FieldRow:
    """One field: the message label beside it, the input that takes the focus, and the
    widgets drawn in red (`invalid`) while the field is refused."""

    def __init__(
        self,
        message: QLabel,
        focus: QWidget | Callable[[], QWidget],
        marked: Sequence[QWidget],
        hint: Hint,
        parts: Sequence[QWidget] = (),
        hide_when_empty: bool = False,
    ) -> None:
        self.message = message
        self._focus = focus
        self.marked = tuple(marked)
        self.hint = hint
        self.parts = tuple(parts)
        self._hide_when_empty = hide_when_empty

    def hint_text(self) -> str:
        return self.hint() if callable(self.hint) else self.hint

    def focus_widget(self) -> QWidget:
        """The input to put the cursor in when the field is refused."""
        return self._focus if isinstance(self._focus, QWidget) else self._focus()

    def set_error(self, error: str | None) -> None:
        """Show `error` beside the field, or its hint when there is none."""
        name = "Hint" if error is None else "FieldError"
        # Restyling is the costly part (a form clears every field when it opens): only when
        # the look really changes.
        changed = self.message.objectName() != name or any(
            bool(widget.property("invalid")) != (error is not None) for widget in self.marked
        )
        self.message.setObjectName(name)
        self.message.setText(self.hint_text() if error is None else error)
        if self._hide_when_empty and (self.message.parentWidget() or not self.message.text()):
            self.message.setVisible(bool(self.message.text()))
        if changed:
            for widget in self.marked:
                widget.setProperty("invalid", error is not None)
            for widget in (self.message, *self.marked):
                restyle(widget)

    def error(self) -> str | None:
        """The error shown beside the field, or None when it shows its hint."""
        return self.message.text() if self.message.objectName() == "FieldError" else None


class FieldForm:
    """The fields of one form by name, and what a refused save says beside them.

    `message_width` is the least width of a message (so the messages line up); rows are
    aligned to their top unless `centred` (one-line inputs such as spin boxes).
    """

    def __init__(self, *, message_width: int = 230, centred: bool = False) -> None:
        self.rows: dict[str, FieldRow] = {}
        self.inputs: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self._message_width = message_width
        self._centred = centred

    def add_row(
        self,
        grid: QGridLayout,
        row: int,
        field: str,
        caption: str,
        widget: QWidget,
        *,
        hint: Hint = "",
        focus: QWidget | Callable[[], QWidget] | None = None,
        marked: Sequence[QWidget] | None = None,
        below: bool = False,
    ) -> FieldRow:
        """Caption, input and message in one row of `grid` (columns 0, 1 and 2). `focus` is
        the input inside `widget` that the caption and a refusal lead to; `marked` what is
        drawn in red when the field is refused (the input by default). With `below`, the
        message goes under the input (row + 1), shown only while it has something to say:
        for a wide input that leaves no room beside it."""
        name = caption.replace("&", "")
        label = QLabel(caption)
        message = QLabel(hint if isinstance(hint, str) else "")
        message.setObjectName("Hint")
        message.setWordWrap(True)
        message.setMinimumWidth(self._message_width)
        message.setAccessibleName(f"{name} message")
        named = focus if isinstance(focus, QWidget) else widget
        label.setBuddy(named)
        named.setAccessibleName(name)
        if self._centred:
            align = Qt.AlignmentFlag.AlignVCenter
            grid.addWidget(label, row, 0, align | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(widget, row, 1, align | Qt.AlignmentFlag.AlignLeft)
        else:
            align = Qt.AlignmentFlag.AlignTop
            # The first line of text sits level with the input's text, not its frame.
            label.setContentsMargins(0, 6, 0, 0)
            message.setContentsMargins(0, 6, 0, 0)
            grid.addWidget(label, row, 0, align | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(widget, row, 1, align)
        if below:
            grid.addWidget(message, row + 1, 1, 1, 2)
        else:
            grid.addWidget(message, row, 2, align)
        return self.add_field(
            field,
            widget,
            message,
            hint=hint,
            focus=focus,
            marked=marked,
            parts=(label, widget, message),
            hide_when_empty=below,
        )

    def add_field(
        self,
        field: str,
        widget: QWidget,
        message: QLabel,
        *,
        hint: Hint = "",
        focus: QWidget | Callable[[], QWidget] | None = None,
        marked: Sequence[QWidget] | None = None,
        parts: Sequence[QWidget] = (),
        hide_when_empty: bool = False,
    ) -> FieldRow:
        """A field whose message is laid out by the caller: under a group of inputs, or
        shared with another field's row."""
        target = focus or widget
        if marked is None:
            marked = (target,) if isinstance(target, QWidget) else (widget,)
        found = FieldRow(message, target, marked, hint, parts, hide_when_empty)
        self.rows[field] = found
        self.inputs[field] = target if isinstance(target, QWidget) else widget
        self.messages[field] = message
        if hide_when_empty and not message.text():
            # Hidden now; shown with its parent otherwise (a label shown before it has a
            # parent would open as a window of its own).
            message.hide()
        return found

    def set_visible(self, field: str, visible: bool) -> None:
        """Show or hide a field's whole row (caption, input and message)."""
        for widget in self.rows[field].parts:
            widget.setVisible(visible)

    def set_error(self, field: str, error: str | None) -> None:
        """Show `error` beside the field, or its hint when there is none."""
        self.rows[field].set_error(error)

    def clear(self) -> None:
        """Every field shows its hint again."""
        for row in self.rows.values():
            row.set_error(None)

    def error(self, field: str) -> str | None:
        """The error shown beside `field`, or None."""
        return self.rows[field].error()

    def errors(self) -> dict[str, str]:
        """Every error on show, by field."""
        return {field: text for field, row in self.rows.items() if (text := row.error())}

    def show_beside(
        self, error: FrontdeskError, field: str | None = None, fallback: str = ""
    ) -> bool:
        """Show a refused value's sentence beside its field, put the cursor there and scroll
        it into view; False when the error names no field of this form.

        The field is `field` if given, else the error's own `field`; a BadInput naming none
        of the form's fields goes beside `fallback` (a field about the whole form)."""
        name = field if field is not None else getattr(error, "field", None)
        if name not in self.rows:
            name = fallback if isinstance(error, BadInput) else None
        if not name or name not in self.rows:
            return False
        row = self.rows[name]
        row.set_error(str(error))
        target = row.focus_widget()
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        _scroll_into_view(target, row.message)
        return True

    def refused(
        self, error: Exception, status: QLabel, *, field: str | None = None, fallback: str = ""
    ) -> None:
        """Say why a save was refused: beside the field it names (see `show_beside`), else
        in the status line; an error that is not ours is a bug, logged with its trace."""
        status.setObjectName("FieldError")
        restyle(status)
        if isinstance(error, FrontdeskError):
            if self.show_beside(error, field, fallback):
                status.setText(MARKED_IN_RED)
            else:
                status.setText(f"Not saved. {error_sentence(error)}")
            return
        log.error("saving a form failed", exc_info=error)
        status.setText(f"Not saved. {error_sentence(error)}")


def _scroll_into_view(*widgets: QWidget) -> None:
    """Scroll the nearest scroll area so the widgets show (the last one first of all)."""
    area = _scroll_area(widgets[0])
    if area is None:
        return
    content = area.widget()
    layout = None if content is None else content.layout()
    if layout is not None:
        layout.activate()  # a message that just changed moves the rows below it

    def show() -> None:
        for widget in widgets:
            if widget.isVisible():
                area.ensureWidgetVisible(widget, 24, 24)

    show()
    # A message that wraps onto more lines grows once the layout has run: look again then.
    QTimer.singleShot(0, area, show)


def _scroll_area(widget: QWidget) -> QScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


class SaveBar(QWidget):
    """Save (Ctrl+S) and Undo changes, with the line that says how the save went."""

    def __init__(
        self, save: Callable[[], None], revert: Callable[[], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.save_button = QPushButton("Save  (Ctrl+S)")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(save)
        self.revert_button = QPushButton("Undo changes")
        self.revert_button.setAutoDefault(False)
        self.revert_button.clicked.connect(revert)
        self.status_label = QLabel()
        self.status_label.setObjectName("SavedNote")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Save status")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.save_button)
        row.addWidget(self.revert_button)
        row.addSpacing(6)
        row.addWidget(self.status_label, 1)

    def set_editable(self, editable: bool) -> None:
        """A person who may not change the form sees no buttons."""
        self.save_button.setVisible(editable)
        self.revert_button.setVisible(editable)

    def saving(self) -> None:
        self.save_button.setEnabled(False)
        self._say("Muted", "Saving...")

    def saved(self, stamp: str) -> None:
        """Saved at `stamp` (the branch's clock, HH:MM)."""
        self.save_button.setEnabled(True)
        self._say("SavedNote", f"Saved at {stamp}.")

    def refused(self, form: FieldForm, error: Exception) -> None:
        """The save was refused: say why (see `FieldForm.refused`)."""
        self.save_button.setEnabled(True)
        form.refused(error, self.status_label)

    def _say(self, kind: str, text: str) -> None:
        self.status_label.setObjectName(kind)
        restyle(self.status_label)
        self.status_label.setText(text)


def timezone_combo() -> QComboBox:
    """An editable list of IANA zones that finds a zone by any part of its name."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(timezone_names())
    combo.setMaxVisibleItems(15)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    return combo
