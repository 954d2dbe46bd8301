"""Online payments (FEATURES.md B9, 2026-12-02).

- `payment_attempts`: each startPayment, its amount, provider, reference and status.
- `payment_confirmations`: what providers confirmed, one row per provider payment (recorded once).

Revision ID: 0006_payments
Revises: 0005_contracts
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_payments"
down_revision = "0006_partner_queries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("provider", sa.String(length=60), nullable=False),
        sa.Column("option", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("provider_reference", sa.String(length=200), nullable=True),
        sa.Column("redirect_url", sa.Text(), nullable=False),
        sa.Column("form", sa.Text(), nullable=True),
        sa.Column("return_url", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    op.create_index(
        op.f("ix_payment_attempts_customer_id"), "payment_attempts", ["customer_id"], unique=False
    )
    op.create_index(
        "ix_payment_attempts_status_created", "payment_attempts", ["status", "created_at"], unique=False
    )
    op.create_table(
        "payment_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(length=60), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=200), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider_status", sa.String(length=60), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["payment_attempts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "provider_payment_id", name="uq_payment_confirmations"),
    )
    op.create_index(
        op.f("ix_payment_confirmations_attempt_id"), "payment_confirmations", ["attempt_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_confirmations_attempt_id"), table_name="payment_confirmations")
    op.drop_table("payment_confirmations")
    op.drop_index("ix_payment_attempts_status_created", table_name="payment_attempts")
    op.drop_index(op.f("ix_payment_attempts_customer_id"), table_name="payment_attempts")
    op.drop_table("payment_attempts")
