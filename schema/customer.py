"""The customer account and everything reached from it (FEATURES.md B2, A10)."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..resolvers import billing as resolve_billing
from ..resolvers import billing_data, contact
from ..resolvers import catalog as resolve_catalog
from ..resolvers import commerce as resolve_commerce
from ..resolvers import customers as resolve
from ..resolvers import invoice_zip as resolve_invoice_zip
from ..resolvers import support as resolve_support
from .billing import (
    AccountSummary,
    Invoice,
    InvoiceFilter,
    LedgerEntry,
    Payment,
    PaymentCommitment,
    PaymentMethod,
    Statement,
    invoice_type,
    ledger_entry,
    payment_commitment_type,
    payment_method_type,
    payment_type,
    statement_type,
)
from .billing_data import BillingInfoChange, change_type
from .catalog import Contract, PlanSubscription, contract_type, subscription_type
from .commerce import (
    DeliveryNote,
    Document,
    Order,
    Quote,
    delivery_note_type,
    document_type,
    order_type,
    quote_type,
)
from .common import Address, ContactEmail, ContactPhone, TaxId, address, maybe_money, money, tax_id
from .enums import CustomerStatus
from .payments import PaymentAttempt, customer_payment_attempts
from .receipts import PaymentReceipt, PlanRequest, customer_plan_requests, customer_receipts
from .relay import After, Connection, First, Node, connection, from_global_id, to_global_id
from .support import Ticket, TicketFilter, ticket_type


@strawberry.type(description="A company of the business's group; a multi-company ERP bills from several.")
class Company(Node):
    code: str = strawberry.field(description="The company's code in the ERP.")
    name: str = strawberry.field(description="Legal name.")
    tax_id: TaxId | None = strawberry.field(description="The company's tax id.")
    currency: str = strawberry.field(description="Currency it bills in.")
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")


def company_type(r: records.Company) -> Company:
    return Company(
        id=to_global_id("Company", r.id),
        code=r.code,
        name=r.name,
        tax_id=tax_id(r.tax_id),
        currency=r.currency,
        country=r.country,
    )


def _invoice_filter(f: InvoiceFilter | None) -> records.InvoiceFilter:
    if f is None:
        return records.InvoiceFilter()
    return records.InvoiceFilter(
        status=records.InvoiceStatus(f.status.value) if f.status else None,
        kind=records.InvoiceKind(f.kind.value) if f.kind else None,
        issued_from=f.issued_from,
        issued_to=f.issued_to,
        unpaid_only=f.unpaid_only,
        company_id=from_global_id(f.company_id, "Company")[1] if f.company_id else None,
    )


def _ticket_filter(f: TicketFilter | None) -> records.TicketFilter:
    if f is None:
        return records.TicketFilter()
    return records.TicketFilter(
        status=records.TicketStatus(f.status.value) if f.status else None,
        open_only=f.open_only,
        search=f.search.strip() if f.search and f.search.strip() else None,
    )


@strawberry.type(description="A customer account in the ERP, with everything the portal shows of it.")
class Customer(Node):
    code: str = strawberry.field(description="The ERP's customer number, e.g. 003365.")
    name: str = strawberry.field(description="Name or business name.")
    # Converted when asked for: a narrowed record holds only what the document reads.
    tax_id: TaxId | None = strawberry.field(
        description="Tax id (DNI, CUIT, CUIL ...), if the ERP has one.", resolver=lambda root: tax_id(root.record.tax_id)
    )
    status: CustomerStatus = strawberry.field(description="Active, suspended or deleted.")
    billing_address: Address | None = strawberry.field(
        description="Address invoices are issued to.", resolver=lambda root: address(root.record.billing_address)
    )
    tax_condition: str | None = strawberry.field(
        description="VAT condition, e.g. Consumidor Final, Responsable Inscripto, Monotributo."
    )
    customer_since: datetime.date | None = strawberry.field(
        description="Date the account was opened.", metadata={"reads": ("created_on",)}
    )
    record: strawberry.Private[records.Customer]

    @strawberry.field(description="Email addresses, the primary one first.")
    async def emails(self, info: Info) -> list[ContactEmail] | None:
        found = await resolve.emails(info.context, self.record)
        merged = await contact.emails(info.context, self.record, found)  # and those added in the portal
        return [ContactEmail(address=e.value, primary=e.primary, editable=e.editable) for e in merged]

    @strawberry.field(description="Phone numbers, the primary one first.")
    async def phones(self, info: Info) -> list[ContactPhone] | None:
        found = await resolve.phones(info.context, self.record)
        merged = await contact.phones(info.context, self.record, found)  # and those added in the portal
        return [ContactPhone(number=p.value, kind=p.kind or "MOBILE", primary=p.primary, editable=p.editable)
                for p in merged]  # fmt: skip

    @strawberry.field(
        description="The billing data changes asked for in the portal (updateBillingInfo), newest first, with "
        "their state: applied, pending review, or rejected with the reason.",
        metadata={"reads": ("id",)},
    )  # fmt: skip
    async def billing_info_changes(self, info: Info) -> list[BillingInfoChange] | None:
        return [change_type(c) for c in await billing_data.changes_of(info.context, self.record)]

    @strawberry.field(description="The company of the group this account belongs to.")
    async def company(self, info: Info) -> Company | None:
        found = await resolve.company(info.context, self.record, self.record.company_id)
        return company_type(found) if found else None

    @strawberry.field(description="Dashboard figures: unpaid total, balance, credit (B1).")
    async def account(self, info: Info) -> AccountSummary | None:
        s = await resolve.account(info.context, self.record)
        return AccountSummary(
            unpaid_total=money(s.unpaid_total, s.currency),
            balance=money(s.balance, s.currency),
            credit_limit=maybe_money(s.credit_limit, s.currency),
            available_credit=maybe_money(s.available_credit, s.currency),
            overdue=money(s.overdue, s.currency),
            customer=self.record,
            unpaid=s.unpaid_total,
            overdue_amount=s.overdue,
            currency=s.currency,
        )

    @strawberry.field(description="Invoices, credit and debit notes, newest first (B3).")
    async def invoices(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[
            InvoiceFilter | None, strawberry.argument(description="Narrow the list.")
        ] = None,
    ) -> Connection[Invoice] | None:
        ctx = info.context
        found = await resolve_billing.invoices(ctx, self.record, first, after, _invoice_filter(filter))
        count = lambda: resolve_billing.invoice_count(ctx, self.record, _invoice_filter(filter))
        return connection(found, lambda r: invoice_type(r, ctx.today), after, count)

    @strawberry.field(
        description="Link to download the chosen invoices, credit and debit notes of this account as one "
        "ZIP of their PDFs (B5); valid for a few minutes. Refused as a whole when an id is not one of this "
        "account's invoices (BAD_INPUT naming its position in invoiceIds) or past the deployment's limit "
        "(`[files] max_zip_invoices`, 500 by default).",
        metadata={"reads": ("id",)},
    )
    async def invoices_zip_url(
        self,
        info: Info,
        invoice_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Global ids of the invoices to put in the ZIP."),
        ],
    ) -> str | None:
        raw_ids = [from_global_id(i, "Invoice")[1] for i in invoice_ids]
        return await resolve_invoice_zip.zip_url(info.context, self.record, raw_ids)

    @strawberry.field(description="Payments received, newest first (B8).")
    async def payments(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Payment] | None:
        found = await resolve_billing.payments(info.context, self.record, first, after)
        count = lambda: resolve_billing.payment_count(info.context, self.record)
        return connection(found, payment_type, after, count)

    @strawberry.field(description="The current account (cuenta corriente), newest entry first (B6).")
    async def ledger(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        from_: Annotated[
            datetime.date | None,
            strawberry.argument(name="from", description="Only entries posted on or after this date."),
        ] = None,
        to: Annotated[
            datetime.date | None, strawberry.argument(description="Only entries posted on or before this date.")
        ] = None,
    ) -> Connection[LedgerEntry] | None:
        found = await resolve_billing.ledger(info.context, self.record, first, after, from_, to)
        count = lambda: resolve_billing.ledger_count(info.context, self.record, from_, to)
        return connection(found, ledger_entry, after, count)

    @strawberry.field(
        description="Account statement at a cut-off date, optionally for one company (B7).",
        metadata={"reads": ("credit_limit",)},
    )
    async def statement(
        self,
        info: Info,
        cut_off: Annotated[
            datetime.date | None, strawberry.argument(description="The cut-off date; default today.")
        ] = None,
        company_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the documents of this company of the group."),
        ] = None,
    ) -> Statement | None:
        company = from_global_id(company_id, "Company")[1] if company_id else None
        figures = await resolve_billing.customer_statement(info.context, self.record, cut_off, company)
        return statement_type(figures, self.record, company)

    @strawberry.field(description="Support tickets, newest first (C1).")
    async def tickets(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        filter: Annotated[TicketFilter | None, strawberry.argument(description="Narrow the list.")] = None,
    ) -> Connection[Ticket] | None:
        found = await resolve_support.tickets(info.context, self.record, first, after, _ticket_filter(filter))
        count = lambda: resolve_support.ticket_count(info.context, self.record, _ticket_filter(filter))
        return connection(found, ticket_type, after, count)

    @strawberry.field(description="Contracts, newest first; pending ones are flagged (D1).")
    async def contracts(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Contract] | None:
        found = await resolve_catalog.contracts(info.context, self.record, first, after)
        count = lambda: resolve_catalog.contract_count(info.context, self.record)
        return connection(found, contract_type, after, count)

    @strawberry.field(description="Contracted plans with service address, price and promotions (D3).")
    async def subscriptions(self, info: Info) -> list[PlanSubscription] | None:
        return [subscription_type(s) for s in await resolve_catalog.subscriptions(info.context, self.record)]

    @strawberry.field(description="Quotes, newest first (D5).")
    async def quotes(self, info: Info, first: First = None, after: After = None) -> Connection[Quote] | None:
        found = await resolve_commerce.quotes(info.context, self.record, first, after)
        count = lambda: resolve_commerce.quote_count(info.context, self.record)
        return connection(found, quote_type, after, count)

    @strawberry.field(description="Orders, newest first (D6).")
    async def orders(self, info: Info, first: First = None, after: After = None) -> Connection[Order] | None:
        found = await resolve_commerce.orders(info.context, self.record, first, after)
        count = lambda: resolve_commerce.order_count(info.context, self.record)
        return connection(found, order_type, after, count)

    @strawberry.field(description="Delivery notes, newest first (D7).")
    async def delivery_notes(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[DeliveryNote] | None:
        found = await resolve_commerce.delivery_notes(info.context, self.record, first, after)
        count = lambda: resolve_commerce.delivery_note_count(info.context, self.record)
        return connection(found, delivery_note_type, after, count)

    @strawberry.field(description="Documents the business shared with this customer, newest first (D8).")
    async def documents(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Document] | None:
        found = await resolve_commerce.documents(info.context, self.record, first, after)
        count = lambda: resolve_commerce.document_count(info.context, self.record)
        return connection(found, document_type, after, count)

    @strawberry.field(description="Saved payment methods for automatic debits, the default first (B12).")
    async def payment_methods(self, info: Info) -> list[PaymentMethod] | None:
        return [payment_method_type(m) for m in await resolve_billing.payment_methods(info.context, self.record)]

    @strawberry.field(description="Payment commitments, newest first (B11).")
    async def payment_commitments(self, info: Info) -> list[PaymentCommitment] | None:
        found = await resolve_billing.payment_commitments(info.context, self.record)
        return [payment_commitment_type(c) for c in found]

    @strawberry.field(description="Payment receipts this account submitted, newest first, with their status (B10).")
    async def payment_receipts(self, info: Info) -> list[PaymentReceipt] | None:
        return await customer_receipts(info, self.record)

    @strawberry.field(
        description="Online payments this account started, newest first: pending, approved, rejected or expired (B8)."
    )
    async def payment_attempts(self, info: Info) -> list[PaymentAttempt] | None:
        return await customer_payment_attempts(info, self.record)

    @strawberry.field(description="Plan changes and new plans this account asked for, newest first (D4).")
    async def plan_requests(self, info: Info) -> list[PlanRequest] | None:
        return await customer_plan_requests(info, self.record)


def customer_type(r: records.Customer) -> Customer:
    return Customer(
        id=to_global_id("Customer", r.id),
        code=r.code,
        name=r.name,
        status=CustomerStatus(r.status.value),
        tax_condition=r.tax_condition,
        customer_since=r.created_on,
        record=r,
    )


@strawberry.input(description="Narrows the analysts' list of customers.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None,
        description='Part of the name, case and accents aside ("sofia" finds "Sofía"), the whole customer '
        "code (case aside), or digits of the tax id.",
    )
    status: CustomerStatus | None = strawberry.field(default=None, description="Only this status.")
    overdue_only: bool = strawberry.field(
        default=False, description="Only customers with an overdue balance today."
    )
    company_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only accounts of this company of the group."
    )


def customer_filter(f: CustomerFilter | None) -> records.CustomerFilter:
    if f is None:
        return records.CustomerFilter()
    return records.CustomerFilter(
        search=f.search.strip() if f.search and f.search.strip() else None,
        status=records.CustomerStatus(f.status.value) if f.status else None,
        overdue_only=f.overdue_only,
        company_id=from_global_id(f.company_id, "Company")[1] if f.company_id else None,
    )


