"""Settings > Staff (admin), driven through its real widgets on the demo clinic's database:
a receptionist added who then signs in, a discount limit and a PIN changed, two PINs that
differ, Rahul retired, the only admin kept, the tab hidden from a manager, the keyboard
alone, and how it looks at the window sizes the app allows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from desktop.panels.settings import SettingsPanel
from desktop.panels.staff_settings import PINS_DIFFER, StaffModel, StaffSettingsPanel
from domain.roles import Role
from services import staff as staff_service
from services.auth import sign_in
from services.errors import SignInError
from tests.desktop.helpers import ADMIN, save_screenshot
from tests.desktop.test_catalog_panel import WAIT_MS, choose, focused, idle, type_into
from tests.desktop.test_settings_panel import SIZES, clipped_texts
from tests.desktop.test_tab_order import assert_tab_reaches_everything

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def admin(db):
    return sign_in(db, *ADMIN)


@pytest.fixture
def staff(qtbot, open_main_window, admin):
    """The admin's window at 1366x768 on Settings > Staff, the staff read."""
    window = open_main_window(admin)
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel) and settings.staff is not None
    settings.tabs.setCurrentWidget(settings.staff)
    panel = settings.staff
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=WAIT_MS)
    idle(qtbot, panel)
    return window, panel


def select(qtbot, panel: StaffSettingsPanel, username: str) -> None:
    """Put the focus in the table and move to `username`'s row with the arrow keys."""
    row = panel.model.row_of(username)
    assert row >= 0, f"{username} is not in the table"
    panel.table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(panel.table, Qt.Key.Key_Home)
    for _ in range(row):
        qtbot.keyClick(panel.table, Qt.Key.Key_Down)
    editing = panel.editing()
    assert editing is not None and editing.username == username
    assert [index.row() for index in panel.table.selectionModel().selectedRows()] == [row]


def save(qtbot, panel: StaffSettingsPanel) -> None:
    qtbot.keyClick(focused(), Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)


def usernames(panel: StaffSettingsPanel) -> list[str]:
    return panel.model.column_texts(StaffModel.USERNAME)


# -- the model ---------------------------------------------------------------------------


def test_the_table_model_passes_qts_model_checks(qtmodeltester, db, admin):
    model = StaffModel()
    qtmodeltester.check(model)
    model.set_rows(staff_service.list_staff(db, admin))
    qtmodeltester.check(model)
    assert model.column_texts(StaffModel.NAME) == [
        "Arun Kumar",
        "Meera Nair",
        "Priya Sharma",
        "Rahul Verma",
    ]
    assert model.column_texts(StaffModel.LIMIT) == ["100%", "30%", "10%", "10%"]


# -- adding and changing -----------------------------------------------------------------


def test_an_admin_adds_a_receptionist_who_then_signs_in_with_her_pin(qtbot, db, staff):
    window, panel = staff
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    assert focused() is panel.full_name_edit
    assert panel.form_heading.text() == "New member"
    assert not panel.retire_button.isVisible() and not panel.reset_pin_check.isVisible()
    assert panel.pin_edit.echoMode() is QLineEdit.EchoMode.Password

    type_into(qtbot, panel.full_name_edit, "Kavya Iyer")
    type_into(qtbot, panel.username_edit, "kavya")
    choose(panel.role_combo, "Front desk")
    type_into(qtbot, panel.limit_edit, "7.5")
    type_into(qtbot, panel.pin_edit, "482913")
    type_into(qtbot, panel.pin_again_edit, "482913")
    with qtbot.waitSignal(panel.member_saved, timeout=WAIT_MS) as saved:
        qtbot.keyClick(panel.pin_again_edit, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: "kavya" in usernames(panel), timeout=WAIT_MS)
    idle(qtbot, panel)

    assert saved.args == ["kavya"]
    kavya = sign_in(db, "kavya", "482913")
    assert (kavya.full_name, kavya.role) == ("Kavya Iyer", Role.FRONT_DESK)
    assert kavya.max_manual_discount_percent == Decimal("7.5")
    assert panel.save_status.text() == "Added Kavya Iyer at 11:00."  # 05:30 UTC in Bengaluru
    assert panel.form_heading.text() == "Kavya Iyer"
    assert panel.username_edit.isReadOnly()  # the user name is fixed once created
    assert not panel.pin_edit.isVisible()  # shown again only to reset it
    assert panel.table.currentIndex().row() == panel.model.row_of("kavya")
    assert not panel.has_changes()
    save_screenshot(window, "settings_staff_added")


