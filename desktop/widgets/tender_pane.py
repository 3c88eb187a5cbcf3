"""The tender at the counter: payment lines in any mix, keyboard first (UI.md, "Tender").

A digit picks the method (1 Cash, 2 UPI, ...), the amount field then holds what is due,
selected, so typing replaces it; Enter adds the line (a method that needs a reference asks
for it first). Cash shows the change. Del removes the highlighted line; Esc steps back
(from the amount to the methods, from the methods to the cart). The pane holds no state of
its own: the counter session has the lines; `show_state` draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from domain.money import format_rupees, rupees_to_paise
from domain.payments import Method, TenderLine, TenderState
from services.payment_settings import MethodSetting

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
QR_SIZE = 150


def amount_paise(text: str) -> int | None:
    """'2,250.50' -> 225050; None when it is not an amount of rupees."""
    cleaned = text.replace(",", "").replace("Rs.", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if value <= 0:
        return None
    try:
        return rupees_to_paise(value)
    except (ValueError, ArithmeticError):
        return None


def qr_pixmap(payload: str, size: int = QR_SIZE) -> QPixmap:
    """A QR code of `payload`, black on white, `size` pixels square."""
    # Imported when a UPI line is shown: ReportLab is not needed to start the app. The same
    # modules as the PDF's code, in about a third of ReportLab's own time (services.qr_code).
    from services.qr_code import qr_modules

    modules = qr_modules(payload)
    count = len(modules)
    quiet = 2
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    box = size / (count + 2 * quiet)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("black"))
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                painter.drawRect(QRectF((column + quiet) * box, (row + quiet) * box, box, box))
    painter.end()
    return pixmap


class TenderPane(QFrame):
    """Payment lines for the invoice on the counter.

    Signals:
        add_requested(object): a TenderLine typed and confirmed with Enter.
        remove_requested(int): Del on a line.
        back_requested(): Esc on the methods: back to the cart.
        save_requested(): Ctrl+S / the Save button.
        method_changed(str): the method picked (a Method value); the panel shows the UPI QR
            (`UpiCard`) beside the cart, where it has room to be scanned.
    """

    add_requested = Signal(object)
    remove_requested = Signal(int)
    back_requested = Signal()
    save_requested = Signal()
    method_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TenderPane")
        self._settings: tuple[MethodSetting, ...] = ()
        self._method = Method.CASH
        self._state = TenderState(0, 0, 0, 0)
        self._columns = 3

        heading = QLabel("Payment")
        heading.setObjectName("PaneHeading")
        self.hint = QLabel("Digits pick the method; Enter takes the amount; Esc: the cart.")
        self.hint.setObjectName("Hint")
        self.hint.setWordWrap(True)

        self.methods = QWidget()
        self.methods.setObjectName("TenderMethods")
        self.methods.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.methods.setAccessibleName("Payment method")
        self.methods.installEventFilter(self)
        self._method_row = QGridLayout(self.methods)
        self._method_row.setContentsMargins(0, 0, 0, 0)
        self._method_row.setSpacing(4)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)

        self.amount_field = QLineEdit()
        self.amount_field.setObjectName("TenderAmount")
        self.amount_field.setAccessibleName("Amount")
        self.amount_field.installEventFilter(self)
        self.amount_caption = QLabel("Cash &amount")
        self.amount_caption.setObjectName("FieldCaption")
        self.amount_caption.setBuddy(self.amount_field)
        self.reference_field = QLineEdit()
        self.reference_field.setAccessibleName("Reference")
        self.reference_field.setPlaceholderText("Slip or transaction id")
        self.reference_field.installEventFilter(self)
        self.reference_caption = QLabel("&Reference")
        self.reference_caption.setObjectName("FieldCaption")
        self.reference_caption.setBuddy(self.reference_field)

        self.lines = QListWidget()
        self.lines.setObjectName("TenderLines")
        self.lines.setAccessibleName("Payments")
        self.lines.installEventFilter(self)
        self.lines.setMaximumHeight(70)

        self.paid_label = QLabel()
        self.paid_label.setAccessibleName("Tendered")
        self.paid_label.setAlignment(_RIGHT)
        self.due_caption = QLabel("Due")
        self.due_label = QLabel()
        self.due_label.setObjectName("TenderDue")
        self.due_label.setAccessibleName("Due")
        self.due_label.setAlignment(_RIGHT)
        self.change_caption = QLabel("Change")
        self.change_label = QLabel()
        self.change_label.setObjectName("TenderChange")
        self.change_label.setAccessibleName("Change")
        self.change_label.setAlignment(_RIGHT)
        figures = QGridLayout()
        figures.setHorizontalSpacing(12)
        figures.setVerticalSpacing(2)
        figures.setColumnStretch(0, 1)
        for row, (caption, label) in enumerate(
            (
                (QLabel("Tendered"), self.paid_label),
                (self.due_caption, self.due_label),
                (self.change_caption, self.change_label),
            )
        ):
            figures.addWidget(caption, row, 0)
            figures.addWidget(label, row, 1)

        self.save_button = QPushButton("Save && print  (Ctrl+S)")
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setAutoDefault(True)
        self.save_button.setMinimumHeight(40)
        self.save_button.clicked.connect(self.save_requested)
        self.back_button = QPushButton("Back to the cart  (Esc)")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.back_requested)

        fields = QGridLayout()
        fields.setHorizontalSpacing(8)
        fields.setVerticalSpacing(4)
        fields.addWidget(self.amount_caption, 0, 0)
        fields.addWidget(self.reference_caption, 0, 1)
        fields.addWidget(self.amount_field, 1, 0)
        fields.addWidget(self.reference_field, 1, 1)

        column = QVBoxLayout(self)
        column.setContentsMargins(14, 12, 14, 14)
        column.setSpacing(8)
        column.addWidget(heading)
        column.addWidget(self.methods)
        column.addLayout(fields)
        column.addWidget(self.lines)
        column.addWidget(self.hint)
        column.addLayout(figures)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        column.addLayout(buttons)
        column.addWidget(self.save_button)

    # -- the methods ---------------------------------------------------------------------

    def set_methods(self, offered: Sequence[MethodSetting], *, advance: int = 0) -> None:
        """The branch's methods in their order (digits 1, 2, ...); the patient's advance,
        when they hold one, is offered last."""
        settings = list(offered)
        if advance > 0:
            settings.append(MethodSetting(Method.ADVANCE, f"Advance ({format_rupees(advance)})"))
        self._settings = tuple(settings)
        for button in self._group.buttons():
            self._group.removeButton(button)
            button.deleteLater()
        for index, setting in enumerate(self._settings):
            button = QPushButton(f"{index + 1} {setting.label}")
            button.setObjectName("TenderMethod")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAccessibleName(setting.label)
            button.clicked.connect(lambda _=False, i=index: self.pick(i))
            self._group.addButton(button, index)
            button.setMinimumHeight(button.sizeHint().height())
            self._method_row.addWidget(button, index // self._columns, index % self._columns)
        self.pick(0, focus=False)

    def set_compact(self, compact: bool) -> None:
        """A narrow window: two method buttons per row, so none is squeezed, and room made
        for them by leaving out the key hint and the Back button (Esc does it; the button's
        tooltip and F1 say so)."""
        self.hint.setVisible(not compact)
        self.back_button.setVisible(not compact)
        columns = 2 if compact else 3
        if columns == self._columns:
            return
        self._columns = columns
        for index, button in enumerate(self._group.buttons()):
            self._method_row.removeWidget(button)
            self._method_row.addWidget(button, index // columns, index % columns)

    def method(self) -> Method:
        return self._method

    def pick(self, index: int, *, focus: bool = True) -> bool:
        """Pick the method at `index` (0-based); the amount field gets what is due."""
        if not 0 <= index < len(self._settings):
            return False
        setting = self._settings[index]
        self._method = setting.method
        button = self._group.button(index)
        if button is not None:
            button.setChecked(True)
        self.amount_caption.setText(f"{setting.label} &amount")
        needs = setting.needs_reference or setting.method is Method.UPI
        self.reference_field.setEnabled(needs)
        self.reference_caption.setEnabled(needs)
        self.reference_field.clear()
        self.reference_field.setPlaceholderText(
            "Required: slip or transaction id" if setting.needs_reference else "Optional"
        )
        self._fill_amount()
        self.method_changed.emit(setting.method.value)
        if focus:
            self.amount_field.setFocus(Qt.FocusReason.OtherFocusReason)
            self.amount_field.selectAll()
        return True

    def _fill_amount(self) -> None:
        due = self._state.due
        self.amount_field.setText(f"{due // 100}.{due % 100:02d}" if due else "")
        self.amount_field.selectAll()

    def _setting(self) -> MethodSetting | None:
        return next((s for s in self._settings if s.method is self._method), None)

    # -- drawing -------------------------------------------------------------------------

    def show_state(self, state: TenderState, lines: Sequence[TenderLine]) -> None:
        """Draw the lines and figures; the amount field gets what is still due."""
        self._state = state
        labels = {s.method: s.label for s in self._settings}
        self.lines.clear()
        for line in lines:
            reference = f"   ref {line.reference}" if line.reference else ""
            self.lines.addItem(
                f"{labels.get(line.method, line.method.label)}   "
                f"{format_rupees(line.amount)}{reference}"
            )
        self.lines.setVisible(bool(lines))
        self.paid_label.setText(format_rupees(state.covered))
        self.due_label.setText(format_rupees(state.due))
        self.change_label.setText(format_rupees(state.change))
        self.change_caption.setVisible(bool(state.change))
        self.change_label.setVisible(bool(state.change))
        self._fill_amount()
        covered = state.due == 0 and state.payable > 0
        self.save_button.setDefault(covered)

    def start(self) -> None:
        """Focus for a new tender: the methods, Cash (the first) picked."""
        self.pick(0, focus=False)
        self.methods.setFocus(Qt.FocusReason.OtherFocusReason)

    def after_line(self) -> None:
        """Where focus goes after a line was taken: more to cover, the methods; else Save."""
        if self._state.due > 0:
            self.methods.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.save_button.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- keys ----------------------------------------------------------------------------

    def take_typed(self) -> None:
        """Take the amount (and reference) typed, with the method picked."""
        amount = amount_paise(self.amount_field.text())
        if amount is None:
            self.hint.setText("Type an amount in rupees, such as 2250 or 2,250.50.")
            self.amount_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        setting = self._setting()
        reference = self.reference_field.text().strip()
        if setting is not None and setting.needs_reference and not reference:
            self.reference_field.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.add_requested.emit(TenderLine(self._method, amount, reference))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if watched is self.methods and plain:
            if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
                return self.pick(key - Qt.Key.Key_1) or True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._state.due == 0 and self._state.payable > 0:
                    self.save_requested.emit()
                else:
                    self.pick(self._group.checkedId())
                return True
            if key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
                step = 1 if key == Qt.Key.Key_Right else -1
                index = (self._group.checkedId() + step) % max(1, len(self._settings))
                self.pick(index, focus=False)
                return True
            if key == Qt.Key.Key_Escape:
                self.back_requested.emit()
                return True
        if watched is self.amount_field and plain:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                setting = self._setting()
                if setting is not None and setting.needs_reference:
                    self.reference_field.setFocus(Qt.FocusReason.OtherFocusReason)
                else:
                    self.take_typed()
                return True
            if key == Qt.Key.Key_Escape:
                self.methods.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        if watched is self.reference_field and plain:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.take_typed()
                return True
            if key == Qt.Key.Key_Escape:
                self.amount_field.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
        if watched is self.lines and plain and key == Qt.Key.Key_Delete:
            row = self.lines.currentRow()
            if row >= 0:
                self.remove_requested.emit(row)
            return True
        return super().eventFilter(watched, event)


class UpiCard(QFrame):
    """The branch's UPI QR for the amount due, for the patient to scan, with what it pays
    and to whom. Square and never squeezed: a squeezed code does not scan."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("UpiCard")
        self.qr_label = QLabel()
        self.qr_label.setAccessibleName("UPI QR code")
        self.qr_label.setFixedSize(QR_SIZE, QR_SIZE)
        self.caption = QLabel()
        self.caption.setObjectName("PaneHeading")
        self.caption.setWordWrap(True)
        self.detail = QLabel("Open any UPI app and scan; then type its transaction id.")
        self.detail.setObjectName("Hint")
        self.detail.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(self.caption)
        text.addWidget(self.detail)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 12, 10)
        row.setSpacing(14)
        row.addWidget(self.qr_label)
        row.addLayout(text, 1)
        self.hide()

    def show_payment(self, payload: str | None, caption: str = "") -> None:
        """Show the QR of `payload` (None hides the card)."""
        if payload is None:
            self.hide()
            return
        self.qr_label.setPixmap(qr_pixmap(payload))
        self.caption.setText(caption)
        self.show()
