"""The data model. Money columns hold integer paise; instants are aware UTC; keys are UUIDs.

Table and column names follow the seed documents where the meaning is the same
(`promotion_campaigns`, `campaign_code`, `current_uses`, `promotion_usage_log`,
`campaigns_applied`, `invoice_header`, ...). Rows that may sync carry a UUID key and the
`branch_id` of the branch that created them; nothing that syncs is hard-deleted (see
`retired_at`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.types import JsonDoc, Percent, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JsonDoc,
        Decimal: Percent(),
    }


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Branch(Base):
    """A clinic branch: its letterhead, its clock and how it numbers invoices."""

    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    gstin: Mapped[str] = mapped_column(String(15), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Kolkata")
    fiscal_year_start_month: Mapped[int] = mapped_column(Integer, default=4)
    invoice_series: Mapped[str] = mapped_column(String(10), default="SVC")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    # GST particulars (migration 0006): the invoice is headed by the legal name; numbers
    # follow `number_format` with `branch_code` (domain.invoice_numbers); `state_code` is
    # the GST state of the branch (the place of supply at its counter).
    legal_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    branch_code: Mapped[str] = mapped_column(String(4), default="", server_default="")
    number_format: Mapped[str] = mapped_column(
        String(40), default="{BRANCH}/{FY}/{SEQ}", server_default="{SERIES}-{FYYYY}-{SEQ}"
    )
    state_code: Mapped[str] = mapped_column(String(2), default="", server_default="")
    upi_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Lock the desktop's screen after this many idle minutes (migration 0009; a shared PC).
    idle_lock_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default=text("10"))

    __table_args__ = (CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fy_month"),)


class AppSetting(Base):
    """Key/value settings of this installation (which branch it is, the demo marker, ...)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]


class User(Base):
    """A member of staff who signs in with a PIN (stored as an argon2 hash)."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    pin_hash: Mapped[str] = mapped_column(String(200))
    max_manual_discount_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    # Wrong PINs in a row, and the lock they earn (migration 0009; services.auth).
    failed_pins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None]
    # Staff the head office publishes to every branch (migration 0017; services.staff):
    # None for this database's own, True while published, False once withdrawn.
    chain_wide: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (CheckConstraint("role IN ('front_desk', 'manager', 'admin')", name="role"),)


class Patient(Base):
    """A patient (the clinic's customer). Several family members may share a mobile."""

    __tablename__ = "patients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str] = mapped_column(String(120))
    mobile: Mapped[str] = mapped_column(String(15), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    birth_date: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(10))
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    consent_whatsapp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    # A registered recipient's GSTIN makes its invoices B2B (migration 0006).
    gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    # Money (migration 0008): the branch's one walk-in customer (products only, nothing on
    # account), and how much this patient may owe (paise; None = the branch's default).
    is_walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    credit_limit: Mapped[int | None] = mapped_column(BigInteger)


class CatalogItem(Base):
    """A service or product. `price` and `cost` are paise; `tax_rate` a percent."""

    __tablename__ = "catalog_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    item_type: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(60))
    price: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    max_discount_percent: Mapped[Decimal] = mapped_column(default=Decimal(100))
    barcode: Mapped[str | None] = mapped_column(String(40), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    # GST (migration 0006): HSN for goods, SAC for services; exempt items have rate 0.
    hsn_sac: Mapped[str] = mapped_column(String(8), default="", server_default="")
    taxability: Mapped[str] = mapped_column(String(10), default="taxable", server_default="taxable")

    __table_args__ = (
        CheckConstraint("item_type IN ('service', 'product')", name="item_type"),
        CheckConstraint("price >= 0 AND cost >= 0", name="amounts"),
        CheckConstraint("taxability IN ('taxable', 'exempt')", name="taxability"),
    )


class CatalogPrice(Base):
    """An item's price and cost (paise) from a date on (migration 0007). The price of an
    item on a day is the row with the latest `effective_from` on or before it; an item with
    no row sells at `CatalogItem.price`. Rows are never edited: a change is a new row."""

    __tablename__ = "catalog_prices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"))
    effective_from: Mapped[date]
    price: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_catalog_prices_item_date", "item_id", "effective_from"),
        CheckConstraint("price >= 0 AND cost >= 0", name="amounts"),
    )


