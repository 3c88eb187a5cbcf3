"""#17: the chain's charged impressions at the last pull; a sponsor document's recipient

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

`sync_sponsor_totals`: per sponsored promotion, the charged impressions of every branch
the centre held at this branch's last pull, and how many of them were this branch's own,
so that a branch stops a sponsored badge at the chain's count (rule 11 of
domain.sponsor_billing) and not at its own alone.

`sponsor_invoices.sponsor_legal_name`, `sponsor_gstin` and `sponsor_address`: the
sponsor as it was when the tax invoice or credit note was issued (rule 46 names the
recipient's name, address and GSTIN; `place_of_supply` already keeps its state), so a later
change of the sponsor does not change an issued document. Existing documents take the
sponsor's current details, the best record there is of them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECIPIENT = (
    ("sponsor_legal_name", sa.String(length=160), "legal_name"),
    ("sponsor_gstin", sa.String(length=15), "gstin"),
    ("sponsor_address", sa.Text(), "billing_address"),
)


def upgrade() -> None:
    op.create_table(
        "sync_sponsor_totals",
        sa.Column("promotion_id", sa.Uuid(), nullable=False),
        sa.Column("charged", sa.Integer(), nullable=False),
        sa.Column("own", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("promotion_id", name=op.f("pk_sync_sponsor_totals")),
    )
    with op.batch_alter_table("sponsor_invoices") as batch:
        for column, kind, _source in _RECIPIENT:
            batch.add_column(sa.Column(column, kind, nullable=False, server_default=""))
    for column, _kind, source in _RECIPIENT:
        op.execute(
            f"UPDATE sponsor_invoices SET {column} = COALESCE((SELECT s.{source} FROM sponsors "
            f"AS s WHERE s.id = sponsor_invoices.sponsor_id), '')"
        )


def downgrade() -> None:
    with op.batch_alter_table("sponsor_invoices") as batch:
        for column, _kind, _source in reversed(_RECIPIENT):
            batch.drop_column(column)
    op.drop_table("sync_sponsor_totals")
