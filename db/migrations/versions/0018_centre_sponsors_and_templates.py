"""#15: the head office's sponsors, sponsored campaigns and message templates, pulled by every branch

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

`sponsors.branch_id`, `sponsored_campaigns.branch_id` and `message_templates.branch_id` may
be NULL: on a branch, the sponsors, campaigns and templates it received from the centre
belong to no branch there (as a promotion made at the head office), which is how the branch
knows the head office runs them (and bills the campaigns). Every row until now keeps its
branch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sponsors", "sponsored_campaigns", "message_templates")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("branch_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("branch_id", existing_type=sa.Uuid(), nullable=False)