class PromotionCampaign(Base):
    """A promotion. Amounts are paise; `rules` holds the rule-type specific parameters
    (for buy_x_get_y: which items to buy and which come free; for the others: the target
    items or categories). `current_uses` counts this branch's view of the uses."""

    __tablename__ = "promotion_campaigns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    campaign_code: Mapped[str] = mapped_column(String(40), unique=True)
    campaign_name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    promotion_type: Mapped[str] = mapped_column(String(20))
    rules: Mapped[dict[str, Any]]
    discount_percent: Mapped[Decimal | None]
    discount_amount: Mapped[int | None] = mapped_column(BigInteger)
    min_purchase_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    max_discount_amount: Mapped[int | None] = mapped_column(BigInteger)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    priority: Mapped[int] = mapped_column(Integer, default=100)
    is_stackable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    override_max_discount: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    requires_code: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    max_total_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_patient: Mapped[int | None] = mapped_column(Integer)
    # A capped promotion's uses a branch may make that the centre has not acknowledged
    # (issue #15); None: no quota.
    branch_offline_quota: Mapped[int | None] = mapped_column(Integer)
    current_uses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    auto_deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            "promotion_type IN ('buy_x_get_y', 'percentage', 'fixed_amount')", name="type"
        ),
        CheckConstraint("current_uses >= 0", name="uses"),
    )


ACTIVE_HOURS_OFF: dict[str, Any] = {
    "enabled": False,
    "start_time": "00:00",
    "end_time": "23:59",
    "timezone": "UTC",
}


def _hours_off() -> dict[str, Any]:
    return dict(ACTIVE_HOURS_OFF)


class PromoCode(Base):
    """A code typed at the counter that unlocks a promotion's benefit. `active_hours`
    ({enabled, start_time, end_time, timezone}) limits it to a daily window in its own time
    zone; at `max_uses` it expires by itself unless `auto_deactivate_on_max_uses` is off."""

    __tablename__ = "promo_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    promotion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("promotion_campaigns.id"))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_uses_per_patient: Mapped[int | None] = mapped_column(Integer)
    current_uses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    active_hours: Mapped[dict[str, Any]] = mapped_column(default=_hours_off)
    auto_deactivate_on_max_uses: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    auto_deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("status IN ('active', 'paused', 'expired')", name="status"),)


class InvoiceSequence(Base):
    """The next gap-free number per (branch, series, fiscal year); taken in the invoice's
    own transaction."""

    __tablename__ = "invoice_sequences"

    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    fiscal_year: Mapped[str] = mapped_column(String(9), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class InvoiceHeader(Base):
    """An invoice. Amounts are paise: `gross_amount` before discounts, `total_discount`,
    `tax_amount`, `round_off` and the payable `total_amount`; `total_quantity` and `total_cost`
    (units and their cost, summed from the lines) serve the dashboard. Never edited once issued:
    cancelled with a reason instead. `is_history` marks invoices imported from an
    earlier system (they keep their old numbers, outside the branch's series)."""

    __tablename__ = "invoice_header"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    invoice_number: Mapped[str] = mapped_column(String(40))
    series: Mapped[str | None] = mapped_column(String(10))
    fiscal_year: Mapped[str] = mapped_column(String(9))
    sequence_no: Mapped[int | None] = mapped_column(Integer)
    invoice_date: Mapped[date]
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="issued")
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    total_discount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    round_off: Mapped[int] = mapped_column(BigInteger, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    campaigns_applied: Mapped[dict[str, Any] | None]
    promo_codes_entered: Mapped[dict[str, Any] | None]
    is_history: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, default="")
    total_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    total_cost: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # GST (migration 0006): the document the lines made (domain.gst.DocumentType), the
    # state code of the place of supply and, for a B2B sale, the recipient's GSTIN.
    document_type: Mapped[str] = mapped_column(
        String(30), default="tax_invoice", server_default="tax_invoice"
    )
    place_of_supply: Mapped[str] = mapped_column(String(2), default="", server_default="")
    recipient_gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    # Money (migration 0008): the counter session that saved it, and the manager who allowed
    # what the person saving could not (a discount over their limit, credit over the limit).
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter_sessions.id"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Paid before Frontdesk recorded payments (invoices saved before migration 0008, and
    # imported history): nothing is due on them and they stay off patients' accounts.
    paid_outside: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    lines: Mapped[list[InvoiceLineItem]] = relationship(
        back_populates="invoice", order_by="InvoiceLineItem.line_no"
    )

    __table_args__ = (
        UniqueConstraint("branch_id", "invoice_number"),
        Index("ix_invoice_header_invoice_date", "invoice_date"),
        # Covers the dashboard's scan of each patient's visits (migration 0005).
        Index(
            "ix_invoice_header_visits",
            "status",
            "patient_id",
            "invoice_date",
            "gross_amount",
            "total_discount",
            "total_quantity",
            "total_cost",
        ),
        CheckConstraint("status IN ('issued', 'cancelled')", name="status"),
        CheckConstraint("total_amount >= 0 AND gross_amount >= 0", name="amounts"),
    )


