"""Importing billing history from a CSV: grouping, totals, patients and items, all or nothing."""

import sqlite3
from datetime import date
from decimal import Decimal

import pytest
from filelock import FileLock
from sqlalchemy import func, select

from db.models import (
    AppSetting,
    AuditLog,
    CatalogItem,
    InvoiceHeader,
    InvoiceSequence,
    Patient,
    SyncOutbox,
)
from domain.fiscal import fiscal_year_label
from domain.invoice_numbers import DEFAULT_FORMAT, format_invoice_number
from domain.patients import NewPatient
from domain.roles import PermissionDenied
from services import auth, history_import, invoicing, patients
from services.history_import import COLUMNS, HistoryImportError, ImportResult, import_transactions
from tests.services.conftest import NOW, TODAY
from tests.services.invoice_helpers import cart

HEADER = ",".join(COLUMNS)

# Asha and Ravi share a mobile (family); Lakshmi Shetty is the demo's patient 7992905876,
# written here in other case and spacing.
SAMPLE = f"""{HEADER}
OLD-1001,2024-03-30,6000000001,Asha  Rao,CONSULT,Consultation,1,500,0,0
OLD-1001,2024-03-30,6000000001,Asha Rao,OLDPEEL,Old peel,2,1500.50,300,400.25
OLD-1002,2024-04-02,+91 60000 00001,asha rao,OLDPEEL,Old peel (renamed),1,1600,,410
OLD-1003,2024-04-02,6000000001,Ravi Rao,OLDCREAM,Cream,3,250,25.5,100
OLD-1004,2024-05-10,7992905876,LAKSHMI  shetty,consult,Consult,2,450,0,0
"""


@pytest.fixture
def manager(demo_db):
    return auth.sign_in(demo_db, "meera", "2222")


@pytest.fixture
def desk(demo_db):
    return auth.sign_in(demo_db, "priya", "1111")


def write(tmp_path, text, name="history.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def table_counts(db):
    """Rows in every table of the file (the FTS index's own tables too)."""
    con = sqlite3.connect(db.path)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        con.close()


def history(db, number):
    with db.session(write=False) as session:
        invoice = session.scalars(
            select(InvoiceHeader).where(InvoiceHeader.invoice_number == number)
        ).one()
        return invoice, list(invoice.lines)


def test_invoices_are_grouped_with_their_totals_and_kept_as_history(demo_db, manager, tmp_path):
    result = import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)

    assert result == ImportResult(
        invoices_added=4, lines_added=5, patients_added=2, items_added=2, invoices_skipped=0
    )
    invoice, lines = history(demo_db, "OLD-1001")
    assert invoice.is_history and invoice.status == "issued"
    assert (invoice.series, invoice.sequence_no) == (None, None)
    assert invoice.fiscal_year == "2023-2024"
    assert invoice.invoice_date == date(2024, 3, 30)
    assert invoice.created_by == manager.id and invoice.created_at == NOW
    assert invoice.gross_amount == 500_00 + 2 * 1500_50
    assert invoice.total_discount == 300_00
    assert invoice.total_amount == 500_00 + 2 * 1500_50 - 300_00
    assert (invoice.tax_amount, invoice.round_off) == (0, 0)
    assert invoice.total_quantity == 3
    assert invoice.total_cost == 2 * 400_25
    assert invoice.campaigns_applied is None and invoice.notes == ""

    consult, peel = lines
    assert (consult.line_no, consult.item_code, consult.item_name) == (1, "CONSULT", "Consultation")
    assert (consult.item_type, consult.category) == ("service", "Consultation")
    assert consult.discount_type is None and consult.discount_percent == 0
    assert (peel.line_no, peel.item_code, peel.item_name) == (2, "OLDPEEL", "Old peel")
    assert (peel.quantity, peel.unit_price, peel.unit_cost) == (2, 1500_50, 400_25)
    assert (peel.gross_amount, peel.discount_amount, peel.line_total) == (3001_00, 300_00, 2701_00)
    assert peel.discount_type == "manual" and peel.discount_percent == Decimal("10.00")
    assert (peel.tax_rate, peel.tax_amount, peel.promotion_id) == (0, 0, None)

    later, later_lines = history(demo_db, "OLD-1002")
    assert later.fiscal_year == "2024-2025"
    assert later.total_discount == 0 and later_lines[0].discount_type is None
    assert later_lines[0].item_name == "Old peel"  # the catalog's name, not the row's
    cream, cream_lines = history(demo_db, "OLD-1003")
    assert (cream.gross_amount, cream.total_discount, cream.total_amount) == (750_00, 25_50, 724_50)
    assert cream.total_cost == 3 * 100_00
    assert cream_lines[0].discount_percent == Decimal("3.40")


