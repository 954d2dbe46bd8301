"""The tickets a payment receipt or a plan request opens, with their own routing defaults.

`[receipts.ticket]` and `[plans.ticket]` (ventanilla.toml) give the area, category, assignee,
status and priority of these tickets, as `[tickets.defaults]` does for the others; the ticket
goes where the tickets domain writes (resolvers/tickets.py `open_ticket`), on the action's
transaction: it exists if and only if the receipt or the request does.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.records import NewFile, NewTicket
from .context import Context
from .tickets import TicketKind, open_ticket, routed, ticket_routing
from .uploads import KeptFile


def _author(ctx: Context, account_name: str) -> str:
    """Who the first message is from: the customer user, or the account a partner acts for."""
    return ctx.principal.name or account_name


async def open_kind_ticket(
    ctx: Context,
    conn: AsyncConnection,
    kind: TicketKind,
    customer_id: str,
    account_name: str,
    subject: str,
    body: str,
    files: tuple[KeptFile, ...] = (),
) -> str:
    """Open the ticket of a receipt ("receipt") or a plan request ("plan"); its canonical id."""
    attached = tuple(NewFile(f.filename, f.content_type, f.size, f.sha256) for f in files)
    new = NewTicket(customer_id, subject, body, _author(ctx, account_name), files=attached)
    return await open_ticket(ctx, conn, routed(new, ticket_routing(ctx.settings, kind)))
