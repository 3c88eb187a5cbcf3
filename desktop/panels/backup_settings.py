"""The Backups tab of the Settings panel (admin): where copies go and how many are kept,
"Back up now", the copies on disk, and restoring one (services.backup).

Restoring asks first, saying what the current database holds that the copy does not; the
database is closed, the copy put in its place (the current file kept aside), and everyone
signs in again on the restored file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop.errors import error_sentence, log_failure
from desktop.widgets.form import restyle
from desktop.workers import OpCounter, ProgressRelay
from services import backup, data_export
from services.auth import CurrentUser
from services.backup import BackupFile, BackupSettings, BackupState, RestorePreview


class BackupSettingsPanel(QWidget):
    """Backups: the folder, the rotation, "Back up now", the copies and restore.

    Signals:
        restored(str): a copy was restored from this path; the app signs everyone out.
    """

    restored = Signal(str)

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        *,
        clock: Callable[[], datetime],
        timezone: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._timezone = timezone
        self._ops = OpCounter(self)
        self._copies: list[BackupFile] = []
        self.question: QMessageBox | None = None

        title = QLabel("Backups")
        title.setObjectName("FormHeading")
        intro = QLabel(
            "A checked copy of this branch's database is taken each day the app is used, at "
            "the day's close and on Back up now. Choose a folder on another disk, a USB drive "
            "or a synced folder: a copy on the same disk is lost with it."
        )
        intro.setObjectName("Hint")
        intro.setWordWrap(True)
        self.state_label = QLabel("Reading the backups...")
        self.state_label.setObjectName("BackupState")
        self.state_label.setWordWrap(True)

        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("backupFolder")
        self.folder_edit.setPlaceholderText(str(backup.default_folder(db.path)))
        self.folder_edit.setAccessibleName("Backup folder")
        browse = QPushButton("Choose...")
        browse.setAutoDefault(False)
        browse.clicked.connect(self.choose_folder)
        self.daily_spin = QSpinBox()
        self.daily_spin.setRange(1, 90)
        self.daily_spin.setSuffix(" days")
        self.daily_spin.setAccessibleName("Daily copies kept")
        self.weekly_spin = QSpinBox()
        self.weekly_spin.setRange(0, 52)
        self.weekly_spin.setSuffix(" weeks")
        self.weekly_spin.setAccessibleName("Weekly copies kept")
        self.save_button = QPushButton("Save")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.back_up_button = QPushButton("&Back up now")
        self.back_up_button.setObjectName("PrimaryButton")
        self.back_up_button.setAutoDefault(False)
        self.back_up_button.clicked.connect(self.back_up_now)

        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(QLabel("Folder"), 0, 0)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        grid.addLayout(folder_row, 0, 1, 1, 4)
        grid.addWidget(QLabel("Keep a copy of each of the last"), 1, 0)
        grid.addWidget(self.daily_spin, 1, 1)
        grid.addWidget(QLabel("then one a week for"), 1, 2)
        grid.addWidget(self.weekly_spin, 1, 3)
        grid.setColumnStretch(4, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.back_up_button)
        buttons.addStretch(1)

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("backupsTable")
        self.table.setHorizontalHeaderLabels(["Taken", "Why", "Size"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._enable)
        self.restore_button = QPushButton("Restore the chosen copy...")
        self.restore_button.setAutoDefault(False)
        self.restore_button.clicked.connect(self.restore_selected)
        self.restore_file_button = QPushButton("Restore from a file...")
        self.restore_file_button.setAutoDefault(False)
        self.restore_file_button.clicked.connect(self.restore_from_file)
        self.export_button = QPushButton("&Export all data (CSV zip)...")
        self.export_button.setAutoDefault(False)
        self.export_button.setToolTip(
            "Every table as a CSV file in one zip: for an accountant or other software"
        )
        self.export_button.clicked.connect(self.choose_export)
        self._export_progress = ProgressRelay(self._exporting, self)
        restore_row = QHBoxLayout()
        restore_row.addWidget(self.restore_button)
        restore_row.addWidget(self.restore_file_button)
        restore_row.addStretch(1)
        restore_row.addWidget(self.export_button)
        self.message = QLabel()
        self.message.setObjectName("Muted")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        column = QVBoxLayout(self)
        column.setContentsMargins(24, 18, 24, 18)
        column.setSpacing(10)
        column.addWidget(title)
        column.addWidget(intro)
        column.addWidget(self.state_label)
        column.addLayout(grid)
        column.addLayout(buttons)
        column.addWidget(QLabel("Copies on disk (newest first)"))
        column.addWidget(self.table, 1)
        column.addLayout(restore_row)
        column.addWidget(self.message)
        self._enable()
        self.reload()

    # -- reading -------------------------------------------------------------------------

    def is_idle(self) -> bool:
        return self._ops.idle

    def reload(self) -> None:
        db, now = self._db, self._clock()

        def read() -> tuple[BackupSettings, BackupState, list[BackupFile]]:
            settings = backup.backup_settings(db)
            state = backup.backup_state(db, now=now)
            return settings, state, backup.list_backups(state.folder)

        self._ops.run(read, self._show, self._failed)

    def _show(self, found: tuple[BackupSettings, BackupState, list[BackupFile]]) -> None:
        settings, state, copies = found
        self.folder_edit.setText(settings.folder)
        self.daily_spin.setValue(settings.daily)
        self.weekly_spin.setValue(settings.weekly)
        self._show_state(state)
        self._copies = copies
        self.table.setRowCount(len(copies))
        for row, copy in enumerate(copies):
            taken = copy.taken_at.astimezone(self._zone)
            cells = (f"{taken:%d %b %Y, %H:%M}", copy.reason, f"{copy.size / 1_048_576:.1f} MB")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(str(copy.path))
                self.table.setItem(row, column, item)
        self._enable()

    def _show_state(self, state: BackupState) -> None:
        self.state_label.setText(f"{state.sentence(self._timezone)}. Copies go to {state.folder}.")
        self.state_label.setProperty("stale", state.stale)
        restyle(self.state_label)

    def _enable(self) -> None:
        self.restore_button.setEnabled(self.chosen() is not None and self._ops.idle)

    def chosen(self) -> BackupFile | None:
        rows = self.table.selectionModel().selectedRows()
        return self._copies[rows[0].row()] if rows and rows[0].row() < len(self._copies) else None

    def _failed(self, error: Exception) -> None:
        log_failure(error)
        self.message.setText(error_sentence(error))
        self._enable()

    # -- settings and backing up ---------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Backup folder", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def save(self) -> None:
        db, user, now = self._db, self._user, self._clock()
        chosen = BackupSettings(
            self.folder_edit.text().strip(), self.daily_spin.value(), self.weekly_spin.value()
        )
        self.message.setText("Saving...")

        def saved(_settings: BackupSettings) -> None:
            self.message.setText("Saved: the next copy goes there.")
            self.reload()

        self._ops.run(
            lambda: backup.save_backup_settings(db, user, chosen, now=now), saved, self._failed
        )

    def back_up_now(self) -> None:
        if not self._ops.idle:
            return
        db, now = self._db, self._clock()
        self.message.setText("Backing up...")

        def done(copy: BackupFile) -> None:
            self.message.setText(f"Backed up to {copy.path} (checked).")
            self.reload()

        self._ops.run(lambda: backup.take_backup(db, now=now, reason="manual"), done, self._failed)

    # -- exporting -----------------------------------------------------------------------

    def choose_export(self) -> None:
        stamp = self._clock().astimezone(self._zone)
        suggested = Path.home() / f"frontdesk-data-{stamp:%Y-%m-%d}.zip"
        name, _ = QFileDialog.getSaveFileName(
            self, "Export all data", str(suggested), "Zip files (*.zip)"
        )
        if name:
            self.export_to(Path(name))

    def export_to(self, target: Path) -> None:
        """Write the clinic's data as CSV files in the zip `target`, saying how far it got."""
        if not self._ops.idle:
            return
        db, user, now, relay = self._db, self._user, self._clock(), self._export_progress

        def done(result: data_export.ExportResult) -> None:
            self.message.setText(
                f"Exported {result.rows:,} rows of {result.tables} tables to {result.path}."
            )

        self.message.setText("Exporting...")
        self._ops.run(
            lambda: data_export.export_zip(db, user, target, now=now, progress=relay.report),
            done,
            self._failed,
        )

    def _exporting(self, percent: int, text: str) -> None:
        if not self._ops.idle:
            self.message.setText(f"Exporting: {percent}% - {text}")

    # -- restoring -----------------------------------------------------------------------

    def restore_selected(self) -> None:
        copy = self.chosen()
        if copy is not None:
            self.ask_to_restore(copy.path)

    def restore_from_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Restore a backup", str(backup.default_folder(self._db.path)), "Databases (*.db)"
        )
        if name:
            self.ask_to_restore(Path(name))

    def ask_to_restore(self, path: Path) -> None:
        """Check the copy and say what restoring it would lose; the question stays open."""
        current = self._db.path
        self.message.setText(f"Checking {path.name}...")
        self._ops.run(lambda: backup.restore_preview(current, path), self._confirm, self._failed)

    def _confirm(self, preview: RestorePreview) -> None:
        self.message.setText("")
        question = QMessageBox(self)
        question.setIcon(QMessageBox.Icon.Warning)
        question.setWindowTitle("Restore a backup")
        question.setText(preview.sentence())
        question.setInformativeText(
            "The current database is kept aside; everyone signs in again on the restored one."
        )
        restore = question.addButton("Restore", QMessageBox.ButtonRole.DestructiveRole)
        question.addButton(QMessageBox.StandardButton.Cancel)
        question.setDefaultButton(QMessageBox.StandardButton.Cancel)
        question.finished.connect(
            lambda _result: self._answered(question.clickedButton() is restore, preview.path)
        )
        self.question = question
        question.open()

    def _answered(self, yes: bool, path: Path) -> None:
        self.question = None
        if yes:
            self.restore(path)

    def restore(self, path: Path) -> None:
        """Put the copy in place (the database closed meanwhile), then sign everyone out."""
        db, user, now = self._db, self._user, self._clock()
        self.message.setText(f"Restoring {path.name}...")

        def run() -> Path:
            db.close()
            aside = backup.restore(db.path, path, now=now)
            backup.audit_restore(db, user, path, aside, now=now)
            return aside

        def done(aside: Path) -> None:
            self.message.setText(
                f"Restored {path.name}. The previous database was kept as {aside}."
            )
            self.restored.emit(str(path))

        self._ops.run(run, done, self._failed)
