"""The head office's sponsors and sponsored campaigns pulled by every branch (issue #15:
"... and later campaigns, templates, sponsors"), against a real PostgreSQL: the head office
adds a sponsor and a campaign on the centre on a promotion it publishes; a branch receives
them at its next round and its counter charges the badge with no copy added by hand; a
branch that had added its own copy adopts the centre's and loses nothing of it; a change on
the centre reaches the branch at its next round; the branch neither bills nor changes the
head office's campaign, and the centre bills every branch's impressions once."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from db.models import (
    AuditLog,
    Sponsor,
    SponsoredCampaign,
    SponsoredCampaignPromotion,
    SponsorImpression,
    SponsorInvoice,
)
from domain.sponsor_billing import Period
from services import catalog, promotions, sponsors, sync
from tests.services.invoice_helpers import promotion
from tests.services.sponsor_helpers import a_sponsor
from tests.services.test_sponsor_chain_billing import (
    CODE,
    NOW,
    PERIOD,
    billed_rows,
    pull_the_promotion,
    shown,
    spec,
)
from tests.services.test_sync_pull import BOTOX, INJECT10

pytestmark = pytest.mark.postgres

DAY_1 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
DAY_2 = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
GLOWCO = "Glowco Skincare Pvt Ltd"


def publish_promotion(head_office) -> None:
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, INJECT10, now=NOW)


def publish_campaign(head_office) -> None:
    """The head office's sponsor and campaign (Rs.100 deposit, 5 booked, 4 impressions a
    branch may charge unacknowledged) on the centre's INJECT10."""
    a_sponsor(head_office.db, head_office.admin, NOW)
    sponsors.add_sponsored_campaign(
        head_office.db, head_office.admin, spec(branch_offline_quota=4), now=NOW
    )


def campaign_row(branch) -> Any:
    with branch.db.session(write=False) as session:
        return session.scalar(
            select(SponsoredCampaign).where(SponsoredCampaign.campaign_code == CODE)
        )


def centre_campaign_id(head_office) -> Any:
    row = campaign_row(head_office)
    assert row is not None
    return row.id


def sync_until_pulled(branch, head_office) -> None:
    """Sync until the centre's campaign is here under the centre's id. A pull stops below
    the oldest transaction open on the shared server: the row comes at a later round."""
    wanted = centre_campaign_id(head_office)
    for _ in range(100):
        result = branch.sync()
        assert not result.rejected, result.sentence()
        row = campaign_row(branch)
        if row is not None and row.id == wanted:
            return
        time.sleep(0.1)
    pytest.fail(f"{branch.code} never pulled {CODE}")


def badges(branch, now: datetime) -> dict[str, bool]:
    return {b.campaign_code: b.open for b in sponsors.sponsored_badges(branch.db, now=now).values()}


def count(branch, model, *where) -> int:
    with branch.db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_branch_receives_the_head_offices_campaign_and_charges_its_badge(
    head_office, two_branches
):
    ho = head_office
    ind, kor = two_branches
    publish_promotion(ho)
    publish_campaign(ho)
    for branch in two_branches:
        sync_until_pulled(branch, ho)
        # No copy added by hand: the badge shows, the counter charges it.
        assert badges(branch, DAY_1) == {CODE: True}
        listed = sponsors.list_sponsors(branch.db, branch.admin)
        assert [(s.legal_name, s.head_office, s.campaigns) for s in listed] == [(GLOWCO, True, 1)]
        status = sponsors.campaign_status(branch.db, branch.admin, CODE, now=DAY_1)
        assert status.head_office and status.promotions == ("INJECT10",)
        # The centre took the deposit: the branch issued nothing.
        assert count(branch, SponsorInvoice) == 0 and status.payment_status.value == "no_invoices"
    assert shown(ind, 3, DAY_1) == [True] * 3
    assert shown(kor, 3, DAY_2) == [True] * 3

    # The branch neither bills nor adds the head office's campaign, nor bills it with the rest.
    with pytest.raises(sponsors.SponsorError, match=f"Head office runs campaign {CODE}"):
        sponsors.bill_sponsor_period(ind.db, ind.admin, CODE, PERIOD, now=NOW)
    with pytest.raises(sponsors.SponsorError, match=f"Head office runs campaign {CODE}"):
        sponsors.add_sponsored_campaign(ind.db, ind.admin, spec(deposit_amount="0"), now=NOW)
    assert sponsors.bill_every_campaign(ind.db, ind.admin, PERIOD, now=NOW) == {}
    assert count(ind, SponsorInvoice) == 0

    # Both push; the centre bills every branch's charged impressions once, 5 of the 6.
    for branch in two_branches:
        assert branch.sync().pending == 0
    done = sponsors.bill_sponsor_period(ho.db, ho.admin, CODE, PERIOD, now=NOW)
    assert (done.charged_in_chain, done.impressions_billed, done.overrun_by_branch) == (
        6,
        5,
        {"KOR": 1},
    )
    again = sponsors.bill_every_campaign(ho.db, ho.admin, PERIOD, now=NOW)
    assert again[CODE].already_billed and billed_rows(ho) == 5

    # The head office stops the campaign on the centre (`sponsor campaign stop`): each
    # branch stops the badge at its next round, and its counter records nothing more; a
    # branch cannot stop or resume it itself.
    with pytest.raises(sponsors.SponsorError, match="stops or resumes it on the centre"):
        sponsors.stop_campaign(ind.db, ind.admin, CODE, stopped=True, now=NOW)
    sponsors.stop_campaign(ho.db, ho.admin, CODE, stopped=True, now=NOW)
    assert sponsors.campaign_status(ho.db, ho.admin, CODE, now=DAY_2).stopped
    for branch in two_branches:
        for _ in range(100):
            branch.sync()
            if not campaign_row(branch).is_active:
                break
            time.sleep(0.1)
        assert badges(branch, DAY_2) == {}
        assert sponsors.campaign_status(branch.db, branch.admin, CODE, now=DAY_2).stopped
        injectables = catalog_promotion_id(branch)
        assert (
            sponsors.record_impression(
                branch.db, branch.admin, injectables, "late", shown_ms=2000, now=DAY_2
            )
            is None
        )