class InvoiceLineItem(Base):
    """One line of an invoice, with the seed's discount fields. Amounts are paise:
    `unit_price`, `unit_cost`, `gross_amount` (qty x price), `discount_amount`,
    `tax_amount`, `line_total`. The item's code, name and category are copied so the
    invoice reads the same after the catalog changes."""

    __tablename__ = "invoice_line_item"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_header.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"))
    item_code: Mapped[str] = mapped_column(String(30))
    item_name: Mapped[str] = mapped_column(String(120))
    item_type: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    discount_type: Mapped[str | None] = mapped_column(String(10))
    discount_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    promotion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promotion_campaigns.id"))
    badge_text: Mapped[str | None] = mapped_column(String(120))
    tax_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    line_total: Mapped[int] = mapped_column(BigInteger)
    # GST (migration 0006): copied from the item at the sale; taxable value + CGST + SGST
    # + IGST = line_total (domain.gst, rules 1 and 2).
    hsn_sac: Mapped[str] = mapped_column(String(8), default="", server_default="")
    taxability: Mapped[str] = mapped_column(String(10), default="taxable", server_default="taxable")
    taxable_value: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    cgst_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    sgst_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    igst_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    invoice: Mapped[InvoiceHeader] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("invoice_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(
            "discount_amount >= 0 AND discount_amount <= gross_amount", name="discount"
        ),
        CheckConstraint(
            "discount_type IS NULL OR discount_type IN ('promotion', 'manual')",
            name="discount_type",
        ),
    )


class CounterSession(Base):
    """A desk's day at the counter (migration 0008): the float it opened with, and at the
    close the cash counted by denomination, what was expected per payment method (paise, a
    JSON map of method -> amount), the difference and its reason. Payments and cash
    movements name their session; the close reads them by this id, never by time."""

    __tablename__ = "counter_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    desk: Mapped[str] = mapped_column(String(40))
    business_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    opening_float: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    counted_cash: Mapped[int | None] = mapped_column(BigInteger)
    denominations: Mapped[dict[str, Any] | None]
    expected: Mapped[dict[str, Any] | None]
    difference: Mapped[int | None] = mapped_column(BigInteger)
    difference_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("opening_float >= 0", name="float"),
        # One open session per desk: a second "open" waits for the close.
        Index(
            "uq_counter_sessions_open_desk",
            "branch_id",
            "desk",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class CashMovement(Base):
    """Cash put into or taken out of the drawer during a session, with a reason (paise)."""

    __tablename__ = "cash_movements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("counter_sessions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("kind IN ('in', 'out')", name="kind"),
        CheckConstraint("amount > 0", name="amount"),
    )


class Payment(Base):
    """Money taken from or paid back to a patient (migration 0008); never edited. `amount`
    is paise: above 0 received, below 0 paid back (a refund, or a reversal of an earlier
    row named by `reverses_id`). `kind`: sale (with an invoice at the counter), settlement
    (against dues), advance (before a treatment), refund (a credit note paid back),
    reversal. Cash is stored net of the change handed back (`tendered` and `change_given`
    keep what happened at the drawer). Where the money went is `payment_allocations`."""

    __tablename__ = "payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_header.id"))
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_notes.id"))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("counter_sessions.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(100), default="")
    tendered: Mapped[int | None] = mapped_column(BigInteger)
    change_given: Mapped[int] = mapped_column(BigInteger, default=0)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_payments_created_at", "created_at"),
        CheckConstraint("amount <> 0", name="amount"),
        CheckConstraint(
            "kind IN ('sale', 'settlement', 'advance', 'refund', 'reversal')", name="kind"
        ),
        CheckConstraint("method IN ('cash', 'upi', 'card', 'wallet')", name="method"),
        CheckConstraint("change_given >= 0", name="change"),
    )


