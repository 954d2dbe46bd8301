"""Per-request DataLoaders over the billing source: one batch per (method, arguments).

Built in the request context, never at module level, so nothing is cached across
requests or callers. Each loader is created on first use. Names follow `<thing>_by_<key>`.
Loaders keyed by a tuple `(id, *arguments)` batch the ids that share the same arguments.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date
from functools import cached_property, partial
from typing import Any

from aiodataloader import DataLoader

from ..connectors.base import Source, Wanted
from ..observe import loader_name, run_batch

Fetch = Callable[..., Awaitable[list[Any]]]


def _by_id(fetch: Fetch) -> DataLoader:
    name = loader_name(fetch)  # metrics and spans of each batch (observe.py), when watched

    async def batch(keys: Sequence[Hashable]) -> list[Any]:
        return await run_batch(name, len(keys), lambda: fetch(list(keys)))

    return DataLoader(batch_load_fn=batch, max_batch_size=500)


def _by_id_and_arguments(fetch: Fetch) -> DataLoader:
    """Keys (id, *args): keys sharing args go to `fetch(ids, *args)` in one call."""
    name = loader_name(fetch)

    async def batch(keys: Sequence[tuple[Hashable, ...]]) -> list[Any]:
        return await run_batch(name, len(keys), lambda: grouped(keys))

    async def grouped(keys: Sequence[tuple[Hashable, ...]]) -> list[Any]:
        groups: dict[tuple, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[key[1:]].append(index)
        results: list[Any] = [None] * len(keys)

        async def run(args: tuple, indexes: list[int]) -> None:
            answers = await fetch([keys[i][0] for i in indexes], *args)
            for i, answer in zip(indexes, answers, strict=True):
                results[i] = answer

        await asyncio.gather(*(run(args, idx) for args, idx in groups.items()))
        return results

    return DataLoader(batch_load_fn=batch, max_batch_size=500)


class Loaders:
    """Every loader a request may use.

    `source` reads whole records (sign-in and access decisions use it); `reader`, which every
    loader uses, reads only what the request's document asks for once `read_only` is called.
    """

    def __init__(self, source: Source, today: date) -> None:
        self.source = source
        self.reader = source
        self.today = today

    def read_only(self, wanted: Wanted) -> None:
        """From now on, loaders read only these record attributes (schema/selection.py)."""
        assert not any(isinstance(v, DataLoader) for v in vars(self).values()), "before any load"
        self.reader = self.source.reading(wanted)

    # customers
    @cached_property
    def company_by_id(self) -> DataLoader:
        return _by_id(self.reader.companies_by_id)

    @cached_property
    def customer_by_id(self) -> DataLoader:
        return _by_id(self.reader.customers_by_id)

    @cached_property
    def emails_by_customer(self) -> DataLoader:
        return _by_id(self.reader.emails_of)

    @cached_property
    def phones_by_customer(self) -> DataLoader:
        return _by_id(self.reader.phones_of)

    # billing
    @cached_property
    def account_by_customer(self) -> DataLoader:
        return _by_id(partial(self.reader.account_totals, today=self.today))

    @cached_property
    def invoice_by_id(self) -> DataLoader:
        return _by_id(self.reader.invoices_by_id)

    @cached_property
    def invoices_by_customer(self) -> DataLoader:
        """Keys (customer id, InvoiceFilter, Page)."""
        return _by_id_and_arguments(partial(self.reader.invoices_of, today=self.today))

    @cached_property
    def lines_by_invoice(self) -> DataLoader:
        return _by_id(self.reader.lines_of)

    @cached_property
    def payment_by_id(self) -> DataLoader:
        return _by_id(self.reader.payments_by_id)

    @cached_property
    def payments_by_customer(self) -> DataLoader:
        """Keys (customer id, Page)."""
        return _by_id_and_arguments(self.reader.payments_of)

    @cached_property
    def ledger_by_customer(self) -> DataLoader:
        """Keys (customer id, Page, date from, date to)."""
        return _by_id_and_arguments(self.reader.ledger_of)

    @cached_property
    def open_items_by_customer(self) -> DataLoader:
        """Keys (customer id, cut-off, company id)."""
        return _by_id_and_arguments(self.reader.open_items_of)

    @cached_property
    def payment_methods_by_customer(self) -> DataLoader:
        return _by_id(self.reader.payment_methods_of)

    @cached_property
    def payment_method_by_id(self) -> DataLoader:
        return _by_id(self.reader.payment_methods_by_id)

    @cached_property
    def payment_commitments_by_customer(self) -> DataLoader:
        return _by_id(self.reader.payment_commitments_of)

    # support
    @cached_property
    def ticket_by_id(self) -> DataLoader:
        return _by_id(self.reader.tickets_by_id)

    @cached_property
    def tickets_by_customer(self) -> DataLoader:
        """Keys (customer id, TicketFilter, Page)."""
        return _by_id_and_arguments(self.reader.tickets_of)

    @cached_property
    def messages_by_ticket(self) -> DataLoader:
        """Keys (ticket id, include internal notes)."""
        return _by_id_and_arguments(self.reader.messages_of)

    # contracts and plans
    @cached_property
    def contract_by_id(self) -> DataLoader:
        return _by_id(self.reader.contracts_by_id)

    @cached_property
    def contracts_by_customer(self) -> DataLoader:
        return _by_id_and_arguments(self.reader.contracts_of)

    @cached_property
    def plan_by_id(self) -> DataLoader:
        return _by_id(self.reader.plans_by_id)

    @cached_property
    def subscription_by_id(self) -> DataLoader:
        return _by_id(self.reader.subscriptions_by_id)

    @cached_property
    def subscriptions_by_customer(self) -> DataLoader:
        return _by_id(self.reader.subscriptions_of)

    @cached_property
    def promotions_by_subscription(self) -> DataLoader:
        return _by_id(self.reader.promotions_of)

    # commerce and documents
    @cached_property
    def quote_by_id(self) -> DataLoader:
        return _by_id(self.reader.quotes_by_id)

    @cached_property
    def quotes_by_customer(self) -> DataLoader:
        return _by_id_and_arguments(self.reader.quotes_of)

    @cached_property
    def order_by_id(self) -> DataLoader:
        return _by_id(self.reader.orders_by_id)

    @cached_property
    def orders_by_customer(self) -> DataLoader:
        return _by_id_and_arguments(self.reader.orders_of)

    @cached_property
    def delivery_note_by_id(self) -> DataLoader:
        return _by_id(self.reader.delivery_notes_by_id)

    @cached_property
    def delivery_notes_by_customer(self) -> DataLoader:
        return _by_id_and_arguments(self.reader.delivery_notes_of)

    @cached_property
    def lines_by_commercial_document(self) -> DataLoader:
        """Keys (document id, QUOTE | ORDER | DELIVERY_NOTE)."""

        async def fetch(ids: list[str], kind: str) -> list[Any]:
            return await self.reader.commercial_lines_of(kind, ids)

        return _by_id_and_arguments(fetch)

    @cached_property
    def document_by_id(self) -> DataLoader:
        return _by_id(self.reader.documents_by_id)

    @cached_property
    def documents_by_customer(self) -> DataLoader:
        return _by_id_and_arguments(self.reader.documents_of)

    @cached_property
    def comments_by_subject(self) -> DataLoader:
        """Keys (subject id, subject kind)."""

        async def fetch(ids: list[str], kind: str) -> list[Any]:
            return await self.reader.comments_of(kind, ids)

        return _by_id_and_arguments(fetch)

    # counts (a connection's totalCount), keyed like the page loaders without the page
    @cached_property
    def invoice_count_by_customer(self) -> DataLoader:
        """Keys (customer id, InvoiceFilter)."""
        return _by_id_and_arguments(partial(self.reader.invoice_counts_of, today=self.today))

    @cached_property
    def payment_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.payment_counts_of)

    @cached_property
    def ledger_count_by_customer(self) -> DataLoader:
        """Keys (customer id, date from, date to)."""
        return _by_id_and_arguments(self.reader.ledger_counts_of)

    @cached_property
    def ticket_count_by_customer(self) -> DataLoader:
        """Keys (customer id, TicketFilter)."""
        return _by_id_and_arguments(self.reader.ticket_counts_of)

    @cached_property
    def contract_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.contract_counts_of)

    @cached_property
    def quote_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.quote_counts_of)

    @cached_property
    def order_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.order_counts_of)

    @cached_property
    def delivery_note_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.delivery_note_counts_of)

    @cached_property
    def document_count_by_customer(self) -> DataLoader:
        return _by_id(self.reader.document_counts_of)
