"""patient search: an FTS5 index over name and mobile, kept by triggers (SQLite only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The index is an external-content FTS5 table built by sqlite-utils; it follows the
patients table through triggers. It is keyed by rowid, so after a VACUUM the index must
be rebuilt (db.search.rebuild_patient_index).
"""

from collections.abc import Sequence
from typing import Any

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite_utils_db() -> Any:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return None  # the centre searches patients by other means
    # Imported here: Alembic loads every revision on each open, and sqlite-utils is slow to import.
    import sqlite_utils

    return sqlite_utils.Database(bind.connection.driver_connection)


def upgrade() -> None:
    db = _sqlite_utils_db()
    if db is not None:
        db.table("patients").enable_fts(["name", "mobile"], create_triggers=True)


def downgrade() -> None:
    db = _sqlite_utils_db()
    if db is not None:
        db.table("patients").disable_fts()
