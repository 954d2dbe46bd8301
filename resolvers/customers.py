"""Customers: the caller's own accounts, one by id, the analysts' list, and what an account shows."""

from __future__ import annotations

from ..auth.former_customers import open_accounts
from ..auth.ownership import authorize, authorize_account
from ..connectors.records import (
    Company,
    ContactEmail,
    ContactPhone,
    Customer,
    CustomerFilter,
    Invoice,
    PageOf,
)
from ..errors import not_found
from ..rules.billing import AccountSummary, account_summary
from .common import page
from .context import Context


async def viewer_accounts(ctx: Context) -> list[Customer]:
    """The open accounts a customer user may act for, the default first; staff act for none by default."""
    if ctx.principal.is_anonymous or not ctx.principal.customer_ids:
        return []
    found = await ctx.loaders.customer_by_id.load_many(list(ctx.principal.customer_ids))
    accounts = [c for c in found if c is not None]
    return open_accounts(accounts, ctx.settings.former_customers_keep_access)


async def customer(ctx: Context, customer_id: str) -> Customer:
    authorize_account(ctx.principal, customer_id)  # before loading: no lookup of others' ids
    record = await ctx.loaders.customer_by_id.load(customer_id)
    if record is None:
        raise not_found("Customer")
    return record


async def customer_of(ctx: Context, invoice: Invoice) -> Customer:
    """The account a document was issued to."""
    authorize(ctx.principal, invoice)
    return await customer(ctx, invoice.customer_id)


def statement_customer(ctx: Context, customer: Customer) -> Customer:
    """The account a statement is of: in hand already, checked like every other."""
    return authorize(ctx.principal, customer)


async def customers(
    ctx: Context, first: int | None, after: str | None, filter: CustomerFilter
) -> PageOf:
    """Every customer: the field declares who may list them (schema/permissions.py)."""
    requested = page(ctx, first, after)
    return await ctx.loaders.reader.customer_page(filter, requested, ctx.today)


async def customer_count(ctx: Context, filter: CustomerFilter) -> int:
    """How many customers the pages of `customers` hold (its guard has run)."""
    return await ctx.loaders.reader.customer_count(filter, ctx.today)


async def emails(ctx: Context, customer: Customer) -> list[ContactEmail]:
    authorize(ctx.principal, customer)
    return await ctx.loaders.emails_by_customer.load(customer.id)


async def phones(ctx: Context, customer: Customer) -> list[ContactPhone]:
    authorize(ctx.principal, customer)
    return await ctx.loaders.phones_by_customer.load(customer.id)


async def company(ctx: Context, of: object, company_id: str | None) -> Company | None:
    """The company of the group that `of` (an account, a document) belongs to."""
    authorize(ctx.principal, of)
    if company_id is None:
        return None
    found = await ctx.loaders.company_by_id.load(company_id)
    return None if found is None else authorize(ctx.principal, found)


async def account(ctx: Context, customer: Customer) -> AccountSummary:
    authorize(ctx.principal, customer)
    return account_summary(await ctx.loaders.account_by_customer.load(customer.id))