def catalog_promotion_id(branch) -> Any:
    return promotion(branch.db, "INJECT10").id


def test_a_branchs_own_copy_gives_way_to_the_centres_and_keeps_its_history(
    head_office, two_branches
):
    """KOR added its copy by hand (as the README said to, before campaigns were pulled),
    with a Rs.50 deposit invoiced and two impressions charged; at its next round the copy
    becomes the centre's campaign: the same impressions and invoice, under the centre's id,
    read-only, billed by the centre."""
    ho = head_office
    _ind, kor = two_branches
    publish_promotion(ho)
    pull_the_promotion(kor)
    a_sponsor(kor.db, kor.admin, NOW)
    sponsors.add_sponsored_campaign(
        kor.db, kor.admin, spec(deposit_amount="50", branch_offline_quota=4), now=NOW
    )
    copy = campaign_row(kor)
    assert copy.branch_id == kor.id
    assert shown(kor, 2, DAY_1) == [True, True]
    assert kor.sync().pending == 0

    publish_campaign(ho)
    sync_until_pulled(kor, ho)
    centre_id = centre_campaign_id(ho)
    adopted = campaign_row(kor)
    assert adopted.id == centre_id and adopted.branch_id is None
    # The centre's settings in place of the copy's: its deposit and limit, its sponsor.
    assert (adopted.deposit_amount, adopted.booked_impressions) == (100_00, 5)
    with kor.db.session(write=False) as session:
        (sponsor,) = session.scalars(select(Sponsor)).all()
        links = session.execute(select(SponsoredCampaignPromotion.campaign_id)).scalars().all()
        entry = session.scalars(
            select(AuditLog).where(AuditLog.action == "sync.pull").order_by(AuditLog.seq.desc())
        ).first()
    with ho.db.session(write=False) as session:
        centre_sponsor = session.scalar(select(Sponsor.id))
    assert sponsor.id == centre_sponsor and sponsor.branch_id is None
    assert links == [centre_id]
    assert entry.details["adopted"] == {
        "sponsors": [GLOWCO],
        "sponsored_campaigns": [CODE],
    }
    # Nothing lost: its impressions and its deposit invoice are the campaign's still.
    assert count(kor, SponsorImpression, SponsorImpression.campaign_id == centre_id) == 2
    assert count(kor, SponsorInvoice, SponsorInvoice.campaign_id == centre_id) == 1
    status = sponsors.campaign_status(kor.db, kor.admin, CODE, now=DAY_1)
    assert status.head_office and status.charged == 2 and status.total_invoices == 1
    assert [i.invoice_type for i in status.invoices] == ["deposit"]
    # Its invoice is still paid at the branch that issued it; the cycles are the centre's.
    paid = sponsors.record_sponsor_payment(
        kor.db, kor.admin, status.invoices[0].invoice_number, 59_00, method="upi", now=DAY_1
    )
    assert paid.outstanding == 0
    with pytest.raises(sponsors.SponsorError, match="Head office runs campaign"):
        sponsors.bill_sponsor_period(kor.db, kor.admin, CODE, PERIOD, now=NOW)

    # The badge goes on counting from the same impressions.
    assert shown(kor, 3, DAY_2) == [True, True, True]
    assert badges(kor, DAY_2) == {CODE: False}  # 5 of 5 charged
    assert kor.sync().pending == 0
    done = sponsors.bill_sponsor_period(ho.db, ho.admin, CODE, PERIOD, now=NOW)
    assert (done.charged_in_chain, done.impressions_billed) == (5, 5)


