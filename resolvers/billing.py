"""Invoices, payments, the current account, the statement, payment methods and commitments."""

from __future__ import annotations

from datetime import date

from ..auth.ownership import authorize, may_see
from ..connectors.records import (
    Customer,
    Invoice,
    InvoiceFilter,
    InvoiceLine,
    Page,
    PageOf,
    Payment,
    PaymentCommitment,
    PaymentMethod,
)
from ..rules.billing import StatementFigures, statement
from ..rules.features import require_feature
from ..settings import Feature
from .common import page
from .context import Context


async def invoices(
    ctx: Context, customer: Customer, first: int | None, after: str | None, filter: InvoiceFilter
) -> PageOf:
    authorize(ctx.principal, customer)
    return await ctx.loaders.invoices_by_customer.load((customer.id, filter, page(ctx, first, after)))


async def invoice_count(ctx: Context, customer: Customer, filter: InvoiceFilter) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.invoice_count_by_customer.load((customer.id, filter))


async def invoice_lines(ctx: Context, invoice: Invoice) -> list[InvoiceLine]:
    authorize(ctx.principal, invoice)
    return await ctx.loaders.lines_by_invoice.load(invoice.id)


async def settled_invoices(ctx: Context, payment: Payment) -> list[Invoice]:
    """The invoices a payment settled; one the caller may not see is left out, like a missing one."""
    authorize(ctx.principal, payment)
    found = await ctx.loaders.invoice_by_id.load_many(list(payment.invoice_ids))
    return [i for i in found if i is not None and may_see(ctx.principal, i)]


async def payments(ctx: Context, customer: Customer, first: int | None, after: str | None) -> PageOf:
    authorize(ctx.principal, customer)
    return await ctx.loaders.payments_by_customer.load((customer.id, page(ctx, first, after)))


async def payment_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.payment_count_by_customer.load(customer.id)


async def ledger(
    ctx: Context,
    customer: Customer,
    first: int | None,
    after: str | None,
    date_from: date | None,
    date_to: date | None,
) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.CURRENT_ACCOUNT)
    requested: Page = page(ctx, first, after)
    return await ctx.loaders.ledger_by_customer.load((customer.id, requested, date_from, date_to))


async def ledger_count(ctx: Context, customer: Customer, date_from: date | None, date_to: date | None) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.ledger_count_by_customer.load((customer.id, date_from, date_to))


async def customer_statement(
    ctx: Context, customer: Customer, cut_off: date | None, company_id: str | None
) -> StatementFigures:
    """The statement at `cut_off` (default today), for the API and for its downloads alike."""
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.STATEMENT)
    cut_off = cut_off or ctx.today
    items = await ctx.loaders.open_items_by_customer.load((customer.id, cut_off, company_id))
    return statement(items, cut_off, customer.currency, customer.credit_limit)


async def payment_methods(ctx: Context, customer: Customer) -> list[PaymentMethod]:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.PAYMENT_METHODS)
    return await ctx.loaders.payment_methods_by_customer.load(customer.id)


async def payment_commitments(ctx: Context, customer: Customer) -> list[PaymentCommitment]:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.PAYMENT_COMMITMENTS)
    return await ctx.loaders.payment_commitments_by_customer.load(customer.id)