class PaymentAllocation(Base):
    """Patient money applied to an invoice (paise; migration 0008). `kind`: payment (from
    `payment_id`), advance (money already held, used on this invoice) or credit_note (a
    negative row: a credit note took back what had been applied, to pay it back or keep it
    as an advance). An invoice owes its total less its credit notes less these rows; a
    patient's advance is their payments less these rows."""

    __tablename__ = "payment_allocations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_header.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credit_notes.id"))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount"),
        CheckConstraint("kind IN ('payment', 'advance', 'credit_note')", name="kind"),
    )


class CreditNote(Base):
    """A refund of some lines or quantities of an invoice (migration 0008), numbered in its
    own gap-free series per fiscal year; never edited. Amounts are paise: `total_amount`
    is what the patient gets back in value, split into `reduced_due` (what the invoice still
    owed, now cancelled), `refunded` (paid back by `refund_method`) and `to_advance` (kept
    on the patient's account). `promotions_reversed` records the promotion discounts the
    refund took back (the credit note's arithmetic, services.credit_notes)."""

    __tablename__ = "credit_notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    number: Mapped[str] = mapped_column(String(40))
    series: Mapped[str] = mapped_column(String(10))
    fiscal_year: Mapped[str] = mapped_column(String(9))
    sequence_no: Mapped[int] = mapped_column(Integer)
    note_date: Mapped[date]
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_header.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("counter_sessions.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    total_discount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    reduced_due: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    to_advance: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_method: Mapped[str | None] = mapped_column(String(20))
    promotions_reversed: Mapped[dict[str, Any] | None]
    document_type: Mapped[str] = mapped_column(String(30), default="tax_invoice")
    place_of_supply: Mapped[str] = mapped_column(String(2), default="")
    recipient_gstin: Mapped[str] = mapped_column(String(15), default="")

    lines: Mapped[list[CreditNoteLine]] = relationship(order_by="CreditNoteLine.line_no")

    __table_args__ = (
        UniqueConstraint("branch_id", "number"),
        CheckConstraint("total_amount >= 0", name="amounts"),
        CheckConstraint(
            "reduced_due >= 0 AND refunded >= 0 AND to_advance >= 0"
            " AND reduced_due + refunded + to_advance = total_amount",
            name="split",
        ),
    )


class CreditNoteLine(Base):
    """A refunded line: which invoice line, how many units, and their value (paise), with
    the GST split backed out as on the invoice (domain.gst)."""

    __tablename__ = "credit_note_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    credit_note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    invoice_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_line_item.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"))
    item_code: Mapped[str] = mapped_column(String(30))
    item_name: Mapped[str] = mapped_column(String(120))
    item_type: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    gross_amount: Mapped[int] = mapped_column(BigInteger)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    line_total: Mapped[int] = mapped_column(BigInteger)
    hsn_sac: Mapped[str] = mapped_column(String(8), default="")
    taxability: Mapped[str] = mapped_column(String(10), default="taxable")
    tax_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    taxable_value: Mapped[int] = mapped_column(BigInteger, default=0)
    cgst_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_amount: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        UniqueConstraint("credit_note_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity"),
    )


class PromotionUsageLog(Base):
    """One use of a promotion by one invoice. `discount_amount` is paise. A cancelled
    invoice's usage is reversed (kept, with `reversed_at`), never deleted."""

    __tablename__ = "promotion_usage_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("promotion_campaigns.id"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_header.id"))
    promo_code_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promo_codes.id"))
    usage_date: Mapped[datetime]
    discount_amount: Mapped[int] = mapped_column(BigInteger)
    applied_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reversed_at: Mapped[datetime | None]
    reversed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[PromotionUsageItem]] = relationship()

    __table_args__ = (
        UniqueConstraint("campaign_id", "invoice_id"),
        Index("ix_promotion_usage_log_usage_date", "usage_date"),
        Index("ix_promotion_usage_log_patient_id", "patient_id"),
        # A patient's live uses by promotion, asked at every quote and save (0020).
        Index(
            "ix_promotion_usage_log_patient_live",
            "patient_id",
            "campaign_id",
            sqlite_where=text("reversed_at IS NULL"),
            postgresql_where=text("reversed_at IS NULL"),
        ),
    )


