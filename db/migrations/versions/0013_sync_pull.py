"""#15: the branch's pull cursor and what the centre sends down

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Placeholder laid down first so that three pieces of work can each fill their own
revision in a fixed order; filled in by the work it names.
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
