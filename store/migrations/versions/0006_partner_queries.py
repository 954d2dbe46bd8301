"""Allow-list mode per partner client (issue 13, 2026-12-02).

- `partner_clients.queries_only`: the client runs only its registered documents.
- `partner_queries`: those documents, by the SHA-256 of their exact text.

Revision ID: 0006_partner_queries
Revises: 0005_contracts
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_partner_queries"
down_revision = "0005_contracts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partner_clients") as batch:
        batch.add_column(sa.Column("queries_only", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "partner_queries",
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "sha256"),
    )


def downgrade() -> None:
    op.drop_table("partner_queries")
    with op.batch_alter_table("partner_clients") as batch:
        batch.drop_column("queries_only")