def test_patients_are_matched_by_mobile_and_name_and_new_ones_are_searchable(
    demo_db, manager, tmp_path
):
    before = patients.resolve_patient(demo_db, "7992905876")
    import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)

    asha, _ = history(demo_db, "OLD-1001")
    assert history(demo_db, "OLD-1002")[0].patient_id == asha.patient_id
    ravi, _ = history(demo_db, "OLD-1003")
    assert ravi.patient_id != asha.patient_id
    assert history(demo_db, "OLD-1004")[0].patient_id == before.id
    assert patients.get_patient(demo_db, before.id).visits == before.visits + 1

    with demo_db.session(write=False) as session:
        added = session.execute(
            select(Patient.name, Patient.mobile, Patient.branch_id).where(
                Patient.mobile == "6000000001"
            )
        ).all()
        queued = session.scalars(
            select(SyncOutbox.doc_type).where(SyncOutbox.doc_id == asha.patient_id)
        ).all()
        invoices_queued = session.scalar(select(SyncOutbox.id).where(SyncOutbox.doc_id == asha.id))
    assert sorted(added) == [
        ("Asha Rao", "6000000001", manager.branch_id),
        ("Ravi Rao", "6000000001", manager.branch_id),
    ]
    assert queued == ["patient"]
    assert invoices_queued is None  # history stays at the branch
    assert [m.id for m in patients.find_patients(demo_db, "asha 600000")] == [asha.patient_id]
    assert {m.name for m in patients.find_patients(demo_db, "6000000001")} == {
        "Asha Rao",
        "Ravi Rao",
    }


def test_unknown_items_are_added_switched_off_at_the_first_price_seen(demo_db, manager, tmp_path):
    import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)
    with demo_db.session(write=False) as session:
        items = {
            item.code: item
            for item in session.scalars(
                select(CatalogItem).where(CatalogItem.code.in_(["OLDPEEL", "OLDCREAM"]))
            )
        }
        consult = session.scalars(select(CatalogItem).where(CatalogItem.code == "CONSULT")).one()
    peel = items["OLDPEEL"]
    assert (peel.name, peel.price, peel.cost) == ("Old peel", 1500_50, 400_25)
    assert (peel.item_type, peel.category, peel.is_active) == ("service", "Imported", False)
    assert items["OLDCREAM"].is_active is False
    assert consult.is_active  # an item on record is left as it is


def test_the_branch_series_is_untouched_and_the_counter_continues_it(
    demo_db, manager, desk, tmp_path
):
    with demo_db.session(write=False) as session:
        sequences = session.execute(select(InvoiceSequence.__table__)).all()
    import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)
    with demo_db.session(write=False) as session:
        assert session.execute(select(InvoiceSequence.__table__)).all() == sequences
    year = fiscal_year_label(NOW.date())
    last = max(row.last_number for row in sequences if row.fiscal_year == year)

    saved = invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT"), now=NOW)

    assert saved.invoice_number == format_invoice_number(
        "SVC", year, last + 1, template=DEFAULT_FORMAT, branch_code="IND"
    )


def test_importing_the_same_file_twice_adds_nothing(demo_db, manager, tmp_path):
    source = write(tmp_path, SAMPLE)
    import_transactions(demo_db, manager, source, now=NOW)
    before = table_counts(demo_db)

    again = import_transactions(demo_db, manager, source, now=NOW)

    assert again == ImportResult(0, 0, 0, 0, invoices_skipped=4)
    assert table_counts(demo_db) == before


