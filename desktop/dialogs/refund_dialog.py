"""Refund by credit note (issue #11): choose the units of an invoice's lines to refund, say
why, pay the money back by a method or keep it as the patient's advance, and (front desk) a
manager's name and PIN. The value is shown live as the service computes it.

Keyboard first: in the lines, a digit sets the units to refund on the line (Space: all that
is left, or none), +/- step them; Enter moves on to the reason, then the method (0 keeps it
as an advance, 1-4 pays back by the branch's methods), the reference, the manager and the
PIN; Enter on the last field, or Ctrl+Enter anywhere, issues the credit note. Esc closes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.refund_lines_model import RefundLinesModel
from desktop.widgets.form import restyle
from desktop.workers import OpCounter
from domain.money import format_rupees
from domain.payments import Method
from domain.permissions import allowed
from services.auth import CurrentUser, manager_approval
from services.credit_notes import (
    CreditNoteDocument,
    CreditNotePreview,
    RefundForm,
    issue_credit_note,
    preview_credit_note,
    refund_form,
)
from services.payment_settings import MethodSetting, PaymentSettings, payment_settings

MONEY_METHODS = (Method.CASH, Method.UPI, Method.CARD, Method.WALLET)
_DIGITS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(10)}
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


@dataclass(frozen=True)
class RefundStart:
    """What the dialog opens with, read in the background: the invoice's refund form and
    the branch's payment methods."""

    form: RefundForm
    settings: PaymentSettings


def read_refund_start(db: Database, number: str) -> RefundStart:
    """The refund form and payment methods for invoice `number` (run off the UI thread)."""
    return RefundStart(refund_form(db, number), payment_settings(db))


def refund_dialog(
    db: Database,
    user: CurrentUser,
    start: RefundStart,
    clock: Callable[[], datetime],
    parent: QWidget | None = None,
) -> RefundDialog:
    """The dialog for `start`'s invoice with the service calls bound: the live preview, and
    the credit note issued by `user` (a front-desk user with the manager named in it)."""
    number = start.form.invoice_number
    needs_approval = not allowed(user.role, "refund.approve")

    def preview(lines: list[tuple[int, int]], method: Method | None) -> CreditNotePreview:
        return preview_credit_note(db, number, lines, refund_method=method, now=clock())

    def issue(request: RefundRequest) -> CreditNoteDocument:
        approver = (
            manager_approval(db, request.approver, request.pin, "Approving a refund")
            if needs_approval
            else None
        )
        return issue_credit_note(
            db,
            user,
            number,
            request.lines,
            reason=request.reason,
            refund_method=request.method,
            reference=request.reference,
            approver=approver,
            now=clock(),
        )

    return RefundDialog(
        start.form,
        start.settings.offered,
        needs_approval=needs_approval,
        preview=preview,
        issue=issue,
        parent=parent,
    )


@dataclass(frozen=True)
class RefundRequest:
    """What the dialog asks the service for: (line, units) pairs, the reason, the method
    (None: keep as an advance), its reference, and the approving manager's name and PIN."""

    lines: tuple[tuple[int, int], ...]
    reason: str
    method: Method | None
    reference: str = ""
    approver: str = ""
    pin: str = ""


