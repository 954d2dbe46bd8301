"""`NativeSource`: the Source protocol over the native tables, batched, with async SQLAlchemy Core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from copy import copy
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, Date, Table, bindparam, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import billing, builders, catalog, customer_search, files, support
from ..base import Wanted
from ..executor import Executor, Rows
from ..files import BlobReader
from ..keyset import Keyset
from ..narrowing import columns_read, marking_unread, projection
from ..records import (
    AccountTotals,
    Attachment,
    Comment,
    CommercialLine,
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
    NewMessage,
    NewTicket,
    OpenItem,
    Order,
    Page,
    PageOf,
    Payment,
    PaymentCommitment,
    PaymentMethod,
    Plan,
    PlanSubscription,
    Promotion,
    Quote,
    Ticket,
    TicketFilter,
    TicketMessage,
    TicketStatus,
)
from ..shapes import Shapes, bound_keys
from . import writes
from .ids import INTEGER_BITS, db_id, db_ids, found_by
from .tables import (
    allocations,
    attachments,
    comments,
    commercial_lines,
    companies,
    contracts,
    customer_emails,
    customer_phones,
    customers,
    delivery_notes,
    documents,
    invoice_lines,
    invoices,
    orders,
    payment_commitments,
    payment_methods,
    payments,
    plans,
    promotions,
    quotes,
    subscription_promotions,
    subscriptions,
    ticket_messages,
    tickets,
)

T = TypeVar("T")


def _newest_first(table: Table, posted: str, *, columns: Sequence[Any] | None = None) -> Keyset:
    """A customer's documents by (`posted`, id) descending, one page per customer."""
    return Keyset(
        table,
        (posted, "id"),
        descending=True,
        partition="customer_id",
        columns=columns,
        integer_bits=INTEGER_BITS,
    )


_INVOICES = _newest_first(invoices, "issue_date")
_PAYMENTS = _newest_first(payments, "paid_on")
_TICKETS = _newest_first(tickets, "created_at")
# A contract's body is long and no record holds it.
_CONTRACT_COLUMNS = [c for c in contracts.c if c.name != "body"]
_CONTRACTS = _newest_first(contracts, "issued_at", columns=_CONTRACT_COLUMNS)
_QUOTES = _newest_first(quotes, "issue_date")
_ORDERS = _newest_first(orders, "ordered_on")
_DELIVERY_NOTES = _newest_first(delivery_notes, "issued_on")
_DOCUMENTS = _newest_first(documents, "uploaded_at")
_CUSTOMERS = Keyset(customers, customer_search.customer_order(customers), descending=False, integer_bits=INTEGER_BITS)
_PLANS = Keyset(plans, ("price", "id"), descending=False, integer_bits=INTEGER_BITS)


# The current account: every customer's entries with the running balance, the customers bound.
_LEDGER_ENTRIES = billing.ledger_entries(invoices, payments, bound_keys())
_LEDGER = Keyset(
    _LEDGER_ENTRIES, ("posted_on", "kind_rank", "document_id"), descending=True, partition="customer_id",
    integer_bits=INTEGER_BITS,
)  # fmt: skip


def _ledger_conditions(date_from: date | None, date_to: date | None) -> dict[str, Any]:
    """Keyset.bound's arguments for the entries between the dates (either may be open),
    filtered after the running balance is computed, so that it still counts all history."""

    def where() -> list[ColumnElement[bool]]:
        posted_on = _LEDGER_ENTRIES.c.posted_on
        return [
            *([posted_on >= bindparam("date_from", type_=Date)] if date_from is not None else []),
            *([posted_on <= bindparam("date_to", type_=Date)] if date_to is not None else []),
        ]

    dates = {name: day for name, day in (("date_from", date_from), ("date_to", date_to)) if day is not None}
    return {"shape": tuple(dates), "where": where, **dates}


def _plans_shown(portal_only: bool) -> list[ColumnElement[bool]]:
    return [plans.c.available_in_portal.is_(True)] if portal_only else []


