"""Tables of Ventanilla's own store: users, their accounts, sessions, one-time secrets, audit, partners, files,
outgoing mail, and what the portal actions share (domain events, idempotency keys, feature switches, counters).

Customer ids here are canonical ids (strings): the customer itself may live in a legacy
ERP, so there is no foreign key to a billing table.
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
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(120), nullable=False, unique=True),  # email, lower case
    Column("name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),  # Argon2id, never the password
    Column("kind", String(10), nullable=False),  # CUSTOMER, STAFF
    Column("role", String(10)),  # staff only: analyst, agent, admin
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

# --- access (FEATURES.md A): login identifiers, sessions, one-time secrets, audit, partners ---

# What a customer user may type as login besides the email, per deployment's login field (A1):
# TAX_ID (digits only) and CUSTOMER_CODE, copied from the accounts it was granted.
user_logins = Table(
    "user_logins",
    metadata,
    Column("kind", String(16), primary_key=True),  # TAX_ID, CUSTOMER_CODE
    Column("value", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
)

# One row per sign-in (A2). Access tokens carry its id (`sid`) and are refused once it is revoked.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("remember", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("ip", String(64)),
)

# Refresh tokens of a session, by SHA-256: rotated on every use; a used one presented again
# revokes its session (reuse detection).
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(32), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# Password-reset links and sign-in codes (A3, A5), stored as a keyed hash, never in clear.
one_time_secrets = Table(
    "one_time_secrets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("purpose", String(16), nullable=False),  # RESET, CODE
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("failures", Integer, nullable=False, default=0),
)

# Every sign-in, failure, reset, code, grant and revocation: never a password or a code.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),  # OK or an ErrorCode
    Column("login", String(120)),  # as typed: who it was about
    Column("user_id", Integer),
    Column("actor", String(120)),  # who did it, when not the user (an admin, the CLI, a partner)
    Column("ip", String(64)),
    Column("detail", String(200)),
    Column("customer_id", String(60)),  # on whose behalf (portal actions): the customer account
    Column("object_id", String(80)),  # what it acted on: a ticket, a receipt ...
)

# Partners' registered client applications (A11); the secret is stored as an Argon2id hash.
partner_clients = Table(
    "partner_clients",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("secret_hash", String(200), nullable=False),
    Column("scopes", String(400), nullable=False),  # space-separated
    Column("origins", String(2000), nullable=False, default=""),  # space-separated browser origins
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Allow-list mode: the client runs only its documents of partner_queries (web/persisted.py).
    Column("queries_only", Boolean, nullable=False, default=False),
)

# The documents a partner client in allow-list mode may run, by the SHA-256 of their exact text
# (`ventanilla partners queries add|list|remove`; docs/operations.md).
partner_queries = Table(
    "partner_queries",
    metadata,
    Column("client_id", String(40), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("query", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Files Ventanilla keeps, by the SHA-256 of their bytes, when `[files] store = "database"`
# (store/blobs.py): for several instances without a shared disk.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),  # hex, lower case: the key
    Column("content_type", String(80), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary(2**32 - 1), nullable=False),  # LONGBLOB on MariaDB, bytea, BLOB
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Access emails waiting to go out or gone (auth/outbox.py): queued in the transaction that made
# their reset link, code or user, sent by a worker. The subject and body hold that secret, so
# they are kept only encrypted (`sealed`, Fernet under a key derived from the deployment's
# secret key) and erased once the mail is sent or given up. `next_attempt_at` is NULL when
# nothing is left to do; `claimed_until` is the lease of the worker sending it.
outgoing_mail = Table(
    "outgoing_mail",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(200), nullable=False, unique=True),  # the same on every retry
    Column("recipient", String(254), nullable=False),
    Column("template", String(32), nullable=False),  # access, reset, code: what it is, never what it says
    Column("language", String(8), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("sealed", Text),  # subject and body, encrypted; NULL once sent or failed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),  # the link's or code's end: not worth sending after it
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), index=True),
    Column("claimed_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True)),
    Column("last_error", String(200)),  # the SMTP server's or the network's words, never the mail's
)


# The domain events of the portal actions (docs/events.md): written in the transaction of the action
# they tell of, delivered by the relay to every sink configured then (one `event_deliveries` row
# each). `id` is what receivers deduplicate on: delivery is at least once.
events = Table(
    "events",
    metadata,
    Column("id", String(36), primary_key=True),  # a UUID
    Column("type", String(40), nullable=False),  # TicketCreated, PaymentReceiptSubmitted ...
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("customer_id", String(60)),  # the canonical id of the account it concerns
    Column("actor", String(120)),  # who acted: customer:<user id>, partner:<client id>, staff:<user id>
    Column("payload", Text, nullable=False),  # JSON: the event's own fields
)

# One event's delivery to one sink. `next_attempt_at` is NULL when nothing is left to do (delivered
# or dead-lettered); `claimed_until` is the lease of the relay delivering it.
event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("event_id", String(36), ForeignKey("events.id"), primary_key=True),
    Column("sink", String(40), primary_key=True),  # the name of a configured sink
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), index=True),
    Column("claimed_until", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("dead_at", DateTime(timezone=True)),  # given up after [events] max_attempts: re-sendable
    Column("last_error", String(200)),
)

# The answers of portal actions called with an `idempotencyKey`, for 24 hours: the same caller,
# mutation and key get the first answer again (resolvers/actions.py). The row is inserted first in
# the action's transaction, so a concurrent request with the same key waits on the unique key and
# then finds the answer.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("caller", String(120), nullable=False),  # customer:<user id>, partner:<client id>, staff:<user id>
    Column("mutation", String(40), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),  # SHA-256 of the input: another input is a reuse
    Column("answer", Text, nullable=False),  # JSON: what the first request answered
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("caller", "mutation", "idempotency_key", name="uq_idempotency_keys"),
)

# Feature switches (FEATURES.md F1) an admin set; a feature with no row is as `[portal] features` says.
feature_switches = Table(
    "feature_switches",
    metadata,
    Column("feature", String(40), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(120)),
)

# The portal's branding (FEATURES.md F2-F3) an admin set (updatePortalBranding, store/branding.py):
# one row per text; a key without a row is as `[portal]` says. NULL value: cleared by the admin.
portal_branding = Table(
    "portal_branding",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(120)),
)

# A customer user's new sign-in e-mail waiting for its confirmation link (FEATURES.md E1,
# store/contacts.py): the token as a keyed hash, never in clear; the login changes when it is used.
email_confirmations = Table(
    "email_confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("customer_id", String(60), nullable=False),
    Column("new_email", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

# Counters of limits and cool-downs (rules/limits.py): how many times `counter_key` was taken in the
# window ending at `window_ends`. One conditional UPDATE takes a slot, so concurrent requests
# cannot both take the last one.
action_counters = Table(
    "action_counters",
    metadata,
    Column("counter_key", String(200), primary_key=True),  # e.g. tickets:<customer id>
    Column("taken", Integer, nullable=False),
    Column("window_ends", DateTime(timezone=True), nullable=False),
)

# Payment receipts customers submitted (FEATURES.md B10, resolvers/receipts.py): the staff queue.
# `invoice_ids` are the canonical ids the customer named (JSON list); `ticket_id` the ticket it
# opened; `payment_id` the native payment an accepted receipt recorded (NULL when billing is a
# legacy ERP's: the PaymentReceiptAccepted event tells it). Deciding is one conditional UPDATE
# on `status = 'SUBMITTED'`, so a receipt is decided once.
payment_receipts = Table(
    "payment_receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("invoice_ids", Text, nullable=False),  # JSON list of canonical invoice ids, maybe empty
    Column("file_sha256", String(64), nullable=False),  # the receipt's image or PDF in the blob store
    Column("file_content_type", String(80), nullable=False),
    Column("file_size", Integer, nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("ticket_id", String(60)),
    Column("status", String(10), nullable=False),  # SUBMITTED, ACCEPTED, REJECTED
    Column("reason", String(500)),  # why it was rejected: the customer reads it
    Column("decided_by", String(120)),  # staff:<user id>
    Column("decided_at", DateTime(timezone=True)),
    Column("payment_id", String(60)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", String(120)),  # customer:<user id> or partner:<client id>
    Index("ix_payment_receipts_customer", "customer_id", "id"),
    Index("ix_payment_receipts_status", "status", "id"),
)

# Plan requests (FEATURES.md D4, resolvers/plan_requests.py): a change of a contracted plan
# (CHANGE, with the subscription and its plan then) or a new plan (NEW, with the service
# address), each with the ticket it opened. Kept so a customer sees what it asked for, and
# since when, whatever helpdesk or ERP the ticket lands in.
plan_requests = Table(
    "plan_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False),
    Column("kind", String(10), nullable=False),  # CHANGE, NEW
    Column("subscription_id", String(60)),
    Column("from_plan_id", String(60)),
    Column("to_plan_id", String(60), nullable=False),
    Column("service_address", String(300)),
    Column("comment", String(2000)),
    Column("ticket_id", String(60)),
    Column("status", String(10), nullable=False),  # PENDING (the ticket tells the rest)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("requested_by", String(120)),
    Index("ix_plan_requests_customer", "customer_id", "id"),
)

# Payment commitments (FEATURES.md B11) the store keeps for customers it does not hold: those of a
# legacy source that takes no commitments (SAP), whose canonical ids a native table's integer foreign
# key cannot hold. Merged into reads of `Customer.paymentCommitments` (connectors/routing.py).
kept_payment_commitments = Table(
    "kept_payment_commitments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False, index=True),  # canonical id of the customer
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("days", Integer, nullable=False),
    Column("promised_date", Date, nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(10), nullable=False),  # ACTIVE, FULFILLED, BROKEN
)

# Decisions on quotes of a read-only legacy source (acceptQuote, rejectQuote): one row per quote,
# keyed by its canonical id (the primary key makes a second decision fail: one of two racing calls
# wins), overlaid on the source's status by the routing (connectors/portal_commerce.py).
portal_quote_decisions = Table(
    "portal_quote_decisions",
    metadata,
    Column("quote_id", String(80), primary_key=True),
    Column("customer_id", String(60), nullable=False, index=True),
    Column("status", String(10), nullable=False),  # ACCEPTED, REJECTED
    Column("reason", Text),
    Column("decided_by", String(120), nullable=False),  # the principal's actor
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

# Comments on documents of a read-only legacy source (addComment), by canonical ids, merged into
# the reads of comments (connectors/portal_commerce.py).
portal_comments = Table(
    "portal_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False),
    Column("subject_kind", String(20), nullable=False),  # Invoice, Quote, Order, DeliveryNote, Document
    Column("subject_id", String(80), nullable=False),
    Column("author_name", String(80), nullable=False),
    Column("from_customer", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_portal_comments_subject", "subject_kind", "subject_id"),
)

# The file of each document staff shared (shareDocument, `ventanilla documents add`): the native
# `documents` row by id, its bytes in the blob store by SHA-256 (resolvers/documents.py).
shared_document_files = Table(
    "shared_document_files",
    metadata,
    Column("document_id", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
)

# The evidence of each contract signature (FEATURES.md D2; resolvers/contracts.py): who signed, for
# which account, when, from where, and the SHA-256 of the contract PDF the customer was shown, of
# the drawn signature and of the signed copy (its bytes are in the blob store under that key). One
# row per contract (`contract_id` unique: of two concurrent signatures one wins). For a contract of
# a read-only legacy source this row is also what makes it read SIGNED (connectors/signed_contracts.py).
contract_signatures = Table(
    "contract_signatures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("contract_id", String(80), nullable=False, unique=True),  # canonical id
    Column("customer_id", String(60), nullable=False),
    Column("user_id", Integer),  # the signing user (a partner has none)
    Column("signer", String(120), nullable=False),  # the user's name as the evidence page prints it
    Column("actor", String(120), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(45)),
    Column("user_agent", String(400)),
    Column("contract_sha256", String(64), nullable=False),  # the contract PDF as the customer was shown it
    Column("signature_sha256", String(64), nullable=False),  # the PNG as uploaded
    Column("signed_pdf_sha256", String(64), nullable=False),  # the signed copy; its blob key
)

# E-mails and phones a customer added in the portal (updateContactInfo, FEATURES.md E1): appended to
# what the business registered (which stays read-only), for any source, by canonical customer id;
# merged after the source's own in every read (resolvers/contact.py). Phones are kept in E.164.
portal_contacts = Table(
    "portal_contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False),
    Column("kind", String(5), nullable=False),  # EMAIL, PHONE
    Column("value", String(120), nullable=False),  # the normalized address, or the number in E.164
    Column("phone_kind", String(10)),  # phones: MOBILE, LANDLINE
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("customer_id", "kind", "value", name="uq_portal_contacts"),
)

# Changes of billing data a customer asked for (updateBillingInfo, FEATURES.md B13): applied at once
# or waiting for staff review ([billing_data] review), then APPLIED or REJECTED with a reason. The
# ERP learns each from the BillingInfoChangeRequested / BillingInfoChangeDecided events.
billing_changes = Table(
    "billing_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(60), nullable=False, index=True),
    Column("name", String(200)),
    Column("tax_id", String(30)),
    Column("tax_kind", String(10)),  # CUIT, DNI, NIF, NIE, CIF, RFC, NIT
    Column("tax_condition", String(60)),
    Column("address", String(300)),
    Column("state", String(16), nullable=False),  # APPLIED, PENDING_REVIEW, REJECTED
    Column("reason", String(300)),  # why staff rejected it
    Column("requested_by", String(120), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(120)),
    Column("decided_at", DateTime(timezone=True)),
)

# --- online payments (FEATURES.md B9; store/payments.py, docs/payments.md) ---

# One row per startPayment: what the customer was sent to pay, and how it ended. `reference` is what
# every provider carries back (external_reference, client_reference_id, Ds_Order): 12 characters,
# 4 digits first. `invoice_ids` are canonical ids, space-separated (empty: oldest first).
payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(12), nullable=False, unique=True),
    Column("customer_id", String(60), nullable=False, index=True),
    Column("provider", String(60), nullable=False),  # the configured name ([payments.providers.<name>])
    Column("option", String(16), nullable=False),  # PaymentOption
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("invoice_ids", Text, nullable=False, default=""),
    Column("status", String(10), nullable=False),  # PENDING, APPROVED, REJECTED, EXPIRED
    Column("provider_reference", String(200)),  # the provider's checkout id (preference, session)
    Column("redirect_url", Text, nullable=False),
    Column("form", Text),  # JSON of the fields a form checkout (Redsys) posts to redirect_url
    Column("return_url", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("settled_at", DateTime(timezone=True)),  # when it became APPROVED, REJECTED or EXPIRED
    Index("ix_payment_attempts_status_created", "status", "created_at"),
)

# What providers confirmed, ONE row per provider payment: the unique key is what makes a repeated,
# concurrent or late notification record nothing more. `outcome` moves to APPROVED once (final);
# `payment_id` is the native payment it posted (none over a legacy ERP: the PaymentConfirmed event).
payment_confirmations = Table(
    "payment_confirmations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider", String(60), nullable=False),
    Column("provider_payment_id", String(200), nullable=False),
    Column("attempt_id", Integer, ForeignKey("payment_attempts.id"), nullable=False, index=True),
    Column("outcome", String(10), nullable=False),  # APPROVED, REJECTED, PENDING, EXPIRED
    Column("amount", Numeric(14, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider_status", String(60), nullable=False, default=""),
    Column("payment_id", String(40)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    UniqueConstraint("provider", "provider_payment_id", name="uq_payment_confirmations"),
)
