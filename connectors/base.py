"""The batch-first protocols a source implements, one per domain, and the errors it may raise.

Every method takes a sequence of keys and returns one result per key, in key order
(`None` or an empty list for a miss), so that one call serves a whole DataLoader batch; only
`attachment_content`, a download's one file, takes one record.
Pages are keyset pages: `Page.after` is a cursor string the same source produced. Each listing
has its count (`invoice_counts_of` beside `invoices_of`, a connection's totalCount): how many items
its pages hold under the same filter, ignoring the page, in one statement, one count per key (0
for a miss), equal to the items its pages walked with `after` give.

One protocol per domain (`CustomerSource`, `BillingSource`, `SupportSource`, `ContractSource`,
`CatalogSource`, `CommerceSource`), grouping the `[routes]` domains of connectors/routing.py;
`Source` is all of them, what the app serves and what reads across domains take.

Errors: a source raises only `SourceError` subclasses; driver exceptions never leak.
- `SourceUnavailable`: the database cannot be reached.
- `SourceTimeout`: the database did not answer in time.
- `InvalidCursor`: an `after` cursor this source cannot read.

`reading(wanted)` gives a per-request view that selects only the columns a query needs; the
attributes it leaves out hold a `NotRead` (connectors/not_read.py), which fails when used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from .records import (
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
    NewCommitment,
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

# {record class: the attributes a request reads}; a class that is absent is read whole.
Wanted = Mapping[type, frozenset[str]]


class SourceError(Exception):
    """A source could not answer."""


class SourceUnavailable(SourceError):
    """The source's database cannot be reached."""


class SourceTimeout(SourceError):
    """The source's database did not answer within the configured time."""


class InvalidCursor(SourceError):
    """A pagination cursor that this source did not produce."""


class WriteRefused(Exception):
    """A legacy system cannot take a write as given (connectors/sql/writes.py): a name its catalog
    must have and lacks (a helpdesk user), a key none of its rows can have. Not retryable."""


class CustomerSource(Protocol):
    """Companies, customers and their contacts (`[routes]` domain `customers`)."""

    async def companies_by_id(self, ids: Sequence[str]) -> list[Company | None]: ...
    async def customers_by_id(self, ids: Sequence[str]) -> list[Customer | None]: ...
    async def customer_page(self, filter: CustomerFilter, page: Page, today: date) -> PageOf:
        """Customers ordered by name then id (analysts' list). `overdue_only` uses `today`."""
    async def emails_of(self, customer_ids: Sequence[str]) -> list[list[ContactEmail]]: ...
    async def phones_of(self, customer_ids: Sequence[str]) -> list[list[ContactPhone]]: ...
    async def customer_count(self, filter: CustomerFilter, today: date) -> int: ...


class BillingSource(Protocol):
    """A customer's current account: invoices, payments, ledger, open items and totals
    (domain `invoices`), payment methods (`payment_methods`) and commitments (`payment_commitments`)."""

    async def account_totals(self, customer_ids: Sequence[str], today: date) -> list[AccountTotals]: ...
    async def invoices_by_id(self, ids: Sequence[str]) -> list[Invoice | None]: ...
    async def invoices_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, page: Page, today: date
    ) -> list[PageOf]:
        """Newest first (issue date, then id, descending)."""
    async def lines_of(self, invoice_ids: Sequence[str]) -> list[list[InvoiceLine]]: ...
    async def payments_by_id(self, ids: Sequence[str]) -> list[Payment | None]: ...
    async def payments_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        """Newest first; each payment lists the invoices it settled."""
    async def ledger_of(
        self, customer_ids: Sequence[str], page: Page, date_from: date | None, date_to: date | None
    ) -> list[PageOf]:
        """Current-account entries, newest first, each with the running balance after it."""
    async def open_items_of(
        self, customer_ids: Sequence[str], cut_off: date, company_id: str | None
    ) -> list[list[OpenItem]]:
        """Documents open at `cut_off`: posted on or before it and not cleared by then."""
    async def payment_methods_of(self, customer_ids: Sequence[str]) -> list[list[PaymentMethod]]: ...
    async def payment_methods_by_id(self, ids: Sequence[str]) -> list[PaymentMethod | None]: ...
    async def payment_commitments_of(
        self, customer_ids: Sequence[str]
    ) -> list[list[PaymentCommitment]]: ...
    async def invoice_counts_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, today: date
    ) -> list[int]: ...
    async def payment_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...
    async def ledger_counts_of(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> list[int]: ...


class SupportSource(Protocol):
    """Tickets and their messages (domain `tickets`)."""

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]: ...
    async def tickets_of(
        self, customer_ids: Sequence[str], filter: TicketFilter, page: Page
    ) -> list[PageOf]:
        """Newest first (created_at, then id, descending)."""
    async def messages_of(
        self, ticket_ids: Sequence[str], include_internal: bool
    ) -> list[list[TicketMessage]]:
        """Oldest first, with attachments."""
    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]: ...
    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        """The bytes of an attachment this source listed (from the blob store or the ERP's file
        share, connectors/files.py); None when they are missing or outside the share."""


