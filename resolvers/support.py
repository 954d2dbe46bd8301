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
    if ctx.settings.tickets_open_only and not ctx.principal.is_staff:
        filter = replace(filter, open_only=True)  # C1: the business shows only open tickets
    return await ctx.loaders.tickets_by_customer.load((customer.id, filter, page(ctx, first, after)))


async def messages(ctx: Context, ticket: Ticket) -> list[TicketMessage]:
    """Internal notes reach the business's staff only."""
    authorize(ctx.principal, ticket)
    return await ctx.loaders.messages_by_ticket.load((ticket.id, ctx.principal.sees_internal_notes))
