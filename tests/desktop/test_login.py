"""Signing in: choose a name, type the PIN, press Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.login import LAST_USER_KEY, LoginDialog
from domain.roles import Role
from tests.desktop.helpers import save_screenshot


def open_dialog(qtbot, db, settings) -> LoginDialog:
    dialog = LoginDialog(db, settings, branch_name="Indiranagar")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def type_pin_and_enter(qtbot, dialog: LoginDialog, pin: str) -> None:
    dialog.pin_edit.setFocus()
    qtbot.keyClicks(dialog.pin_edit, pin)
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)


def test_the_dialog_lists_the_active_staff_with_their_roles(qtbot, db, fresh_settings):
    dialog = open_dialog(qtbot, db, fresh_settings)

    rows = [
        (dialog.user_list.topLevelItem(i).text(0), dialog.user_list.topLevelItem(i).text(1))
        for i in range(dialog.user_list.topLevelItemCount())
    ]
    assert ("Priya Sharma", Role.FRONT_DESK.label) in rows
    assert ("Meera Nair", Role.MANAGER.label) in rows
    assert ("Arun Kumar", Role.ADMIN.label) in rows
    assert dialog.pin_edit.echoMode() == dialog.pin_edit.EchoMode.Password
    save_screenshot(dialog, "login")


def test_a_wrong_pin_is_explained_beside_the_field_and_the_right_one_signs_in(
    qtbot, db, fresh_settings
):
    dialog = open_dialog(qtbot, db, fresh_settings)
    dialog.select_user("priya")

    type_pin_and_enter(qtbot, dialog, "1234")

    assert dialog.result() == 0 and dialog.isVisible()
    assert dialog.error_label.text() == "That PIN is not right. Try again (4 more before a lock)."
    assert dialog.pin_edit.text() == ""
    save_screenshot(dialog, "login_wrong_pin")

    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as signed_in:
        type_pin_and_enter(qtbot, dialog, "1111")

    user = signed_in.args[0]
    assert (user.username, user.full_name, user.role) == ("priya", "Priya Sharma", Role.FRONT_DESK)
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert fresh_settings.value(LAST_USER_KEY) == "priya"


def test_typing_a_new_pin_clears_the_message(qtbot, db, fresh_settings):
    dialog = open_dialog(qtbot, db, fresh_settings)
    dialog.select_user("meera")
    type_pin_and_enter(qtbot, dialog, "0000")
    assert dialog.error_label.text()

    qtbot.keyClicks(dialog.pin_edit, "2")

    assert dialog.error_label.text() == ""


def test_an_empty_pin_asks_for_one(qtbot, db, fresh_settings):
    dialog = open_dialog(qtbot, db, fresh_settings)
    dialog.select_user("meera")

    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)

    assert dialog.error_label.text() == "Type your PIN, then press Enter."
    assert dialog.isVisible()


def test_signing_in_needs_only_the_keyboard(qtbot, db, fresh_settings):
    dialog = open_dialog(qtbot, db, fresh_settings)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.user_list.hasFocus())

    # Letters jump to a name, Down moves on, digits go straight into the PIN field.
    qtbot.keyClicks(dialog.user_list, "m")
    assert dialog.selected_username() == "meera"
    qtbot.keyClicks(dialog.user_list, "2222")
    assert dialog.pin_edit.hasFocus()
    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as signed_in:
        qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)

    assert signed_in.args[0].role == Role.MANAGER


def test_up_and_down_in_the_pin_field_choose_another_name(qtbot, db, fresh_settings):
    dialog = open_dialog(qtbot, db, fresh_settings)
    names = dialog.usernames()
    dialog.select_user(names[0])

    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Down)
    assert dialog.selected_username() == names[1]
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Up)
    assert dialog.selected_username() == names[0]


def test_the_last_person_to_sign_in_is_chosen_next_time(qtbot, db, fresh_settings):
    fresh_settings.setValue(LAST_USER_KEY, "priya")

    dialog = open_dialog(qtbot, db, fresh_settings)

    assert dialog.selected_username() == "priya"
    dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.pin_edit.hasFocus())
