"""The quote and comment mutations (FEATURES.md D5, D9): acceptQuote, rejectQuote, addComment.

Who may call each is the field's (schema/root.py, schema/permissions.py); the rest (the quote's
or subject's owner, its state, the switch) is resolvers/quotes.py's and resolvers/comments.py's,
answered as `errors` of the payload.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..errors import ApiError
from ..resolvers import comments as comment_writes
from ..resolvers import quotes as quote_writes
from .access import user_error
from .commerce import Comment, Quote, comment_type, quote_type
from .errors import UserError
from .relay import from_global_id

# What deciding reads of the quote (its validity, the event's facts), whatever the payload selects of it.
DECIDING = ("status", "valid_until", "number", "total", "currency", "customer_id")
_KEY = "A key of the caller's choice: sending the same request again with it answers the first answer (24 h)."


@strawberry.input(description="The quote to accept.")
class AcceptQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="Global id of the quote (PENDING, within its validity).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="The quote to reject, and why.")
class RejectQuoteInput:
    quote_id: strawberry.ID = strawberry.field(description="Global id of the quote (PENDING, within its validity).")
    reason: str | None = strawberry.field(default=None, description="Why, in the customer's words (optional).")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.input(description="A comment on a document: an invoice, quote, order, delivery note or shared document.")
class AddCommentInput:
    subject_id: strawberry.ID = strawberry.field(
        description="Global id of the invoice, quote, order, delivery note or document commented on."
    )
    body: str = strawberry.field(description="The text of the comment.")
    idempotency_key: str | None = strawberry.field(default=None, description=_KEY)


@strawberry.type(description="Result of acceptQuote.")
class AcceptQuotePayload:
    quote: Quote | None = strawberry.field(
        description="The quote, now ACCEPTED; null when it was not accepted.", metadata={"reads": DECIDING}
    )
    errors: list[UserError] = strawberry.field(description="Why it was not accepted; empty on success.")
    record: strawberry.Private[records.Quote] = None  # type: ignore[assignment]


@strawberry.type(description="Result of rejectQuote.")
class RejectQuotePayload:
    quote: Quote | None = strawberry.field(
        description="The quote, now REJECTED; null when it was not rejected.", metadata={"reads": DECIDING}
    )
    errors: list[UserError] = strawberry.field(description="Why it was not rejected; empty on success.")
    record: strawberry.Private[records.Quote] = None  # type: ignore[assignment]


@strawberry.type(description="Result of addComment.")
class AddCommentPayload:
    comment: Comment | None = strawberry.field(description="The new comment; null when it was not added.")
    errors: list[UserError] = strawberry.field(description="Why it was not added; empty on success.")


async def accept_quote(
    info: Info, input: Annotated[AcceptQuoteInput, strawberry.argument(description="The quote.")]
) -> AcceptQuotePayload:
    ctx = info.context
    try:
        _, quote_id = from_global_id(input.quote_id, "Quote")
        quote = await quote_writes.accept_quote(ctx, quote_id, input.idempotency_key)
    except ApiError as error:
        return AcceptQuotePayload(quote=None, errors=[user_error(error, ctx.language)])
    return AcceptQuotePayload(quote=quote_type(quote), errors=[])


async def reject_quote(
    info: Info, input: Annotated[RejectQuoteInput, strawberry.argument(description="The quote and the reason.")]
) -> RejectQuotePayload:
    ctx = info.context
    try:
        _, quote_id = from_global_id(input.quote_id, "Quote")
        quote = await quote_writes.reject_quote(ctx, quote_id, input.reason, input.idempotency_key)
    except ApiError as error:
        return RejectQuotePayload(quote=None, errors=[user_error(error, ctx.language)])
    return RejectQuotePayload(quote=quote_type(quote), errors=[])


async def add_comment(
    info: Info, input: Annotated[AddCommentInput, strawberry.argument(description="The comment.")]
) -> AddCommentPayload:
    ctx = info.context
    try:
        kind, subject_id = from_global_id(input.subject_id)
        comment = await comment_writes.add_comment(ctx, kind, subject_id, input.body, input.idempotency_key)
    except ApiError as error:
        return AddCommentPayload(comment=None, errors=[user_error(error, ctx.language)])
    return AddCommentPayload(comment=comment_type(comment), errors=[])