def test_a_copy_under_another_code_on_the_same_promotion_is_adopted(head_office, two_branches):
    ho = head_office
    ind, _kor = two_branches
    publish_promotion(ho)
    pull_the_promotion(ind)
    a_sponsor(ind.db, ind.admin, NOW)
    sponsors.add_sponsored_campaign(
        ind.db, ind.admin, spec(campaign_code="IND-GLOW", deposit_amount="0"), now=NOW
    )
    shown(ind, 1, DAY_1)
    publish_campaign(ho)
    sync_until_pulled(ind, ho)
    with ind.db.session(write=False) as session:
        codes = session.scalars(select(SponsoredCampaign.campaign_code)).all()
    assert codes == [CODE]
    assert sponsors.campaign_status(ind.db, ind.admin, CODE, now=DAY_1).charged == 1


def test_a_branch_role_reads_the_head_offices_sponsors_only(head_office, two_branches):
    """A branch's own sponsor travels as a document: another branch's role never reads it,
    in the documents or in the sponsor tables, which hold the head office's alone."""
    ho = head_office
    ind, kor = two_branches
    publish_promotion(ho)
    publish_campaign(ho)
    a_sponsor(ind.db, ind.admin, NOW, gstin="27AABCG5678L1Z2")  # IND's own: Dermaline
    assert ind.sync().pending == 0
    engine = create_engine(kor.url)
    try:
        with engine.connect() as connection:
            names = connection.execute(text("SELECT legal_name FROM sponsors")).scalars().all()
            codes = (
                connection.execute(text("SELECT campaign_code FROM sponsored_campaigns"))
                .scalars()
                .all()
            )
            documents = connection.execute(
                text("SELECT count(*) FROM central_documents WHERE doc_type = 'sponsor'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert (names, codes, documents) == ([GLOWCO], [CODE], 0)


def test_the_head_offices_campaign_is_billed_at_the_centre_only(head_office, two_branches):
    """The centre's own cycle of its campaign is unchanged by the branches having it."""
    ho = head_office
    ind, _kor = two_branches
    publish_promotion(ho)
    publish_campaign(ho)
    sync_until_pulled(ind, ho)
    shown(ind, 2, DAY_1)
    assert ind.sync().pending == 0
    first = sponsors.bill_sponsor_period(
        ho.db, ho.admin, CODE, Period(date(2026, 11, 1), date(2026, 11, 20)), now=NOW
    )
    assert first.impressions_billed == 2 and first.charged_in_chain == 2


def test_a_centre_upgraded_by_central_init_sends_the_campaigns_it_held_before(
    centre, head_office, two_branches
):
    """A centre of version 11 held the head office's campaign unpublished; `central init`
    publishes it (stamps, grants) and a branch that pulled long before receives it."""
    ho = head_office
    branch = two_branches[0]
    publish_promotion(ho)
    pull_the_promotion(branch)
    role = branch.url.split("//", 1)[1].split(":", 1)[0]
    tables = ("sponsors", "sponsored_campaigns", "sponsored_campaign_promotions")
    admin = create_engine(centre)
    try:
        with admin.begin() as connection:
            for table in tables:
                connection.execute(text(f'REVOKE SELECT ON {table} FROM "{role}"'))
                connection.execute(text(f"DROP TRIGGER stamp_xid ON {table}"))
                connection.execute(text(f"ALTER TABLE {table} DROP COLUMN sync_xid"))
            connection.execute(text("UPDATE central_meta SET value = '11' WHERE key = 'schema'"))
    finally:
        admin.dispose()
    publish_campaign(ho)
    with pytest.raises(sync.SyncFailed, match="upgrade the centre"):
        branch.sync()
    sync.init_centre(centre.render_as_string(hide_password=False))  # the upgrade
    sync_until_pulled(branch, ho)
    assert badges(branch, DAY_1) == {CODE: True}


def test_an_adopted_copy_sponsors_what_the_centres_campaign_sponsors_no_more(
    head_office, two_branches
):
    """IND's copy also sponsored a promotion of its own; the centre's campaign does not:
    after adoption that badge is no longer sponsored, its impression stays as history."""
    ho = head_office
    ind, _kor = two_branches
    publish_promotion(ho)
    pull_the_promotion(ind)
    promotions.save_promotion(
        ind.db, ind.admin, INJECT10 | {"campaign_code": "IND-ONLY", "priority": 31}, now=NOW
    )
    a_sponsor(ind.db, ind.admin, NOW)
    sponsors.add_sponsored_campaign(
        ind.db, ind.admin, spec(promotions=["INJECT10", "IND-ONLY"], deposit_amount="0"), now=NOW
    )
    shown(ind, 1, DAY_1)  # INJECT10
    own = promotion(ind.db, "IND-ONLY").id
    assert sponsors.record_impression(ind.db, ind.admin, own, "v", shown_ms=2000, now=DAY_1)
    publish_campaign(ho)
    sync_until_pulled(ind, ho)
    centre_id = centre_campaign_id(ho)
    with ind.db.session(write=False) as session:
        links = session.execute(
            select(SponsoredCampaignPromotion.campaign_id, SponsoredCampaignPromotion.promotion_id)
        ).all()
    assert links == [(centre_id, catalog_promotion_id(ind))]
    assert count(ind, SponsorImpression, SponsorImpression.campaign_id == centre_id) == 2
    assert badges(ind, DAY_2) == {CODE: True}
