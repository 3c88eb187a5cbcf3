"""`frontdesk report rfm` and `rfm-customers` end to end, against the service's figures."""

import json
from datetime import UTC, date, datetime

import pytest

from services import auth, dashboard
from services.setup import open_branch_database
from tests.cli.test_cli import run

START, END = date(2025, 4, 1), date(2026, 3, 31)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rfm")
    path = folder / "clinic.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


def report(path, *args, tmp_path, user="meera", pin="2222", check=True):
    return run(
        "--db", str(path), "--user", user, "report", *args, pin=pin, tmp_path=tmp_path, check=check
    )


def service_report(path, **filters):
    db = open_branch_database(path, now=datetime.now(UTC))
    try:
        manager = auth.sign_in(db, "meera", "2222")
        chosen = dashboard.DashboardFilters(start=START, end=END, **filters)
        found = dashboard.rfm_report(db, manager, chosen, today=END)
        return found, dashboard.customers(db, manager, found)
    finally:
        db.close()


def test_rfm_json_is_the_services_figures_under_seed_003s_names(clinic, tmp_path):
    window = ["--from", START.isoformat(), "--to", END.isoformat()]
    data = json.loads(
        report(clinic, "rfm", *window, "--r", "5", "--json", tmp_path=tmp_path).stdout
    )
    expected, _rows = service_report(clinic, r=5)
    figures = expected.figures
    assert data["window"] == {"from": "2025-04-01", "to": "2026-03-31"}
    assert data["kpi"]["total_customer"] == figures.kpis.total_customer > 0
    assert data["kpi"]["customer_spending"] == str(figures.kpis.customer_spending)
    assert data["kpi"]["retention_rate"] == str(figures.kpis.retention_rate)
    assert [bar["count"] for bar in data["r_score_data"]] == [
        0,
        0,
        0,
        0,
        figures.kpis.total_customer,
    ]
    assert [bar["count"] for bar in data["segment_data"]] == [bar.count for bar in figures.segments]
    assert [row["new"] for row in data["fiscal_year_data"]] == [
        split.new for split in figures.fiscal_years
    ]
    assert data["edges"]["recency"]["scores"] == [5, 4, 3, 2, 1]
    assert data["edges"]["monetary"]["lower"] == [str(x) for x in figures.edges["monetary"].lower]


def test_rfm_customers_lists_each_customer_with_scores(clinic, tmp_path):
    window = ["--from", START.isoformat(), "--to", END.isoformat()]
    args = ["rfm-customers", *window, "--name", "rao", "--scheme", "ten", "--json"]
    rows = json.loads(report(clinic, *args, tmp_path=tmp_path).stdout)
    _report, expected = service_report(clinic, name="rao", scheme="ten")
    assert [row["patient_id"] for row in rows] == [str(row.patient_id) for row in expected]
    assert rows and all("rao" in row["name"].lower() for row in rows)
    first = expected[0]
    assert rows[0]["segment"] == first.segment
    assert (rows[0]["r"], rows[0]["f"], rows[0]["m"]) == (first.r, first.f, first.m)
    assert rows[0]["monetary"] == f"{first.monetary // 100}.{first.monetary % 100:02d}"
    text = report(clinic, "rfm", *window, tmp_path=tmp_path).stdout
    assert "Segments: CHAMPIONS" in text and "FY 2025-2026" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-05-01", "--to", "2026-04-01"], "after it ends"),
        (["--mobile", "123"], "10 digits"),
        (["--value-buckets", "5000 1000"], "increasing"),
    ],
)
def test_bad_filters_exit_2_with_a_sentence(clinic, tmp_path, args, message):
    result = report(clinic, "rfm", *args, tmp_path=tmp_path, check=False)
    assert result.returncode == 2
    assert message in result.stderr


def test_the_front_desk_is_refused(clinic, tmp_path):
    result = report(clinic, "rfm", tmp_path=tmp_path, user="priya", pin="1111", check=False)
    assert result.returncode == 1
    assert "manager" in result.stderr.lower()
