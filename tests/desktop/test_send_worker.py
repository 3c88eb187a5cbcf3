"""The open app sends due campaign messages by itself (issue #16): the main window's
minute timer runs a round in the background and the status bar says what went."""

from __future__ import annotations

from datetime import timedelta

from services import auth, consent
from services import channel_settings as cs
from tests.desktop.helpers import MANAGER, NOW
from tests.services.campaign_rows import a_campaign, a_template, queue, some_patients, status_of

WAIT_MS = 20_000


def test_the_window_sends_what_is_due_and_says_so(qtbot, db, open_main_window, tmp_path):
    manager = auth.sign_in(db, *MANAGER)
    cs.save_channel(db, manager, "preview", cs.PreviewSettings(str(tmp_path)), now=NOW)
    cs.save_channel(db, manager, "email", None, mode="preview", now=NOW)
    patient = some_patients(db, 1)[0]
    consent.record_consent(
        db, manager, patient.id, "email", granted=True, now=NOW - timedelta(days=1)
    )
    template = a_template(db, "email", at=NOW)
    campaign = a_campaign(db, template, "email", at=NOW)
    execution = queue(
        db, campaign, patient.id, "email", "meera@example.in", "Hello", at=NOW, template_id=template
    )

    window = open_main_window(manager)
    assert window.send_timer.isActive() and window.send_timer.interval() == 60_000
    window.send_round()
    qtbot.waitUntil(lambda: not window.is_sending(), timeout=WAIT_MS)

    assert window.last_send is not None and window.last_send.sent == 1
    assert window.statusBar().currentMessage() == "Campaigns: Sent 1 message(s)."
    assert status_of(db, execution).status == "sent"
    assert (tmp_path / f"{execution}.txt").is_file()
