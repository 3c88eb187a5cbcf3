"""#11: two partial indexes for what every quote and save asks

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

A patient's live promotion uses by promotion (the engine's per-patient limits) and a
sponsored campaign's charged impressions (its hard stop) are counted at every quote and
save. They were read through indexes on the patient and on (campaign, day), each entry
then looked up in its table; these partial indexes answer both from the index alone, and
grow with the live uses and the charged impressions only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_promotion_usage_log_patient_live",
        "promotion_usage_log",
        ["patient_id", "campaign_id"],
        sqlite_where=sa.text("reversed_at IS NULL"),
        postgresql_where=sa.text("reversed_at IS NULL"),
    )
    op.create_index(
        "ix_sponsor_impressions_charged",
        "sponsor_impressions",
        ["campaign_id"],
        sqlite_where=sa.text("charged IS 1"),
        postgresql_where=sa.text("charged"),
    )


def downgrade() -> None:
    op.drop_index("ix_sponsor_impressions_charged", table_name="sponsor_impressions")
    op.drop_index("ix_promotion_usage_log_patient_live", table_name="promotion_usage_log")
