"""The store as it was before migrations: every table of store/tables.py and
connectors/native/tables.py on 2026-12-01.

A store made before migrations existed (`ventanilla demo`, `ventanilla staff add`, which made only
the access tables) has no version yet: this revision creates only the tables it lacks, so such a
store is adopted with its rows intact and completed.

Revision ID: 0001
Revises:
Created: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "audit_log" not in existing:
        op.create_table(
            "audit_log",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("event", sa.String(length=32), nullable=False),
            sa.Column("outcome", sa.String(length=32), nullable=False),
            sa.Column("login", sa.String(length=120), nullable=True),
            sa.Column("user_id", sa.Integer(), nullable=True),
            sa.Column("actor", sa.String(length=120), nullable=True),
            sa.Column("ip", sa.String(length=64), nullable=True),
            sa.Column("detail", sa.String(length=200), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("audit_log", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
    if "partner_clients" not in existing:
        op.create_table(
            "partner_clients",
            sa.Column("client_id", sa.String(length=40), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("secret_hash", sa.String(length=200), nullable=False),
            sa.Column("scopes", sa.String(length=400), nullable=False),
            sa.Column("origins", sa.String(length=2000), nullable=False),
            sa.Column("disabled", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("client_id"),
        )
    if "users" not in existing:
        op.create_table(
            "users",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("login", sa.String(length=120), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("password_hash", sa.String(length=200), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("role", sa.String(length=10), nullable=True),
            sa.Column("must_change_password", sa.Boolean(), nullable=False),
            sa.Column("disabled", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("login"),
        )
    if "one_time_secrets" not in existing:
        op.create_table(
            "one_time_secrets",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("secret_hash", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("purpose", sa.String(length=16), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["users.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("secret_hash"),
        )
        with op.batch_alter_table("one_time_secrets", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_one_time_secrets_user_id"), ["user_id"], unique=False)
    if "sessions" not in existing:
        op.create_table(
            "sessions",
            sa.Column("id", sa.String(length=32), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("remember", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("ip", sa.String(length=64), nullable=True),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["users.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("sessions", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)
    if "user_customers" not in existing:
        op.create_table(
            "user_customers",
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.Column("customer_id", sa.String(length=40), nullable=False),
            sa.Column("is_default", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["users.id"],
            ),
            sa.PrimaryKeyConstraint("user_id", "customer_id"),
        )
        with op.batch_alter_table("user_customers", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_user_customers_customer_id"), ["customer_id"], unique=False)
    if "user_logins" not in existing:
        op.create_table(
            "user_logins",
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("value", sa.String(length=64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["user_id"],
                ["users.id"],
            ),
            sa.PrimaryKeyConstraint("kind", "value"),
        )
        with op.batch_alter_table("user_logins", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_user_logins_user_id"), ["user_id"], unique=False)
    if "refresh_tokens" not in existing:
        op.create_table(
            "refresh_tokens",
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("session_id", sa.String(length=32), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["session_id"],
                ["sessions.id"],
            ),
            sa.PrimaryKeyConstraint("token_hash"),
        )
        with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False)
    if "attachments" not in existing:
        op.create_table(
            "attachments",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("owner_kind", sa.String(length=20), nullable=False),
            sa.Column("owner_id", sa.Integer(), nullable=False),
            sa.Column("filename", sa.String(length=200), nullable=False),
            sa.Column("content_type", sa.String(length=80), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("attachments", schema=None) as batch_op:
            batch_op.create_index("ix_attachments_owner", ["owner_kind", "owner_id"], unique=False)
    if "commercial_lines" not in existing:
        op.create_table(
            "commercial_lines",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("document_kind", sa.String(length=16), nullable=False),
            sa.Column("document_id", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("description", sa.String(length=200), nullable=False),
            sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
            sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=True),
            sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("commercial_lines", schema=None) as batch_op:
            batch_op.create_index(
                "ix_commercial_lines_document", ["document_kind", "document_id"], unique=False
            )
    if "companies" not in existing:
        op.create_table(
            "companies",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("code", sa.String(length=10), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("tax_id_kind", sa.String(length=8), nullable=True),
            sa.Column("tax_id", sa.String(length=20), nullable=True),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("country", sa.String(length=2), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("code"),
        )
    if "plans" not in existing:
        op.create_table(
            "plans",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("code", sa.String(length=20), nullable=False),
            sa.Column("name", sa.String(length=80), nullable=False),
            sa.Column("description", sa.Text(), nullable=True),
            sa.Column("download_mbps", sa.Integer(), nullable=True),
            sa.Column("upload_mbps", sa.Integer(), nullable=True),
            sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("available_in_portal", sa.Boolean(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("code"),
        )
    if "customers" not in existing:
        op.create_table(
            "customers",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("code", sa.String(length=10), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("tax_id_kind", sa.String(length=8), nullable=True),
            sa.Column("tax_id", sa.String(length=20), nullable=True),
            sa.Column("tax_condition", sa.String(length=30), nullable=True),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("company_id", sa.Integer(), nullable=False),
            sa.Column("street", sa.String(length=120), nullable=True),
            sa.Column("city", sa.String(length=80), nullable=True),
            sa.Column("province", sa.String(length=80), nullable=True),
            sa.Column("postal_code", sa.String(length=10), nullable=True),
            sa.Column("country", sa.String(length=2), nullable=True),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("credit_limit", sa.Numeric(precision=14, scale=2), nullable=True),
            sa.Column("created_on", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["company_id"],
                ["companies.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("code"),
        )
        with op.batch_alter_table("customers", schema=None) as batch_op:
            batch_op.create_index("ix_customers_name", ["name"], unique=False)
            batch_op.create_index("ix_customers_tax_id", ["tax_id"], unique=False)
    if "promotions" not in existing:
        op.create_table(
            "promotions",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("plan_id", sa.Integer(), nullable=False),
            sa.Column("name", sa.String(length=120), nullable=False),
            sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=True),
            sa.Column("fixed_price", sa.Numeric(precision=14, scale=2), nullable=True),
            sa.Column("months", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["plan_id"],
                ["plans.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("promotions", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_promotions_plan_id"), ["plan_id"], unique=False)
    if "comments" not in existing:
        op.create_table(
            "comments",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("subject_kind", sa.String(length=20), nullable=False),
            sa.Column("subject_id", sa.Integer(), nullable=False),
            sa.Column("author_name", sa.String(length=80), nullable=False),
            sa.Column("from_customer", sa.Boolean(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("comments", schema=None) as batch_op:
            batch_op.create_index("ix_comments_subject", ["subject_kind", "subject_id"], unique=False)
    if "contracts" not in existing:
        op.create_table(
            "contracts",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=20), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("valid_from", sa.Date(), nullable=True),
            sa.Column("valid_to", sa.Date(), nullable=True),
            sa.Column("body", sa.Text(), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("number"),
        )
        with op.batch_alter_table("contracts", schema=None) as batch_op:
            batch_op.create_index(
                "ix_contracts_customer_issued", ["customer_id", "issued_at", "id"], unique=False
            )
    if "customer_emails" not in existing:
        op.create_table(
            "customer_emails",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("address", sa.String(length=120), nullable=False),
            sa.Column("is_primary", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("customer_emails", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_customer_emails_customer_id"), ["customer_id"], unique=False)
    if "customer_phones" not in existing:
        op.create_table(
            "customer_phones",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=30), nullable=False),
            sa.Column("kind", sa.String(length=10), nullable=False),
            sa.Column("is_primary", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("customer_phones", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_customer_phones_customer_id"), ["customer_id"], unique=False)
    if "documents" not in existing:
        op.create_table(
            "documents",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("category", sa.String(length=60), nullable=True),
            sa.Column("filename", sa.String(length=200), nullable=False),
            sa.Column("content_type", sa.String(length=80), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("documents", schema=None) as batch_op:
            batch_op.create_index(
                "ix_documents_customer_uploaded", ["customer_id", "uploaded_at", "id"], unique=False
            )
    if "invoices" not in existing:
        op.create_table(
            "invoices",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("company_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=12), nullable=False),
            sa.Column("letter", sa.String(length=1), nullable=False),
            sa.Column("point_of_sale", sa.Integer(), nullable=False),
            sa.Column("number", sa.Integer(), nullable=False),
            sa.Column("issue_date", sa.Date(), nullable=False),
            sa.Column("due_date", sa.Date(), nullable=True),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("tax", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("paid_amount", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("void", sa.Boolean(), nullable=False),
            sa.Column("cae", sa.String(length=14), nullable=True),
            sa.Column("cae_due_date", sa.Date(), nullable=True),
            sa.Column("payment_code", sa.String(length=30), nullable=True),
            sa.Column("barcode", sa.String(length=60), nullable=True),
            sa.ForeignKeyConstraint(
                ["company_id"],
                ["companies.id"],
            ),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("company_id", "kind", "letter", "point_of_sale", "number"),
        )
        with op.batch_alter_table("invoices", schema=None) as batch_op:
            batch_op.create_index(
                "ix_invoices_customer_issue", ["customer_id", "issue_date", "id"], unique=False
            )
    if "payment_commitments" not in existing:
        op.create_table(
            "payment_commitments",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("days", sa.Integer(), nullable=False),
            sa.Column("promised_date", sa.Date(), nullable=False),
            sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("payment_commitments", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_payment_commitments_customer_id"), ["customer_id"], unique=False
            )
    if "payment_methods" not in existing:
        op.create_table(
            "payment_methods",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("label", sa.String(length=80), nullable=False),
            sa.Column("holder", sa.String(length=120), nullable=True),
            sa.Column("expires", sa.String(length=5), nullable=True),
            sa.Column("is_default", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("payment_methods", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_payment_methods_customer_id"), ["customer_id"], unique=False)
    if "payments" not in existing:
        op.create_table(
            "payments",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("company_id", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=20), nullable=False),
            sa.Column("paid_on", sa.Date(), nullable=False),
            sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("method", sa.String(length=40), nullable=False),
            sa.Column("reference", sa.String(length=60), nullable=True),
            sa.ForeignKeyConstraint(
                ["company_id"],
                ["companies.id"],
            ),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("payments", schema=None) as batch_op:
            batch_op.create_index("ix_payments_customer_paid", ["customer_id", "paid_on", "id"], unique=False)
    if "quotes" not in existing:
        op.create_table(
            "quotes",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=20), nullable=False),
            sa.Column("issue_date", sa.Date(), nullable=False),
            sa.Column("valid_until", sa.Date(), nullable=True),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("tax", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("number"),
        )
        with op.batch_alter_table("quotes", schema=None) as batch_op:
            batch_op.create_index(
                "ix_quotes_customer_issue", ["customer_id", "issue_date", "id"], unique=False
            )
    if "subscriptions" not in existing:
        op.create_table(
            "subscriptions",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("plan_id", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.Column("street", sa.String(length=120), nullable=True),
            sa.Column("city", sa.String(length=80), nullable=True),
            sa.Column("province", sa.String(length=80), nullable=True),
            sa.Column("postal_code", sa.String(length=10), nullable=True),
            sa.Column("started_on", sa.Date(), nullable=True),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.ForeignKeyConstraint(
                ["plan_id"],
                ["plans.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("subscriptions", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_subscriptions_customer_id"), ["customer_id"], unique=False)
    if "tickets" not in existing:
        op.create_table(
            "tickets",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(length=12), nullable=False),
            sa.Column("subject", sa.String(length=200), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("priority", sa.String(length=20), nullable=True),
            sa.Column("area", sa.String(length=60), nullable=True),
            sa.Column("category", sa.String(length=60), nullable=True),
            sa.Column("assignee", sa.String(length=80), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("number"),
        )
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            batch_op.create_index(
                "ix_tickets_customer_created", ["customer_id", "created_at", "id"], unique=False
            )
    if "allocations" not in existing:
        op.create_table(
            "allocations",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("invoice_id", sa.Integer(), nullable=False),
            sa.Column("payment_id", sa.Integer(), nullable=True),
            sa.Column("credit_note_id", sa.Integer(), nullable=True),
            sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("cleared_on", sa.Date(), nullable=False),
            sa.ForeignKeyConstraint(
                ["credit_note_id"],
                ["invoices.id"],
            ),
            sa.ForeignKeyConstraint(
                ["invoice_id"],
                ["invoices.id"],
            ),
            sa.ForeignKeyConstraint(
                ["payment_id"],
                ["payments.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("allocations", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_allocations_credit_note_id"), ["credit_note_id"], unique=False
            )
            batch_op.create_index(batch_op.f("ix_allocations_invoice_id"), ["invoice_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_allocations_payment_id"), ["payment_id"], unique=False)
    if "invoice_lines" not in existing:
        op.create_table(
            "invoice_lines",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("invoice_id", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            sa.Column("description", sa.String(length=200), nullable=False),
            sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
            sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
            sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("tax", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("plan_id", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(
                ["invoice_id"],
                ["invoices.id"],
            ),
            sa.ForeignKeyConstraint(
                ["plan_id"],
                ["plans.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False)
    if "orders" not in existing:
        op.create_table(
            "orders",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("quote_id", sa.Integer(), nullable=True),
            sa.Column("number", sa.String(length=20), nullable=False),
            sa.Column("ordered_on", sa.Date(), nullable=False),
            sa.Column("status", sa.String(length=10), nullable=False),
            sa.Column("expected_delivery", sa.Date(), nullable=True),
            sa.Column("delivered_on", sa.Date(), nullable=True),
            sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
            sa.Column("currency", sa.String(length=3), nullable=False),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.ForeignKeyConstraint(
                ["quote_id"],
                ["quotes.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("number"),
        )
        with op.batch_alter_table("orders", schema=None) as batch_op:
            batch_op.create_index(
                "ix_orders_customer_ordered", ["customer_id", "ordered_on", "id"], unique=False
            )
    if "subscription_promotions" not in existing:
        op.create_table(
            "subscription_promotions",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("subscription_id", sa.Integer(), nullable=False),
            sa.Column("promotion_id", sa.Integer(), nullable=False),
            sa.Column("valid_from", sa.Date(), nullable=False),
            sa.Column("valid_to", sa.Date(), nullable=True),
            sa.ForeignKeyConstraint(
                ["promotion_id"],
                ["promotions.id"],
            ),
            sa.ForeignKeyConstraint(
                ["subscription_id"],
                ["subscriptions.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("subscription_promotions", schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_subscription_promotions_subscription_id"), ["subscription_id"], unique=False
            )
    if "ticket_messages" not in existing:
        op.create_table(
            "ticket_messages",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("ticket_id", sa.Integer(), nullable=False),
            sa.Column("author_name", sa.String(length=80), nullable=False),
            sa.Column("from_customer", sa.Boolean(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("internal", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(
                ["ticket_id"],
                ["tickets.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_ticket_messages_ticket_id"), ["ticket_id"], unique=False)
    if "delivery_notes" not in existing:
        op.create_table(
            "delivery_notes",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("customer_id", sa.Integer(), nullable=False),
            sa.Column("order_id", sa.Integer(), nullable=True),
            sa.Column("number", sa.String(length=20), nullable=False),
            sa.Column("issued_on", sa.Date(), nullable=False),
            sa.Column("delivered_on", sa.Date(), nullable=True),
            sa.ForeignKeyConstraint(
                ["customer_id"],
                ["customers.id"],
            ),
            sa.ForeignKeyConstraint(
                ["order_id"],
                ["orders.id"],
            ),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("number"),
        )
        with op.batch_alter_table("delivery_notes", schema=None) as batch_op:
            batch_op.create_index(
                "ix_delivery_notes_customer_issued", ["customer_id", "issued_on", "id"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("delivery_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_notes_customer_issued")

    op.drop_table("delivery_notes")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_messages_ticket_id"))

    op.drop_table("ticket_messages")
    with op.batch_alter_table("subscription_promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_promotions_subscription_id"))

    op.drop_table("subscription_promotions")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_customer_ordered")

    op.drop_table("orders")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocations_payment_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_credit_note_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_customer_created")

    op.drop_table("tickets")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_customer_id"))

    op.drop_table("subscriptions")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index("ix_quotes_customer_issue")

    op.drop_table("quotes")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_customer_paid")

    op.drop_table("payments")
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_methods_customer_id"))

    op.drop_table("payment_methods")
    with op.batch_alter_table("payment_commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_commitments_customer_id"))

    op.drop_table("payment_commitments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_customer_issue")

    op.drop_table("invoices")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_customer_uploaded")

    op.drop_table("documents")
    with op.batch_alter_table("customer_phones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_phones_customer_id"))

    op.drop_table("customer_phones")
    with op.batch_alter_table("customer_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_emails_customer_id"))

    op.drop_table("customer_emails")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index("ix_contracts_customer_issued")

    op.drop_table("contracts")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_subject")

    op.drop_table("comments")
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_plan_id"))

    op.drop_table("promotions")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_tax_id")
        batch_op.drop_index("ix_customers_name")

    op.drop_table("customers")
    op.drop_table("plans")
    op.drop_table("companies")
    with op.batch_alter_table("commercial_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_commercial_lines_document")

    op.drop_table("commercial_lines")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_attachments_owner")

    op.drop_table("attachments")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_session_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("user_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_logins_user_id"))

    op.drop_table("user_logins")
    with op.batch_alter_table("user_customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_customers_customer_id"))

    op.drop_table("user_customers")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("one_time_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_one_time_secrets_user_id"))

    op.drop_table("one_time_secrets")
    op.drop_table("users")
    op.drop_table("partner_clients")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
