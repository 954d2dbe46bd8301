"""Contracts, plans, subscriptions and their promotions."""

from __future__ import annotations

from ..auth.ownership import authorize
from ..connectors.records import Customer, PageOf, Plan, PlanSubscription, Promotion
from ..errors import not_found
from ..rules.features import require_feature
from ..settings import Feature
from .common import page
from .context import Context


async def contracts(ctx: Context, customer: Customer, first: int | None, after: str | None) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.CONTRACTS)
    return await ctx.loaders.contracts_by_customer.load((customer.id, page(ctx, first, after)))


async def plans(ctx: Context, first: int | None, after: str | None) -> PageOf:
    """The plans the business offers in the portal (D4: 'available in portal'), to anyone."""
    await require_feature(ctx, Feature.PLANS)
    return await ctx.loaders.reader.plan_page(page(ctx, first, after), True)


async def contract_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.contract_count_by_customer.load(customer.id)


async def plan_count(ctx: Context) -> int:
    return await ctx.loaders.reader.plan_count(True)  # the plans `plans` pages: the portal's


async def plan(ctx: Context, subscription: PlanSubscription) -> Plan:
    """The plan a subscription is of."""
    authorize(ctx.principal, subscription)
    found = await ctx.loaders.plan_by_id.load(subscription.plan_id)
    if found is None:
        raise not_found("Plan")
    return authorize(ctx.principal, found)


async def subscriptions(ctx: Context, customer: Customer) -> list[PlanSubscription]:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.PLANS)
    return await ctx.loaders.subscriptions_by_customer.load(customer.id)


async def promotions(ctx: Context, subscription: PlanSubscription) -> list[Promotion]:
    authorize(ctx.principal, subscription)
    return await ctx.loaders.promotions_by_subscription.load(subscription.id)
