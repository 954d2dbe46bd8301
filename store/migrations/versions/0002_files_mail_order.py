"""Files, outgoing mail and the folded order of customers (2026-12-02).

- `blobs`: the files Ventanilla keeps when `[files] store = "database"` (store/blobs.py);
- `attachments.sha256`: the key of an attachment's bytes in the blob store;
- `outgoing_mail`: access mail queued in the store and sent by a worker (auth/outbox.py);
- customers are listed by their folded name, then code (connectors/text.py): on PostgreSQL an
  expression index in that order replaces the index on the plain name, which no list used.

Revision ID: 0002
Revises: 0001
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(length=4294967295), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        op.f("ix_outgoing_mail_next_attempt_at"), "outgoing_mail", ["next_attempt_at"], unique=False
    )
    op.add_column("attachments", sa.Column("sha256", sa.String(length=64), nullable=True))
    op.drop_index(op.f("ix_customers_name"), table_name="customers")
    if op.get_bind().dialect.name == "postgresql":  # the others cannot index the folding (tables.py)
        op.create_index(
            "ix_customers_order",
            "customers",
            [
                sa.literal_column(
                    "(translate(coalesce(name, ''), 'ABCDEFGHIJKLMNOPQRSTUVWXYZáàâäãåÁÀÂÄÃÅéèêëÉÈÊËíìîïÍÌÎÏóòôöõøÓÒÔÖÕØúùûüÚÙÛÜñÑçÇýÿÝ', 'abcdefghijklmnopqrstuvwxyzaaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooooouuuuuuuunnccyyy') COLLATE \"C\")"
                ),
                sa.literal_column("(coalesce(code, '')) COLLATE \"C\""),
                "id",
            ],
            unique=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_customers_order", table_name="customers")
    op.create_index(op.f("ix_customers_name"), "customers", ["name"], unique=False)
    op.drop_column("attachments", "sha256")
    op.drop_index(op.f("ix_outgoing_mail_next_attempt_at"), table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
    op.drop_table("blobs")
