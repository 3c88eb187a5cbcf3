"""callback queue: requests to call back and their activity log (seed 004)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Opening hours and the callback SLAs live in app_settings (JSON), so they need no columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("contact_name", sa.String(length=120), nullable=False),
        sa.Column("mobile", sa.String(length=15), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("preferred_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("assigned_to", sa.Uuid(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sla_category", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "reason IN ('appointment', 'billing_question', 'complaint', 'promotion_enquiry', 'follow_up', 'campaign_response')",
            name=op.f("ck_callback_requests_reason"),
        ),
        sa.CheckConstraint(
            "sla_category IN ('urgent', 'high', 'medium', 'low')",
            name=op.f("ck_callback_requests_category"),
        ),
        sa.CheckConstraint(
            "source IN ('walk_in', 'phone', 'campaign_reply')",
            name=op.f("ck_callback_requests_source"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'assigned', 'in_progress', 'no_answer', 'rescheduled', 'completed', 'unreachable', 'cancelled')",
            name=op.f("ck_callback_requests_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_callback_requests_attempts")),
        sa.ForeignKeyConstraint(
            ["assigned_to"], ["users.id"], name=op.f("fk_callback_requests_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_callback_requests_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_callback_requests_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_callback_requests_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_requests_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            "ix_callback_requests_status_due_at", ["status", "due_at"], unique=False
        )

    op.create_table(
        "callback_activities",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("callback_id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("activity", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_callback_activities_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["callback_requests.id"],
            name=op.f("fk_callback_activities_callback_id_callback_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_callback_activities_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_activities")),
    )
    with op.batch_alter_table("callback_activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callback_activities_callback_id"), ["callback_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("callback_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_activities_callback_id"))

    op.drop_table("callback_activities")
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_requests_status_due_at")
        batch_op.drop_index(batch_op.f("ix_callback_requests_patient_id"))

    op.drop_table("callback_requests")
