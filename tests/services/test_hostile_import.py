"""Issue #13 at the history import's door: numbers as spreadsheets write them and nothing
else (item 11), dates from 1990 (item 2), the counter's quantity limit (item 3), names
without control characters (item 5); and, property-tested, any cell either imports or is
refused by line and column, with the database unchanged by a refusal."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from db.models import InvoiceHeader, Patient
from services import auth
from services.history_import import COLUMNS, HistoryImportError, import_transactions
from tests.cli.test_cli import dump
from tests.services.conftest import NOW

HEADER = ",".join(COLUMNS)
ROW = "OLD-9,2024-03-30,6000000001,Asha Rao,X1,Cream,{qty},{price},0,0"


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


def write(tmp_path, text):
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("price", "paise"),
    [("1500", 150_000), ('"1,00,000.50"', 10_000_050), ('"100,000.50"', 10_000_050), ("7.5", 750)],
)
def test_plain_and_grouped_amounts_are_read(demo_db, manager, tmp_path, price, paise):
    source = write(tmp_path, f"{HEADER}\n{ROW.format(qty=1, price=price)}\n")
    import_transactions(demo_db, manager, source, now=NOW)
    with demo_db.session(write=False) as session:
        invoice = session.scalars(
            select(InvoiceHeader).where(InvoiceHeader.invoice_number == "OLD-9")
        ).one()
        assert invoice.total_amount == paise


@pytest.mark.parametrize(
    ("qty", "price", "fragment"),
    [
        ("1", "1E+3", "unit_price must be an amount"),
        ("1", "١٥٠٠", "unit_price must be an amount"),
        ("1", "１５００", "unit_price must be an amount"),
        ("١", "500", "quantity must be a whole number"),
        ("1000", "500", "quantity 1000 is more than 999"),
        ("1", '"10,00,00,000.01"', "is more than Rs.1 crore"),
    ],
)
def test_exponents_other_digits_and_huge_figures_are_refused_by_line_and_column(
    demo_db, manager, tmp_path, qty, price, fragment
):
    before = dump(demo_db.path)
    source = write(tmp_path, f"{HEADER}\n{ROW.format(qty=qty, price=price)}\n")
    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, source, now=NOW)
    assert refused.value.line == 2
    assert fragment in str(refused.value)
    assert dump(demo_db.path) == before


def test_a_date_before_1990_is_refused(demo_db, manager, tmp_path):
    before = dump(demo_db.path)
    row = ROW.format(qty=1, price=500).replace("2024-03-30", "1000-01-01")
    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, write(tmp_path, f"{HEADER}\n{row}\n"), now=NOW)
    assert refused.value.line == 2 and "before 1990-01-01" in str(refused.value)
    assert dump(demo_db.path) == before


def test_names_lose_control_characters_and_overrides(demo_db, manager, tmp_path):
    row = ROW.format(qty=1, price=500).replace("Asha Rao", "Asha\x00 \x1b[31mRao\u202e")
    import_transactions(demo_db, manager, write(tmp_path, f"{HEADER}\n{row}\n"), now=NOW)
    with demo_db.session(write=False) as session:
        names = session.scalars(select(Patient.name).where(Patient.mobile == "6000000001")).all()
    assert names == ["Asha Rao"]


CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1E+3", "1e3", "NaN", "-0", "１", "١", "9" * 30, "1,00", "0.001", "=1+1"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(qty=CELLS, price=CELLS, name=CELLS, day=CELLS)
def test_any_cells_import_or_are_refused_leaving_the_file_as_it_was(
    demo_db, manager, tmp_path, qty, price, name, day
):
    def cell(text):
        return '"' + text.replace('"', '""') + '"'

    row = ",".join(
        ["OLD-P", cell(day), "6000000001", cell(name), "X1", "Cream", cell(qty), cell(price)]
        + ["0", "0"]
    )
    before = dump(demo_db.path)
    try:
        import_transactions(demo_db, manager, write(tmp_path, f"{HEADER}\n{row}\n"), now=NOW)
    except HistoryImportError as refused:
        assert str(refused)  # a sentence; anything else escaping is a failure
        assert dump(demo_db.path) == before
