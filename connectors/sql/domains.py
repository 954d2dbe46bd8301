"""The support, contract, catalog and commerce domains of `MappedSource`: one building block each."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Subquery
from sqlalchemy.engine import Row

from .. import builders, catalog, files, support
from ..executor import Executor
from ..files import BlobReader, FileShare
from ..keyset import Keyset
from ..records import (
    Attachment,
    Comment,
    CommercialLine,
    Contract,
    DeliveryNote,
    Document,
    Order,
    Page,
    PageOf,
    Plan,
    PlanSubscription,
    Promotion,
    Quote,
    Ticket,
    TicketFilter,
    TicketMessage,
)
from ..shapes import Shapes, bound_keys
from .engine import CanonicalRow, Relations, grouped

T = TypeVar("T")


class BuildingBlocks(Protocol):
    """What these reads use of `MappedSource` (connectors/sql/source.py), which defines it."""

    relations: Relations
    db: Executor
    _statements: Shapes[Any]  # built once per shape
    blobs: BlobReader | None
    share: FileShare | None

    def listing(self, name: str) -> Keyset: ...
    def canonical(self, relation: str, row: Row[Any] | dict[str, Any]) -> CanonicalRow: ...
    async def by_id(self, name: str, ids: Sequence[str], build: Callable[[Any], T]) -> list[T | None]: ...
    async def children(
        self,
        name: str,
        keys: Sequence[str],
        owner: str,
        build: Callable[[Any], T],
        *,
        order_by: Sequence[str],
        where: Callable[[Subquery], Sequence[ColumnElement[bool]]] = ...,
        shape: Hashable = (),
        descending: bool = False,
    ) -> list[list[T]]: ...
    async def pages_of(
        self,
        name: str,
        customer_ids: Sequence[str],
        page: Page,
        build: Callable[[Any], T],
        *,
        shape: Hashable = (),
        where: Callable[[], Sequence[ColumnElement[bool]]] = ...,
    ) -> list[PageOf]: ...
    async def counts_of(
        self,
        name: str,
        customer_ids: Sequence[str],
        *,
        shape: Hashable = (),
        where: Callable[[], Sequence[ColumnElement[bool]]] = ...,
    ) -> list[int]: ...


class DomainReads(BuildingBlocks):
    """Tickets, contracts, plans, quotes, orders, delivery notes and documents from mapped relations
    (SupportSource, ContractSource, CatalogSource, CommerceSource); `MappedSource` reads the rest."""

    # --- support -------------------------------------------------------------------------

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]:
        return await self.by_id("tickets", ids, builders.ticket)

    async def tickets_of(self, customer_ids: Sequence[str], filter: TicketFilter, page: Page) -> list[PageOf]:
        if not self.relations.has("tickets"):
            return [PageOf() for _ in customer_ids]
        return await self.pages_of(
            "tickets", customer_ids, page, builders.ticket,
            shape=filter, where=lambda: support.ticket_conditions(self.relations["tickets"], filter),
        )  # fmt: skip

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        if not self.relations.has("tickets"):
            return [0 for _ in customer_ids]
        return await self.counts_of(
            "tickets", customer_ids, shape=filter, where=lambda: support.ticket_conditions(self.relations["tickets"], filter)
        )

    async def messages_of(
        self, ticket_ids: Sequence[str], include_internal: bool
    ) -> list[list[TicketMessage]]:
        if not self.relations.has("ticket_messages"):
            return [[] for _ in ticket_ids]
        messages = self.relations["ticket_messages"]
        wanted = self.relations.to_db("ticket_messages", "ticket_id", ticket_ids)
        if not wanted:
            return [[] for _ in ticket_ids]
        files = self.relations["attachments"] if self.relations.has("attachments") else None
        statements = self._statements.get(
            ("messages", include_internal),
            lambda: support.messages_and_files(messages, files, bound_keys(), include_internal),
        )
        results = await self.db.fetch(*statements, ids=wanted)
        by_message: dict[str, list[Attachment]] = {}
        codec = self.relations.codec("ticket_messages", "id")
        for row in results[1] if len(results) > 1 else []:
            record = self.canonical("attachments", row)
            by_message.setdefault(codec.from_db(row.message_id), []).append(builders.attachment(record))
        items = []
        for row in results[0]:
            record = self.canonical("ticket_messages", row)
            items.append((record.ticket_id, builders.ticket_message(record, by_message)))  # type: ignore[arg-type]
        return grouped(ticket_ids, items)

    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        return await files.attachment_content(attachment, self.blobs, self.share)

    # --- contracts, plans ----------------------------------------------------------------

    async def contracts_by_id(self, ids: Sequence[str]) -> list[Contract | None]:
        return await self.by_id("contracts", ids, builders.contract)

    async def contracts_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.pages_of("contracts", customer_ids, page, builders.contract)

    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("contracts", customer_ids)

    async def plans_by_id(self, ids: Sequence[str]) -> list[Plan | None]:
        return await self.by_id("plans", ids, builders.plan)

    async def plan_page(self, page: Page, portal_only: bool) -> PageOf:
        if not self.relations.has("plans"):
            return PageOf()
        plans = self.relations["plans"]
        where = [plans.c.available_in_portal == True] if portal_only else []  # noqa: E712
        listing = self.listing("plans")
        (rows,) = await self.db.fetch(listing.statement(page, where))
        return listing.page(rows, page, lambda row: builders.plan(self.canonical("plans", row)))

    async def plan_count(self, portal_only: bool) -> int:
        if not self.relations.has("plans"):
            return 0
        plans = self.relations["plans"]
        where = [plans.c.available_in_portal == True] if portal_only else []  # noqa: E712
        (rows,) = await self.db.fetch(self.listing("plans").count_statement(where))
        return int(rows[0].item_count)

    async def subscriptions_by_id(self, ids: Sequence[str]) -> list[PlanSubscription | None]:
        return await self.by_id("subscriptions", ids, builders.subscription)

    async def subscriptions_of(self, customer_ids: Sequence[str]) -> list[list[PlanSubscription]]:
        return await self.children(
            "subscriptions", customer_ids, "customer_id", builders.subscription, order_by=["id"]
        )

    async def promotions_of(self, subscription_ids: Sequence[str]) -> list[list[Promotion]]:
        names = ("subscription_promotions", "promotions", "subscriptions")
        if not all(self.relations.has(n) for n in names):
            return [[] for _ in subscription_ids]
        applied, promotions, subscriptions = (self.relations[n] for n in names)
        wanted = self.relations.to_db("subscription_promotions", "subscription_id", subscription_ids)
        if not wanted:
            return [[] for _ in subscription_ids]
        statement = self._statements.get(
            "promotions", lambda: catalog.promotions_applied(applied, promotions, subscriptions, bound_keys())
        )
        rows = await self.db.fetch_with(statement, ids=wanted)
        items = []
        for row in rows:
            record: Any = self.canonical("subscription_promotions", row)
            items.append((record.subscription_id, builders.promotion(record)))
        return grouped(subscription_ids, items)

    # --- commerce and documents ----------------------------------------------------------

    async def quotes_by_id(self, ids: Sequence[str]) -> list[Quote | None]:
        return await self.by_id("quotes", ids, builders.quote)

    async def quotes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.pages_of("quotes", customer_ids, page, builders.quote)

    async def quote_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("quotes", customer_ids)

    async def orders_by_id(self, ids: Sequence[str]) -> list[Order | None]:
        return await self.by_id("orders", ids, builders.order)

    async def orders_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.pages_of("orders", customer_ids, page, builders.order)

    async def order_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("orders", customer_ids)

    async def delivery_notes_by_id(self, ids: Sequence[str]) -> list[DeliveryNote | None]:
        return await self.by_id("delivery_notes", ids, builders.delivery_note)

    async def delivery_notes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.pages_of("delivery_notes", customer_ids, page, builders.delivery_note)

    async def delivery_note_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("delivery_notes", customer_ids)

    async def commercial_lines_of(
        self, document_kind: str, document_ids: Sequence[str]
    ) -> list[list[CommercialLine]]:
        return await self.children(
            "commercial_lines", document_ids, "document_id", builders.commercial_line, order_by=["position", "id"],
            where=lambda r: [r.c.document_kind == document_kind], shape=document_kind,
        )  # fmt: skip

    async def documents_by_id(self, ids: Sequence[str]) -> list[Document | None]:
        return await self.by_id("documents", ids, builders.document)

    async def documents_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.pages_of("documents", customer_ids, page, builders.document)

    async def document_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("documents", customer_ids)

    async def comments_of(self, subject_kind: str, subject_ids: Sequence[str]) -> list[list[Comment]]:
        return await self.children(
            "comments", subject_ids, "subject_id", builders.comment, order_by=["created_at", "id"],
            where=lambda r: [r.c.subject_kind == subject_kind], shape=subject_kind,
        )  # fmt: skip
