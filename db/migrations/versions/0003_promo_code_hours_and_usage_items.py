"""promo codes: active hours and auto-deactivation (seed 001); items each promotion use discounted

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Existing codes get the seed's defaults: active hours off, auto-deactivation on.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOURS_OFF = {"enabled": False, "start_time": "00:00", "end_time": "23:59", "timezone": "UTC"}


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_hours", json_type, nullable=True))
        batch_op.add_column(
            sa.Column(
                "auto_deactivate_on_max_uses",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("auto_deactivated_at", sa.DateTime(timezone=True), nullable=True)
        )
    # JSON text on SQLite; Postgres needs the text cast to jsonb.
    target = "CAST(:hours AS jsonb)" if op.get_bind().dialect.name == "postgresql" else ":hours"
    op.execute(
        sa.text(f"UPDATE promo_codes SET active_hours = {target}").bindparams(
            hours=json.dumps(HOURS_OFF)
        )
    )
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.alter_column("active_hours", existing_type=json_type, nullable=False)

    op.create_table(
        "promotion_usage_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("usage_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_line_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(length=30), nullable=False),
        sa.Column("item_name", sa.String(length=120), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_line_id"],
            ["invoice_line_item.id"],
            name=op.f("fk_promotion_usage_items_invoice_line_id_invoice_line_item"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalog_items.id"],
            name=op.f("fk_promotion_usage_items_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["usage_id"],
            ["promotion_usage_log.id"],
            name=op.f("fk_promotion_usage_items_usage_id_promotion_usage_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_usage_items")),
        sa.UniqueConstraint(
            "usage_id",
            "invoice_line_id",
            name=op.f("uq_promotion_usage_items_usage_id_invoice_line_id"),
        ),
    )
    with op.batch_alter_table("promotion_usage_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_promotion_usage_items_usage_id"), ["usage_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("promotion_usage_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotion_usage_items_usage_id"))
    op.drop_table("promotion_usage_items")
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.drop_column("auto_deactivated_at")
        batch_op.drop_column("auto_deactivate_on_max_uses")
        batch_op.drop_column("active_hours")
