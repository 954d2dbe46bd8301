"""Route each domain of the Source protocol to a configured source: a legacy database or the store.

`ventanilla.toml` names the sources and routes domains to them; every domain left out is read from
Ventanilla's own store (the native tables), which also takes what a read-only legacy system cannot:

    [sources.erp]
    connector = "sap"                 # sap | sapb1 | ispcube | native | path/to/mapping.toml
    url = "postgresql+asyncpg://reader@erp-replica/prd"
    timeout_seconds = 5               # default: [limits] source_timeout_seconds
    params = { client = "100" }       # the mapping's $placeholders (SAP client ...)
    attachments_dir = "/mnt/erp-adjuntos"     # where the gateway reads the ERP's attachment share,
    attachments_root = "/sapmnt/PRD/adjuntos" # which the ERP's own paths start with (docs/connectors.md)
    writes = ["quote_decisions"]      # replaces the mapping's `writes` for this source (of those it declares)
    [routes]
    customers = "erp"
    invoices = "erp"
"""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from copy import copy
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from .base import (
    BillingSource,
    CatalogSource,
    CommerceSource,
    ContractSource,
    CustomerSource,
    Source,
    SupportSource,
    TicketWriter,
    Wanted,
)
from .executor import connect_timeout_args, ping, pooled_engine
from .files import BlobReader, share_of
from .native.source import NativeSource
from .portal_commerce import CommerceWriter, NativeCommerce, PortalCommerce, merged_comments
from .portal_payments import INVOICE_FIELDS, PaymentsOverlay
from .portal_tickets import MergedTickets, PortalTickets
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
)
from .signed_contracts import SignedContracts
from .sql.mapping import load_connector
from .sql.source import MappedSource
from .sql.writes import check_writes

if TYPE_CHECKING:
    from ..store.commitments import KeptCommitments

STORE = "store"

# The domains `[routes]` may name, and what each one reads (protocols in connectors/base.py).
DOMAINS: dict[str, str] = {
    "customers": "companies, customers, their e-mails and phones (CustomerSource)",
    "invoices": "invoices and lines, payments, ledger, open items, account totals (BillingSource)",
    "payment_methods": "a customer's payment methods (BillingSource)",
    "payment_commitments": "a customer's payment commitments (BillingSource)",
    "tickets": "tickets and their messages (SupportSource)",
    "contracts": "contracts (ContractSource)",
    "plans": "plans, subscriptions and their promotions (CatalogSource)",
    "quotes": "quotes and their lines (CommerceSource)",
    "orders": "orders and their lines (CommerceSource)",
    "delivery_notes": "delivery notes and their lines (CommerceSource)",
    "documents": "documents and the comments on any document (CommerceSource)",
}
# Writes the store takes for any domain routed to it (Ventanilla's own tables).
STORE_CAPABILITIES = frozenset({"tickets", "ticket_replies", "payment_commitments", "contract_signatures",
                                "plan_requests", "comments", "documents", "payment_methods", "billing_data"})  # fmt: skip


class ConfiguredSource(Source, Protocol):
    """A `[sources.<name>]` source: its pool, and the writes it declares it takes."""

    engine: AsyncEngine
    capabilities: frozenset[str]

    def reading(self, wanted: Wanted) -> ConfiguredSource: ...