def test_an_import_is_audited_with_its_counts(demo_db, manager, tmp_path):
    import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)
    with demo_db.session(write=False) as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "history.import")).one()
    assert entry.user_id == manager.id
    assert entry.details == {
        "file": "history.csv",
        "invoices_added": 4,
        "lines_added": 5,
        "patients_added": 2,
        "items_added": 2,
        "invoices_skipped": 0,
    }


def test_one_bad_row_in_the_middle_writes_nothing_at_all(demo_db, manager, tmp_path):
    rows = SAMPLE.splitlines()
    rows.insert(3, "OLD-2000,2024-04-01,6000000002,Bina Das,NEWITEM,New,1.5,100,0,10")
    before = table_counts(demo_db)

    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, write(tmp_path, "\n".join(rows)), now=NOW)

    assert refused.value.line == 4
    assert str(refused.value) == "Line 4: quantity must be a whole number above 0, not '1.5'."
    assert table_counts(demo_db) == before


GOOD = "OLD-1,2024-03-30,6000000001,Asha Rao,CONSULT,Consultation,1,500,0,0"


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("OLD-2,30/03/2024,6000000001,Asha Rao,X1,X,1,500,0,0", "invoice_date must be a date"),
        ("OLD-2,2024-02-30,6000000001,Asha Rao,X1,X,1,500,0,0", "invoice_date must be a date"),
        ("OLD-2,2027-01-01,6000000001,Asha Rao,X1,X,1,500,0,0", "invoice_date 2027-01-01 is after"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,0,500,0,0", "quantity must be a whole number"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,two,500,0,0", "quantity must be a whole"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,-5,0,0", "unit_price cannot be negative"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,abc,0,0", "unit_price must be an amount"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,500,0,-1", "cost cannot be negative"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,500,0,", "cost is empty"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,2,500,1000.01,0", "discount 1000.01 is more"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,10.005,0,0", "more than two decimal places"),
        ("OLD-2,2024-03-30,12345,Asha Rao,X1,X,1,500,0,0", "patient_mobile must be a 10-digit"),
        ("OLD-2,2024-03-30,6000000001, ,X1,X,1,500,0,0", "patient_name must have at least two"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,,X,1,500,0,0", "item_code is empty"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,,1,500,0,0", "item_name is empty"),
        (",2024-03-30,6000000001,Asha Rao,X1,X,1,500,0,0", "invoice_number is empty"),
        ("OLD-2,2024-03-30,6000000001,Asha Rao,X1,X,1,500,0", "has 9 values where the header"),
        ("OLD-1,2024-03-31,6000000001,Asha Rao,X1,X,1,500,0,0", "invoice_date 2024-03-31 differs"),
        (
            "OLD-1,2024-03-30,6000000009,Asha Rao,X1,X,1,500,0,0",
            "patient_mobile 6000000009 differs",
        ),
        ("OLD-1,2024-03-30,6000000001,Ravi Rao,X1,X,1,500,0,0", "patient_name 'Ravi Rao' differs"),
    ],
    ids=[
        "date-format",
        "date-impossible",
        "date-future",
        "quantity-zero",
        "quantity-word",
        "price-negative",
        "price-word",
        "cost-negative",
        "cost-empty",
        "discount-above-gross",
        "too-many-decimals",
        "mobile",
        "name",
        "item-code",
        "item-name",
        "invoice-number",
        "short-row",
        "other-date-than-its-invoice",
        "other-mobile-than-its-invoice",
        "other-patient-than-its-invoice",
    ],
)
def test_a_bad_row_is_refused_naming_its_line_and_column(demo_db, manager, tmp_path, row, fragment):
    before = table_counts(demo_db)
    source = write(tmp_path, f"{HEADER}\n{GOOD}\n{row}\n{GOOD}\n")

    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, source, now=NOW)

    assert refused.value.line == 3
    assert str(refused.value).startswith("Line 3: ")
    assert fragment in str(refused.value)
    assert table_counts(demo_db) == before


