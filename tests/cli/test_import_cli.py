"""`frontdesk import transactions` end to end: counts, a second run, a bad row, the role."""

import json

import pytest

from services.history_import import COLUMNS
from tests.cli.test_cli import run

HEADER = ",".join(COLUMNS)
SAMPLE = f"""{HEADER}
OLD-1,2024-03-30,6000000001,Asha Rao,CONSULT,Consultation,1,500,0,0
OLD-1,2024-03-30,6000000001,Asha Rao,OLDPEEL,Old peel,2,1500,300,400
OLD-2,2024-04-02,6000000002,Bina Das,OLDPEEL,Old peel,1,1500,0,400
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("import")
    path = folder / "clinic.db"
    run("--db", str(path), "init", "--demo", tmp_path=folder)
    return path


def import_as(user, pin, path, source, *extra, tmp_path, check=True):
    return run(
        "--db",
        str(path),
        "--user",
        user,
        "import",
        "transactions",
        str(source),
        *extra,
        pin=pin,
        tmp_path=tmp_path,
        check=check,
    )


def test_import_prints_what_it_added_and_a_second_run_adds_nothing(clinic, tmp_path):
    source = tmp_path / "history.csv"
    source.write_text(SAMPLE, encoding="utf-8")

    first = import_as("meera", "2222", clinic, source, tmp_path=tmp_path)
    again = import_as("meera", "2222", clinic, source, "--json", tmp_path=tmp_path)

    assert first.stdout.strip() == (
        "Imported 2 invoices (3 lines), 2 new patients, 1 new item; 0 already imported."
    )
    assert json.loads(again.stdout) == {
        "invoices_added": 0,
        "lines_added": 0,
        "patients_added": 0,
        "items_added": 0,
        "invoices_skipped": 2,
    }
    shown = run(
        "--db",
        str(clinic),
        "--user",
        "meera",
        "invoice",
        "show",
        "OLD-1",
        "--json",
        pin="2222",
        tmp_path=tmp_path,
    )
    assert json.loads(shown.stdout)["totals"]["payable"] == "3200.00"


def test_a_bad_row_exits_1_naming_its_line(clinic, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(SAMPLE.replace("OLD-2,2024-04-02", "OLD-3,2024-04-31"), encoding="utf-8")

    result = import_as("meera", "2222", clinic, source, tmp_path=tmp_path, check=False)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "frontdesk: Line 4: invoice_date must be a date written YYYY-MM-DD, not '2024-04-31'."
    )


def test_the_front_desk_is_refused(clinic, tmp_path):
    source = tmp_path / "history.csv"
    source.write_text(SAMPLE, encoding="utf-8")
    result = import_as("priya", "1111", clinic, source, tmp_path=tmp_path, check=False)
    assert result.returncode == 1
    assert "needs a manager" in result.stderr
