"""Payment commitments the store keeps for customers of a legacy source (2026-12-02).

- `kept_payment_commitments`: a commitment (FEATURES.md B11) asked through the portal by a customer
  who lives in a legacy source that takes no commitments (SAP), keyed by the customer's canonical
  id (a string; the native `payment_commitments` table's integer foreign key cannot hold it).

Revision ID: 0004_commitments
Revises: 0004_tickets
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_commitments"
down_revision = "0004_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_payment_commitments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_kept_payment_commitments_customer_id"), "kept_payment_commitments", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_kept_payment_commitments_customer_id"), table_name="kept_payment_commitments")
    op.drop_table("kept_payment_commitments")
