"""The clinic's data as CSV files in a zip (services.data_export), read back."""

import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select, update

from db.models import Base, InvoiceHeader, Patient
from domain.roles import PermissionDenied
from services import auth, data_export
from tests.services.conftest import NOW


def read_csv(archive, name):
    with archive.open(name) as raw:
        return list(csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def test_every_table_is_a_csv_with_every_row_and_formulas_are_defused(demo_db, tmp_path):
    admin = auth.sign_in(demo_db, "admin", "9999")
    with demo_db.session(write=True) as session, session.begin():
        first = session.scalars(select(Patient.id).order_by(Patient.name)).first()
        session.execute(update(Patient).where(Patient.id == first).values(name="=HYPERLINK(1)"))
    with demo_db.session(write=False) as session:
        patients = session.scalar(select(func.count()).select_from(Patient))
        invoices = session.scalar(select(func.count()).select_from(InvoiceHeader))
    steps = []

    result = data_export.export_zip(
        demo_db,
        admin,
        tmp_path / "out" / "data.zip",
        now=NOW,
        progress=lambda p, t: steps.append(p),
    )

    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        assert names == {f"{t.name}.csv" for t in Base.metadata.sorted_tables} | {"README.txt"}
        rows = read_csv(archive, "patients.csv")
        assert len(rows) == patients + 1 and "name" in rows[0] and "mobile" in rows[0]
        names_column = rows[0].index("name")
        assert "'=HYPERLINK(1)" in {row[names_column] for row in rows[1:]}
        assert len(read_csv(archive, "invoice_header.csv")) == invoices + 1
    assert result.tables == len(Base.metadata.sorted_tables) and result.rows >= patients + invoices
    assert steps[-1] == 100 and steps == sorted(steps)
    assert not list((tmp_path / "out").glob("*.partial"))


def test_only_an_admin_exports_everything(demo_db, tmp_path):
    manager = auth.sign_in(demo_db, "meera", "2222")
    with pytest.raises(PermissionDenied):
        data_export.export_zip(demo_db, manager, tmp_path / "data.zip", now=NOW)
    assert not (tmp_path / "data.zip").exists()


def test_cells_that_would_run_as_formulas_get_an_apostrophe():
    cells = ["=1+1", "+91 98450", "-2", "@SUM(A1)", "\tx", "plain", -250, None]
    assert [data_export.csv_cell(c) for c in cells] == [
        "'=1+1",
        "'+91 98450",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "plain",
        -250,
        None,
    ]
