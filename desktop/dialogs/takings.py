"""Today's takings, for the manager (Ctrl+Shift+T): a day or a range of days, the sales and
refunds, the money received and paid back by method, the dues raised and settled, and the
advances (services.takings), read off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QDate
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.figures_model import FiguresModel
from desktop.widgets.figures import figures_view
from desktop.workers import BackgroundOp
from domain.money import format_rupees
from services import takings as takings_service
from services.auth import CurrentUser
from services.takings import Takings

TAKINGS_SHORTCUT = "Ctrl+Shift+T"
SHORTCUTS: tuple[tuple[str, str], ...] = (
    (TAKINGS_SHORTCUT, "Today's takings (manager): a day or a range"),
)
METHOD_LABELS = {"cash": "Cash", "upi": "UPI", "card": "Card", "wallet": "Wallet"}


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def figure_rows(figures: Takings) -> list[tuple[str, str, str]]:
    """The takings' figures as the table shows them: what, how many, how much."""
    return [
        ("Sales (invoices)", str(figures.invoices), format_rupees(figures.sales)),
        ("Refunds (credit notes)", str(figures.credit_notes), format_rupees(figures.refunds)),
        ("Net sales", "", format_rupees(figures.net_sales)),
        ("Invoices cancelled", str(figures.cancelled), ""),
        ("Dues raised", "", format_rupees(figures.dues_raised)),
        ("Dues settled", "", format_rupees(figures.dues_settled)),
        ("Advances taken", "", format_rupees(figures.advances_taken)),
        ("Advances used", "", format_rupees(figures.advances_used)),
    ]


def method_rows(figures: Takings) -> list[tuple[str, str, str, str]]:
    """Money by method, and the total of all methods last."""
    rows = [
        (
            METHOD_LABELS.get(m.method, m.method),
            format_rupees(m.received),
            format_rupees(m.paid_back),
            format_rupees(m.net),
        )
        for m in figures.by_method
    ]
    rows.append(
        (
            "All methods",
            format_rupees(figures.received),
            format_rupees(figures.paid_back),
            format_rupees(figures.net_money),
        )
    )
    return rows


