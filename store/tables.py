"""Tables of Ventanilla's own store (users and their links to customer accounts).

Customer ids here are canonical ids (strings): the customer itself may live in a legacy
ERP, so there is no foreign key to a billing table.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(120), nullable=False, unique=True),  # email, lower case
    Column("name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),  # Argon2id, never the password
    Column("kind", String(10), nullable=False),  # CUSTOMER, STAFF
    Column("role", String(10)),  # staff only: analyst, admin
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The customer accounts a customer user may act for (FEATURES.md A10).
user_customers = Table(
    "user_customers",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("customer_id", String(40), primary_key=True, index=True),
    Column("is_default", Boolean, nullable=False, default=False),
)
