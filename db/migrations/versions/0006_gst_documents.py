"""GST documents: legal name, branch code and number format, HSN/SAC and taxability, and
each line's taxable value with its CGST, SGST and IGST

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Issue #12. Existing branches keep the numbers they have been issuing (the seeds' long
format, which the Settings panel now flags as not GST-compliant) until a manager chooses
the 16-character default. Existing items are exempt when their rate is 0 and taxable
otherwise. Existing lines get their taxable value and CGST/SGST halves (the odd paisa on
CGST, as domain.gst does), and each invoice the document its lines make.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int, default: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length), server_default=default, nullable=False)


def _paise(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("branches") as batch:
        batch.add_column(_text("legal_name", 200, ""))
        batch.add_column(_text("branch_code", 4, ""))
        batch.add_column(_text("number_format", 40, "{SERIES}-{FYYYY}-{SEQ}"))
        batch.add_column(_text("state_code", 2, ""))
        batch.add_column(_text("upi_id", 100, ""))
    op.execute("UPDATE branches SET legal_name = name, state_code = substr(gstin, 1, 2)")
    with op.batch_alter_table("patients") as batch:
        batch.add_column(_text("gstin", 15, ""))
    with op.batch_alter_table("catalog_items") as batch:
        batch.add_column(_text("hsn_sac", 8, ""))
        batch.add_column(_text("taxability", 10, "taxable"))
        batch.create_check_constraint("taxability", "taxability IN ('taxable', 'exempt')")
    op.execute("UPDATE catalog_items SET taxability = 'exempt' WHERE tax_rate = 0")
    with op.batch_alter_table("invoice_line_item") as batch:
        batch.add_column(_text("hsn_sac", 8, ""))
        batch.add_column(_text("taxability", 10, "taxable"))
        batch.add_column(_paise("taxable_value"))
        batch.add_column(_paise("cgst_amount"))
        batch.add_column(_paise("sgst_amount"))
        batch.add_column(_paise("igst_amount"))
    op.execute(
        "UPDATE invoice_line_item SET"
        " taxability = CASE WHEN tax_rate = 0 THEN 'exempt' ELSE 'taxable' END,"
        " taxable_value = line_total - tax_amount,"
        " cgst_amount = tax_amount - tax_amount / 2,"
        " sgst_amount = tax_amount / 2"
    )
    with op.batch_alter_table("invoice_header") as batch:
        batch.add_column(_text("document_type", 30, "tax_invoice"))
        batch.add_column(_text("place_of_supply", 2, ""))
        batch.add_column(_text("recipient_gstin", 15, ""))
    op.execute(
        "UPDATE invoice_header SET"
        " place_of_supply = COALESCE((SELECT state_code FROM branches"
        "  WHERE branches.id = invoice_header.branch_id), ''),"
        " document_type = CASE"
        "  WHEN NOT EXISTS (SELECT 1 FROM invoice_line_item l"
        "   WHERE l.invoice_id = invoice_header.id AND l.tax_rate <> 0) THEN 'bill_of_supply'"
        "  WHEN EXISTS (SELECT 1 FROM invoice_line_item l"
        "   WHERE l.invoice_id = invoice_header.id AND l.tax_rate = 0)"
        "   THEN 'invoice_cum_bill_of_supply'"
        "  ELSE 'tax_invoice' END"
    )


def downgrade() -> None:
    with op.batch_alter_table("invoice_header") as batch:
        batch.drop_column("recipient_gstin")
        batch.drop_column("place_of_supply")
        batch.drop_column("document_type")
    with op.batch_alter_table("invoice_line_item") as batch:
        for name in ("igst_amount", "sgst_amount", "cgst_amount", "taxable_value"):
            batch.drop_column(name)
        batch.drop_column("taxability")
        batch.drop_column("hsn_sac")
    with op.batch_alter_table("catalog_items") as batch:
        batch.drop_constraint("taxability", type_="check")
        batch.drop_column("taxability")
        batch.drop_column("hsn_sac")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("gstin")
    with op.batch_alter_table("branches") as batch:
        for name in ("upi_id", "state_code", "number_format", "branch_code", "legal_name"):
            batch.drop_column(name)
