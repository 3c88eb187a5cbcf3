"""Migration 0006 gives existing branches, items, lines and invoices their GST particulars."""

import uuid

from sqlalchemy import create_engine, text

from db.engine import sqlite_url
from db.migrate import open_database
from tests.db.test_migration_0003 import upgrade_to

HEADER = (
    "INSERT INTO invoice_header (id, branch_id, invoice_number, fiscal_year, invoice_date,"
    " patient_id, created_at, status, gross_amount, total_discount, tax_amount, round_off,"
    " total_amount, is_history, notes) VALUES (:id, :b, :n, '2025-2026', '2025-06-01', :p,"
    " '2025-06-01 10:00:00', 'issued', 100000, 0, 0, 0, 100000, 0, '')"
)
LINE = (
    "INSERT INTO invoice_line_item (id, invoice_id, line_no, item_id, item_code, item_name,"
    " item_type, category, quantity, unit_price, unit_cost, gross_amount, discount_percent,"
    " discount_amount, tax_rate, tax_amount, line_total) VALUES (:id, :inv, :no, :item, 'X',"
    " 'X', 'service', 'C', 1, :total, 0, :total, 0, 0, :rate, :tax, :total)"
)


def test_old_rows_get_their_gst_particulars(tmp_path):
    path = tmp_path / "old.db"
    upgrade_to(path, "0005")
    engine = create_engine(sqlite_url(path))
    branch = uuid.uuid4().hex
    invoices = {"TAXED": uuid.uuid4().hex, "EXEMPT": uuid.uuid4().hex, "MIXED": uuid.uuid4().hex}
    # (invoice, rate, tax inside, line total): 11807 at 18% holds 1801 of tax (odd).
    lines = [
        ("TAXED", 18, 1801, 11807),
        ("EXEMPT", 0, 0, 50000),
        ("MIXED", 0, 0, 50000),
        ("MIXED", 18, 1800, 11800),
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO branches (id, name, address, phone, gstin, timezone,"
                " fiscal_year_start_month, invoice_series, created_at, updated_at) VALUES"
                " (:id, 'Indiranagar', '', '', '29ABCDE1234F1ZW', 'Asia/Kolkata', 4, 'SVC',"
                " '2025-06-01 10:00:00', '2025-06-01 10:00:00')"
            ),
            {"id": branch},
        )
        for number, invoice_id in invoices.items():
            connection.execute(
                text(HEADER), {"id": invoice_id, "n": number, "b": branch, "p": uuid.uuid4().hex}
            )
        for line_no, (number, rate, tax, total) in enumerate(lines, start=1):
            connection.execute(
                text(LINE),
                {
                    "id": uuid.uuid4().hex,
                    "inv": invoices[number],
                    "no": line_no,
                    "item": uuid.uuid4().hex,
                    "rate": rate,
                    "tax": tax,
                    "total": total,
                },
            )
    engine.dispose()

    db = open_database(path)
    with db.engine.connect() as connection:
        documents = dict(
            connection.execute(
                text(
                    "SELECT invoice_number, document_type || ' ' || place_of_supply FROM invoice_header"
                )
            ).all()
        )
        taxed = connection.execute(
            text(
                "SELECT taxability, taxable_value, cgst_amount, sgst_amount, igst_amount"
                " FROM invoice_line_item WHERE tax_rate = 18 ORDER BY line_no"
            )
        ).all()
        branch_row = connection.execute(
            text("SELECT legal_name, state_code, number_format FROM branches")
        ).one()
    db.close()
    assert documents == {
        "TAXED": "tax_invoice 29",
        "EXEMPT": "bill_of_supply 29",
        "MIXED": "invoice_cum_bill_of_supply 29",
    }
    assert taxed == [("taxable", 10006, 901, 900, 0), ("taxable", 10000, 900, 900, 0)]
    # An existing branch keeps the numbers it has been issuing.
    assert tuple(branch_row) == ("Indiranagar", "29", "{SERIES}-{FYYYY}-{SEQ}")
