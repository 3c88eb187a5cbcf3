"""Money taken away from the counter's cart (issue #11): a payment on one invoice, dues
settled, an advance. One small dialog serves all three; the caller hands it the service call.

Keyboard first: a digit (1 to 4) picks the method from the branch's offered ones and moves
to the amount, which holds what is due, selected, so typing replaces it; a method that needs
a reference asks for it; Enter takes the money. Alt+digit picks a method from any field. Esc
closes. A refusal (no counter session for cash, a reference missing) stays in the dialog as
a sentence; the money is taken in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import error_sentence, log_failure
from desktop.widgets.form import restyle
from desktop.workers import OpCounter
from domain.errors import BadInput
from domain.money import format_rupees, paise_to_decimal, rupees_to_paise
from domain.payments import Method, PaymentError, TenderLine
from services.payment_settings import MethodSetting

# What can be taken here: money changing hands ("on account" and "advance" move none).
MONEY_METHODS = (Method.CASH, Method.UPI, Method.CARD, Method.WALLET)
_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}


def amount_text(paise: int) -> str:
    """2_25_050 -> '2250.50': what the amount field holds, ready to be typed over."""
    return f"{paise_to_decimal(paise):f}"


class PaymentDialog(QDialog):
    """Takes one payment line by keyboard and hands it to `take` in the background.

    `take(line)` is the service call (take_payment, settle_dues, take_advance) with the
    database, the person and the time already bound; it runs off the UI thread.

    Signals:
        taken(object): what `take` returned (a services.payments.Receipt).
    """

    taken = Signal(object)

    def __init__(
        self,
        title: str,
        what: str,
        methods: Sequence[MethodSetting],
        due: int,
        take: Callable[[TenderLine], object],
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("PaymentDialog")
        self.setWindowTitle(f"{title} - Frontdesk")
        self._take = take
        self._due = due
        self._ops = OpCounter(self)
        self.methods = tuple(m for m in methods if m.enabled and m.method in MONEY_METHODS)
        self._method = self.methods[0] if self.methods else None

        heading = QLabel(title)
        heading.setObjectName("FormHeading")
        self.what = QLabel(what)
        self.what.setWordWrap(True)
        # The dialog's width is its layout's: every method's button beside the captions
        # (a width set here would be read before the style sizes the buttons).
        self.what.setMinimumWidth(420)
        self.due_label = QLabel(f"Due {format_rupees(due)}" if due else "Nothing is due")
        self.due_label.setObjectName("PaneHeading")

        self.method_strip = QWidget()
        self.method_strip.setObjectName("PaymentMethods")
        self.method_strip.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.method_strip.setAccessibleName("Payment method")
        self.method_strip.installEventFilter(self)
        strip = QHBoxLayout(self.method_strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(6)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.method_buttons: list[QPushButton] = []
        for number, setting in enumerate(self.methods, start=1):
            button = QPushButton(f"&{number} {setting.label}")
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the strip takes the digits
            button.setMinimumWidth(button.sizeHint().width())
            button.clicked.connect(lambda _c=False, n=number: self.pick(n))
            self._group.addButton(button, number)
            self.method_buttons.append(button)
            strip.addWidget(button)
        strip.addStretch(1)

        self.amount = QLineEdit()
        self.amount.setObjectName("PaymentAmount")
        self.amount.setAccessibleName("Amount in rupees")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.amount.setMaxLength(14)
        self.amount.setText(amount_text(due) if due else "")
        self.amount.returnPressed.connect(self.submit)
        self.reference = QLineEdit()
        self.reference.setAccessibleName("Reference")
        self.reference.setMaxLength(60)
        self.reference.setPlaceholderText("Slip or transaction id")
        self.reference.returnPressed.connect(self.submit)
        amount_caption = QLabel("&Amount Rs.")
        amount_caption.setBuddy(self.amount)
        self.reference_caption = QLabel("&Reference")
        self.reference_caption.setBuddy(self.reference)
        fields = QGridLayout()
        fields.setHorizontalSpacing(10)
        fields.setVerticalSpacing(8)
        fields.addWidget(QLabel("Method"), 0, 0)
        fields.addWidget(self.method_strip, 0, 1)
        fields.addWidget(amount_caption, 1, 0)
        fields.addWidget(self.amount, 1, 1)
        fields.addWidget(self.reference_caption, 2, 0)
        fields.addWidget(self.reference, 2, 1)
        fields.setColumnStretch(1, 1)

        self.message = QLabel(
            f"1-{len(self.methods)} picks the method, then the amount; Enter takes it. Esc: close."
        )
        self.message.setObjectName("Hint")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 2 + 4)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        buttons = QDialogButtonBox()
        self.take_button = buttons.addButton(
            "Take  (Enter)", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.take_button.setObjectName("PrimaryButton")
        self.close_button = buttons.addButton(
            "Close  (Esc)", QDialogButtonBox.ButtonRole.RejectRole
        )
        for button in (self.take_button, self.close_button):
            button.setAutoDefault(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addWidget(self.what)
        column.addWidget(self.due_label)
        column.addLayout(fields)
        column.addWidget(self.message)
        column.addWidget(buttons)

        if self._method is not None:
            self._group.button(1).setChecked(True)
        self._show_reference()
        self.method_strip.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the method ----------------------------------------------------------------------

    def method(self) -> Method | None:
        return None if self._method is None else self._method.method

    def pick(self, number: int) -> None:
        """Method `number` (1 is the first offered); the amount is next, selected."""
        if not 1 <= number <= len(self.methods):
            return
        self._method = self.methods[number - 1]
        self._group.button(number).setChecked(True)
        self._show_reference()
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
        self.amount.selectAll()

    def _show_reference(self) -> None:
        needed = self._method is not None and self._method.needs_reference
        self.reference_caption.setText("&Reference" if needed else "&Reference (optional)")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.method_strip and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in _DIGITS:
                self.pick(_DIGITS[key])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._method is not None:
                self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
                self.amount.selectAll()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        # The fields take Enter themselves; the dialog's default button must not take the
        # money a second time (or before the reference is typed).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- taking --------------------------------------------------------------------------

    def is_idle(self) -> bool:
        return self._ops.idle

    def line(self) -> TenderLine:
        """The payment line as typed; PaymentError (a sentence) when it cannot be one."""
        if self._method is None:
            raise PaymentError("No way of taking money is offered: a manager turns one on")
        typed = self.amount.text()
        paise = rupees_to_paise(typed) if typed.strip() else 0
        if paise <= 0:
            raise PaymentError("Type the amount received, in rupees")
        return TenderLine(self._method.method, paise, self.reference.text().strip())

    def submit(self) -> None:
        """Enter: a method needing a reference asks for it first; then the money is taken."""
        if not self._ops.idle:
            return
        if (
            self._method is not None
            and self._method.needs_reference
            and not self.reference.text().strip()
            and self.focusWidget() is not self.reference
        ):
            self._say("Hint", f"Type the {self._method.label} reference, then Enter.")
            self.reference.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        try:
            line = self.line()
        except BadInput as error:  # PaymentError, MoneyError: a sentence to show
            self._say("FieldError", error_sentence(error))
            self.amount.setFocus(Qt.FocusReason.OtherFocusReason)
            self.amount.selectAll()
            return
        take = self._take
        self.take_button.setEnabled(False)
        self._say("Muted", f"Taking {format_rupees(line.amount)}...")
        self._ops.run(lambda: take(line), self._done, self._refused)

    def _done(self, result: object) -> None:
        self.take_button.setEnabled(True)
        self.taken.emit(result)
        self.accept()

    def _refused(self, error: Exception) -> None:
        log_failure(error)
        self.take_button.setEnabled(True)
        self._say("FieldError", error_sentence(error))
        self.amount.setFocus(Qt.FocusReason.OtherFocusReason)

    def message_text(self) -> str:
        return self.message.text()

    def _say(self, kind: str, text: str) -> None:
        self.message.setObjectName(kind)
        restyle(self.message)
        self.message.setText(text)
