"""`frontdesk callback ...` end to end, as the front desk would type it."""

import json
import shutil
import sqlite3

import pytest

from tests.cli.test_cli import run

# 11:00 in Bengaluru on Tuesday 24 Nov 2026 (the branch's local time: no offset needed).
MORNING = "2026-11-24T11:00"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("callback_cli")
    path = folder / "demo.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


@pytest.fixture
def fd(template, tmp_path):
    """Run `frontdesk --db <copy> --user admin ...` with the admin's PIN (dating a callback
    otherwise than now, --at, is an admin's: issue #13)."""
    path = tmp_path / "frontdesk.db"
    shutil.copyfile(template, path)

    def call(*args, user="admin", pin="9999", check=True):
        return run(
            "--db", str(path), "--user", user, *args, pin=pin, tmp_path=tmp_path, check=check
        )

    return call


def add(fd, *extra):
    return fd("callback", "add", *extra).stdout.strip()


def test_add_prints_the_id_and_queue_lists_it_with_its_score_parts(fd):
    complaint = add(
        fd,
        "--mobile",
        "98450 12345",
        "--name",
        "Arjun Rao",
        "--reason",
        "complaint",
        "--notes",
        "Billed twice",
        "--at",
        MORNING,
    )
    enquiry = add(
        fd,
        "--mobile",
        "9845099999",
        "--name",
        "Kavya Iyer",
        "--reason",
        "promotion_enquiry",
        "--source",
        "campaign_reply",
        "--at",
        MORNING,
    )

    queue = json.loads(fd("callback", "queue", "--at", "2026-11-24T14:00", "--json").stdout)

    assert [row["id"] for row in queue] == [complaint, enquiry]
    top = queue[0]
    assert top["score"] == 42 and top["category"] == "high"
    assert top["score_explained"] == "complaint +30, waiting 3 h +12"
    assert top["score_parts"] == [
        {"label": "complaint", "points": 30},
        {"label": "waiting 3 h", "points": 12},
    ]
    assert top["due_at"] == "2026-11-24T09:30:00+00:00"  # 15:00 in Bengaluru: 4 open hours
    assert top["waiting_minutes"] == 180
    assert queue[1]["source"] == "campaign_reply"


def test_a_registered_patients_mobile_links_the_request_to_them(fd, template):
    con = sqlite3.connect(template)
    try:
        name, mobile = con.execute(
            "SELECT name, mobile FROM patients GROUP BY mobile HAVING count(*) = 1 LIMIT 1"
        ).fetchone()
    finally:
        con.close()

    row = json.loads(
        fd("callback", "add", "--mobile", mobile, "--reason", "appointment", "--json").stdout
    )

    assert row["patient_id"] is not None and row["name"] == name


def test_someone_unknown_needs_a_name(fd):
    result = fd("callback", "add", "--mobile", "9000000001", "--reason", "appointment", check=False)

    assert result.returncode == 2
    assert "Type the person's name" in result.stderr


def test_the_whole_life_of_a_callback_is_in_its_log(fd):
    cid = add(
        fd,
        "--mobile",
        "9845012345",
        "--name",
        "Arjun Rao",
        "--reason",
        "billing_question",
        "--at",
        MORNING,
    )
    short = cid[:8]

    fd("callback", "assign", short, "--to", "admin", "--at", "2026-11-24T11:05")
    fd("callback", "start", short, "--at", "2026-11-24T11:10")
    fd(
        "callback",
        "no-answer",
        short,
        "--notes",
        "busy tone",
        "--at",
        "2026-11-24T11:11",
    )
    fd("callback", "reschedule", short, "--to", "2026-11-25T17:00", "--at", "2026-11-24T11:12")
    fd("callback", "assign", short, "--at", "2026-11-25T17:00")
    fd("callback", "start", short, "--at", "2026-11-25T17:01")
    done = json.loads(
        fd(
            "callback",
            "complete",
            short,
            "--outcome",
            "Refund explained",
            "--at",
            "2026-11-25T17:05",
            "--json",
        ).stdout
    )

    assert done["status"] == "completed" and done["outcome"] == "Refund explained"
    log = json.loads(fd("callback", "log", cid, "--json").stdout)
    assert [(a["activity"], a["user"], a["at"]) for a in log["activities"]] == [
        ("created", "Arun Kumar", "2026-11-24T05:30:00+00:00"),
        ("assigned", "Arun Kumar", "2026-11-24T05:35:00+00:00"),
        ("started", "Arun Kumar", "2026-11-24T05:40:00+00:00"),
        ("no_answer", "Arun Kumar", "2026-11-24T05:41:00+00:00"),
        ("rescheduled", "Arun Kumar", "2026-11-24T05:42:00+00:00"),
        ("assigned", "Arun Kumar", "2026-11-25T11:30:00+00:00"),
        ("started", "Arun Kumar", "2026-11-25T11:31:00+00:00"),
        ("completed", "Arun Kumar", "2026-11-25T11:35:00+00:00"),
    ]
    assert log["activities"][3]["text"].startswith("No answer (1/3), Arun Kumar; try again")
    text = fd("callback", "log", short).stdout
    assert "Completed by Arun Kumar: Refund explained" in text
    assert json.loads(fd("callback", "queue", "--json").stdout) == []


def test_front_desk_cannot_date_a_callback_and_an_admins_audit_keeps_the_real_time(fd, tmp_path):
    refused = fd(
        "callback", "add", "--mobile", "9845012345", "--name", "Arjun Rao",
        "--reason", "appointment", "--at", MORNING, user="priya", pin="1111", check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "Dating a record other than now (--at) needs an admin" in refused.stderr

    cid = add(fd, "--mobile", "9845012345", "--name", "Arjun Rao", "--reason", "appointment",
              "--at", MORNING)  # fmt: skip

    con = sqlite3.connect(tmp_path / "frontdesk.db")
    try:
        at, details = con.execute(
            "SELECT at, details FROM audit_log WHERE entity_id = ? ORDER BY seq", (cid,)
        ).fetchone()
    finally:
        con.close()
    assert not at.startswith("2026-11-24")  # written now, not at the typed time
    assert json.loads(details)["dated"] == "2026-11-24T11:00:00+05:30"


def test_a_refused_transition_exits_1_with_the_reason(fd):
    cid = add(fd, "--mobile", "9845012345", "--name", "Arjun Rao", "--reason", "appointment")

    result = fd("callback", "complete", cid, check=False)

    assert result.returncode == 1
    assert "start the call before recording how it went" in result.stderr


def test_cancel_needs_a_reason_and_closes_the_request(fd):
    cid = add(fd, "--mobile", "9845012345", "--name", "Arjun Rao", "--reason", "appointment")

    assert fd("callback", "cancel", cid, check=False).returncode == 2  # argparse: --reason
    shown = json.loads(fd("callback", "cancel", cid, "--reason", "Walked in", "--json").stdout)

    assert shown["status"] == "cancelled" and shown["outcome"] == "Walked in"


def test_an_unknown_id_is_explained(fd):
    result = fd("callback", "start", "zzzzzz", check=False)

    assert result.returncode == 1
    assert "is not a callback id" in result.stderr