def test_a_disagreeing_row_names_where_its_invoice_begins(demo_db, manager, tmp_path):
    text = f"{HEADER}\n{GOOD}\n{GOOD.replace('2024-03-30', '2024-04-01')}\n"
    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, write(tmp_path, text), now=NOW)
    assert str(refused.value) == (
        "Line 3: invoice_date 2024-04-01 differs from 2024-03-30 on line 2, "
        "where invoice OLD-1 begins."
    )


@pytest.mark.parametrize("missing", ["cost", "invoice_date"])
def test_a_header_missing_a_column_is_refused(demo_db, manager, tmp_path, missing):
    header = [name for name in COLUMNS if name != missing]
    with pytest.raises(HistoryImportError) as refused:
        import_transactions(
            demo_db, manager, write(tmp_path, ",".join(header) + "\n" + GOOD + "\n"), now=NOW
        )
    assert refused.value.line == 1
    assert str(refused.value).startswith(f"Line 1: the header lacks the column {missing} ")


def test_columns_may_come_in_any_order_with_extra_ones(demo_db, manager, tmp_path):
    text = (
        "\ufeffNotes, Cost ,discount,unit_price,quantity,item_name,item_code,patient_name,"
        "patient_mobile,invoice_date,invoice_number\n"
        "paid cash,100,0,500,1,Cream,OLDCREAM,Asha Rao,6000000001,2024-03-30,OLD-7\n"
        ",,,,,,,,,,\n"
    )
    result = import_transactions(demo_db, manager, write(tmp_path, text), now=NOW)
    assert (result.invoices_added, result.lines_added) == (1, 1)
    invoice, _ = history(demo_db, "OLD-7")
    assert (invoice.total_amount, invoice.total_cost) == (500_00, 100_00)


def test_a_number_of_the_branchs_own_invoices_is_refused(demo_db, manager, tmp_path):
    with demo_db.session(write=False) as session:
        own = session.scalars(select(InvoiceHeader.invoice_number).limit(1)).one()
    text = f"{HEADER}\n{GOOD}\n{GOOD.replace('OLD-1', own)}\n"

    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, write(tmp_path, text), now=NOW)

    assert str(refused.value) == (
        f"Line 3: invoice number {own} is already used by one of this branch's invoices."
    )


def test_a_number_the_counter_may_still_reach_is_refused(demo_db, manager, tmp_path):
    text = f"{HEADER}\n{GOOD.replace('OLD-1', 'IND/30-31/00001')}\n"
    with pytest.raises(HistoryImportError, match="own numbering"):
        import_transactions(demo_db, manager, write(tmp_path, text), now=NOW)


def test_the_front_desk_cannot_import(demo_db, desk, tmp_path):
    with pytest.raises(PermissionDenied):
        import_transactions(demo_db, desk, write(tmp_path, SAMPLE), now=NOW)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "history.csv is empty"),
        (HEADER.encode() + b"\n", "no invoice lines"),
        (
            (HEADER + "\n" + GOOD + "\n").encode()
            + "OLD-2,2024-03-30,6000000001,José".encode("cp1252"),
            "Line 3: the file is not UTF-8 text",
        ),
    ],
    ids=["empty", "header-only", "not-utf8"],
)
def test_an_unusable_file_is_refused_with_a_clear_message(
    demo_db, manager, tmp_path, content, fragment
):
    source = tmp_path / "history.csv"
    source.write_bytes(content)
    with pytest.raises(HistoryImportError) as refused:
        import_transactions(demo_db, manager, source, now=NOW)
    assert fragment in str(refused.value)


