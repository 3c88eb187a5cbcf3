"""`frontdesk consent grant|withdraw|show|block|import` and `frontdesk campaign send-due`
through the installed command, on a copy of the demo clinic."""

import json
import shutil
from datetime import UTC, datetime

import pytest

from tests.cli.test_cli import demo_file, run

__all__ = ["demo_file"]

LAKSHMI = "7992905876"


@pytest.fixture
def clinic(demo_file, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    return ("--db", str(path))


def test_consent_is_granted_withdrawn_by_a_stop_reply_and_shown(clinic, tmp_path):
    desk = (*clinic, "--user", "priya")
    grant = ("consent", "grant", "--patient", LAKSHMI, "--channel", "sms", "--json")
    given = json.loads(run(*desk, *grant, pin="1111", tmp_path=tmp_path).stdout)
    assert (given["action"], given["source"]) == ("granted", "counter")
    assert "Reply STOP" in given["notice"]

    export = tmp_path / "replies.csv"
    replied = datetime.now(UTC).isoformat()  # after the grant: the reply withdraws it
    export.write_text(
        "received_at,channel,sender,body,provider_id\n"
        f"{replied},sms,+91 {LAKSHMI},Stop,gs-1\n"
        f"{replied},sms,9845000001,Who is this?,gs-2\n",
        encoding="utf-8",
    )
    manager = (*clinic, "--user", "meera")
    done = run(*manager, "consent", "import", str(export), "--json", pin="2222", tmp_path=tmp_path)
    result = json.loads(done.stdout)
    assert (result["rows"], result["opt_outs"], result["unmatched"]) == (2, 1, 1)

    shown = run(
        *desk, "consent", "show", "--patient", LAKSHMI, "--json", pin="1111", tmp_path=tmp_path
    )
    sms = next(c for c in json.loads(shown.stdout)["channels"] if c["channel"] == "sms")
    assert sms == {
        "channel": "sms",
        "promotional": "withdrawn",
        "service": "none",
        "do_not_contact": "unsubscribed",
        "may_send_offers": "no",
    }


def test_a_bad_reply_file_names_its_line_and_imports_nothing(clinic, tmp_path):
    export = tmp_path / "replies.csv"
    export.write_text(
        "received_at,channel,sender,body\n"
        f"2026-11-24T21:05+05:30,sms,{LAKSHMI},STOP\n"
        f"yesterday,sms,{LAKSHMI},STOP\n",
        encoding="utf-8",
    )
    manager = (*clinic, "--user", "meera")
    show = (*manager, "consent", "show", "--patient", LAKSHMI, "--json")
    before = json.loads(run(*show, pin="2222", tmp_path=tmp_path).stdout)["history"]
    refused = run(
        *manager, "consent", "import", str(export), pin="2222", tmp_path=tmp_path, check=False
    )
    assert refused.returncode == 1
    assert "Line 3: received_at 'yesterday' is not a time" in refused.stderr
    after = json.loads(run(*show, pin="2222", tmp_path=tmp_path).stdout)["history"]
    assert after == before and all(event["action"] == "granted" for event in after)


def test_send_due_with_nothing_due_says_so(clinic, tmp_path):
    manager = (*clinic, "--user", "meera")
    done = run(
        *manager,
        "campaign",
        "send-due",
        "--at",
        "2026-11-24T11:00+05:30",
        "--json",
        pin="2222",
        tmp_path=tmp_path,
    )
    result = json.loads(done.stdout)
    assert (result["sent"], result["busy"], result["waiting"]) == (0, False, {})
    text = run(*manager, "campaign", "send-due", pin="2222", tmp_path=tmp_path).stdout
    assert text == "Sent 0 message(s).\n"
