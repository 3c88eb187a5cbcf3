"""The crash handler (issue #14): an exception nobody caught, in a slot, a thread or at
start-up, is logged with its traceback, saved as a report with no patient data in it
(services.diagnostics), and shown in a dialog that says what to do. Qt's own warnings go to
the log; a hard crash's traceback goes to crashes/faults.log (faulthandler).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QtMsgType,
    QUrl,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from domain import log
from services import diagnostics

WHAT_TO_DO = (
    "Everything saved before this moment is safe: invoices are saved whole or not at all. "
    "If the last invoice is not in the Invoices panel, enter it again.\n\n"
    "Please send the report to your Frontdesk support (Copy report, then paste it in an "
    "email). It holds no patient names or mobiles. You can go on working; if the same "
    "thing happens again, close Frontdesk and open it again."
)


class CrashDialog(QDialog):
    """'Something went wrong': what to do, the report's place, Copy report, Continue."""

    def __init__(self, report: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CrashDialog")
        self.setWindowTitle("Something went wrong - Frontdesk")
        self.report = report
        title = QLabel("Something went wrong in Frontdesk")
        title.setObjectName("FormHeading")
        body = QLabel(WHAT_TO_DO)
        body.setWordWrap(True)
        where = QLabel(
            f"The report was saved as {report}."
            if report is not None
            else "The report could not be saved (is the disk full?)."
        )
        where.setObjectName("Muted")
        where.setWordWrap(True)
        self.copy_button = QPushButton("&Copy report")
        self.copy_button.setEnabled(report is not None)
        self.copy_button.clicked.connect(self.copy_report)
        self.folder_button = QPushButton("&Open folder")
        self.folder_button.setEnabled(report is not None)
        self.folder_button.clicked.connect(self.open_folder)
        buttons = QDialogButtonBox()
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.continue_button = buttons.addButton(
            "Co&ntinue", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        column = QVBoxLayout(self)
        column.setContentsMargins(22, 18, 22, 16)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(body)
        column.addWidget(where)
        column.addWidget(buttons)
        # Word-wrapped text sizes the dialog only at a known width.
        for label in (body, where):
            label.setMinimumWidth(500)
        column.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.continue_button.setFocus()

    def copy_report(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(self.report.read_text(encoding="utf-8"))
            self.copy_button.setText("Copied")

    def open_folder(self) -> None:
        if self.report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report.parent)))


class CrashHandler(QObject):
    """Installed once per app (`install`); `crashed` carries each report to the UI thread.

    Signals:
        crashed(object): the report's path (or None when it could not be saved).
    """

    crashed = Signal(object)

    def __init__(
        self,
        parent_window: Callable[[], QWidget | None],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        folder: Path | None = None,
    ) -> None:
        super().__init__()
        self._parent_window = parent_window
        self._clock = clock
        self._folder = folder
        self.dialog: CrashDialog | None = None
        self.crashed.connect(self._show)
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        qInstallMessageHandler(_qt_message)
        diagnostics.enable_fault_log(self._folder)

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook
        qInstallMessageHandler(None)
        diagnostics.disable_fault_log()

    def excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self._previous_hook(kind, error, tb)
            return
        self._report(kind, error, tb, "the app")

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self._report(args.exc_type, args.exc_value, args.exc_traceback, "a worker thread")

    def _report(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None, where: str
    ) -> None:
        log.ui.critical("unexpected error in %s", where, exc_info=(kind, error, tb))
        path = diagnostics.write_crash_report(
            kind, tb, now=self._clock(), where=where, folder=self._folder
        )
        self.crashed.emit(path)  # queued to the UI thread when raised elsewhere

    def _show(self, path: Path | None) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            return  # one dialog at a time; each report is saved all the same
        self.dialog = CrashDialog(path, self._parent_window())
        self.dialog.open()


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: 10,
    QtMsgType.QtInfoMsg: 20,
    QtMsgType.QtWarningMsg: 30,
    QtMsgType.QtCriticalMsg: 40,
    QtMsgType.QtFatalMsg: 50,
}


def _qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    log.ui.log(_QT_LEVELS.get(kind, 30), "Qt: %s", message)