def test_progress_climbs_to_its_total(demo_db, manager, tmp_path):
    rows = [
        f"OLD-{n // 3},2024-03-30,6000000001,Asha Rao,CONSULT,Consultation,1,500,0,0"
        for n in range(12_000)
    ]
    calls = []
    import_transactions(
        demo_db,
        manager,
        write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"),
        now=NOW,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(calls) > 4
    # Each row checked, then staged, then a tenth more for publishing.
    assert all(total == 25_200 for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert (24_000, 25_200) in calls  # staged, before publishing
    assert calls[-1] == (25_200, 25_200)


def test_a_progress_callback_that_raises_cancels_the_import(demo_db, manager, tmp_path):
    rows = [
        f"OLD-{n},2024-03-30,6000000001,Asha Rao,CONSULT,Consultation,1,500,0,0"
        for n in range(6_000)
    ]
    before = table_counts(demo_db)

    class Cancelled(Exception):
        pass

    def cancel(done, total):
        if done > total // 2:  # while writing
            raise Cancelled

    with pytest.raises(Cancelled):
        import_transactions(
            demo_db,
            manager,
            write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"),
            now=NOW,
            progress=cancel,
        )
    assert table_counts(demo_db) == before


# -- staging, then publishing (issue #13 item 4) -------------------------------------------


def other_desk(db, busy_timeout_ms=300):
    """Another desk on the same file that gives up after `busy_timeout_ms` of waiting."""
    from tests.db.test_sqlite_engine import _second_database

    return _second_database(db.path, busy_timeout_ms)


def many_rows(count, prefix="OLD"):
    return HEADER + "\n" + "\n".join(
        f"{prefix}-{n // 2},2024-03-30,60000{n // 10:05d},Person {n // 10},CONSULT,Consult,1,500,0,0"
        for n in range(count)
    ) + "\n"  # fmt: skip


def while_staging(action):
    """A progress callback that runs `action` once, while rows are being staged."""
    done_once = []

    def progress(done, total):
        if total // 2 < done < total and not done_once:
            done_once.append(action())

    return progress, done_once


def test_the_counter_saves_while_an_import_is_being_staged(demo_db, manager, tmp_path):
    desk = other_desk(demo_db)
    priya = auth.sign_in(desk, "priya", "1111")
    try:
        progress, saved = while_staging(
            lambda: invoicing.save_invoice(desk, priya, cart(desk, "CONSULT"), now=NOW)
        )
        result = import_transactions(
            demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW, progress=progress
        )
    finally:
        desk.close()

    # The save went through in 300 ms at most although the import was not done.
    assert len(saved) == 1 and saved[0].invoice_number
    assert result.invoices_added == 6_000
    assert history(demo_db, "OLD-5999")[0].is_history


def test_a_patient_registered_meanwhile_is_not_added_twice(demo_db, manager, tmp_path):
    progress, registered = while_staging(
        lambda: patients.add_patient(
            demo_db, manager, NewPatient(name="Person 7", mobile="6000000007"), now=NOW, today=TODAY
        )
    )
    result = import_transactions(
        demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW, progress=progress
    )

    assert len(registered) == 1 and result.patients_added == 1_199
    with demo_db.session(write=False) as session:
        ids = session.scalars(select(Patient.id).where(Patient.mobile == "6000000007")).all()
        assert ids == [registered[0].id]
        assert history(demo_db, "OLD-35")[0].patient_id == registered[0].id
        queued = session.scalars(
            select(SyncOutbox.doc_id).where(SyncOutbox.doc_type == "patient")
        ).all()
        assert queued.count(registered[0].id) == 1


def test_an_invoice_number_imported_meanwhile_refuses_the_whole_import(demo_db, manager, tmp_path):
    other = write(tmp_path, many_rows(2, prefix="OLD"), name="other.csv")  # OLD-0
    progress, _ = while_staging(lambda: import_transactions(demo_db, manager, other, now=NOW))
    source = write(tmp_path, many_rows(12_000))

    with pytest.raises(HistoryImportError, match="OLD-0 was added while the file was being"):
        import_transactions(demo_db, manager, source, now=NOW, progress=progress)

    with demo_db.session(write=False) as session:
        history_count = session.scalar(
            select(func.count()).select_from(InvoiceHeader).where(InvoiceHeader.is_history)
        )
    assert history_count == 1  # the other file's OLD-0 only


# -- publishing in steps (issue #13 item 4) ---------------------------------------------------


def while_publishing(action, lines):
    """A progress callback that runs `action` once, between two publishing steps half-way
    through publishing a file of `lines` rows (staging is done at 2 x lines)."""
    done_once = []

    def progress(done, total):
        if 2 * lines + (total - 2 * lines) // 2 < done < total and not done_once:
            done_once.append(action())

    return progress, done_once


def issued_history(db):
    with db.session(write=False) as session:
        return session.scalar(
            select(func.count())
            .select_from(InvoiceHeader)
            .where(InvoiceHeader.is_history, InvoiceHeader.status == "issued")
        )


def test_the_counter_saves_between_publishing_steps_and_sees_none_of_the_import(
    demo_db, manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_import, "PUBLISH_CHUNK", 1_000)
    desk = other_desk(demo_db)
    priya = auth.sign_in(desk, "priya", "1111")
    before = issued_history(demo_db)
    try:

        def save_and_look():
            saved = invoicing.save_invoice(desk, priya, cart(desk, "CONSULT"), now=NOW)
            return saved, issued_history(desk)

        progress, seen = while_publishing(save_and_look, 12_000)
        result = import_transactions(
            demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW, progress=progress
        )
    finally:
        desk.close()

    # The save went through (300 ms of waiting at most) with the import half published,
    # and the half published was not to be seen; then all of it was.
    [(saved, issued_then)] = seen
    assert saved.invoice_number and issued_then == before
    assert result.invoices_added == 6_000
    assert issued_history(demo_db) == before + 6_000
    with demo_db.session(write=False) as session:
        assert session.get(AppSetting, history_import.JOURNAL) is None


def test_a_cancel_while_publishing_withdraws_everything_the_import_wrote(
    demo_db, manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_import, "PUBLISH_CHUNK", 1_000)
    before = table_counts(demo_db)

    class Cancelled(Exception):
        pass

    def cancel():
        raise Cancelled

    progress, _ = while_publishing(cancel, 12_000)
    with pytest.raises(Cancelled):
        import_transactions(
            demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW, progress=progress
        )

    after = table_counts(demo_db)
    # The import, audited as it began, and its withdrawal.
    assert after.pop("audit_log") == before.pop("audit_log") + 2
    # FTS5 keeps a deletion as a segment of its own until it merges: the search is the test.
    fts = {"patients_fts_idx", "patients_fts_data"}
    assert {k: v for k, v in after.items() if k not in fts} == {
        k: v for k, v in before.items() if k not in fts
    }
    assert not patients.find_patients(demo_db, "Person 7")
    with demo_db.session(write=False) as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.seq.desc()).limit(2))
    assert list(actions) == ["history.import.withdrawn", "history.import"]


