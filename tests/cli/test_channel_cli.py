"""`frontdesk channel set|show|test|rules` through the installed command: a local relay set
up and a test message received by a real SMTP server (aiosmtpd); the sending rules; a
refusal naming the option to fix. The keyring is the null one (a test never touches the
OS password store)."""

import json
import shutil

import pytest

from tests.cli.test_cli import demo_file, run
from tests.services.messaging import SmtpServer

__all__ = ["demo_file"]


@pytest.fixture
def clinic(demo_file, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    return ("--db", str(path), "--user", "meera")


def test_a_manager_sets_up_a_relay_and_a_test_message_arrives(clinic, tmp_path):
    with SmtpServer(tmp_path) as server:
        port = str(server.port)
        setup = ("channel", "set", "email", "--host", "127.0.0.1", "--port", port)
        relay = ("--security", "plain", "--sender", "hello@glowclinic.in", "--mode", "live")
        done = run(*clinic, *setup, *relay, pin="2222", tmp_path=tmp_path)
        assert done.stdout == "email: live\n"
        test = ("channel", "test", "email", "--to", "meera@example.in", "--text", "Hello Meera")
        sent = run(*clinic, *test, pin="2222", tmp_path=tmp_path)
    assert sent.stdout.startswith("Sent to meera@example.in by email")
    [received] = server.inbox.messages
    assert received.get_content().strip() == "Hello Meera"

    shown = json.loads(
        run(*clinic, "channel", "show", "--json", pin="2222", tmp_path=tmp_path).stdout
    )
    assert shown["email"]["mode"] == "live"
    assert shown["email"]["port"] == server.port
    assert shown["sms"]["mode"] == "preview"  # the demo's


def test_a_bad_setting_names_the_option_and_a_channel_that_is_off_says_how_to_switch_it_on(
    clinic, tmp_path
):
    bad = run(
        *clinic,
        "channel",
        "set",
        "sms",
        "--account",
        "2000123456",
        "--header",
        "GLOW-CLINIC",
        pin="2222",
        tmp_path=tmp_path,
        check=False,
    )
    assert bad.returncode == 2
    assert "(--header)" in bad.stderr
    run(*clinic, "channel", "set", "sms", "--mode", "off", pin="2222", tmp_path=tmp_path)
    off = run(
        *clinic,
        "channel",
        "test",
        "sms",
        "--to",
        "+919845012345",
        pin="2222",
        tmp_path=tmp_path,
        check=False,
    )
    assert off.returncode == 1
    assert "channel set sms --mode live" in off.stderr


def test_the_front_desk_cannot_change_channels(demo_file, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    path = tmp_path / "c.db"
    shutil.copyfile(demo_file, path)
    refused = run(
        "--db",
        str(path),
        "--user",
        "priya",
        "channel",
        "set",
        "preview",
        "--folder",
        str(tmp_path),
        pin="1111",
        tmp_path=tmp_path,
        check=False,
    )
    assert refused.returncode == 1
    assert "needs a manager" in refused.stderr


def test_the_sending_rules_are_shown_and_changed(clinic, tmp_path):
    change = ("channel", "rules", "--cap", "3", "--window", "email=09:00-20:00", "--json")
    shown = json.loads(run(*clinic, *change, pin="2222", tmp_path=tmp_path).stdout)
    assert shown["cap_messages"] == 3 and shown["cap_days"] == 7
    assert shown["windows"] == {"email": ["09:00", "20:00"], "whatsapp": ["10:00", "21:00"]}
    text = run(*clinic, "channel", "rules", pin="2222", tmp_path=tmp_path).stdout
    assert "At most 3 promotional messages per patient in 7 days." in text
    assert "sms       10:00-21:00 India time (TRAI)" in text
