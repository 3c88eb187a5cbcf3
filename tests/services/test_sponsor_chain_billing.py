"""Sponsored impressions from two branches billed once, at the centre (issue #17, rule 11),
against a real PostgreSQL: the head office sponsors a promotion it publishes, each branch
charges the badge's impressions offline within its quota and pushes them; the centre bills
the first `limit` charged in the chain and reports the rest as each branch's overrun. Never
skips."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from db.central_sponsors import central_sponsor_billed
from db.models import PromotionCampaign
from domain.sponsor_billing import Period
from services import catalog, promotions, sponsors
from services.sponsor_invoice_pdf import render_sponsor_invoice_pdf
from tests.cli.test_cli import run
from tests.services.invoice_helpers import promotion
from tests.services.sponsor_helpers import a_sponsor, campaign_spec
from tests.services.test_sync_pull import BOTOX, HO_PIN, INJECT10

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
CODE = "GLOWCO-INJ"
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 24))


def spec(**changes):
    """Rs.20 an impression, 5 booked (of the 10 Rs.200 buys), Rs.100 deposit, on the
    centre's INJECT10."""
    return campaign_spec(
        **{
            "campaign_code": CODE,
            "promotions": ["INJECT10"],
            "campaign_budget": "200",
            "booked_impressions": 5,
            "deposit_amount": "100",
            **changes,
        }
    )


def shown(branch, count, first: datetime, *, promotion_code: str = "INJECT10") -> list[bool]:
    """The INJECT10 badge (or another promotion's) seen for 2 s by `count` patients of the
    branch, a minute apart; whether each was charged."""
    injectables = promotion(branch.db, promotion_code).id
    return [
        sponsors.record_impression(
            branch.db,
            branch.admin,
            injectables,
            f"{branch.code}-patient-{n}",
            shown_ms=2000,
            now=first + timedelta(minutes=n),
        ).charged
        for n in range(count)
    ]


def pull_the_promotion(branch) -> None:
    """Sync until INJECT10 has arrived, with the centre's id. A pull stops below the
    oldest transaction still open on the server (db.central.pull_rows), and the server is
    shared with whatever else runs: the row comes at a later round, never skipped."""
    for _ in range(100):
        branch.sync()
        with branch.db.session(write=False) as session:
            if session.scalar(
                select(PromotionCampaign.id).where(PromotionCampaign.campaign_code == "INJECT10")
            ):
                return
        time.sleep(0.1)
    pytest.fail(f"{branch.code} never pulled INJECT10")


def centre_campaign(head_office, branches) -> None:
    """The head office's campaign (Rs.100 deposit; 4 impressions a branch may charge
    unacknowledged) on the INJECT10 it publishes, which every branch has pulled with the
    campaign (services.sync_pull: no copy added by hand)."""
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, INJECT10, now=NOW)
    a_sponsor(head_office.db, head_office.admin, NOW)
    sponsors.add_sponsored_campaign(
        head_office.db, head_office.admin, spec(branch_offline_quota=4), now=NOW
    )
    for branch in branches:
        pull_the_promotion(branch)
        for _ in range(100):
            if sponsors.sponsored_badges(branch.db, now=NOW):
                break
            branch.sync()
            time.sleep(0.1)


@pytest.fixture
def chain(head_office, two_branches):
    """The centre's campaign (Rs.100 deposit) on its INJECT10, received by every branch
    (no deposit there: the centre bills), and the branches offline: IND shows the badge 5
    times on 20 Nov (its quota stops the fifth), KOR 3 times on 21 Nov. 7 charged in the
    chain, 5 booked."""
    centre_campaign(head_office, two_branches)
    ind, kor = two_branches
    assert shown(ind, 5, datetime(2026, 11, 20, 5, 0, tzinfo=UTC)) == [True] * 4 + [False]
    assert shown(kor, 3, datetime(2026, 11, 21, 5, 0, tzinfo=UTC)) == [True] * 3
    for branch in two_branches:
        result = branch.sync()
        assert not result.rejected and result.pending == 0, result.sentence()
    return head_office, ind, kor


def billed_rows(head_office) -> int:
    with head_office.db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(central_sponsor_billed))


