"""A keyboard-wedge barcode scanner, heard from whichever field of a screen has the focus.

A scanner types the code's digits much faster than a person (a few milliseconds apart) and
then Enter. The listener watches key presses aimed at widgets inside its screen; when Enter
closes a fast burst of digits that form a valid GTIN (EAN-8, UPC-A, EAN-13, GTIN-14), it
swallows the Enter, puts back the text of the field the digits landed in, and reports the
code. A 10-digit mobile number typed by hand is never a GTIN length, so it stays typed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QWidget

# People type at best ~60 ms apart; scanners a few ms. Anything slower ends a burst.
MAX_GAP_S = 0.035
GTIN_LENGTHS = (8, 12, 13, 14)


def is_gtin(code: str) -> bool:
    """True when `code` is an EAN-8, UPC-A, EAN-13 or GTIN-14 with a correct check digit."""
    if len(code) not in GTIN_LENGTHS or not code.isdigit():
        return False
    body, check = code[:-1], int(code[-1])
    # Weights 3, 1, 3, ... from the digit next to the check digit leftwards.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def _line_edit(widget: QWidget) -> QLineEdit | None:
    if isinstance(widget, QLineEdit):
        return widget
    if isinstance(widget, QAbstractSpinBox):
        return widget.findChild(QLineEdit)
    return None


class BarcodeListener(QObject):
    """Listens for scans in `scope` (a screen) through an application event filter.

    Signals:
        scanned(str, object): (the code, the widget that had the focus).
    """

    scanned = Signal(str, object)

    def __init__(
        self,
        scope: QWidget,
        *,
        max_gap_s: float = MAX_GAP_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(scope)
        self._scope = scope
        self._max_gap = max_gap_s
        self._clock = clock
        self._digits: list[str] = []
        self._last = 0.0
        self._target: QWidget | None = None
        self._before: tuple[str, int] | None = None
        app = QApplication.instance()
        if app is not None:
            # Removed by Qt itself when this object is destroyed with its screen.
            app.installEventFilter(self)

    def _in_scope(self, widget: QObject) -> bool:
        if not isinstance(widget, QWidget) or widget is not QApplication.focusWidget():
            return False
        scope = self._scope
        return scope.isVisible() and (widget is scope or scope.isAncestorOf(widget))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.KeyPress or not self._in_scope(watched):
            return False
        assert isinstance(event, QKeyEvent) and isinstance(watched, QWidget)
        now = self._clock()
        fast = bool(self._digits) and now - self._last <= self._max_gap
        text = event.text()
        plain = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if len(text) == 1 and text.isdigit() and plain == Qt.KeyboardModifier.NoModifier:
            if fast and watched is self._target:
                self._digits.append(text)
            else:
                self._start(watched, text)
            self._last = now
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and fast:
            code = "".join(self._digits)
            target, before = self._target, self._before
            self._reset()
            if watched is target and is_gtin(code):
                edit = _line_edit(watched)
                if edit is not None and before is not None:
                    edit.setText(before[0])
                    edit.setCursorPosition(before[1])
                self.scanned.emit(code, watched)
                return True
            return False
        self._reset()
        return False

    def _start(self, widget: QWidget, digit: str) -> None:
        self._digits = [digit]
        self._target = widget
        edit = _line_edit(widget)
        self._before = (edit.text(), edit.cursorPosition()) if edit is not None else None
        if edit is not None and edit.hasSelectedText():
            # The first digit replaces the selection; putting the text back restores it.
            self._before = (edit.text(), edit.selectionStart())

    def _reset(self) -> None:
        self._digits = []
        self._target = None
        self._before = None
