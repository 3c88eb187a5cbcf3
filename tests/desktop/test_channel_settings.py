"""Settings > Channels (manager) through its real widgets: set up e-mail through a local
relay (a real aiosmtpd server), go live, send a test that arrives; the sending rules
saved; the secret to the keyring (an in-memory one); the front desk has no such tab.
Screenshots at 1366x768 and at the smallest window."""

from __future__ import annotations

from datetime import time

from PySide6.QtWidgets import QScrollArea

from desktop.panels.channel_settings import ChannelSettingsPanel
from desktop.panels.settings import SettingsPanel
from services import auth
from services import channel_settings as cs
from tests.desktop.helpers import MANAGER, fixed_clock, save_screenshot
from tests.services.messaging import SmtpServer

WAIT_MS = 20_000


def channels_tab(qtbot, window) -> ChannelSettingsPanel:
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    panel = settings.channels
    assert isinstance(panel, ChannelSettingsPanel)
    settings.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    return panel


def test_a_manager_sets_up_email_goes_live_and_a_test_arrives(
    qtbot, db, open_main_window, memory_keyring, tmp_path
):
    window = open_main_window(auth.sign_in(db, *MANAGER))
    window.resize(1366, 768)
    panel = channels_tab(qtbot, window)
    assert panel.mode_combo.currentData() == "preview"  # the demo's: no accounts

    with SmtpServer(tmp_path) as server:
        panel.email_host.setText("127.0.0.1")
        panel.email_port.setValue(server.port)
        panel.email_security.setCurrentIndex(panel.email_security.findData("plain"))
        panel.email_sender.setText("hello@glowclinic.in")
        panel.email_sender_name.setText("Glow Clinic")
        panel.mode_combo.setCurrentIndex(panel.mode_combo.findData("live"))
        panel.save_button.click()
        qtbot.waitUntil(lambda: panel.message.text().startswith("Saved"), timeout=WAIT_MS)
        assert panel.message.text() == "Saved: E-mail is live."
        save_screenshot(window, "channels-email-1366x768")

        panel.test_to.setText("meera@example.in")
        panel.test_button.click()
        qtbot.waitUntil(lambda: panel.message.text().startswith("Sent to"), timeout=WAIT_MS)
    [received] = server.inbox.messages
    assert received["From"] == "Glow Clinic <hello@glowclinic.in>"
    assert cs.channel_settings(db).mode("email") == "live"
    assert memory_keyring == {}


def test_a_bad_setting_is_said_in_a_sentence_and_nothing_is_saved(
    qtbot, db, open_main_window, memory_keyring
):
    before = cs.channel_settings(db)
    window = open_main_window(auth.sign_in(db, *MANAGER))
    panel = channels_tab(qtbot, window)
    panel.channel_combo.setCurrentIndex(panel.channel_combo.findData("sms"))
    assert panel.secret_label.text() == "Password or API key"
    panel.sms_account.setText("2000123456")
    panel.sms_header.setText("GLOW-CLINIC")
    panel.secret_edit.setText("pw")
    panel.save_button.click()
    qtbot.waitUntil(lambda: "DLT header" in panel.message.text(), timeout=WAIT_MS)
    qtbot.waitUntil(panel.is_idle, timeout=WAIT_MS)
    assert cs.channel_settings(db) == before
    assert memory_keyring == {}

    panel.sms_header.setText("GLOWCL")
    panel.save_button.click()
    qtbot.waitUntil(lambda: panel.message.text().startswith("Saved"), timeout=WAIT_MS)
    assert list(memory_keyring.values()) == ["pw"]


def test_the_sending_rules_are_saved_and_fit_the_smallest_window(qtbot, db, open_main_window):
    window = open_main_window(auth.sign_in(db, *MANAGER))
    window.resize(1024, 640)
    panel = channels_tab(qtbot, window)
    assert panel.cap_spin.value() == 2 and panel.cap_days_spin.value() == 7
    panel.cap_spin.setValue(3)
    start, end = panel.window_edits["email"]
    start.setTime(start.time().fromString("09:00", "HH:mm"))
    panel.rules_button.click()
    qtbot.waitUntil(
        lambda: panel.rules_message.text() == "Saved the sending rules.", timeout=WAIT_MS
    )
    rules = cs.sending_rules(db)
    assert rules.cap_messages == 3
    assert rules.windows["email"] == (time(9), time(21))
    scroll = panel.findChild(QScrollArea)
    scroll.ensureWidgetVisible(panel.rules_message)
    save_screenshot(window, "channels-rules-1024x640")


def test_the_front_desk_has_no_channels_tab(qtbot, db, front_desk, branch_info):
    settings = SettingsPanel(db, front_desk, branch_info, clock=fixed_clock)
    qtbot.addWidget(settings)
    titles = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert "Channels" not in titles and settings.channels is None
