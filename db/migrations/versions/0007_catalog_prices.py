"""catalog prices: an item's price and cost from a date on, kept as history

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Issue #12: a price change takes effect from a date and keeps its history; an invoice keeps
the price it was sold at (its lines copy it, as they always have).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("price >= 0 AND cost >= 0", name="ck_catalog_prices_amounts"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["catalog_items.id"], name="fk_catalog_prices_item_id_catalog_items"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_catalog_prices_created_by_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_prices"),
    )
    op.create_index("ix_catalog_prices_item_date", "catalog_prices", ["item_id", "effective_from"])


def downgrade() -> None:
    op.drop_index("ix_catalog_prices_item_date", table_name="catalog_prices")
    op.drop_table("catalog_prices")
