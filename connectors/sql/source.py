"""`MappedSource`: the Source protocol over any legacy schema, driven by a mapping file."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from copy import copy
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, Select, Subquery, bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import billing, builders, customer_search
from ..base import Wanted
from ..executor import Executor
from ..files import BlobReader, FileShare
from ..keyset import Keyset
from ..narrowing import columns_read, marking_unread, neutral_values, selected
from ..native.tables import metadata as native_metadata
from ..records import (
    AccountTotals,
    Company,
    ContactEmail,
    ContactPhone,
    Contract,
    Customer,
    CustomerFilter,
    DeliveryNote,
    Document,
    Invoice,
    InvoiceFilter,
    InvoiceLine,
    OpenItem,
    Order,
    Page,
    PageOf,
    Payment,
    PaymentCommitment,
    PaymentMethod,
    PlanSubscription,
    Quote,
    Ticket,
)
from ..shapes import Shapes, bound_keys
from .commitment_writes import LegacyCommitmentWrites
from .domains import DomainReads
from .engine import CanonicalRow, Relations, grouped
from .mapping import Mapping
from .part_keys import part_keys, routed_relation
from .quote_writes import LegacyQuoteWrites
from .ticket_writes import LegacyTicketWrites
from .writes import Writes

T = TypeVar("T")

# Relations paged newest first per customer, by (posting column, id).
_NEWEST_FIRST = {
    "invoices": "issue_date",
    "payments": "paid_on",
    "tickets": "created_at",
    "contracts": "issued_at",
    "quotes": "issue_date",
    "orders": "ordered_on",
    "delivery_notes": "issued_on",
    "documents": "uploaded_at",
}


def id_order(key: str) -> tuple[int, int, str]:
    """CanonicalRow ids sort as numbers when they are digits (legacy keys are zero-padded)."""
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


native_tables = native_metadata.tables  # the canonical columns mapped relations mirror, by name

# The record each relation's rows become, for reading only what a request wants.
_RECORDS: dict[str, type] = {
    "customers": Customer,
    "invoices": Invoice,
    "payments": Payment,
    "tickets": Ticket,
    "contracts": Contract,
    "subscriptions": PlanSubscription,
    "quotes": Quote,
    "orders": Order,
    "delivery_notes": DeliveryNote,
    "documents": Document,
}


class MappedSource(DomainReads, LegacyCommitmentWrites, LegacyQuoteWrites, LegacyTicketWrites):
    """Reads a legacy schema through its mapping (connectors/sql/mapping.py).

    Here the building blocks (by id, per owner, per page) and the customer and billing domains;
    support, contracts, catalog and commerce in `DomainReads` (sql/domains.py).
    `capabilities` are the writes the mapping declares the legacy system can take
    (`RoutedSource.writes_for`); everything else is written to Ventanilla's own store. Failures
    surface as `SourceUnavailable` / `SourceTimeout` within `timeout` seconds; the pool reconnects
    by itself.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        mapping: Mapping,
        *,
        params: dict[str, Any] | None = None,
        timeout: float = 10.0,
        label: str | None = None,
        blobs: BlobReader | None = None,
        share: FileShare | None = None,
    ) -> None:
        self.engine = engine
        self.blobs = blobs  # attachments a mapping names by `sha256`
        self.share = share  # attachments it names by `path`: the ERP's file share
        self.mapping = mapping
        self.capabilities: frozenset[str] = frozenset(mapping.writes)
        self.relations = Relations(mapping, {**mapping.params, **(params or {})})
        self.db = Executor(engine, timeout, label or mapping.name)
        # The writes the mapping declares ([writes.*]), as a TicketWriter (sql/ticket_writes.py), a
        # CommitmentWriter (sql/commitment_writes.py) and quote decisions (sql/quote_writes.py).
        self.writes = Writes(mapping.write_specs, {**mapping.params, **(params or {})}, mapping.metadata.tables)
        self.write_timeout, self.write_label = timeout, label or mapping.name
        self._listings: dict[str, Keyset] = {}
        # Statements built once per shape (_keyed, totals, open items); narrowed variants are
        # many only if callers make them so.
        self._statements: Shapes[Any] = Shapes(2_000)
        self._wanted: Wanted = {}

    def reading(self, wanted: Wanted) -> MappedSource:
        """A view of this source that selects only the wanted columns (connectors/narrowing.py);
        the database then leaves out the joins and expressions of the others."""
        narrowed = copy(self)
        narrowed._wanted = wanted
        return narrowed

    def _keep(self, name: str, *also: str) -> frozenset[str] | None:
        """The columns of relation `name` to read, or None for all of them. Lookups by key read a
        relation compiled with only these (its other joins and expressions left out); pages select
        only these from the whole relation, whose filters may need more, and the database leaves
        out what is not selected (PostgreSQL's join removal, MariaDB's table elimination)."""
        record = _RECORDS.get(name)
        keep = None if record is None else columns_read(record, self._wanted)
        return None if keep is None else frozenset((*keep, *self.relations.codecs[name], *also))

    def _marking_unread(self, name: str, build: Callable[[Any], T]) -> Callable[[Any], T]:
        """`build`, then `NotRead` in what the request did not ask for (connectors/narrowing.py)."""
        return marking_unread(build, _RECORDS.get(name), self._wanted)

    # --- building blocks -----------------------------------------------------------------

    def listing(self, name: str) -> Keyset:
        if name not in self._listings:
            relation = self.relations[name]
            if name == "customers":
                keyset = Keyset(relation, customer_search.customer_order(relation), descending=False, narrow=selected)
            elif name == "plans":
                keyset = Keyset(relation, ("price", "id"), descending=False, narrow=selected)
            else:
                keyset = Keyset(
                    relation, (_NEWEST_FIRST[name], "id"), descending=True, partition="customer_id", narrow=selected
                )
            self._listings[name] = keyset
        return self._listings[name]

    def canonical(self, relation: str, row: Row[Any] | dict[str, Any]) -> CanonicalRow:
        record = _RECORDS.get(relation)
        if record is not None and record in self._wanted and relation in native_tables:
            # Narrowed: the columns left out get a value of their type (never shown).
            values: Any = getattr(row, "_mapping", row)  # a Row, a driver row (driver.py) or a dict
            row = {**neutral_values(native_tables[relation]), **values}
        return self.relations.canonical(relation, row)

    def _keyed(
        self,
        name: str,
        column: str,
        keys: Sequence[str],
        fields: frozenset[str] | None,
        build: Callable[[Subquery, list[ColumnElement[bool]]], Select[Any]],
        shape: Hashable,
    ) -> tuple[Select[Any], dict[str, Any]] | None:
        """The statement `build` makes of relation `name` (narrowed to `fields`) and the conditions
        that select the rows of canonical `keys` in `column`, with its parameters; None when no
        row can match. Built once per `shape` (which must determine what `build` makes) with the
        keys bound as `ids`; a column read from its keys' prefixes (part_keys.py) once per set of
        parts read, each part's keys bound."""
        if column in self.relations.mapping.relations[name].prefixes:
            parameters = part_keys(self.relations, name, column, keys)
            if not parameters:
                return None
            parts = tuple(parameters)

            def routed() -> Select[Any]:
                return build(routed_relation(self.relations, name, column, parts, fields), [])

            return self._statements.get((name, column, fields, shape, parts), routed), parameters
        wanted = self.relations.to_db(name, column, keys)
        if not wanted:
            return None

        def built() -> Select[Any]:
            relation = self.relations[name] if fields is None else self.relations.narrowed(name, fields)
            return build(relation, [relation.c[column].in_(bound_keys())])

        statement = self._statements.get((name, column, fields, shape), built)
        return statement, {"ids": wanted}

    async def by_id(self, name: str, ids: Sequence[str], build: Callable[[Any], T]) -> list[T | None]:
        if not self.relations.has(name):
            return [None] * len(ids)
        keyed = self._keyed(
            name, "id", ids, self._keep(name), lambda relation, matching: select(relation).where(*matching), "by_id"
        )
        if keyed is None:
            return [None] * len(ids)
        rows = await self.db.fetch_with(keyed[0], **keyed[1])
        build = self._marking_unread(name, build)
        found = {}
        for row in rows:
            record = self.canonical(name, row)
            found[record.id] = build(record)
        return [found.get(key) for key in ids]

    async def children(
        self,
        name: str,
        keys: Sequence[str],
        owner: str,
        build: Callable[[Any], T],
        *,
        order_by: Sequence[str],
        where: Callable[[Subquery], Sequence[ColumnElement[bool]]] = lambda r: (),
        shape: Hashable = (),
        descending: bool = False,
    ) -> list[list[T]]:
        """The rows of relation `name` per key of `owner`, in `order_by` order, in one statement
        built once per `shape` (which determines what `where` gives)."""
        if not self.relations.has(name):
            return [[] for _ in keys]

        def statement(relation: Subquery, matching: list[ColumnElement[bool]]) -> Select[Any]:
            order = [relation.c[c].desc() if descending else relation.c[c] for c in order_by]
            return select(relation).where(*matching, *where(relation)).order_by(relation.c[owner], *order)

        fields = self._keep(name, owner, *order_by)
        keyed = self._keyed(name, owner, keys, fields, statement, ("children", tuple(order_by), descending, shape))
        if keyed is None:
            return [[] for _ in keys]
        rows = await self.db.fetch_with(keyed[0], **keyed[1])
        build = self._marking_unread(name, build)
        items = []
        for row in rows:
            record = self.canonical(name, row)
            items.append((getattr(record, owner), build(record)))
        return grouped(keys, items)

    async def pages_of(
        self,
        name: str,
        customer_ids: Sequence[str],
        page: Page,
        build: Callable[[Any], T],
        *,
        shape: Hashable = (),
        where: Callable[[], Sequence[ColumnElement[bool]]] = tuple,
    ) -> list[PageOf]:
        """Each customer's page of relation `name`, in one statement built once per `shape`
        (which determines what `where` builds: Keyset.bound)."""
        if not self.relations.has(name):
            return [PageOf() for _ in customer_ids]
        listing = self.listing(name)
        wanted = self.relations.to_db(name, "customer_id", customer_ids)
        assert listing.partition is not None
        statement, params = listing.bound(page, self._keep(name), shape=shape, where=where, ids=wanted)
        if not wanted:
            return [PageOf() for _ in customer_ids]
        rows = await self.db.fetch_with(statement, **params)
        codec = self.relations.codec(name, "customer_id")
        build = self._marking_unread(name, build)
        return listing.pages(
            customer_ids, rows, lambda row: codec.from_db(row.customer_id), page,
            lambda row: build(self.canonical(name, row)),
        )  # fmt: skip

    async def counts_of(
        self,
        name: str,
        customer_ids: Sequence[str],
        *,
        shape: Hashable = (),
        where: Callable[[], Sequence[ColumnElement[bool]]] = tuple,
    ) -> list[int]:
        """How many items each customer's pages of relation `name` hold, in one statement."""
        if not self.relations.has(name):
            return [0 for _ in customer_ids]
        listing = self.listing(name)
        wanted = self.relations.to_db(name, "customer_id", customer_ids)
        assert listing.partition is not None
        if not wanted:
            return [0 for _ in customer_ids]
        rows = await self.db.fetch_with(listing.bound_count(shape=shape, where=where), ids=wanted)
        codec = self.relations.codec(name, "customer_id")
        return listing.counts(customer_ids, rows, lambda row: codec.from_db(row.customer_id))

    def company_key(self, relation: str, company_id: str) -> Any:
        return self.relations.one_to_db(relation, "company_id", company_id)

    # --- customers -----------------------------------------------------------------------

    async def companies_by_id(self, ids: Sequence[str]) -> list[Company | None]:
        return await self.by_id("companies", ids, builders.company)

    async def customers_by_id(self, ids: Sequence[str]) -> list[Customer | None]:
        return await self.by_id("customers", ids, builders.customer)

    async def customer_page(self, filter: CustomerFilter, page: Page, today: date) -> PageOf:
        if not self.relations.has("customers"):
            return PageOf()
        company = self.company_key("customers", filter.company_id) if filter.company_id is not None else None
        invoices = self.relations["invoices"] if self.relations.has("invoices") else None
        listing = self.listing("customers")
        statement, params = listing.bound(
            page, self._keep("customers"), shape=(filter, company, today),
            where=lambda: customer_search.customer_conditions(self.relations["customers"], invoices, filter, company, today),
        )  # fmt: skip
        rows = await self.db.fetch_with(statement, **params)
        build = self._marking_unread("customers", builders.customer)
        return listing.page(rows, page, lambda row: build(self.canonical("customers", row)))

    async def customer_count(self, filter: CustomerFilter, today: date) -> int:
        if not self.relations.has("customers"):
            return 0
        company = self.company_key("customers", filter.company_id) if filter.company_id is not None else None
        invoices = self.relations["invoices"] if self.relations.has("invoices") else None
        statement = self.listing("customers").bound_count(
            shape=(filter, company, today),
            where=lambda: customer_search.customer_conditions(self.relations["customers"], invoices, filter, company, today),
        )  # fmt: skip
        rows = await self.db.fetch_with(statement)
        return int(rows[0].item_count)

    async def emails_of(self, customer_ids: Sequence[str]) -> list[list[ContactEmail]]:
        return await self._contacts("customer_emails", customer_ids, builders.email)

    async def phones_of(self, customer_ids: Sequence[str]) -> list[list[ContactPhone]]:
        return await self._contacts("customer_phones", customer_ids, builders.phone)

    async def _contacts(
        self, name: str, customer_ids: Sequence[str], build: Callable[[Any], T]
    ) -> list[list[T]]:
        """Primary first, then by id (as the native source orders them)."""
        if not self.relations.has(name):
            return [[] for _ in customer_ids]
        lists = await self.children(name, customer_ids, "customer_id", lambda r: r, order_by=["id"])
        return [[build(r) for r in sorted(rows, key=lambda r: not r.is_primary)] for rows in lists]

    # --- billing -------------------------------------------------------------------------

    async def account_totals(self, customer_ids: Sequence[str], today: date) -> list[AccountTotals]:
        wanted = (
            self.relations.to_db("customers", "id", customer_ids) if self.relations.has("customers") else []
        )
        rows: list[Row[Any]] = []
        if wanted and self.relations.has("invoices") and self.relations.has("payments"):
            statement = self._statements.get(  # the customers and the day bound
                "account_totals",
                lambda: billing.account_totals(
                    self.relations["customers"],
                    self.relations["invoices"],
                    self.relations["payments"],
                    bound_keys(),
                    bindparam("today", type_=Date),  # type: ignore[arg-type]
                ),
            )
            rows = await self.db.fetch_with(statement, ids=wanted, today=today)
        found = {self.canonical("customers", row).id: row for row in rows}
        return [builders.account_totals(key, found.get(key)) for key in customer_ids]

    async def invoices_by_id(self, ids: Sequence[str]) -> list[Invoice | None]:
        return await self.by_id("invoices", ids, builders.invoice)

    async def invoices_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, page: Page, today: date
    ) -> list[PageOf]:
        if not self.relations.has("invoices"):
            return [PageOf() for _ in customer_ids]
        company = self.company_key("invoices", filter.company_id) if filter.company_id is not None else None
        return await self.pages_of(
            "invoices", customer_ids, page, builders.invoice, shape=(filter, today, company),
            where=lambda: billing.invoice_conditions(self.relations["invoices"], filter, today, company),
        )  # fmt: skip

    async def invoice_counts_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, today: date
    ) -> list[int]:
        if not self.relations.has("invoices"):
            return [0 for _ in customer_ids]
        company = self.company_key("invoices", filter.company_id) if filter.company_id is not None else None
        return await self.counts_of(
            "invoices", customer_ids, shape=(filter, today, company),
            where=lambda: billing.invoice_conditions(self.relations["invoices"], filter, today, company),
        )  # fmt: skip

    async def lines_of(self, invoice_ids: Sequence[str]) -> list[list[InvoiceLine]]:
        return await self.children(
            "invoice_lines", invoice_ids, "invoice_id", builders.invoice_line, order_by=["position", "id"]
        )

    async def _settled(self, payment_keys: list[Any]) -> dict[str, list[str]]:
        if not payment_keys or not self.relations.has("allocations"):
            return {}
        alloc = self.relations["allocations"]
        statement = select(alloc.c.payment_id, alloc.c.invoice_id).where(alloc.c.payment_id.in_(payment_keys))
        (rows,) = await self.db.fetch(statement)
        settled: dict[str, list[str]] = {}
        for row in rows:
            record = self.canonical("allocations", row)
            settled.setdefault(record.payment_id, []).append(record.invoice_id)
        return settled

    def _payment(self, record: CanonicalRow, settled: dict[str, list[str]]) -> Payment:
        payment = builders.payment(record, {})  # type: ignore[arg-type]
        invoices = tuple(sorted(set(settled.get(payment.id, ())), key=id_order))
        return replace(payment, invoice_ids=invoices)

    async def payments_by_id(self, ids: Sequence[str]) -> list[Payment | None]:
        records = await self.by_id("payments", ids, lambda r: r)
        settled = await self._settled(self.relations.to_db("payments", "id", [r.id for r in records if r]))
        build = self._marking_unread("payments", lambda r: self._payment(r, settled))
        return [None if r is None else build(r) for r in records]

    async def payments_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        pages = await self.pages_of("payments", customer_ids, page, lambda r: r)
        keys = [r.id for p in pages for r in p.items]
        settled = await self._settled(self.relations.to_db("payments", "id", keys))
        build = self._marking_unread("payments", lambda r: self._payment(r, settled))
        return [replace(p, items=[build(r) for r in p.items]) for p in pages]

    async def payment_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.counts_of("payments", customer_ids)

    def _entry_row(self, row: Row[Any]) -> CanonicalRow:
        """A ledger or open-item row: document ids read with the codec of their own relation."""
        values = dict(row._mapping)
        source = "payments" if values["kind"] == billing.PAYMENT else "invoices"
        values["customer_id"] = self.relations.codec("invoices", "customer_id").from_db(values["customer_id"])
        values["document_id"] = self.relations.codec(source, "id").from_db(values["document_id"])
        if values.get("company_id") is not None:
            values["company_id"] = self.relations.codec(source, "company_id").from_db(values["company_id"])
        return CanonicalRow(values)

    def _ledger(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> tuple[list[Any], Keyset, list[ColumnElement[bool]]]:
        """The customers' keys, their current-account listing and the conditions of the dates."""
        wanted = self.relations.to_db("invoices", "customer_id", customer_ids)
        entries = billing.ledger_entries(self.relations["invoices"], self.relations["payments"], wanted)
        listing = Keyset(
            entries, ("posted_on", "kind_rank", "document_id"), descending=True, partition="customer_id"
        )
        where = []
        if date_from is not None:
            where.append(entries.c.posted_on >= date_from)
        if date_to is not None:
            where.append(entries.c.posted_on <= date_to)
        return wanted, listing, where

    async def ledger_counts_of(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> list[int]:
        if not (self.relations.has("invoices") and self.relations.has("payments")):
            return [0 for _ in customer_ids]
        wanted, listing, where = self._ledger(customer_ids, date_from, date_to)
        if not wanted:
            return [0 for _ in customer_ids]
        (rows,) = await self.db.fetch(listing.count_statement(where))
        codec = self.relations.codec("invoices", "customer_id")
        return listing.counts(customer_ids, rows, lambda row: codec.from_db(row.customer_id))

    async def ledger_of(
        self, customer_ids: Sequence[str], page: Page, date_from: date | None, date_to: date | None
    ) -> list[PageOf]:
        if not (self.relations.has("invoices") and self.relations.has("payments")):
            return [PageOf() for _ in customer_ids]
        wanted, listing, where = self._ledger(customer_ids, date_from, date_to)
        statement = listing.statement(page, [*where])
        if not wanted:
            return [PageOf() for _ in customer_ids]
        (rows,) = await self.db.fetch(statement)
        codec = self.relations.codec("invoices", "customer_id")
        return listing.pages(
            customer_ids, rows, lambda row: codec.from_db(row.customer_id), page,
            lambda row: builders.ledger_entry(self._entry_row(row)),
        )  # fmt: skip

    async def open_items_of(
        self, customer_ids: Sequence[str], cut_off: date, company_id: str | None
    ) -> list[list[OpenItem]]:
        if not self.relations.has("invoices"):
            return [[] for _ in customer_ids]
        wanted = self.relations.to_db("invoices", "customer_id", customer_ids)
        if not wanted:
            return [[] for _ in customer_ids]
        by_company = company_id is not None
        company = self.company_key("invoices", company_id) if company_id is not None else None

        def build() -> Select[Any]:  # once per company, the customers and the day bound
            ids: Any = bound_keys()
            day: Any = bindparam("cut_off", type_=Date)
            if self.mapping.statement == "line_items":
                return billing.open_items_by_lines(self.relations["open_lines"], ids, day, company, by_company)
            return billing.open_items_by_allocations(
                self.relations["invoices"], self.relations["payments"], self.relations["allocations"],
                ids, day, company, by_company,
            )  # fmt: skip

        statement = self._statements.get(("open_items", by_company, company), build)
        rows = await self.db.fetch_with(statement, ids=wanted, cut_off=cut_off)
        items = [(r.customer_id, builders.open_item(r)) for r in map(self._entry_row, rows)]
        return grouped(customer_ids, items)

    async def payment_methods_of(self, customer_ids: Sequence[str]) -> list[list[PaymentMethod]]:
        lists = await self.children(
            "payment_methods", customer_ids, "customer_id", lambda r: r, order_by=["id"]
        )
        return [
            [builders.payment_method(r) for r in sorted(rows, key=lambda r: not r.is_default)] for rows in lists
        ]

    async def payment_methods_by_id(self, ids: Sequence[str]) -> list[PaymentMethod | None]:
        return await self.by_id("payment_methods", ids, builders.payment_method)

    async def payment_commitments_of(self, customer_ids: Sequence[str]) -> list[list[PaymentCommitment]]:
        return await self.children(
            "payment_commitments", customer_ids, "customer_id", builders.payment_commitment,
            order_by=["requested_at", "id"], descending=True,
        )  # fmt: skip
