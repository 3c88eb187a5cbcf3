"""The Staff tab of the Settings panel (admin): everyone who signs in here in a table, and a
form beside it to add a member or change the selected one (name, role, discount limit, a
new PIN), and to retire one.

Every read and change runs in a background op over services.staff. The form is a
desktop.widgets.form.FieldForm: a refused detail (domain.staff.StaffDetailsError) shows
beside its field, a refused change (the last admin, a taken user name) as a sentence under
the buttons. The two PINs are compared here, before anything is sent: the service sees one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from db.engine import Database
from desktop import theme
from desktop.errors import error_sentence, log_failure
from desktop.models.promotion_models import Column, RowsModel
from desktop.widgets.column_fit import ColumnsGiveWay
from desktop.widgets.empty_table import EmptyStateTable
from desktop.widgets.form import FieldForm, SaveBar, restyle
from desktop.widgets.questions import whole_buttons
from desktop.widgets.tables import reselect_row
from desktop.workers import OpCounter
from domain.roles import Role
from domain.staff import StaffDetailsError
from services import staff as staff_service
from services.auth import CurrentUser
from services.branch import BranchInfo
from services.staff import StaffRow

T = TypeVar("T")

FORM_WIDTH = 350
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# The columns but the name: as wide as their header or widest text, up to these.
_WIDEST = {1: 150, 2: 120, 3: 140, 4: 130}
# A cell's padding (the stylesheet's 12 + 8) and a little air.
_CELL_PADDING = 30

# The form's fields as services.staff names them, and "pin_again", the PIN typed twice.
_CAPTIONS = (
    ("full_name", "&Full name"),
    ("username", "&User name"),
    ("role", "&Role"),
    ("max_discount", "Discount &limit (%)"),
    ("pin", "New &PIN"),
    ("pin_again", "PIN &again"),
)
_FIELDS = [field for field, _caption in _CAPTIONS]
PINS_DIFFER = "The two PINs differ: type the same PIN twice"


def percent_text(percent: Decimal) -> str:
    """'12.5', '10', '0': a percent as an admin types it."""
    return f"{percent.normalize():f}"


def limit_text(percent: Decimal) -> str:
    """'12.5%', '0%'."""
    return f"{percent_text(percent)}%"


def status_text(row: StaffRow) -> str:
    """'Yes', 'Retired', or for head office's staff 'Every branch' / 'Withdrawn'."""
    if not row.active:
        return "Withdrawn" if row.chain_wide is False else "Retired"
    return "Every branch" if row.chain_wide else "Yes"


class StaffModel(RowsModel[StaffRow]):
    """The staff as last read: name, user name, role, discount limit, and whether active."""

    columns = (
        Column[StaffRow]("Name", lambda r: r.full_name, tooltip=lambda r: r.full_name),
        Column[StaffRow]("User name", lambda r: r.username),
        Column[StaffRow]("Role", lambda r: r.role.label),
        Column[StaffRow]("Discount limit", lambda r: limit_text(r.max_discount_percent), _RIGHT),
        Column[StaffRow]("Active", lambda r: status_text(r)),
    )
    NAME, USERNAME, ROLE, LIMIT, ACTIVE = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(lambda r: r.username, parent)

    def foreground(self, row: StaffRow, column: int) -> QColor | None:
        if not row.active:
            return QColor("#b42318") if column == self.ACTIVE else QColor("#7b8794")
        return None


