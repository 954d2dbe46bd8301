"""Ventanilla's own billing tables (the native schema), as SQLAlchemy Core metadata.

Money columns are NUMERIC(14, 2); every foreign key a loader batches on is indexed.
The demo generator (demo/business.py) fills these tables; the native source
(connectors/native/source.py) reads them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..text import sort_code, sort_name

metadata = MetaData()

MONEY = Numeric(14, 2)


def _id() -> Column:
    return Column("id", Integer, primary_key=True, autoincrement=True)


companies = Table(
    "companies",
    metadata,
    _id(),
    Column("code", String(10), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("tax_id_kind", String(8)),
    Column("tax_id", String(20)),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    _id(),
    Column("code", String(10), nullable=False, unique=True),  # zero-padded, e.g. "003365"
    Column("name", String(120), nullable=False),
    Column("tax_id_kind", String(8)),  # CUIT, CUIL, DNI
    Column("tax_id", String(20)),  # digits only; "9999999" is the AFIP placeholder for none
    Column("tax_condition", String(30)),  # Responsable Inscripto, Monotributo, Consumidor Final, Exento
    Column("status", String(10), nullable=False),  # ACTIVE, SUSPENDED, DELETED
    Column("company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("street", String(120)),
    Column("city", String(80)),
    Column("province", String(80)),
    Column("postal_code", String(10)),
    Column("country", String(2)),
    Column("currency", String(3), nullable=False),
    Column("credit_limit", MONEY),  # NULL: no credit limit (usual for ISPs)
    Column("created_on", Date, nullable=False),
    Index("ix_customers_tax_id", "tax_id"),
)
# The customers' listing order (connectors/customer_search.py): on PostgreSQL, pages by name read
# in index order. SQLite's folding is a function of the connection (no index may name it), and
# MariaDB indexes no expression.
Index(
    "ix_customers_order", sort_name(customers.c.name), sort_code(customers.c.code), customers.c.id
).ddl_if(dialect="postgresql")

customer_emails = Table(
    "customer_emails",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("address", String(120), nullable=False),
    Column("is_primary", Boolean, nullable=False, default=False),
)

customer_phones = Table(
    "customer_phones",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("number", String(30), nullable=False),
    Column("kind", String(10), nullable=False),  # MOBILE, LANDLINE
    Column("is_primary", Boolean, nullable=False, default=False),
)

plans = Table(
    "plans",
    metadata,
    _id(),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
    Column("description", Text),
    Column("download_mbps", Integer),
    Column("upload_mbps", Integer),
    Column("price", MONEY, nullable=False),  # monthly, tax included
    Column("currency", String(3), nullable=False),
    Column("available_in_portal", Boolean, nullable=False, default=True),
)

promotions = Table(
    "promotions",
    metadata,
    _id(),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("discount_percent", Numeric(5, 2)),  # either a discount ...
    Column("fixed_price", MONEY),  # ... or a fixed promotional price
    Column("months", Integer),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("plan_id", Integer, ForeignKey("plans.id"), nullable=False),
    Column("status", String(12), nullable=False),  # ACTIVE, SUSPENDED, CANCELLED
    Column("price", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("street", String(120)),
    Column("city", String(80)),
    Column("province", String(80)),
    Column("postal_code", String(10)),
    Column("started_on", Date),
)

# A promotion applied to one subscription, with its own validity.
subscription_promotions = Table(
    "subscription_promotions",
    metadata,
    _id(),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False, index=True),
    Column("promotion_id", Integer, ForeignKey("promotions.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
)

invoices = Table(
    "invoices",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("kind", String(12), nullable=False),  # INVOICE, CREDIT_NOTE, DEBIT_NOTE
    Column("letter", String(1), nullable=False),  # A, B, C
    Column("point_of_sale", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("due_date", Date),
    Column("currency", String(3), nullable=False),
    Column("subtotal", MONEY, nullable=False),
    Column("tax", MONEY, nullable=False),
    Column("total", MONEY, nullable=False),
    # Denormalised like SAP B1's PaidToDate: amount settled by allocations so far.
    Column("paid_amount", MONEY, nullable=False, default=0),
    Column("void", Boolean, nullable=False, default=False),
    Column("cae", String(14)),
    Column("cae_due_date", Date),
    Column("payment_code", String(30)),  # electronic payment code
    Column("barcode", String(60)),  # digits printed under the barcode
    UniqueConstraint("company_id", "kind", "letter", "point_of_sale", "number"),
    Index("ix_invoices_customer_issue", "customer_id", "issue_date", "id"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    _id(),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("description", String(200), nullable=False),
    Column("quantity", Numeric(12, 3), nullable=False),
    Column("unit_price", MONEY, nullable=False),
    Column("tax_rate", Numeric(5, 2), nullable=False),  # percent
    Column("subtotal", MONEY, nullable=False),
    Column("tax", MONEY, nullable=False),
    Column("total", MONEY, nullable=False),
    Column("plan_id", Integer, ForeignKey("plans.id")),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("company_id", Integer, ForeignKey("companies.id"), nullable=False),
    Column("number", String(20), nullable=False),  # receipt number, e.g. "RC 0001-00004567"
    Column("paid_on", Date, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(40), nullable=False),
    Column("reference", String(60)),
    Index("ix_payments_customer_paid", "customer_id", "paid_on", "id"),
)

# Clearing: a credit document (payment or credit note) settles part of a debit document
# (invoice or debit note) on `cleared_on`. An item is open at a cut-off K by its amount
# minus the allocations cleared on or before K.
allocations = Table(
    "allocations",
    metadata,
    _id(),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("payment_id", Integer, ForeignKey("payments.id"), index=True),
    Column("credit_note_id", Integer, ForeignKey("invoices.id"), index=True),
    Column("amount", MONEY, nullable=False),
    Column("cleared_on", Date, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("number", String(12), nullable=False, unique=True),
    Column("subject", String(200), nullable=False),
    Column("status", String(12), nullable=False),  # OPEN, IN_PROGRESS, CLOSED
    Column("priority", String(20)),
    Column("area", String(60)),
    Column("category", String(60)),
    Column("assignee", String(80)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_tickets_customer_created", "customer_id", "created_at", "id"),
)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    _id(),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("author_name", String(80), nullable=False),
    Column("from_customer", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Files attached to a ticket message (owner_kind "TicketMessage") or elsewhere.
attachments = Table(
    "attachments",
    metadata,
    _id(),
    Column("owner_kind", String(20), nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64)),  # the key of its bytes in the blob store (store/blobs.py)
    Index("ix_attachments_owner", "owner_kind", "owner_id"),
)

contracts = Table(
    "contracts",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("status", String(20), nullable=False),  # PENDING_SIGNATURE, SIGNED, VOID
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("signed_at", DateTime(timezone=True)),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("body", Text, nullable=False),
    Index("ix_contracts_customer_issued", "customer_id", "issued_at", "id"),
)

quotes = Table(
    "quotes",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("number", String(20), nullable=False, unique=True),
    Column("issue_date", Date, nullable=False),
    Column("valid_until", Date),
    Column("status", String(10), nullable=False),  # PENDING, ACCEPTED, REJECTED, EXPIRED
    Column("subtotal", MONEY, nullable=False),
    Column("tax", MONEY, nullable=False),
    Column("total", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_quotes_customer_issue", "customer_id", "issue_date", "id"),
)

orders = Table(
    "orders",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("quote_id", Integer, ForeignKey("quotes.id")),
    Column("number", String(20), nullable=False, unique=True),
    Column("ordered_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # PREPARING, SHIPPED, DELIVERED, CANCELLED
    Column("expected_delivery", Date),
    Column("delivered_on", Date),
    Column("total", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Index("ix_orders_customer_ordered", "customer_id", "ordered_on", "id"),
)

delivery_notes = Table(
    "delivery_notes",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id")),
    Column("number", String(20), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("delivered_on", Date),
    Index("ix_delivery_notes_customer_issued", "customer_id", "issued_on", "id"),
)

# Lines of quotes, orders and delivery notes (document_kind QUOTE, ORDER, DELIVERY_NOTE).
commercial_lines = Table(
    "commercial_lines",
    metadata,
    _id(),
    Column("document_kind", String(16), nullable=False),
    Column("document_id", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("description", String(200), nullable=False),
    Column("quantity", Numeric(12, 3), nullable=False),
    Column("unit_price", MONEY),
    Column("total", MONEY),
    Index("ix_commercial_lines_document", "document_kind", "document_id"),
)

documents = Table(
    "documents",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("category", String(60)),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Index("ix_documents_customer_uploaded", "customer_id", "uploaded_at", "id"),
)

# Comments on any document (subject_kind Invoice, Quote, Order, DeliveryNote, Document, Contract).
comments = Table(
    "comments",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", Integer, nullable=False),
    Column("author_name", String(80), nullable=False),
    Column("from_customer", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_comments_subject", "subject_kind", "subject_id"),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # CARD, BANK_ACCOUNT, WALLET
    Column("label", String(80), nullable=False),
    Column("holder", String(120)),
    Column("expires", String(5)),
    Column("is_default", Boolean, nullable=False, default=False),
)

payment_commitments = Table(
    "payment_commitments",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("days", Integer, nullable=False),
    Column("promised_date", Date, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(10), nullable=False),  # ACTIVE, FULFILLED, BROKEN
)

# Tickets the portal opened over a domain whose source takes no ticket writes (a read-only SAP
# replica): kept here by the canonical customer id, merged into that source's reads
# (connectors/portal_tickets.py; their canonical ids are "portal-<id>"). Messages may belong to
# one of these (ticket_id "portal-<id>") or to the source's own tickets (its canonical id): a reply
# to an ERP's ticket is kept here too.
portal_tickets = Table(
    "portal_tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False),
    Column("number", String(20), unique=True),  # WEB-<id>, set once the id is known
    Column("subject", String(200), nullable=False),
    Column("status", String(12), nullable=False),  # OPEN, IN_PROGRESS, CLOSED
    Column("priority", String(60)),
    Column("area", String(60)),
    Column("category", String(60)),
    Column("assignee", String(80)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_portal_tickets_customer_created", "customer_id", "created_at", "id"),
)

portal_ticket_messages = Table(
    "portal_ticket_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(80), nullable=False, index=True),  # canonical id of the ticket
    Column("author_name", String(80), nullable=False),
    Column("from_customer", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("internal", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

portal_ticket_files = Table(
    "portal_ticket_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Integer, ForeignKey("portal_ticket_messages.id"), nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),  # its bytes in the blob store (store/blobs.py)
)
