"""The Query and Mutation roots and the assembled schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext, Info

from ..resolvers import admin as resolve_admin
from ..resolvers import catalog as resolve_catalog
from ..resolvers import customers as resolve_customers
from ..resolvers import nodes as resolve_nodes
from .access import (
    ChangePasswordPayload,
    RequestPasswordResetPayload,
    RequestSignInCodePayload,
    SignInPayload,
    SignOutPayload,
    Viewer,
    change_password,
    refresh_session,
    request_password_reset,
    request_sign_in_code,
    reset_password,
    sign_in,
    sign_in_with_code,
    sign_out,
    viewer_type,
)
from .admin import (
    AuditEntry,
    GrantPortalAccessPayload,
    OutgoingEmail,
    RevokePortalAccessPayload,
    UpdatePortalBrandingPayload,
    audit_log,
    grant_portal_access,
    outgoing_emails,
    revoke_portal_access,
    update_portal_branding,
)
from .billing import (
    RequestPaymentCommitmentPayload,
    invoice_type,
    payment_method_type,
    payment_type,
    request_payment_commitment,
)
from .billing_actions import (
    RemovePaymentMethodPayload,
    SetDefaultPaymentMethodPayload,
    remove_payment_method,
    set_default_payment_method,
)
from .billing_data import (
    DecideBillingInfoChangePayload,
    UpdateBillingInfoPayload,
    decide_billing_info_change,
    update_billing_info,
)
from .catalog import Plan, contract_type, plan_type, subscription_type
from .commerce import delivery_note_type, document_type, order_type, quote_type
from .commerce_actions import (
    AcceptQuotePayload,
    AddCommentPayload,
    RejectQuotePayload,
    accept_quote,
    add_comment,
    reject_quote,
)
from .contact import ConfirmEmailPayload, UpdateContactInfoPayload, confirm_email, update_contact_info
from .contracts import SignContractPayload, sign_contract
from .customer import (
    Company,
    Customer,
    CustomerFilter,
    company_type,
    customer_filter,
    customer_type,
)
from .documents_actions import ShareDocumentPayload, share_document
from .events import EventDelivery, ResendEventPayload, event_deliveries, resend_event
from .features import SetFeaturePayload, set_feature
from .payments import StartPaymentPayload, start_payment
from .permissions import (
    ActsForCustomers,
    Admin,
    Agent,
    ReadsEveryCustomer,
    SignedIn,
    SignedInUser,
    Writer,
    allow,
)
from .portal import PortalInfo, portal_of
from .receipts import (
    AcceptPaymentReceiptPayload,
    PaymentReceipt,
    RejectPaymentReceiptPayload,
    RequestPlanChangePayload,
    RequestPlanPayload,
    SubmitPaymentReceiptPayload,
    accept_payment_receipt,
    payment_receipts,
    reject_payment_receipt,
    request_plan,
    request_plan_change,
    submit_payment_receipt,
)
from .relay import After, Connection, First, Node, connection, from_global_id
from .scopes import ScopeGate
from .support import ticket_type
from .tickets import (
    CloseTicketPayload,
    CreateTicketPayload,
    ReplyToTicketPayload,
    close_ticket,
    create_ticket,
    reply_to_ticket,
)

# Global id type name -> how its record becomes a schema object.
_NODE_TYPES: dict[str, Callable[[Any], Any]] = {
    "Customer": customer_type,
    "Company": company_type,
    "Payment": payment_type,
    "Ticket": ticket_type,
    "Contract": contract_type,
    "Plan": plan_type,
    "PlanSubscription": subscription_type,
    "Quote": quote_type,
    "Order": order_type,
    "DeliveryNote": delivery_note_type,
    "Document": document_type,
    "PaymentMethod": payment_method_type,
}


@strawberry.type(
    description="Read the portal's data. Start with `viewer` or `portal`. A field whose source is not "
    "answering is null, with a SOURCE_UNAVAILABLE error at its path; the rest of the answer arrives."
)
class Query:
    @strawberry.field(
        description="Any object by its global id, if the caller may see it.", extensions=allow(SignedIn)
    )
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]
    ) -> Node | None:
        type_name, raw_id = from_global_id(id)
        record = await resolve_nodes.fetch(info.context, type_name, raw_id)
        if type_name == "Invoice":
            return invoice_type(record, info.context.today)
        return _NODE_TYPES[type_name](record)

    @strawberry.field(description="Who is calling; works signed out too.")
    def viewer(self, info: Info) -> Viewer:
        return viewer_type(info.context.principal)

    @strawberry.field(description="Public facts of the portal: branding, login field, enabled features.")
    async def portal(self, info: Info) -> PortalInfo:
        return await portal_of(info)

    @strawberry.field(
        description="One customer account: a customer user's own accounts; staff read any.",
        extensions=allow(SignedIn),
    )
    async def customer(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Global id of the customer.")]
    ) -> Customer | None:
        _, raw_id = from_global_id(id, "Customer")
        return customer_type(await resolve_customers.customer(info.context, raw_id))

    @strawberry.field(
        description="Customers ordered by name (case and accents aside), then code, for staff (analysts) and partners.",
        extensions=allow(ReadsEveryCustomer),
    )
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[CustomerFilter | None, strawberry.argument(description="Narrow the list.")] = None,
    ) -> Connection[Customer] | None:
        found = await resolve_customers.customers(info.context, first, after, customer_filter(filter))
        count = lambda: resolve_customers.customer_count(info.context, customer_filter(filter))
        return connection(found, customer_type, after, count)

    @strawberry.field(description="Plans available in the portal, cheapest first.")
    async def plans(self, info: Info, first: First = None, after: After = None) -> Connection[Plan] | None:
        count = lambda: resolve_catalog.plan_count(info.context)
        return connection(await resolve_catalog.plans(info.context, first, after), plan_type, after, count)

    @strawberry.field(
        description="A new generated password, two Spanish words joined by a dot (A8): ask again for "
        "another pair. Nothing is stored until an admin grants or resets access with it (admins).",
        extensions=allow(Admin),
    )
    def suggested_password(self) -> str:
        return resolve_admin.suggested_password()

    audit_log: list[AuditEntry] | None = strawberry.field(
        resolver=audit_log,
        description="Audited events, newest first: sign-ins, failures, resets, grants, and every portal action and its refusals (admins).",
        extensions=allow(Admin),
    )
    outgoing_emails: list[OutgoingEmail] | None = strawberry.field(
        resolver=outgoing_emails,
        description="Access emails (access, reset links, sign-in codes), newest first: queued, sent or failed (admins).",
        extensions=allow(Admin),
    )
    event_deliveries: list[EventDelivery] | None = strawberry.field(
        resolver=event_deliveries,
        description="Domain events' deliveries to the business's sinks, newest events first: queued, delivered or "
        "dead (admins; docs/events.md).",
        extensions=allow(Admin),
    )

    # --- payment receipts (FEATURES.md B10) ---
    payment_receipts: Connection[PaymentReceipt] | None = strawberry.field(
        resolver=payment_receipts,
        description="Payment receipts customers submitted, oldest first: `status: SUBMITTED` is the queue to "
        "work (agents and admins).",
        extensions=allow(Agent),
    )


@strawberry.type(description="Change things: sign in, and the portal actions.")
class Mutation:
    # access (FEATURES.md A)
    sign_in: SignInPayload = strawberry.mutation(
        resolver=sign_in, description="Sign in with login and password; returns a bearer token."
    )
    refresh_session: SignInPayload = strawberry.mutation(
        resolver=refresh_session, description="Trade a refresh token for new tokens; a reused one ends the session."
    )
    sign_out: SignOutPayload = strawberry.mutation(
        resolver=sign_out, description="End the caller's session.", extensions=allow(SignedInUser)
    )
    request_password_reset: RequestPasswordResetPayload = strawberry.mutation(
        resolver=request_password_reset, description="Email a single-use link to set a new password."
    )
    reset_password: SignInPayload = strawberry.mutation(
        resolver=reset_password, description="Set a new password with the emailed link's token, and sign in."
    )
    change_password: ChangePasswordPayload = strawberry.mutation(
        resolver=change_password,
        description="Change the password (required after a temporary one); ends other sessions.",
        extensions=allow(SignedInUser),
    )
    request_sign_in_code: RequestSignInCodePayload = strawberry.mutation(
        resolver=request_sign_in_code, description="Email a 6-digit sign-in code, valid 10 minutes."
    )
    sign_in_with_code: SignInPayload = strawberry.mutation(
        resolver=sign_in_with_code, description="Sign in with the emailed code; wrong tries are limited."
    )
    grant_portal_access: GrantPortalAccessPayload = strawberry.mutation(
        resolver=grant_portal_access,
        description="Give a customer account a portal user (admins).",
        extensions=allow(Admin),
    )
    revoke_portal_access: RevokePortalAccessPayload = strawberry.mutation(
        resolver=revoke_portal_access,
        description="Take portal access away from a customer account, at once (admins).",
        extensions=allow(Admin),
    )
    resend_event: ResendEventPayload = strawberry.mutation(
        resolver=resend_event,
        description="Deliver an event again: its dead (or delivered) deliveries are due at once (admins; audited).",
        extensions=allow(Admin),
    )

    set_feature: SetFeaturePayload = strawberry.mutation(
        resolver=set_feature,
        description="Switch an optional feature on or off for every customer, on every instance at once (admins).",
        extensions=allow(Admin),
    )
    update_portal_branding: UpdatePortalBrandingPayload = strawberry.mutation(
        resolver=update_portal_branding,
        description="Change the portal's name, logo (multipart request), colour, hints, payment button texts and "
        "the portal URL handed to customers, on every instance at once (admins; audited, event PortalBrandingChanged).",
        extensions=allow(Admin),
    )

    # --- payment commitments (FEATURES.md B11; resolvers/commitments.py) ---
    request_payment_commitment: RequestPaymentCommitmentPayload = strawberry.mutation(
        resolver=request_payment_commitment,
        description="Promise to pay what the account owes within `days` days (1..[commitments] max_days); "
        "once per cool-down ([commitments] cool_down_days), else COOL_DOWN with the day it is available again. "
        "Customers and partners with billing:write.",
        extensions=allow(ActsForCustomers),
    )

    # --- online payments (FEATURES.md B9; resolvers/payments.py) ---
    start_payment: StartPaymentPayload = strawberry.mutation(
        resolver=start_payment,
        description="Start paying online through one of PortalInfo.paymentProviders: creates a PENDING attempt "
        "and answers the URL to send the customer to (redirectUrl). The provider's notification records the "
        "payment, once. Customers and partners with billing:write.",
        extensions=allow(ActsForCustomers),
    )

    # portal actions (FEATURES.md C): tickets
    create_ticket: CreateTicketPayload = strawberry.mutation(
        resolver=create_ticket,
        description="Open a ticket with a description and photos (multipart request), routed by the business's "
        "defaults; limited per account and day (customers; partners with support:write).",
        extensions=allow(ActsForCustomers),
    )
    reply_to_ticket: ReplyToTicketPayload = strawberry.mutation(
        resolver=reply_to_ticket,
        description="Add a message with photos to a ticket's thread: customers on their own tickets (reopening a "
        "closed one), partners with support:write, the helpdesk (agents, admins) as staff.",
        extensions=allow(Writer),
    )
    close_ticket: CloseTicketPayload = strawberry.mutation(
        resolver=close_ticket,
        description="Close a ticket: customers their own, partners with support:write, the helpdesk any.",
        extensions=allow(Writer),
    )
    # --- payment receipts (B10) and plan requests (D4) ---
    submit_payment_receipt: SubmitPaymentReceiptPayload = strawberry.mutation(
        resolver=submit_payment_receipt,
        description="Send the receipt of a payment (amount and an image or PDF, multipart request): it opens a "
        "ticket and enters the business's queue (customers; partners with billing:write).",
        extensions=allow(ActsForCustomers),
    )
    accept_payment_receipt: AcceptPaymentReceiptPayload = strawberry.mutation(
        resolver=accept_payment_receipt,
        description="Accept a submitted receipt: the payment is recorded (on the portal's own billing) or "
        "announced to the ERP (agents and admins).",
        extensions=allow(Agent),
    )
    reject_payment_receipt: RejectPaymentReceiptPayload = strawberry.mutation(
        resolver=reject_payment_receipt,
        description="Reject a submitted receipt with a reason the customer reads (agents and admins).",
        extensions=allow(Agent),
    )
    request_plan_change: RequestPlanChangePayload = strawberry.mutation(
        resolver=request_plan_change,
        description="Ask for another plan, available in the portal, for a contracted plan; it opens a ticket "
        "(customers; partners with contracts:write).",
        extensions=allow(ActsForCustomers),
    )
    request_plan: RequestPlanPayload = strawberry.mutation(
        resolver=request_plan,
        description="Ask for a new plan available in the portal; it opens a ticket (customers; partners with "
        "contracts:write).",
        extensions=allow(ActsForCustomers),
    )

    # portal actions II (FEATURES.md D5, D9, B12, D8): quotes, comments, payment methods, shared documents
    accept_quote: AcceptQuotePayload = strawberry.mutation(
        resolver=accept_quote,
        description="Accept one of the caller's PENDING quotes before its last valid day; the new status shows at "
        "once on every read of it (customers; partners with commerce:write).",
        extensions=allow(ActsForCustomers),
    )
    reject_quote: RejectQuotePayload = strawberry.mutation(
        resolver=reject_quote,
        description="Reject one of the caller's PENDING quotes before its last valid day, optionally saying why "
        "(customers; partners with commerce:write).",
        extensions=allow(ActsForCustomers),
    )
    add_comment: AddCommentPayload = strawberry.mutation(
        resolver=add_comment,
        description="Comment on an invoice, quote, order, delivery note or shared document: customers on their own "
        "(partners with commerce:write), the helpdesk (agents, admins) as the business.",
        extensions=allow(Writer),
    )
    set_default_payment_method: SetDefaultPaymentMethodPayload = strawberry.mutation(
        resolver=set_default_payment_method,
        description="Make one of the caller's saved payment methods the default one for automatic debits "
        "(customers; partners with billing:write).",
        extensions=allow(ActsForCustomers),
    )
    remove_payment_method: RemovePaymentMethodPayload = strawberry.mutation(
        resolver=remove_payment_method,
        description="Remove one of the caller's saved payment methods; if it was the default, the most recently "
        "added other one becomes the default (customers; partners with billing:write).",
        extensions=allow(ActsForCustomers),
    )
    share_document: ShareDocumentPayload = strawberry.mutation(
        resolver=share_document,
        description="Share a file (PDF or image, multipart request) with a customer: it lists it in its documents "
        "and downloads it through a link signed for it (agents, admins).",
        extensions=allow(Agent),
    )


    # portal actions II (FEATURES.md D2, E1-E2, B13): contract signature, contact and billing data
    sign_contract: SignContractPayload = strawberry.mutation(
        resolver=sign_contract,
        description="Sign a contract pending signature: consent and a drawn signature (PNG, multipart request); "
        "keeps the evidence and a signed copy with the business's PAdES signature; a contract is signed once "
        "(customers; partners with contracts:write).",
        extensions=allow(ActsForCustomers),
    )
    update_contact_info: UpdateContactInfoPayload = strawberry.mutation(
        resolver=update_contact_info,
        description="Add and edit the account's e-mails and phones beside the ones the business registered, "
        "which stay read-only (customers; partners with customers:write); a customer user's new sign-in "
        "e-mail (signInEmail) is e-mailed a confirmation link first.",
        extensions=allow(ActsForCustomers),
    )
    confirm_email: ConfirmEmailPayload = strawberry.mutation(
        resolver=confirm_email,
        description="Make the address of a confirmation link (updateContactInfo signInEmail) the caller's sign-in "
        "e-mail: signed in as that same customer user, once, before it expires; the former address is told.",
        extensions=allow(SignedInUser),
    )
    update_billing_info: UpdateBillingInfoPayload = strawberry.mutation(
        resolver=update_billing_info,
        description="Ask to change the account's billing data (name, tax id checked with its check digits, tax "
        "condition, address): applied at once, or waiting for staff review where the business asks for it "
        "(customers; partners with billing:write).",
        extensions=allow(ActsForCustomers),
    )
    decide_billing_info_change: DecideBillingInfoChangePayload = strawberry.mutation(
        resolver=decide_billing_info_change,
        description="Apply or reject (with a reason) a billing data change waiting for review (agents, admins).",
        extensions=allow(Agent),
    )


# Types only reachable through `node(id:)` must be registered explicitly.
EXTRA_TYPES = [Company]


class VentanillaSchema(strawberry.Schema):
    """Strawberry's schema, without its log line per error.

    Strawberry logs every error with an excerpt of the query, which may hold a password written
    inline, and with a traceback even for an expected refusal. The web layer presents each error
    and logs only the unexpected ones, with a request id (web/errors.py).
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        return None


def build_schema(extensions: list | None = None) -> strawberry.Schema:
    return VentanillaSchema(
        query=Query, mutation=Mutation, types=EXTRA_TYPES, extensions=[*(extensions or []), ScopeGate]
    )
