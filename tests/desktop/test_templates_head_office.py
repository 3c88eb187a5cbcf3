"""The template library at a branch that received the head office's template from the
centre (issue #15; services.sync_pull.store, the real path): listed as the head office's,
said so beside its preview, Edit off and Enter saying why; Copy still makes one of the
branch's own. Grabbed at 1366x768 and at the smallest window with no text cut."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from db import central
from desktop.dialogs.template_editor import TemplateEditor
from desktop.models.campaign_models import HEAD_OFFICE_TEMPLATE
from services import sync_pull
from tests.desktop.helpers import NOW, save_screenshot
from tests.desktop.test_campaigns_panel import ALT, SIZES, column, idle, open_panel
from tests.desktop.test_settings_panel import clipped_texts

NAME = "Chain birthday (e-mail)"


def receive_head_offices_template(db, branch_id) -> uuid.UUID:
    template_id = uuid.uuid4()
    rows: dict[str, list] = {table: [] for table in central.PULLED}
    rows["message_templates"] = [
        {
            "id": template_id,
            "branch_id": uuid.uuid4(),  # the head office's: none here once stored
            "name": NAME,
            "category": "birthday",
            "channel": "email",
            "purpose": "promotional",
            "subject": "Happy birthday, {{ first_name }}",
            "body": "Dear {{ first_name }}, {{ clinic_name }} wishes you a happy birthday.",
            "sms_dlt_template_id": None,
            "sms_header": None,
            "sms_principal_entity_id": None,
            "sms_registered_text": None,
            "whatsapp_template_name": None,
            "whatsapp_language": None,
            "whatsapp_components": None,
            "created_at": NOW,
            "retired_at": None,
        }
    ]
    sync_pull.store(db, branch_id, central.PulledRows(xmin=10, rows=rows), now=NOW)
    return template_id


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_head_offices_template_is_listed_as_theirs_and_not_edited_here(
    qtbot, db, manager, branch_info, fresh_settings, size
):
    template_id = receive_head_offices_template(db, branch_info.id)
    window, panel = open_panel(qtbot, db, manager, branch_info, fresh_settings, size)
    qtbot.keyClick(panel.campaigns_table, Qt.Key.Key_2, ALT)
    idle(qtbot, panel)
    assert f"{NAME} (head office)" in column(panel.templates, "Template")
    assert panel._select_template(str(template_id))
    idle(qtbot, panel)
    assert HEAD_OFFICE_TEMPLATE in panel.template_line.text()
    assert not panel.edit_button.isEnabled() and panel.copy_button.isEnabled()
    panel.templates_table.setFocus()
    qtbot.keyClick(panel.templates_table, Qt.Key.Key_Return)
    assert panel.dialog is None
    assert panel.status_label.text() == HEAD_OFFICE_TEMPLATE
    qtbot.waitUntil(lambda: "For the sample patient" in panel.template_preview.toPlainText())
    save_screenshot(window, f"campaigns_templates_head_office_{size[0]}x{size[1]}")
    assert clipped_texts(window) == []
    copy = panel.copy_template()
    assert isinstance(copy, TemplateEditor) and copy.name_edit.text().startswith(NAME)
    copy.reject()
