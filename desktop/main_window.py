"""The main window: navigation rail, header line, the panels, and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.campaigns.shortcuts import SHORTCUTS as CAMPAIGN_SHORTCUTS
from desktop.counter.session import CounterState, ParkedCart
from desktop.dialogs.day_close import (
    CASH_SHORTCUT,
    DAY_CLOSE_SHORTCUT,
    OPEN_SESSION_SHORTCUT,
    CashMoveDialog,
    DayCloseDialog,
    OpenSessionDialog,
)
from desktop.dialogs.day_close import SHORTCUTS as SESSION_SHORTCUTS
from desktop.dialogs.takings import SHORTCUTS as TAKINGS_SHORTCUTS
from desktop.dialogs.takings import TAKINGS_SHORTCUT, TakingsDialog
from desktop.errors import error_sentence
from desktop.help_dialog import ShortcutsDialog
from desktop.models.callback_model import QueueFilter
from desktop.navigation_rail import NavigationRail
from desktop.panels.callbacks import SHORTCUTS as CALLBACK_SHORTCUTS
from desktop.panels.callbacks import CallbacksPanel
from desktop.panels.catalog import SHORTCUTS as CATALOG_SHORTCUTS
from desktop.panels.catalog import CatalogPanel
from desktop.panels.invoice_entry import SHORTCUTS as INVOICE_SHORTCUTS
from desktop.panels.invoice_entry import InvoiceEntryPanel, default_invoice_folder, open_with_system
from desktop.panels.invoices import SHORTCUTS as INVOICES_SHORTCUTS
from desktop.panels.invoices import InvoicesPanel
from desktop.panels.placeholder import PLANNED, PlaceholderPanel
from desktop.panels.promotions import PromotionsPanel
from desktop.panels.settings import SettingsPanel
from desktop.panels.sponsors import SHORTCUTS as SPONSOR_SHORTCUTS
from desktop.panels.sponsors import SponsorsPanel
from desktop.widgets.elided_label import ElidedLabel
from desktop.widgets.form import restyle
from desktop.widgets.questions import whole_buttons
from desktop.workers import BackgroundOp
from domain import log
from domain.permissions import allowed
from domain.roles import Role
from services import backup as backup_service
from services import callbacks as callback_service
from services import diagnostics, sync_settings
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.patients import PatientMatch

if TYPE_CHECKING:
    from services.campaign_sender import SendResult
    from services.sync import SyncResult

GEOMETRY_KEY = "main_window/geometry"
MINIMUM_WIDTH, MINIMUM_HEIGHT = 1024, 640
SIGN_OUT_SHORTCUT = "Ctrl+Shift+L"
# What the status bar says until sync exists (it arrives with its own issue).
SYNC_NOT_CONFIGURED = "Sync: not configured - this branch keeps its data on this computer only"
# The app opened on the centre: it is where branches sync to, not a branch that syncs.
BACKUP_ON_CENTRE = "Backups: the centre's own (pg_dump)"
SYNC_ON_CENTRE = "Head office: working on the centre - Branches (Ctrl+0) shows each branch's sync"
# How often the status bar counts the overdue callbacks (also after every change made in
# the Callbacks panel).
OVERDUE_REFRESH_MS = 60_000
# Campaign messages (issue #16): a round every minute, its news in the status bar a while.
SEND_INTERVAL_MS = 60_000
SEND_MESSAGE_MS = 15_000


def sync_pending_text(pending: int) -> str:
    if pending == 0:
        return "Sync: everything sent to the centre"
    return f"Sync: {pending} document{'s' if pending != 1 else ''} waiting for the centre"


def overdue_text(count: int) -> str:
    """'1 callback overdue', '3 callbacks overdue'; '' when there are none (hidden)."""
    if count <= 0:
        return ""
    return f"{count} callback{'' if count == 1 else 's'} overdue"


@dataclass(frozen=True)
class PanelSpec:
    """A panel of the rail: its key, rail label, header title, icon, the action that opening
    it is (domain.permissions says who may) and shortcut."""

    key: str
    label: str
    title: str
    icon: str
    action: str
    shortcut: str


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("invoice", "Invoice", "Invoice", "invoice", "invoice.save", "Ctrl+1"),
    PanelSpec("invoices", "Invoices", "Invoices", "invoice", "invoice.read", "Ctrl+8"),
    PanelSpec("callbacks", "Callbacks", "Callbacks", "callbacks", "callback.read", "Ctrl+2"),
    PanelSpec("promotions", "Promotions", "Promotions", "promotions", "promotion.read", "Ctrl+3"),
    PanelSpec("catalog", "Catalog", "Catalog", "catalog", "catalog.read", "Ctrl+7"),
    PanelSpec("campaigns", "Campaigns", "Campaigns", "campaigns", "campaign.manage", "Ctrl+4"),
    PanelSpec("sponsors", "Sponsors", "Sponsors", "sponsors", "sponsor.manage", "Ctrl+9"),
    PanelSpec("dashboard", "Dashboard", "Dashboard", "dashboard", "dashboard.read", "Ctrl+5"),
    PanelSpec("settings", "Settings", "Settings", "settings", "settings.open", "Ctrl+6"),
)


# The head office's own panel, in the app opened on the centre only (before Settings).
BRANCHES_PANEL = PanelSpec(
    "branches", "Branches", "Branches", "branches", "dashboard.read", "Ctrl+0"
)


def panels_for(role: Role, *, centre: bool = False) -> list[PanelSpec]:
    """The panels a user with `role` may open, in rail order (`centre`: the app is open on
    the centre, for the head office)."""
    specs = list(PANELS)
    if centre:
        specs.insert([spec.key for spec in specs].index("settings"), BRANCHES_PANEL)
    return [spec for spec in specs if allowed(role, spec.action)]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MainWindow(QMainWindow):
    """One signed-in session: the rail, the current panel, who and where, and sync state.

    Closing the window or signing out with an unsaved invoice at the counter asks first:
    save it, discard it or stay (and, when signing out, park it for the next sign-in).

    Signals:
        sign_out_requested(object): the person chose Sign out; the owner decides what
            follows. Carries the counter's parked cart (ParkedCart), or None.
        panel_changed(str): the key of the panel now shown.
        branch_changed(object): the branch's details were saved (BranchInfo).
        overdue_counted(int): the status bar shows this many overdue callbacks now.
        invoice_saved(str): the counter saved an invoice (its id).
        counter_session_changed(): the desk's counter session opened, closed or moved cash.
    """

    sign_out_requested = Signal(object)
    panel_changed = Signal(str)
    branch_changed = Signal(object)
    overdue_counted = Signal(int)
    invoice_saved = Signal(str)
    counter_session_changed = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        settings: QSettings,
        clock: Callable[[], datetime] = _utc_now,
        invoice_folder: Path | None = None,
        open_file: Callable[[Path], object] | None = open_with_system,
        parent: QWidget | None = None,
    ) -> None:
        """`invoice_folder` is where invoice PDFs go (Documents/Frontdesk/invoices by default);
        `open_file` shows a written PDF (the system viewer; None leaves it closed)."""
        super().__init__(parent)
        self._db = db
        self._invoice_folder = invoice_folder
        self._open_file = open_file
        self.user = user
        self.branch_info = branch_info
        self._settings = settings
        self._clock = clock
        # A database on PostgreSQL is the centre: the app is the head office's.
        self._centre = db.engine.dialect.name == "postgresql"
        self._specs = {spec.key: spec for spec in panels_for(user.role, centre=self._centre)}
        self._panels: dict[str, QWidget] = {}
        self._help: ShortcutsDialog | None = None
        self._counting = 0
        self._overdue = 0
        self._backing_up = 0
        self._backup_checked = False
        self._syncing = 0
        # A round with the centre every interval of Settings > Sync, once one is configured.
        self.sync_timer = QTimer(self)
        self.sync_timer.timeout.connect(self.sync_round)
        # Campaign messages that are due leave every minute while the app is open (#16).
        self._sending = 0
        self.last_send: SendResult | None = None
        self.send_timer = QTimer(self)
        self.send_timer.setInterval(SEND_INTERVAL_MS)
        self.send_timer.timeout.connect(self.send_round)
        # Set once the person chose how to leave; the close that follows asks nothing.
        self._leaving = False
        # What to do once the counter's invoice is saved ("close" or "sign_out").
        self._after_save: str | None = None
        self._question: QMessageBox | None = None
        # The counter session's dialog on show (one at a time), kept alive while open.
        self._session_dialog: QDialog | None = None

        self.setWindowTitle(f"Frontdesk - {branch_info.details.name}")
        # A 1024x768 screen with a task bar; the counter has a narrow arrangement for it.
        self.setMinimumSize(QSize(MINIMUM_WIDTH, MINIMUM_HEIGHT))

        self.rail = NavigationRail()
        self.rail.panel_requested.connect(self.show_panel)
        self.stack = QStackedWidget()
        self.stack.setObjectName("PanelStack")

        for spec in self._specs.values():
            self.rail.add_panel(spec.key, spec.label, spec.icon, spec.shortcut)
            action = QAction(f"Open {spec.label}", self)
            action.setObjectName(f"open_{spec.key}")
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, k=spec.key: self.show_panel(k))
            self.addAction(action)

        self.title_label = QLabel()
        self.title_label.setObjectName("PanelTitle")
        self.branch_label = QLabel()
        self.branch_label.setObjectName("HeaderBranch")
        self.user_label = QLabel(f"{user.full_name} ({user.role.label})")
        self.user_label.setObjectName("HeaderUser")

        self.sign_out_action = QAction(theme.icon("sign_out"), "Sign out", self)
        self.sign_out_action.setObjectName("sign_out")
        self.sign_out_action.setShortcut(QKeySequence(SIGN_OUT_SHORTCUT))
        self.sign_out_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.sign_out_action.setToolTip(f"Sign out ({SIGN_OUT_SHORTCUT})")
        self.sign_out_action.triggered.connect(self._sign_out)
        self.addAction(self.sign_out_action)
        sign_out_button = QToolButton()
        sign_out_button.setObjectName("HeaderButton")
        sign_out_button.setDefaultAction(self.sign_out_action)
        sign_out_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        sign_out_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        header = QWidget()
        header.setObjectName("HeaderBar")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        header_row = QHBoxLayout(header)
        header_row.setContentsMargins(24, 10, 14, 10)
        header_row.setSpacing(12)
        # The title takes the free space, so a longer title never gets clipped.
        header_row.addWidget(self.title_label, 1)
        header_row.addWidget(self.branch_label)
        header_row.addWidget(_separator())
        user_icon = QLabel()
        user_icon.setPixmap(theme.icon("user").pixmap(18, 18))
        header_row.addWidget(user_icon)
        header_row.addWidget(self.user_label)
        header_row.addSpacing(4)
        header_row.addWidget(sign_out_button)

        content = QWidget()
        content_column = QVBoxLayout(content)
        content_column.setContentsMargins(0, 0, 0, 0)
        content_column.setSpacing(0)
        content_column.addWidget(header)
        content_column.addWidget(self.stack, 1)

        central = QWidget()
        central_row = QHBoxLayout(central)
        central_row.setContentsMargins(0, 0, 0, 0)
        central_row.setSpacing(0)
        central_row.addWidget(self.rail)
        central_row.addWidget(content, 1)
        self.setCentralWidget(central)

        # The status bar's first line gives way to the others at the smallest window.
        self.sync_label = ElidedLabel()
        self.sync_label.setObjectName("SyncState")
        self.show_sync_pending(None)
        self.help_action = QAction(theme.icon("help"), "F1 Help", self)
        self.help_action.setObjectName("help")
        self.help_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.help_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.help_action.setToolTip("Keyboard shortcuts (F1)")
        self.help_action.triggered.connect(self.show_help)
        self.addAction(self.help_action)
        self._add_session_actions()
        help_button = QToolButton()
        help_button.setObjectName("HelpButton")
        help_button.setDefaultAction(self.help_action)
        help_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        help_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        status.addWidget(self.sync_label, 1)
        # "3 callbacks overdue": counted in the background, a click opens the queue's
        # Overdue view; hidden while nothing is overdue.
        self.overdue_button = QToolButton()
        self.overdue_button.setObjectName("OverdueCallbacks")
        self.overdue_button.setIcon(theme.icon("callbacks"))
        self.overdue_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.overdue_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.overdue_button.setToolTip("Open the callbacks that are past their due time")
        self.overdue_button.clicked.connect(self.show_overdue)
        self.overdue_button.hide()
        status.addPermanentWidget(self.overdue_button)
        # "Last good backup: ...": the day's copy is taken when the window first shows.
        self.backup_label = QLabel("Backup: checking...")
        self.backup_label.setObjectName("BackupState")
        status.addPermanentWidget(self.backup_label)
        status.addPermanentWidget(help_button)
        self.overdue_timer = QTimer(self)
        self.overdue_timer.setInterval(OVERDUE_REFRESH_MS)
        self.overdue_timer.timeout.connect(self.refresh_overdue)

        self._show_branch(branch_info)
        self.show_panel(next(iter(self._specs)))

    # -- panels --------------------------------------------------------------------------

    def _build_panel(self, spec: PanelSpec) -> QWidget:
        if spec.key == "invoice":
            invoice = InvoiceEntryPanel(
                self._db,
                self.user,
                self.branch_info,
                clock=self._clock,
                invoice_folder=self._invoice_folder,
                open_file=self._open_file,
            )
            self.branch_changed.connect(invoice.set_branch_info)
            invoice.session.state_changed.connect(self._counter_state_changed)
            invoice.callback_requested.connect(self.request_callback)
            invoice.invoice_saved.connect(self.invoice_saved)
            invoice.invoice_saved.connect(lambda _id: self.check_sync())
            return invoice
        if spec.key == "invoices":
            invoices = InvoicesPanel(
                self._db,
                self.user,
                self.branch_info,
                clock=self._clock,
                invoice_folder=self._invoice_folder or default_invoice_folder(),
                open_file=self._open_file,
            )
            self.branch_changed.connect(invoices.set_branch_info)
            self.invoice_saved.connect(lambda _id: invoices.refresh())
            return invoices
        if spec.key == "callbacks":
            callbacks = CallbacksPanel(self._db, self.user, self.branch_info, clock=self._clock)
            callbacks.callback_added.connect(self.refresh_overdue)
            callbacks.callback_changed.connect(self.refresh_overdue)
            return callbacks
        if spec.key == "promotions":
            promotions = PromotionsPanel(self._db, self.user, self.branch_info, clock=self._clock)
            self.branch_changed.connect(promotions.set_branch_info)
            return promotions
        if spec.key == "dashboard":
            # Imported on first open: the dashboard brings numpy and pyqtgraph, which
            # start-up does not need (bench/startup.py checks).
            from desktop.panels.dashboard import DashboardPanel

            dashboard = DashboardPanel(self._db, self.user, self.branch_info, clock=self._clock)
            self.branch_changed.connect(dashboard.set_branch_info)
            self.invoice_saved.connect(dashboard.mark_stale)
            dashboard.audience_requested.connect(self.show_campaign_audience)
            return dashboard
        if spec.key == "campaigns":
            # Imported on first open: the campaign services bring numpy (audiences are
            # dashboard segments), which start-up does not need.
            from desktop.panels.campaigns import CampaignsPanel

            campaigns = CampaignsPanel(self._db, self.user, self.branch_info, clock=self._clock)
            self.branch_changed.connect(campaigns.set_branch_info)
            campaigns.counter_requested.connect(lambda: self.show_panel("invoice"))
            campaigns.channels_requested.connect(self.show_channels)
            return campaigns
        if spec.key == "sponsors":
            sponsors = SponsorsPanel(
                self._db,
                self.user,
                self.branch_info,
                clock=self._clock,
                pdf_folder=(self._invoice_folder or default_invoice_folder()).parent / "sponsors",
                open_file=self._open_file,
            )
            self.branch_changed.connect(sponsors.set_branch_info)
            return sponsors
        if spec.key == "catalog":
            catalog = CatalogPanel(self._db, self.user, self.branch_info, clock=self._clock)
            self.branch_changed.connect(catalog.set_branch_info)
            return catalog
        if spec.key == "branches":
            from desktop.panels.branches import BranchesPanel

            branches = BranchesPanel(self._db, self.user, self.branch_info, clock=self._clock)
            self.branch_changed.connect(branches.set_branch_info)
            return branches
        if spec.key == "settings":
            panel = SettingsPanel(self._db, self.user, self.branch_info, clock=self._clock)
            panel.branch_saved.connect(self._branch_saved)
            panel.backup_restored.connect(self._backup_restored)
            # Settings > Sync saved or synced: the figure again, and the timer on its interval.
            panel.sync_pending.connect(lambda _pending: self.check_sync())
            return panel
        return PlaceholderPanel(PLANNED[spec.key])

    def panel_keys(self) -> list[str]:
        """The panels this user can open, in rail order."""
        return list(self._specs)

    def panel(self, key: str) -> QWidget:
        """The panel `key`, built the first time it is asked for (start-up builds one)."""
        if key not in self._panels:
            panel = self._build_panel(self._specs[key])
            panel.setObjectName(f"panel_{key}")
            self._panels[key] = panel
            self.stack.addWidget(panel)
        return self._panels[key]

    def current_panel_key(self) -> str:
        current = self.stack.currentWidget()
        return next(key for key, panel in self._panels.items() if panel is current)

    def show_panel(self, key: str) -> None:
        """Show panel `key` (ignored when the user's role cannot open it)."""
        if key not in self._specs:
            log.ui.debug("panel %s is not available to %s", key, self.user.role)
            return
        panel = self.panel(key)
        self.stack.setCurrentWidget(panel)
        self.rail.set_current(key)
        self.title_label.setText(self._specs[key].title)
        if panel.focusProxy() is not None or panel.focusPolicy() != Qt.FocusPolicy.NoFocus:
            panel.setFocus(Qt.FocusReason.OtherFocusReason)
        self.panel_changed.emit(key)

    def request_callback(self, patient: PatientMatch) -> None:
        """Open the Callbacks panel with its add dialog filled in for `patient` (from an
        invoice); ignored when this user cannot open the Callbacks panel."""
        if "callbacks" not in self._specs:
            return
        self.show_panel("callbacks")
        panel = self.panel("callbacks")
        assert isinstance(panel, CallbacksPanel)
        panel.add_for_patient(patient)

    def show_overdue(self) -> None:
        """Open the Callbacks panel showing only the overdue requests (the status bar)."""
        if "callbacks" not in self._specs:
            return
        self.show_panel("callbacks")
        panel = self.panel("callbacks")
        assert isinstance(panel, CallbacksPanel)
        panel.set_view(QueueFilter.OVERDUE)

    def show_channels(self) -> None:
        """Open Settings > Channels (a campaign suggestion about failing messages)."""
        if "settings" not in self._specs:
            return
        self.show_panel("settings")
        panel = self.panel("settings")
        assert isinstance(panel, SettingsPanel)
        channels = panel.channels
        if channels is not None:
            panel.tabs.setCurrentWidget(channels)

    def show_campaign_audience(self, segment: str) -> None:
        """Open the campaign builder for a dashboard segment ('make this an audience')."""
        if "campaigns" not in self._specs:
            return
        from desktop.panels.campaigns import CampaignsPanel

        self.show_panel("campaigns")
        panel = self.panel("campaigns")
        assert isinstance(panel, CampaignsPanel)
        panel.audience_from_segment(segment)

    # -- overdue callbacks in the status bar ---------------------------------------------

    def refresh_overdue(self) -> None:
        """Count the overdue callbacks again, in the background, for the status bar."""
        if "callbacks" not in self._specs:
            return
        db, user, now = self._db, self.user, self._clock()
        self._counting += 1

        def done() -> None:
            self._counting -= 1

        op = BackgroundOp(self, lambda: callback_service.overdue_count(db, user, now=now))
        op.success(self._show_overdue).failure(self._count_failed)
        op.finished.connect(done)
        op.run_in_background()

    def _show_overdue(self, count: int) -> None:
        self._overdue = count
        self.overdue_button.setText(overdue_text(count))
        self.overdue_button.setVisible(count > 0)
        self.overdue_counted.emit(count)

    def _count_failed(self, error: Exception) -> None:
        # The count is a convenience: say nothing in a dialog, keep the last figure.
        log.callbacks.warning("could not count the overdue callbacks: %s", error)

    def overdue_count(self) -> int:
        """The figure on show (0 when hidden)."""
        return self._overdue

    def is_idle(self) -> bool:
        """No overdue count is being read, no backup being taken."""
        return self._counting == 0 and self._backing_up == 0

    # -- the day's backup in the status bar ----------------------------------------------

    def check_backup(self) -> None:
        """Take the day's backup if none was taken today, then say when the last good
        one was (a warning when it is older than two days, or when this one failed)."""
        if self._centre:
            # The centre's PostgreSQL is backed up with its own tools; the app takes no copy.
            self.backup_label.setText(BACKUP_ON_CENTRE)
            self.backup_label.setToolTip(
                "Back the centre up with PostgreSQL's own tools (pg_dump, the service's backups)"
            )
            return
        db, now = self._db, self._clock()
        self._backing_up += 1

        def work() -> tuple[backup_service.BackupState, str]:
            failure = ""
            try:
                backup_service.backup_if_due(db, now=now)
            except backup_service.BackupFailed as exc:
                failure = str(exc)
            return backup_service.backup_state(db, now=now), failure

        def done() -> None:
            self._backing_up -= 1

        op = BackgroundOp(self, work)
        op.success(self._show_backup).failure(self._backup_failed)
        op.finished.connect(done)
        op.run_in_background()

    def _show_backup(self, result: tuple[backup_service.BackupState, str]) -> None:
        state, failure = result
        text = state.sentence(self.branch_info.details.timezone)
        if failure:
            text = f"Backup failed - {text}"
        self.backup_label.setText(text)
        self.backup_label.setToolTip(failure or f"Backups go to {state.folder}")
        self.backup_label.setProperty("stale", bool(failure) or state.stale)
        restyle(self.backup_label)

    def _backup_failed(self, error: Exception) -> None:
        log.db.error("the day's backup could not be checked: %s", error)
        self.backup_label.setText("Backup failed")
        self.backup_label.setToolTip(str(error))
        self.backup_label.setProperty("stale", True)
        restyle(self.backup_label)

    # -- sync in the status bar ----------------------------------------------------------

    def check_sync(self) -> None:
        """Read how many documents wait for the centre, when a centre is configured, and
        run a round every interval of Settings > Sync."""
        db = self._db

        def read() -> tuple[int | None, int]:
            settings = sync_settings.sync_settings(db)
            return sync_settings.pending_documents(db), settings.interval_minutes

        def show(found: tuple[int | None, int]) -> None:
            pending, minutes = found
            self.show_sync_pending(pending)
            if pending is None:
                self.sync_timer.stop()
            elif not self.sync_timer.isActive() or self.sync_timer.interval() != minutes * 60_000:
                self.sync_timer.start(minutes * 60_000)

        op = BackgroundOp(self, read)
        op.success(show).failure(self._sync_unread)
        op.run_in_background()

    def sync_round(self) -> None:
        """One round with the centre in the background (the timer's, or asked for); the
        status bar says how it went, in plain words."""
        if self._syncing:
            return
        db, clock = self._db, self._clock
        self._syncing += 1

        def work() -> SyncResult | None:
            # Imported on the first round: start-up does not load PostgreSQL's side.
            from services import sync

            url = sync_settings.central_url(db)
            if url is None:
                return None
            return sync.sync_round(db, url, now=clock)

        def done() -> None:
            self._syncing -= 1

        op = BackgroundOp(self, work)
        op.success(self._synced).failure(self._sync_failed)
        op.finished.connect(done)
        op.run_in_background()

    # -- campaign messages ---------------------------------------------------------------

    def send_round(self) -> None:
        """Send the campaign messages that are due, in the background (services.campaign_
        sender: at most once, whoever else sends); the status bar says what went."""
        if self._sending:
            return
        db, user, clock = self._db, self.user, self._clock
        self._sending += 1

        def work() -> SendResult:
            # Imported on the first round: start-up does not load the channels.
            from services import campaign_sender

            return campaign_sender.send_due(db, user, clock())

        def done() -> None:
            self._sending -= 1

        op = BackgroundOp(self, work)
        op.success(self._sent).failure(self._send_failed)
        op.finished.connect(done)
        op.run_in_background()

    def _sent(self, result: SendResult) -> None:
        self.last_send = result
        if result.sent or result.failed or result.unknown or result.interrupted:
            self.statusBar().showMessage(f"Campaigns: {result.sentence()}", SEND_MESSAGE_MS)
            # The Campaigns panel on show counts what just left.
            campaigns = self._panels.get("campaigns")
            if campaigns is not None and campaigns.isVisible():
                from desktop.panels.campaigns import CampaignsPanel

                assert isinstance(campaigns, CampaignsPanel)
                campaigns.refresh()

    def _send_failed(self, error: Exception) -> None:
        log.campaigns.warning("campaign send round failed: %s", error)
        self.statusBar().showMessage(
            f"Campaign messages could not be sent: {error_sentence(error)}", SEND_MESSAGE_MS
        )

    def is_sending(self) -> bool:
        return self._sending > 0

    def _at(self) -> str:
        zone = ZoneInfo(self.branch_info.details.timezone)
        return f"{self._clock().astimezone(zone):%H:%M}"

    def _synced(self, result: SyncResult | None) -> None:
        if result is None:
            self.show_sync_pending(None)
            return
        text = f"{sync_pending_text(result.pending)} - last success at {self._at()}"
        warning = result.clock_warning
        if result.rejected:
            text += f" - {len(result.rejected)} need attention (Settings > Sync)"
        if warning:
            text += " - check this computer's clock"
        self.sync_label.setText(text)
        self.sync_label.setToolTip(warning or result.sentence())
        self.sync_label.setProperty("stale", bool(warning or result.rejected))
        restyle(self.sync_label)

    def _sync_failed(self, error: Exception) -> None:
        log.db.warning("sync round failed: %s", error)
        self.sync_label.setText(f"Sync failed at {self._at()}: {error_sentence(error)}")
        self.sync_label.setToolTip(error_sentence(error))
        self.sync_label.setProperty("stale", True)
        restyle(self.sync_label)

    def is_syncing(self) -> bool:
        return self._syncing > 0

    def show_sync_pending(self, pending: int | None) -> None:
        if pending is None:
            self.sync_label.setText(SYNC_ON_CENTRE if self._centre else SYNC_NOT_CONFIGURED)
            self.sync_label.setToolTip(
                SYNC_ON_CENTRE
                if self._centre
                else "An admin connects this branch to the head office in Settings > Sync"
                " (invoices sent, catalog and promotions received)."
            )
            return
        self.sync_label.setText(sync_pending_text(pending))
        self.sync_label.setToolTip("Documents saved here and not yet received by the centre")

    def _sync_unread(self, error: Exception) -> None:
        log.db.warning("could not count the documents waiting for the centre: %s", error)

    # -- header --------------------------------------------------------------------------

    def _show_branch(self, info: BranchInfo) -> None:
        self.branch_info = info
        self.branch_label.setText(f"Branch: {info.details.name}")
        self.setWindowTitle(f"Frontdesk - {info.details.name}")

    def _branch_saved(self, info: BranchInfo) -> None:
        self._show_branch(info)
        self.branch_changed.emit(info)

    # -- the counter session and the takings ---------------------------------------------

    def _add_session_actions(self) -> None:
        entries: list[tuple[str, str, str, Callable[[], object]]] = [
            ("open_session", "Open the counter session", OPEN_SESSION_SHORTCUT, self.open_session),
            ("cash_in_out", "Cash in or out of the drawer", CASH_SHORTCUT, self.cash_in_out),
            ("day_close", "Day close (Z report)", DAY_CLOSE_SHORTCUT, self.day_close),
        ]
        if allowed(self.user.role, "takings.read"):
            entries.append(("takings", "Today's takings", TAKINGS_SHORTCUT, self.show_takings))
        for name, text, keys, slot in entries:
            action = QAction(text, self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            self.addAction(action)

    def _show_dialog(self, dialog: QDialog) -> QDialog:
        if self._session_dialog is not None:
            self._session_dialog.close()
        self._session_dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result: self._dialog_done(dialog))
        dialog.open()
        return dialog

    def _dialog_done(self, dialog: QDialog) -> None:
        if self._session_dialog is dialog:
            self._session_dialog = None

    def open_session(self) -> OpenSessionDialog:
        """Open this desk's counter session with its float (Ctrl+Shift+O)."""
        dialog = OpenSessionDialog(self._db, self.user, clock=self._clock, parent=self)
        dialog.opened.connect(lambda _summary: self.counter_session_changed.emit())
        self._show_dialog(dialog)
        return dialog

    def cash_in_out(self) -> CashMoveDialog:
        """Put cash into or take it out of the drawer, with a reason (Ctrl+Shift+M)."""
        dialog = CashMoveDialog(self._db, self.user, clock=self._clock, parent=self)
        dialog.moved.connect(lambda _movement: self.counter_session_changed.emit())
        self._show_dialog(dialog)
        return dialog

    def day_close(self) -> DayCloseDialog:
        """Count the drawer, close the session and print its Z report (Ctrl+Shift+Z)."""
        folder = (self._invoice_folder or default_invoice_folder()).parent / "z-reports"
        dialog = DayCloseDialog(
            self._db,
            self.user,
            clock=self._clock,
            pdf_folder=folder,
            open_file=self._open_file,
            parent=self,
        )
        dialog.closed.connect(lambda _report: self.counter_session_changed.emit())
        self._show_dialog(dialog)
        return dialog

    def show_takings(self) -> TakingsDialog | None:
        """The manager's takings for today, or a day or range (Ctrl+Shift+T)."""
        if not allowed(self.user.role, "takings.read"):
            return None
        zone = ZoneInfo(self.branch_info.details.timezone)
        today = self._clock().astimezone(zone).date()
        dialog = TakingsDialog(self._db, self.user, today=today, parent=self)
        self._show_dialog(dialog)
        return dialog

    # -- help and signing out ------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """The shortcuts that work for this user, for the F1 dialog."""
        rows = [
            (
                QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText),
                f"Open {spec.label}",
            )
            for spec in self._specs.values()
        ]
        if "invoice" in self._specs:
            rows += list(INVOICE_SHORTCUTS)
        if "invoices" in self._specs:
            rows += list(INVOICES_SHORTCUTS)
        if "callbacks" in self._specs:
            rows += list(CALLBACK_SHORTCUTS)
        if "dashboard" in self._specs:
            rows.append(("F5", "Dashboard: read the figures again with the filters"))
        if "catalog" in self._specs:
            rows += list(CATALOG_SHORTCUTS)
        if "campaigns" in self._specs:
            rows += list(CAMPAIGN_SHORTCUTS)
        if "sponsors" in self._specs:
            rows += list(SPONSOR_SHORTCUTS)
        if "settings" in self._specs:
            rows.append(("Ctrl+S", "Settings: save the branch's details"))
        rows += list(SESSION_SHORTCUTS)
        if allowed(self.user.role, "takings.read"):
            rows += list(TAKINGS_SHORTCUTS)
        rows += [
            (SIGN_OUT_SHORTCUT, "Sign out"),
            ("F1", "Show this list"),
            ("Esc", "Close a dialog"),
        ]
        return rows

    def show_help(self) -> ShortcutsDialog:
        """Open (or bring forward) the keyboard shortcuts dialog."""
        if self._help is None:
            db, clock = self._db, self._clock
            sync = self.sync_label.text()
            self._help = ShortcutsDialog(
                self.shortcut_rows(),
                self,
                diagnostics=lambda: diagnostics.diagnostics(db, now=clock(), sync_state=sync).text,
            )
        self._help.show()
        self._help.raise_()
        self._help.activateWindow()
        return self._help

    def _backup_restored(self, path: str) -> None:
        """Every panel read the database that was replaced: sign in again on the restored
        one (a cart on the counter belonged to the old one and is not kept)."""
        log.auth.info("%s restored %s; signing out", self.user.username, path)
        self._leave("sign_out")

    def _sign_out(self) -> None:
        if self._ask_about_cart("sign_out"):
            return
        self._leave("sign_out")

    def _leave(self, action: str, parked: ParkedCart | None = None) -> None:
        self._leaving = True
        if action == "sign_out":
            log.auth.info("%s signed out", self.user.username)
            self.sign_out_requested.emit(parked)
        else:
            self.close()

    # -- an unsaved invoice when leaving -------------------------------------------------

    def counter(self) -> InvoiceEntryPanel | None:
        """The Invoice panel, if it was opened."""
        panel = self._panels.get("invoice")
        return panel if isinstance(panel, InvoiceEntryPanel) else None

    def restore_cart(self, parked: ParkedCart) -> None:
        """Put a cart parked at the last sign-out back on the counter, and show it."""
        if "invoice" not in self._specs:
            return
        self.show_panel("invoice")
        panel = self.panel("invoice")
        assert isinstance(panel, InvoiceEntryPanel)
        panel.restore(parked)

    def leaving_question(self) -> QMessageBox | None:
        """The question about the unsaved invoice on show, if any."""
        return self._question

    def _ask_about_cart(self, action: str) -> bool:
        """Ask what becomes of an unsaved invoice before `action` ("close" or "sign_out");
        True when a question is open (the action waits for its answer)."""
        counter = self.counter()
        if counter is None or not counter.has_unsaved_cart():
            return False
        if counter.is_saving():
            self._after_save = action  # it goes on once the invoice is saved
            return True
        if self._question is not None:
            self._question.raise_()
            return True
        self.show_panel("invoice")
        signing_out = action == "sign_out"
        box = QMessageBox(self)
        box.setObjectName("UnsavedInvoiceQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("The invoice is not saved")
        box.setText("The invoice at the counter is not saved.")
        verb = "sign out" if signing_out else "close"
        answers: dict[object, str] = {}
        park = None
        if signing_out:
            park = box.addButton("Keep for next sign-in", QMessageBox.ButtonRole.AcceptRole)
            answers[park] = "park"
            box.setInformativeText(
                "Keep it, and it is back on the counter when the next person signs in at this "
                "desk (a manager, for a discount). Or save it, or discard it, and sign out."
            )
        else:
            box.setInformativeText("Save it before closing, or discard it?")
        # Short labels: a message box is at most the screen's width less 480 px wide.
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        save.setToolTip(f"Save the invoice on the patient's account (unpaid), then {verb}")
        discard.setToolTip(f"Drop the invoice, then {verb}")
        whole_buttons(box)
        answers.update({save: "save", discard: "discard", cancel: "cancel"})
        box.setDefaultButton(park or save)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def answered() -> None:
            self._question = None
            self._answered(action, answers.get(box.clickedButton(), "cancel"), counter)

        box.finished.connect(answered)
        self._question = box
        box.open()
        return True

    def _answered(self, action: str, answer: str, counter: InvoiceEntryPanel) -> None:
        if answer == "park":
            self._leave(action, counter.park())
        elif answer == "discard":
            counter.discard()
            self._leave(action)
        elif answer == "save":
            # No money was taken at this point: the invoice is saved on the patient's account.
            counter.save_on_account()
            if counter.is_saving():
                self._after_save = action  # _counter_state_changed goes on from here
            # else the counter says what is missing (an item, the patient) and stays
        else:
            counter.setFocus(Qt.FocusReason.OtherFocusReason)

    def _counter_state_changed(self, state: str) -> None:
        action, self._after_save = self._after_save, None
        if action is None:
            return
        if state == CounterState.SAVED:
            self._leave(action)
        elif state == CounterState.SAVING:
            self._after_save = action
        # else the save failed: the counter says why, and the window stays

    # -- geometry ------------------------------------------------------------------------

    def restore_geometry(self) -> bool:
        """Restore the size and place saved last time; False when there is none."""
        saved = self._settings.value(GEOMETRY_KEY)
        return bool(saved) and self.restoreGeometry(saved)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._backup_checked:
            self._backup_checked = True
            self.check_backup()
            self.check_sync()
        if "callbacks" in self._specs and not self.overdue_timer.isActive():
            self.overdue_timer.start()
            self.refresh_overdue()
        if not self.send_timer.isActive():
            self.send_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._leaving and self._ask_about_cart("close"):
            event.ignore()
            return
        self._leaving = True
        self.overdue_timer.stop()
        self.sync_timer.stop()
        self.send_timer.stop()
        self._settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        if self._help is not None:
            self._help.close()
        super().closeEvent(event)


def _separator() -> QLabel:
    line = QLabel("|")
    line.setObjectName("Muted")
    return line
