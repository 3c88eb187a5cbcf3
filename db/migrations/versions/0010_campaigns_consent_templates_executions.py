"""#16: campaigns, audiences, consent ledger, templates, triggers, executions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Issue #16 (seed 004). The template library (`message_templates`: a Jinja2 body per channel
with TRAI DLT ids and the registered text for SMS, the approved template for WhatsApp);
`campaigns` (objective, channels, audience, variants, schedule, budget and cost per
message in paise, the promotion or code they measure, status); `campaign_triggers`;
`campaign_executions`, one per recipient, campaign, step and channel (unique), with the text
as rendered and its sending state; the append-only `consent_ledger` (DPDP Act 2023: per
patient, channel and purpose), `do_not_contact` (Mautic's reasons) and `campaign_responses`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import JsonDoc, UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sms_dlt_template_id", sa.String(length=30), nullable=True),
        sa.Column("sms_header", sa.String(length=11), nullable=True),
        sa.Column("sms_principal_entity_id", sa.String(length=30), nullable=True),
        sa.Column("sms_registered_text", sa.Text(), nullable=True),
        sa.Column("whatsapp_template_name", sa.String(length=120), nullable=True),
        sa.Column("whatsapp_language", sa.String(length=15), nullable=True),
        sa.Column("whatsapp_components", JsonDoc, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'whatsapp', 'preview')",
            name=op.f("ck_message_templates_channel"),
        ),
        sa.CheckConstraint(
            "purpose IN ('promotional', 'service')", name=op.f("ck_message_templates_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_message_templates_branch_id_branches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("objective", sa.String(length=200), nullable=False),
        sa.Column("channels", JsonDoc, nullable=False),
        sa.Column("audience", JsonDoc, nullable=False),
        sa.Column("variants", JsonDoc, nullable=False),
        sa.Column("schedule", JsonDoc, nullable=False),
        sa.Column("budget_paise", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_message", JsonDoc, nullable=False),
        sa.Column("promotion_id", sa.Uuid(), nullable=True),
        sa.Column("promo_code_id", sa.Uuid(), nullable=True),
        sa.Column("personal_codes", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("attribution_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("launched_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'running', 'paused', 'completed')",
            name=op.f("ck_campaigns_status"),
        ),
        sa.CheckConstraint("budget_paise >= 0", name=op.f("ck_campaigns_budget")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_campaigns_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_campaigns_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promo_codes.id"],
            name=op.f("fk_campaigns_promo_code_id_promo_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["promotion_campaigns.id"],
            name=op.f("fk_campaigns_promotion_id_promotion_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_triggers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("conditions", JsonDoc, nullable=True),
        sa.Column("delay_minutes", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "action IN ('send_template', 'create_callback')",
            name=op.f("ck_campaign_triggers_action"),
        ),
        sa.CheckConstraint(
            "kind IN ('invoice_saved', 'no_visit_days', 'birthday', 'promotion_expiring', 'callback_completed')",
            name=op.f("ck_campaign_triggers_kind"),
        ),
        sa.CheckConstraint("delay_minutes >= 0", name=op.f("ck_campaign_triggers_delay")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_campaign_triggers_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_triggers_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_templates.id"],
            name=op.f("fk_campaign_triggers_template_id_message_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_triggers")),
    )
    op.create_index(
        op.f("ix_campaign_triggers_campaign_id"), "campaign_triggers", ["campaign_id"], unique=False
    )
    op.create_table(
        "campaign_executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("rendered_subject", sa.String(length=200), nullable=True),
        sa.Column("rendered_text", sa.Text(), nullable=False),
        sa.Column("payload", JsonDoc, nullable=True),
        sa.Column("personal_code", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("provider_id", sa.String(length=120), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cost_paise", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("queued_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'replied', 'opted_out', 'converted', 'unknown', 'held', 'skipped')",
            name=op.f("ck_campaign_executions_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_campaign_executions_attempts")),
        sa.CheckConstraint("cost_paise >= 0", name=op.f("ck_campaign_executions_cost")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_campaign_executions_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_executions_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_campaign_executions_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_executions")),
        sa.UniqueConstraint(
            "campaign_id",
            "patient_id",
            "step",
            "channel",
            name=op.f("uq_campaign_executions_campaign_id_patient_id_step_channel"),
        ),
    )
    op.create_index(
        op.f("ix_campaign_executions_patient_id"),
        "campaign_executions",
        ["patient_id"],
        unique=False,
    )
    op.create_index(
        "ix_campaign_executions_status_next_attempt_at",
        "campaign_executions",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "consent_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "action IN ('granted', 'withdrawn')", name=op.f("ck_consent_ledger_action")
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'sms', 'whatsapp')", name=op.f("ck_consent_ledger_channel")
        ),
        sa.CheckConstraint(
            "purpose IN ('promotional', 'service')", name=op.f("ck_consent_ledger_purpose")
        ),
        sa.CheckConstraint(
            "source IN ('form', 'counter', 'reply', 'import')",
            name=op.f("ck_consent_ledger_source"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_consent_ledger_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_consent_ledger_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_consent_ledger_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_ledger")),
    )
    op.create_index(
        "ix_consent_ledger_patient_channel",
        "consent_ledger",
        ["patient_id", "channel", "purpose", "at"],
        unique=False,
    )
    op.create_table(
        "do_not_contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("lifted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('unsubscribed', 'bounced', 'manual')", name=op.f("ck_do_not_contact_reason")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_do_not_contact_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_do_not_contact_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_do_not_contact")),
    )
    op.create_index(
        op.f("ix_do_not_contact_patient_id"), "do_not_contact", ["patient_id"], unique=False
    )
    op.create_table(
        "campaign_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.String(length=120), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('reply', 'opt_out', 'bounce', 'delivery_report')",
            name=op.f("ck_campaign_responses_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_campaign_responses_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["campaign_executions.id"],
            name=op.f("fk_campaign_responses_execution_id_campaign_executions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_campaign_responses_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_responses")),
    )
    op.create_index(
        op.f("ix_campaign_responses_execution_id"),
        "campaign_responses",
        ["execution_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_campaign_responses_execution_id"), table_name="campaign_responses")
    op.drop_table("campaign_responses")
    op.drop_index(op.f("ix_do_not_contact_patient_id"), table_name="do_not_contact")
    op.drop_table("do_not_contact")
    op.drop_index("ix_consent_ledger_patient_channel", table_name="consent_ledger")
    op.drop_table("consent_ledger")
    op.drop_index("ix_campaign_executions_status_next_attempt_at", table_name="campaign_executions")
    op.drop_index(op.f("ix_campaign_executions_patient_id"), table_name="campaign_executions")
    op.drop_table("campaign_executions")
    op.drop_index(op.f("ix_campaign_triggers_campaign_id"), table_name="campaign_triggers")
    op.drop_table("campaign_triggers")
    op.drop_table("campaigns")
    op.drop_table("message_templates")
