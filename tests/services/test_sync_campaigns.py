"""The head office's messaging campaigns pulled by every branch (issue #15: "... and later
campaigns, templates, sponsors"; services.campaigns.campaigns, rule 8), against a real
PostgreSQL: a campaign made on the centre, with its template and trigger, is in each
branch's list after its next round, read-only there; each branch launches it for its own
patients within its own budget; both runs reach the centre as documents of their own (none
refused) and the head office's view shows one row per branch with that branch's messages;
a trigger the head office adds later arrives without stopping the branch's run."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from db.models import CampaignExecution, CampaignTrigger
from domain.errors import Refused
from services import consent
from services.campaign_sender import send_due
from services.campaigns import campaigns, chain_results, templates, triggers
from tests.cli.test_cli import run
from tests.services.conftest import NOW
from tests.services.test_head_office_campaigns import TEXT, reachable

pytestmark = pytest.mark.postgres

NAME = "Winter win-back"


def head_office_campaign(ho) -> object:
    """The head office's SMS campaign: one template, Rs.1 budget at Rs.0.25 a message (four
    messages at each branch), a birthday trigger."""
    template = templates.add_template(
        ho.db, ho.admin, templates.parse_spec(TEXT | {"name": "Winter SMS"}), now=NOW
    )
    spec = {
        "name": NAME,
        "variants": {"A": {"template": str(template)}},
        "minimum_per_arm": 1,
        "budget": "1",
        "cost_per_message": "0.25",
    }
    campaign_id = campaigns.create_campaign(ho.db, ho.admin, campaigns.parse_spec(spec), now=NOW)
    birthday = triggers.TriggerSpec("birthday", "send_template", template=str(template))
    triggers.add_trigger(ho.db, ho.admin, campaign_id, birthday, now=NOW)
    return campaign_id


def listed(branch) -> dict[str, campaigns.CampaignRow]:
    return {row.name: row for row in campaigns.list_campaigns(branch.db, branch.admin)}


def sync_until(branch, wanted) -> None:
    """Sync until `wanted(campaigns)` holds (a pull waits for the shared server's oldest
    open transaction: a row comes at a later round, never skipped)."""
    for _ in range(100):
        branch.sync()
        if wanted(listed(branch)):
            return
        time.sleep(0.1)
    pytest.fail(f"{branch.code} never received the head office's campaign")


def trigger_count(branch, campaign_id) -> int:
    with branch.db.session(write=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(CampaignTrigger)
            .where(CampaignTrigger.campaign_id == campaign_id)
        )


def executions(branch, campaign_id) -> list[CampaignExecution]:
    with branch.db.session(write=False) as session:
        return list(
            session.scalars(
                select(CampaignExecution).where(CampaignExecution.campaign_id == campaign_id)
            )
        )


def test_each_branch_runs_the_head_offices_campaign_for_its_own_patients(
    head_office, two_branches, tmp_path
):
    ho = head_office
    ind, kor = two_branches
    campaign_id = head_office_campaign(ho)
    assert not listed(ho)[NAME].head_office  # its own, on the centre
    for branch in two_branches:
        sync_until(branch, lambda rows: NAME in rows)
        row = listed(branch)[NAME]
        assert row.id == campaign_id and row.head_office and row.status == "draft"
        assert trigger_count(branch, campaign_id) == 1
        # Read-only here: its triggers are the head office's.
        with pytest.raises(campaigns.HeadOfficeCampaign, match="Head office manages the campaign"):
            triggers.add_trigger(
                branch.db,
                branch.admin,
                campaign_id,
                triggers.TriggerSpec("invoice_saved", "create_callback"),
                now=NOW,
            )
        assert trigger_count(branch, campaign_id) == 1
    # The command line marks it too.
    cli = ("--db", str(ind.db.path), "--user", "admin")
    listing = run(*cli, "campaign", "list", "--json", pin="432109", tmp_path=tmp_path)
    assert [(c["name"], c["head_office"]) for c in json.loads(listing.stdout)] == [(NAME, True)]
    library = run(*cli, "template", "list", "--json", pin="432109", tmp_path=tmp_path)
    assert [(t["name"], t["head_office"]) for t in json.loads(library.stdout)] == [
        ("Winter SMS", True)
    ]

    # IND launches it for its 3 patients: its messages, its branch, within Rs.1.
    reachable(ind, tmp_path / "ind", 3)
    launched = campaigns.launch_campaign(ind.db, ind.admin, campaign_id, today=NOW.date(), now=NOW)
    assert launched.queued == 3
    assert {e.branch_id for e in executions(ind, campaign_id)} == {ind.id}
    assert send_due(ind.db, ind.admin, NOW).sent == 3
    # KOR's 5 patients cost Rs.1.25: its own budget of Rs.1 (IND's spend is IND's) pays for 4.
    reachable(kor, tmp_path / "kor", 5)
    with pytest.raises(Refused, match="it pays for 4"):
        campaigns.launch_campaign(kor.db, kor.admin, campaign_id, today=NOW.date(), now=NOW)
    assert executions(kor, campaign_id) == []
    # One patient withdraws their consent: four to send to.
    consent.record_consent(kor.db, kor.admin, kor.patient.id, "sms", granted=False, now=NOW)
    assert (
        campaigns.launch_campaign(kor.db, kor.admin, campaign_id, today=NOW.date(), now=NOW).queued
        == 4
    )
    assert send_due(kor.db, kor.admin, NOW).sent == 4
    for branch in two_branches:
        result = branch.sync()
        assert result.rejected == [] and result.pending == 0
        assert listed(branch)[NAME].status == "running"

    # The head office sees each branch's run of its campaign, with that branch's messages.
    chain = chain_results.branch_campaigns(ho.db, ho.admin)
    runs = {row.branch_code: row for row in chain.rows if row.campaign_id == campaign_id}
    assert {code: row.messages for code, row in runs.items()} == {"IND": 3, "KOR": 4}
    assert {row.name for row in runs.values()} == {NAME}
    assert runs["KOR"].cost == 100 and runs["IND"].cost == 75

    # A trigger the head office adds reaches the branches; their runs go on.
    callback = triggers.TriggerSpec("invoice_saved", "create_callback", delay_minutes=60)
    triggers.add_trigger(ho.db, ho.admin, campaign_id, callback, now=NOW)
    for branch in two_branches:
        for _ in range(100):
            branch.sync()
            if trigger_count(branch, campaign_id) == 2:
                break
            time.sleep(0.1)
        assert trigger_count(branch, campaign_id) == 2
        row = listed(branch)[NAME]
        assert row.status == "running" and row.sent == {"IND": 3, "KOR": 4}[branch.code]


def test_a_branch_role_reads_the_head_offices_campaigns_only(head_office, two_branches):
    ind, kor = two_branches
    head_office_campaign(head_office)
    own = templates.add_template(
        ind.db, ind.admin, templates.parse_spec(TEXT | {"name": "IND's own"}), now=NOW
    )
    spec = {"name": "IND's own campaign", "variants": {"A": {"template": str(own)}}}
    campaigns.create_campaign(ind.db, ind.admin, campaigns.parse_spec(spec), now=NOW)
    assert ind.sync().pending == 0
    engine = create_engine(kor.url)
    try:
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM campaigns")).scalars().all()
            kinds = connection.execute(text("SELECT kind FROM campaign_triggers")).scalars().all()
            with pytest.raises(Exception, match="permission denied"):
                connection.execute(text("UPDATE campaigns SET budget_paise = 0"))
    finally:
        engine.dispose()
    assert names == [NAME] and kinds == ["birthday"]
