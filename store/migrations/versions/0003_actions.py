"""What the portal actions share (2026-12-02).

- `events` and `event_deliveries`: the outbox of domain events and their delivery to each sink;
- `idempotency_keys`: the first answer of an action called with an `idempotencyKey`, for 24 h;
- `feature_switches`: the switches an admin set over `[portal] features`;
- `action_counters`: daily limits and cool-downs, taken by one conditional UPDATE;
- `audit_log.customer_id` and `.object_id`: on whose behalf an action was done, and on what.

Revision ID: 0003
Revises: 0002
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=60), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_events_occurred_at"), "events", ["occurred_at"], unique=False)
    op.create_table(
        "event_deliveries",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("sink", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("event_id", "sink"),
    )
    op.create_index(
        op.f("ix_event_deliveries_next_attempt_at"), "event_deliveries", ["next_attempt_at"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("caller", sa.String(length=120), nullable=False),
        sa.Column("mutation", sa.String(length=40), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("caller", "mutation", "idempotency_key", name="uq_idempotency_keys"),
    )
    op.create_index(op.f("ix_idempotency_keys_expires_at"), "idempotency_keys", ["expires_at"], unique=False)
    op.create_table(
        "feature_switches",
        sa.Column("feature", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("feature"),
    )
    op.create_table(
        "action_counters",
        sa.Column("counter_key", sa.String(length=200), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("window_ends", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("counter_key"),
    )
    op.add_column("audit_log", sa.Column("customer_id", sa.String(length=60), nullable=True))
    op.add_column("audit_log", sa.Column("object_id", sa.String(length=80), nullable=True))


def downgrade() -> None:
    op.drop_column("audit_log", "object_id")
    op.drop_column("audit_log", "customer_id")
    op.drop_table("action_counters")
    op.drop_table("feature_switches")
    op.drop_index(op.f("ix_idempotency_keys_expires_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index(op.f("ix_event_deliveries_next_attempt_at"), table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_index(op.f("ix_events_occurred_at"), table_name="events")
    op.drop_table("events")
