"""The portal's branding an admin set (FEATURES.md F2-F3, 2026-12-02).

- `portal_branding`: one row per text of the branding (name, colour, hints, logo's blob key ...),
  over `[portal]` of ventanilla.toml (store/branding.py).
- `email_confirmations`: a customer's new sign-in e-mail waiting for its confirmation link (E1,
  store/contacts.py).

Revision ID: 0006_branding
Revises: 0005_contracts
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_branding"
down_revision = "0006_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_branding",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "email_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("new_email", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_email_confirmations_user_id"), "email_confirmations", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_email_confirmations_user_id"), table_name="email_confirmations")
    op.drop_table("email_confirmations")
    op.drop_table("portal_branding")