def test_two_branches_are_billed_once_at_the_centre_and_the_overrun_reported(chain, tmp_path):
    head_office, ind, kor = chain
    done = sponsors.bill_sponsor_period(head_office.db, head_office.admin, CODE, PERIOD, now=NOW)
    # IND's four came first; KOR's first fills the 5 booked, its other two are overrun.
    assert done.charged_in_chain == 7
    assert done.impressions_billed == 5 and not done.already_billed
    assert done.overrun_by_branch == {"KOR": 2}
    status = sponsors.campaign_status(head_office.db, head_office.admin, CODE, now=NOW)
    deposit, cycle = status.invoices
    # 5 x Rs.20 = 100, CGST + SGST 9% each (Karnataka sponsor, Karnataka head office).
    assert (cycle.impressions, cycle.amount, cycle.cgst, cycle.sgst, cycle.total) == (
        5,
        100_00,
        9_00,
        9_00,
        118_00,
    )
    assert cycle.invoice_number == done.invoice_number == "HOS/26-27/00002"
    assert billed_rows(head_office) == 5

    # The branches push again (a click at IND changes a document): nothing is billed twice,
    # by a second cycle of the same period or by one of every campaign.
    injectables = promotion(ind.db, "INJECT10").id
    sponsors.record_sponsor_click(
        ind.db, ind.admin, injectables, "IND-patient-0", now=datetime(2026, 11, 20, 6, tzinfo=UTC)
    )
    for branch in (ind, kor):
        branch.sync()
    again = sponsors.bill_every_campaign(head_office.db, head_office.admin, PERIOD, now=NOW)
    assert again[CODE].already_billed and again[CODE].invoice_number == done.invoice_number
    assert billed_rows(head_office) == 5
    status = sponsors.campaign_status(head_office.db, head_office.admin, CODE, now=NOW)
    assert len(status.invoices) == 2

    # The head office reads the chain's delivery, and the statement counts the click IND
    # pushed, from the impressions (seed 002), in the PDF too.
    assert (status.charged, status.clicks, status.impressions_billed) == (7, 1, 5)
    pdf = tmp_path / "statement.pdf"
    render_sponsor_invoice_pdf(
        sponsors.sponsor_invoice_document(head_office.db, head_office.admin, done.invoice_number),
        pdf,
    )
    text = PdfReader(pdf).pages[0].extract_text(extraction_mode="layout")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Impressions billed 5" in lines and "Clicks in the period 1" in lines, lines


def test_a_later_week_bills_only_what_is_left_of_the_limit(chain):
    head_office, _ind, _kor = chain
    first = sponsors.bill_sponsor_period(
        head_office.db,
        head_office.admin,
        CODE,
        Period(date(2026, 11, 1), date(2026, 11, 20)),
        now=NOW,
    )
    assert (first.impressions_billed, first.overrun_by_branch) == (4, {"KOR": 2})
    rest = sponsors.bill_sponsor_period(
        head_office.db,
        head_office.admin,
        CODE,
        Period(date(2026, 11, 21), date(2026, 11, 24)),
        now=NOW,
    )
    assert rest.impressions_billed == 1 and billed_rows(head_office) == 5


def test_the_head_office_bills_the_chain_from_the_command_line(chain, centre, tmp_path):
    head_office, _ind, _kor = chain
    url = centre.render_as_string(hide_password=False)
    base = [
        "--central",
        url,
        "--user",
        "ho",
        "sponsor",
        "bill",
        "--period",
        "2026-11-01:2026-11-24",
    ]
    billed = json.loads(
        run(*base, "--campaign", CODE, "--json", pin=HO_PIN, tmp_path=tmp_path).stdout
    )
    assert [
        (b["campaign_code"], b["impressions_billed"], b["charged_in_chain"], b["overrun_by_branch"])
        for b in billed
    ] == [(CODE, 5, 7, {"KOR": 2})]
    text = run(*base, pin=HO_PIN, tmp_path=tmp_path).stdout
    assert "KOR 2" in text and billed[0]["invoice_number"] in text
    assert billed_rows(head_office) == 5


def test_a_branch_does_not_bill_the_head_offices_campaign(chain):
    """The centre bills it; a branch's own cycle is refused with the reason."""
    _head_office, ind, _kor = chain
    with pytest.raises(sponsors.SponsorError, match=f"Head office runs campaign {CODE}"):
        sponsors.bill_sponsor_period(ind.db, ind.admin, CODE, PERIOD, now=NOW)