class RoutedSource:
    """A Source that answers each domain from the source `routes` names (the store by default).

    Each domain's source is resolved once, into the attribute of the domain's name
    (`self.invoices` is the source `[routes] invoices` names), and every method calls the one of
    its domain. `capabilities` maps each domain to the writes its source declares (see `writes_for`).
    """

    def __init__(
        self,
        store: Source,
        sources: Mapping[str, ConfiguredSource],
        routes: Mapping[str, str],
        kept: KeptCommitments | None = None,
    ) -> None:
        unknown = set(routes) - set(DOMAINS)
        if unknown:
            raise ValueError(f"[routes]: unknown domains {sorted(unknown)}; known: {', '.join(DOMAINS)}")
        for domain, name in routes.items():
            if name != STORE and name not in sources:
                raise ValueError(f"[routes] {domain} = {name!r}: no [sources.{name}]")
        self.store = store
        self.sources = dict(sources)
        self.routes = {domain: routes.get(domain, STORE) for domain in DOMAINS}
        self.capabilities: dict[str, frozenset[str]] = {
            domain: STORE_CAPABILITIES if name == STORE else self.sources[name].capabilities
            for domain, name in self.routes.items()
        }
        # Tickets the routed source cannot take are kept in the store and merged into its reads.
        engine = getattr(store, "engine", None)
        self.portal_tickets = (
            PortalTickets(
                engine, timeout=getattr(store, "timeout", 10.0), blobs=getattr(store, "blobs", None)
            )
            if engine is not None
            and self.routes["tickets"] != STORE
            and "tickets" not in self.capabilities["tickets"]
            else None
        )
        # Decisions on quotes and comments on documents of read-only sources: kept in the store,
        # shown on the sources' reads (connectors/portal_commerce.py).
        self.portal_commerce = (
            PortalCommerce(engine, timeout=getattr(store, "timeout", 10.0)) if engine is not None else None
        )
        # Contracts of a source that takes no signatures read SIGNED from the store's signature rows.
        self.signatures_overlay = (
            engine
            if engine is not None and self.routes["contracts"] != STORE
            and "contract_signatures" not in self.capabilities["contracts"]
            else None
        )  # fmt: skip
        self._store_timeout = getattr(store, "timeout", 10.0)
        self._route()
        # Online payments approved in the portal over a legacy ERP's billing: shown paid until the
        # ERP posts them (connectors/portal_payments.py). Reads with the unnarrowed source.
        self.payments_overlay = (
            PaymentsOverlay(engine, self.invoices, self._store_timeout)
            if engine is not None and self.routes["invoices"] != STORE
            else None
        )
        # Commitments the store keeps for customers it does not hold (store/commitments.py), merged
        # into `payment_commitments_of` when new ones are written there.
        self.kept: KeptCommitments | None = None
        if commitment_target(self) == KEPT:
            from ..store.commitments import KeptCommitments

            engine = getattr(store, "engine", None)
            self.kept = kept or (KeptCommitments(engine) if engine is not None else None)

    def _route(self) -> None:
        """Resolve each domain's source from `routes` (again in each `reading` view)."""
        self.customers: CustomerSource = self.source_for("customers")
        self.invoices: BillingSource = self.source_for("invoices")
        self.payment_methods: BillingSource = self.source_for("payment_methods")
        self.payment_commitments: BillingSource = self.source_for("payment_commitments")
        self.tickets: SupportSource = self.source_for("tickets")
        if self.portal_tickets is not None:
            self.tickets = MergedTickets(self.tickets, self.portal_tickets)
        self.contracts: ContractSource = self.source_for("contracts")
        if self.signatures_overlay is not None:
            self.contracts = SignedContracts(self.contracts, self.signatures_overlay, self._store_timeout)
        self.plans: CatalogSource = self.source_for("plans")
        self.quotes: CommerceSource = self.source_for("quotes")
        self.orders: CommerceSource = self.source_for("orders")
        self.delivery_notes: CommerceSource = self.source_for("delivery_notes")
        self.documents: CommerceSource = self.source_for("documents")

    def reading(self, wanted: Wanted) -> RoutedSource:
        """Each source reading only the wanted record attributes (Source.reading)."""
        narrowed = copy(self)
        narrowed.store = self.store.reading(wanted)
        if self.portal_tickets is not None and Ticket in wanted:
            # Merged lists are ordered by when each ticket was opened: the ERP's are read with it.
            wanted = {**wanted, Ticket: wanted[Ticket] | {"id", "created_at"}}
        if self.portal_commerce is not None:
            # A decision is overlaid by the quote's id; merged comments are ordered by their time.
            if Quote in wanted:
                wanted = {**wanted, Quote: wanted[Quote] | {"id"}}
            if Comment in wanted:
                wanted = {**wanted, Comment: wanted[Comment] | {"id", "created_at"}}
        if self.payments_overlay is not None and Invoice in wanted:
            wanted = {**wanted, Invoice: wanted[Invoice] | INVOICE_FIELDS}  # what the overlay lowers
        narrowed.sources = {name: source.reading(wanted) for name, source in self.sources.items()}
        narrowed._route()
        return narrowed

    def source_for(self, domain: str) -> Source:
        name = self.routes[domain]
        return self.store if name == STORE else self.sources[name]

    def writes_for(self, domain: str, write: str) -> Any:
        """Where a `write` (e.g. "tickets") for `domain` goes: the routed source if its mapping
        declares the capability (`writes = [...]`, written as its `[writes.*]` say), else the store:
        its native tables for a domain routed to it, the portal tickets merged into a read-only
        source's reads for tickets (connectors/portal_tickets.py)."""
        if write in self.capabilities[domain]:
            return self.source_for(domain)
        if domain == "tickets" and self.portal_tickets is not None:
            return self.portal_tickets
        return self.store

    def takes_natively(self, domain: str) -> bool:
        """Whether `domain` is Ventanilla's own (routed to the store's native tables)."""
        return self.routes[domain] == STORE

    def _decided(self) -> PortalCommerce | None:
        """The store's quote decisions, when quotes are read from a legacy source that takes none
        (no `quote_decisions` write): they are kept in the store and overlaid on its reads."""
        if self.takes_natively("quotes") or self.erp_decides_quotes():
            return None
        return self.portal_commerce

    def erp_decides_quotes(self) -> bool:
        """Whether quote decisions are written into the legacy source the quotes are read from."""
        return not self.takes_natively("quotes") and "quote_decisions" in self.capabilities["quotes"]

    async def _overlaid(self, found: Sequence[Quote | None]) -> list[Quote | None]:
        decided = self._decided()
        if decided is None:
            return list(found)
        decisions = await decided.decisions([q.id for q in found if q is not None])
        return [
            q if q is None or q.id not in decisions else replace(q, status=decisions[q.id]) for q in found
        ]

    async def dispose(self) -> None:
        for source in self.sources.values():
            await source.engine.dispose()

    # --- customers -----------------------------------------------------------------------

    async def companies_by_id(self, ids: Sequence[str]) -> list[Company | None]:
        return await self.customers.companies_by_id(ids)

    async def customers_by_id(self, ids: Sequence[str]) -> list[Customer | None]:
        return await self.customers.customers_by_id(ids)

    async def customer_page(self, filter: CustomerFilter, page: Page, today: date) -> PageOf:
        return await self.customers.customer_page(filter, page, today)

    async def customer_count(self, filter: CustomerFilter, today: date) -> int:
        return await self.customers.customer_count(filter, today)

    async def emails_of(self, customer_ids: Sequence[str]) -> list[list[ContactEmail]]:
        return await self.customers.emails_of(customer_ids)

    async def phones_of(self, customer_ids: Sequence[str]) -> list[list[ContactPhone]]:
        return await self.customers.phones_of(customer_ids)

    # --- billing -------------------------------------------------------------------------

    async def account_totals(self, customer_ids: Sequence[str], today: date) -> list[AccountTotals]:
        found = await self.invoices.account_totals(customer_ids, today)
        if self.payments_overlay is None:
            return found
        return await self.payments_overlay.totals(found, today)

    async def invoices_by_id(self, ids: Sequence[str]) -> list[Invoice | None]:
        found = await self.invoices.invoices_by_id(ids)
        if self.payments_overlay is None:
            return found
        return await self.payments_overlay.invoices(found, date.today())

    async def invoices_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, page: Page, today: date
    ) -> list[PageOf]:
        found = await self.invoices.invoices_of(customer_ids, filter, page, today)
        if self.payments_overlay is None:
            return found
        return await self.payments_overlay.pages(found, customer_ids, filter, today)

    async def invoice_counts_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, today: date
    ) -> list[int]:
        return await self.invoices.invoice_counts_of(customer_ids, filter, today)

    async def lines_of(self, invoice_ids: Sequence[str]) -> list[list[InvoiceLine]]:
        return await self.invoices.lines_of(invoice_ids)

    async def payments_by_id(self, ids: Sequence[str]) -> list[Payment | None]:
        return await self.invoices.payments_by_id(ids)

    async def payments_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.invoices.payments_of(customer_ids, page)

    async def payment_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.invoices.payment_counts_of(customer_ids)

    async def ledger_of(
        self, customer_ids: Sequence[str], page: Page, date_from: date | None, date_to: date | None
    ) -> list[PageOf]:
        return await self.invoices.ledger_of(customer_ids, page, date_from, date_to)

    async def ledger_counts_of(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> list[int]:
        return await self.invoices.ledger_counts_of(customer_ids, date_from, date_to)

    async def open_items_of(
        self, customer_ids: Sequence[str], cut_off: date, company_id: str | None
    ) -> list[list[OpenItem]]:
        return await self.invoices.open_items_of(customer_ids, cut_off, company_id)

    async def payment_methods_of(self, customer_ids: Sequence[str]) -> list[list[PaymentMethod]]:
        return await self.payment_methods.payment_methods_of(customer_ids)

    async def payment_methods_by_id(self, ids: Sequence[str]) -> list[PaymentMethod | None]:
        return await self.payment_methods.payment_methods_by_id(ids)

    async def payment_commitments_of(self, customer_ids: Sequence[str]) -> list[list[PaymentCommitment]]:
        """The routed source's, with those the store keeps for customers of a legacy source, newest first."""
        found = await self.payment_commitments.payment_commitments_of(customer_ids)
        if self.kept is None:
            return found
        kept = await self.kept.payment_commitments_of(customer_ids)
        return [
            sorted([*theirs, *ours], key=lambda c: (c.requested_at, c.id), reverse=True)
            for theirs, ours in zip(found, kept, strict=True)
        ]

    # --- support -------------------------------------------------------------------------

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]:
        return await self.tickets.tickets_by_id(ids)

    async def tickets_of(self, customer_ids: Sequence[str], filter: TicketFilter, page: Page) -> list[PageOf]:
        return await self.tickets.tickets_of(customer_ids, filter, page)

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        return await self.tickets.ticket_counts_of(customer_ids, filter)

    async def messages_of(
        self, ticket_ids: Sequence[str], include_internal: bool
    ) -> list[list[TicketMessage]]:
        return await self.tickets.messages_of(ticket_ids, include_internal)

    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        return await self.tickets.attachment_content(attachment)

    # --- contracts, plans ----------------------------------------------------------------

    async def contracts_by_id(self, ids: Sequence[str]) -> list[Contract | None]:
        return await self.contracts.contracts_by_id(ids)

    async def contracts_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.contracts.contracts_of(customer_ids, page)

    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.contracts.contract_counts_of(customer_ids)

    async def plans_by_id(self, ids: Sequence[str]) -> list[Plan | None]:
        return await self.plans.plans_by_id(ids)

    async def plan_page(self, page: Page, portal_only: bool) -> PageOf:
        return await self.plans.plan_page(page, portal_only)

    async def plan_count(self, portal_only: bool) -> int:
        return await self.plans.plan_count(portal_only)

    async def subscriptions_by_id(self, ids: Sequence[str]) -> list[PlanSubscription | None]:
        return await self.plans.subscriptions_by_id(ids)

    async def subscriptions_of(self, customer_ids: Sequence[str]) -> list[list[PlanSubscription]]:
        return await self.plans.subscriptions_of(customer_ids)

    async def promotions_of(self, subscription_ids: Sequence[str]) -> list[list[Promotion]]:
        return await self.plans.promotions_of(subscription_ids)

    # --- commerce and documents ----------------------------------------------------------

    async def quotes_by_id(self, ids: Sequence[str]) -> list[Quote | None]:
        return await self._overlaid(await self.quotes.quotes_by_id(ids))

    async def quotes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        pages = await self.quotes.quotes_of(customer_ids, page)
        if self._decided() is None:
            return pages
        return [replace(p, items=await self._overlaid(p.items)) for p in pages]

    async def quote_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.quotes.quote_counts_of(customer_ids)

    async def orders_by_id(self, ids: Sequence[str]) -> list[Order | None]:
        return await self.orders.orders_by_id(ids)

    async def orders_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.orders.orders_of(customer_ids, page)

    async def order_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.orders.order_counts_of(customer_ids)

    async def delivery_notes_by_id(self, ids: Sequence[str]) -> list[DeliveryNote | None]:
        return await self.delivery_notes.delivery_notes_by_id(ids)

    async def delivery_notes_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.delivery_notes.delivery_notes_of(customer_ids, page)

    async def delivery_note_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.delivery_notes.delivery_note_counts_of(customer_ids)

    async def commercial_lines_of(
        self, document_kind: str, document_ids: Sequence[str]
    ) -> list[list[CommercialLine]]:
        """From the source of the lines' documents: quotes, delivery notes, else orders."""
        by_kind = {"QUOTE": self.quotes, "DELIVERY_NOTE": self.delivery_notes}
        source = by_kind.get(document_kind, self.orders)
        return await source.commercial_lines_of(document_kind, document_ids)

    async def documents_by_id(self, ids: Sequence[str]) -> list[Document | None]:
        return await self.documents.documents_by_id(ids)

    async def documents_of(self, customer_ids: Sequence[str], page: Page) -> list[PageOf]:
        return await self.documents.documents_of(customer_ids, page)

    async def document_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.documents.document_counts_of(customer_ids)

    async def comments_of(self, subject_kind: str, subject_ids: Sequence[str]) -> list[list[Comment]]:
        theirs = await self.documents.comments_of(subject_kind, subject_ids)
        if self.portal_commerce is None or all(map(self.takes_natively, COMMENT_DOMAINS.values())):
            return theirs  # every comment is written natively: none is kept beside a legacy source
        return merged_comments(theirs, await self.portal_commerce.comments_of(subject_kind, subject_ids))