def test_priyas_discount_limit_and_pin_are_changed(qtbot, db, staff):
    _window, panel = staff
    select(qtbot, panel, "priya")
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)  # Enter on a member goes to her details
    assert focused() is panel.full_name_edit
    assert panel.limit_edit.text() == "10"

    type_into(qtbot, panel.limit_edit, "15")
    save(qtbot, panel)

    assert sign_in(db, "priya", "1111").max_manual_discount_percent == 15  # her PIN stays
    index = panel.model.row_of("priya")
    assert panel.model.index(index, StaffModel.LIMIT).data() == "15%"
    assert panel.save_status.text() == "Saved Priya Sharma at 11:00."

    panel.reset_pin_check.setFocus()
    qtbot.keyClick(panel.reset_pin_check, Qt.Key.Key_Space)
    assert panel.pin_edit.isVisible() and panel.pin_again_edit.isVisible()
    type_into(qtbot, panel.pin_edit, "555555")
    type_into(qtbot, panel.pin_again_edit, "555555")
    save(qtbot, panel)

    assert sign_in(db, "priya", "555555").username == "priya"
    with pytest.raises(SignInError):
        sign_in(db, "priya", "1111")


def test_two_pins_that_differ_are_refused_before_anything_is_saved(qtbot, db, admin, staff):
    _window, panel = staff
    panel.new_member()
    type_into(qtbot, panel.full_name_edit, "Kavya Iyer")
    type_into(qtbot, panel.username_edit, "kavya")
    type_into(qtbot, panel.pin_edit, "482913")
    type_into(qtbot, panel.pin_again_edit, "482931")

    panel.save()

    assert not panel.is_saving()  # nothing was sent
    assert panel.field_error("pin_again") == PINS_DIFFER
    assert panel.pin_again_edit.property("invalid") is True
    assert focused() is panel.pin_again_edit
    assert panel.save_status.text().startswith("Not saved")
    assert "kavya" not in [r.username for r in staff_service.list_staff(db, admin)]

    qtbot.keyClick(panel.pin_again_edit, Qt.Key.Key_Backspace)  # editing clears the message
    assert panel.field_error("pin_again") is None


def test_a_refused_detail_is_shown_beside_its_field(qtbot, db, admin, staff):
    _window, panel = staff
    select(qtbot, panel, "rahul")
    type_into(qtbot, panel.limit_edit, "120")

    save(qtbot, panel)

    assert panel.field_error("max_discount") == "A discount limit is 0 to 100 percent"
    assert focused() is panel.limit_edit
    [rahul] = [r for r in staff_service.list_staff(db, admin) if r.username == "rahul"]
    assert rahul.max_discount_percent == 10


# -- refusals and retiring ---------------------------------------------------------------


def test_demoting_the_only_admin_shows_the_refusal(qtbot, db, admin, staff):
    window, panel = staff
    select(qtbot, panel, "admin")
    assert not panel.retire_button.isEnabled()  # nobody retires themselves
    choose(panel.role_combo, "Manager")

    save(qtbot, panel)

    assert panel.save_status.text() == (
        "Not saved. The branch needs an active admin: make someone else admin first"
    )
    assert panel.save_status.objectName() == "FieldError"
    assert QApplication.activeModalWidget() is None
    [arun] = [r for r in staff_service.list_staff(db, admin) if r.username == "admin"]
    assert arun.role is Role.ADMIN
    save_screenshot(window, "settings_staff_last_admin")


def test_retiring_rahul_asks_first_and_then_he_cannot_sign_in(qtbot, db, staff):
    window, panel = staff
    select(qtbot, panel, "rahul")

    box = panel.ask_retire()
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == "Retire Rahul Verma (rahul)?"
    save_screenshot(box, "settings_staff_retire_question")
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Cancel is the default: nothing happens
    assert panel.question is None
    assert sign_in(db, "rahul", "3333").username == "rahul"

    qtbot.mouseClick(panel.retire_button, Qt.MouseButton.LeftButton)
    box = panel.question
    assert box is not None
    [retire] = [b for b in box.buttons() if b.text() == "Retire"]
    with qtbot.waitSignal(panel.member_retired, timeout=WAIT_MS):
        qtbot.mouseClick(retire, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "rahul" not in usernames(panel), timeout=WAIT_MS)
    idle(qtbot, panel)

    with pytest.raises(SignInError, match="no active user"):
        sign_in(db, "rahul", "3333")
    assert panel.save_status.text() == "Retired Rahul Verma: they can no longer sign in."
    assert not panel.retire_button.isEnabled()
    assert panel.full_name_edit.isReadOnly() and not panel.save_bar.save_button.isVisible()

    panel.retired_check.setChecked(True)
    qtbot.waitUntil(lambda: "rahul" in usernames(panel), timeout=WAIT_MS)
    idle(qtbot, panel)
    index = panel.model.row_of("rahul")
    assert panel.model.index(index, StaffModel.ACTIVE).data() == "Retired"
    save_screenshot(window, "settings_staff_retired")


