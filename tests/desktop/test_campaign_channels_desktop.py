"""What the CLI could do alone, in the desktop (issue #16): a WhatsApp template's body
parameters typed in the template editor, checked as a save checks them. Driven through the
real widgets on the demo clinic's database; the dialogs are grabbed into /tmp/helper32 at
1366x768 and at the smallest window, for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop.dialogs.template_editor import TemplateEditor
from services.campaigns import templates
from tests.desktop.test_campaigns_panel import ALT, CTRL, SIZES, WAIT_MS, idle, open_panel
from tests.desktop.test_settings_panel import clipped_texts

GRABS = Path("/tmp/helper32")


def grab(widget: QWidget, name: str) -> None:
    QApplication.processEvents()
    GRABS.mkdir(exist_ok=True)
    assert widget.grab().save(str(GRABS / f"{name}.png"))


def saved_parameters(db, manager, name: str) -> tuple[str, ...]:
    [row] = [r for r in templates.list_templates(db, manager) if r.name == name]
    return row.whatsapp_body_parameters


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_whatsapp_templates_body_parameters_are_typed_checked_and_saved(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_2, ALT)
    idle(qtbot, panel)
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_T, CTRL)
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    assert not editor.wa_parameters_edit.isVisible()  # e-mail first: WhatsApp's field only
    qtbot.keyClicks(editor.name_edit, "Offer (WhatsApp)")
    editor.channel_combo.setCurrentIndex(editor.channel_combo.findData("whatsapp"))
    qtbot.keyClicks(editor.body_edit, "Hi {{ first_name }}, your code is {{ promo_code }}.")
    qtbot.keyClicks(editor.wa_name_edit, "offer_code")
    qtbot.keyClick(editor, Qt.Key.Key_A, ALT)  # Body p&arameters
    assert editor.focusWidget() is editor.wa_parameters_edit

    # A blank line between two is a parameter, and the service refuses an empty one.
    qtbot.keyClicks(editor.wa_parameters_edit, "{{ first_name }}")
    qtbot.keyClick(editor.wa_parameters_edit, Qt.Key.Key_Return)
    qtbot.keyClick(editor.wa_parameters_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.wa_parameters_edit, "{{ promo_code }}")
    assert editor.problem() == "Body parameters: {{2}} is 1 to 200 characters of text and tags."
    qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    assert editor.status_label.text() == editor.problem()
    assert panel.dialog is editor  # refused: nothing saved

    # An unknown tag in a parameter is said to be the parameters'.
    editor.wa_parameters_edit.setPlainText("{{ first_name }}\n{{ promo_cod }}")
    assert editor.problem().startswith("Body parameters: ")
    assert "promo_cod" in editor.problem()

    editor.wa_parameters_edit.setPlainText("{{ first_name }}\n{{ promo_code }}\n\n")
    assert editor.problem() == ""
    shown = editor.preview_edit.toPlainText()
    assert "Body parameters:\n{{1}} = Asha\n{{2}} = " in shown
    grab(editor, f"template_editor_parameters_{size[0]}x{size[1]}")
    assert clipped_texts(editor) == []
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)
    assert panel.dialog is None
    assert saved_parameters(db, manager, "Offer (WhatsApp)") == (
        "{{ first_name }}",
        "{{ promo_code }}",
    )

    # Changed: the editor shows them as saved, and saves them as changed.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    panel.templates_table.setFocus()
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_Return)
    editor = panel.dialog
    assert isinstance(editor, TemplateEditor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    assert editor.wa_parameters_edit.toPlainText() == "{{ first_name }}\n{{ promo_code }}"
    editor.wa_parameters_edit.setPlainText("{{ promo_code }}\n{{ clinic_name }}")
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT_MS):
        qtbot.keyClick(editor, Qt.Key.Key_S, CTRL)
    idle(qtbot, panel)
    assert saved_parameters(db, manager, "Offer (WhatsApp)") == (
        "{{ promo_code }}",
        "{{ clinic_name }}",
    )
