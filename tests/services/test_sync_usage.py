"""Counts across branches (issue #15), against a real PostgreSQL: a promotion's and a code's
uses are the centre's count of every branch's usage rows at the last pull plus the branch's
own uses not sent yet, and a limit set at the head office holds across the branches that
sync between their sales. A use given back (a cancelled invoice) travels too."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from db import central, usage_sync
from services import catalog, invoicing, promotions, sync_pull
from services.invoicing import CartItem, CartRequest
from tests.services.test_sync import NOW
from tests.services.test_sync_pull import BOTOX, INJECT10, sell_botox

pytestmark = pytest.mark.postgres

CODE10 = {**INJECT10, "campaign_code": "CODE10", "requires_code": True}


def sell_with_code(branch, code: str = "HOLIDAY") -> invoicing.InvoiceDocument:
    entry = catalog.item_by_code(branch.db, "BOTOX-50")
    assert entry is not None
    request = CartRequest(patient_id=branch.patient.id, items=(CartItem(entry.id),), codes=(code,))
    return invoicing.save_invoice(branch.db, branch.admin, request, now=NOW)


def code_at(branch, code: str = "HOLIDAY"):
    row = promotions.code_at_counter(branch.db, code)
    assert row is not None
    return row


def promotion_uses(branch, campaign_code: str) -> int:
    rows = promotions.list_promotions(branch.db, branch.admin, now=NOW)
    return next(r.uses for r in rows if r.campaign_code == campaign_code)


def centre_live_uses(centre_url) -> int:
    engine = create_engine(centre_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM central_usage WHERE NOT reversed")
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def capped_code(head_office, two_branches):
    """The head office's promotion CODE10 and its code HOLIDAY, capped at 3 uses in the
    chain, received by both branches."""
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, CODE10, now=NOW)
    promotions.save_code(
        head_office.db,
        head_office.admin,
        {"code": "HOLIDAY", "promotion_code": "CODE10", "max_uses": 3},
        now=NOW,
    )
    for branch in two_branches:
        branch.sync()
    return two_branches


def test_a_codes_limit_holds_across_branches_that_sync_between_sales(centre, capped_code):
    a, b = capped_code
    for _ in range(2):
        assert sell_with_code(a).total_amount == 405000
    a.sync()
    assert centre_live_uses(centre) == 2

    b.sync()
    assert code_at(b).uses == 2
    assert promotion_uses(b, "CODE10") == 2
    assert sell_with_code(b).total_amount == 405000  # the third use: the code's last
    assert code_at(b).uses == 3
    assert code_at(b).status == "expired"

    b.sync()
    a.sync()
    # Branch A hears of B's use: the code is used up there too, and a fourth use is refused.
    assert code_at(a).uses == 3
    assert code_at(a).status == "expired"
    with pytest.raises(invoicing.InvoiceError):
        sell_with_code(a)
    assert centre_live_uses(centre) == 3


def test_a_use_given_back_at_one_branch_frees_it_at_the_others(centre, capped_code):
    a, b = capped_code
    sell_with_code(a)
    sell_with_code(a)
    a.sync()
    b.sync()
    last = sell_with_code(b)
    b.sync()
    a.sync()
    assert code_at(a).status == "expired"

    invoicing.cancel_invoice(b.db, b.admin, last.invoice_number, reason="Wrong patient", now=NOW)
    b.sync()
    a.sync()

    assert centre_live_uses(centre) == 2
    assert code_at(a).uses == 2
    assert code_at(a).status == "active"  # switched off by its limit, so back on by itself
    assert sell_with_code(a).total_amount == 405000


def test_a_branch_counts_its_own_unsent_uses_on_top_of_the_centres(centre, capped_code):
    a, b = capped_code
    sell_with_code(b)
    b.sync()
    # Branch A sells offline, then pulls without pushing (its use has not reached the centre).
    sell_with_code(a)
    engine = create_engine(a.url)
    try:
        with engine.connect() as connection:
            sync_pull.pull(a.db, connection, a.id, now=NOW)
    finally:
        engine.dispose()
    assert centre_live_uses(centre) == 1
    assert code_at(a).uses == 2  # the centre's one (B's) and its own not sent yet
    with a.db.session(write=False) as session:
        promotions_net, codes_net = usage_sync.unsent_net(session)
    assert sum(codes_net.values()) == 1


def test_uses_sent_twice_are_stored_once(centre, capped_code):
    a, _ = capped_code
    sell_with_code(a)
    uses = usage_sync.unsent_uses(a.db, 100)
    assert len(uses) == 1
    engine = create_engine(a.url)
    try:
        for _ in range(2):
            with engine.begin() as connection:
                central.push_uses(connection, a.id, uses)
    finally:
        engine.dispose()
    assert centre_live_uses(centre) == 1
    # The round after sends it again (the branch never heard), and still stores it once.
    a.sync()
    assert centre_live_uses(centre) == 1
    assert usage_sync.unsent_uses(a.db, 100) == []


def test_a_promotion_without_a_code_is_counted_across_branches(head_office, two_branches):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(
        head_office.db, head_office.admin, {**INJECT10, "max_total_uses": 2}, now=NOW
    )
    a, b = two_branches
    a.sync()
    b.sync()
    sell_botox(a)
    a.sync()
    b.sync()
    assert promotion_uses(b, "INJECT10") == 1
    assert sell_botox(b).total_amount == 405000  # the second and last use
    assert sell_botox(b).total_amount == 450000  # used up: full price
    b.sync()
    a.sync()
    assert promotion_uses(a, "INJECT10") == 2
    assert sell_botox(a).total_amount == 450000


def test_a_branch_role_cannot_write_another_branchs_uses(centre, capped_code):
    a, b = capped_code
    sell_with_code(a)
    a.sync()
    engine = create_engine(b.url)
    try:
        with engine.begin() as connection:
            # B sees none of A's rows, so its update changes nothing ...
            changed = connection.execute(text("UPDATE central_usage SET reversed = true"))
            assert changed.rowcount == 0
            # ... yet it may read the chain's totals.
            totals = list(connection.execute(text("SELECT * FROM sync_use_totals()")))
        assert {row.kind: row.uses for row in totals} == {"promotion": 1, "code": 1}
    finally:
        engine.dispose()
    assert centre_live_uses(centre) == 1
