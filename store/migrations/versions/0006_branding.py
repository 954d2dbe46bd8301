"""The portal's branding an admin set (FEATURES.md F2-F3, 2026-12-02).

- `portal_branding`: one row per text of the branding (name, colour, hints, logo's blob key ...),
  over `[portal]` of ventanilla.toml (store/branding.py).

Revision ID: 0006_branding
Revises: 0005_contracts
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_branding"
down_revision = "0005_contracts"
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


def downgrade() -> None:
    op.drop_table("portal_branding")
