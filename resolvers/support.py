"""Tickets and their message threads."""

from __future__ import annotations

from dataclasses import replace

from ..auth.ownership import authorize
from ..connectors.records import Attachment, Customer, PageOf, Ticket, TicketFilter, TicketMessage
from ..errors import not_found
from ..rules.features import require_feature
from ..settings import Feature
from .common import page
from .context import Context


async def tickets(
    ctx: Context, customer: Customer, first: int | None, after: str | None, filter: TicketFilter
) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.TICKETS)
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


async def attachment(ctx: Context, ticket: Ticket, attachment_id: str) -> Attachment:
    """An attachment of a message of `ticket` the caller is shown (an internal note's is not)."""
    for message in await messages(ctx, ticket):
        for found in message.attachments:
            if found.id == attachment_id:
                return found
    raise not_found("Attachment")


async def attachment_content(ctx: Context, attachment: Attachment) -> bytes:
    """Its bytes, from where the ticket's source keeps them; NOT_FOUND when they are not there."""
    content = await ctx.services.source.attachment_content(attachment)
    if content is None:
        raise not_found("Attachment")
    return content