class PromotionUsageItem(Base):
    """Which items one promotion use discounted, and by how much (paise): the services a
    promotion or promo code landed on (seed 001's offer application tracking)."""

    __tablename__ = "promotion_usage_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    usage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("promotion_usage_log.id"), index=True)
    invoice_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_line_item.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("catalog_items.id"))
    item_code: Mapped[str] = mapped_column(String(30))
    item_name: Mapped[str] = mapped_column(String(120))
    discount_amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("usage_id", "invoice_line_id"),)


class SyncOutbox(Base):
    """Documents waiting to be pushed to the centre, in the order they were written."""

    __tablename__ = "sync_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_type: Mapped[str] = mapped_column(String(40))
    doc_id: Mapped[uuid.UUID]
    doc_version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_sync_outbox_unsent", "sent_at", "id"),)


class AuditLog(Base):
    """Who did what, when: every change a person makes lands here. Append-only (triggers
    refuse UPDATE and DELETE, migration 0009) and hash-chained in `seq` order
    (domain.audit_chain)."""

    __tablename__ = "audit_log"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_at", "at"),)


class CallbackRequest(Base):
    """A person to call back (seed 004): a patient, or the name and mobile of someone not
    registered yet. `requested_at` is the original request time and never changes (the
    queue breaks ties on it); `due_at` is when the call is due (the SLA of its category in
    opening hours, or the time it was rescheduled to); `not_before` keeps "Call next" from
    ringing before a rescheduled time or a retry. `attempts` counts unanswered calls."""

    __tablename__ = "callback_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    mobile: Mapped[str] = mapped_column(String(15))
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")
    preferred_from: Mapped[datetime | None]
    preferred_to: Mapped[datetime | None]
    requested_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    sla_category: Mapped[str] = mapped_column(String(10))
    due_at: Mapped[datetime]
    not_before: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_callback_requests_status_due_at", "status", "due_at"),
        CheckConstraint(
            "status IN ('new', 'assigned', 'in_progress', 'no_answer', 'rescheduled', "
            "'completed', 'unreachable', 'cancelled')",
            name="status",
        ),
        CheckConstraint(
            "reason IN ('appointment', 'billing_question', 'complaint', 'promotion_enquiry', "
            "'follow_up', 'campaign_response')",
            name="reason",
        ),
        CheckConstraint("source IN ('walk_in', 'phone', 'campaign_reply')", name="source"),
        CheckConstraint("sla_category IN ('urgent', 'high', 'medium', 'low')", name="category"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )


class CallbackActivity(Base):
    """One entry of a callback's log: creation, assignment, status change, call attempt,
    note or reschedule, with who and when. `details` holds what changed (assignee, new due
    time, attempt number, ...). Entries are only ever added."""

    __tablename__ = "callback_activities"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    callback_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("callback_requests.id"), index=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    at: Mapped[datetime]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    activity: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None]


# ---------------------------------------------------------------------------------------
# Campaigns (issue #16, seed 004; migration 0010): the template library, campaigns with
# their audience, variants and schedule, triggers, one execution per recipient, step and
# channel, the consent ledger, do-not-contact and responses.


class MessageTemplate(Base):
    """A message of the library for one channel, with its Jinja2 body (rendered in the
    sandbox), and what the channel needs registered: TRAI DLT ids and the registered text
    (with `{#var#}` placeholders) for SMS, the approved template for WhatsApp."""

    __tablename__ = "message_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None on a branch for the head office's template, received from the centre (0018).
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sms_dlt_template_id: Mapped[str | None] = mapped_column(String(30))
    sms_header: Mapped[str | None] = mapped_column(String(11))
    sms_principal_entity_id: Mapped[str | None] = mapped_column(String(30))
    sms_registered_text: Mapped[str | None] = mapped_column(Text)
    whatsapp_template_name: Mapped[str | None] = mapped_column(String(120))
    whatsapp_language: Mapped[str | None] = mapped_column(String(15))
    whatsapp_components: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'whatsapp', 'preview')", name="channel"),
        CheckConstraint("purpose IN ('promotional', 'service')", name="purpose"),
    )


