"""The dashboard service on a real SQLite file, against an independent pandas computation."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import insert, select, update

from db.models import Branch, InvoiceHeader, Patient
from domain.roles import PermissionDenied
from services import auth, dashboard
from services.dashboard import DashboardError, DashboardFilters
from services.setup import initialise, open_branch_database
from tests.services import rfm_reference

NOW = datetime(2026, 11, 24, 5, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)
NAMES = ["Asha Rao", "Ravi Kumar", "Meena Iyer", "Arjun Rao", "Sana Khan", "Kiran Shah"]


def random_clinic(path, seed, *, patients=220, invoices=1400, start_month=4):
    """A blank clinic with random visits, and the same visits as a pandas frame."""
    rng = random.Random(seed)
    db = open_branch_database(path, now=NOW)
    initialise(db, demo=False, now=NOW, today=TODAY, admin_pin="432109")
    people = []
    for index in range(patients):
        mobile = f"9{rng.randrange(10**8, 10**9):09d}" if index % 7 else "9876543210"
        people.append((uuid.uuid4(), f"{rng.choice(NAMES)} {index}", mobile))
    rows, frame = [], []
    first_day = date(2022, 1, 1)
    for number in range(invoices):
        patient_id, name, mobile = rng.choice(people[: rng.choice([30, patients])])
        day = first_day + timedelta(days=rng.randrange((TODAY - first_day).days + 1))
        quantity = rng.randint(1, 4)
        gross = rng.choice([50_000, 120_000, 250_000, rng.randrange(10_000, 900_000)])
        discount = rng.choice([0, 0, gross // 10, rng.randrange(0, gross // 2 + 1)])
        cost = rng.randrange(0, 200_000)
        status = "cancelled" if rng.random() < 0.05 else "issued"
        rows.append(
            {
                "id": uuid.uuid4(),
                "invoice_number": f"H-{number}",
                "fiscal_year": "x",
                "invoice_date": day,
                "patient_id": patient_id,
                "created_at": NOW,
                "status": status,
                "gross_amount": gross,
                "total_discount": discount,
                "tax_amount": 0,
                "round_off": 0,
                "total_amount": gross - discount,
                "is_history": True,
                "notes": "",
                "total_quantity": quantity,
                "total_cost": cost,
            }
        )
        frame.append(
            {
                "patient": patient_id.hex,
                "name": name,
                "mobile": mobile,
                "date": pd.Timestamp(day),
                "status": status,
                "quantity": quantity,
                "net": (gross - discount) / 100,
                "cost": cost / 100,
            }
        )
    with db.session(write=True) as session, session.begin():
        branch = session.query(Branch).one()
        session.execute(update(Branch).values(fiscal_year_start_month=start_month))
        session.execute(
            insert(Patient),
            [
                {
                    "id": patient_id,
                    "branch_id": branch.id,
                    "name": name,
                    "mobile": mobile,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for patient_id, name, mobile in people
            ],
        )
        session.execute(insert(InvoiceHeader), [{**row, "branch_id": branch.id} for row in rows])
    return db, pd.DataFrame(frame)


def close(ours, theirs):
    """Two-decimal figures agree with the float computation to within rounding."""
    return abs(float(ours) - float(theirs)) <= 0.0051


def assert_same(report, expected):
    figures = report.figures
    kpis = figures.kpis
    want = expected["kpi"]
    assert kpis.total_customer == want["total_customer"]
    for name in (
        "unit_per_transaction",
        "profit_per_customer",
        "customer_spending",
        "days_to_return",
        "retention_rate",
    ):
        assert close(getattr(kpis, name), want[name]), (name, getattr(kpis, name), want[name])
    for chart in (
        "r_scores",
        "f_scores",
        "m_scores",
        "recency",
        "visits",
        "value",
        "return_gap",
        "segments",
    ):
        assert [bar.count for bar in getattr(figures, chart)] == expected[chart], chart
    assert len(figures.fiscal_years) == len(expected["fiscal_years"])
    for ours, theirs in zip(figures.fiscal_years, expected["fiscal_years"], strict=True):
        assert (ours.customers, ours.new) == (theirs["customers"], theirs["new"])
        assert close(ours.new_percent, theirs["new_percent"])
        assert close(ours.old_percent, theirs["old_percent"])


@pytest.fixture
def admin_of():
    def sign_in(db):
        return auth.sign_in(db, "admin", "432109")

    return sign_in


WINDOWS = [
    (None, None),
    (date(2023, 4, 1), date(2025, 3, 31)),
    (date(2024, 7, 15), date(2026, 2, 10)),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_every_figure_matches_an_independent_pandas_computation(
    tmp_path, admin_of, seed, start, end
):
    db, frame = random_clinic(tmp_path / "clinic.db", seed)
    report = dashboard.rfm_report(
        db, admin_of(db), DashboardFilters(start=start, end=end), today=TODAY
    )
    db.close()
    first = start or frame[frame.status == "issued"].date.min().date()
    assert (report.start, report.end) == (first, end or TODAY)
    assert_same(report, rfm_reference.compute(frame, first, end or TODAY))


FILTERS = [
    {"name": "rao"},
    {"mobile": "9876543210"},
    {"r": 5},
    {"f": 1, "m": 2},
    {"name": "KUMAR", "r": 3},
    {"scheme": "ten"},
    {"scheme": "ten", "m": 5},
]


@pytest.mark.parametrize("chosen", FILTERS)
def test_filters_choose_customers_after_scoring_the_whole_window(tmp_path, admin_of, chosen):
    db, frame = random_clinic(tmp_path / "clinic.db", 7, start_month=1)
    start, end = date(2023, 1, 1), date(2026, 6, 30)
    report = dashboard.rfm_report(
        db, admin_of(db), DashboardFilters(start=start, end=end, **chosen), today=TODAY
    )
    rows = dashboard.customers(db, admin_of(db), report)
    db.close()
    expected = rfm_reference.compute(frame, start, end, start_month=1, **chosen)
    assert_same(report, expected)
    picked = expected["customers"]
    assert {row.patient_id.hex for row in rows} == set(picked.index)
    for row in rows:
        want = picked.loc[row.patient_id.hex]
        assert (row.r, row.f, row.m, row.segment) == (want.R, want.F, want.M, want.segment)
        assert (row.recency, row.frequency) == (want.recency, want.visits)
        assert row.monetary == round(want.net * 100)
        assert (row.name, row.mobile) == (want["name"], want.mobile)


def test_value_buckets_are_the_managers_choice(tmp_path, admin_of):
    db, frame = random_clinic(tmp_path / "clinic.db", 11)
    ends = dashboard.parse_value_ends("2,500 10000; 40000")
    report = dashboard.rfm_report(db, admin_of(db), DashboardFilters(value_ends=ends), today=TODAY)
    db.close()
    first = frame[frame.status == "issued"].date.min().date()
    expected = rfm_reference.compute(frame, first, TODAY, value_ends=ends)
    assert [bar.label for bar in report.figures.value] == [
        "0-2,500",
        "2,500-10,000",
        "10,000-40,000",
        ">40,000",
    ]
    assert [bar.count for bar in report.figures.value] == expected["value"]


def test_a_click_lists_the_patients_behind_the_bar(tmp_path, admin_of):
    db, _frame = random_clinic(tmp_path / "clinic.db", 5)
    admin = admin_of(db)
    report = dashboard.rfm_report(db, admin, DashboardFilters(), today=TODAY)
    for bar in report.figures.segments:
        rows = dashboard.customers(db, admin, report, chart="segments", key=bar.label)
        assert len(rows) == bar.count
        assert {row.segment for row in rows} <= {bar.label}
        assert [row.monetary for row in rows] == sorted(
            (row.monetary for row in rows), reverse=True
        )
    split = report.figures.fiscal_years[-1]
    new = dashboard.customers(db, admin, report, chart="fiscal_years", key=f"{split.label} new")
    old = dashboard.customers(db, admin, report, chart="fiscal_years", key=f"{split.label} old")
    db.close()
    assert (len(new), len(old)) == (split.new, split.old)


def test_cancelled_invoices_and_later_visits_do_not_count(tmp_path, admin_of):
    db, frame = random_clinic(tmp_path / "clinic.db", 9, invoices=300)
    before = dashboard.rfm_report(
        db, admin_of(db), DashboardFilters(end=date(2025, 12, 31)), today=TODAY
    )
    with db.session(write=True) as session, session.begin():
        session.execute(
            update(InvoiceHeader)
            .where(InvoiceHeader.invoice_date > date(2025, 12, 31))
            .values(gross_amount=InvoiceHeader.gross_amount * 2)
        )
        session.execute(
            update(InvoiceHeader)
            .where(InvoiceHeader.status == "cancelled")
            .values(total_quantity=99, gross_amount=999_999_900)
        )
    after = dashboard.rfm_report(
        db, admin_of(db), DashboardFilters(end=date(2025, 12, 31)), today=TODAY
    )
    db.close()
    assert after.figures == before.figures
    assert before.figures.kpis.customer_spending > Decimal(0)


def test_the_walk_in_customer_is_not_a_customer_of_the_dashboard(tmp_path, admin_of):
    db, frame = random_clinic(tmp_path / "clinic.db", 4, invoices=500)
    busiest = frame[frame.status == "issued"].patient.value_counts().index[0]
    with db.session(write=True) as session, session.begin():
        session.execute(
            update(Patient).where(Patient.id == uuid.UUID(hex=busiest)).values(is_walk_in=True)
        )
    report = dashboard.rfm_report(db, admin_of(db), DashboardFilters(), today=TODAY)
    rows = dashboard.customers(db, admin_of(db), report)
    db.close()
    others = frame[frame.patient != busiest]
    first = frame[frame.status == "issued"].date.min().date()
    assert_same(report, rfm_reference.compute(others, first, TODAY))
    assert busiest not in {row.patient_id.hex for row in rows}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (DashboardFilters(start=date(2026, 5, 1), end=date(2026, 4, 1)), "after it ends"),
        (DashboardFilters(mobile="12345"), "10 digits"),
        (DashboardFilters(r=0), "R score is 1-5"),
        (DashboardFilters(scheme="other"), "'seed' or 'ten'"),
        (DashboardFilters(value_ends=(5000, 1000)), "increasing"),
    ],
)
def test_bad_filters_are_refused_with_a_sentence(demo_db, filters, message):
    manager = auth.sign_in(demo_db, "meera", "2222")
    with pytest.raises(DashboardError, match=message):
        dashboard.rfm_report(demo_db, manager, filters, today=TODAY)


def test_the_front_desk_cannot_read_the_dashboard(demo_db):
    desk = auth.sign_in(demo_db, "priya", "1111")
    with pytest.raises(PermissionDenied):
        dashboard.refresh(demo_db, desk, DashboardFilters(), today=TODAY)


def test_refresh_reports_progress_and_brings_the_campaign_charts(demo_db):
    manager = auth.sign_in(demo_db, "meera", "2222")
    steps = []
    board = dashboard.refresh(
        demo_db,
        manager,
        DashboardFilters(),
        today=TODAY,
        progress=lambda percent, text: steps.append(percent),
    )
    assert steps == sorted(steps) and steps[-1] == 100
    assert board.rfm.figures.kpis.total_customer > 100
    codes = {effect.campaign_code for effect in board.campaigns.effectiveness}
    assert "PREMIUM_CONSULT" in codes
    assert all(TODAY - point.day < timedelta(days=30) for point in board.campaigns.timeline)
    assert board.campaigns.top_patients


def test_an_empty_clinic_shows_zeros(tmp_path, admin_of):
    db = open_branch_database(tmp_path / "empty.db", now=NOW)
    initialise(db, demo=False, now=NOW, today=TODAY, admin_pin="432109")
    report = dashboard.rfm_report(db, admin_of(db), DashboardFilters(), today=TODAY)
    db.close()
    assert report.figures.kpis.total_customer == 0
    assert (report.start, report.end) == (TODAY, TODAY)


@pytest.mark.parametrize(
    ("typed", "ends"),
    [
        ("1000 2000 5000", (1000, 2000, 5000)),
        ("1000, 2000, 5000", (1000, 2000, 5000)),
        ("1000,2000,5000", (1000, 2000, 5000)),
        ("2,500; 1,00,000", (2500, 100000)),
        ("50,000 100,000", (50000, 100000)),
    ],
)
def test_value_bucket_ends_read_as_a_manager_types_them(typed, ends):
    assert dashboard.parse_value_ends(typed) == ends


@pytest.mark.parametrize("typed", ["", "abc", "1000 500", "0 100", "12.5"])
def test_value_bucket_ends_that_make_no_buckets_are_refused(typed):
    with pytest.raises(DashboardError, match="increasing whole rupees"):
        dashboard.parse_value_ends(typed)


@pytest.mark.parametrize("old_day", [date(1960, 6, 1), date(1000, 1, 1), date(1, 1, 1)])
def test_an_old_visit_neither_zeroes_nor_breaks_the_fiscal_years(demo_db, old_day):
    # Issue #13 item 2: a file written before dates were bounded may hold any date; one
    # visit in 1960 packed 67 fiscal years into a 64-bit mask (every year showed 0), 1000
    # made the query too large, year 1 named fiscal year 0.
    admin = auth.sign_in(demo_db, "admin", "9999")
    before = dashboard.rfm_report(demo_db, admin, DashboardFilters(), today=TODAY)
    counts = {fy.label: fy.customers for fy in before.figures.fiscal_years}
    with demo_db.session(write=True) as session, session.begin():
        oldest = session.scalars(
            select(InvoiceHeader).where(InvoiceHeader.status == "issued").limit(1)
        ).one()
        session.execute(
            update(InvoiceHeader).where(InvoiceHeader.id == oldest.id).values(invoice_date=old_day)
        )
    after = dashboard.rfm_report(demo_db, admin, DashboardFilters(), today=TODAY)
    shown = {fy.label: fy.customers for fy in after.figures.fiscal_years}
    assert all(shown[label] >= count - 1 for label, count in counts.items())
    assert sum(shown.values()) >= sum(counts.values())
    assert max(shown.values()) > 0