def test_an_import_cut_off_mid_publish_is_withdrawn_by_the_next_one(
    demo_db, manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_import, "PUBLISH_CHUNK", 1_000)
    source = write(tmp_path, many_rows(12_000))
    before = issued_history(demo_db)

    class PowerCut(BaseException):
        pass

    def power_cut():
        raise PowerCut

    # A power cut leaves what a crash leaves: nothing withdrawn, the journal on the file.
    with monkeypatch.context() as cut:
        cut.setattr(history_import, "_withdraw", lambda *args: None)
        progress, _ = while_publishing(power_cut, 12_000)
        with pytest.raises(PowerCut):
            import_transactions(demo_db, manager, source, now=NOW, progress=progress)
    with demo_db.session(write=False) as session:
        assert session.get(AppSetting, history_import.JOURNAL) is not None
        hidden = session.scalar(
            select(func.count())
            .select_from(InvoiceHeader)
            .where(InvoiceHeader.cancel_reason.startswith(history_import.HIDDEN))
        )
    assert hidden > 0 and issued_history(demo_db) == before

    # Importing the file again withdraws the leftovers first, then imports all of it once.
    result = import_transactions(demo_db, manager, source, now=NOW)

    assert result.invoices_added == 6_000 and result.invoices_skipped == 0
    assert result.patients_added == 1_200
    assert issued_history(demo_db) == before + 6_000
    with demo_db.session(write=False) as session:
        assert session.get(AppSetting, history_import.JOURNAL) is None
        assert not session.scalar(
            select(func.count())
            .select_from(InvoiceHeader)
            .where(InvoiceHeader.cancel_reason.startswith(history_import.HIDDEN))
        )
        assert (
            session.scalar(
                select(func.count()).select_from(Patient).where(Patient.mobile == "6000000007")
            )
            == 1
        )


