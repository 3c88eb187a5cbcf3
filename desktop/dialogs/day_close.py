"""The counter session at the desk: open it with a float, move cash in or out with a
reason, and the day close (Ctrl+Shift+Z): what each method should hold, the cash counted by
denomination with the difference worked out as the counts are typed, a reason when it is
not zero, and "Close and print the Z report" (services.counter_sessions, the PDF from
services.z_report_pdf). Every service call runs off the UI thread (desktop.workers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QIntValidator, QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.figures_model import FiguresModel
from desktop.widgets.figures import figures_view
from desktop.widgets.form import restyle
from desktop.workers import BackgroundOp
from domain.cash_count import COINS, DENOMINATIONS, counted_cash
from domain.errors import BadInput
from domain.money import format_rupees, rupees_to_paise
from services import backup, counter_sessions
from services.auth import CurrentUser
from services.counter_sessions import Movement, SessionReport, SessionSummary

OPEN_SESSION_SHORTCUT = "Ctrl+Shift+O"
CASH_SHORTCUT = "Ctrl+Shift+M"
DAY_CLOSE_SHORTCUT = "Ctrl+Shift+Z"
CLOSE_KEYS = "Ctrl+Return"

SHORTCUTS: tuple[tuple[str, str], ...] = (
    (OPEN_SESSION_SHORTCUT, "Open the counter session with its float"),
    (CASH_SHORTCUT, "Put cash into or take it out of the drawer, with a reason"),
    (DAY_CLOSE_SHORTCUT, "Day close: count the drawer, close the session, print the Z report"),
    ("Ctrl+Enter", "Day close: close and print the Z report"),
)

METHOD_LABELS = {"cash": "Cash", "upi": "UPI", "card": "Card", "wallet": "Wallet"}

T = TypeVar("T")


def _label(name: str, text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    return label


def _rupees_edit(name: str) -> QLineEdit:
    """A line edit for an amount in rupees (digits, commas, two decimals)."""
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setValidator(
        QRegularExpressionValidator(QRegularExpression(r"^[0-9,]{0,9}(\.[0-9]{0,2})?$"))
    )
    return edit


class _SessionDialog(QDialog):
    """What the three dialogs share: a notice line for refusals, and service calls run in
    the background while the dialog waits (`is_idle`)."""

    def __init__(
        self, db: Database, user: CurrentUser, clock: Callable[[], datetime], parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._busy = 0
        self.setStyleSheet(theme.section("day-close"))
        self.notice = _label("NoticeError")
        self.notice.setWordWrap(True)
        self.notice.hide()

    def is_idle(self) -> bool:
        """No service call is under way."""
        return self._busy == 0

    def _say(self, text: str, *, error: bool = True) -> None:
        self.notice.setObjectName("NoticeError" if error else "NoticeInfo")
        restyle(self.notice)
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self._say(error_sentence(error))

    def _run(self, call: Callable[[], T], on_success: Callable[[T], object]) -> None:
        self._busy += 1

        def done() -> None:
            self._busy -= 1
            self._busy_changed()

        op = BackgroundOp(self, call).success(on_success).failure(self._failed)
        op.finished.connect(done)
        self._busy_changed()
        op.run_in_background()

    def _busy_changed(self) -> None:
        """Enable or disable the buttons as calls start and end."""

    def _buttons(self, text: str, slot: Callable[[], None]) -> tuple[QPushButton, QHBoxLayout]:
        """The primary button (`text`, doing `slot`) beside Cancel, at the right."""
        primary = QPushButton(text)
        primary.setObjectName("PrimaryButton")
        primary.clicked.connect(slot)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (cancel, primary):
            button.setAutoDefault(False)
            row.addWidget(button)
        return primary, row


# ----------------------------------------------------------------------------- open


class OpenSessionDialog(_SessionDialog):
    """Open this desk's counter session with the float in the drawer.

    Signals:
        opened(object): the SessionSummary of the session just opened.
    """

    opened = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, user, clock, parent)
        self.setObjectName("OpenSessionDialog")
        self.setWindowTitle("Open the counter session")
        self.desk_label = _label("FormHeading", "Open the counter session")
        self.float_edit = _rupees_edit("FloatAmount")
        self.float_edit.setPlaceholderText("e.g. 2000")
        self.float_edit.returnPressed.connect(self.open_session)
        caption = _label("FieldCaption", "Opening float (Rs.)")
        caption.setBuddy(self.float_edit)
        hint = _label(
            "Muted", "The cash in the drawer as the day starts: notes and coins for change."
        )
        hint.setWordWrap(True)
        self.open_button, buttons = self._buttons("Open session", self.open_session)
        row = QHBoxLayout()
        row.addWidget(caption)
        row.addWidget(self.float_edit, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(20, 18, 20, 18)
        column.setSpacing(10)
        column.addWidget(self.desk_label)
        column.addLayout(row)
        column.addWidget(hint)
        column.addWidget(self.notice)
        column.addLayout(buttons)
        self.setMinimumWidth(440)
        self.float_edit.setFocus()

        self._already_open = False
        self._run(
            lambda: (counter_sessions.this_desk(db), counter_sessions.current_session(db)),
            self._show_desk,
        )

    def _show_desk(self, found: tuple[str, SessionSummary | None]) -> None:
        desk, current = found
        self.desk_label.setText(f"Open the counter session at {desk}")
        if current is not None:
            self._say(
                f"{desk} already has a session open (opened by {current.opened_by}); close it "
                f"with {DAY_CLOSE_SHORTCUT} before opening another."
            )
            self._already_open = True
            self._busy_changed()

    def open_session(self) -> None:
        """Open the session with the float typed (Enter in the field does the same)."""
        if not self.is_idle() or not self.open_button.isEnabled():
            return
        try:
            amount = rupees_to_paise(self.float_edit.text() or "0")
        except BadInput as error:
            self._say(str(error))
            return
        db, user, now = self._db, self._user, self._clock()
        self._run(
            lambda: counter_sessions.open_session(db, user, opening_float=amount, now=now),
            self._opened,
        )

    def _opened(self, summary: SessionSummary) -> None:
        self.opened.emit(summary)
        self.accept()

    def _busy_changed(self) -> None:
        self.open_button.setEnabled(self.is_idle() and not getattr(self, "_already_open", False))


# ----------------------------------------------------------------------------- cash in/out


class CashMoveDialog(_SessionDialog):
    """Put cash into or take it out of the open session's drawer, with a reason.

    Signals:
        moved(object): the Movement just recorded.
    """

    moved = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, user, clock, parent)
        self.setObjectName("CashMoveDialog")
        self.setWindowTitle("Cash in or out of the drawer")
        heading = _label("FormHeading", "Cash in or out of the drawer")
        self.drawer_label = _label("Muted", "Reading the drawer...")
        self.in_button = QRadioButton("In: cash put into the drawer (Alt+I)")
        self.out_button = QRadioButton("Out: cash taken out of the drawer (Alt+O)")
        self.in_button.setChecked(True)
        kinds = QButtonGroup(self)
        kinds.addButton(self.in_button)
        kinds.addButton(self.out_button)
        for keys, button in (("Alt+I", self.in_button), ("Alt+O", self.out_button)):
            QShortcut(QKeySequence(keys), self).activated.connect(
                lambda b=button: b.setChecked(True)
            )
        self.amount_edit = _rupees_edit("MoveAmount")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("MoveReason")
        self.reason_edit.setPlaceholderText("e.g. change from the bank, courier, petty cash")
        self.amount_edit.returnPressed.connect(self.reason_edit.setFocus)
        self.reason_edit.returnPressed.connect(self.save)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        for row, (text, edit) in enumerate(
            (("&Amount (Rs.)", self.amount_edit), ("&Reason", self.reason_edit))
        ):
            caption = _label("FieldCaption", text)
            caption.setBuddy(edit)
            grid.addWidget(caption, row, 0)
            grid.addWidget(edit, row, 1)
        self.save_button, buttons = self._buttons("Record", self.save)

        column = QVBoxLayout(self)
        column.setContentsMargins(20, 18, 20, 18)
        column.setSpacing(10)
        column.addWidget(heading)
        column.addWidget(self.drawer_label)
        column.addWidget(self.in_button)
        column.addWidget(self.out_button)
        column.addLayout(grid)
        column.addWidget(self.notice)
        column.addLayout(buttons)
        self.setMinimumWidth(480)
        self.amount_edit.setFocus()
        self._run(lambda: counter_sessions.x_report(db), self._show_drawer)

    def _show_drawer(self, report: SessionReport) -> None:
        self.drawer_label.setText(
            f"{report.session.desk}: the drawer should hold {format_rupees(report.expected_cash)}."
        )

    def save(self) -> None:
        """Record the movement (Enter in the reason does the same)."""
        if not self.is_idle():
            return
        try:
            amount = rupees_to_paise(self.amount_edit.text() or "0")
        except BadInput as error:
            self._say(str(error))
            return
        kind = "in" if self.in_button.isChecked() else "out"
        reason = self.reason_edit.text()
        db, user, now = self._db, self._user, self._clock()
        self._run(
            lambda: counter_sessions.cash_movement(
                db, user, kind=kind, amount=amount, reason=reason, now=now
            ),
            self._moved,
        )

    def _moved(self, movement: Movement) -> None:
        self.moved.emit(movement)
        self.accept()

    def _busy_changed(self) -> None:
        self.save_button.setEnabled(self.is_idle())


# ----------------------------------------------------------------------------- day close


class DayCloseDialog(_SessionDialog):
    """The day close: expected per method, the count by denomination, the difference and
    its reason, then the close and the Z report's PDF (written to `pdf_folder` and handed
    to `open_file`, the system viewer, to print).

    Signals:
        closed(object): the Z report (SessionReport) of the session just closed.
    """

    closed = Signal(object)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        pdf_folder: Path,
        open_file: Callable[[Path], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, user, clock, parent)
        self.setObjectName("DayCloseDialog")
        self.setWindowTitle("Day close - count the drawer")
        self._pdf_folder = pdf_folder
        self._open_file = open_file
        self.report: SessionReport | None = None
        self.pdf_path: Path | None = None

        self.heading = _label("FormHeading", "Day close")
        self.subtitle = _label("Muted", "Reading the session...")
        self.subtitle.setWordWrap(True)

        # Left: what the session should hold.
        self.expected_model = FiguresModel(["What the session should hold", "Amount"])
        self.expected_view = figures_view(self.expected_model, "ExpectedTable")
        left = QVBoxLayout()
        left.addWidget(_label("PaneHeading", "Expected"))
        left.addWidget(self.expected_view, 1)

        # Right: the count.
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.addWidget(_label("FieldCaption", "Notes"), 0, 0)
        grid.addWidget(_label("FieldCaption", "Count"), 0, 1)
        amount_caption = _label("FieldCaption", "Amount")
        amount_caption.setAlignment(Qt.AlignmentFlag.AlignRight)
        grid.addWidget(amount_caption, 0, 2)
        self.count_edits: dict[str, QLineEdit] = {}
        self.amount_labels: dict[str, QLabel] = {}
        for row, label in enumerate(DENOMINATIONS, start=1):
            edit = QLineEdit()
            edit.setObjectName("DenominationCount")
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            if label == COINS:
                caption = _label("DenominationLabel", "&Coins (Rs.)")
                edit.setValidator(
                    QRegularExpressionValidator(QRegularExpression(r"^[0-9]{0,7}(\.[0-9]{0,2})?$"))
                )
                edit.setPlaceholderText("0.00")
            else:
                caption = _label("DenominationLabel", f"Rs.{int(label):,} x")
                edit.setValidator(QIntValidator(0, 99_999, edit))
                edit.setPlaceholderText("0")
            caption.setBuddy(edit)
            amount = _label("DenominationAmount", format_rupees(0))
            amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            edit.textChanged.connect(self._recount)
            edit.returnPressed.connect(self.focusNextChild)
            grid.addWidget(caption, row, 0)
            grid.addWidget(edit, row, 1)
            grid.addWidget(amount, row, 2)
            self.count_edits[label] = edit
            self.amount_labels[label] = amount
        grid.setColumnStretch(2, 1)

        self.counted_value = _label("CountedValue", format_rupees(0))
        self.expected_value = _label("ExpectedValue", format_rupees(0))
        self.difference_value = _label("DifferenceValue", format_rupees(0))
        totals = QGridLayout()
        totals.setHorizontalSpacing(10)
        totals.setVerticalSpacing(2)
        for row, (text, value) in enumerate(
            (
                ("Counted cash", self.counted_value),
                ("Expected cash", self.expected_value),
                ("Difference", self.difference_value),
            )
        ):
            totals.addWidget(_label("TotalsCaption", text), row, 0)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            totals.addWidget(value, row, 1)
        totals.setColumnStretch(1, 1)

        self.reason_caption = _label("FieldCaption", "&Reason for the difference")
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("DifferenceReason")
        self.reason_edit.setPlaceholderText("Needed when the count differs, e.g. change short")
        self.reason_edit.textChanged.connect(self._update_close_button)
        self.reason_edit.returnPressed.connect(self.close_session)
        self.reason_caption.setBuddy(self.reason_edit)

        right = QVBoxLayout()
        right.addWidget(_label("PaneHeading", "Cash counted"))
        right.addLayout(grid)
        right.addSpacing(4)
        right.addLayout(totals)
        right.addWidget(self.reason_caption)
        right.addWidget(self.reason_edit)
        right.addStretch(1)

        panes = QHBoxLayout()
        panes.setSpacing(24)
        panes.addLayout(left, 5)
        panes.addLayout(right, 4)

        self.close_button = QPushButton(
            f"Close and print Z report ({CLOSE_KEYS.replace('Return', 'Enter')})"
        )
        self.close_button.setObjectName("PrimaryButton")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close_session)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)

        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 18)
        column.setSpacing(10)
        column.addWidget(self.heading)
        column.addWidget(self.subtitle)
        column.addLayout(panes, 1)
        column.addWidget(self.notice)
        column.addLayout(buttons)

        for keys in (CLOSE_KEYS, "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self.close_session)
        self.resize(960, 620)
        self.count_edits[DENOMINATIONS[0]].setFocus()
        self._update_close_button()
        self._run(lambda: counter_sessions.x_report(db), self._show_report)

    # -- reading -------------------------------------------------------------------------

    def _show_report(self, report: SessionReport) -> None:
        self.report = report
        s = report.session
        self.heading.setText(f"Day close - {s.desk}, {s.business_date:%d %b %Y}")
        self.subtitle.setText(
            f"Opened by {s.opened_by} with a float of {format_rupees(s.opening_float)}. "
            "Count the notes and coins in the drawer; the difference updates as you type."
        )
        rows: list[tuple[str, str]] = [
            ("Opening float", format_rupees(s.opening_float)),
            ("+ Cash takings", format_rupees(report.cash_takings)),
            ("- Cash refunds", format_rupees(report.cash_refunds)),
            ("+ Cash put in", format_rupees(report.cash_in)),
            ("- Cash taken out", format_rupees(report.cash_out)),
            ("Expected cash", format_rupees(report.expected_cash)),
        ]
        bold = [len(rows) - 1]
        for method, amount in report.expected.items():
            if method != "cash":
                rows.append(
                    (f"{METHOD_LABELS.get(method, method)} expected", format_rupees(amount))
                )
        rows += [
            (f"Invoices saved ({report.invoices})", format_rupees(report.invoice_total)),
            (f"Credit notes ({report.credit_notes})", format_rupees(report.credit_note_total)),
            ("Dues raised (left owing at the sale)", format_rupees(report.dues_raised)),
        ]
        self.expected_model.set_rows(rows, bold=bold)
        self.expected_value.setText(format_rupees(report.expected_cash))
        self._recount()

    def _failed(self, error: Exception) -> None:
        super()._failed(error)
        if self.report is None:
            self.subtitle.setText(
                f"Nothing to close here: open the counter session first ({OPEN_SESSION_SHORTCUT})."
            )

    # -- counting ------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """The count as typed: notes per denomination, coins in paise (blank is 0)."""
        counts: dict[str, int] = {}
        for label, edit in self.count_edits.items():
            text = edit.text().strip()
            if not text or text == ".":
                counts[label] = 0
            elif label == COINS:
                counts[label] = rupees_to_paise(text)
            else:
                counts[label] = int(text)
        return counts

    def counted(self) -> int:
        return counted_cash(self.counts())

    def difference(self) -> int | None:
        """Counted less expected cash; None until the session is read."""
        return None if self.report is None else self.counted() - self.report.expected_cash

    def _recount(self) -> None:
        counts = self.counts()
        for label, amount in counts.items():
            paise = amount if label == COINS else int(label) * 100 * amount
            self.amount_labels[label].setText(format_rupees(paise))
        self.counted_value.setText(format_rupees(counted_cash(counts)))
        difference = self.difference()
        if difference is None:
            tone, text = "even", "-"
        else:
            tone = "even" if difference == 0 else ("over" if difference > 0 else "short")
            word = {"even": "matches", "over": "over", "short": "short"}[tone]
            text = f"{'+' if difference > 0 else ''}{format_rupees(difference)}  ({word})"
        self.difference_value.setText(text)
        self.difference_value.setProperty("tone", tone)
        restyle(self.difference_value)
        needed = bool(difference)
        self.reason_caption.setText(
            "&Reason for the difference (needed)" if needed else "&Reason for the difference"
        )
        self.reason_edit.setProperty("required", needed and not self.reason_edit.text().strip())
        restyle(self.reason_edit)
        self._update_close_button()

    def _update_close_button(self) -> None:
        difference = self.difference()
        reason = self.reason_edit.text().strip()
        ready = (
            self.report is not None
            and self.report.session.is_open
            and self.is_idle()
            and (difference == 0 or bool(reason))
        )
        self.close_button.setEnabled(ready)
        if difference and not reason:
            self.close_button.setToolTip("Give a reason for the difference first")
        else:
            self.close_button.setToolTip("Close the session and print its Z report")
        self.reason_edit.setProperty("required", bool(difference) and not reason)
        restyle(self.reason_edit)

    def _busy_changed(self) -> None:
        self._update_close_button()

    # -- closing -------------------------------------------------------------------------

    def close_session(self) -> None:
        """Close the session by its id with the count, write the Z report PDF and open it."""
        if self.report is None or not self.close_button.isEnabled():
            if self.difference() and not self.reason_edit.text().strip():
                self._say("The count differs from what was expected: give a reason first.")
                self.reason_edit.setFocus()
            return
        db, user, now = self._db, self._user, self._clock()
        session_id, counts, reason = self.report.session.id, self.counts(), self.reason_edit.text()
        folder = self._pdf_folder

        def close() -> tuple[SessionReport, Path, str]:
            report = counter_sessions.close_session(
                db, user, session_id, denominations=counts, reason=reason, now=now
            )
            # Imported here: ReportLab is not needed to start the app.
            from services.z_report_pdf import write_z_report

            pdf = write_z_report(report, folder)
            return report, pdf, backup.back_up_after_close(db, now=now)

        self._say("Closing the session...", error=False)
        self._run(close, self._closed)

    def _closed(self, result: tuple[SessionReport, Path, str]) -> None:
        report, path, backed_up = result
        self.report, self.pdf_path = report, path
        self._show_report(report)
        for edit in self.count_edits.values():
            edit.setReadOnly(True)
        self.reason_edit.setReadOnly(True)
        self.heading.setText(
            f"Closed - {report.session.desk}, {report.session.business_date:%d %b %Y}"
        )
        self._say(
            f"Session closed by {report.session.closed_by}. Z report: {path}. {backed_up}",
            error=False,
        )
        self.subtitle.setText(
            f"Opened by {report.session.opened_by}, closed by {report.session.closed_by}; "
            "the Z report is open to print."
        )
        self.close_button.hide()
        self.cancel_button.setText("Done")
        self.cancel_button.setFocus()
        self.closed.emit(report)
        if self._open_file is not None:
            self._open_file(path)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 (Qt's name)
        # Enter moves between the count fields (their returnPressed); it never closes the
        # dialog by itself: closing takes Ctrl+Enter or the button.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            event.accept()
            return
        super().keyPressEvent(event)
