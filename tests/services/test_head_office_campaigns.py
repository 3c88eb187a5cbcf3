"""The head office's view of the branches' campaigns (issue #16), against a real
PostgreSQL: branches IND and KOR each run an SMS campaign (an A/B test with a hold-out),
send it through the preview channel, one recipient buys after the message, and both sync.
On the centre each branch's row is that branch's own campaign_results total, the whole
chain's figures are their sum, and a branch filter narrows it."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from domain.errors import BadInput
from domain.patients import NewPatient
from services import catalog, consent, invoicing, patients
from services import channel_settings as cs
from services.campaign_sender import send_due
from services.campaigns import campaigns, chain_results, templates
from services.invoicing import CartItem, CartRequest
from tests.cli.test_cli import run
from tests.services.conftest import NOW
from tests.services.test_campaigns import SMS
from tests.services.test_sync import SERUM
from tests.services.test_sync_pull import HO_PIN

pytestmark = pytest.mark.postgres

FIGURES = chain_results.COUNTS
# The test branches have no phone of their own: the SMS gives the number itself.
TEXT = SMS | {
    "body": "Dear {{ first_name }}, {{ clinic_name }} misses you. Book now: 080412 -GLOWCL"
}


def reachable(branch, folder, people: int) -> list:
    """`people` patients of the branch with SMS consent (its own patient first), and SMS
    through the preview channel into `folder`; their ids."""
    admin, db = branch.admin, branch.db
    ids = [branch.patient.id]
    for n in range(people - 1):
        added = patients.add_patient(
            db,
            admin,
            NewPatient(
                name=f"Guest {n} of {branch.code}", mobile=f"9{n:03d}{branch.id.int % 10**6:06d}"
            ),
            now=NOW,
            today=NOW.date(),
        )
        ids.append(added.id)
    for patient_id in ids:
        consent.record_consent(db, admin, patient_id, "sms", granted=True, now=NOW)
    cs.save_channel(db, admin, "preview", cs.PreviewSettings(str(folder)), now=NOW)
    cs.save_channel(db, admin, "sms", None, mode="preview", now=NOW)
    return ids


def run_a_campaign(
    branch, folder, *, people: int, buyers: int, cancelled: int = 0, read=None
) -> campaigns.Results:
    """`people` patients with SMS consent (the branch's own one among them) get branch's
    campaign through the preview channel; `buyers` of them buy an hour later; one more
    invoice, by a patient not messaged, does not count. With `cancelled`, after a sync and
    a reading at the centre (`read`), the last buyers' invoices are cancelled and the first
    buyer buys again 31 days on (outside the window), then the branch syncs again. The
    branch's own results."""
    admin, db = branch.admin, branch.db
    ids = reachable(branch, folder, people)
    a = templates.add_template(db, admin, templates.parse_spec(TEXT | {"name": "A"}), now=NOW)
    b = templates.add_template(db, admin, templates.parse_spec(TEXT | {"name": "B"}), now=NOW)
    spec = {
        "name": f"Win back at {branch.code}",
        "variants": {"A": {"template": str(a)}, "B": {"template": str(b)}},
        "holdout_percent": 20,
        "minimum_per_arm": 1,
        "audience": {"patients": [str(p) for p in ids]},
        "cost_per_message": "0.25",
    }
    campaign_id = campaigns.create_campaign(db, admin, campaigns.parse_spec(spec), now=NOW)
    campaigns.launch_campaign(db, admin, campaign_id, today=NOW.date(), now=NOW)
    assert send_due(db, admin, NOW).sent > 0
    entry = catalog.item_by_code(db, SERUM["code"])
    assert entry is not None
    later = NOW + timedelta(hours=1)
    messaged = [
        e.patient_id
        for e in campaigns_executions(db, campaign_id)
        if e.variant != "holdout" and e.status == "sent"
    ]
    bought = []
    for patient_id in messaged[:buyers]:
        request = CartRequest(patient_id=patient_id, items=(CartItem(entry.id),))
        bought.append(invoicing.save_invoice(db, admin, request, now=later))
    stranger = patients.add_patient(
        db, admin, NewPatient(name="Not messaged", mobile="9876500000"), now=NOW, today=NOW.date()
    )
    request = CartRequest(patient_id=stranger.id, items=(CartItem(entry.id),))
    invoicing.save_invoice(db, admin, request, now=later)
    branch.sync()
    if cancelled:
        read()  # the centre takes in the invoices before their cancellation arrives
        for invoice in bought[-cancelled:]:
            invoicing.cancel_invoice(
                db, admin, invoice.invoice_number, reason="Entered twice", now=later
            )
        request = CartRequest(patient_id=messaged[0], items=(CartItem(entry.id),))
        invoicing.save_invoice(db, admin, request, now=NOW + timedelta(days=31))
        branch.sync()
    return campaigns.campaign_results(db, admin, campaign_id)


def campaigns_executions(db, campaign_id):
    from sqlalchemy import select

    from db.models import CampaignExecution

    with db.session(write=False) as session:
        return list(
            session.scalars(
                select(CampaignExecution).where(CampaignExecution.campaign_id == campaign_id)
            )
        )


def figures(row) -> dict[str, int]:
    return {name: getattr(row, name) for name in FIGURES}


@pytest.fixture
def ran(two_branches, head_office, tmp_path):
    ind, kor = two_branches
    results = {
        "IND": run_a_campaign(
            ind,
            tmp_path / "ind",
            people=10,
            buyers=3,
            cancelled=1,
            read=lambda: chain_results.branch_campaigns(head_office.db, head_office.admin),
        ),
        "KOR": run_a_campaign(kor, tmp_path / "kor", people=6, buyers=1),
    }
    return SimpleNamespace(ind=ind, kor=kor, office=head_office, results=results)


def test_the_centre_counts_each_branchs_campaign_as_the_branch_does(ran):
    office = ran.office
    seen = chain_results.branch_campaigns(office.db, office.admin)
    assert seen.on_centre and set(seen.branch_codes) >= {"IND", "KOR"}
    by_code = {row.branch_code: row for row in seen.rows}
    assert set(by_code) == {"IND", "KOR"}
    for code, results in ran.results.items():
        row, own = by_code[code], results.total
        assert figures(row) == {name: getattr(own, name) for name in FIGURES}, code
        assert row.name == f"Win back at {code}" and row.status == results.status
        assert row.channels == ("sms",)
        assert row.roi == results.roi
    assert by_code["IND"].conversions == 2 and by_code["KOR"].conversions == 1
    assert by_code["IND"].revenue > 0 and by_code["IND"].cost == by_code["IND"].messages * 25
    whole = seen.total
    for name in FIGURES:
        assert getattr(whole, name) == sum(getattr(r.total, name) for r in ran.results.values())
    assert [b.branch_code for b in seen.by_branch()] == ["IND", "KOR"]

    # On a branch's own file the same service reads its own campaigns, with the same rows.
    own = chain_results.branch_campaigns(ran.kor.db, ran.kor.admin)
    assert not own.on_centre
    assert [figures(r) for r in own.rows] == [figures(by_code["KOR"])]


def test_a_branch_filter_narrows_the_chain_and_an_unknown_code_is_refused(ran):
    office = ran.office
    only = chain_results.branch_campaigns(office.db, office.admin, branches=["kor"])
    assert [r.branch_code for r in only.rows] == ["KOR"]
    assert figures(only.total) == figures(ran.results["KOR"].total)
    with pytest.raises(BadInput, match="No branch XYZ on the centre"):
        chain_results.branch_campaigns(office.db, office.admin, branches=["XYZ"])
    with pytest.raises(BadInput, match="head office"):
        chain_results.branch_campaigns(ran.ind.db, ran.ind.admin, branches=["IND"])


def test_report_campaign_results_on_the_centre(ran, centre, tmp_path):
    url = centre.render_as_string(hide_password=False)

    def report(*args: str, check: bool = True):
        return run(
            "--central",
            url,
            "--user",
            "ho",
            "report",
            "campaign-results",
            *args,
            pin=HO_PIN,
            tmp_path=tmp_path,
            check=check,
        )

    data = json.loads(report("--json").stdout)
    rows = {row["branch"]: row for row in data["campaigns"]}
    ind = ran.results["IND"].total
    assert rows["IND"]["recipients"] == ind.recipients
    assert rows["IND"]["conversions"] == 2
    assert rows["IND"]["cost"] == f"{ind.cost / 100:.2f}"
    assert data["total"]["messages"] == sum(r.total.messages for r in ran.results.values())
    narrowed = json.loads(report("--branch", "KOR", "--json").stdout)
    assert [row["branch"] for row in narrowed["campaigns"]] == ["KOR"]
    text = report().stdout
    assert "Win back at IND" in text and "Win back at KOR" in text and "All" in text
    refused = report("--branch", "XYZ", check=False)
    assert refused.returncode == 2 and "No branch XYZ" in refused.stderr
