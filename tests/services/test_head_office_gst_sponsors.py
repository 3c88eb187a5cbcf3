"""The head office's GST summary includes the sponsor tax invoices and credit notes (issue
#17), against a real PostgreSQL: each branch's, pushed as documents, are on the centre as in
the branch's own summary, and the chain's adds the head office's own, issued on the centre.
Never skips."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services import gst_report, promotions, sponsors
from tests.cli.test_cli import run
from tests.services.sponsor_helpers import LOCAL_GSTIN, OTHER_STATE_GSTIN, a_sponsor
from tests.services.test_sponsor_chain_billing import (
    NOW,
    PERIOD,
    centre_campaign,
    shown,
    spec,
)
from tests.services.test_sync_pull import HO_PIN, INJECT10

pytestmark = pytest.mark.postgres

MONTH = "2026-11"


def own_campaign(branch, sponsor: str, gstin: str) -> str:
    """A campaign of the branch's own (its sponsor, its promotion: the head office's
    campaign and sponsor, pulled, are the centre's to bill), with a Rs.100 deposit."""
    promotions.save_promotion(
        branch.db, branch.admin, {**INJECT10, "campaign_code": f"{branch.code}10"}, now=NOW
    )
    a_sponsor(branch.db, branch.admin, NOW, gstin=gstin, name=sponsor)
    code = f"{branch.code}-SPONSOR"
    own = spec(campaign_code=code, sponsor=sponsor, promotions=[f"{branch.code}10"])
    sponsors.add_sponsored_campaign(branch.db, branch.admin, own, now=NOW)
    return code


@pytest.fixture
def chain(head_office, two_branches):
    """The head office's campaign with a Rs.100 deposit (its own tax invoice, on the
    centre); IND's own with a deposit for a Karnataka sponsor, settled with a refund (a
    credit note) after 3 impressions; KOR's own with a deposit for a Maharashtra sponsor
    (IGST). The branches sync."""
    centre_campaign(head_office, two_branches)
    ind, kor = two_branches
    code = own_campaign(ind, "Kaveri Aesthetics Pvt Ltd", LOCAL_GSTIN)
    assert shown(ind, 3, NOW.replace(day=20), promotion_code="IND10") == [True] * 3
    settled = sponsors.bill_sponsor_period(ind.db, ind.admin, code, PERIOD, final=True, now=NOW)
    assert settled.invoice_number is not None
    own_campaign(kor, "Dermaline Labs Ltd", OTHER_STATE_GSTIN)
    for branch in two_branches:
        result = branch.sync()
        assert result.pending == 0 and not result.rejected, result.sentence()
    return head_office, ind, kor


def as_json(db, actor, **filters) -> dict:
    data = gst_report.summary_json(gst_report.gst_summary(db, actor, MONTH, **filters))
    data["doc_issue"].pop("branches", None)
    return data


def test_a_branchs_sponsor_documents_are_on_the_centre_as_in_its_own_summary(chain):
    head_office, ind, kor = chain
    for branch in (ind, kor):
        own = as_json(branch.db, branch.admin)
        assert as_json(head_office.db, head_office.admin, branches=[branch.code]) == own
    ind_own = as_json(ind.db, ind.admin)
    # IND: the deposit (CGST + SGST) in b2b, the settlement's refund in cdnr against it.
    [deposit] = ind_own["b2b"]
    assert (deposit["ctin"], deposit["pos"], deposit["val"]) == (LOCAL_GSTIN, "29", "118.00")
    [note] = ind_own["cdnr"]
    assert note["ctin"] == LOCAL_GSTIN and note["inum"] == deposit["inum"]
    assert ind_own["doc_issue"]["sponsor_invoices"]["total"] == 1
    assert ind_own["doc_issue"]["sponsor_credit_notes"]["total"] == 1
    # KOR: a Maharashtra sponsor, IGST.
    [kor_deposit] = as_json(kor.db, kor.admin)["b2b"]
    assert (kor_deposit["ctin"], kor_deposit["pos"]) == (OTHER_STATE_GSTIN, "27")
    assert kor_deposit["itms"][0]["iamt"] == "18.00"


def test_the_chains_summary_adds_the_head_offices_own_sponsor_invoices(chain):
    head_office, ind, kor = chain
    own = [as_json(b.db, b.admin) for b in (ind, kor)]
    summary = gst_report.gst_summary(head_office.db, head_office.admin, MONTH)
    whole = gst_report.summary_json(summary)
    [office_deposit] = whole["b2b"][2:]
    assert whole["b2b"][:2] == own[0]["b2b"] + own[1]["b2b"]
    assert office_deposit["inum"].startswith("HOS/") and office_deposit["ctin"] == LOCAL_GSTIN
    assert whole["cdnr"] == own[0]["cdnr"]
    docs = whole["doc_issue"]
    assert [d["branch"] for d in docs["branches"]] == ["IND", "KOR", "HO"]
    assert (docs["sponsor_invoices"]["total"], docs["sponsor_credit_notes"]["total"]) == (3, 1)
    [sac] = [row for row in whole["hsn"] if row["hsn_sc"] == "998366"]
    # 3 deposits of Rs.100 less IND's credit of Rs.40 (Rs.60 supplied against its deposit).
    assert sac["txval"] == "260.00"


def test_a_sponsor_invoice_pushed_before_it_carried_its_gstin_takes_its_sponsors(chain):
    head_office, ind, _kor = chain
    with head_office.db.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE central_documents SET payload = payload - 'sponsor_gstin' "
                "WHERE doc_type = 'sponsor_invoice'"
            )
        )
    at_centre = as_json(head_office.db, head_office.admin, branches=["IND"])
    assert at_centre == as_json(ind.db, ind.admin)


def test_report_gst_on_the_centre_names_each_branchs_sponsor_series(chain, centre, tmp_path):
    url = centre.render_as_string(hide_password=False)
    said = run(
        "--central",
        url,
        "--user",
        "ho",
        "report",
        "gst",
        "--month",
        MONTH,
        pin=HO_PIN,
        tmp_path=tmp_path,
    ).stdout
    assert "Branch IND: sponsor invoices INDS/26-27/00001 to INDS/26-27/00001: 1" in said
    assert "Branch IND: sponsor credit notes INDSC26-27/00001 to INDSC26-27/00001: 1" in said
    assert "Branch HO: sponsor invoices HOS/26-27/00001 to HOS/26-27/00001: 1" in said
    assert "Branch HO: invoices" not in said
