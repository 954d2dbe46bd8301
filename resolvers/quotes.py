"""acceptQuote and rejectQuote (FEATURES.md D5): the caller's PENDING quote, decided once.

The quote is the caller's (another customer's answers NOT_FOUND like a missing one), PENDING and
not past its `valid_until` in the business's time zone (`ctx.today`): else QUOTE_EXPIRED, or
ALREADY_DECIDED when it was accepted or rejected before. The decision is written where the quote
lives (connectors/routing.py `commerce_writer`): the native `quotes` row by a conditional
UPDATE; the ERP's own quotation where its source takes `quote_decisions` (connectors/sql/
quote_writes.py, in the ERP's transaction, the last step of the work); or a decision row in the
store beside a read-only ERP, overlaid on every read of the quote. Of two racing calls one wins;
the other answers ALREADY_DECIDED.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import authorize
from ..connectors.records import Quote, QuoteStatus
from ..connectors.routing import commerce_writer
from ..errors import ApiError, ErrorCode, not_found
from ..settings import Feature
from ..store.events import DomainEvent
from .actions import Action, Done, perform
from .context import Context

MAX_REASON = 1000
_EITHER = ("aceptado o rechazado", "accepted or rejected")
_DECIDED = {QuoteStatus.ACCEPTED: ("aceptado", "accepted"), QuoteStatus.REJECTED: ("rechazado", "rejected")}


def quote_open_error(quote: Quote, today: date) -> ApiError | None:
    """Why `quote` cannot be decided today (ALREADY_DECIDED, QUOTE_EXPIRED), or None."""
    if quote.status in _DECIDED:
        return already_decided(quote.status)
    if quote.status is QuoteStatus.EXPIRED or (quote.valid_until is not None and quote.valid_until < today):
        shown = quote.valid_until.strftime("%d/%m/%Y") if quote.valid_until is not None else "—"
        return ApiError(ErrorCode.QUOTE_EXPIRED, field=["input", "quoteId"], valid_until=shown)
    return None


def already_decided(status: QuoteStatus | None) -> ApiError:
    es, en = _DECIDED.get(status, _EITHER) if status is not None else _EITHER
    return ApiError(ErrorCode.ALREADY_DECIDED, field=["input", "quoteId"], status=es, status_en=en,
                    thing="El presupuesto", thing_en="The quote")  # fmt: skip


async def accept_quote(ctx: Context, quote_id: str, idempotency_key: str | None) -> Quote:
    return await _decide(ctx, "acceptQuote", quote_id, QuoteStatus.ACCEPTED, None, idempotency_key)


async def reject_quote(ctx: Context, quote_id: str, reason: str | None, idempotency_key: str | None) -> Quote:
    text = (reason or "").strip() or None
    if text is not None and len(text) > MAX_REASON:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "reason"], detail=f"reason (máx. / max. {MAX_REASON})")
    return await _decide(ctx, "rejectQuote", quote_id, QuoteStatus.REJECTED, text, idempotency_key)


async def _decide(
    ctx: Context, mutation: str, quote_id: str, status: QuoteStatus, reason: str | None, key: str | None
) -> Quote:
    quote = await _quote(ctx, quote_id)
    request = {"quoteId": quote.id, "reason": reason}

    async def work(conn: AsyncConnection) -> Done:
        refusal = quote_open_error(quote, ctx.today)
        if refusal is not None:
            raise refusal
        writer = commerce_writer(ctx.services.source, "quotes")
        moment = datetime.now(UTC)
        if not await writer.decide_quote(conn, quote.id, quote.customer_id, status, reason, ctx.principal.actor, moment):
            raise already_decided(None)  # decided meanwhile (a racing call won)
        name = "QuoteAccepted" if status is QuoteStatus.ACCEPTED else "QuoteRejected"
        payload: dict[str, object] = {"quoteId": quote.id, "number": quote.number, "total": str(quote.total),
                                      "currency": quote.currency}  # fmt: skip
        if status is QuoteStatus.REJECTED:
            payload["reason"] = reason
        return Done({"id": quote.id, "status": status.value}, [DomainEvent(name, quote.customer_id, payload)], quote.id)

    await perform(ctx, Action(mutation, quote.customer_id, request, key, Feature.QUOTES), work)
    ctx.loaders.quote_by_id.clear(quote.id)
    return await _quote(ctx, quote.id)


async def _quote(ctx: Context, quote_id: str) -> Quote:
    quote = await ctx.loaders.quote_by_id.load(quote_id)
    if quote is None:
        raise not_found("Quote")
    return authorize(ctx.principal, quote, "Quote")
