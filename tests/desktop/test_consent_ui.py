"""Consent in the app (issue #16): at the counter in two keystrokes (Ctrl+K, then a digit),
listed in the F1 help; on the patient page per channel with when and how, withdrawn with
one click as easily as it was given. Real widgets, a real SQLite file."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop.dialogs.patient_page import PatientPageDialog
from desktop.panels.invoice_entry import SHORTCUTS, InvoiceEntryPanel
from services import consent, patients
from tests.desktop.helpers import fixed_clock, save_screenshot
from tests.desktop.test_invoice_entry import pick_patient

WAIT_MS = 10_000
LAKSHMI = "7992905876"


@pytest.fixture
def lakshmi(db):
    [match] = patients.find_patients(db, LAKSHMI)
    return match


def channel(db, patient_id, name):
    return {s.channel: s for s in consent.consent_state(db, patient_id)}[name]


def test_the_counter_records_a_consent_in_two_keystrokes(
    qtbot, db, open_main_window, front_desk, lakshmi
):
    window = open_main_window(front_desk)
    panel = window.panel("invoice")
    assert isinstance(panel, InvoiceEntryPanel)
    pick_patient(qtbot, panel, lakshmi)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    menu = panel.consent_menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible, timeout=WAIT_MS)
    save_screenshot(window, "counter-consent-menu")
    save_screenshot(menu, "counter-consent-menu-popup")  # a menu is its own window
    qtbot.keyClick(menu, Qt.Key.Key_4)
    qtbot.waitUntil(lambda: panel.message().startswith("Recorded"), timeout=WAIT_MS)

    assert panel.message().startswith(
        "Recorded: Lakshmi Shetty agrees to offers by SMS, WhatsApp and e-mail."
    )
    for name in ("sms", "whatsapp", "email"):
        state = channel(db, lakshmi.id, name)
        assert state.may_promote
        assert state.promotional.source == "counter"
        assert "Reply STOP" in state.promotional.notice or name != "sms"
    assert any(keys.startswith("Ctrl+K") for keys, _ in SHORTCUTS)


def test_ctrl_k_without_a_patient_says_what_to_do(qtbot, open_main_window, front_desk):
    window = open_main_window(front_desk)
    panel = window.panel("invoice")
    assert panel.ask_consent() is None
    assert panel.message() == "Choose the patient first, then Ctrl+K records their consent."


def test_the_patient_page_shows_consent_per_channel_and_withdraws_it_in_one_click(
    qtbot, db, branch_info, front_desk, lakshmi
):
    consent.record_consent(db, front_desk, lakshmi.id, "sms", granted=True, now=fixed_clock())
    page = PatientPageDialog(
        db, front_desk, lakshmi.id, timezone=branch_info.details.timezone, clock=fixed_clock
    )
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
    qtbot.waitExposed(page)

    assert page.facts["sms"].text() == "Yes, since 24 Nov 2026 at the counter"
    assert page.facts["email_consent"].text().startswith("No")
    assert page.consent_buttons["sms"].text() == "Withdraw"
    assert page.consent_history.text().startswith("Latest: 24 Nov 2026: sms promotional granted")
    save_screenshot(page, "patient-page-consent")

    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.consent_buttons["sms"].click()
    qtbot.waitUntil(lambda: page.consent_buttons["sms"].text() == "Give", timeout=WAIT_MS)
    assert page.facts["sms"].text() == "No: withdrawn 24 Nov 2026 at the counter"
    assert not channel(db, lakshmi.id, "sms").may_promote
    qtbot.waitUntil(page.is_idle, timeout=WAIT_MS)
