"""Settings > Channels as a service (issue #16): each channel's settings and mode in the
database, its secret in the keyring (an in-memory one here) and nowhere else, refusals by
field, only a manager, and the channel the sender gets for each mode."""

from __future__ import annotations

from datetime import time

import pytest

from domain.roles import PermissionDenied
from domain.send_gate import SendingRules
from services import auth
from services import channel_settings as cs
from services.channels.email import EmailChannel, EmailSettings
from services.channels.preview import PreviewChannel
from services.channels.sms import GupshupChannel, JsonSmsChannel, SmsSettings
from services.channels.whatsapp import WhatsAppChannel, WhatsAppSettings
from tests.services.conftest import NOW

EMAIL = EmailSettings(
    host="smtp.glowclinic.in", port=587, username="desk", sender="hello@glowclinic.in"
)


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def test_a_manager_saves_email_and_the_password_goes_to_the_keyring_only(
    demo_db, manager, memory_keyring
):
    saved = cs.save_channel(
        demo_db, manager, "email", EMAIL, mode="live", secret_value="s3cret", now=NOW
    )

    assert cs.channel_settings(demo_db) == saved
    assert saved.email == EMAIL and saved.mode("email") == "live"
    assert memory_keyring == {("Frontdesk channels", "email:desk@smtp.glowclinic.in:587"): "s3cret"}
    assert b"s3cret" not in demo_db.path.read_bytes()
    channel = cs.open_channel(demo_db, "email")
    assert isinstance(channel, EmailChannel) and channel.password == "s3cret"


def test_each_mode_gives_the_sender_its_channel(demo_db, manager, memory_keyring, tmp_path):
    # The demo writes every channel to the preview folder (no provider accounts there).
    assert isinstance(cs.open_channel(demo_db, "sms"), PreviewChannel)
    cs.save_channel(demo_db, manager, "sms", None, mode="off", now=NOW)
    assert cs.open_channel(demo_db, "sms") is None
    sms = SmsSettings(provider="gupshup", account="2000123456", header="GLOWCL")
    cs.save_channel(demo_db, manager, "sms", sms, mode="preview", now=NOW)
    cs.save_channel(demo_db, manager, "preview", cs.PreviewSettings(str(tmp_path)), now=NOW)
    preview = cs.open_channel(demo_db, "sms")
    assert isinstance(preview, PreviewChannel) and preview.folder == tmp_path
    cs.save_channel(demo_db, manager, "sms", None, mode="live", secret_value="pw", now=NOW)
    live = cs.open_channel(demo_db, "sms")
    assert isinstance(live, GupshupChannel) and live.password == "pw"
    live.close()
    generic = SmsSettings(provider="json", url="https://sms.example.in/send")
    cs.save_channel(demo_db, manager, "sms", generic, now=NOW)
    json_channel = cs.open_channel(demo_db, "sms")
    assert isinstance(json_channel, JsonSmsChannel)
    json_channel.close()
    whatsapp = WhatsAppSettings(phone_number_id="106540352242922")
    cs.save_channel(demo_db, manager, "whatsapp", whatsapp, mode="live", now=NOW)
    wa = cs.open_channel(demo_db, "whatsapp")
    assert isinstance(wa, WhatsAppChannel)
    assert wa.settings.messages_url == ("https://graph.facebook.com/v21.0/106540352242922/messages")
    wa.close()


@pytest.mark.parametrize(
    ("channel", "settings", "field"),
    [
        ("email", EmailSettings(host="", sender="a@b.in"), "host"),
        ("email", EmailSettings(host="h", port=0, sender="a@b.in"), "port"),
        ("email", EmailSettings(host="h", sender="nobody"), "sender"),
        ("email", EmailSettings(host="h", sender="a@b.in", ca_file="/no/such.pem"), "ca_file"),
        ("sms", SmsSettings(account="abc"), "account"),
        ("sms", SmsSettings(account="1", header="GLOW-CLINIC"), "header"),
        ("sms", SmsSettings(provider="json", url="ftp://x"), "url"),
        ("whatsapp", WhatsAppSettings(phone_number_id="me"), "phone_number_id"),
    ],
)
def test_settings_that_cannot_work_are_refused_by_field(
    demo_db, manager, memory_keyring, channel, settings, field
):
    before = cs.channel_settings(demo_db)
    with pytest.raises(cs.ChannelSettingsError) as refused:
        cs.save_channel(demo_db, manager, channel, settings, secret_value="x", now=NOW)
    assert refused.value.field == field
    assert memory_keyring == {}
    assert cs.channel_settings(demo_db) == before


def test_live_needs_the_settings_first(demo_db, manager, memory_keyring):
    with pytest.raises(cs.ChannelSettingsError, match="before sending live"):
        cs.save_channel(demo_db, manager, "whatsapp", None, mode="live", now=NOW)


def test_only_a_manager_changes_how_messages_leave(demo_db, memory_keyring):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        cs.save_channel(demo_db, desk, "email", EMAIL, secret_value="x", now=NOW)
    with pytest.raises(PermissionDenied):
        cs.save_sending_rules(demo_db, desk, SendingRules(cap_messages=5), now=NOW)
    assert memory_keyring == {}


def test_the_sending_rules_are_a_branch_setting(demo_db, manager):
    assert cs.sending_rules(demo_db) == SendingRules()
    rules = SendingRules(3, 14, {"email": (time(9), time(20))})
    cs.save_sending_rules(demo_db, manager, rules, now=NOW)
    assert cs.sending_rules(demo_db) == rules
    with pytest.raises(cs.ChannelSettingsError, match="SMS keeps TRAI"):
        cs.save_sending_rules(
            demo_db, manager, SendingRules(windows={"sms": (time(8), time(23))}), now=NOW
        )
    with pytest.raises(cs.ChannelSettingsError, match="open before it closes"):
        cs.save_sending_rules(
            demo_db, manager, SendingRules(windows={"email": (time(20), time(9))}), now=NOW
        )
