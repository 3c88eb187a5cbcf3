"""The first-run wizard on an empty database file: a clinic set up through its fields (the
admin then signs in), refusals beside their field, and the demo clinic chosen instead."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtWidgets import QDialog

from desktop.dialogs.setup_wizard import CLINIC, DEMO, PINS_DIFFER, SetupWizard
from services import auth
from services.branch import get_branch, is_initialised
from services.setup import open_branch_database
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_settings_panel import clipped_texts

WAIT_MS = 10_000
GSTIN = "29ABCDE1234F1ZW"


@pytest.fixture
def empty_db(tmp_path):
    db = open_branch_database(tmp_path / "new" / "frontdesk.db", now=NOW)
    yield db
    db.close()


@pytest.fixture
def wizard(qtbot, empty_db):
    dialog = SetupWizard(empty_db, clock=lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot, wizard: SetupWizard, **values: str) -> None:
    for field, text in values.items():
        edit = wizard.inputs[field]
        edit.clear()
        qtbot.keyClicks(edit, text)


def test_a_clinic_is_set_up_and_its_admin_signs_in(qtbot, wizard, empty_db):
    assert clipped_texts(wizard) == []
    save_screenshot(wizard, "setup_wizard")
    fill(
        qtbot,
        wizard,
        legal_name="Sunrise Dental Care LLP",
        name="Jayanagar",
        branch_code="JYN",
        address="4th Block, Jayanagar, Bengaluru",
        gstin=GSTIN,
        admin_name="Asha Rao",
        username="asha",
        pin="482913",
        pin_again="482913",
    )
    assert wizard.state.currentData() == "29"  # from the GSTIN
    with qtbot.waitSignal(wizard.finished, timeout=WAIT_MS):
        wizard.create_button.click()

    assert wizard.result() == QDialog.DialogCode.Accepted and wizard.choice == CLINIC
    assert is_initialised(empty_db)
    details = get_branch(empty_db).details
    assert (details.name, details.legal_name, details.branch_code, details.gstin) == (
        "Jayanagar",
        "Sunrise Dental Care LLP",
        "JYN",
        GSTIN,
    )
    assert (details.timezone, details.fiscal_year_start_month) == ("Asia/Kolkata", 4)
    admin = auth.sign_in(empty_db, "asha", "482913")
    assert admin.full_name == "Asha Rao" and admin.role.value == "admin"


def test_refusals_are_shown_beside_their_field_and_nothing_is_saved(qtbot, wizard, empty_db):
    fill(
        qtbot,
        wizard,
        legal_name="Sunrise Dental",
        name="Jayanagar",
        pin="482913",
        pin_again="482910",
    )
    wizard.create_button.click()
    assert wizard.errors["pin_again"].text() == PINS_DIFFER
    assert wizard.errors["pin_again"].isVisible()

    fill(qtbot, wizard, pin_again="482913", gstin="29ABCDE1234F1Z5")
    wizard.create_button.click()
    qtbot.waitUntil(wizard.is_idle, timeout=WAIT_MS)
    assert "last character does not match" in wizard.errors["gstin"].text()
    assert wizard.errors["gstin"].isVisible() and not wizard.errors["pin_again"].isVisible()
    save_screenshot(wizard, "setup_wizard_refused")

    fill(qtbot, wizard, gstin="", username="not a name")
    wizard.create_button.click()
    qtbot.waitUntil(wizard.is_idle, timeout=WAIT_MS)
    assert "letters, digits and underscores" in wizard.errors["username"].text()

    fill(qtbot, wizard, username="asha", pin="4829", pin_again="4829")
    wizard.create_button.click()
    qtbot.waitUntil(wizard.is_idle, timeout=WAIT_MS)
    assert "6 to 12 digits" in wizard.errors["pin"].text()
    assert not is_initialised(empty_db) and wizard.isVisible()


def test_the_demo_clinic_can_be_chosen_instead(qtbot, wizard):
    with qtbot.waitSignal(wizard.finished, timeout=WAIT_MS):
        wizard.demo_button.click()
    assert wizard.choice == DEMO


def test_the_command_line_sets_up_the_same_clinic(tmp_path):
    from tests.cli.test_cli import run

    path = tmp_path / "clinic.db"
    run(
        "--db",
        str(path),
        "init",
        "--admin",
        "asha",
        "--admin-name",
        "Asha Rao",
        "--name",
        "Jayanagar",
        "--legal-name",
        "Sunrise Dental Care LLP",
        "--code",
        "JYN",
        "--gstin",
        GSTIN,
        pin="482913",
        tmp_path=tmp_path,
    )
    db = open_branch_database(path, now=datetime.now().astimezone())
    try:
        details = get_branch(db).details
        assert (details.legal_name, details.branch_code, details.state_code) == (
            "Sunrise Dental Care LLP",
            "JYN",
            "29",
        )
        assert auth.sign_in(db, "asha", "482913").full_name == "Asha Rao"
    finally:
        db.close()


def test_the_head_office_can_be_named_at_set_up_and_its_password_goes_to_the_keyring(
    qtbot, wizard, empty_db, memory_keyring
):
    from services.sync_settings import sync_settings

    fill(
        qtbot,
        wizard,
        legal_name="Sunrise Dental Care LLP",
        name="Jayanagar",
        pin="482913",
        pin_again="482913",
        host="hq.example.in",
    )
    wizard.create_button.click()  # a server without its database and role is refused
    assert "database name" in wizard.errors["database"].text()
    assert not is_initialised(empty_db)

    fill(qtbot, wizard, database="frontdesk", role="frontdesk_jyn", central_password="s3cret")
    with qtbot.waitSignal(wizard.finished, timeout=WAIT_MS):
        wizard.create_button.click()
    saved = sync_settings(empty_db)
    assert (saved.host, saved.database, saved.role) == (
        "hq.example.in",
        "frontdesk",
        "frontdesk_jyn",
    )
    assert list(memory_keyring.values()) == ["s3cret"]