def _engine(url: str, timeout: float, pool_size: int) -> AsyncEngine:
    """A legacy database's pool (policy in connectors/executor.py): connecting gives up within
    the source's timeout, and connections are renewed every half hour."""
    # Only reads: no transaction, so no BEGIN/ROLLBACK round trip around each statement.
    connect_args = connect_timeout_args(url, timeout)
    return pooled_engine(
        url, pool_size, pool_recycle=1800, connect_args=connect_args, isolation_level="AUTOCOMMIT"
    )


def source_from(
    name: str,
    spec: Mapping[str, Any],
    default_timeout: float,
    default_pool_size: int = 10,
    blobs: BlobReader | None = None,
) -> ConfiguredSource:
    """The source a `[sources.<name>]` table describes; `blobs` holds the files Ventanilla keeps."""
    try:
        connector, url = spec["connector"], spec["url"]
    except KeyError as exc:
        raise ValueError(f"[sources.{name}] needs `connector` and `url`") from exc
    timeout = float(spec.get("timeout_seconds", default_timeout))
    engine = _engine(url, timeout, int(spec.get("pool_size", default_pool_size)))
    if connector == "native":
        return NativeSource(engine, timeout=timeout, blobs=blobs)
    share = share_of(spec.get("attachments_dir"), spec.get("attachments_root"))
    mapping = load_connector(connector)
    if "writes" in spec:  # this deployment's writes, of those the mapping declares (a replica takes none)
        writes = tuple(spec["writes"])
        check_writes(writes, mapping.write_specs, f"[sources.{name}] writes")
        mapping = replace(mapping, writes=writes)
    return MappedSource(
        engine, mapping, params=spec.get("params"), timeout=timeout, label=name, blobs=blobs, share=share,
    )  # fmt: skip


