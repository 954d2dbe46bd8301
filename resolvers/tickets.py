"""Writing tickets from any portal action: where a ticket goes, and how it is routed.

`open_ticket(ctx, conn, new)` is what createTicket, submitPaymentReceipt and the plan requests
call inside their `perform` work (resolvers/actions.py): it writes the ticket and its first
message through the source that takes the "tickets" write (connectors/routing.py
`ticket_writer`): the native tables or the store's portal tables on `conn`, or the legacy
system's own tables (ISPCube). `ticket_routing(settings, kind)` is the configured routing of a
new ticket of each kind.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.records import NewMessage, NewTicket, TicketStatus
from ..connectors.routing import ticket_writer
from ..settings import Settings, TicketRouting
from .context import Context

TicketKind = Literal["ticket", "receipt", "plan"]


def ticket_routing(settings: Settings, kind: TicketKind) -> TicketRouting:
    """The routing defaults of a new ticket: [tickets.defaults], [receipts.ticket] or [plans.ticket]."""
    return {"ticket": settings.ticket_defaults, "receipt": settings.receipt_ticket, "plan": settings.plan_ticket}[kind]


def routed(new: NewTicket, routing: TicketRouting) -> NewTicket:
    """`new` with the routing's status, and its area, category, assignee and priority where it names none."""
    return replace(
        new,
        area=new.area or routing.area,
        category=new.category or routing.category,
        assignee=new.assignee or routing.assignee,
        priority=new.priority or routing.priority,
        status=TicketStatus(routing.status),
    )


def now() -> datetime:
    return datetime.now(UTC)


async def open_ticket(ctx: Context, conn: AsyncConnection, new: NewTicket) -> str:
    """Write `new` and its first message where tickets are written; the ticket's canonical id."""
    return await ticket_writer(ctx.services.source).open_ticket(conn, new, now())


async def add_message(ctx: Context, conn: AsyncConnection, new: NewMessage, status: TicketStatus | None = None) -> str | None:
    """Append a message to a ticket where it was written; None when it is not there."""
    return await ticket_writer(ctx.services.source).add_message(conn, new, now(), status)


async def set_ticket_status(ctx: Context, conn: AsyncConnection, ticket_id: str, status: TicketStatus) -> bool:
    return await ticket_writer(ctx.services.source).set_ticket_status(conn, ticket_id, status, now())
