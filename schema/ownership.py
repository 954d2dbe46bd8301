"""Which canonical record backs each GraphQL object type, so its owner is auth/ownership.py's rule.

A new object type goes in one of the two tables; tests/test_ownership.py walks the served
schema and fails on a type in neither.
"""

from __future__ import annotations

from ..connectors import records
from ..store import payments as store_payments
from ..store import receipts as store_receipts
from . import (
    access,
    admin,
    billing,
    billing_actions,
    billing_data,
    catalog,
    commerce,
    commerce_actions,
    common,
    contact,
    contracts,
    customer,
    documents_actions,
    events,
    features,
    payments,
    portal,
    receipts,
    relay,
    support,
    tickets,
)
from . import errors as schema_errors

# GraphQL type -> the record it shows; the record's rule (Owned, catalogue, through its parent) applies.
BACKED_BY: dict[type, type] = {
    customer.Customer: records.Customer,
    customer.Company: records.Company,
    common.ContactEmail: records.ContactEmail,
    common.ContactPhone: records.ContactPhone,
    billing.AccountSummary: records.AccountTotals,
    billing.Invoice: records.Invoice,
    billing.InvoiceLine: records.InvoiceLine,
    billing.Payment: records.Payment,
    billing.LedgerEntry: records.LedgerEntry,
    billing.Statement: records.Customer,  # the statement of one account, computed from its open items
    billing.OpenItem: records.OpenItem,
    billing.PaymentMethod: records.PaymentMethod,
    billing.PaymentCommitment: records.PaymentCommitment,
    support.Ticket: records.Ticket,
    support.TicketMessage: records.TicketMessage,
    support.Attachment: records.Attachment,
    catalog.Contract: records.Contract,
    catalog.Plan: records.Plan,
    catalog.PlanSubscription: records.PlanSubscription,
    catalog.Promotion: records.Promotion,
    commerce.Quote: records.Quote,
    commerce.Order: records.Order,
    commerce.DeliveryNote: records.DeliveryNote,
    commerce.Document: records.Document,
    commerce.DocumentLine: records.CommercialLine,
    commerce.Comment: records.Comment,
    receipts.PaymentReceipt: store_receipts.PaymentReceipt,  # the store's (B10)
    payments.PaymentAttempt: store_payments.PaymentAttempt,  # the store's (B9)
    receipts.PlanRequest: store_receipts.PlanRequest,  # the store's (D4)
}

# Object types that are no business record: values inside one, pages of them, the caller,
# the portal's public facts, and mutation payloads (what they carry is checked by its own type).
NOT_RECORDS: frozenset[type] = frozenset(
    {
        common.Money,
        common.Address,
        common.TaxId,
        billing.PaymentCode,
        billing.AgingBucket,
        relay.Connection,
        relay.Edge,
        relay.PageInfo,
        portal.PortalInfo,
        portal.PaymentButtonLabel,  # a value of the portal's public facts
        access.Viewer,  # the caller itself; its accounts are the caller's own
        admin.AuditEntry,  # the store's access events, for admins only (schema/permissions.py)
        admin.OutgoingEmail,  # the store's queue of access emails, for admins only (schema/permissions.py)
        events.EventDelivery,  # the store's outbox of domain events, for admins only (schema/permissions.py)
        schema_errors.UserError,
        access.SignInPayload,
        access.SignOutPayload,
        access.RequestPasswordResetPayload,
        access.ChangePasswordPayload,
        access.RequestSignInCodePayload,
        admin.GrantPortalAccessPayload,
        admin.RevokePortalAccessPayload,
        admin.UpdatePortalBrandingPayload,  # the portal's public facts, changed by admins only
        receipts.ReceiptFile,  # a value inside a PaymentReceipt
        receipts.SubmitPaymentReceiptPayload,
        receipts.AcceptPaymentReceiptPayload,
        receipts.RejectPaymentReceiptPayload,
        receipts.RequestPlanChangePayload,
        receipts.RequestPlanPayload,
        tickets.CreateTicketPayload,  # the ticket inside is reloaded through the guard (resolvers/tickets.py)
        tickets.ReplyToTicketPayload,
        tickets.CloseTicketPayload,
        features.SetFeaturePayload,  # the portal's switches, for admins only (schema/permissions.py)
        events.ResendEventPayload,
        payments.StartPaymentPayload,  # B9: its attempt is checked as a PaymentAttempt
        payments.PaymentProvider,  # the portal's public facts: configured buttons
        billing.RequestPaymentCommitmentPayload,  # B11: its commitment is checked as a PaymentCommitment
        # portal actions II: what is inside is reloaded through the guard (resolvers/quotes.py ...)
        commerce_actions.AcceptQuotePayload,
        commerce_actions.RejectQuotePayload,
        commerce_actions.AddCommentPayload,
        billing_actions.SetDefaultPaymentMethodPayload,
        billing_actions.RemovePaymentMethodPayload,
        documents_actions.ShareDocumentPayload,
        # portal actions II: the contract inside is reloaded through the guard (resolvers/contracts.py)
        contracts.SignContractPayload,
        contact.UpdateContactInfoPayload,
        contact.ConfirmEmailPayload,  # the caller's own new login
        billing_data.UpdateBillingInfoPayload,  # the change inside is read through its account's guard
        billing_data.DecideBillingInfoChangePayload,
        billing_data.BillingInfoChange,  # a store row of its account, read after the customer's guard  # the customer inside was loaded through the guard (resolvers/contact.py)
        catalog.ContractSignature,  # a value of its Contract, read after the contract's guard
    }
)