def ticket_writer(source: Source, write: str = "tickets") -> TicketWriter:
    """Where a ticket `write` goes ("tickets": a new ticket, its status; "ticket_replies": a
    message) for the source the app serves: the routed one's (`RoutedSource.writes_for`), or the
    store's native tables."""
    writer = source.writes_for("tickets", write) if isinstance(source, RoutedSource) else source
    return cast(TicketWriter, writer)


# The domain of each kind of document a comment is on.
COMMENT_DOMAINS = {"Invoice": "invoices", "Quote": "quotes", "Order": "orders", "DeliveryNote": "delivery_notes",
                   "Document": "documents", "Contract": "contracts"}  # fmt: skip


def commerce_writer(source: Source, domain: str) -> CommerceWriter:
    """Where a quote decision (`domain` "quotes") or a comment (the subject's domain, see
    COMMENT_DOMAINS) is written: the native tables when the domain is the store's (and, for
    comments, so are the documents comments are read with); a decision into the legacy source
    whose mapping takes `quote_decisions`; else the store's portal tables
    (connectors/portal_commerce.py)."""
    if not isinstance(source, RoutedSource) or source.portal_commerce is None:
        return NativeCommerce()
    if domain == "quotes":
        if source.erp_decides_quotes():  # its [writes.quote_decision] (connectors/sql/quote_writes.py)
            return cast(CommerceWriter, source.source_for("quotes"))
        return NativeCommerce() if source._decided() is None else source.portal_commerce
    if source.takes_natively(domain) and source.takes_natively("documents"):
        return NativeCommerce()
    return source.portal_commerce


