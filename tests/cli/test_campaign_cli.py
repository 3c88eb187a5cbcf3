"""A campaign built, launched, sent and measured from the command line (issue #16): the
e-mails land on a real SMTP server (aiosmtpd) with each patient's own first name."""

import json
import shutil
import sqlite3
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.cli.test_cli import demo_file, run
from tests.services.messaging import SmtpServer

__all__ = ["demo_file"]
KOLKATA = ZoneInfo("Asia/Kolkata")

TEMPLATE = {
    "name": "We miss you (e-mail)",
    "category": "win-back",
    "channel": "email",
    "subject": "{{ first_name }}, we miss you",
    "body": "Dear {{ first_name }}, {{ clinic_name }} has a treat for you. Code {{ promo_code }}.",
}


@pytest.fixture
def clinic(demo_file, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    path = tmp_path / "clinic.db"
    shutil.copyfile(demo_file, path)
    return path


def manager(path, *args, tmp_path, check=True):
    return run(
        "--db", str(path), "--user", "meera", *args, pin="2222", tmp_path=tmp_path, check=check
    )


def three_with_email(path):
    con = sqlite3.connect(path)
    try:
        rows = con.execute(
            "SELECT id, name, mobile FROM patients WHERE email IS NOT NULL AND email != '' "
            "AND NOT is_walk_in ORDER BY name LIMIT 3"
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 3
    return rows


def test_a_campaign_from_the_command_line_reaches_a_real_smtp_server(clinic, tmp_path):
    spec = tmp_path / "template.json"
    spec.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    template_id = manager(
        clinic, "template", "add", "--json-file", str(spec), tmp_path=tmp_path
    ).stdout.strip()
    shown = json.loads(
        manager(clinic, "template", "preview", template_id, "--json", tmp_path=tmp_path).stdout
    )
    assert shown["subject"] == "Asha, we miss you"

    people = three_with_email(clinic)
    for _id, _name, mobile in people:
        manager(
            clinic, "consent", "grant", "--patient", mobile, "--channel", "email", tmp_path=tmp_path
        )
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps(
            {
                "name": "Win back by e-mail",
                "variants": {"A": {"template": template_id}},
                "audience": {"patients": [str(uuid.UUID(hex=i)) for i, _n, _m in people]},
                "promotion_code": "GLOW20",
                "cost_per_message": "0.10",
            }
        ),
        encoding="utf-8",
    )
    campaign_id = manager(
        clinic, "campaign", "create", "--json-file", str(campaign), tmp_path=tmp_path
    ).stdout.strip()
    counted = json.loads(
        manager(clinic, "campaign", "audience", campaign_id, "--json", tmp_path=tmp_path).stdout
    )
    assert (counted["matching"], counted["reachable"]) == (3, 3)
    launched = json.loads(
        manager(clinic, "campaign", "launch", campaign_id, "--json", tmp_path=tmp_path).stdout
    )
    assert launched["queued"] == 3

    with SmtpServer(tmp_path) as server:
        relay = ("--host", "127.0.0.1", "--port", str(server.port), "--security", "plain")
        manager(clinic, "channel", "set", "email", *relay, "--sender", "hello@glowclinic.in",
                "--mode", "live", tmp_path=tmp_path)  # fmt: skip
        # Tomorrow at 11:00 in Bengaluru: inside the promotional window whenever this runs.
        at = (datetime.now(KOLKATA) + timedelta(days=1)).replace(hour=11, minute=0)
        sent = manager(clinic, "campaign", "send-due", "--at", at.isoformat(), "--json",
                       tmp_path=tmp_path)  # fmt: skip
        received = list(server.inbox.messages)

    assert json.loads(sent.stdout)["sent"] == 3, sent.stdout
    firsts = sorted(name.split()[0] for _i, name, _m in people)
    assert sorted(m["Subject"].split(",")[0] for m in received) == firsts
    assert all("GLOW20" in m.get_content() for m in received)
    results = json.loads(
        manager(clinic, "campaign", "results", campaign_id, "--json", tmp_path=tmp_path).stdout
    )
    assert results["total"]["sent"] == 3 and results["total"]["cost"] == "0.30"
    listed = json.loads(manager(clinic, "campaign", "list", "--json", tmp_path=tmp_path).stdout)
    assert [c["name"] for c in listed][0] == "Win back by e-mail"


def test_a_bad_spec_and_the_front_desk_are_refused_in_words(clinic, tmp_path):
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"name": "x", "variants": {"A": {"template": "t"}}, "budgt": "1"}))
    bad = manager(
        clinic, "campaign", "create", "--json-file", str(spec), tmp_path=tmp_path, check=False
    )
    assert bad.returncode == 2 and "budgt" in bad.stderr and "Traceback" not in bad.stderr
    desk = run("--db", str(clinic), "--user", "priya", "campaign", "list", pin="1111",
               tmp_path=tmp_path, check=False)  # fmt: skip
    assert desk.returncode == 1 and "needs a manager" in desk.stderr


def test_a_trigger_is_added_from_the_command_line_and_refused_in_words(clinic, tmp_path):
    spec = tmp_path / "template.json"
    spec.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    template_id = manager(
        clinic, "template", "add", "--json-file", str(spec), tmp_path=tmp_path
    ).stdout.strip()
    campaign = tmp_path / "campaign.json"
    campaign.write_text(
        json.dumps({"name": "Birthdays", "variants": {"A": {"template": template_id}}})
    )
    campaign_id = manager(
        clinic, "campaign", "create", "--json-file", str(campaign), tmp_path=tmp_path
    ).stdout.strip()

    added = manager(clinic, "campaign", "trigger", campaign_id, "--kind", "birthday", "--action",
                    "send_template", "--template", template_id, tmp_path=tmp_path)  # fmt: skip
    refused = manager(clinic, "campaign", "trigger", campaign_id, "--kind", "no_visit_days",
                      "--action", "create_callback", tmp_path=tmp_path, check=False)  # fmt: skip

    assert uuid.UUID(added.stdout.strip())
    assert refused.returncode == 2 and "conditions.days" in refused.stderr


def test_the_demo_campaigns_results_give_the_attributed_and_the_incremental_roi(clinic, tmp_path):
    shown = manager(clinic, "campaign", "results", "Autumn win-back (demo)", "--json",
                    tmp_path=tmp_path)  # fmt: skip
    text = manager(clinic, "campaign", "results", "Autumn win-back (demo)", tmp_path=tmp_path)

    results = json.loads(shown.stdout)
    attributed, incremental = results["attributed"], results["incremental"]
    assert attributed["roi"] == results["roi"] > 100  # every invoice counted as the campaign's
    holdout = next(v for v in results["variants"] if v["variant"] == "holdout")
    assert incremental["holdout"] == holdout["recipients"]
    assert incremental["messaged"] == results["total"]["recipients"]
    # The hold-out converts at least as well: nothing measurable, and fewer than expected.
    assert incremental["holdout_conversion_rate"] >= incremental["messaged_conversion_rate"]
    assert incremental["measurable"] is False and incremental["conversions"] < 0
    assert incremental["conversions"] == pytest.approx(
        incremental["messaged_conversions"] - incremental["expected_conversions"], abs=0.01
    )
    assert results["lift"].startswith("No measurable lift")
    assert "No measurable lift" in text.stdout and "ROI attributed" in text.stdout
    days = results["by_day"]
    for key in ("sent", "delivered", "failed", "conversions"):
        assert sum(day[key] for day in days) == results["total"][key], key
    assert [day["day"] for day in days] == sorted(day["day"] for day in days)
    assert days[0]["sent"] == results["total"]["sent"]  # the demo sent all on one day
