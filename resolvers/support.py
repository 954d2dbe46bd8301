"""Tickets and their message threads."""

from __future__ import annotations

from dataclasses import replace

from ..connectors.records import PageOf, TicketFilter, TicketMessage
from ..settings import Feature
from .common import page, require_feature
from .context import Context


async def tickets(
    ctx: Context, customer_id: str, first: int | None, after: str | None, filter: TicketFilter
) -> PageOf:
    require_feature(ctx, Feature.TICKETS)
    filter = tickets_shown(ctx, filter)
    return await ctx.loaders.tickets_by_customer.load((customer_id, filter, page(ctx, first, after)))


def tickets_shown(ctx: Context, filter: TicketFilter) -> TicketFilter:
    """The filter of the tickets the caller is shown: the asked one, open only if the business says so."""
    if ctx.settings.tickets_open_only and not ctx.principal.is_staff:
        filter = replace(filter, open_only=True)  # C1: the business shows only open tickets
    return filter


async def ticket_count(ctx: Context, customer_id: str, filter: TicketFilter) -> int:
    """How many tickets the caller's pages of `tickets` hold (the page's guards have run)."""
    return await ctx.loaders.ticket_count_by_customer.load((customer_id, tickets_shown(ctx, filter)))


async def messages(ctx: Context, ticket_id: str) -> list[TicketMessage]:
    """Internal notes reach the business's staff only."""
    return await ctx.loaders.messages_by_ticket.load((ticket_id, ctx.principal.sees_internal_notes))
