"""#15: a capped promotion's offline quota per branch

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

`promotion_campaigns.branch_offline_quota`: how many uses of a capped promotion a branch
may make that the centre has not acknowledged yet (its uses not yet received there). A
limit across branches cannot hold while they are offline; the quota bounds how far each
one can go past what the chain has counted. NULL: no quota (as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promotion_campaigns") as batch:
        batch.add_column(sa.Column("branch_offline_quota", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promotion_campaigns") as batch:
        batch.drop_column("branch_offline_quota")
