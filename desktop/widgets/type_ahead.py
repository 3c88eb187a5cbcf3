"""A line edit that searches as the person types and offers what it found in a list below.

The search runs in a background op a moment after the last keystroke; a result that arrives
after newer typing is dropped (each search carries a sequence number). The list is a child
of the window drawn over whatever lies below the field, so it never takes the focus: the
arrow keys move through it, Enter picks, Esc closes it, a click picks too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import QPoint, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QLineEdit, QTreeView, QWidget

from desktop.workers import BackgroundOp, show_error

T = TypeVar("T")

DEBOUNCE_MS = 150
MAX_VISIBLE_ROWS = 8


class SuggestionList(QTreeView):
    """The list of suggestions under a TypeAheadField (no focus of its own).

    Signals:
        picked(int): the row clicked.
    """

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SuggestionList")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setHeaderHidden(True)
        self.setAllColumnsShowFocus(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.clicked.connect(lambda index: self.picked.emit(index.row()))
        self.hide()


class TypeAheadField(QLineEdit, Generic[T]):
    """Search-as-you-type over `search(text) -> list[T]`, each result shown as `columns(T)`.

    Signals:
        chosen(object): a suggestion was picked (the T).
        entered(str): Enter was pressed with no suggestion list open (the text as typed).
        results_shown(int): a search's results arrived and are on show (how many).
    """

    chosen = Signal(object)
    entered = Signal(str)
    results_shown = Signal(int)

    def __init__(
        self,
        search: Callable[[str], Sequence[T]],
        columns: Callable[[T], Sequence[str]],
        *,
        pool: QThreadPool | None = None,
        list_width: int = 0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._search = search
        self._columns = columns
        self._pool = pool
        self._list_width = list_width
        self._results: list[T] = []
        self._results_for: str | None = None
        self._sequence = 0
        self._in_flight = 0
        self._pick_single = False

        self._model = QStandardItemModel(self)
        self.suggestions = SuggestionList()
        self.suggestions.setModel(self._model)
        self.suggestions.picked.connect(self._pick)
        self.destroyed.connect(self.suggestions.deleteLater)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.textEdited.connect(self._edited)

    # -- state, for the owner and for tests ----------------------------------------------

    def suggestions_visible(self) -> bool:
        return self.suggestions.isVisible()

    def suggestion_texts(self) -> list[list[str]]:
        """What the list shows, row by row."""
        return [
            [self._model.item(row, column).text() for column in range(self._model.columnCount())]
            for row in range(self._model.rowCount())
        ]

    def results(self) -> list[T]:
        return list(self._results)

    def is_busy(self) -> bool:
        """A search is waiting to start or running."""
        return self._debounce.isActive() or self._in_flight > 0

    # -- searching -----------------------------------------------------------------------

    def _edited(self, text: str) -> None:
        self._pick_single = False
        if text.strip():
            self._debounce.start()
        else:
            self.cancel()

    def cancel(self) -> None:
        """Forget any search under way and close the list."""
        self._debounce.stop()
        self._sequence += 1
        self._pick_single = False
        self.hide_suggestions()

    def search_now(self, *, pick_single: bool = False) -> None:
        """Search for the text as it is now; with `pick_single`, a lone result is chosen."""
        self._debounce.stop()
        text = self.text().strip()
        if not text:
            return
        self._sequence += 1
        sequence, search = self._sequence, self._search
        self._pick_single = pick_single
        self._in_flight += 1
        BackgroundOp(self, lambda: list(search(text))).success(
            lambda found: self._found(sequence, text, found)
        ).failure(lambda error: self._failed(sequence, error)).run_in_background(self._pool)

    def _failed(self, sequence: int, error: Exception) -> None:
        self._in_flight -= 1
        if sequence == self._sequence:
            show_error(self, error)

    def _found(self, sequence: int, text: str, found: list[T]) -> None:
        self._in_flight -= 1
        if sequence != self._sequence or text != self.text().strip():
            return  # the person typed on; a newer search is coming
        self.show_results(found, text)
        if self._pick_single and len(found) == 1:
            self._pick(0)
        self._pick_single = False

    def show_results(self, found: Sequence[T], text: str | None = None) -> None:
        """Show `found` in the list (the first one current), or close it when empty."""
        self._results = list(found)
        self._results_for = self.text().strip() if text is None else text
        self._model.clear()
        for result in self._results:
            cells = [QStandardItem(cell) for cell in self._columns(result)]
            for column, cell in enumerate(cells):
                cell.setEditable(False)
                if column == 0:
                    font = cell.font()
                    font.setBold(True)
                    cell.setFont(font)
            self._model.appendRow(cells)
        if not self._results:
            self.hide_suggestions()
        else:
            self._place_suggestions()
            self.suggestions.setCurrentIndex(self._model.index(0, 0))
        self.results_shown.emit(len(self._results))

    def _place_suggestions(self) -> None:
        window = self.window()
        view = self.suggestions
        if view.parentWidget() is not window:
            view.setParent(window)
        header = view.header()
        for column in range(self._model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        width = max(self.width(), self._list_width)
        rows = min(self._model.rowCount(), MAX_VISIBLE_ROWS)
        row_height = view.sizeHintForRow(0) if rows else 0
        height = rows * max(row_height, 1) + 2 * view.frameWidth() + 2
        below = self.mapTo(window, QPoint(0, self.height() + 2))
        width = min(width, max(window.width() - below.x() - 8, self.width()))
        view.setGeometry(below.x(), below.y(), width, height)
        view.show()
        view.raise_()

    def hide_suggestions(self) -> None:
        self.suggestions.hide()

    def _pick(self, row: int) -> None:
        if not 0 <= row < len(self._results):
            return
        result = self._results[row]
        self.hide_suggestions()
        self._debounce.stop()
        self._sequence += 1
        self.chosen.emit(result)

    # -- keys ----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        key = event.key()
        if self.suggestions.isVisible():
            current = self.suggestions.currentIndex().row()
            count = self._model.rowCount()
            moves = {
                Qt.Key.Key_Down: 1,
                Qt.Key.Key_Up: -1,
                Qt.Key.Key_PageDown: MAX_VISIBLE_ROWS,
                Qt.Key.Key_PageUp: -MAX_VISIBLE_ROWS,
            }
            if key in moves:
                row = min(max(current + moves[Qt.Key(key)], 0), count - 1)
                self.suggestions.setCurrentIndex(self._model.index(row, 0))
                event.accept()
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._results_for == self.text().strip():
                    self._pick(max(current, 0))
                    event.accept()
                    return
                # The list is from before the last keystrokes: treat Enter as typed.
                self.hide_suggestions()
            elif key == Qt.Key.Key_Escape:
                self.cancel()
                event.accept()
                return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._debounce.stop()
            self.entered.emit(self.text())
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        # A popup of our own (a context menu) takes the focus only for a moment.
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.hide_suggestions()
        super().focusOutEvent(event)