class Campaign(Base):
    """A campaign: its objective, channels, audience (a JSON spec), variants (name ->
    template id and share, with the hold-out share and the minimum per arm), schedule,
    budget and cost per message by channel (paise), the promotion or code it measures, and
    its status."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None on a branch for the head office's campaign, received from the centre (0019): the
    # branch runs it for its own patients (services.campaigns.campaigns, rule 8).
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str] = mapped_column(String(120))
    objective: Mapped[str] = mapped_column(String(200), default="")
    channels: Mapped[list[str]] = mapped_column(JsonDoc)
    audience: Mapped[dict[str, Any]]
    variants: Mapped[dict[str, Any]]
    schedule: Mapped[dict[str, Any]]
    budget_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_per_message: Mapped[dict[str, Any]]
    promotion_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promotion_campaigns.id"))
    promo_code_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("promo_codes.id"))
    personal_codes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attribution_days: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # None when the head office's member of staff who made it is not known here (0019).
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'scheduled', 'running', 'paused', 'completed')", name="status"
        ),
        CheckConstraint("budget_paise >= 0", name="budget"),
    )


class CampaignTrigger(Base):
    """An event that starts a message or a callback for one patient, after a delay."""

    __tablename__ = "campaign_triggers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None on a branch for a trigger of the head office's campaign (0019).
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    conditions: Mapped[dict[str, Any] | None]
    delay_minutes: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("message_templates.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    __table_args__ = (
        CheckConstraint(
            "kind IN ('invoice_saved', 'no_visit_days', 'birthday', 'promotion_expiring', "
            "'callback_completed')",
            name="kind",
        ),
        CheckConstraint("action IN ('send_template', 'create_callback')", name="action"),
        CheckConstraint("delay_minutes >= 0", name="delay"),
    )


class CampaignExecution(Base):
    """One message: a recipient, a campaign, a step and a channel (never queued twice), its
    variant ("holdout" rows are never sent), the text as rendered, what the channel needs
    beyond it (`payload`), and its life: queued, sending (the provider was called: an
    interrupted send becomes `unknown`, never repeated blindly), sent, delivered, ..."""

    __tablename__ = "campaign_executions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    step: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str] = mapped_column(String(20))
    variant: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    rendered_subject: Mapped[str | None] = mapped_column(String(200))
    rendered_text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None]
    personal_code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)
    cost_paise: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("campaign_id", "patient_id", "step", "channel"),
        Index("ix_campaign_executions_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'replied', "
            "'opted_out', 'converted', 'unknown', 'held', 'skipped')",
            name="status",
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("cost_paise >= 0", name="cost"),
    )


class ConsentLedger(Base):
    """One consent event (append-only): a patient granted or withdrew consent for a channel
    and purpose, with the notice shown and where it came from. The latest event of
    (patient, channel, purpose) is the state; none means no promotional consent."""

    __tablename__ = "consent_ledger"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"))
    channel: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    notice: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_consent_ledger_patient_channel", "patient_id", "channel", "purpose", "at"),
        CheckConstraint("channel IN ('email', 'sms', 'whatsapp')", name="channel"),
        CheckConstraint("purpose IN ('promotional', 'service')", name="purpose"),
        CheckConstraint("action IN ('granted', 'withdrawn')", name="action"),
        CheckConstraint("source IN ('form', 'counter', 'reply', 'import')", name="source"),
    )


class DoNotContact(Base):
    """A channel a patient must not be contacted on (Mautic's reasons), until lifted."""

    __tablename__ = "do_not_contact"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("reason IN ('unsubscribed', 'bounced', 'manual')", name="reason"),
    )


class CampaignResponse(Base):
    """What came back: a reply, an opt-out word, a bounce or a delivery report."""

    __tablename__ = "campaign_responses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("campaign_executions.id"), index=True
    )
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"))
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("kind IN ('reply', 'opt_out', 'bounce', 'delivery_report')", name="kind"),
    )


# ---------------------------------------------------------------------------------------
# Sponsored campaigns billed per impression (issue #17, seed 002; migration 0012). Seed
# 002's separation: the campaign's settings (sponsored_campaigns), its billing records
# (sponsor_invoices, with the seed's campaign_invoices columns as they apply) and the raw
# impressions (sponsor_impressions, the one source of clicks and conversions).


