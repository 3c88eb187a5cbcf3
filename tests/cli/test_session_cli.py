"""The counter session and the takings from the command line, as a person types them."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import run

KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def clinic(tmp_path):
    path = tmp_path / "clinic.db"
    run("--db", str(path), "init", "--demo", tmp_path=tmp_path)
    return path


def as_(path, user, pin, *args, tmp_path, check=True):
    return run("--db", str(path), "--user", user, *args, pin=pin, tmp_path=tmp_path, check=check)


def test_a_day_at_the_desk_from_open_to_the_z_report(clinic, tmp_path):
    desk = lambda *a, **k: as_(clinic, "priya", "1111", *a, tmp_path=tmp_path, **k)  # noqa: E731
    opened = json.loads(desk("session", "open", "--float", "2000", "--json").stdout)
    assert opened["float"] == "2000.00" and opened["status"] == "open"
    again = desk("session", "open", "--float", "0", check=False)
    assert again.returncode == 1 and "already has a session open" in again.stderr
    desk("session", "cash", "in", "500.50", "--reason", "change from the bank")
    out = desk("session", "cash", "out", "100", "--reason", "courier", "--json").stdout
    assert json.loads(out)["expected_cash"] == "2400.50"
    x = json.loads(desk("session", "x", "--json").stdout)
    assert x["report"] == "X" and x["expected"] == {"cash": "2400.50"}

    unexplained = desk("session", "close", "--count", "2000=1,200=2", check=False)
    assert unexplained.returncode == 2 and "reason" in unexplained.stderr
    bad = desk("session", "close", "--count", "2000=1,5=2", check=False)
    assert bad.returncode == 2 and "not a denomination" in bad.stderr
    pdf = tmp_path / "z.pdf"
    closed = desk(
        "session", "close", "--count", "2000=1,200=2,coins=0.50", "--pdf", str(pdf)
    ).stdout
    assert "Z report" in closed and "Rs.2,400.50" in closed and f"Wrote {pdf}" in closed
    assert "Backed up to " in closed and "-close.db." in closed
    assert "₹2,400.50" in PdfReader(pdf).pages[0].extract_text()
    twice = desk("session", "close", "--count", "2000=1", "--id", opened["id"], check=False)
    assert twice.returncode == 1 and "already closed" in twice.stderr
    listed = json.loads(desk("session", "list", "--json").stdout)
    assert [(s["status"], s["counted"], s["difference"]) for s in listed] == [
        ("closed", "2400.50", "0.00")
    ]


def test_takings_from_the_command_line_are_for_the_manager(clinic, tmp_path):
    refused = as_(clinic, "priya", "1111", "report", "takings", tmp_path=tmp_path, check=False)
    assert refused.returncode == 1 and "needs a manager" in refused.stderr
    one_day = as_(
        clinic,
        "meera",
        "2222",
        "report",
        "takings",
        "--date",
        "2026-11-24",
        "--json",
        tmp_path=tmp_path,
    ).stdout
    figures = json.loads(one_day)
    assert figures["from"] == figures["to"] == "2026-11-24"
    assert set(figures) >= {"sales", "refunds", "payments", "dues_raised", "dues_settled"}
    ranged = as_(
        clinic,
        "meera",
        "2222",
        "report",
        "takings",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        tmp_path=tmp_path,
    ).stdout
    assert ranged.startswith("Takings 01 Nov 2026 to 30 Nov 2026")
    both = as_(
        clinic,
        "meera",
        "2222",
        "report",
        "takings",
        "--date",
        "2026-11-24",
        "--from",
        "2026-11-01",
        tmp_path=tmp_path,
        check=False,
    )
    assert both.returncode == 2


def test_a_session_dated_otherwise_is_an_admins_and_its_audit_keeps_the_real_time(clinic, tmp_path):
    typed = (datetime.now(UTC) - timedelta(hours=1)).astimezone(KOLKATA)
    at = typed.strftime("%Y-%m-%dT%H:%M")
    refused = as_(
        clinic, "priya", "1111", "session", "open", "--float", "0", "--at", at,
        tmp_path=tmp_path, check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and "needs an admin" in refused.stderr

    opened = json.loads(
        as_(clinic, "admin", "9999", "session", "open", "--float", "0", "--at", at, "--json",
            tmp_path=tmp_path).stdout
    )  # fmt: skip

    assert opened["opened_at"] == typed.replace(second=0, microsecond=0).isoformat(
        timespec="minutes"
    )
    con = sqlite3.connect(clinic)
    try:
        recorded, details = con.execute(
            "SELECT at, details FROM audit_log WHERE entity_id = ?", (opened["id"],)
        ).fetchone()
    finally:
        con.close()
    assert datetime.fromisoformat(recorded).replace(tzinfo=UTC) > typed + timedelta(minutes=50)
    assert json.loads(details)["dated"].startswith(at)
