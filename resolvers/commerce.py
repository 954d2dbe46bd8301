"""Quotes, orders, delivery notes, shared documents and comments on them."""

from __future__ import annotations

from ..auth.ownership import authorize
from ..connectors.records import (
    Comment,
    CommercialLine,
    Contract,
    Customer,
    DeliveryNote,
    Document,
    Invoice,
    Order,
    PageOf,
    Quote,
)
from ..rules.features import require_feature
from ..settings import Feature
from .common import page
from .context import Context


async def quotes(ctx: Context, customer: Customer, first: int | None, after: str | None) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.QUOTES)
    return await ctx.loaders.quotes_by_customer.load((customer.id, page(ctx, first, after)))


async def orders(ctx: Context, customer: Customer, first: int | None, after: str | None) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.ORDERS)
    return await ctx.loaders.orders_by_customer.load((customer.id, page(ctx, first, after)))


async def delivery_notes(
    ctx: Context, customer: Customer, first: int | None, after: str | None
) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.DELIVERY_NOTES)
    return await ctx.loaders.delivery_notes_by_customer.load((customer.id, page(ctx, first, after)))


async def documents(ctx: Context, customer: Customer, first: int | None, after: str | None) -> PageOf:
    authorize(ctx.principal, customer)
    await require_feature(ctx, Feature.DOCUMENTS)
    return await ctx.loaders.documents_by_customer.load((customer.id, page(ctx, first, after)))


async def quote_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.quote_count_by_customer.load(customer.id)


async def order_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.order_count_by_customer.load(customer.id)


async def delivery_note_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.delivery_note_count_by_customer.load(customer.id)


async def document_count(ctx: Context, customer: Customer) -> int:
    authorize(ctx.principal, customer)
    return await ctx.loaders.document_count_by_customer.load(customer.id)


async def lines(ctx: Context, document_kind: str, document: Quote | Order | DeliveryNote) -> list[CommercialLine]:
    """Lines of a QUOTE, ORDER or DELIVERY_NOTE."""
    authorize(ctx.principal, document)
    return await ctx.loaders.lines_by_commercial_document.load((document.id, document_kind))


async def comments(
    ctx: Context, subject_kind: str, subject: Invoice | Quote | Order | DeliveryNote | Document | Contract
) -> list[Comment]:
    """Comments on an invoice, quote, order, delivery note, document or contract (`subject_kind` names it)."""
    authorize(ctx.principal, subject)
    await require_feature(ctx, Feature.COMMENTS)
    return await ctx.loaders.comments_by_subject.load((subject.id, subject_kind))
