"""Contracts, plans, subscriptions and their promotions."""

from __future__ import annotations

from ..connectors.records import PageOf, Plan, PlanSubscription, Promotion
from ..errors import not_found
from ..settings import Feature
from .common import page, require_feature
from .context import Context

# The count of a connection is asked for only through the connection its page resolver built,
# so the page's guards have run: counts take the same filter and nothing else.


async def contracts(ctx: Context, customer_id: str, first: int | None, after: str | None) -> PageOf:
    require_feature(ctx, Feature.CONTRACTS)
    return await ctx.loaders.contracts_by_customer.load((customer_id, page(ctx, first, after)))


async def plans(ctx: Context, first: int | None, after: str | None) -> PageOf:
    """The plans the business offers in the portal (D4: 'available in portal')."""
    require_feature(ctx, Feature.PLANS)
    return await ctx.loaders.reader.plan_page(page(ctx, first, after), True)


async def contract_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.contract_count_by_customer.load(customer_id)


async def plan_count(ctx: Context) -> int:
    return await ctx.loaders.reader.plan_count(True)  # the plans `plans` pages: the portal's


async def plan(ctx: Context, plan_id: str) -> Plan:
    found = await ctx.loaders.plan_by_id.load(plan_id)
    if found is None:
        raise not_found("Plan")
    return found


async def subscriptions(ctx: Context, customer_id: str) -> list[PlanSubscription]:
    require_feature(ctx, Feature.PLANS)
    return await ctx.loaders.subscriptions_by_customer.load(customer_id)


async def promotions(ctx: Context, subscription_id: str) -> list[Promotion]:
    return await ctx.loaders.promotions_by_subscription.load(subscription_id)
