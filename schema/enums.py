"""Enumerations of the API, each value documented for readers of GraphiQL."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Whether a customer account is in service.")
class CustomerStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="In service.")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Service suspended, e.g. for unpaid invoices.")
    DELETED = strawberry.enum_value("DELETED", description="Former customer, kept for its history.")


@strawberry.enum(description="Kind of billing document.")
class InvoiceKind(Enum):
    INVOICE = strawberry.enum_value("INVOICE", description="Invoice (factura).")
    CREDIT_NOTE = strawberry.enum_value("CREDIT_NOTE", description="Credit note (nota de crédito).")
    DEBIT_NOTE = strawberry.enum_value("DEBIT_NOTE", description="Debit note (nota de débito).")


@strawberry.enum(description="Payment status of a billing document, as of today.")
class InvoiceStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Unpaid and not yet due.")
    PARTIALLY_PAID = strawberry.enum_value("PARTIALLY_PAID", description="Partly paid, not yet due.")
    PAID = strawberry.enum_value("PAID", description="Fully paid (or fully applied, for a credit note).")
    OVERDUE = strawberry.enum_value("OVERDUE", description="Past its due date with a balance due.")
    VOID = strawberry.enum_value("VOID", description="Cancelled: it counts for nothing.")


@strawberry.enum(description="State of a support ticket.")
class TicketStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Received, not yet worked on.")
    IN_PROGRESS = strawberry.enum_value("IN_PROGRESS", description="Someone is working on it.")
    CLOSED = strawberry.enum_value("CLOSED", description="Resolved or closed by the customer.")


@strawberry.enum(description="State of a contract.")
class ContractStatus(Enum):
    PENDING_SIGNATURE = strawberry.enum_value(
        "PENDING_SIGNATURE", description="Issued and waiting for the customer's signature."
    )
    SIGNED = strawberry.enum_value("SIGNED", description="Signed by the customer.")
    VOID = strawberry.enum_value("VOID", description="Cancelled.")


@strawberry.enum(description="Kind of current-account entry.")
class LedgerEntryKind(Enum):
    INVOICE = strawberry.enum_value("INVOICE", description="An invoice: a debit.")
    CREDIT_NOTE = strawberry.enum_value("CREDIT_NOTE", description="A credit note: a credit.")
    DEBIT_NOTE = strawberry.enum_value("DEBIT_NOTE", description="A debit note: a debit.")
    PAYMENT = strawberry.enum_value("PAYMENT", description="A payment received: a credit.")


@strawberry.enum(description="State of a quote.")
class QuoteStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for the customer to accept or reject it.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Accepted by the customer.")
    REJECTED = strawberry.enum_value("REJECTED", description="Rejected by the customer.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Its validity ended without an answer.")


@strawberry.enum(description="State of an order.")
class OrderStatus(Enum):
    PREPARING = strawberry.enum_value("PREPARING", description="Being prepared.")
    SHIPPED = strawberry.enum_value("SHIPPED", description="Shipped, on its way.")
    DELIVERED = strawberry.enum_value("DELIVERED", description="Delivered to the customer.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled.")


@strawberry.enum(description="State of a payment commitment (a promise to pay by a date).")
class PaymentCommitmentStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="The promised date has not passed yet.")
    FULFILLED = strawberry.enum_value("FULFILLED", description="Paid as promised.")
    BROKEN = strawberry.enum_value("BROKEN", description="The promised date passed without the payment.")


@strawberry.enum(description="Who is calling the API.")
class ViewerKind(Enum):
    ANONYMOUS = strawberry.enum_value("ANONYMOUS", description="Not signed in.")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="A customer user of the portal.")
    PARTNER = strawberry.enum_value("PARTNER", description="A partner application (OAuth2 client).")
    STAFF = strawberry.enum_value("STAFF", description="The business's staff: analyst or admin.")


@strawberry.enum(description="Which field customers type as their user name.")
class LoginField(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="Their email address.")
    TAX_ID = strawberry.enum_value("TAX_ID", description="Their tax id (DNI, CUIT, CUIL, NIF, RFC ...).")
    CUSTOMER_CODE = strawberry.enum_value("CUSTOMER_CODE", description="Their customer number.")
