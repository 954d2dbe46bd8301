"""Partner scopes (FEATURES.md A11), declared once: which scope each part of the schema needs.

A partner's token carries the scopes its client was registered with. `required_scope`
answers, for a field of a GraphQL type, the scope a PARTNER caller must hold to select it;
the schema enforces it for every operation before anything runs (schema/scopes.py).
Customers and staff are not scoped: ownership and roles govern them.

`customers:read` opens who a customer is (name, ids, status, addresses, contact data,
company) and nothing it has with the business: money and payment instruments are billing,
contracts and plans are contracts, quotes, orders and deliveries are commerce, shared
files are documents, tickets are support. A field that opens such data is declared here,
and so is its type, so that `node(id:)` cannot reach it around the field.
"""

from __future__ import annotations

CUSTOMERS_READ = "customers:read"
BILLING_READ = "billing:read"
CONTRACTS_READ = "contracts:read"
COMMERCE_READ = "commerce:read"
DOCUMENTS_READ = "documents:read"
SUPPORT_READ = "support:read"
SUPPORT_WRITE = "support:write"
BILLING_WRITE = "billing:write"
CONTRACTS_WRITE = "contracts:write"
COMMERCE_WRITE = "commerce:write"
CUSTOMERS_WRITE = "customers:write"

SCOPES: dict[str, str] = {
    CUSTOMERS_READ: "Read customers: the list, one by id, their identity, addresses and contact data.",
    BILLING_READ: "Read invoices, payments, the current account (ledger), account figures, statements, "
    "payment methods and payment commitments.",
    CONTRACTS_READ: "Read contracts, the plans offered and subscribed to, and their promotions.",
    COMMERCE_READ: "Read quotes, orders and delivery notes.",
    DOCUMENTS_READ: "Read the documents the business shared with customers.",
    SUPPORT_READ: "Read tickets and their messages.",
    SUPPORT_WRITE: "Create, answer and close tickets on behalf of customers.",
    BILLING_WRITE: "Submit payment receipts, request payment commitments, choose or remove saved payment "
    "methods and update billing data on behalf of customers.",
    CONTRACTS_WRITE: "Request plans and plan changes, and sign contracts, on behalf of customers.",
    COMMERCE_WRITE: "Accept and reject quotes, and comment on documents, on behalf of customers.",
    CUSTOMERS_WRITE: "Add and edit customers' e-mails and phones on behalf of customers.",
}

# Root fields and fields that open a domain: selecting them needs the scope.
FIELD_SCOPES: dict[tuple[str, str], str] = {
    ("Query", "customer"): CUSTOMERS_READ,
    ("Query", "customers"): CUSTOMERS_READ,
    ("Customer", "invoices"): BILLING_READ,
    ("Customer", "invoicesZipUrl"): BILLING_READ,
    ("Customer", "payments"): BILLING_READ,
    ("Customer", "ledger"): BILLING_READ,
    ("Customer", "statement"): BILLING_READ,
    ("Customer", "account"): BILLING_READ,
    ("Customer", "paymentMethods"): BILLING_READ,
    ("Customer", "paymentCommitments"): BILLING_READ,
    ("Customer", "paymentReceipts"): BILLING_READ,
    ("Customer", "paymentAttempts"): BILLING_READ,
    ("Customer", "planRequests"): CONTRACTS_READ,
    ("Customer", "contracts"): CONTRACTS_READ,
    ("Customer", "subscriptions"): CONTRACTS_READ,
    ("Query", "plans"): CONTRACTS_READ,
    ("Customer", "quotes"): COMMERCE_READ,
    ("Customer", "orders"): COMMERCE_READ,
    ("Customer", "deliveryNotes"): COMMERCE_READ,
    ("Customer", "documents"): DOCUMENTS_READ,
    ("Customer", "tickets"): SUPPORT_READ,
    ("Query", "paymentReceipts"): BILLING_READ,  # the helpdesk's queue (agents); a partner never reads it
    ("Customer", "billingInfoChanges"): BILLING_READ,
    ("Mutation", "createTicket"): SUPPORT_WRITE,
    ("Mutation", "replyToTicket"): SUPPORT_WRITE,
    ("Mutation", "closeTicket"): SUPPORT_WRITE,
    ("Mutation", "submitPaymentReceipt"): BILLING_WRITE,
    ("Mutation", "requestPaymentCommitment"): BILLING_WRITE,
    ("Mutation", "startPayment"): BILLING_WRITE,
    ("Mutation", "requestPlanChange"): CONTRACTS_WRITE,
    ("Mutation", "requestPlan"): CONTRACTS_WRITE,
    ("Mutation", "acceptQuote"): COMMERCE_WRITE,
    ("Mutation", "rejectQuote"): COMMERCE_WRITE,
    ("Mutation", "addComment"): COMMERCE_WRITE,
    ("Mutation", "setDefaultPaymentMethod"): BILLING_WRITE,
    ("Mutation", "removePaymentMethod"): BILLING_WRITE,
    # portal actions II: contract signature, contact and billing data
    ("Mutation", "signContract"): CONTRACTS_WRITE,
    ("Mutation", "updateContactInfo"): CUSTOMERS_WRITE,
    ("Mutation", "updateBillingInfo"): BILLING_WRITE,
}

# Types whose every field needs the scope, however they are reached (`node(id:)` included).
TYPE_SCOPES: dict[str, str] = {
    "Invoice": BILLING_READ,
    "InvoiceLine": BILLING_READ,
    "Payment": BILLING_READ,
    "LedgerEntry": BILLING_READ,
    "Statement": BILLING_READ,
    "OpenItem": BILLING_READ,
    "AccountSummary": BILLING_READ,
    "AgingBucket": BILLING_READ,
    "PaymentCode": BILLING_READ,
    "PaymentMethod": BILLING_READ,
    "PaymentCommitment": BILLING_READ,
    "PaymentReceipt": BILLING_READ,
    "PaymentAttempt": BILLING_READ,
    "ReceiptFile": BILLING_READ,
    "PlanRequest": CONTRACTS_READ,
    "Contract": CONTRACTS_READ,
    "PlanSubscription": CONTRACTS_READ,
    "Plan": CONTRACTS_READ,
    "Promotion": CONTRACTS_READ,
    "Quote": COMMERCE_READ,
    "Order": COMMERCE_READ,
    "DeliveryNote": COMMERCE_READ,
    "DocumentLine": COMMERCE_READ,
    "Document": DOCUMENTS_READ,
    "Ticket": SUPPORT_READ,
    "TicketMessage": SUPPORT_READ,
}


def required_scope(type_name: str, field_name: str) -> str | None:
    """The scope a partner needs to select `type_name.field_name`; None when none is needed."""
    if field_name == "__typename":
        return None
    return FIELD_SCOPES.get((type_name, field_name)) or TYPE_SCOPES.get(type_name)


def missing_scope(scopes: frozenset[str], type_name: str, field_name: str) -> str | None:
    """The scope a partner holding `scopes` lacks for this field, if any."""
    needed = required_scope(type_name, field_name)
    if needed is None and type_name == "Mutation":
        return "(none)"  # partners sign their customers in through signIn, like our portal; nothing else
    return needed if needed is not None and needed not in scopes else None
