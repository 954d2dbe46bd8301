"""Quotes, orders, delivery notes, shared documents and comments (FEATURES.md D5-D9)."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from ..connectors import records
from ..resolvers import commerce as resolve
from ..resolvers import links
from .common import Money, maybe_money, money
from .enums import OrderStatus, QuoteStatus
from .relay import Node, to_global_id


@strawberry.type(description="A comment on a document, by the customer or the business (D9).")
class Comment:
    id: strawberry.ID = strawberry.field(description="Id of the comment.")
    author: str = strawberry.field(description="Name of who wrote it.")
    from_customer: bool = strawberry.field(description="True when the customer wrote it.")
    body: str = strawberry.field(description="The text.")
    created_at: datetime.datetime = strawberry.field(description="When it was written.")


def comment_type(r: records.Comment) -> Comment:
    return Comment(
        id=strawberry.ID(r.id),
        author=r.author_name,
        from_customer=r.from_customer,
        body=r.body,
        created_at=r.created_at,
    )


@strawberry.type(description="A line of a quote, order or delivery note.")
class DocumentLine:
    position: int = strawberry.field(description="Line number, from 1.")
    description: str = strawberry.field(description="What the line is for.")
    quantity: str = strawberry.field(description='Quantity as a decimal string, e.g. "2.000".')
    unit_price: Money | None = strawberry.field(description="Price of one unit (not on delivery notes).")
    total: Money | None = strawberry.field(description="Line amount (not on delivery notes).")


def document_line(r: records.CommercialLine, currency: str) -> DocumentLine:
    return DocumentLine(
        position=r.position,
        description=r.description,
        quantity=str(r.quantity),
        unit_price=maybe_money(r.unit_price, currency),
        total=maybe_money(r.total, currency),
    )


async def _lines(
    info: Info, kind: str, document: records.Quote | records.Order | records.DeliveryNote, currency: str
) -> list[DocumentLine]:
    return [document_line(r, currency) for r in await resolve.lines(info.context, kind, document)]


async def _comments(
    info: Info, kind: str, subject: records.Quote | records.Order | records.DeliveryNote | records.Document
) -> list[Comment]:
    return [comment_type(c) for c in await resolve.comments(info.context, kind, subject)]


@strawberry.type(description="A quote (presupuesto) the customer can accept or reject (D5).")
class Quote(Node):
    number: str = strawberry.field(description="Quote number.")
    issue_date: datetime.date = strawberry.field(description="Date of issue.")
    valid_until: datetime.date | None = strawberry.field(description="Last day it can be accepted.")
    status: QuoteStatus = strawberry.field(description="Pending, accepted, rejected or expired.")
    subtotal: Money = strawberry.field(description="Amount before tax.")
    tax: Money = strawberry.field(description="Taxes.")
    total: Money = strawberry.field(description="Amount with taxes.")
    record: strawberry.Private[records.Quote]

    @strawberry.field(description="Lines of the quote.")
    async def lines(self, info: Info) -> list[DocumentLine] | None:
        return await _lines(info, "QUOTE", self.record, self.record.currency)

    @strawberry.field(description="Comments on the quote.")
    async def comments(self, info: Info) -> list[Comment] | None:
        return await _comments(info, "Quote", self.record)


def quote_type(r: records.Quote) -> Quote:
    return Quote(
        id=to_global_id("Quote", r.id),
        number=r.number,
        issue_date=r.issue_date,
        valid_until=r.valid_until,
        status=QuoteStatus(r.status.value),
        subtotal=money(r.subtotal, r.currency),
        tax=money(r.tax, r.currency),
        total=money(r.total, r.currency),
        record=r,
    )


@strawberry.type(description="An order (pedido) and where it stands (D6).")
class Order(Node):
    number: str = strawberry.field(description="Order number.")
    ordered_on: datetime.date = strawberry.field(description="Date of the order.")
    status: OrderStatus = strawberry.field(description="Preparing, shipped, delivered or cancelled.")
    expected_delivery: datetime.date | None = strawberry.field(description="Planned delivery date.")
    delivered_on: datetime.date | None = strawberry.field(description="Actual delivery date.")
    total: Money = strawberry.field(description="Amount with taxes.")
    record: strawberry.Private[records.Order]

    @strawberry.field(description="Lines of the order.")
    async def lines(self, info: Info) -> list[DocumentLine] | None:
        return await _lines(info, "ORDER", self.record, self.record.currency)

    @strawberry.field(description="Comments on the order.")
    async def comments(self, info: Info) -> list[Comment] | None:
        return await _comments(info, "Order", self.record)


def order_type(r: records.Order) -> Order:
    return Order(
        id=to_global_id("Order", r.id),
        number=r.number,
        ordered_on=r.ordered_on,
        status=OrderStatus(r.status.value),
        expected_delivery=r.expected_delivery,
        delivered_on=r.delivered_on,
        total=money(r.total, r.currency),
        record=r,
    )


@strawberry.type(description="A delivery note (albarán, remito) of goods delivered (D7).")
class DeliveryNote(Node):
    number: str = strawberry.field(description="Delivery note number.")
    issued_on: datetime.date = strawberry.field(description="Date of issue.")
    delivered_on: datetime.date | None = strawberry.field(description="Date the goods were delivered.")
    record: strawberry.Private[records.DeliveryNote]

    @strawberry.field(description="Lines: what was delivered and how much.")
    async def lines(self, info: Info) -> list[DocumentLine] | None:
        return await _lines(info, "DELIVERY_NOTE", self.record, "ARS")

    @strawberry.field(description="Link to download the delivery note as PDF; valid for a few minutes.")
    def pdf_url(self, info: Info) -> str:
        return links.file_url(info.context, "delivery-note", self.record, "pdf")

    @strawberry.field(description="Comments on the delivery note.")
    async def comments(self, info: Info) -> list[Comment] | None:
        return await _comments(info, "DeliveryNote", self.record)


def delivery_note_type(r: records.DeliveryNote) -> DeliveryNote:
    return DeliveryNote(
        id=to_global_id("DeliveryNote", r.id),
        number=r.number,
        issued_on=r.issued_on,
        delivered_on=r.delivered_on,
        record=r,
    )


@strawberry.type(description="A file the business shared with this customer (D8).")
class Document(Node):
    title: str = strawberry.field(description="Title of the document.")
    category: str | None = strawberry.field(description="Category, e.g. Contratos, Informes.")
    filename: str = strawberry.field(description="Name of the file.")
    content_type: str = strawberry.field(description="MIME type of the file.")
    size: int = strawberry.field(description="Size in bytes.")
    uploaded_at: datetime.datetime = strawberry.field(description="When the business shared it.")
    record: strawberry.Private[records.Document]

    @strawberry.field(description="Comments on the document.")
    async def comments(self, info: Info) -> list[Comment] | None:
        return await _comments(info, "Document", self.record)

    @strawberry.field(
        description="Link to download the file, signed for the caller (only they open it); valid for a few minutes."
    )
    def url(self, info: Info) -> str | None:
        return links.document_url(info.context, self.record)


def document_type(r: records.Document) -> Document:
    return Document(
        id=to_global_id("Document", r.id),
        title=r.title,
        category=r.category,
        filename=r.filename,
        content_type=r.content_type,
        size=r.size,
        uploaded_at=r.uploaded_at,
        record=r,
    )