class Sponsor(Base):
    """A brand that pays for sponsored promotions: its legal name, contact, GSTIN, state
    (the GST state code that decides CGST+SGST or IGST) and billing address."""

    __tablename__ = "sponsors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None on a branch for the head office's sponsor, received from the centre (0018).
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    legal_name: Mapped[str] = mapped_column(String(160), unique=True)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    gstin: Mapped[str] = mapped_column(String(15), default="")
    state_code: Mapped[str] = mapped_column(String(2))
    billing_address: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class SponsoredCampaign(Base):
    """A sponsor's campaign settings (seed 002's campaign_profile, billing configuration
    only). Money is paise: `campaign_budget`, `cost_per_impression` (per impression),
    `deposit_amount`. `booked_impressions` is the quantity sold; `branch_offline_quota` the
    impressions a branch may charge that the centre has not acknowledged (None: no bound)."""

    __tablename__ = "sponsored_campaigns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # None on a branch for the head office's campaign, received from the centre (0018): the
    # centre bills it, and the branch does not change it.
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    sponsor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sponsors.id"), index=True)
    campaign_code: Mapped[str] = mapped_column(String(40), unique=True)
    campaign_name: Mapped[str] = mapped_column(String(120))
    billing_frequency: Mapped[str] = mapped_column(String(10))
    campaign_budget: Mapped[int] = mapped_column(BigInteger)
    cost_per_impression: Mapped[int] = mapped_column(BigInteger)
    booked_impressions: Mapped[int] = mapped_column(Integer)
    deposit_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    branch_offline_quota: Mapped[int | None] = mapped_column(Integer)
    start_date: Mapped[date]
    end_date: Mapped[date]
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=15)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            "billing_frequency IN ('weekly', 'monthly', 'at_end')", name="billing_frequency"
        ),
        CheckConstraint("cost_per_impression > 0", name="rate"),
        CheckConstraint("booked_impressions > 0", name="booked"),
        CheckConstraint("campaign_budget > 0", name="budget"),
        CheckConstraint("deposit_amount >= 0", name="deposit"),
        CheckConstraint("end_date >= start_date", name="flight"),
    )


class SponsoredCampaignPromotion(Base):
    """A promotion whose badge a sponsored campaign pays for."""

    __tablename__ = "sponsored_campaign_promotions"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sponsored_campaigns.id"), primary_key=True
    )
    promotion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("promotion_campaigns.id"), primary_key=True, unique=True
    )


class SponsorImpression(Base):
    """One showing of a sponsored badge (seed 002's campaign_impressions): at the counter
    (`source` counter, `viewable_duration` in ms on a focused window) or printed on an
    invoice (`source` print). `viewer_key` is the patient's id or the walk-in cart's; with
    `shown_on` (the branch's date) it decides `is_unique`. `charged` marks a billable one
    (domain.sponsor_billing rule 10); `sponsor_invoice_id` the invoice that billed it;
    `cpi_rate` is paise. At the centre, which of the branches' impressions were billed is
    db.central_sponsors' record; those charged past the limit are the branch's overrun."""

    __tablename__ = "sponsor_impressions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sponsored_campaigns.id"))
    promotion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("promotion_campaigns.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patients.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoice_header.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    viewer_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10))
    shown_on: Mapped[date]
    is_unique: Mapped[bool] = mapped_column(Boolean)
    is_viewable: Mapped[bool] = mapped_column(Boolean)
    viewable_duration: Mapped[int] = mapped_column(Integer, default=0)
    clicked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    clicked_at: Mapped[datetime | None]
    converted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    converted_at: Mapped[datetime | None]
    cpi_rate: Mapped[int] = mapped_column(BigInteger)
    charged: Mapped[bool] = mapped_column(Boolean)
    charged_at: Mapped[datetime | None]
    sponsor_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sponsor_invoices.id"))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_sponsor_impressions_campaign_shown", "campaign_id", "shown_on"),
        Index("ix_sponsor_impressions_viewer", "campaign_id", "viewer_key", "shown_on"),
        # A campaign's charged impressions, counted at every quote and save (0020).
        Index(
            "ix_sponsor_impressions_charged",
            "campaign_id",
            sqlite_where=text("charged IS 1"),
            postgresql_where=text("charged"),
        ),
        CheckConstraint("source IN ('counter', 'print')", name="source"),
    )


