"""#15: staff the head office publishes to every branch

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

`users.chain_wide`: NULL for this database's own staff (every row until now); on the
centre, TRUE for a member of the head office's staff who works at every branch (published
to the branches, which receive them at their next sync) and FALSE once that is withdrawn
(still published, so that every branch stops them signing in). On a branch, the rows it
received carry the centre's value; its own staff stay NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("chain_wide", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("chain_wide")
