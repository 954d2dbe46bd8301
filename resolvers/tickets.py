"""Writing tickets from any portal action: where a ticket goes, and how it is routed.

`open_ticket(ctx, conn, new)` is what createTicket, submitPaymentReceipt and the plan requests
call inside their `perform` work (resolvers/actions.py): it writes the ticket and its first
message through the source that takes the "tickets" write (connectors/routing.py
`ticket_writer`): the native tables or the store's portal tables on `conn`, or the legacy
system's own tables (ISPCube). `ticket_routing(settings, kind)` is the configured routing of a
new ticket of each kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize
from ..auth.principals import PrincipalKind
from ..connectors.base import WriteRefused
from ..connectors.records import Customer, NewFile, NewMessage, NewTicket, Ticket, TicketStatus
from ..connectors.routing import ticket_writer
from ..errors import ApiError, ErrorCode, not_found
from ..rules.tickets import MAX_BODY, MAX_SUBJECT, day_window_ends, status_after_reply, subject_of
from ..rules.uploads import Upload, UploadLimits
from ..settings import Feature, Settings, TicketRouting
from ..store import counters
from ..store.events import DomainEvent
from .actions import Action, Done, audited, perform
from .context import Context
from .uploads import keep_uploads

TicketKind = Literal["ticket", "receipt", "plan"]
T = TypeVar("T")


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
    """Write `new` and its first message where tickets are written; the ticket's canonical id.
    A legacy system that cannot take it as given (a routing name its catalog must have) answers
    BAD_INPUT."""
    writer = ticket_writer(ctx.services.source)
    return await _refusing(writer.open_ticket(conn, new, now()))


async def add_message(
    ctx: Context, conn: AsyncConnection, new: NewMessage, status: TicketStatus | None = None
) -> str | None:
    """Append a message to a ticket where it was written; None when it is not there."""
    writer = ticket_writer(ctx.services.source, "ticket_replies")
    return await _refusing(writer.add_message(conn, new, now(), status))


async def set_ticket_status(ctx: Context, conn: AsyncConnection, ticket_id: str, status: TicketStatus) -> bool:
    """Set a ticket's status where it was written; False when it is not there."""
    writer = ticket_writer(ctx.services.source)
    return await _refusing(writer.set_ticket_status(conn, ticket_id, status, now()))


async def _refusing(write: Awaitable[T]) -> T:
    try:
        return await write
    except WriteRefused as refused:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input"], detail=str(refused)) from refused


# --- the ticket mutations (FEATURES.md C2-C4): authorize, check, perform, reload ---------------


@dataclass(frozen=True, slots=True)
class Written:
    """What a ticket mutation did: the ticket to answer with (reloaded from where it was written)."""

    ticket: Ticket


@audited("createTicket")
async def create_ticket(
    ctx: Context, customer_id: str | None, subject: str | None, description: str, files: Sequence[Upload],
    idempotency_key: str | None,
) -> Written:  # fmt: skip
    """C2: a ticket for the caller's account (default: its default account), routed by
    [tickets.defaults], within the daily limit ([tickets] daily_limit), with its photos."""
    account = acting_account(ctx.principal, customer_id)
    body = _text(description, ["input", "description"], MAX_BODY)
    title = _text(subject, ["input", "subject"], MAX_SUBJECT) if subject and subject.strip() else subject_of(body)
    customer = await _customer(ctx, account)
    kept = await keep_files(ctx, files)
    request = {"customerId": account, "subject": title, "description": body, "files": _digests(kept)}
    settings = ctx.settings

    async def work(conn: AsyncConnection) -> Done:
        moment = now()
        if settings.tickets_daily_limit > 0:
            refused = await counters.take(conn, f"createTicket:{account}", settings.tickets_daily_limit,
                                          day_window_ends(moment, ctx.services.zone))  # fmt: skip
            if refused is not None:
                raise daily_limit_reached(settings.tickets_daily_limit)
        new = NewTicket(account, title, body, _author(ctx, customer), files=kept)
        new = routed(new, ticket_routing(settings, "ticket"))
        ticket_id = await open_ticket(ctx, conn, new)
        event = DomainEvent("TicketCreated", account, {"ticketId": ticket_id, "subject": title, "area": new.area,
                            "category": new.category, "priority": new.priority, "status": new.status.value,
                            "assignee": new.assignee, "attachments": len(kept),
                            "channel": "partner" if ctx.principal.kind.value == "PARTNER" else "portal"})  # fmt: skip
        return Done({"id": ticket_id}, [event], ticket_id)

    action = Action("createTicket", account, request, idempotency_key, Feature.TICKET_CREATION)
    answer = await perform(ctx, action, work)
    return Written(await _reloaded(ctx, answer["id"]))


