"""Pull from the centre (issue #15), against a real PostgreSQL: the head office edits the
catalog, prices, promotions and codes on the centre with the same services a branch uses,
and two_branches receive them at their next round. A row whose central transaction committed
late (a writer held open while another commits) is received, never skipped."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from db.engine import Database
from domain.branch import BranchDetails
from services import auth, catalog, invoicing, promotions, setup, sync, sync_pull
from services.head_office import open_centre
from services.invoicing import CartItem, CartRequest
from tests.services.test_sync import NOW, Branch

pytestmark = pytest.mark.postgres

BOTOX = {
    "code": "botox-50",
    "name": "Botox (50 units)",
    "category": "Injectables",
    "item_type": "service",
    "price": "4500",
    "cost": "2000",
    "hsn_sac": "999722",
    "taxability": "exempt",
    "tax_rate": "0",
    "max_discount_percent": "20",
    "barcode": "",
}
INJECT10 = {
    "campaign_code": "INJECT10",
    "campaign_name": "Injectables 10% off",
    "promotion_type": "percentage",
    "rules": {"scope": "category", "categories": ["Injectables"]},
    "discount_percent": "10",
    "requires_code": False,
    "priority": 30,
}
HO_PIN = "765432"


class HeadOffice:
    """The head office: a branch of its own on the centre, with a signed-in admin."""

    def __init__(self, centre_url: URL) -> None:
        self.db: Database = open_centre(centre_url.render_as_string(hide_password=False))
        setup.initialise(
            self.db,
            demo=False,
            now=NOW,
            today=NOW.date(),
            admin_username="ho",
            admin_pin=HO_PIN,
            details=BranchDetails(
                name="Head office",
                address="1 MG Road",
                timezone="Asia/Kolkata",
                fiscal_year_start_month=4,
                invoice_series="SVC",
                branch_code="HO",
                gstin="",
                state_code="29",
            ),
        )
        self.admin = auth.sign_in(self.db, "ho", HO_PIN)


def item_at(branch: Branch, code: str):
    return catalog.item_by_code(branch.db, code)


def sell_botox(branch: Branch) -> invoicing.InvoiceDocument:
    entry = catalog.item_by_code(branch.db, "BOTOX-50")
    assert entry is not None
    request = CartRequest(patient_id=branch.patient.id, items=(CartItem(entry.id),))
    return invoicing.save_invoice(branch.db, branch.admin, request, now=NOW)


def test_master_data_edited_at_the_head_office_reaches_every_branch_at_its_next_round(
    head_office, two_branches
):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    promotions.save_promotion(head_office.db, head_office.admin, INJECT10, now=NOW)
    promotions.save_code(
        head_office.db,
        head_office.admin,
        {"code": "HOLIDAY", "promotion_code": "INJECT10", "max_uses": 50},
        now=NOW,
    )
    for branch in two_branches:
        assert item_at(branch, "BOTOX-50") is None
        result = branch.sync()
        assert result.pull is not None and result.pull.rows == 4  # item, price, promotion, code
        assert item_at(branch, "BOTOX-50").price == 450000
        invoice = sell_botox(branch)
        # The promotion made at the head office prices the branch's cart.
        assert invoice.total_amount == 405000
        assert "INJECT10" in str(invoice.campaigns_applied)
        assert promotions.code_at_counter(branch.db, "HOLIDAY") is not None

    # A new price from today, and the promotion switched off: the next round brings both.
    catalog.save_item(
        head_office.db,
        head_office.admin,
        {**BOTOX, "price": "5000"},
        now=NOW,
        replacing="BOTOX-50",
    )
    promotions.set_paused(
        head_office.db, head_office.admin, "INJECT10", paused=True, now=NOW, kind="promotion"
    )
    for branch in two_branches:
        branch.sync()
        assert item_at(branch, "BOTOX-50").price == 500000
        assert sell_botox(branch).total_amount == 500000
        # Nothing new on the centre: the round after receives nothing and moves nothing.
        before = sync_pull.last_pull(branch.db)
        assert branch.sync().pull.rows == 0
        assert sync_pull.last_pull(branch.db).cursor >= before.cursor


def test_a_row_committed_late_on_the_centre_is_received_not_skipped(
    centre, head_office, two_branches
):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    catalog.save_item(
        head_office.db, head_office.admin, {**BOTOX, "code": "FILLER-1", "barcode": ""}, now=NOW
    )
    branch = two_branches[0]
    branch.sync()
    admin = create_engine(centre)
    try:
        with admin.connect() as early, admin.connect() as late:
            # The early writer takes its transaction id first and stays open ...
            early.begin()
            early.execute(
                text("UPDATE catalog_items SET name = 'Botox early' WHERE code = 'BOTOX-50'")
            )
            # ... while a later one commits a change of its own.
            with late.begin():
                late.execute(
                    text("UPDATE catalog_items SET name = 'Filler late' WHERE code = 'FILLER-1'")
                )
            early_xid = int(early.execute(text("SELECT pg_current_xact_id()::text")).scalar_one())
            late_xid = int(
                late.execute(
                    text("SELECT sync_xid::text FROM catalog_items WHERE code = 'FILLER-1'")
                ).scalar_one()
            )
            assert early_xid < late_xid  # the late commit has the later transaction id

            # A round now receives neither: the later commit waits below the open writer.
            assert branch.sync().pull.rows == 0
            assert item_at(branch, "FILLER-1").name == BOTOX["name"]
            early.commit()
        # The next round receives both, the early writer's row included.
        assert branch.sync().pull.rows == 2
        assert item_at(branch, "BOTOX-50").name == "Botox early"
        assert item_at(branch, "FILLER-1").name == "Filler late"
        # The other branch, pulling for the first time, has everything in one round.
        other = two_branches[1]
        other.sync()
        assert item_at(other, "BOTOX-50").name == "Botox early"
        assert item_at(other, "FILLER-1").name == "Filler late"
    finally:
        admin.dispose()


def test_a_retired_item_travels_as_a_change(head_office, two_branches):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    branch = two_branches[0]
    branch.sync()
    catalog.retire_item(head_office.db, head_office.admin, "BOTOX-50", now=NOW + timedelta(hours=1))
    branch.sync()
    rows = {row.spec.code: row for row in catalog.list_items(branch.db, branch.admin, now=NOW)}
    assert "BOTOX-50" not in rows or rows["BOTOX-50"].retired


def test_a_local_item_with_the_centres_code_stops_the_pull_with_a_sentence(
    head_office, two_branches
):
    branch = two_branches[0]
    catalog.save_item(branch.db, branch.admin, {**BOTOX, "price": "4000"}, now=NOW)
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    with pytest.raises(sync.SyncFailed, match="BOTOX-50 has the same code"):
        branch.sync()
    # Nothing was received, the push before it went through, and the branch's own stays.
    assert sync_pull.last_pull(branch.db).pulled_at is None
    assert sync.pending_count(branch.db) == 0
    assert item_at(branch, "BOTOX-50").price == 400000


def test_the_pull_writes_no_outbox_row_and_one_audit_entry(head_office, two_branches):
    catalog.save_item(head_office.db, head_office.admin, BOTOX, now=NOW)
    branch = two_branches[0]
    branch.sync()
    assert sync.pending_count(branch.db) == 0  # nothing received goes back to the centre
    with branch.db.session(write=False) as session:
        actions = list(
            session.execute(
                text("SELECT action, details FROM audit_log WHERE action = 'sync.pull'")
            )
        )
    assert len(actions) == 1


def test_open_centre_refuses_what_is_not_postgresql():
    with pytest.raises(Exception, match="PostgreSQL"):
        open_centre(f"sqlite:///{Path(tempfile.gettempdir()) / 'x.db'}")
