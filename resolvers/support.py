"""Tickets and their message threads."""

from __future__ import annotations

from dataclasses import replace

from ..auth.ownership import authorize
from ..connectors.records import Customer, PageOf, Ticket, TicketFilter, TicketMessage
from ..rules.features import require_feature
from ..settings import Feature
from .common import page
from .context import Context


async def tickets(
    ctx: Context, customer: Customer, first: int | None, after: str | None, filter: TicketFilter
) -> PageOf:
    authorize(ctx.principal, customer)
    require_feature(ctx.settings, Feature.TICKETS)
    filter = tickets_shown(ctx, filter)
    return await ctx.loaders.tickets_by_customer.load((customer.id, filter, page(ctx, first, after)))


def tickets_shown(ctx: Context, filter: TicketFilter) -> TicketFilter:
    """The filter of the tickets the caller is shown: the asked one, open only if the business says so."""
    if ctx.settings.tickets_open_only and not ctx.principal.is_staff:
        filter = replace(filter, open_only=True)  # C1: the business shows only open tickets
    return filter


async def ticket_count(ctx: Context, customer: Customer, filter: TicketFilter) -> int:
    """How many tickets the caller's pages of `tickets` hold."""
    authorize(ctx.principal, customer)
    return await ctx.loaders.ticket_count_by_customer.load((customer.id, tickets_shown(ctx, filter)))


async def messages(ctx: Context, ticket: Ticket) -> list[TicketMessage]:
    """Internal notes reach the business's staff only."""
    authorize(ctx.principal, ticket)
    return await ctx.loaders.messages_by_ticket.load((ticket.id, ctx.principal.sees_internal_notes))
