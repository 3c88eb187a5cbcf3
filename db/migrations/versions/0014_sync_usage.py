"""#15: which promotion uses the centre holds from this branch

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

The branch remembers which of its promotion uses the centre holds, and in which state
(`sync_usage_sent`: live or reversed), so that a round sends only the uses made or given
back since, and a promotion's uses across the chain are the centre's count at the last pull
plus this branch's uses it does not hold yet (db.usage_sync). A revision of its own, not
0013's placeholder: a database already upgraded to 0013 would never run a filled-in 0013.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_usage_sent",
        sa.Column("usage_id", sa.Uuid(), nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["usage_id"],
            ["promotion_usage_log.id"],
            name=op.f("fk_sync_usage_sent_usage_id_promotion_usage_log"),
        ),
        sa.PrimaryKeyConstraint("usage_id", name=op.f("pk_sync_usage_sent")),
    )


def downgrade() -> None:
    op.drop_table("sync_usage_sent")
