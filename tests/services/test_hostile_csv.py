"""Issue #13 item 5: the CSV files the app writes defuse formulas, and a catalog name loses
its control characters on the way in."""

import csv

import pytest

from desktop.widgets.chart_data import Table, write_csv
from services import auth, catalog
from tests.services.conftest import NOW
from tests.services.test_catalog_admin import SERUM


def test_the_catalog_export_defuses_a_formula_name(demo_db, tmp_path):
    manager = auth.sign_in(demo_db, "meera", "2222")
    catalog.save_item(
        demo_db, manager, {**SERUM, "name": '=HYPERLINK("http://x","\x1b[2Jclick")\u202e'}, now=NOW
    )
    target = tmp_path / "items.csv"
    catalog.export_items(demo_db, manager, target, now=NOW)
    with target.open(encoding="utf-8", newline="") as handle:
        names = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    assert names["PEPTIDE-SERUM"] == '\'=HYPERLINK("http://x","click")'
    # Read back by the catalog import, the name is the same again: nothing changes.
    imported = catalog.import_items(demo_db, manager, target, now=NOW)
    assert imported.added == imported.changed == 0


def test_the_catalog_import_refuses_an_exponent_by_line(demo_db, tmp_path):
    manager = auth.sign_in(demo_db, "meera", "2222")
    target = tmp_path / "items.csv"
    catalog.export_items(demo_db, manager, target, now=NOW)
    with target.open(encoding="utf-8", newline="") as handle:
        header, first, *_others = csv.reader(handle)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, [*first[:4], "1E+3", *first[5:]]])
    with pytest.raises(catalog.CatalogError, match="Line 2: .*price"):
        catalog.import_items(demo_db, manager, target, now=NOW)


def test_a_charts_csv_defuses_formulas(tmp_path):
    target = tmp_path / "chart.csv"
    write_csv(target, Table(("name", "net"), (("@SUM(A1)", "12.50"), ("Asha", "-3"))))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["name", "net"], ["'@SUM(A1)", "12.50"], ["Asha", "'-3"]]
