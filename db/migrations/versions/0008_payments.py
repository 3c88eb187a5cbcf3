"""money at the counter: counter sessions and cash movements, payments and where they went,
credit notes; the walk-in customer and credit limits on patients; the session and the
approving manager on invoices

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Issue #11. A patient's balance is derived (invoices - credit notes - payments), never a
stored counter. Invoices saved before this revision have no payment rows; they were paid
outside these records, and are marked so (`paid_outside`): nothing is due on them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "counter_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("desk", sa.String(length=40), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_float", sa.BigInteger(), nullable=False),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_cash", sa.BigInteger(), nullable=True),
        sa.Column(
            "denominations", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column(
            "expected", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("difference", sa.BigInteger(), nullable=True),
        sa.Column("difference_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_counter_sessions_status")),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_counter_sessions_float")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_counter_sessions_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_counter_sessions_closed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_counter_sessions_opened_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_sessions")),
    )
    with op.batch_alter_table("counter_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_counter_sessions_open_desk",
            ["branch_id", "desk"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "cash_movements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('in', 'out')", name=op.f("ck_cash_movements_kind")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_cash_movements_amount")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_cash_movements_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_cash_movements_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["counter_sessions.id"],
            name=op.f("fk_cash_movements_session_id_counter_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cash_movements_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "credit_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("series", sa.String(length=10), nullable=False),
        sa.Column("fiscal_year", sa.String(length=9), nullable=False),
        sa.Column("sequence_no", sa.Integer(), nullable=False),
        sa.Column("note_date", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_discount", sa.BigInteger(), nullable=False),
        sa.Column("tax_amount", sa.BigInteger(), nullable=False),
        sa.Column("total_amount", sa.BigInteger(), nullable=False),
        sa.Column("reduced_due", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("to_advance", sa.BigInteger(), nullable=False),
        sa.Column("refund_method", sa.String(length=20), nullable=True),
        sa.Column(
            "promotions_reversed",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("document_type", sa.String(length=30), nullable=False),
        sa.Column("place_of_supply", sa.String(length=2), nullable=False),
        sa.Column("recipient_gstin", sa.String(length=15), nullable=False),
        sa.CheckConstraint(
            "reduced_due >= 0 AND refunded >= 0 AND to_advance >= 0 AND reduced_due + refunded + to_advance = total_amount",
            name=op.f("ck_credit_notes_split"),
        ),
        sa.CheckConstraint("total_amount >= 0", name=op.f("ck_credit_notes_amounts")),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_credit_notes_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_credit_notes_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_credit_notes_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_credit_notes_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_credit_notes_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["counter_sessions.id"],
            name=op.f("fk_credit_notes_session_id_counter_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("branch_id", "number", name=op.f("uq_credit_notes_branch_id_number")),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_notes_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "credit_note_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("credit_note_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("invoice_line_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("item_code", sa.String(length=30), nullable=False),
        sa.Column("item_name", sa.String(length=120), nullable=False),
        sa.Column("item_type", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("gross_amount", sa.BigInteger(), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        sa.Column("line_total", sa.BigInteger(), nullable=False),
        sa.Column("hsn_sac", sa.String(length=8), nullable=False),
        sa.Column("taxability", sa.String(length=10), nullable=False),
        sa.Column("tax_rate", sa.Integer(), nullable=False),
        sa.Column("taxable_value", sa.BigInteger(), nullable=False),
        sa.Column("cgst_amount", sa.BigInteger(), nullable=False),
        sa.Column("sgst_amount", sa.BigInteger(), nullable=False),
        sa.Column("igst_amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_credit_note_lines_quantity")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_credit_note_lines_credit_note_id_credit_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_line_id"],
            ["invoice_line_item.id"],
            name=op.f("fk_credit_note_lines_invoice_line_id_invoice_line_item"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalog_items.id"],
            name=op.f("fk_credit_note_lines_item_id_catalog_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_lines")),
        sa.UniqueConstraint(
            "credit_note_id", "line_no", name=op.f("uq_credit_note_lines_credit_note_id_line_no")
        ),
    )
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_note_lines_credit_note_id"), ["credit_note_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("tendered", sa.BigInteger(), nullable=True),
        sa.Column("change_given", sa.BigInteger(), nullable=False),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('sale', 'settlement', 'advance', 'refund', 'reversal')",
            name=op.f("ck_payments_kind"),
        ),
        sa.CheckConstraint(
            "method IN ('cash', 'upi', 'card', 'wallet')", name=op.f("ck_payments_method")
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_payments_amount")),
        sa.CheckConstraint("change_given >= 0", name=op.f("ck_payments_change")),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_payments_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_payments_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_payments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_payments_credit_note_id_credit_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_payments_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_payments_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["payments.id"], name=op.f("fk_payments_reverses_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["counter_sessions.id"],
            name=op.f("fk_payments_session_id_counter_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_created_at", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_session_id"), ["session_id"], unique=False)

    op.create_table(
        "payment_allocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=True),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('payment', 'advance', 'credit_note')",
            name=op.f("ck_payment_allocations_kind"),
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_payment_allocations_amount")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branches.id"], name=op.f("fk_payment_allocations_branch_id_branches")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_payment_allocations_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["credit_notes.id"],
            name=op.f("fk_payment_allocations_credit_note_id_credit_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice_header.id"],
            name=op.f("fk_payment_allocations_invoice_id_invoice_header"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_payment_allocations_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_allocations_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_allocations")),
    )
    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payment_allocations_patient_id"), ["patient_id"], unique=False
        )

    with op.batch_alter_table("invoice_header", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("paid_outside", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_header_session_id_counter_sessions"),
            "counter_sessions",
            ["session_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_header_approved_by_users"), "users", ["approved_by"], ["id"]
        )

    # Invoices saved before this revision were paid outside Frontdesk's records.
    op.execute("UPDATE invoice_header SET paid_outside = true")

    # Plain ADD COLUMN (no batch copy): rebuilding `patients` would drop the triggers that
    # keep its FTS index (migration 0002) and could change the rowids the index points at.
    op.add_column(
        "patients",
        sa.Column("is_walk_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("patients", sa.Column("credit_limit", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("patients", "credit_limit")
    op.drop_column("patients", "is_walk_in")

    with op.batch_alter_table("invoice_header", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_header_approved_by_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_invoice_header_session_id_counter_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("paid_outside")
        batch_op.drop_column("approved_by")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("payment_allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_allocations_patient_id"))
        batch_op.drop_index(batch_op.f("ix_payment_allocations_invoice_id"))

    op.drop_table("payment_allocations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_session_id"))
        batch_op.drop_index(batch_op.f("ix_payments_patient_id"))
        batch_op.drop_index("ix_payments_created_at")

    op.drop_table("payments")
    with op.batch_alter_table("credit_note_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_note_lines_credit_note_id"))

    op.drop_table("credit_note_lines")
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_patient_id"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))

    op.drop_table("credit_notes")
    with op.batch_alter_table("cash_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_movements_session_id"))

    op.drop_table("cash_movements")
    with op.batch_alter_table("counter_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_counter_sessions_open_desk",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("counter_sessions")