class SponsorInvoice(Base):
    """A sponsor's tax invoice (seed 002's campaign_invoices), in its own gap-free series
    per fiscal year. Amounts are paise: `amount` = impressions x `cpi_rate` (a deposit's
    own amount on a deposit invoice), less `discount_amount` (and, on a final settlement,
    the `deposit_amount` credited) gives `taxable_amount`; GST (`cgst_amount`,
    `sgst_amount`, `igst_amount`, together `tax_amount`) is added for `total_amount`.
    `refund_amount` is what a settlement gives back; `outstanding_amount` what is still
    owed (kept with `status` as payments arrive). Clicks and conversions are never stored
    here: they are counted from the impressions of the period."""

    __tablename__ = "sponsor_invoices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sponsored_campaigns.id"), index=True)
    sponsor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sponsors.id"))
    invoice_number: Mapped[str] = mapped_column(String(40), unique=True)
    series: Mapped[str] = mapped_column(String(10))
    fiscal_year: Mapped[str] = mapped_column(String(9))
    sequence_no: Mapped[int] = mapped_column(Integer)
    invoice_type: Mapped[str] = mapped_column(String(20))
    billing_cycle_number: Mapped[int] = mapped_column(Integer)
    billing_period_start: Mapped[date | None]
    billing_period_end: Mapped[date | None]
    impressions_delivered: Mapped[int] = mapped_column(Integer, default=0)
    cpi_rate: Mapped[int] = mapped_column(BigInteger, default=0)
    amount: Mapped[int] = mapped_column(BigInteger)
    deposit_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    taxable_amount: Mapped[int] = mapped_column(BigInteger)
    cgst_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    sgst_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    igst_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_amount: Mapped[int] = mapped_column(BigInteger)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    refund_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    outstanding_amount: Mapped[int] = mapped_column(BigInteger)
    place_of_supply: Mapped[str] = mapped_column(String(2))
    # The sponsor as it was at issue (migration 0016): a later change of the sponsor does
    # not change an issued document; `place_of_supply` is its state then.
    sponsor_legal_name: Mapped[str] = mapped_column(String(160), default="", server_default="")
    sponsor_gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    sponsor_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str | None] = mapped_column(String(50))
    payment_transaction_id: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None]
    issued_at: Mapped[datetime]
    invoice_date: Mapped[date]
    due_date: Mapped[date]
    invoice_pdf_url: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(
            "invoice_type IN ('deposit', 'recurring', 'final_settlement')", name="type"
        ),
        CheckConstraint(
            "status IN ('issued', 'partially_paid', 'paid', 'refund_due')", name="status"
        ),
        CheckConstraint("outstanding_amount >= 0", name="outstanding"),
        UniqueConstraint(
            "campaign_id",
            "invoice_type",
            "billing_period_start",
            "billing_period_end",
            name="uq_sponsor_invoices_period",
        ),
    )


class SponsorPayment(Base):
    """Money a sponsor paid on one of its invoices (paise, above 0); never edited."""

    __tablename__ = "sponsor_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    sponsor_invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sponsor_invoices.id"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    paid_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(
            "method IN ('bank_transfer', 'upi', 'cheque', 'card', 'cash')", name="method"
        ),
    )


# ---------------------------------------------------------------------------- sync usage (#15)


class SyncSponsorTotal(Base):
    """Per sponsored promotion, the charged impressions of every branch the centre held at
    this branch's last pull, and how many of those were this branch's (migration 0016). The
    chain's count is that total less `own` plus this branch's own charged impressions now
    (rule 11 of domain.sponsor_billing)."""

    __tablename__ = "sync_sponsor_totals"

    promotion_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    charged: Mapped[int] = mapped_column(Integer)
    own: Mapped[int] = mapped_column(Integer)


class SyncUsageSent(Base):
    """Which promotion uses the centre holds from this branch, and in which state (migration
    0014): a use is sent again when it was reversed since. A promotion's uses across the
    chain are the centre's count at the last pull plus this branch's uses not sent yet."""

    __tablename__ = "sync_usage_sent"

    usage_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("promotion_usage_log.id"), primary_key=True
    )
    reversed: Mapped[bool] = mapped_column(Boolean)
