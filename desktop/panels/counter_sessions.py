"""Settings > Counter session: this branch's counter sessions, newest first, with what each
counted and its difference, and the Z report of the selected one written again and opened
to print (Enter). The day close itself is Ctrl+Shift+Z from anywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.dialogs.day_close import DAY_CLOSE_SHORTCUT, OPEN_SESSION_SHORTCUT
from desktop.errors import error_sentence, log_failure
from desktop.models.figures_model import FiguresModel
from desktop.workers import BackgroundOp
from domain.money import format_rupees
from services import counter_sessions
from services.auth import CurrentUser
from services.counter_sessions import SessionSummary

HEADERS = ["Date", "Desk", "Status", "Opened by", "Float", "Counted", "Difference", "Closed by"]


def session_row(s: SessionSummary, zone: ZoneInfo) -> tuple[str, ...]:
    """One session as the table shows it."""
    opened = s.opened_at.astimezone(zone)
    return (
        f"{s.business_date:%d %b %Y} {opened:%H:%M}",
        s.desk,
        "Open" if s.is_open else "Closed",
        s.opened_by,
        format_rupees(s.opening_float),
        "" if s.counted_cash is None else format_rupees(s.counted_cash),
        "" if s.difference is None else format_rupees(s.difference),
        s.closed_by or "",
    )


class CounterSessionsPanel(QWidget):
    """The sessions list and "Z report" for the selected one.

    Signals: none.
    """

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        timezone: str,
        pdf_folder: Path,
        open_file: Callable[[Path], object] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._zone = ZoneInfo(timezone)
        self._pdf_folder = pdf_folder
        self._open_file = open_file
        self._busy = 0
        self.sessions: list[SessionSummary] = []
        self.last_pdf: Path | None = None

        intro = QLabel(
            f"{OPEN_SESSION_SHORTCUT} opens the desk's session with its float; "
            f"{DAY_CLOSE_SHORTCUT} counts the drawer and closes it. Select a session and "
            "press Enter for its report."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)
        self.model = FiguresModel(HEADERS, text_columns=(0, 1, 2, 3, 7))
        self.table = QTableView()
        self.table.setObjectName("SessionsTable")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.print_report())
        self.report_button = QPushButton("Z report of the selected session (Enter)")
        self.report_button.setAutoDefault(False)
        self.report_button.clicked.connect(self.print_report)
        self.refresh_button = QPushButton("Refresh (F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        self.notice = QLabel()
        self.notice.setObjectName("NoticeInfo")
        self.notice.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.notice, 1)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.report_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(24, 16, 24, 16)
        column.setSpacing(10)
        column.addWidget(intro)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        for keys, slot in (("Return", self.print_report), ("Enter", self.print_report)):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh)
        self.setFocusProxy(self.table)
        self._loaded = False
        self.setStyleSheet(theme.section("day-close"))

    def is_idle(self) -> bool:
        return self._busy == 0

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def _run(self, call: Callable[[], object], on_success: Callable[[object], object]) -> None:
        self._busy += 1

        def done() -> None:
            self._busy -= 1

        op = BackgroundOp(self, call).success(on_success).failure(self._failed)
        op.finished.connect(done)
        op.run_in_background()

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.notice.setText(error_sentence(error))

    def refresh(self) -> None:
        """Read the sessions again."""
        db = self._db
        self._run(lambda: counter_sessions.list_sessions(db), self._show)

    def _show(self, sessions: object) -> None:
        assert isinstance(sessions, list)
        self.sessions = sessions
        self.model.set_rows([session_row(s, self._zone) for s in sessions])
        if sessions:
            self.table.selectRow(0)
        else:
            self.notice.setText("No counter sessions yet.")

    def print_report(self) -> None:
        """Write the selected session's report (X while open, Z once closed) and open it."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or not self.sessions:
            self.notice.setText("Select a session first.")
            return
        chosen = self.sessions[rows[0].row()]
        db, folder = self._db, self._pdf_folder

        def write() -> Path:
            # Imported here: ReportLab is not needed to start the app.
            from services.z_report_pdf import write_z_report

            return write_z_report(counter_sessions.x_report(db, chosen.id), folder)

        self._run(write, self._written)

    def _written(self, path: object) -> None:
        assert isinstance(path, Path)
        self.last_pdf = path
        self.notice.setText(f"Wrote {path}")
        if self._open_file is not None:
            self._open_file(path)


def sessions_tab(db: Database, user: CurrentUser, timezone: str) -> CounterSessionsPanel:
    """The Settings tab as the Settings panel builds it: Z reports beside the invoices'
    folder (Documents/Frontdesk/z-reports), opened in the system's viewer."""
    from desktop.panels.invoice_entry import default_invoice_folder, open_with_system

    return CounterSessionsPanel(
        db,
        user,
        timezone=timezone,
        pdf_folder=default_invoice_folder().parent / "z-reports",
        open_file=open_with_system,
    )