class RefundDialog(QDialog):
    """Chooses a refund by keyboard, previews it live and issues it in the background.

    `preview(lines, method)` and `issue(request)` are the service calls with the database,
    the person, the invoice and the time bound; both run off the UI thread.

    Signals:
        issued(object): what `issue` returned (a services.credit_notes.CreditNoteDocument).
    """

    issued = Signal(object)

    def __init__(
        self,
        form: RefundForm,
        methods: Sequence[MethodSetting],
        *,
        needs_approval: bool,
        preview: Callable[[list[tuple[int, int]], Method | None], CreditNotePreview],
        issue: Callable[[RefundRequest], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RefundDialog")
        self.setWindowTitle(f"Refund {form.invoice_number} - Frontdesk")
        self._form = form
        self._preview = preview
        self._issue = issue
        self._previews = OpCounter(self)
        self._issues = OpCounter(self)
        self.last_preview: CreditNotePreview | None = None
        offered = [m for m in methods if m.enabled and m.method in MONEY_METHODS]
        # 0 keeps the money as an advance (not for the walk-in customer); 1.. pay it back.
        self.choices: list[tuple[int, Method | None, str]] = []
        if not form.walk_in:
            self.choices.append((0, None, "Keep as advance"))
        self.choices += [(n, m.method, m.label) for n, m in enumerate(offered, start=1)]
        self._method: Method | None = self.choices[0][1] if self.choices else None

        heading = QLabel("Refund by credit note")
        heading.setObjectName("FormHeading")
        self.what = QLabel(
            f"Invoice {form.invoice_number} of {form.invoice_date:%d %b %Y}, {form.patient_name}:"
            f" payable {format_rupees(form.total_amount)}, "
            f"{format_rupees(form.standing)} left to refund, "
            f"{format_rupees(form.owed)} still owed."
        )
        self.what.setWordWrap(True)

        self.model = RefundLinesModel(form.lines, self)
        self.table = QTableView()
        self.table.setObjectName("refundLines")
        self.table.setModel(self.model)
        self.table.setStyleSheet(theme.section("tabs-and-tables"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName("Lines to refund")
        self.table.installEventFilter(self)
        rows = max(1, min(len(form.lines), 6))
        self.table.setMinimumHeight(
            self.table.verticalHeader().defaultSectionSize() * (rows + 1) + 8
        )
        self.table.setMinimumWidth(620)
        first = next((i for i, line in enumerate(form.lines) if line.left), 0)
        self.table.selectRow(first)
        self.model.chosen_changed.connect(self.refresh_preview)

        self.reason = QLineEdit()
        self.reason.setObjectName("refundReason")
        self.reason.setAccessibleName("Reason")
        self.reason.setPlaceholderText("Why: product returned, session not given, ...")
        self.reason.setMaxLength(300)

        self.method_strip = QWidget()
        self.method_strip.setObjectName("TenderMethods")  # the tender's look: focus ring
        self.method_strip.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.method_strip.setAccessibleName("Pay back by")
        self.method_strip.installEventFilter(self)
        self.reason.returnPressed.connect(lambda: self._focus(self.method_strip))
        strip = QHBoxLayout(self.method_strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(6)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.method_buttons: dict[int, QPushButton] = {}
        for number, _method, label in self.choices:
            button = QPushButton(f"{number} {label}")
            button.setObjectName("TenderMethod")  # the picked one stands out
            button.setCheckable(True)
            button.setAutoDefault(False)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the strip takes the digits
            button.ensurePolished()
            button.setMinimumWidth(button.sizeHint().width())
            button.clicked.connect(lambda _c=False, n=number: self.pick(n))
            self._group.addButton(button, number)
            self.method_buttons[number] = button
            strip.addWidget(button)
        strip.addStretch(1)
        if self.choices:
            self.method_buttons[self.choices[0][0]].setChecked(True)

        self.reference = QLineEdit()
        self.reference.setAccessibleName("Reference")
        self.reference.setMaxLength(60)
        self.reference.setPlaceholderText("UPI or card reference of the refund (optional)")
        self.approver = QLineEdit(self)
        self.approver.setObjectName("refundApprover")
        self.approver.setAccessibleName("Manager")
        self.approver.setPlaceholderText("Manager's user name")
        self.pin = QLineEdit(self)
        self.pin.setObjectName("refundPin")
        self.pin.setAccessibleName("Manager's PIN")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(12)
        self._needs_approval = needs_approval
        self.reference.returnPressed.connect(
            lambda: self._focus(self.approver) if needs_approval else self.submit()
        )
        self.approver.returnPressed.connect(lambda: self._focus(self.pin))
        self.pin.returnPressed.connect(self.submit)

        fields = QGridLayout()
        fields.setHorizontalSpacing(10)
        fields.setVerticalSpacing(8)
        reason_caption = QLabel("Rea&son")
        reason_caption.setBuddy(self.reason)
        reference_caption = QLabel("Re&ference")
        reference_caption.setBuddy(self.reference)
        fields.addWidget(reason_caption, 0, 0)
        fields.addWidget(self.reason, 0, 1)
        fields.addWidget(QLabel("Money"), 1, 0)
        fields.addWidget(self.method_strip, 1, 1)
        fields.addWidget(reference_caption, 2, 0)
        fields.addWidget(self.reference, 2, 1)
        if needs_approval:
            approver_caption = QLabel("&Manager")
            approver_caption.setBuddy(self.approver)
            pin_caption = QLabel("P&IN")
            pin_caption.setBuddy(self.pin)
            fields.addWidget(approver_caption, 3, 0)
            fields.addWidget(self.approver, 3, 1)
            fields.addWidget(pin_caption, 4, 0)
            fields.addWidget(self.pin, 4, 1)
        else:
            self.approver.hide()
            self.pin.hide()
        fields.setColumnStretch(1, 1)

        self.amount = QLabel()
        self.amount.setObjectName("PaneHeading")
        self.amount.setAccessibleName("Refund value")
        self.breakdown = QLabel()
        self.breakdown.setObjectName("Muted")
        self.breakdown.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("Hint")
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.message.setMinimumHeight(self.fontMetrics().lineSpacing() * 2 + 4)

        buttons = QDialogButtonBox()
        self.issue_button = buttons.addButton(
            "Issue credit note  (Ctrl+Enter)", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.issue_button.setObjectName("PrimaryButton")
        self.close_button = buttons.addButton(
            "Close  (Esc)", QDialogButtonBox.ButtonRole.RejectRole
        )
        for button in (self.issue_button, self.close_button):
            button.setAutoDefault(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 16, 20, 16)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addWidget(self.what)
        column.addWidget(self.table, 1)
        column.addLayout(fields)
        column.addWidget(self.amount)
        column.addWidget(self.breakdown)
        column.addWidget(self.message)
        column.addWidget(buttons)
        self.setTabOrder(self.table, self.reason)
        self.setTabOrder(self.reason, self.method_strip)
        self.setTabOrder(self.method_strip, self.reference)
        if needs_approval:
            self.setTabOrder(self.reference, self.approver)
            self.setTabOrder(self.approver, self.pin)

        self._show_preview(None)
        self._say("Hint", self._keys_hint())
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- choosing ------------------------------------------------------------------------

    def _keys_hint(self) -> str:
        return (
            "On a line: a digit sets the units to refund, Space all or none, +/- step. "
            "Enter moves on; Ctrl+Enter issues. Esc: close."
        )

    def _focus(self, widget: QWidget) -> None:
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def method(self) -> Method | None:
        return self._method

    def pick(self, number: int) -> None:
        """Choice `number`: 0 keeps the money as an advance, 1.. pays it back by a method."""
        for choice, method, _label in self.choices:
            if choice == number:
                self._method = method
                self.method_buttons[number].setChecked(True)
                self.refresh_preview()
                return

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                return super().eventFilter(watched, event)
            if watched is self.table:
                return self._table_key(key, event.text())
            if watched is self.method_strip:
                if key in _DIGITS:
                    self.pick(_DIGITS[key])
                    return True
                if key in _ENTER:
                    self._focus(self.reference if self._method else self._after_reference())
                    return True
        return super().eventFilter(watched, event)

    def _after_reference(self) -> QWidget:
        return self.approver if self._needs_approval else self.issue_button

    def _table_key(self, key: int, text: str) -> bool:
        row = self.current_row()
        if key in _ENTER:
            self._focus(self.reason)
            return True
        if row < 0:
            return False
        if key in _DIGITS:
            self.model.set_chosen(row, _DIGITS[key])
            return True
        if key == Qt.Key.Key_Space:
            left = self.model.line(row).left
            self.model.set_chosen(row, 0 if self.model.chosen(row) else left)
            return True
        if text in ("+", "-"):
            self.model.set_chosen(row, self.model.chosen(row) + (1 if text == "+" else -1))
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.model.set_chosen(row, 0)
            return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in _ENTER:
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                self.submit()
            # The fields take Enter themselves; the default button must not issue twice.
            event.accept()
            return
        super().keyPressEvent(event)

    # -- the live value ------------------------------------------------------------------

    def is_idle(self) -> bool:
        return self._previews.idle and self._issues.idle

    def refresh_preview(self) -> None:
        """Ask the service what the chosen refund gives back (nothing is saved)."""
        lines = self.model.refund_lines()
        if not lines:
            self._previews.begin()  # a preview still running is no longer wanted
            self._show_preview(None)
            return
        preview, method = self._preview, self._method
        run = self._previews.begin()

        def shown(result: CreditNotePreview) -> None:
            if self._previews.is_latest(run):
                self._show_preview(result)
                self._say("Hint", self._keys_hint())

        def refused(error: Exception) -> None:
            if self._previews.is_latest(run):
                self._show_preview(None, empty="")
                self._say("FieldError", error_sentence(error))

        self._previews.run(lambda: preview(lines, method), shown, refused)

    def _show_preview(self, preview: CreditNotePreview | None, *, empty: str | None = None) -> None:
        self.last_preview = preview
        if preview is None:
            self.amount.setText("Refund Rs.0.00")
            self.breakdown.setText(
                "Choose the units to refund on the lines above." if empty is None else empty
            )
            return
        self.amount.setText(f"Refund {format_rupees(preview.value)}")
        split = preview.split
        parts = []
        if split.reduced_due:
            parts.append(f"{format_rupees(split.reduced_due)} off what is owed")
        if split.refunded:
            label = next((c[2] for c in self.choices if c[1] is self._method), "")
            parts.append(f"{format_rupees(split.refunded)} paid back by {label}")
        if split.to_advance:
            parts.append(f"{format_rupees(split.to_advance)} kept as an advance")
        text = "; ".join(parts) + "."
        if preview.promotions_reversed:
            codes = ", ".join(preview.promotions_reversed)
            text += (
                f" {codes} no longer applies to what is kept: "
                f"{format_rupees(preview.discount_given_back)} of discount is given back."
            )
        self.breakdown.setText(text)

    # -- issuing -------------------------------------------------------------------------

    def request(self) -> RefundRequest:
        return RefundRequest(
            tuple(self.model.refund_lines()),
            self.reason.text().strip(),
            self._method,
            self.reference.text().strip(),
            self.approver.text().strip(),
            self.pin.text(),
        )

    def submit(self) -> None:
        """Check what is missing (saying so by the field), then issue in the background."""
        if not self._issues.idle:
            return
        request = self.request()
        missing: tuple[str, QWidget] | None = None
        if not request.lines:
            missing = ("Choose the units to refund: a digit on a line.", self.table)
        elif len(request.reason) < 3:
            missing = ("Say why it is refunded.", self.reason)
        elif self._needs_approval and not request.approver:
            missing = ("A manager approves a refund: their user name, then PIN.", self.approver)
        elif self._needs_approval and not request.pin:
            missing = (f"{request.approver}'s PIN, then Enter.", self.pin)
        if missing is not None:
            self._say("FieldError", missing[0])
            self._focus(missing[1])
            return
        issue = self._issue
        self.issue_button.setEnabled(False)
        self._say("Muted", "Issuing the credit note...")
        self._issues.run(lambda: issue(request), self._done, self._refused)

    def _done(self, result: object) -> None:
        self.issue_button.setEnabled(True)
        self.issued.emit(result)
        self.accept()

    def _refused(self, error: Exception) -> None:
        log_failure(error)
        self.issue_button.setEnabled(True)
        self.pin.clear()
        self._say("FieldError", error_sentence(error))

    def message_text(self) -> str:
        return self.message.text()

    def _say(self, kind: str, text: str) -> None:
        self.message.setObjectName(kind)
        restyle(self.message)
        self.message.setText(text)