class TakingsDialog(QDialog):
    """The manager's takings for a day (From = To) or a range; Enter or F5 reads them again.

    Signals: none (QDialog's own).
    """

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        today: date,
        clock: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._busy = 0
        self._today = today
        self.figures: Takings | None = None
        self.setObjectName("TakingsDialog")
        self.setWindowTitle("Today's takings")
        self.setStyleSheet(theme.section("day-close") + theme.section("spec-dialog"))

        self.heading = QLabel("Today's takings")
        self.heading.setObjectName("FormHeading")
        self.from_edit = QDateEdit(_qdate(today))
        self.to_edit = QDateEdit(_qdate(today))
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd-MM-yyyy")
            edit.setMinimumWidth(130)
            edit.setMaximumDate(_qdate(today))
        self.from_edit.dateChanged.connect(self._from_changed)
        from_caption = QLabel("&From")
        from_caption.setObjectName("FieldCaption")
        from_caption.setBuddy(self.from_edit)
        to_caption = QLabel("&To")
        to_caption.setObjectName("FieldCaption")
        to_caption.setMinimumWidth(to_caption.fontMetrics().horizontalAdvance("To") + 8)
        to_caption.setBuddy(self.to_edit)
        self.today_button = QPushButton("T&oday")
        self.today_button.clicked.connect(self.show_today)
        self.refresh_button = QPushButton("Show (F5)")
        self.refresh_button.setObjectName("PrimaryButton")
        self.refresh_button.clicked.connect(self.refresh)
        for button in (self.today_button, self.refresh_button):
            button.setAutoDefault(False)
        # On the centre (the head office): the whole chain's takings, or one branch's. The
        # dashboard's service is imported here, not with the window: it brings numpy, which
        # the main window leaves until the dashboard opens (startup time).
        from services import dashboard as dashboard_service

        codes = dashboard_service.branch_codes(db, user) if db.on_centre else []
        self.branch_combo = QComboBox(self)
        self.branch_combo.addItem("Whole chain", None)
        for code in codes:
            self.branch_combo.addItem(code, code)
        self.branch_combo.setAccessibleName("Branch")
        self.branch_combo.setToolTip(
            "The head office: one branch's takings, or every branch's added up (each by its "
            "own business dates)"
        )
        self.branch_combo.currentIndexChanged.connect(lambda _index: self.refresh())
        branch_caption = QLabel("&Branch")
        branch_caption.setObjectName("FieldCaption")
        branch_caption.setBuddy(self.branch_combo)
        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(from_caption)
        filters.addWidget(self.from_edit)
        filters.addSpacing(8)
        filters.addWidget(to_caption)
        filters.addWidget(self.to_edit)
        filters.addSpacing(8)
        filters.addWidget(self.today_button)
        if codes:
            filters.addSpacing(8)
            filters.addWidget(branch_caption)
            filters.addWidget(self.branch_combo)
        else:
            branch_caption.hide()
            self.branch_combo.hide()
        filters.addStretch(1)
        filters.addWidget(self.refresh_button)

        self.figures_model = FiguresModel(["Figure", "Count", "Amount"])
        self.methods_model = FiguresModel(["Method", "Received", "Paid back", "Net"])
        self.figures_view = figures_view(self.figures_model, "TakingsTable")
        self.methods_view = figures_view(self.methods_model, "TakingsMethods")
        self.notice = QLabel()
        self.notice.setObjectName("NoticeError")
        self.notice.setWordWrap(True)
        self.notice.hide()

        sales = QVBoxLayout()
        caption = QLabel("Sales, refunds, dues and advances")
        caption.setObjectName("PaneHeading")
        sales.addWidget(caption)
        sales.addWidget(self.figures_view, 1)
        money = QVBoxLayout()
        caption = QLabel("Money by payment method")
        caption.setObjectName("PaneHeading")
        money.addWidget(caption)
        money.addWidget(self.methods_view, 1)
        panes = QHBoxLayout()
        panes.setSpacing(24)
        panes.addLayout(sales, 1)
        panes.addLayout(money, 1)

        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)

        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 18)
        column.setSpacing(10)
        column.addWidget(self.heading)
        column.addLayout(filters)
        column.addLayout(panes, 1)
        column.addWidget(self.notice)
        column.addLayout(bottom)

        for keys in ("F5", "Return", "Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.refresh)
        self.resize(980, 480)
        # The filter row never narrower than its controls as the stylesheet draws them.
        for control in (self.today_button, self.refresh_button, self.branch_combo):
            control.ensurePolished()
        margins = column.contentsMargins()
        self.setMinimumWidth(filters.sizeHint().width() + margins.left() + margins.right())
        self.from_edit.setFocus()
        self.refresh()

    def is_idle(self) -> bool:
        return self._busy == 0

    def _from_changed(self, value: QDate) -> None:
        if self.to_edit.date() < value:
            self.to_edit.setDate(value)

    def show_today(self) -> None:
        self.from_edit.setDate(_qdate(self._today))
        self.to_edit.setDate(_qdate(self._today))
        self.refresh()

    def refresh(self) -> None:
        """Read the takings for the dates shown."""
        start, end = _date(self.from_edit.date()), _date(self.to_edit.date())
        db, user = self._db, self._user
        code = self.branch_combo.currentData()
        branches = () if code is None else (str(code),)
        self._busy += 1

        def done() -> None:
            self._busy -= 1

        op = BackgroundOp(
            self, lambda: takings_service.takings(db, user, start, end, branches=branches)
        )
        op.success(self._show).failure(self._failed)
        op.finished.connect(done)
        op.run_in_background()

    def _show(self, figures: Takings) -> None:
        self.figures = figures
        if figures.start == figures.end:
            days = f"{figures.start:%d %b %Y}"
            if figures.start == self._today:
                days = f"today, {days}"
        else:
            days = f"{figures.start:%d %b %Y} to {figures.end:%d %b %Y}"
        if not self.branch_combo.isHidden():
            days = f"{days} - {self.branch_combo.currentText()}"
        self.heading.setText(f"Takings - {days}")
        self.figures_model.set_rows(figure_rows(figures), bold=[2])
        self.methods_model.set_rows(method_rows(figures), bold=[-1])
        self.notice.hide()

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.notice.setText(error_sentence(error))
        self.notice.show()