@audited("replyToTicket")
async def reply_to_ticket(
    ctx: Context, ticket_id: str, body: str, files: Sequence[Upload], idempotency_key: str | None
) -> Written:
    """C3: a message on a ticket the caller may see: customers on their own, partners with
    support:write, the helpdesk (agents, admins) as staff. A customer's reply reopens a closed
    ticket (rules/tickets.py status_after_reply)."""
    ticket = await _ticket(ctx, ticket_id)
    text = _text(body, ["input", "body"], MAX_BODY)
    kept = await keep_files(ctx, files)
    staff = ctx.principal.is_staff
    customer = None if staff else await _customer(ctx, ticket.customer_id)
    request = {"ticketId": ticket.id, "body": text, "files": _digests(kept)}

    async def work(conn: AsyncConnection) -> Done:
        author = (ctx.principal.name or "Mesa de ayuda") if staff else _author(ctx, customer)
        status = status_after_reply(ticket.status, not staff)
        new = NewMessage(ticket.id, text, author, from_customer=not staff, files=kept)
        message_id = await add_message(ctx, conn, new, status)
        if message_id is None:
            raise not_found("Ticket")
        payload = {"ticketId": ticket.id, "messageId": message_id, "fromCustomer": not staff,
                   "attachments": len(kept), "reopened": status is TicketStatus.OPEN}  # fmt: skip
        return Done({"id": ticket.id, "messageId": message_id}, [DomainEvent("TicketReplied", ticket.customer_id,
                    payload)], ticket.id)  # fmt: skip

    action = Action("replyToTicket", ticket.customer_id, request, idempotency_key, Feature.TICKET_REPLIES)
    await perform(ctx, action, work)
    return Written(await _reloaded(ctx, ticket.id))


@audited("closeTicket")
async def close_ticket(ctx: Context, ticket_id: str, idempotency_key: str | None) -> Written:
    """C4: customers close their own tickets, the helpdesk any; closing a closed ticket changes nothing."""
    ticket = await _ticket(ctx, ticket_id)

    async def work(conn: AsyncConnection) -> Done:
        if ticket.status is TicketStatus.CLOSED:
            return Done({"id": ticket.id}, (), ticket.id)
        if not await set_ticket_status(ctx, conn, ticket.id, TicketStatus.CLOSED):
            raise not_found("Ticket")
        event = DomainEvent("TicketClosed", ticket.customer_id, {"ticketId": ticket.id,
                            "closedBy": "agent" if ctx.principal.is_staff else "customer"})  # fmt: skip
        return Done({"id": ticket.id}, [event], ticket.id)

    action = Action("closeTicket", ticket.customer_id, {"ticketId": ticket.id}, idempotency_key,
                    Feature.TICKET_REPLIES)  # fmt: skip
    await perform(ctx, action, work)
    return Written(await _reloaded(ctx, ticket.id))


def daily_limit_reached(limit: int) -> ApiError:
    return ApiError(
        ErrorCode.LIMIT_REACHED, field=["input"],
        detail=f"se pueden crear hasta {limit} tickets por día; vas a poder crear otro mañana",
        detail_en=f"at most {limit} tickets can be created per day; you can create another one tomorrow",
    )  # fmt: skip


async def keep_files(ctx: Context, files: Sequence[Upload]) -> tuple[NewFile, ...]:
    """Every file checked by its content (INVALID_FILE, FILE_TOO_LARGE, LIMIT_REACHED: nothing
    kept), then kept in the blob store by SHA-256 (resolvers/uploads.py), before the action's
    transaction: the database blob store writes on a connection of its own. A refused action
    leaves its files as unreferenced blobs, named by their content, never served."""
    if not files:
        return ()
    kept = await keep_uploads(ctx.services.blobs, UploadLimits.of(ctx.settings), files)
    return tuple(NewFile(f.filename, f.content_type, f.size, f.sha256) for f in kept)


def _digests(kept: Sequence[NewFile]) -> list[str]:
    return [f.sha256 for f in kept]


def _text(value: str | None, field: list[str], limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ApiError(ErrorCode.BAD_INPUT, field=field, detail=f"{field[-1]} (vacío / empty)")
    if len(text) > limit:
        raise ApiError(ErrorCode.BAD_INPUT, field=field, detail=f"{field[-1]} (máx. / max. {limit})")
    return text


async def _customer(ctx: Context, customer_id: str) -> Customer:
    customer = await ctx.loaders.customer_by_id.load(customer_id)
    if customer is None:
        raise not_found("Customer")
    return authorize(ctx.principal, customer)


def _author(ctx: Context, customer: Customer | None) -> str:
    """A customer's message is signed by its user (a partner's, by the account)."""
    if ctx.principal.kind is PrincipalKind.CUSTOMER and ctx.principal.name:
        return ctx.principal.name
    return customer.name if customer is not None else "Cliente"


async def _ticket(ctx: Context, ticket_id: str) -> Ticket:
    """The ticket, if the caller may see it: another customer's answers NOT_FOUND like a missing one."""
    ticket = await ctx.loaders.ticket_by_id.load(ticket_id)
    if ticket is None:
        raise not_found("Ticket")
    return authorize(ctx.principal, ticket, "Ticket")


async def _reloaded(ctx: Context, ticket_id: str) -> Ticket:
    """The ticket as its source reads it now (not as this request's loader first saw it)."""
    ctx.loaders.ticket_by_id.clear(ticket_id)
    return await _ticket(ctx, ticket_id)