def source_checks(source: Source) -> dict[str, Callable[[], Awaitable[object]]]:
    """Readiness: a ping per configured legacy source, as `sources.<name>` (the native tables are
    the store's, which has its own check)."""
    if not isinstance(source, RoutedSource):
        return {}
    return {f"sources.{name}": partial(ping, each.engine) for name, each in source.sources.items()}


# Where a new payment commitment is written (store/commitments.py), when not in a legacy source.
NATIVE, KEPT = "native", "kept"


def commitment_target(source: Any) -> str | Source:
    """Where a new payment commitment goes: the legacy source routed `payment_commitments` when its
    mapping declares that write (ISPCube); else the store, in the native table (NATIVE) when the
    customers are the store's too, or in the store's table keyed by canonical id (KEPT) when they
    live in a legacy source (SAP)."""
    if not isinstance(source, RoutedSource):
        return NATIVE
    target = source.writes_for("payment_commitments", "payment_commitments")
    if target is not source.store:
        return target
    return NATIVE if source.routes["customers"] == STORE else KEPT


def read_routing(path: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """`[sources]` and `[routes]` of a ventanilla.toml (both empty without a file)."""
    if path is None:
        return {}, {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("sources", {})), dict(data.get("routes", {}))


def build_source(
    settings: Any, store: AsyncEngine, config: Path | None = None, blobs: BlobReader | None = None
) -> Any:
    """The Source the app serves: the store alone, or the store and the configured sources;
    `blobs` is where the attachments Ventanilla keeps are (store/blobs.py)."""
    from ..settings import config_path

    timeout = settings.source_timeout_seconds
    native = NativeSource(store, timeout=timeout, blobs=blobs)
    specs, routes = read_routing(
        config if config is not None else config_path(getattr(settings, "config", None))
    )
    if not routes:
        return native
    sources = {
        name: source_from(name, spec, timeout, settings.pool_size, blobs)
        for name, spec in specs.items()
        if name in routes.values()
    }
    from ..store.commitments import KeptCommitments

    kept = KeptCommitments(store, timeout)
    routed: Source = RoutedSource(native, sources, routes, kept)  # mypy checks it serves every domain
    return routed