def test_a_managers_settings_has_no_staff_tab(qtbot, open_main_window, manager):
    window = open_main_window(manager)
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)

    assert settings.staff is None
    tabs = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert tabs == ["Branch", "Callbacks", "Counter session", "Printer", "Payments", "Channels"]
    assert not settings.findChildren(StaffSettingsPanel)


# -- the keyboard alone, and how it looks ------------------------------------------------


def test_tab_reaches_every_control(qtbot, staff):
    _window, panel = staff
    select(qtbot, panel, "priya")
    panel.reset_pin_check.setChecked(True)  # the PIN fields show
    assert panel.retire_button.isEnabled() and panel.pin_again_edit.isVisible()

    assert_tab_reaches_everything(qtbot, panel, panel.table)

    qtbot.keyClick(panel.table, Qt.Key.Key_S, CTRL)  # Ctrl+S anywhere on the tab saves
    idle(qtbot, panel)
    assert (
        panel.field_error("pin")
        == "A PIN is 6 to 12 digits, or a passphrase of 12 to 64 characters"
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_tab_fits_the_window_without_clipped_text(qtbot, staff, size):
    window, panel = staff
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0], timeout=WAIT_MS)
    panel.new_member()
    save_screenshot(window, f"settings_staff_{size[0]}x{size[1]}")
    assert clipped_texts(panel) == []

    select(qtbot, panel, "priya")
    panel.reset_pin_check.setChecked(True)
    type_into(qtbot, panel.pin_edit, "12")
    type_into(qtbot, panel.pin_again_edit, "12")
    save(qtbot, panel)
    assert panel.field_error("pin") is not None
    save_screenshot(window, f"settings_staff_refused_{size[0]}x{size[1]}")
    assert clipped_texts(panel) == []
    shown = range(panel.model.columnCount())
    width = sum(panel.table.columnWidth(c) for c in shown)
    assert width <= panel.table.viewport().width() + 1  # no column runs off the edge


# -- head office's staff ------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_member_head_office_publishes_is_shown_at_a_branch_but_not_changed(
    qtbot, db, open_main_window, admin, size
):
    """Asha as a pull from the centre stores her (services.sync_pull.store, the real path):
    listed as working at every branch, her form read-only, no retiring her here."""
    import uuid

    from db import central
    from services import sync_pull
    from services.auth import hash_pin
    from tests.desktop.helpers import NOW

    rows: dict[str, list] = {table: [] for table in central.PULLED}
    rows["users"] = [
        {
            "id": uuid.uuid4(),
            "branch_id": uuid.uuid4(),  # the head office's: this branch's once stored
            "username": "asha",
            "full_name": "Asha Rao",
            "role": "manager",
            "pin_hash": hash_pin("583920"),
            "max_manual_discount_percent": Decimal(15),
            "is_active": True,
            "created_at": NOW,
            "retired_at": None,
            "chain_wide": True,
        }
    ]
    sync_pull.store(db, admin.branch_id, central.PulledRows(xmin=10, rows=rows), now=NOW)
    assert sign_in(db, "asha", "583920").role is Role.MANAGER

    window = open_main_window(admin)
    window.resize(*size)
    window.show_panel("settings")
    settings = window.panel("settings")
    settings.tabs.setCurrentWidget(settings.staff)
    panel = settings.staff
    qtbot.waitUntil(lambda: panel.model.row_of("asha") >= 0, timeout=WAIT_MS)
    idle(qtbot, panel)
    row = panel.model.row_of("asha")
    assert panel.model.index(row, StaffModel.ACTIVE).data() == "Every branch"
    select(qtbot, panel, "asha")
    assert panel.subheading.text().startswith("Head office manages Asha Rao for every branch")
    assert panel.full_name_edit.isReadOnly() and not panel.role_combo.isEnabled()
    assert not panel.retire_button.isEnabled()
    assert not panel.reset_pin_check.isVisible()
    assert not panel.save_bar.save_button.isVisible()
    assert not panel.every_branch_check.isVisible()  # only on the centre
    save_screenshot(window, f"staff_head_office_member_at_branch_{size[0]}x{size[1]}")
    assert clipped_texts(panel) == []
