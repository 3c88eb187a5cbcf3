"""The sponsored badge's hard stop across the chain within one sync round (issue #17, rule
11), against a real PostgreSQL: a branch stops the badge at the centre's count of every
branch's charged impressions at its last pull plus its own since, not at its own alone.
Never skips."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from cli.sponsor import status_json
from desktop.models.sponsor_models import chain_text
from services import catalog, promotions, sponsors
from tests.services.sponsor_helpers import a_sponsor
from tests.services.test_sponsor_chain_billing import CODE, NOW, pull_the_promotion, shown, spec
from tests.services.test_sync_pull import BOTOX, INJECT10

pytestmark = pytest.mark.postgres

DAY_1 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)


@pytest.fixture
def branches(head_office, two_branches):
    """IND and KOR each sponsor the centre's INJECT10: 5 booked, 4 a branch may charge
    that the centre has not acknowledged."""
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, INJECT10, now=NOW)
    for branch in two_branches:
        pull_the_promotion(branch)
        a_sponsor(branch.db, branch.admin, NOW)
        sponsors.add_sponsored_campaign(
            branch.db, branch.admin, spec(deposit_amount="0", branch_offline_quota=4), now=NOW
        )
    return two_branches


def status(branch, now: datetime) -> sponsors.CampaignStatus:
    return sponsors.campaign_status(branch.db, branch.admin, CODE, now=now)


def badge_open(branch, now: datetime) -> bool:
    (badge,) = sponsors.sponsored_badges(branch.db, now=now).values()
    return badge.open


def test_a_branch_stops_the_badge_at_the_chains_count_after_one_round(branches):
    ind, kor = branches
    assert shown(ind, 4, DAY_1) == [True] * 4
    assert ind.sync().pending == 0
    # IND's own four are counted once, though the centre now holds them too.
    assert (status(ind, DAY_1).charged, status(ind, DAY_1).charged_in_chain) == (4, 4)

    # Before its round KOR knows only its own: the badge is open.
    assert status(kor, DAY_2).charged_in_chain == 0
    assert kor.sync().pending == 0
    # After it, the centre's four are counted: one impression of the 5 booked is left.
    assert status(kor, DAY_2).charged_in_chain == 4 and badge_open(kor, DAY_2)
    assert shown(kor, 3, DAY_2) == [True, False, False]
    after = status(kor, DAY_2)
    assert (after.charged, after.charged_in_chain, after.open) == (1, 5, False)
    assert not badge_open(kor, DAY_2)

    # IND, whose own four were under the limit, stops at its next round.
    assert badge_open(ind, DAY_2)
    assert kor.sync().pending == 0 and ind.sync().pending == 0
    assert status(ind, DAY_2).charged_in_chain == 5
    assert not badge_open(ind, DAY_2)
    assert shown(ind, 1, DAY_2) == [False]


def test_the_sponsor_status_and_panel_say_the_chains_count(branches):
    ind, kor = branches
    shown(ind, 2, DAY_1)
    ind.sync()
    kor.sync()
    assert shown(kor, 1, DAY_2) == [True]
    now = status(kor, DAY_2)
    assert status_json(now)["charged_in_chain"] == 3
    assert status_json(now)["charged_impressions"] == 1
    assert chain_text(now) == ", 3 charged across the chain"


def test_a_branch_reads_the_chains_totals_but_not_the_others_impressions(branches):
    ind, kor = branches
    shown(ind, 2, DAY_1)
    shown(kor, 1, DAY_2)
    ind.sync()
    kor.sync()
    engine = create_engine(kor.url)
    try:
        with engine.begin() as connection:
            seen = connection.execute(
                text("SELECT count(*) FROM central_documents WHERE doc_type = 'sponsor_impression'")
            ).scalar_one()
            totals = list(connection.execute(text("SELECT * FROM sync_impression_totals()")))
    finally:
        engine.dispose()
    # Row-level security shows KOR its own impression only; the totals count IND's too.
    assert seen == 1
    assert [(row.charged, row.own) for row in totals] == [(3, 1)]