class ContractSource(Protocol):
    """Contracts (domain `contracts`)."""

    async def contracts_by_id(self, ids: Sequence[str]) -> list[Contract | None]: ...
    async def contracts_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]: ...
    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...


class CatalogSource(Protocol):
    """Plans, the subscriptions to them and their promotions (domain `plans`)."""

    async def plans_by_id(self, ids: Sequence[str]) -> list[Plan | None]: ...
    async def plan_page(self, page: Page, portal_only: bool) -> PageOf:
        """Plans ordered by price then id."""
    async def subscriptions_by_id(self, ids: Sequence[str]) -> list[PlanSubscription | None]: ...
    async def subscriptions_of(self, customer_ids: Sequence[str]) -> list[list[PlanSubscription]]: ...
    async def promotions_of(self, subscription_ids: Sequence[str]) -> list[list[Promotion]]:
        """Promotions applied to each subscription, with that subscription's validity."""
    async def plan_count(self, portal_only: bool) -> int: ...


class CommerceSource(Protocol):
    """Quotes, orders and delivery notes with their lines (domains `quotes`, `orders`,
    `delivery_notes`), and documents with the comments on any of them (`documents`)."""

    async def quotes_by_id(self, ids: Sequence[str]) -> list[Quote | None]: ...
    async def quotes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]: ...
    async def orders_by_id(self, ids: Sequence[str]) -> list[Order | None]: ...
    async def orders_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]: ...
    async def delivery_notes_by_id(self, ids: Sequence[str]) -> list[DeliveryNote | None]: ...
    async def delivery_notes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]: ...
    async def commercial_lines_of(
        self, document_kind: str, document_ids: Sequence[str]
    ) -> list[list[CommercialLine]]:
        """Lines of quotes (QUOTE), orders (ORDER) or delivery notes (DELIVERY_NOTE)."""
    async def documents_by_id(self, ids: Sequence[str]) -> list[Document | None]: ...
    async def documents_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]: ...
    async def comments_of(self, subject_kind: str, subject_ids: Sequence[str]) -> list[list[Comment]]:
        """Oldest first."""
    async def quote_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...
    async def order_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...
    async def delivery_note_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...
    async def document_counts_of(self, customer_ids: Sequence[str]) -> list[int]: ...


class Source(
    CustomerSource, BillingSource, SupportSource, ContractSource, CatalogSource, CommerceSource, Protocol
):
    """Every domain: the read side of a billing/ERP database, in canonical records."""

    def reading(self, wanted: Wanted) -> Source:
        """This source selecting only the wanted attributes of each record class.

        The attributes left out hold a `NotRead` (connectors/not_read.py), which raises
        `AttributeNotRead` when used; keys and whatever a source needs to page or join are read
        anyway. May return `self`.
        """


class TicketWriter(Protocol):
    """Where tickets are written (connectors/routing.py `ticket_writer`): the native tables, the
    store's portal tables beside a read-only source, or a legacy system's own tables.

    `conn` is the portal action's store transaction (resolvers/actions.py `perform`): a writer on
    the store writes on it; a legacy writer writes in its own database's transaction, committed
    before the store's (docs/connectors.md, "Writes"). Ids are canonical ids of the writer's reads.
    """

    async def open_ticket(self, conn: AsyncConnection, new: NewTicket, now: datetime) -> str:
        """Insert the ticket and its first message with its files; the ticket's id."""
        ...

    async def add_message(
        self, conn: AsyncConnection, new: NewMessage, now: datetime, status: TicketStatus | None = None
    ) -> str | None:
        """Append a message (with its files) to the ticket's thread, setting its status when given;
        the message's id, or None when the ticket is not this writer's."""
        ...

    async def set_ticket_status(
        self, conn: AsyncConnection, ticket_id: str, status: TicketStatus, now: datetime
    ) -> bool:
        """Set the ticket's status (CLOSED sets when it closed); False when it is not this writer's."""
        ...


class CommitmentWriter(Protocol):
    """A legacy system that takes payment commitments (`writes = ["payment_commitments"]`, ISPCube);
    the store's own tables are written by store/commitments.py (connectors/routing.py `commitment_target`).

    `conn` is the portal action's store transaction; the legacy row is written in the legacy
    database's own transaction, committed before the store's (docs/connectors.md, "Writes").
    """

    async def add_payment_commitment(self, conn: AsyncConnection, new: NewCommitment) -> str:
        """Insert the commitment; its canonical id (as this source's reads give it)."""
        ...
