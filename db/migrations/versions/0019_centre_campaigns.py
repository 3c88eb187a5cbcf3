"""#15: the head office's messaging campaigns and their triggers, pulled by every branch

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

`campaigns.branch_id` and `campaign_triggers.branch_id` may be NULL: on a branch, a campaign
(and its triggers) received from the centre belongs to no branch there, as a template or a
sponsor made at the head office (0018). `campaigns.created_by` may be NULL: the head
office's member of staff who made it is not always known at the branch. Every row until now
keeps its branch and its author.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("campaigns", "branch_id"),
    ("campaigns", "created_by"),
    ("campaign_triggers", "branch_id"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.Uuid(), nullable=False)