def _customer_of(row: Row[Any]) -> str:
    """The canonical id of the customer a paged row belongs to."""
    return str(row.customer_id)


def _grouped(
    keys: Sequence[str], rows: Rows, owner: str, build: Callable[[Row[Any]], T]
) -> list[list[T]]:
    """One list per key (in key order) of the rows whose `owner` column is that key."""
    owned: dict[int, list[T]] = defaultdict(list)
    for row in rows:
        owned[row._mapping[owner]].append(build(row))
    return [list(found_by(owned, key) or ()) for key in keys]


# The native schema is the same for every source of a process: one set of built statements.
_STATEMENTS: Shapes[Any] = Shapes(2_000)  # narrowed variants are many only if callers make them so


class NativeSource:
    """Reads Ventanilla's native billing schema (connectors/native/tables.py).

    Every method opens its own connection, because Strawberry resolves sibling fields
    concurrently, and issues a fixed number of statements whatever the number of keys.
    Database failures surface as `SourceUnavailable`, slow answers (over `timeout`
    seconds per call) as `SourceTimeout`, unreadable cursors as `InvalidCursor`.
    """

    # A native database configured as a source takes no writes: they go to the store.
    capabilities: frozenset[str] = frozenset()

    def __init__(self, engine: AsyncEngine, *, timeout: float = 10.0, blobs: BlobReader | None = None) -> None:
        self.engine = engine
        self.blobs = blobs  # where the attachments' bytes are, by their sha256
        self.timeout = timeout
        self._db = Executor(engine, timeout, "billing")
        self._wanted: Wanted = {}

    def reading(self, wanted: Wanted) -> NativeSource:
        """A view of this source that selects only the wanted columns (narrowing.py)."""
        narrowed = copy(self)
        narrowed._wanted = wanted
        return narrowed

    def _keep(self, record: type | None, *also: str) -> frozenset[str] | None:
        """The columns to read for `record` (its id and `also` included), or None for all."""
        keep = None if record is None else columns_read(record, self._wanted)
        return None if keep is None else keep | {"id", *also}

    async def _by_id(
        self, table: Table, ids: Sequence[str], build: Callable[[Row[Any]], T], record: type | None = None
    ) -> list[T | None]:
        wanted = db_ids(ids)
        if not wanted:
            return [None] * len(ids)
        keep = self._keep(record)
        statement = _STATEMENTS.get(
            ("by_id", table, keep),
            lambda: select(*projection(table.c, keep)).where(table.c.id.in_(bound_keys())),
        )
        rows = await self._db.fetch_with(statement, ids=wanted)
        build = marking_unread(build, record, self._wanted)
        found = {row.id: build(row) for row in rows}
        return [found_by(found, key) for key in ids]

    async def _children(
        self,
        keys: Sequence[str],
        owner: Column[Any],
        build: Callable[[Row[Any]], T],
        *,
        order_by: Callable[[], Sequence[Any]],
        where: Callable[[], Sequence[ColumnElement[bool]]] = lambda: (),
        variant: Hashable = None,
        record: type | None = None,
    ) -> list[list[T]]:
        """Rows of `owner`'s table per key, in `order_by` order, in one statement.

        `order_by` and `where` build the clauses once per (`owner`, `variant`)."""
        wanted = db_ids(keys)
        if not wanted:
            return [[] for _ in keys]
        keep = self._keep(record, owner.name)
        statement = _STATEMENTS.get(
            ("children", owner, variant, keep),
            lambda: select(*projection(owner.table.c, keep))
            .where(owner.in_(bound_keys()), *where())
            .order_by(owner, *order_by()),
        )
        rows = await self._db.fetch_with(statement, ids=wanted)
        return _grouped(keys, rows, owner.name, marking_unread(build, record, self._wanted))

    async def _pages_of(
        self,
        listing: Keyset,
        customer_ids: Sequence[str],
        page: Page,
        build: Callable[[Row[Any]], T],
        record: type | None = None,
        **conditions: Any,
    ) -> list[PageOf]:
        """Each customer's page of `listing`, all in one statement, built once per shape and
        record (`conditions`: Keyset.bound's `shape`, `where` and parameters)."""
        assert listing.partition is not None
        wanted = db_ids(customer_ids)
        # Built first, so that a bad cursor is reported even when no id is valid.
        statement, params = listing.bound(page, self._keep(record), ids=wanted, **conditions)
        if not wanted:
            return [PageOf() for _ in customer_ids]
        rows = await self._db.fetch_with(statement, **params)
        build = marking_unread(build, record, self._wanted)
        return listing.pages(customer_ids, rows, _customer_of, page, build)

    async def _counts_of(
        self,
        listing: Keyset,
        customer_ids: Sequence[str],
        *,
        shape: Hashable = (),
        where: Callable[[], Sequence[ColumnElement[bool]]] = tuple,
        **params: Any,
    ) -> list[int]:
        """How many items each customer's pages of `listing` hold, all in one statement."""
        assert listing.partition is not None
        wanted = db_ids(customer_ids)
        if not wanted:
            return [0 for _ in customer_ids]
        statement = listing.bound_count(shape=shape, where=where)
        rows = await self._db.fetch_with(statement, ids=wanted, **params)
        return listing.counts(customer_ids, rows, _customer_of)

    # --- customers -----------------------------------------------------------------------

    async def companies_by_id(self, ids: Sequence[str]) -> list[Company | None]:
        return await self._by_id(companies, ids, builders.company)

    async def customers_by_id(self, ids: Sequence[str]) -> list[Customer | None]:
        return await self._by_id(customers, ids, builders.customer, Customer)

    async def customer_page(self, filter: CustomerFilter, page: Page, today: date) -> PageOf:
        company = None if filter.company_id is None else db_id(filter.company_id)
        statement, params = _CUSTOMERS.bound(
            page, self._keep(Customer), shape=(filter, company, today),
            where=lambda: customer_search.customer_conditions(customers, invoices, filter, company, today),
        )  # fmt: skip
        rows = await self._db.fetch_with(statement, **params)
        return _CUSTOMERS.page(rows, page, marking_unread(builders.customer, Customer, self._wanted))

    async def customer_count(self, filter: CustomerFilter, today: date) -> int:
        company = None if filter.company_id is None else db_id(filter.company_id)
        statement = _CUSTOMERS.bound_count(
            shape=(filter, company, today),
            where=lambda: customer_search.customer_conditions(customers, invoices, filter, company, today),
        )
        rows = await self._db.fetch_with(statement)
        return int(rows[0].item_count)

    async def emails_of(self, customer_ids: Sequence[str]) -> list[list[ContactEmail]]:
        return await self._children(
            customer_ids,
            customer_emails.c.customer_id,
            builders.email,
            order_by=lambda: [customer_emails.c.is_primary.desc(), customer_emails.c.id],
        )

    async def phones_of(self, customer_ids: Sequence[str]) -> list[list[ContactPhone]]:
        return await self._children(
            customer_ids,
            customer_phones.c.customer_id,
            builders.phone,
            order_by=lambda: [customer_phones.c.is_primary.desc(), customer_phones.c.id],
        )

    # --- billing -------------------------------------------------------------------------

    async def account_totals(self, customer_ids: Sequence[str], today: date) -> list[AccountTotals]:
        wanted = db_ids(customer_ids)
        rows: Rows = []
        if wanted:
            statement = _STATEMENTS.get(
                "account_totals",
                lambda: billing.account_totals(
                    customers,
                    invoices,
                    payments,
                    bound_keys(),
                    bindparam("today", type_=Date),  # type: ignore[arg-type]
                ),
            )
            rows = await self._db.fetch_with(statement, ids=wanted, today=today)
        found = {row.id: row for row in rows}
        return [builders.account_totals(key, found_by(found, key)) for key in customer_ids]

    async def invoices_by_id(self, ids: Sequence[str]) -> list[Invoice | None]:
        return await self._by_id(invoices, ids, builders.invoice, Invoice)

    async def invoices_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, page: Page, today: date
    ) -> list[PageOf]:
        company = None if filter.company_id is None else db_id(filter.company_id)
        return await self._pages_of(
            _INVOICES, customer_ids, page, builders.invoice, Invoice,
            shape=(filter, today, company), where=lambda: billing.invoice_conditions(invoices, filter, today, company),
        )  # fmt: skip

    async def invoice_counts_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, today: date
    ) -> list[int]:
        company = None if filter.company_id is None else db_id(filter.company_id)
        return await self._counts_of(
            _INVOICES, customer_ids,
            shape=(filter, today, company), where=lambda: billing.invoice_conditions(invoices, filter, today, company),
        )  # fmt: skip

    async def lines_of(self, invoice_ids: Sequence[str]) -> list[list[InvoiceLine]]:
        return await self._children(
            invoice_ids,
            invoice_lines.c.invoice_id,
            builders.invoice_line,
            order_by=lambda: [invoice_lines.c.position, invoice_lines.c.id],
        )

    async def _settled(self, conn: AsyncConnection, payment_ids: list[int]) -> dict[int, list[int]]:
        """The invoices each payment's allocations settled (the second statement of payments)."""
        if not payment_ids:
            return {}
        statement = select(allocations.c.payment_id, allocations.c.invoice_id).where(
            allocations.c.payment_id.in_(payment_ids)
        )
        settled: dict[int, list[int]] = defaultdict(list)
        for row in (await conn.execute(statement)).all():
            settled[row.payment_id].append(row.invoice_id)
        return settled

    async def payments_by_id(self, ids: Sequence[str]) -> list[Payment | None]:
        wanted = db_ids(ids)
        if not wanted:
            return [None] * len(ids)

        columns = projection(payments.c, self._keep(Payment))

        async def work(conn: AsyncConnection) -> tuple[Rows, dict[int, list[int]]]:
            rows = (await conn.execute(select(*columns).where(payments.c.id.in_(wanted)))).all()
            return list(rows), await self._settled(conn, [row.id for row in rows])

        rows, settled = await self._db.run(work)
        build = marking_unread(lambda row: builders.payment(row, settled), Payment, self._wanted)
        found = {row.id: build(row) for row in rows}
        return [found_by(found, key) for key in ids]

    async def payments_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        wanted = db_ids(customer_ids)
        statement, params = _PAYMENTS.bound(page, self._keep(Payment), ids=wanted)
        if not wanted:
            return [PageOf() for _ in customer_ids]

        async def work(conn: AsyncConnection) -> tuple[Rows, dict[int, list[int]]]:
            rows = (await conn.execute(statement, params)).all()
            return list(rows), await self._settled(conn, [row.id for row in rows])

        rows, settled = await self._db.run(work)
        build = marking_unread(lambda row: builders.payment(row, settled), Payment, self._wanted)
        return _PAYMENTS.pages(customer_ids, rows, _customer_of, page, build)

    async def payment_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_PAYMENTS, customer_ids)

    async def ledger_of(
        self, customer_ids: Sequence[str], page: Page, date_from: date | None, date_to: date | None
    ) -> list[PageOf]:
        return await self._pages_of(
            _LEDGER, customer_ids, page, builders.ledger_entry, **_ledger_conditions(date_from, date_to)
        )

    async def ledger_counts_of(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> list[int]:
        return await self._counts_of(_LEDGER, customer_ids, **_ledger_conditions(date_from, date_to))

    async def open_items_of(
        self, customer_ids: Sequence[str], cut_off: date, company_id: str | None
    ) -> list[list[OpenItem]]:
        wanted = db_ids(customer_ids)
        if not wanted:
            return [[] for _ in customer_ids]
        company = None if company_id is None else db_id(company_id)
        statement = _STATEMENTS.get(
            ("open_items", company_id is not None, company),  # the customers and the day bound
            lambda: billing.open_items_by_allocations(
                invoices, payments, allocations, bound_keys(), bindparam("cut_off", type_=Date),  # type: ignore[arg-type]
                company, by_company=company_id is not None,
            ),
        )  # fmt: skip
        rows = await self._db.fetch_with(statement, ids=wanted, cut_off=cut_off)
        return _grouped(customer_ids, rows, "customer_id", builders.open_item)

    # --- support -------------------------------------------------------------------------

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]:
        return await self._by_id(tickets, ids, builders.ticket, Ticket)

    async def tickets_of(
        self, customer_ids: Sequence[str], filter: TicketFilter, page: Page
    ) -> list[PageOf]:
        return await self._pages_of(
            _TICKETS, customer_ids, page, builders.ticket, Ticket,
            shape=filter, where=lambda: support.ticket_conditions(tickets, filter),
        )  # fmt: skip

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        return await self._counts_of(
            _TICKETS, customer_ids, shape=filter, where=lambda: support.ticket_conditions(tickets, filter)
        )

    async def messages_of(
        self, ticket_ids: Sequence[str], include_internal: bool
    ) -> list[list[TicketMessage]]:
        wanted = db_ids(ticket_ids)
        if not wanted:
            return [[] for _ in ticket_ids]
        statements = _STATEMENTS.get(
            ("messages", include_internal),
            lambda: support.messages_and_files(ticket_messages, attachments, bound_keys(), include_internal),
        )
        message_rows, file_rows = await self._db.fetch(*statements, ids=wanted)
        by_message: dict[int, list[Attachment]] = defaultdict(list)
        for row in file_rows:
            by_message[row.message_id].append(builders.attachment(row))
        return _grouped(
            ticket_ids, message_rows, "ticket_id", lambda row: builders.ticket_message(row, by_message)
        )

    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        return await files.attachment_content(attachment, self.blobs, None)

    # --- ticket writes (TicketWriter, on the store's transaction: native/writes.py) ----------

    async def open_ticket(self, conn: AsyncConnection, new: NewTicket, now: datetime) -> str:
        return await writes.open_ticket(conn, new, now)

    async def add_message(
        self, conn: AsyncConnection, new: NewMessage, now: datetime, status: TicketStatus | None = None
    ) -> str | None:
        return await writes.add_message(conn, new, now, status)

    async def set_ticket_status(
        self, conn: AsyncConnection, ticket_id: str, status: TicketStatus, now: datetime
    ) -> bool:
        return await writes.set_ticket_status(conn, ticket_id, status, now)

    # --- contracts, plans ----------------------------------------------------------------

    async def contracts_by_id(self, ids: Sequence[str]) -> list[Contract | None]:
        wanted = db_ids(ids)
        if not wanted:
            return [None] * len(ids)
        keep = self._keep(Contract)
        statement = _STATEMENTS.get(
            ("contracts_by_id", keep),
            lambda: select(*projection(_CONTRACT_COLUMNS, keep)).where(contracts.c.id.in_(bound_keys())),
        )
        rows = await self._db.fetch_with(statement, ids=wanted)
        build = marking_unread(builders.contract, Contract, self._wanted)
        found = {row.id: build(row) for row in rows}
        return [found_by(found, key) for key in ids]

    async def contracts_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self._pages_of(_CONTRACTS, customer_ids, page, builders.contract, record=Contract)

    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_CONTRACTS, customer_ids)

    async def plans_by_id(self, ids: Sequence[str]) -> list[Plan | None]:
        return await self._by_id(plans, ids, builders.plan)

    async def plan_page(self, page: Page, portal_only: bool) -> PageOf:
        statement, params = _PLANS.bound(page, shape=portal_only, where=lambda: _plans_shown(portal_only))
        rows = await self._db.fetch_with(statement, **params)
        return _PLANS.page(rows, page, builders.plan)

    async def plan_count(self, portal_only: bool) -> int:
        statement = _PLANS.bound_count(shape=portal_only, where=lambda: _plans_shown(portal_only))
        rows = await self._db.fetch_with(statement)
        return int(rows[0].item_count)

    async def subscriptions_by_id(self, ids: Sequence[str]) -> list[PlanSubscription | None]:
        return await self._by_id(subscriptions, ids, builders.subscription, PlanSubscription)

    async def subscriptions_of(self, customer_ids: Sequence[str]) -> list[list[PlanSubscription]]:
        return await self._children(
            customer_ids,
            subscriptions.c.customer_id,
            builders.subscription,
            order_by=lambda: [subscriptions.c.id],
            record=PlanSubscription,
        )

    async def promotions_of(self, subscription_ids: Sequence[str]) -> list[list[Promotion]]:
        wanted = db_ids(subscription_ids)
        if not wanted:
            return [[] for _ in subscription_ids]
        statement = _STATEMENTS.get(
            "promotions",
            lambda: catalog.promotions_applied(subscription_promotions, promotions, subscriptions, bound_keys()),
        )
        rows = await self._db.fetch_with(statement, ids=wanted)
        return _grouped(subscription_ids, rows, "subscription_id", builders.promotion)

    # --- commerce and documents ----------------------------------------------------------

    async def quotes_by_id(self, ids: Sequence[str]) -> list[Quote | None]:
        return await self._by_id(quotes, ids, builders.quote, Quote)

    async def quotes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self._pages_of(_QUOTES, customer_ids, page, builders.quote, record=Quote)

    async def quote_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_QUOTES, customer_ids)

    async def orders_by_id(self, ids: Sequence[str]) -> list[Order | None]:
        return await self._by_id(orders, ids, builders.order, Order)

    async def orders_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self._pages_of(_ORDERS, customer_ids, page, builders.order, record=Order)

    async def order_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_ORDERS, customer_ids)

    async def delivery_notes_by_id(self, ids: Sequence[str]) -> list[DeliveryNote | None]:
        return await self._by_id(delivery_notes, ids, builders.delivery_note, DeliveryNote)

    async def delivery_notes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self._pages_of(_DELIVERY_NOTES, customer_ids, page, builders.delivery_note, record=DeliveryNote)

    async def delivery_note_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_DELIVERY_NOTES, customer_ids)

    async def commercial_lines_of(
        self, document_kind: str, document_ids: Sequence[str]
    ) -> list[list[CommercialLine]]:
        return await self._children(
            document_ids,
            commercial_lines.c.document_id,
            builders.commercial_line,
            order_by=lambda: [commercial_lines.c.position, commercial_lines.c.id],
            where=lambda: [commercial_lines.c.document_kind == document_kind],
            variant=document_kind,
        )

    async def documents_by_id(self, ids: Sequence[str]) -> list[Document | None]:
        return await self._by_id(documents, ids, builders.document, Document)

    async def documents_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self._pages_of(_DOCUMENTS, customer_ids, page, builders.document, record=Document)

    async def document_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self._counts_of(_DOCUMENTS, customer_ids)

    async def comments_of(
        self, subject_kind: str, subject_ids: Sequence[str]
    ) -> list[list[Comment]]:
        return await self._children(
            subject_ids,
            comments.c.subject_id,
            builders.comment,
            order_by=lambda: [comments.c.created_at, comments.c.id],
            where=lambda: [comments.c.subject_kind == subject_kind],
            variant=subject_kind,
        )

    async def payment_methods_of(self, customer_ids: Sequence[str]) -> list[list[PaymentMethod]]:
        return await self._children(
            customer_ids,
            payment_methods.c.customer_id,
            builders.payment_method,
            order_by=lambda: [payment_methods.c.is_default.desc(), payment_methods.c.id],
        )

    async def payment_methods_by_id(self, ids: Sequence[str]) -> list[PaymentMethod | None]:
        return await self._by_id(payment_methods, ids, builders.payment_method)

    async def payment_commitments_of(
        self, customer_ids: Sequence[str]
    ) -> list[list[PaymentCommitment]]:
        return await self._children(
            customer_ids,
            payment_commitments.c.customer_id,
            builders.payment_commitment,
            order_by=lambda: [payment_commitments.c.requested_at.desc(), payment_commitments.c.id.desc()],
        )