class StaffSettingsPanel(QWidget):
    """Lists, adds, changes and retires the staff (admins; Settings shows the tab to no one
    else, and the services refuse anyone else anyway).

    Signals:
        member_saved(str): a member was added or changed (their user name).
        member_retired(str): a member was retired (their user name).
        refreshed(): the table was just read again.
    """

    member_saved = Signal(str)
    member_retired = Signal(str)
    refreshed = Signal()

    def __init__(
        self,
        db: Database,
        user: CurrentUser,
        branch_info: BranchInfo,
        *,
        clock: Callable[[], datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._user = user
        # On the centre head office publishes its staff to every branch; a branch shows
        # those it received without changing them.
        self.on_centre = db.on_centre
        self._zone = ZoneInfo(branch_info.details.timezone)
        self._clock = clock
        # A read of the list, and a change (save, retire): one counter each.
        self._reads = OpCounter(self)
        self._changes = OpCounter(self)
        # The member in the form as last read or saved, or None for a new member.
        self._editing: StaffRow | None = None
        self._select_after_read: str | None = None
        self.question: QMessageBox | None = None
        self._as_shown: tuple[object, ...] = ()

        self.model = StaffModel(self)
        self._build()
        save = QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.activated.connect(self.save)
        self._show(None)

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        heading = QLabel("Staff")
        heading.setObjectName("FormHeading")
        intro = QLabel(
            "Who can sign in at this branch, what each may do, and the biggest discount each "
            "may give by hand."
        )
        intro.setObjectName("Muted")
        intro.setWordWrap(True)

        self.new_button = QPushButton("+ New member")
        self.new_button.setAutoDefault(False)
        self.new_button.setToolTip("Empty the form for someone who joins")
        self.new_button.clicked.connect(lambda: self.new_member())
        self.retired_check = QCheckBox("Show retired staff")
        self.retired_check.toggled.connect(lambda _on: self.refresh())
        top = QHBoxLayout()
        top.setSpacing(12)
        top.addWidget(self.new_button)
        top.addWidget(self.retired_check)
        top.addStretch(1)

        self.table = EmptyStateTable("Reading the staff...")
        self.table.setObjectName("StaffTable")
        self.table.setStyleSheet(theme.section("tabs-and-tables"))
        self.table.setAccessibleName("Staff")
        self.table.setModel(self.model)
        self.table.set_widths(_WIDEST, stretch=StaffModel.NAME)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # At the smallest window the user name and the limit (the form shows both) give way
        # before the names are cut short.
        m = StaffModel
        self._give_way = ColumnsGiveWay(
            self.table,
            (m.ROLE, m.ACTIVE, m.LIMIT, m.USERNAME),
            frozenset({m.LIMIT, m.USERNAME}),
            stretch_at_least=150,
        )
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row())
        )
        self.table.installEventFilter(self)
        self.model.modelReset.connect(self._fit_columns)

        self.status_label = QLabel()
        self.status_label.setObjectName("Muted")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Staff status")
        self.status_label.hide()  # until a read fails

        self.roles_note = QLabel(
            "<b>Front desk</b>: the counter and the callbacks.<br>"
            "<b>Manager</b>: also promotions, the catalog, campaigns, the dashboard and "
            "the branch's settings.<br>"
            "<b>Admin</b>: also this list of staff.<br>"
            "A discount above someone's limit needs a manager."
        )
        self.roles_note.setObjectName("Muted")
        self.roles_note.setWordWrap(True)

        left = QVBoxLayout()
        left.setSpacing(8)
        left.addLayout(top)
        # The table is as tall as its rows (a branch has a handful of staff); what the
        # roles may do fills the room under it.
        left.addWidget(self.table, 1)
        left.addWidget(self.status_label)
        left.addSpacing(4)
        left.addWidget(self.roles_note)
        left.addStretch()  # takes only what the table, at its full height, leaves

        self.form_pane = self._build_form()
        columns = QHBoxLayout()
        columns.setSpacing(12)
        columns.addLayout(left, 1)
        columns.addWidget(self.form_pane)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 18, 20, 16)
        outer.setSpacing(8)
        outer.addWidget(heading)
        outer.addWidget(intro)
        outer.addSpacing(4)
        outer.addLayout(columns, 1)

        chain = [
            self.new_button,
            self.retired_check,
            self.table,
            self.retire_button,
            self.full_name_edit,
            self.username_edit,
            self.role_combo,
            self.limit_edit,
            self.reset_pin_check,
            self.pin_edit,
            self.pin_again_edit,
            self.save_bar.save_button,
            self.save_bar.revert_button,
        ]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _build_form(self) -> QFrame:
        pane = QFrame()
        pane.setObjectName("TotalsPane")  # the counter's side card: white, framed
        pane.setFixedWidth(FORM_WIDTH)

        self.form_heading = QLabel()
        self.form_heading.setObjectName("PaneHeading")
        self.retire_button = QPushButton("Retire...")
        self.retire_button.setAutoDefault(False)
        self.retire_button.setToolTip("They can no longer sign in; their name stays on their work")
        self.retire_button.clicked.connect(self.ask_retire)
        keep_place = self.retire_button.sizePolicy()
        keep_place.setRetainSizeWhenHidden(True)  # the heading stays put for a new member
        self.retire_button.setSizePolicy(keep_place)
        heading_row = QHBoxLayout()
        heading_row.setSpacing(8)
        heading_row.addWidget(self.form_heading, 1)
        heading_row.addWidget(self.retire_button)
        self.subheading = QLabel()
        self.subheading.setObjectName("Muted")
        self.subheading.setWordWrap(True)
        self.every_branch_check = QCheckBox("Works at every branch")
        self.every_branch_check.setToolTip(
            "Each branch receives them at its next sync; they sign in there with their PIN"
        )
        self.every_branch_check.toggled.connect(self.set_every_branch)

        self.full_name_edit = QLineEdit()
        self.full_name_edit.setMaxLength(120)
        self.username_edit = QLineEdit()
        self.username_edit.setMaxLength(30)
        self.username_edit.setPlaceholderText("Like kavya")
        self.role_combo = QComboBox()
        for role in Role:
            self.role_combo.addItem(role.label, role.value)
        self.limit_edit = QLineEdit()
        self.limit_edit.setPlaceholderText("0 to 100")
        self.reset_pin_check = QCheckBox("Reset the PIN")
        self.reset_pin_check.setToolTip("Give them a new PIN, for example when they forgot it")
        self.reset_pin_check.toggled.connect(lambda _on: self._show_pin_rows())
        self.pin_edit = QLineEdit()
        self.pin_again_edit = QLineEdit()
        for edit in (self.pin_edit, self.pin_again_edit):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setMaxLength(64)
            edit.setPlaceholderText("6+ digits or a passphrase")

        widgets: dict[str, QWidget] = {
            "full_name": self.full_name_edit,
            "username": self.username_edit,
            "role": self.role_combo,
            "max_discount": self.limit_edit,
            "pin": self.pin_edit,
            "pin_again": self.pin_again_edit,
        }
        hints: dict[str, str | Callable[[], str]] = {
            "username": self._username_hint,
            "max_discount": "The most they may give by hand; more asks a manager.",
        }
        self.form = FieldForm(message_width=0)
        self.messages = self.form.messages
        fields = QWidget()
        fields.setObjectName("StaffForm")
        form_column = QVBoxLayout(fields)
        form_column.setContentsMargins(0, 0, 4, 0)
        form_column.setSpacing(6)
        # The grid is in its widget before the rows go in: a message shown while it has no
        # parent (a hint under its input) would flash up as a window of its own.
        grid = QGridLayout()
        form_column.addLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        row = 0
        for field, caption in _CAPTIONS:
            if field == "pin":
                grid.addWidget(self.reset_pin_check, row, 1)
                row += 1
            self.form.add_row(
                grid, row, field, caption, widgets[field], hint=hints.get(field, ""), below=True
            )
            row += 2
        for field in _FIELDS:
            self._watch(field)

        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save_bar = SaveBar(self.save, self.revert)
        self.save_bar.revert_button.setText("Undo")
        self.save_bar.revert_button.setToolTip("Show the member as last saved again")
        self.save_status = QLabel()
        self.save_status.setWordWrap(True)
        self.save_status.setObjectName("SavedNote")
        self.save_status.setAccessibleName("Save status")
        # In this narrow pane the bar's own status line beside the buttons would be a sliver:
        # say how the save went on a line of its own under them.
        self.save_bar.status_label.hide()
        self.save_bar.status_label = self.save_status
        # Save sits under the last field, whichever fields show (the PINs come and go).
        form_column.addSpacing(6)
        form_column.addWidget(self.save_bar)
        form_column.addWidget(self.save_status)
        form_column.addStretch(1)
        self.form_scroll.setWidget(fields)
        # The pane's white shows through, as under its heading.
        self.form_scroll.viewport().setAutoFillBackground(False)
        fields.setAutoFillBackground(False)

        column = QVBoxLayout(pane)
        column.setContentsMargins(16, 12, 12, 12)
        column.setSpacing(6)
        column.addLayout(heading_row)
        column.addWidget(self.subheading)
        column.addWidget(self.every_branch_check)
        column.addSpacing(4)
        column.addWidget(self.form_scroll, 1)
        return pane

    def _watch(self, field: str) -> None:
        widget = self.form.inputs[field]
        if isinstance(widget, QLineEdit):
            widget.textEdited.connect(lambda *_: self._edited(field))
        elif isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(lambda *_: self._edited(field))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self._editing is not None
        ):
            # Enter on a member goes to their details.
            self.full_name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(watched, event)

    # -- background work -----------------------------------------------------------------

    def is_idle(self) -> bool:
        """Nothing is being read or changed."""
        return self._reads.idle and self._changes.idle

    def is_saving(self) -> bool:
        """A change (save or retire) is under way."""
        return not self._changes.idle

    def _change(
        self,
        call: Callable[[], T],
        on_success: Callable[[T], object],
        on_failure: Callable[[Exception], object],
    ) -> bool:
        """Run one change at a time; False (and nothing run) while another is under way."""
        if not self._changes.idle:
            self._say(self.save_status, "Wait for the change under way to finish.", error=True)
            return False
        self._changes.run(call, on_success, on_failure)
        return True

    def _read_failed(self, error: Exception) -> None:
        log_failure(error, "reading the staff failed")
        self._say(self.status_label, error_sentence(error), error=True)
        self.status_label.show()

    @staticmethod
    def _say(label: QLabel, text: str, *, error: bool = False) -> None:
        label.setObjectName("FieldError" if error else "SavedNote")
        restyle(label)
        label.setText(text)

    def _stamp(self) -> str:
        return self._clock().astimezone(self._zone).strftime("%H:%M")

    # -- reading -------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.refresh()

    def refresh(self) -> None:
        """Read the staff again (the retired too while they are asked for)."""
        number = self._reads.begin()
        db, user, retired = self._db, self._user, self.retired_check.isChecked()
        self._reads.run(
            lambda: staff_service.list_staff(db, user, include_retired=retired),
            lambda rows: self._listed(number, rows),
            self._read_failed,
        )

    def _listed(self, number: int, rows: list[StaffRow]) -> None:
        if not self._reads.is_latest(number):
            return
        keep = self._select_after_read or (self._editing.username if self._editing else None)
        self._select_after_read = None
        self.model.set_rows(rows)
        self.status_label.hide()
        self.table.empty_title = "No staff to show"
        self._reselect(keep)
        self.refreshed.emit()

    def _reselect(self, username: str | None) -> None:
        """Select `username`'s row again after the rows changed, without touching the form."""
        reselect_row(self.table, self.model.row_of(username) if username else -1)

    def _fit_columns(self) -> None:
        """Each column but the name as wide as its widest text; the name takes the rest. The
        table is as tall as its rows."""
        header = self.table.horizontalHeader()
        header.ensurePolished()
        bold = QFont(header.font())
        bold.setBold(True)  # the stylesheet's headers are bold
        titles = QFontMetrics(bold)
        cells = self.table.fontMetrics()
        for column, most in _WIDEST.items():
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            widest = max(
                [titles.horizontalAdvance(title)]
                + [cells.horizontalAdvance(text) for text in self.model.column_texts(column)]
            )
            if not self.table.isColumnHidden(column):
                self.table.setColumnWidth(column, min(widest + _CELL_PADDING, most))
        self._give_way.fit(self.table.viewport().width())
        rows = max(self.model.rowCount(), 3)  # room for the empty table's message
        # The header's padding (5 + 5) and its line under it, however it was measured.
        header_height = max(header.sizeHint().height(), titles.height() + 11)
        self.table.setMaximumHeight(
            2 * self.table.frameWidth()
            + header_height
            + rows * self.table.verticalHeader().defaultSectionSize()
        )

    # -- the form ------------------------------------------------------------------------

    def editing(self) -> StaffRow | None:
        """The member in the form as last read or saved; None for a new member."""
        return self._editing

    def _row_chosen(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        chosen = self.model.row(row)
        if self._editing is not None and chosen.username == self._editing.username:
            return
        if self._kept_for_changes():
            return
        self._show(chosen)
        # Tabbing into the table makes its first row current without selecting it: the row
        # in the form is always the one drawn selected.
        self.table.selectRow(row)

    def has_changes(self) -> bool:
        """The form differs from the member as last read or saved (or from an empty form)."""
        return self._as_shown != self._typed()

    def _typed(self) -> tuple[object, ...]:
        return (
            self.full_name_edit.text(),
            self.username_edit.text(),
            self.role_combo.currentData(),
            self.limit_edit.text(),
            self.reset_pin_check.isChecked(),
            self.pin_edit.text(),
            self.pin_again_edit.text(),
        )

    def _kept_for_changes(self) -> bool:
        """With changes in the form (or a save under way), keep its member selected and say
        so; True when the form was kept. Nothing typed is dropped without Undo."""
        if not (self.has_changes() or self.is_saving()):
            return False
        self._reselect(self._editing.username if self._editing else None)
        who = self._editing.full_name if self._editing else "the new member"
        self._say(
            self.save_status,
            f"The changes to {who} are not saved: save them (Ctrl+S) or undo them first.",
            error=True,
        )
        return True

    def new_member(self) -> None:
        """Empty the form for someone new; changes not saved keep the form as it is."""
        if self._kept_for_changes():
            return
        self._reselect(None)
        self._show(None)
        self.full_name_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def revert(self) -> None:
        """Show the member in the form as last saved again (or an empty form)."""
        self._show(self._editing)

    def _show(self, row: StaffRow | None) -> None:
        self._editing = row
        blockers = [QSignalBlocker(w) for w in (*self.form.inputs.values(), self.reset_pin_check)]
        try:
            self.full_name_edit.setText(row.full_name if row else "")
            self.username_edit.setText(row.username if row else "")
            role = row.role if row else Role.FRONT_DESK
            self.role_combo.setCurrentIndex(self.role_combo.findData(role.value))
            self.limit_edit.setText(percent_text(row.max_discount_percent) if row else "0")
            self.reset_pin_check.setChecked(False)
            self.pin_edit.clear()
            self.pin_again_edit.clear()
        finally:
            del blockers
        # A user name is who the person is in the audit trail: it stays once created. A
        # retired member's details are kept as they were.
        self.username_edit.setReadOnly(row is not None)
        changeable = self.can_change()
        for edit in (self.full_name_edit, self.limit_edit):
            edit.setReadOnly(not changeable)
        self.role_combo.setEnabled(changeable)
        self.save_bar.set_editable(changeable)
        self._show_heading()
        self._show_pin_rows()
        self.form.clear()
        self.save_status.clear()
        self._as_shown = self._typed()

    def _show_heading(self) -> None:
        row = self._editing
        yourself = row is not None and row.username == self._user.username
        changeable = self.can_change()
        self.retire_button.setVisible(row is not None)
        self.retire_button.setEnabled(row is not None and changeable and not yourself)
        self.reset_pin_check.setVisible(row is not None and changeable)
        blocker = QSignalBlocker(self.every_branch_check)
        self.every_branch_check.setChecked(row is not None and row.chain_wide is True)
        del blocker
        self.every_branch_check.setVisible(self.on_centre and row is not None and row.active)
        if row is None:
            self.form_heading.setText("New member")
            self.subheading.setText("Fill in their details and a PIN, then save (Ctrl+S).")
        else:
            self.form_heading.setText(row.full_name)
            if row.chain_wide is not None and not self.on_centre:
                note = (
                    f"Head office manages {row.full_name} for every branch: changes come "
                    "with the next sync."
                    if row.active
                    else "Head office withdrew them: they can no longer sign in here."
                )
            elif not row.active:
                note = "Retired: they can no longer sign in."
            elif yourself:
                note = "You. Another admin can retire you."
            else:
                note = f"{row.role.label}, signs in as {row.username}."
            self.subheading.setText(note)

    def _show_pin_rows(self) -> None:
        """The PIN, typed twice, is asked for a new member, or when resetting one's PIN."""
        wanted = self._editing is None or self.reset_pin_check.isChecked()
        for field in ("pin", "pin_again"):
            error = self.form.error(field) if wanted else None
            self.form.set_visible(field, wanted)
            self.form.set_error(field, error)  # shown only while it has something to say

    def _username_hint(self) -> str:
        if self._editing is not None:
            return ""
        return "Letters, digits or _, from a letter; fixed once saved."

    def _edited(self, field: str) -> None:
        self.save_status.clear()
        self.form.set_error(field, None)
        if field == "pin":
            self.form.set_error("pin_again", None)

    def field_error(self, field: str) -> str | None:
        """The error shown beside `field`, or None."""
        return self.form.error(field)

    def _new_pin(self) -> str | None:
        """The PIN to set, or None to keep it; StaffDetailsError when the two differ."""
        if self._editing is not None and not self.reset_pin_check.isChecked():
            return None
        pin = self.pin_edit.text()
        if pin != self.pin_again_edit.text():
            raise StaffDetailsError("pin_again", PINS_DIFFER)
        return pin

    # -- changing ------------------------------------------------------------------------

    def can_change(self) -> bool:
        """The form is a new member or an active one (a retired member stays as they were),
        and not one head office manages (at a branch)."""
        row = self._editing
        if row is None:
            return True
        return row.active and (row.chain_wide is None or self.on_centre)

    def set_every_branch(self, every_branch: bool) -> None:
        """On the centre: publish the member shown to every branch, or withdraw them."""
        row = self._editing
        if row is None or not self.on_centre:
            return
        db, user, now = self._db, self._user, self._clock()
        self._change(
            lambda: staff_service.set_chain_wide(
                db, user, row.username, every_branch=every_branch, now=now
            ),
            self._published,
            self._publish_refused,
        )

    def _published(self, row: StaffRow) -> None:
        self._show(row)
        where = "every branch" if row.chain_wide else "head office only"
        self._say(
            self.save_status, f"{row.full_name} works at {where} from each branch's next sync."
        )
        self._select_after_read = row.username
        self.member_saved.emit(row.username)
        self.refresh()

    def _publish_refused(self, error: Exception) -> None:
        log_failure(error, "publishing a member failed")
        self._say(self.save_status, error_sentence(error), error=True)
        self._show(self._editing)

    def save(self) -> None:
        """Add the member in the form, or save the changes to the one shown (Ctrl+S)."""
        if not self.can_change():
            return
        self.form.clear()
        try:
            pin = self._new_pin()
        except StaffDetailsError as error:
            self._save_refused(error)
            return
        db, user, now = self._db, self._user, self._clock()
        full_name, role = self.full_name_edit.text(), str(self.role_combo.currentData())
        limit = self.limit_edit.text().strip() or "0"
        call: Callable[[], StaffRow]
        if self._editing is None:
            call = functools.partial(
                staff_service.add_user,
                db,
                user,
                username=self.username_edit.text(),
                full_name=full_name,
                role=role,
                pin=pin or "",
                max_discount=limit,
                now=now,
            )
        else:
            call = functools.partial(
                staff_service.update_user,
                db,
                user,
                self._editing.username,
                full_name=full_name,
                role=role,
                max_discount=limit,
                pin=pin,
                now=now,
            )
        if self._change(call, self._saved, self._save_refused):
            self.save_bar.saving()

    def _saved(self, row: StaffRow) -> None:
        added = self._editing is None
        self.save_bar.saved(self._stamp())
        self._show(row)
        verb = "Added" if added else "Saved"
        self._say(self.save_status, f"{verb} {row.full_name} at {self._stamp()}.")
        self._select_after_read = row.username
        self.member_saved.emit(row.username)
        self.refresh()

    def _save_refused(self, error: Exception) -> None:
        self.save_bar.save_button.setEnabled(True)
        self.form.refused(error, self.save_status)

    def ask_retire(self) -> QMessageBox | None:
        """Ask before retiring the member in the form; the answer Retire retires them."""
        row = self._editing
        if row is None or not row.active or self.question is not None:
            return None
        box = QMessageBox(self)
        box.setObjectName("RetireQuestion")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Retire a member of staff")
        box.setText(f"Retire {row.full_name} ({row.username})?")
        box.setInformativeText(
            f"{row.full_name} can no longer sign in; their name stays on the invoices and "
            "calls they handled. A retired member cannot be brought back."
        )
        retire = box.addButton("Retire", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        whole_buttons(box)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def answered() -> None:
            self.question = None
            if box.clickedButton() is retire:
                self.retire(row.username)
            else:
                self.retire_button.setFocus(Qt.FocusReason.OtherFocusReason)

        box.finished.connect(answered)
        self.question = box
        box.open()
        return box

    def retire(self, username: str) -> None:
        """Retire `username` (asked first by `ask_retire`)."""
        db, user, now = self._db, self._user, self._clock()
        self._change(
            lambda: staff_service.retire_user(db, user, username, now=now),
            self._retired,
            self._retire_refused,
        )

    def _retired(self, row: StaffRow) -> None:
        self._show(row)
        self._say(self.save_status, f"Retired {row.full_name}: they can no longer sign in.")
        self._select_after_read = row.username
        self.member_retired.emit(row.username)
        self.refresh()

    def _retire_refused(self, error: Exception) -> None:
        log_failure(error, "retiring a member failed")
        self._say(self.save_status, error_sentence(error), error=True)
