"""The Payments tab of Settings (issue #11): the methods' names, which are offered and which
need a reference, and the default credit limit, saved by a manager with Ctrl+S."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from desktop.main_window import MainWindow
from desktop.panels.payment_settings import LIMIT_FIELD, PaymentSettingsPanel
from desktop.panels.settings import SettingsPanel
from domain.payments import Method
from services.payment_settings import (
    MethodSetting,
    PaymentSettings,
    payment_settings,
    settings_to_json,
)
from tests.desktop.helpers import fixed_clock, save_screenshot
from tests.desktop.test_settings_panel import SIZES, clipped_texts

CTRL = Qt.KeyboardModifier.ControlModifier


def in_window(qtbot, db, user, branch_info, fresh_settings, size=(1366, 768)):
    window = MainWindow(db, user, branch_info, settings=fresh_settings, clock=fixed_clock)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.is_idle, timeout=10_000)  # the day's backup
    window.show_panel("settings")
    settings = window.panel("settings")
    assert isinstance(settings, SettingsPanel)
    panel = settings.payments
    assert isinstance(panel, PaymentSettingsPanel)
    settings.tabs.setCurrentWidget(panel)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return panel


def save_by_keyboard(qtbot, panel: PaymentSettingsPanel, field) -> None:
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not panel.is_saving(), timeout=5000)


def test_a_manager_renames_wallet_asks_upi_for_a_reference_and_sets_a_credit_limit(
    qtbot, db, manager, branch_info, fresh_settings
):
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings)
    rows = panel.rows
    assert [rows[m].name_edit.text() for m in rows][:4] == ["Cash", "UPI", "Card", "Wallet"]
    assert not rows[Method.CASH].offered_check.isEnabled()  # cash is always offered
    assert rows[Method.CARD].reference_check.isChecked()
    assert panel.limit_edit.text() == ""

    rows[Method.WALLET].name_edit.setFocus()
    rows[Method.WALLET].name_edit.selectAll()
    qtbot.keyClicks(rows[Method.WALLET].name_edit, "Paytm")
    rows[Method.UPI].reference_check.setChecked(True)
    rows[Method.ON_ACCOUNT].offered_check.setChecked(False)
    qtbot.keyClicks(panel.limit_edit, "10,000")
    with qtbot.waitSignal(panel.settings_saved, timeout=5000):
        save_by_keyboard(qtbot, panel, panel.limit_edit)

    saved = payment_settings(db)
    assert saved.label(Method.WALLET) == "Paytm"
    assert Method.UPI in saved.needing_reference
    assert Method.ON_ACCOUNT not in [s.method for s in saved.offered]
    assert saved.default_credit_limit == 1_000_000
    assert panel.status_label.text() == "Saved at 11:00."
    assert panel.limit_edit.text() == "10000.00"


def test_a_limit_that_is_not_an_amount_and_an_empty_name_are_refused(
    qtbot, db, manager, branch_info, fresh_settings
):
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings)
    qtbot.keyClicks(panel.limit_edit, "ten thousand")
    save_by_keyboard(qtbot, panel, panel.limit_edit)
    assert "is not an amount in rupees" in (panel.field_error(LIMIT_FIELD) or "")
    assert QApplication.focusWidget() is panel.limit_edit

    panel.limit_edit.clear()
    panel.rows[Method.CARD].name_edit.clear()
    save_by_keyboard(qtbot, panel, panel.limit_edit)
    assert "Give Card a name of 1 to 20 characters" in panel.status_label.text()
    assert payment_settings(db).label(Method.CARD) == "Card"


def test_the_front_desk_has_no_payments_tab(qtbot, db, front_desk, branch_info):
    settings = SettingsPanel(db, front_desk, branch_info, clock=fixed_clock)
    qtbot.addWidget(settings)
    assert settings.payments is None
    titles = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert "Payments" not in titles


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_tab_fits_the_window(qtbot, db, manager, branch_info, fresh_settings, size):
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings, size)
    save_screenshot(panel.window(), f"settings_payments_{size[0]}x{size[1]}")
    assert clipped_texts(panel) == []


def received_from_centre(db, branch_info, settings: dict) -> None:
    """What a pull from a centre that set `settings` (key -> value) stores (the real path,
    services.sync_pull.store, without a server)."""
    from db import central
    from services import sync_pull
    from tests.desktop.helpers import NOW

    rows: dict[str, list] = {table: [] for table in central.PULLED}
    rows["app_settings"] = [{"key": key, "value": value} for key, value in settings.items()]
    sync_pull.store(db, branch_info.id, central.PulledRows(xmin=10, rows=rows), now=NOW)


@pytest.mark.parametrize("size", SIZES)
def test_settings_the_head_office_sets_are_shown_not_edited(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    from domain.send_gate import SendingRules
    from services import channel_settings as cs
    from tests.desktop.test_channel_settings import channels_tab

    chain = PaymentSettings((MethodSetting(Method.UPI, "BHIM UPI", needs_reference=True),), 500000)
    received_from_centre(
        db,
        branch_info,
        {
            "payment_methods": settings_to_json(chain),
            "sending_rules": cs.rules_json(SendingRules(1, 14)),
        },
    )
    panel = in_window(qtbot, db, manager, branch_info, fresh_settings, size)
    assert panel.read_only_note.isVisible()
    assert panel.read_only_note.text().startswith("Head office sets the payment methods")
    assert panel.rows[Method.UPI].name_edit.text() == "BHIM UPI"
    assert panel.rows[Method.UPI].name_edit.isReadOnly()
    assert panel.limit_edit.isReadOnly()
    assert not panel.save_button.isVisible()
    assert clipped_texts(panel) == []
    save_screenshot(panel.window(), f"payment_settings_from_centre_{size[0]}x{size[1]}")

    window = panel.window()
    channels = channels_tab(qtbot, window)
    assert channels.rules_set_by_centre
    assert not channels.rules_button.isEnabled() and not channels.cap_spin.isEnabled()
    assert channels.cap_spin.value() == 1
    assert channels.rules_message.text().startswith("Head office sets these rules")
    scroll = channels.findChild(QScrollArea)
    scroll.ensureWidgetVisible(channels.rules_message)
    assert clipped_texts(channels) == []
    save_screenshot(window, f"channel_rules_from_centre_{size[0]}x{size[1]}")
