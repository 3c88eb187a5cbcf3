"""Access control in the app (issue #13): signed in as each role, the window shows what
domain.permissions lets that role do and hides the rest (the rail, its shortcuts, the
takings shortcut, Settings' tabs, the Invoices panel's and the patient page's buttons).
The services refuse the same actions anyway: tests/services/test_access_matrix.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from desktop.dialogs.patient_page import PatientPageDialog
from desktop.main_window import PANELS
from domain.permissions import allowed
from domain.roles import Role
from services import patients
from services.auth import sign_in
from tests.desktop.helpers import ADMIN, FRONT_DESK, MANAGER, fixed_clock, save_screenshot

ROLES = {Role.FRONT_DESK: FRONT_DESK, Role.MANAGER: MANAGER, Role.ADMIN: ADMIN}

# Settings' tabs beyond the branch's own, and the action each one is.
SETTINGS_TABS = {
    "Payments": "payment_methods.change",
    "Staff": "staff.manage",
    "Security": "screen_lock.change",
    "Backups": "backup.settings",
    "Sync": "sync.settings",
}

WAIT_MS = 10_000


def shortcut(qtbot, window, keys: str) -> None:
    sequence = QKeySequence(keys)[0]
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, sequence.key(), sequence.keyboardModifiers())


@pytest.mark.parametrize("role", list(ROLES), ids=[r.value for r in ROLES])
def test_the_window_shows_each_role_what_it_may_do_and_no_more(qtbot, db, open_main_window, role):
    window = open_main_window(sign_in(db, *ROLES[role]))

    may_open = [spec.key for spec in PANELS if allowed(role, spec.action)]
    assert window.rail.keys() == may_open == window.panel_keys()
    for spec in PANELS:
        if spec.key in may_open:
            continue
        # Neither its shortcut nor a request by name opens a panel the role may not see.
        shortcut(qtbot, window, spec.shortcut)
        window.show_panel(spec.key)
        assert window.current_panel_key() == "invoice", spec.key

    takings = [action for action in window.actions() if action.objectName() == "takings"]
    assert bool(takings) == allowed(role, "takings.read")
    if not allowed(role, "takings.read"):
        assert window.show_takings() is None
    shown = {text for _keys, text in window.shortcut_rows()}
    assert any("takings" in text.lower() for text in shown) == allowed(role, "takings.read")

    window.show_panel("invoices")
    invoices = window.panel("invoices")
    assert (invoices.cancel_button is not None) == allowed(role, "invoice.cancel")

    if "settings" in may_open:
        window.show_panel("settings")
        settings = window.panel("settings")
        titles = {settings.tabs.tabText(i) for i in range(settings.tabs.count())}
        for title, action in SETTINGS_TABS.items():
            assert (title in titles) == allowed(role, action), title
        assert settings.can_edit == allowed(role, "branch.change")
        save_screenshot(window, f"access_settings_{role.value}")
    window.show_panel("invoice")
    save_screenshot(window, f"access_rail_{role.value}")
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.size() == window.minimumSize())
    assert all(not window.rail.button(key).isHidden() for key in may_open)
    save_screenshot(window, f"access_rail_{role.value}_smallest")


@pytest.mark.parametrize("role", list(ROLES), ids=[r.value for r in ROLES])
def test_the_patient_page_offers_merging_and_credit_limits_by_role(qtbot, db, branch_info, role):
    [lakshmi] = patients.find_patients(db, "7992905876")
    page = PatientPageDialog(
        db,
        sign_in(db, *ROLES[role]),
        lakshmi.id,
        timezone=branch_info.details.timezone,
        clock=fixed_clock,
    )
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
    qtbot.waitExposed(page)

    assert (not page.merge_button.isHidden()) == allowed(role, "patient.merge")
    assert (not page.limit_button.isHidden()) == allowed(role, "credit_limit.change")
    # Reversing a payment is open to all: the front desk is asked for a manager's PIN.
    assert ("manager's PIN" in page.payments_keys.text()) != allowed(role, "payment.reverse")
    qtbot.keyClick(page, Qt.Key.Key_Escape)
