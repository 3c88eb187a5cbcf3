"""Migration 0005 fills each invoice's units and cost from its lines."""

import uuid

from sqlalchemy import create_engine, text

from db.engine import sqlite_url
from db.migrate import open_database
from tests.db.test_migration_0003 import upgrade_to


def test_existing_invoices_get_units_and_cost_summed_from_their_lines(tmp_path):
    path = tmp_path / "old.db"
    upgrade_to(path, "0004")
    engine = create_engine(sqlite_url(path))
    invoice, empty = uuid.uuid4().hex, uuid.uuid4().hex
    with engine.begin() as connection:
        for invoice_id, number in ((invoice, "OLD-1"), (empty, "OLD-2")):
            connection.execute(
                text(
                    "INSERT INTO invoice_header (id, branch_id, invoice_number, fiscal_year,"
                    " invoice_date, patient_id, created_at, status, gross_amount, total_discount,"
                    " tax_amount, round_off, total_amount, is_history, notes) VALUES (:id, :b,"
                    " :n, '2025-2026', '2025-06-01', :p, '2025-06-01 10:00:00', 'issued', 100000,"
                    " 0, 0, 0, 100000, 0, '')"
                ),
                {"id": invoice_id, "n": number, "b": uuid.uuid4().hex, "p": uuid.uuid4().hex},
            )
        for line_no, quantity, cost in ((1, 2, 15000), (2, 3, 1000)):
            connection.execute(
                text(
                    "INSERT INTO invoice_line_item (id, invoice_id, line_no, item_id, item_code,"
                    " item_name, item_type, category, quantity, unit_price, unit_cost,"
                    " gross_amount, discount_percent, discount_amount, tax_rate, tax_amount,"
                    " line_total) VALUES (:id, :inv, :no, :item, 'X', 'X', 'service', 'C', :q,"
                    " 20000, :c, 40000, 0, 0, 0, 0, 40000)"
                ),
                {
                    "id": uuid.uuid4().hex,
                    "inv": invoice,
                    "no": line_no,
                    "item": uuid.uuid4().hex,
                    "q": quantity,
                    "c": cost,
                },
            )
    engine.dispose()

    db = open_database(path)
    with db.engine.connect() as connection:
        rows = dict(
            (number, (quantity, cost))
            for number, quantity, cost in connection.execute(
                text("SELECT invoice_number, total_quantity, total_cost FROM invoice_header")
            )
        )
    db.close()
    assert rows == {"OLD-1": (5, 2 * 15000 + 3 * 1000), "OLD-2": (0, 0)}
