"""The ticket mutations (FEATURES.md C2-C4): createTicket, replyToTicket, closeTicket.

Who may call each is the field's (schema/root.py, schema/permissions.py); the rest (the account,
the ticket's owner, the files, the limit, the switch) is resolvers/tickets.py's, answered as
`errors` of the payload.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import tickets as write
from ..rules.uploads import Upload as UploadedFile
from .access import user_error
from .errors import UserError
from .relay import from_global_id
from .support import Ticket, ticket_type


@strawberry.input(description="A new ticket (reclamo): what happens, and photos of it.")
class CreateTicketInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the account it is for; default: the caller's default account "
        "(partners name it always).",
    )  # fmt: skip
    subject: str | None = strawberry.field(
        default=None, description="Short summary; default: the first words of the description."
    )
    description: str = strawberry.field(description="What happens, in the customer's words.")
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="Photos or PDFs (multipart request), up to the portal's file limit; each is "
        "checked by its content, and location data is removed from photos.",
    )  # fmt: skip
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: sending the same request again with it answers "
        "the first answer and creates nothing more (24 h).",
    )  # fmt: skip


@strawberry.input(description="A message on a ticket's thread.")
class ReplyToTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the ticket.")
    body: str = strawberry.field(description="The text of the message.")
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="Photos or PDFs (multipart request), up to the portal's file limit."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it adds nothing more."
    )


@strawberry.input(description="The ticket to close.")
class CloseTicketInput:
    ticket_id: strawberry.ID = strawberry.field(description="Global id of the ticket.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A key of the caller's choice: a repeated request with it answers the first answer."
    )


@strawberry.type(description="Result of createTicket.")
class CreateTicketPayload:
    ticket: Ticket | None = strawberry.field(description="The new ticket; null when it was not created.")
    errors: list[UserError] = strawberry.field(description="Why it was not created; empty on success.")


@strawberry.type(description="Result of replyToTicket.")
class ReplyToTicketPayload:
    ticket: Ticket | None = strawberry.field(description="The ticket, its thread ending with the new message.")
    errors: list[UserError] = strawberry.field(description="Why the message was not added; empty on success.")


@strawberry.type(description="Result of closeTicket.")
class CloseTicketPayload:
    ticket: Ticket | None = strawberry.field(description="The ticket, now closed.")
    errors: list[UserError] = strawberry.field(description="Why it was not closed; empty on success.")


async def _uploads(files: list[Upload] | None) -> list[UploadedFile]:
    """The multipart request's files as rules/uploads.py checks them."""
    read: list[UploadedFile] = []
    for file in files or []:
        part: Any = file  # a Starlette UploadFile of the multipart request
        read.append(UploadedFile(part.filename or "archivo", await part.read(), part.content_type))
    return read


async def create_ticket(
    info: Info, input: Annotated[CreateTicketInput, strawberry.argument(description="The ticket.")]
) -> CreateTicketPayload:
    ctx = info.context
    try:
        customer_id = None if input.customer_id is None else from_global_id(input.customer_id, "Customer")[1]
        written = await write.create_ticket(
            ctx, customer_id, input.subject, input.description, await _uploads(input.attachments), input.idempotency_key
        )
    except ApiError as error:
        return CreateTicketPayload(ticket=None, errors=[user_error(error, ctx.language)])
    return CreateTicketPayload(ticket=ticket_type(written.ticket), errors=[])


async def reply_to_ticket(
    info: Info, input: Annotated[ReplyToTicketInput, strawberry.argument(description="The message.")]
) -> ReplyToTicketPayload:
    ctx = info.context
    try:
        _, ticket_id = from_global_id(input.ticket_id, "Ticket")
        files = await _uploads(input.attachments)
        written = await write.reply_to_ticket(ctx, ticket_id, input.body, files, input.idempotency_key)
    except ApiError as error:
        return ReplyToTicketPayload(ticket=None, errors=[user_error(error, ctx.language)])
    return ReplyToTicketPayload(ticket=ticket_type(written.ticket), errors=[])


async def close_ticket(
    info: Info, input: Annotated[CloseTicketInput, strawberry.argument(description="The ticket.")]
) -> CloseTicketPayload:
    ctx = info.context
    try:
        _, ticket_id = from_global_id(input.ticket_id, "Ticket")
        written = await write.close_ticket(ctx, ticket_id, input.idempotency_key)
    except ApiError as error:
        return CloseTicketPayload(ticket=None, errors=[user_error(error, ctx.language)])
    return CloseTicketPayload(ticket=ticket_type(written.ticket), errors=[])
