"""Customers: the caller's own accounts, one by id, and the analysts' list."""

from __future__ import annotations

from ..connectors.records import (
    Company,
    ContactEmail,
    ContactPhone,
    Customer,
    CustomerFilter,
    PageOf,
)
from ..errors import not_found
from ..rules.billing import AccountSummary, account_summary
from .common import page, require_owner, require_signed_in, require_staff
from .context import Context


async def viewer_accounts(ctx: Context) -> list[Customer]:
    """The customer accounts a customer user may act for; staff act for none by default."""
    if ctx.principal.is_anonymous or not ctx.principal.customer_ids:
        return []
    found = await ctx.loaders.customer_by_id.load_many(list(ctx.principal.customer_ids))
    return [c for c in found if c is not None]


async def customer(ctx: Context, customer_id: str) -> Customer:
    require_owner(ctx, customer_id, "Customer")
    record = await ctx.loaders.customer_by_id.load(customer_id)
    if record is None:
        raise not_found("Customer")
    return record


async def customers(
    ctx: Context, first: int | None, after: str | None, filter: CustomerFilter
) -> PageOf:
    require_staff(ctx)
    requested = page(ctx, first, after)
    return await ctx.loaders.reader.customer_page(filter, requested, ctx.today)


async def customer_count(ctx: Context, filter: CustomerFilter) -> int:
    """How many customers the pages of `customers` hold (its guard has run)."""
    return await ctx.loaders.reader.customer_count(filter, ctx.today)


async def emails(ctx: Context, customer_id: str) -> list[ContactEmail]:
    return await ctx.loaders.emails_by_customer.load(customer_id)


async def phones(ctx: Context, customer_id: str) -> list[ContactPhone]:
    return await ctx.loaders.phones_by_customer.load(customer_id)


async def company(ctx: Context, company_id: str | None) -> Company | None:
    if company_id is None:
        return None
    require_signed_in(ctx)
    return await ctx.loaders.company_by_id.load(company_id)


async def account(ctx: Context, customer_id: str) -> AccountSummary:
    return account_summary(await ctx.loaders.account_by_customer.load(customer_id))
