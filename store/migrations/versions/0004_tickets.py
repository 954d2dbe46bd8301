"""Tickets the portal opens beside a read-only source (2026-12-02).

- `portal_tickets`, `portal_ticket_messages`, `portal_ticket_files`: tickets (and replies, also to
  a legacy system's own tickets) kept in the store by canonical ids, merged into the reads of a
  `tickets` domain whose source takes no ticket writes (connectors/portal_tickets.py).

Revision ID: 0004_tickets
Revises: 0003
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_tickets"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.String(length=60), nullable=True),
        sa.Column("area", sa.String(length=60), nullable=True),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("assignee", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        "ix_portal_tickets_customer_created", "portal_tickets", ["customer_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "portal_ticket_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=80), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_portal_ticket_messages_ticket_id"), "portal_ticket_messages", ["ticket_id"], unique=False
    )
    op.create_table(
        "portal_ticket_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["portal_ticket_messages.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_portal_ticket_files_message_id"), "portal_ticket_files", ["message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_portal_ticket_files_message_id"), table_name="portal_ticket_files")
    op.drop_table("portal_ticket_files")
    op.drop_index(op.f("ix_portal_ticket_messages_ticket_id"), table_name="portal_ticket_messages")
    op.drop_table("portal_ticket_messages")
    op.drop_index("ix_portal_tickets_customer_created", table_name="portal_tickets")
    op.drop_table("portal_tickets")
