"""Quotes, orders, delivery notes, shared documents and comments on them."""

from __future__ import annotations

from ..connectors.records import Comment, CommercialLine, PageOf
from ..settings import Feature
from .common import page, require_feature
from .context import Context

# The count of a connection is asked for only through the connection its page resolver built,
# so the page's guards have run: counts take the same filter and nothing else.


async def quotes(ctx: Context, customer_id: str, first: int | None, after: str | None) -> PageOf:
    require_feature(ctx, Feature.QUOTES)
    return await ctx.loaders.quotes_by_customer.load((customer_id, page(ctx, first, after)))


async def orders(ctx: Context, customer_id: str, first: int | None, after: str | None) -> PageOf:
    require_feature(ctx, Feature.ORDERS)
    return await ctx.loaders.orders_by_customer.load((customer_id, page(ctx, first, after)))


async def delivery_notes(
    ctx: Context, customer_id: str, first: int | None, after: str | None
) -> PageOf:
    require_feature(ctx, Feature.DELIVERY_NOTES)
    return await ctx.loaders.delivery_notes_by_customer.load((customer_id, page(ctx, first, after)))


async def documents(ctx: Context, customer_id: str, first: int | None, after: str | None) -> PageOf:
    require_feature(ctx, Feature.DOCUMENTS)
    return await ctx.loaders.documents_by_customer.load((customer_id, page(ctx, first, after)))


async def quote_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.quote_count_by_customer.load(customer_id)


async def order_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.order_count_by_customer.load(customer_id)


async def delivery_note_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.delivery_note_count_by_customer.load(customer_id)


async def document_count(ctx: Context, customer_id: str) -> int:
    return await ctx.loaders.document_count_by_customer.load(customer_id)


async def lines(ctx: Context, document_kind: str, document_id: str) -> list[CommercialLine]:
    return await ctx.loaders.lines_by_commercial_document.load((document_id, document_kind))


async def comments(ctx: Context, subject_kind: str, subject_id: str) -> list[Comment]:
    require_feature(ctx, Feature.COMMENTS)
    return await ctx.loaders.comments_by_subject.load((subject_id, subject_kind))
