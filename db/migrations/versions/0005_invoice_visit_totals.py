"""invoice visit totals: units and cost on the header, and an index the dashboard scans

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

The dashboard (seed 003) treats an invoice as a visit and needs, per invoice, its units,
net and cost. Summing a million lines on every refresh is too slow, so the header carries
`total_quantity` and `total_cost` (paise), filled here from the lines, and a covering index
lets one ordered scan answer "each patient's visits" without touching the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VISIT_INDEX_COLUMNS = [
    "status",
    "patient_id",
    "invoice_date",
    "gross_amount",
    "total_discount",
    "total_quantity",
    "total_cost",
]


def upgrade() -> None:
    with op.batch_alter_table("invoice_header") as batch:
        batch.add_column(
            sa.Column("total_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(
            sa.Column("total_cost", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
    op.execute(
        "UPDATE invoice_header SET"
        " total_quantity = (SELECT COALESCE(SUM(quantity), 0) FROM invoice_line_item"
        "  WHERE invoice_line_item.invoice_id = invoice_header.id),"
        " total_cost = (SELECT COALESCE(SUM(quantity * unit_cost), 0) FROM invoice_line_item"
        "  WHERE invoice_line_item.invoice_id = invoice_header.id)"
    )
    op.create_index("ix_invoice_header_visits", "invoice_header", VISIT_INDEX_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_invoice_header_visits", table_name="invoice_header")
    with op.batch_alter_table("invoice_header") as batch:
        batch.drop_column("total_cost")
        batch.drop_column("total_quantity")
