"""Portal actions II: decisions on legacy quotes, comments on legacy documents (2026-12-02).

- `portal_quote_decisions`: acceptQuote / rejectQuote on a quote of a read-only legacy source,
  one row per quote (its primary key: one of two racing decisions wins), overlaid on reads.
- `portal_comments`: addComment on a document of a read-only legacy source, merged into reads.
(connectors/portal_commerce.py)
- `shared_document_files`: the blob (SHA-256) of each document staff shared (resolvers/documents.py).

Revision ID: 0005_quotes
Revises: 0004_tickets
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_quotes"
down_revision = "0004_commitments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_quote_decisions",
        sa.Column("quote_id", sa.String(length=80), nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("quote_id"),
    )
    op.create_index(
        op.f("ix_portal_quote_decisions_customer_id"), "portal_quote_decisions", ["customer_id"], unique=False
    )
    op.create_table(
        "portal_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_portal_comments_subject", "portal_comments", ["subject_kind", "subject_id"], unique=False)
    op.create_table(
        "shared_document_files",
        sa.Column("document_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )


def downgrade() -> None:
    op.drop_table("shared_document_files")
    op.drop_index("ix_portal_comments_subject", table_name="portal_comments")
    op.drop_table("portal_comments")
    op.drop_index(op.f("ix_portal_quote_decisions_customer_id"), table_name="portal_quote_decisions")
    op.drop_table("portal_quote_decisions")
