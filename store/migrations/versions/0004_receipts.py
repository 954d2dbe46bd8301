"""Payment receipts and plan requests (2026-12-02).

- `payment_receipts`: receipts customers submitted (B10), the staff queue, and each decision;
- `plan_requests`: plan changes and new plans customers asked for (D4), with their tickets.

Revision ID: 0004_receipts
Revises: 0004_tickets
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_receipts"
down_revision = "0004_tickets"  # main had 0004_tickets when this branch merged it (brief: "0003")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_receipts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_ids", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_content_type", sa.String(length=80), nullable=False),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_id", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_receipts_customer", "payment_receipts", ["customer_id", "id"], unique=False)
    op.create_index("ix_payment_receipts_status", "payment_receipts", ["status", "id"], unique=False)
    op.create_table(
        "plan_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subscription_id", sa.String(length=60), nullable=True),
        sa.Column("from_plan_id", sa.String(length=60), nullable=True),
        sa.Column("to_plan_id", sa.String(length=60), nullable=False),
        sa.Column("service_address", sa.String(length=300), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("ticket_id", sa.String(length=60), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_requests_customer", "plan_requests", ["customer_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_plan_requests_customer", table_name="plan_requests")
    op.drop_table("plan_requests")
    op.drop_index("ix_payment_receipts_status", table_name="payment_receipts")
    op.drop_index("ix_payment_receipts_customer", table_name="payment_receipts")
    op.drop_table("payment_receipts")