def test_a_second_import_while_one_publishes_is_refused_with_a_sentence(demo_db, manager, tmp_path):
    before = table_counts(demo_db)
    refused = pytest.raises(HistoryImportError, match="Another desk is importing history")
    with FileLock(f"{demo_db.path}.import.lock"), refused:  # another desk's, publishing
        import_transactions(demo_db, manager, write(tmp_path, SAMPLE), now=NOW)
    assert table_counts(demo_db) == before


def test_an_import_cut_off_while_revealing_is_finished_by_the_next_one(
    demo_db, manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_import, "PUBLISH_CHUNK", 1_000)
    before = issued_history(demo_db)

    class PowerCut(BaseException):
        pass

    hidden_invoices = history_import._hidden_invoices
    calls = []

    def cut_at_the_third_step(*args):
        calls.append(args)
        if len(calls) == 3:
            raise PowerCut
        return hidden_invoices(*args)

    with monkeypatch.context() as cut:
        cut.setattr(history_import, "_hidden_invoices", cut_at_the_third_step)
        with pytest.raises(PowerCut):
            import_transactions(demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW)
    assert issued_history(demo_db) == before + 2_000  # two steps of 1,000 revealed

    result = import_transactions(
        demo_db,
        manager,
        write(tmp_path, SAMPLE.replace("OLD-", "LATER-"), name="more.csv"),
        now=NOW,
    )

    assert result.invoices_added == 4
    assert issued_history(demo_db) == before + 6_000 + 4
    with demo_db.session(write=False) as session:
        assert session.get(AppSetting, history_import.JOURNAL) is None
        person_7 = session.scalar(select(Patient.id).where(Patient.name == "Person 7"))
        queued = session.scalars(select(SyncOutbox.doc_id).where(SyncOutbox.doc_id == person_7))
        assert len(queued.all()) == 1
        audited = session.scalars(
            select(AuditLog.details).where(AuditLog.action == "history.import")
        ).all()
    assert [details["file"] for details in audited] == ["history.csv", "more.csv"]
    assert audited[0]["invoices_added"] == 6_000


def test_a_withdrawn_import_keeps_a_new_patient_the_counter_billed_meanwhile(
    demo_db, manager, tmp_path, monkeypatch
):
    monkeypatch.setattr(history_import, "PUBLISH_CHUNK", 1_000)
    desk = auth.sign_in(demo_db, "priya", "1111")

    class Cancelled(Exception):
        pass

    def bill_person_7_then_cancel():
        with demo_db.session(write=False) as session:
            person_7 = session.scalar(select(Patient.id).where(Patient.name == "Person 7"))
        invoicing.save_invoice(demo_db, desk, cart(demo_db, "CONSULT", patient=person_7), now=NOW)
        raise Cancelled

    progress, _ = while_publishing(bill_person_7_then_cancel, 12_000)
    with pytest.raises(Cancelled):
        import_transactions(
            demo_db, manager, write(tmp_path, many_rows(12_000)), now=NOW, progress=progress
        )

    with demo_db.session(write=False) as session:
        left = session.scalars(select(Patient.name).where(Patient.name.startswith("Person ")))
        assert list(left) == ["Person 7"]  # billed at the counter: kept, the other 1,199 gone
        withdrawn = session.scalars(
            select(AuditLog.details).where(AuditLog.action == "history.import.withdrawn")
        ).one()
    assert withdrawn["kept_in_use"] == 1
    with demo_db.session(write=False) as session:
        assert session.get(AppSetting, history_import.JOURNAL) is None
