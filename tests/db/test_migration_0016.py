"""Migration 0016 gives sponsor invoices issued before it their sponsor's details."""

import uuid

from sqlalchemy import create_engine, text

from db.engine import sqlite_url
from db.migrate import open_database
from tests.db.test_migration_0003 import upgrade_to

AT = "'2026-11-01 10:00:00'"


def test_existing_sponsor_invoices_take_their_sponsor_s_details(tmp_path):
    path = tmp_path / "old.db"
    upgrade_to(path, "0015")
    engine = create_engine(sqlite_url(path))
    branch, sponsor, campaign, invoice = (uuid.uuid4().hex for _ in range(4))
    with engine.begin() as connection:
        connection.execute(text("PRAGMA foreign_keys = OFF"))
        connection.execute(
            text(
                "INSERT INTO branches (id, name, address, phone, gstin, timezone,"
                " fiscal_year_start_month, invoice_series, created_at, updated_at) VALUES"
                f" (:id, 'Indiranagar', '', '', '', 'Asia/Kolkata', 4, 'SVC', {AT}, {AT})"
            ),
            {"id": branch},
        )
        connection.execute(
            text(
                "INSERT INTO sponsors (id, branch_id, legal_name, contact_name, contact_email,"
                " contact_phone, gstin, state_code, billing_address, created_at, updated_at)"
                " VALUES (:id, :branch, 'Glowco Skincare Pvt Ltd', '', '', '',"
                f" '29AAGCS1234K1Z7', '29', '12 MG Road', {AT}, {AT})"
            ),
            {"id": sponsor, "branch": branch},
        )
        connection.execute(
            text(
                "INSERT INTO sponsor_invoices (id, branch_id, campaign_id, sponsor_id,"
                " invoice_number, series, fiscal_year, sequence_no, invoice_type,"
                " billing_cycle_number, impressions_delivered, cpi_rate, amount, deposit_amount,"
                " discount_amount, taxable_amount, cgst_amount, sgst_amount, igst_amount,"
                " tax_amount, total_amount, refund_amount, outstanding_amount, place_of_supply,"
                " status, issued_at, invoice_date, due_date, notes, created_at, updated_at)"
                " VALUES (:id, :branch, :campaign, :sponsor, 'INDS/26-27/00001', 'SP', '2026-27',"
                " 1, 'deposit', 0, 0, 0, 40000, 0, 0, 40000, 3600, 3600, 0, 7200, 47200, 0,"
                f" 47200, '29', 'issued', {AT}, '2026-11-01', '2026-11-15', '', {AT}, {AT})"
            ),
            {"id": invoice, "branch": branch, "campaign": campaign, "sponsor": sponsor},
        )
    engine.dispose()

    db = open_database(path)
    with db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT sponsor_legal_name, sponsor_gstin, sponsor_address FROM sponsor_invoices")
        ).one()
    db.close()
    assert tuple(row) == ("Glowco Skincare Pvt Ltd", "29AAGCS1234K1Z7", "12 MG Road")
