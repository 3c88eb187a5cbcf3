"""#17: sponsors, sponsored campaign settings, impressions, sponsor invoices and payments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Seed 002's separation: a sponsored campaign's settings (`sponsored_campaigns`, with the
promotions whose badges it pays for), its billing records (`sponsor_invoices`, the seed's
campaign_invoices columns as they apply, and `sponsor_payments`) and the raw impressions
(`sponsor_impressions`, the one source of clicks and conversions). Money is paise.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sponsors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("legal_name", sa.String(length=160), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column("gstin", sa.String(length=15), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("billing_address", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sponsors_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsors")),
        sa.UniqueConstraint("legal_name", name=op.f("uq_sponsors_legal_name")),
    )
    op.create_table(
        "sponsored_campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("sponsor_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_code", sa.String(length=40), nullable=False),
        sa.Column("campaign_name", sa.String(length=120), nullable=False),
        sa.Column("billing_frequency", sa.String(length=10), nullable=False),
        sa.Column("campaign_budget", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_impression", sa.BigInteger(), nullable=False),
        sa.Column("booked_impressions", sa.Integer(), nullable=False),
        sa.Column("deposit_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("branch_offline_quota", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "billing_frequency IN ('weekly', 'monthly', 'at_end')",
            name=op.f("ck_sponsored_campaigns_billing_frequency"),
        ),
        sa.CheckConstraint("booked_impressions > 0", name=op.f("ck_sponsored_campaigns_booked")),
        sa.CheckConstraint("campaign_budget > 0", name=op.f("ck_sponsored_campaigns_budget")),
        sa.CheckConstraint("cost_per_impression > 0", name=op.f("ck_sponsored_campaigns_rate")),
        sa.CheckConstraint("deposit_amount >= 0", name=op.f("ck_sponsored_campaigns_deposit")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_sponsored_campaigns_flight")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sponsored_campaigns_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["sponsors.id"], name=op.f("fk_sponsored_campaigns_sponsor_id_sponsors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsored_campaigns")),
        sa.UniqueConstraint("campaign_code", name=op.f("uq_sponsored_campaigns_campaign_code")),
    )
    with op.batch_alter_table("sponsored_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sponsored_campaigns_sponsor_id"), ["sponsor_id"], unique=False
        )

    op.create_table(
        "sponsor_invoices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("sponsor_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.String(length=40), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("sequence_no", sa.Integer(), nullable=False),
        sa.Column("invoice_type", sa.String(length=20), nullable=False),
        sa.Column("billing_cycle_number", sa.Integer(), nullable=False),
        sa.Column("billing_period_start", sa.Date(), nullable=True),
        sa.Column("billing_period_end", sa.Date(), nullable=True),
        sa.Column("impressions_delivered", sa.Integer(), nullable=False),
        sa.Column("cpi_rate", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("deposit_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("taxable_amount", sa.BigInteger(), nullable=False),
        sa.Column("cgst_amount", sa.BigInteger(), nullable=False),
        sa.Column("sgst_amount", sa.BigInteger(), nullable=False),
        sa.Column("igst_amount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("refund_amount", sa.BigInteger(), nullable=False),
        sa.Column("outstanding_amount", sa.BigInteger(), nullable=False),
        sa.Column("place_of_supply", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payment_method", sa.String(length=50), nullable=True),
        sa.Column("payment_transaction_id", sa.String(length=100), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("invoice_pdf_url", sa.String(length=500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "invoice_type IN ('deposit', 'recurring', 'final_settlement')",
            name=op.f("ck_sponsor_invoices_type"),
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'partially_paid', 'paid', 'refund_due')",
            name=op.f("ck_sponsor_invoices_status"),
        ),
        sa.CheckConstraint("outstanding_amount >= 0", name=op.f("ck_sponsor_invoices_outstanding")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sponsor_invoices_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sponsored_campaigns.id"],
            name=op.f("fk_sponsor_invoices_campaign_id_sponsored_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sponsor_invoices_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_id"], ["sponsors.id"], name=op.f("fk_sponsor_invoices_sponsor_id_sponsors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_invoices")),
        sa.UniqueConstraint(
            "campaign_id",
            "invoice_type",
            "billing_period_start",
            "billing_period_end",
            name="uq_sponsor_invoices_period",
        ),
        sa.UniqueConstraint("invoice_number", name=op.f("uq_sponsor_invoices_invoice_number")),
    )
    with op.batch_alter_table("sponsor_invoices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sponsor_invoices_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "sponsored_campaign_promotions",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("promotion_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sponsored_campaigns.id"],
            name=op.f("fk_sponsored_campaign_promotions_campaign_id_sponsored_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_sponsored_campaign_promotions_promotion_id_promotion_campaigns"),
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "promotion_id", name=op.f("pk_sponsored_campaign_promotions")
        ),
        sa.UniqueConstraint(
            "promotion_id", name=op.f("uq_sponsored_campaign_promotions_promotion_id")
        ),
    )
    op.create_table(
        "sponsor_impressions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("promotion_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("viewer_key", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("shown_on", sa.Date(), nullable=False),
        sa.Column("is_unique", sa.Boolean(), nullable=False),
        sa.Column("is_viewable", sa.Boolean(), nullable=False),
        sa.Column("viewable_duration", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("converted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cpi_rate", sa.BigInteger(), nullable=False),
        sa.Column("charged", sa.Boolean(), nullable=False),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sponsor_invoice_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('counter', 'print')", name=op.f("ck_sponsor_impressions_source")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sponsor_impressions_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["sponsored_campaigns.id"],
            name=op.f("fk_sponsor_impressions_campaign_id_sponsored_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_sponsor_impressions_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_sponsor_impressions_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_sponsor_impressions_promotion_id_promotion_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_invoice_id"],
            ["sponsor_invoices.id"],
            name=op.f("fk_sponsor_impressions_sponsor_invoice_id_sponsor_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sponsor_impressions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_impressions")),
    )
    with op.batch_alter_table("sponsor_impressions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sponsor_impressions_campaign_shown", ["campaign_id", "shown_on"], unique=False
        )
        batch_op.create_index(
            "ix_sponsor_impressions_viewer", ["campaign_id", "viewer_key", "shown_on"], unique=False
        )

    op.create_table(
        "sponsor_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("sponsor_invoice_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'upi', 'cheque', 'card', 'cash')",
            name=op.f("ck_sponsor_payments_method"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_sponsor_payments_amount")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_sponsor_payments_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sponsor_payments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["sponsor_invoice_id"],
            ["sponsor_invoices.id"],
            name=op.f("fk_sponsor_payments_sponsor_invoice_id_sponsor_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sponsor_payments")),
    )
    with op.batch_alter_table("sponsor_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sponsor_payments_sponsor_invoice_id"),
            ["sponsor_invoice_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sponsor_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_payments_sponsor_invoice_id"))

    op.drop_table("sponsor_payments")
    with op.batch_alter_table("sponsor_impressions", schema=None) as batch_op:
        batch_op.drop_index("ix_sponsor_impressions_viewer")
        batch_op.drop_index("ix_sponsor_impressions_campaign_shown")

    op.drop_table("sponsor_impressions")
    op.drop_table("sponsored_campaign_promotions")
    with op.batch_alter_table("sponsor_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsor_invoices_campaign_id"))

    op.drop_table("sponsor_invoices")
    with op.batch_alter_table("sponsored_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sponsored_campaigns_sponsor_id"))

    op.drop_table("sponsored_campaigns")
    op.drop_table("sponsors")
