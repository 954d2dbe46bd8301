"""Contract signatures, contact data and billing data of portal actions II (2026-12-02).

- `contract_signatures`: the evidence of each signature and the key of the signed copy (D2).
- `portal_contacts`: e-mails and phones customers added in the portal, beside the business's (E1).
- `billing_changes`: billing data changes customers asked for, applied or waiting for review (B13).

Revision ID: 0005_contracts
Revises: 0004_tickets
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_contracts"
down_revision = "0005_quotes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_signatures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contract_id", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("signer", sa.String(length=120), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("contract_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_pdf_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contract_id"),
    )
    op.create_table(
        "portal_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("value", sa.String(length=120), nullable=False),
        sa.Column("phone_kind", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "kind", "value", name="uq_portal_contacts"),
    )
    op.create_table(
        "billing_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("tax_id", sa.String(length=30), nullable=True),
        sa.Column("tax_kind", sa.String(length=10), nullable=True),
        sa.Column("tax_condition", sa.String(length=60), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_billing_changes_customer_id"), "billing_changes", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_billing_changes_customer_id"), table_name="billing_changes")
    op.drop_table("billing_changes")
    op.drop_table("portal_contacts")
    op.drop_table("contract_signatures")
