"""Invoices, payments, the current account, the statement, payment methods and commitments."""

from __future__ import annotations

from datetime import date

from ..connectors.records import (
    Customer,
    Invoice,
    InvoiceFilter,
    InvoiceLine,
    Page,
    PageOf,
    PaymentCommitment,
    PaymentMethod,
)
from ..rules.billing import StatementFigures, statement
from ..settings import Feature
from .common import page, require_feature
from .context import Context

# The count of a connection is asked for only through the connection its page resolver built,
# so the page's guards have run: counts take the same filter and nothing else.


async def invoices(
    ctx: Context, customer_id: str, first: int | None, after: str | None, filter: InvoiceFilter
) -> PageOf:
    return await ctx.loaders.invoices_by_customer.load((customer_id, filter, page(ctx, first, after)))


async def invoice_count(ctx: Context, customer_id: str, filter: InvoiceFilter) -> int:
    return await ctx.loaders.invoice_count_by_customer.load((customer_id, filter))


async def invoice_lines(ctx: Context, invoice_id: str) -> list[InvoiceLine]:
    return await ctx.loaders.lines_by_invoice.load(invoice_id)


async def invoices_by_id(ctx: Context, invoice_ids: tuple[str, ...]) -> list[Invoice]:
    found = await ctx.loaders.invoice_by_id.load_many(list(invoice_ids))
    return [i for i in found if i is not None]


async def payments(ctx: Context, customer_id: str, first: int | None, after: str | None) -> PageOf:
    return await ctx.loaders.payments_by_customer.load((customer_id, page(ctx, first, after)))


async def payment_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.payment_count_by_customer.load(customer_id)


async def ledger(
    ctx: Context,
    customer_id: str,
    first: int | None,
    after: str | None,
    date_from: date | None,
    date_to: date | None,
) -> PageOf:
    require_feature(ctx, Feature.CURRENT_ACCOUNT)
    requested: Page = page(ctx, first, after)
    return await ctx.loaders.ledger_by_customer.load((customer_id, requested, date_from, date_to))


async def ledger_count(
    ctx: Context, customer_id: str, date_from: date | None, date_to: date | None
) -> int:
    return await ctx.loaders.ledger_count_by_customer.load((customer_id, date_from, date_to))


async def customer_statement(
    ctx: Context, customer: Customer, cut_off: date | None, company_id: str | None
) -> StatementFigures:
    require_feature(ctx, Feature.STATEMENT)
    cut_off = cut_off or ctx.today
    items = await ctx.loaders.open_items_by_customer.load((customer.id, cut_off, company_id))
    return statement(items, cut_off, customer.currency, customer.credit_limit)


async def payment_methods(ctx: Context, customer_id: str) -> list[PaymentMethod]:
    require_feature(ctx, Feature.PAYMENT_METHODS)
    return await ctx.loaders.payment_methods_by_customer.load(customer_id)


async def payment_commitments(ctx: Context, customer_id: str) -> list[PaymentCommitment]:
    require_feature(ctx, Feature.PAYMENT_COMMITMENTS)
    return await ctx.loaders.payment_commitments_by_customer.load(customer_id)
