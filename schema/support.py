"""Support tickets and their threads (FEATURES.md C)."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..resolvers import links
from ..resolvers import support as resolve
from .enums import TicketStatus
from .relay import Node, to_global_id


@strawberry.type(description="A file attached to a ticket message.")
class Attachment:
    filename: str = strawberry.field(description="Name of the file.")
    content_type: str = strawberry.field(description="MIME type, e.g. image/jpeg.")
    size: int = strawberry.field(description="Size in bytes.")
    record: strawberry.Private[records.Attachment]
    ticket: strawberry.Private[records.Ticket]

    @strawberry.field(
        description="Link to download the file, signed for the caller; valid for a few minutes."
    )
    def url(self, info: Info) -> str:
        return links.attachment_url(info.context, self.ticket, self.record)


@strawberry.type(description="One message of a ticket's thread.")
class TicketMessage:
    id: strawberry.ID = strawberry.field(description="Id of the message.")
    author: str = strawberry.field(description="Name of who wrote it.")
    from_customer: bool = strawberry.field(description="True when the customer wrote it, false for staff.")
    body: str = strawberry.field(description="The text.")
    internal: bool = strawberry.field(
        description="True for a staff-only note; customers and partners never receive these."
    )
    created_at: datetime.datetime = strawberry.field(description="When it was written.")
    attachments: list[Attachment] = strawberry.field(description="Files attached to it.")


def message_type(r: records.TicketMessage, ticket: records.Ticket) -> TicketMessage:
    return TicketMessage(
        id=strawberry.ID(r.id),
        author=r.author_name,
        from_customer=r.from_customer,
        body=r.body,
        internal=r.internal,
        created_at=r.created_at,
        attachments=[
            Attachment(filename=a.filename, content_type=a.content_type, size=a.size, record=a, ticket=ticket)
            for a in r.attachments
        ],
    )


@strawberry.type(description="A support ticket (reclamo) of a customer (FEATURES.md C1-C4).")
class Ticket(Node):
    number: str = strawberry.field(description="Number the business refers to it by.")
    subject: str = strawberry.field(description="Short summary.")
    status: TicketStatus = strawberry.field(description="Open, in progress or closed.")
    priority: str | None = strawberry.field(description="Priority as the business names it.")
    area: str | None = strawberry.field(description="Area that handles it, e.g. Soporte Técnico.")
    category: str | None = strawberry.field(description="Category, e.g. Sin servicio.")
    assignee: str | None = strawberry.field(description="Who at the business is assigned to it.")
    created_at: datetime.datetime = strawberry.field(description="When it was opened.")
    updated_at: datetime.datetime = strawberry.field(description="Last change.")
    closed_at: datetime.datetime | None = strawberry.field(description="When it was closed.")
    record: strawberry.Private[records.Ticket]

    @strawberry.field(description="The thread, oldest first.")
    async def messages(self, info: Info) -> list[TicketMessage] | None:
        return [message_type(m, self.record) for m in await resolve.messages(info.context, self.record)]


def ticket_type(r: records.Ticket) -> Ticket:
    return Ticket(
        id=to_global_id("Ticket", r.id),
        number=r.number,
        subject=r.subject,
        status=TicketStatus(r.status.value),
        priority=r.priority,
        area=r.area,
        category=r.category,
        assignee=r.assignee,
        created_at=r.created_at,
        updated_at=r.updated_at,
        closed_at=r.closed_at,
        record=r,
    )


@strawberry.input(description="Narrows a list of tickets.")
class TicketFilter:
    status: TicketStatus | None = strawberry.field(default=None, description="Only this status.")
    open_only: bool = strawberry.field(default=False, description="Only tickets not yet closed.")
    search: str | None = strawberry.field(
        default=None, description="Words to find in the subject or the number, case and accents aside."
    )

