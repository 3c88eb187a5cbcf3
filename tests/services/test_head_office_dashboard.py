"""The head office's dashboard (issue #15), against a real PostgreSQL: the demo clinic and a
second branch push to the centre, and the RFM figures read there (db.central_dashboard)
for the demo branch alone are the figures the demo branch computes from its own SQLite
file; for the chain, a patient of both branches (same mobile and name) is one customer."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest
from sqlalchemy import create_engine, text

from services import auth, dashboard, invoicing, patients, sync
from services.branch import get_branch, this_branch_id
from services.invoicing import CartItem, CartRequest
from services.patients import NewPatient
from tests.services.conftest import TODAY
from tests.services.test_catalog_admin import SERUM
from tests.services.test_sync import NOW, PASSWORD, Branch

pytestmark = pytest.mark.postgres


def synced_demo(demo_db, centre) -> str:
    """Give the demo clinic a role on the centre and push everything; its branch code."""
    with demo_db.session(write=False) as session:
        branch_id = this_branch_id(session)
    code = get_branch(demo_db).details.branch_code
    role = sync.add_branch(
        centre.render_as_string(hide_password=False),
        branch_id=branch_id,
        code=code,
        password=PASSWORD,
    )
    url = centre.set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    # The demo's invoices were written in bulk, without outbox rows: queue them first.
    assert sync.send_history(demo_db, now=NOW) > 5000
    assert sync.send_history(demo_db, now=NOW) == 0
    result = sync.sync_round(demo_db, url, now=lambda: NOW, backoff=())
    assert result.pending == 0 and result.rejected == []
    return code


def figures_of(report: dashboard.RfmReport) -> dict:
    figures = dataclasses.asdict(report.figures)
    figures.pop("edges")  # numpy arrays; compared through the bars they make
    return figures


@pytest.fixture
def chain(demo_db, centre, head_office, tmp_path):
    code = synced_demo(demo_db, centre)
    other = Branch(tmp_path / "KOR.db", "KOR", centre)
    yield demo_db, code, other, head_office
    other.db.close()


def test_the_centres_figures_for_one_branch_are_the_branchs_own(chain):
    demo_db, code, _other, office = chain
    manager = auth.sign_in(demo_db, "meera", "2222")
    for filters in (
        dashboard.DashboardFilters(),
        dashboard.DashboardFilters(r=5),
        dashboard.DashboardFilters(scheme="ten"),
    ):
        at_branch = dashboard.rfm_report(demo_db, manager, filters, today=TODAY)
        at_centre = dashboard.rfm_report(
            office.db,
            office.admin,
            dataclasses.replace(filters, branches=(code.lower(),)),
            today=TODAY,
        )
        assert at_centre.figures.kpis.total_customer > 100
        assert (at_centre.start, at_centre.end) == (at_branch.start, at_branch.end)
        assert figures_of(at_centre) == figures_of(at_branch)
    # The customers behind the figures: the same people with the same scores (ties of value
    # and recency may come in another order: the keys differ).
    branch_rows = dashboard.customers(demo_db, manager, at_branch)
    centre_rows = dashboard.customers(office.db, office.admin, at_centre)
    assert sorted((r.name, r.mobile, r.frequency, r.monetary, r.segment) for r in centre_rows) == (
        sorted((r.name, r.mobile, r.frequency, r.monetary, r.segment) for r in branch_rows)
    )
    assert [r.monetary for r in centre_rows] == [r.monetary for r in branch_rows]


def test_a_patient_of_two_branches_is_one_customer_of_the_chain(chain):
    demo_db, code, other, office = chain
    manager = auth.sign_in(demo_db, "meera", "2222")
    regular = dashboard.customers(
        demo_db,
        manager,
        dashboard.rfm_report(demo_db, manager, dashboard.DashboardFilters(), today=TODAY),
    )[0]
    # The same person (her name typed with other spaces and case) buys at the other branch.
    twin = patients.add_patient(
        other.db,
        other.admin,
        NewPatient(name=f"  {regular.name.upper()} ", mobile=regular.mobile),
        now=NOW,
        today=NOW.date(),
    )
    from services import catalog

    serum = catalog.item_by_code(other.db, SERUM["code"])
    sold = invoicing.save_invoice(
        other.db, other.admin, CartRequest(patient_id=twin.id, items=(CartItem(serum.id),)), now=NOW
    )
    other.sell(paid=True)  # and the other branch's own patient
    other.sync()

    whole = dashboard.DashboardFilters()
    branch_alone = dashboard.rfm_report(demo_db, manager, whole, today=TODAY)
    chain_report = dashboard.rfm_report(office.db, office.admin, whole, today=TODAY)
    # One more customer (the other branch's own patient), not two.
    assert chain_report.figures.kpis.total_customer == branch_alone.figures.kpis.total_customer + 1
    found = dashboard.customers(
        office.db,
        office.admin,
        dashboard.rfm_report(
            office.db, office.admin, dataclasses.replace(whole, mobile=regular.mobile), today=TODAY
        ),
    )
    same = [row for row in found if row.name.strip().casefold() == regular.name.casefold()]
    assert len(same) == 1
    assert same[0].frequency == regular.frequency + 1
    assert same[0].monetary == regular.monetary + sold.gross_amount - sold.total_discount
    kor = dashboard.rfm_report(
        office.db, office.admin, dataclasses.replace(whole, branches=("KOR",)), today=TODAY
    )
    assert kor.figures.kpis.total_customer == 2

    # A cancelled invoice stops counting once its cancellation reaches the centre.
    invoicing.cancel_invoice(
        other.db, other.admin, sold.invoice_number, reason="Wrong patient", now=NOW
    )
    other.sync()
    kor = dashboard.rfm_report(
        office.db, office.admin, dataclasses.replace(whole, branches=("KOR",)), today=TODAY
    )
    assert kor.figures.kpis.total_customer == 1


def test_an_unknown_branch_is_refused_naming_the_known_ones(chain):
    _demo_db, code, _other, office = chain
    with pytest.raises(dashboard.DashboardError, match=f"No branch XYZ on the centre .*{code}"):
        dashboard.rfm_report(
            office.db, office.admin, dashboard.DashboardFilters(branches=("XYZ",)), today=TODAY
        )
    assert dashboard.branch_codes(office.db, office.admin) == sorted([code, "KOR"])


def test_a_branch_filter_on_a_branchs_own_dashboard_is_refused(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    with pytest.raises(dashboard.DashboardError, match="head office"):
        dashboard.rfm_report(
            demo_db, manager, dashboard.DashboardFilters(branches=("IND",)), today=TODAY
        )


def _invoice(connection, branch_id, mobile: str) -> None:
    payload = {
        "invoice_date": "2026-11-20",
        "status": "issued",
        "patient": {"name": f"Customer {mobile}", "mobile": mobile},
        "lines": [{"quantity": 1}],
        "totals": {"gross": "1000.00", "total_discount": "0.00", "cost": "100.00"},
    }
    connection.execute(
        text(
            "INSERT INTO central_documents (doc_type, id, branch_id, doc_version, outbox_id, "
            "payload, created_at) VALUES ('invoice', :id, :branch, 1, 1, CAST(:payload AS "
            "jsonb), now())"
        ),
        {"id": uuid.uuid4(), "branch": branch_id, "payload": json.dumps(payload)},
    )


def test_an_invoice_committed_late_on_the_centre_is_counted_at_the_next_reading(
    centre, head_office
):
    admin = create_engine(centre)
    branch_id = uuid.uuid4()
    whole = dashboard.DashboardFilters()

    def customers() -> int:
        report = dashboard.rfm_report(head_office.db, head_office.admin, whole, today=TODAY)
        return report.figures.kpis.total_customer

    try:
        with admin.begin() as connection:
            connection.execute(
                text("INSERT INTO sync_branches (branch_id, code, role) VALUES (:id, 'LATE', 'x')"),
                {"id": branch_id},
            )
        with admin.connect() as early, admin.connect() as late:
            early.begin()
            _invoice(early, branch_id, "9845000001")  # takes its transaction id first ...
            with late.begin():
                _invoice(late, branch_id, "9845000002")  # ... and another commits meanwhile
            assert customers() == 0  # the later commit waits below the open one
            early.commit()
        assert customers() == 2  # both, the early one included
        assert customers() == 2  # and nothing twice
    finally:
        with admin.begin() as connection:  # a branch without a role: not the fixture's to drop
            for table in ("central_visits", "central_documents", "sync_branches"):
                connection.execute(
                    text(f"DELETE FROM {table} WHERE branch_id = :id"), {"id": branch_id}
                )
        admin.dispose()


def test_the_chains_campaign_figures_are_the_branchs_own_when_it_is_alone(chain):
    demo_db, code, _other, office = chain
    manager = auth.sign_in(demo_db, "meera", "2222")
    at_branch = dashboard.campaign_charts(demo_db, manager, today=TODAY)
    at_centre = dashboard.campaign_charts(office.db, office.admin, today=TODAY)

    def effects(charts):
        return sorted(
            (e.campaign_code, e.uses, e.unique_patients, e.total_discount, e.average_discount)
            for e in charts.effectiveness
            if e.uses
        )

    assert effects(at_centre) == effects(at_branch)
    assert len(effects(at_centre)) >= 2
    # Ties of a day and a discount may come in either order.
    assert sorted((p.day, p.campaign_code, p.uses, p.discount) for p in at_centre.timeline) == (
        sorted((p.day, p.campaign_code, p.uses, p.discount) for p in at_branch.timeline)
    )
    assert [p.day for p in at_centre.timeline] == [p.day for p in at_branch.timeline]
    assert [(p.name, p.mobile, p.uses, p.total_savings) for p in at_centre.top_patients] == [
        (p.name, p.mobile, p.uses, p.total_savings) for p in at_branch.top_patients
    ]
    # Narrowed to a branch: that branch's uses only (the other branch sold no promotion).
    demo_only = dashboard.campaign_charts(office.db, office.admin, today=TODAY, branches=(code,))
    assert effects(demo_only) == effects(at_branch)
    other_only = dashboard.campaign_charts(office.db, office.admin, today=TODAY, branches=("KOR",))
    assert (effects(other_only), other_only.timeline, other_only.top_patients) == ([], [], [])
