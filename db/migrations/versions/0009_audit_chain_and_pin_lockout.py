"""an append-only, hash-chained audit log; PIN lockout; the idle screen lock

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Issue #13 items 7 and 8.

- `audit_log` gains `seq` (1, 2, 3... one chain per database), `prev_hash` and `row_hash`
  (domain.audit_chain). Entries already written are chained here, in (at, id) order.
  Triggers then refuse every UPDATE and DELETE on it (SQLite: RAISE(ABORT); PostgreSQL: a
  trigger function, which also refuses TRUNCATE).
- `users` gains `failed_pins` (wrong PINs in a row) and `locked_until`.
- `branches` gains `idle_lock_minutes` (the desktop locks its screen after that long idle).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import JsonDoc, UTCDateTime
from domain.audit_chain import GENESIS, AuditEntry, entry_hash

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_log is append-only: its entries cannot be changed or removed"

_audit = sa.table(
    "audit_log",
    sa.column("id", sa.Uuid()),
    sa.column("branch_id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("at", UTCDateTime()),
    sa.column("action", sa.String()),
    sa.column("entity_type", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("details", JsonDoc),
    sa.column("seq", sa.BigInteger()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def _chain_existing_entries() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            # In AuditEntry's order, after seq.
            _audit.c.id,
            _audit.c.at,
            _audit.c.branch_id,
            _audit.c.user_id,
            _audit.c.action,
            _audit.c.entity_type,
            _audit.c.entity_id,
            _audit.c.details,
        ).order_by(_audit.c.at, _audit.c.id)
    ).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        entry = AuditEntry(seq, *row)
        row_hash = entry_hash(prev, entry)
        bind.execute(
            _audit.update()
            .where(_audit.c.id == row.id)
            .values(seq=seq, prev_hash=prev, row_hash=row_hash)
        )
        prev = row_hash


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("failed_pins", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("branches") as batch:
        batch.add_column(
            sa.Column(
                "idle_lock_minutes", sa.Integer(), server_default=sa.text("10"), nullable=False
            )
        )

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_log_seq"), ["seq"])

    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_constraint(op.f("uq_audit_log_seq"), type_="unique")
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
    with op.batch_alter_table("branches") as batch:
        batch.drop_column("idle_lock_minutes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_pins")
