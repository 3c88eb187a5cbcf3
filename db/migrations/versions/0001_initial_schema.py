"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    op.create_table(
        "branches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("gstin", sa.String(length=15), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year_start_month", sa.Integer(), nullable=False),
        sa.Column("invoice_series", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "fiscal_year_start_month BETWEEN 1 AND 12", name=op.f("ck_branches_fy_month")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branches")),
    )
    op.create_table(
        "catalog_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("item_type", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("max_discount_percent", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "item_type IN ('service', 'product')", name=op.f("ck_catalog_items_item_type")
        ),
        sa.CheckConstraint("price >= 0 AND cost >= 0", name=op.f("ck_catalog_items_amounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint("barcode", name=op.f("uq_catalog_items_barcode")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_items_code")),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("doc_type", sa.String(length=40), nullable=False),
        sa.Column("doc_id", sa.Uuid(), nullable=False),
        sa.Column("doc_version", sa.Integer(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_outbox")),
    )
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sync_outbox_unsent", ["sent_at", "id"], unique=False)

    op.create_table(
        "invoice_sequences",
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_invoice_sequences_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint(
            "branch_id", "series", "fiscal_year", name=op.f("pk_invoice_sequences")
        ),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mobile", sa.String(length=15), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("consent_sms", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("consent_email", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("consent_whatsapp", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_patients_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
    )
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patients_mobile"), ["mobile"], unique=False)

    op.create_table(
        "promotion_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_code", sa.String(length=40), nullable=False),
        sa.Column("campaign_name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("promotion_type", sa.String(length=20), nullable=False),
        sa.Column(
            "rules", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("discount_percent", sa.Integer(), nullable=True),
        sa.Column("discount_amount", sa.BigInteger(), nullable=True),
        sa.Column("min_purchase_amount", sa.BigInteger(), nullable=False),
        sa.Column("max_discount_amount", sa.BigInteger(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("is_stackable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("override_max_discount", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("requires_code", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("max_total_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_patient", sa.Integer(), nullable=True),
        sa.Column("current_uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("auto_deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "promotion_type IN ('buy_x_get_y', 'percentage', 'fixed_amount')",
            name=op.f("ck_promotion_campaigns_type"),
        ),
        sa.CheckConstraint("current_uses >= 0", name=op.f("ck_promotion_campaigns_uses")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_promotion_campaigns_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_campaigns")),
        sa.UniqueConstraint("campaign_code", name=op.f("uq_promotion_campaigns_campaign_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.Column("max_manual_discount_percent", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('front_desk', 'manager', 'admin')", name=op.f("ck_users_role")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_users_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_audit_log_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)

    op.create_table(
        "invoice_header",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.String(length=40), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=True),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("sequence_no", sa.Integer(), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_discount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("round_off", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "campaigns_applied",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "promo_codes_entered",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("is_history", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('issued', 'cancelled')", name=op.f("ck_invoice_header_status")
        ),
        sa.CheckConstraint(
            "total_amount >= 0 AND gross_amount >= 0", name=op.f("ck_invoice_header_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_invoice_header_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_invoice_header_cancelled_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_invoice_header_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_invoice_header_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_header")),
        sa.UniqueConstraint(
            "branch_id", "invoice_number", name=op.f("uq_invoice_header_branch_id_invoice_number")
        ),
    )
    with op.batch_alter_table("invoice_header", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_header_invoice_date", ["invoice_date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_invoice_header_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("promotion_id", sa.Uuid(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_patient", sa.Integer(), nullable=True),
        sa.Column("current_uses", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'expired')", name=op.f("ck_promo_codes_status")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_promo_codes_promotion_id_promotion_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )
    op.create_table(
        "invoice_line_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(length=30), nullable=False),
        sa.Column("item_name", sa.String(length=120), nullable=False),
        sa.Column("item_type", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_type", sa.String(length=10), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("promotion_id", sa.Uuid(), nullable=True),
        sa.Column("badge_text", sa.String(length=120), nullable=True),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "discount_type IS NULL OR discount_type IN ('promotion', 'manual')",
            name=op.f("ck_invoice_line_item_discount_type"),
        ),
        sa.CheckConstraint(
            "discount_amount >= 0 AND discount_amount <= gross_amount",
            name=op.f("ck_invoice_line_item_discount"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_invoice_line_item_quantity")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_invoice_line_item_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalog_items.id"],
            name=op.f("fk_invoice_line_item_item_id_catalog_items"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_invoice_line_item_promotion_id_promotion_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_line_item")),
        sa.UniqueConstraint(
            "invoice_id", "line_no", name=op.f("uq_invoice_line_item_invoice_id_line_no")
        ),
    )
    with op.batch_alter_table("invoice_line_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_line_item_invoice_id"), ["invoice_id"], unique=False
        )

    op.create_table(
        "promotion_usage_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("promo_code_id", sa.Uuid(), nullable=True),
        sa.Column("usage_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("applied_by", sa.Uuid(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["applied_by"], ["users.id"], name=op.f("fk_promotion_usage_log_applied_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_promotion_usage_log_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_promotion_usage_log_campaign_id_promotion_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_promotion_usage_log_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_promotion_usage_log_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promo_codes.id"],
            name=op.f("fk_promotion_usage_log_promo_code_id_promo_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"], ["users.id"], name=op.f("fk_promotion_usage_log_reversed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_usage_log")),
        sa.UniqueConstraint(
            "campaign_id", "invoice_id", name=op.f("uq_promotion_usage_log_campaign_id_invoice_id")
        ),
    )
    with op.batch_alter_table("promotion_usage_log", schema=None) as batch_op:
        batch_op.create_index("ix_promotion_usage_log_patient_id", ["patient_id"], unique=False)
        batch_op.create_index("ix_promotion_usage_log_usage_date", ["usage_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("promotion_usage_log", schema=None) as batch_op:
        batch_op.drop_index("ix_promotion_usage_log_usage_date")
        batch_op.drop_index("ix_promotion_usage_log_patient_id")

    op.drop_table("promotion_usage_log")
    with op.batch_alter_table("invoice_line_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_item_invoice_id"))

    op.drop_table("invoice_line_item")
    op.drop_table("promo_codes")
    with op.batch_alter_table("invoice_header", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_header_patient_id"))
        batch_op.drop_index("ix_invoice_header_invoice_date")

    op.drop_table("invoice_header")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")

    op.drop_table("audit_log")
    op.drop_table("users")
    op.drop_table("promotion_campaigns")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patients_mobile"))

    op.drop_table("patients")
    op.drop_table("invoice_sequences")
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_outbox_unsent")

    op.drop_table("sync_outbox")
    op.drop_table("catalog_items")
    op.drop_table("branches")
    op.drop_table("app_settings")
