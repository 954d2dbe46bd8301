"""Route each domain of the BillingSource protocol to a configured source: a legacy database or the store.

`ventanilla.toml` names the sources and routes domains to them; every domain left out is read from
Ventanilla's own store (the native tables), which also takes what a read-only legacy system cannot:

    [sources.erp]
    connector = "sap"                 # sap | sapb1 | ispcube | native | path/to/mapping.toml
    url = "postgresql+asyncpg://reader@erp-replica/prd"
    timeout_seconds = 5               # default: [limits] source_timeout_seconds
    params = { client = "100" }       # the mapping's $placeholders (SAP client ...)
    [routes]
    customers = "erp"
    invoices = "erp"
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from .base import Wanted
from .executor import pooled_engine
from .native.source import NativeSource
from .records import CustomerFilter, InvoiceFilter, TicketFilter
from .sql.mapping import load_connector
from .sql.source import MappedSource

STORE = "store"

# Each protocol method and the domain it belongs to (the names `[routes]` uses).
DOMAINS: dict[str, tuple[str, ...]] = {
    "customers": ("companies_by_id", "customers_by_id", "customer_page", "emails_of", "phones_of"),
    "invoices": ("account_totals", "invoices_by_id", "invoices_of", "lines_of", "payments_by_id", "payments_of",
                 "ledger_of", "open_items_of"),
    "tickets": ("tickets_by_id", "tickets_of", "messages_of"),
    "contracts": ("contracts_by_id", "contracts_of"),
    "plans": ("plans_by_id", "plan_page", "subscriptions_by_id", "subscriptions_of", "promotions_of"),
    "quotes": ("quotes_by_id", "quotes_of"),
    "orders": ("orders_by_id", "orders_of"),
    "delivery_notes": ("delivery_notes_by_id", "delivery_notes_of"),
    "documents": ("documents_by_id", "documents_of", "comments_of"),
    "payment_methods": ("payment_methods_of", "payment_methods_by_id"),
    "payment_commitments": ("payment_commitments_of",),
}  # fmt: skip
_DOMAIN_OF = {method: domain for domain, methods in DOMAINS.items() for method in methods}
_LINES_DOMAIN = {"QUOTE": "quotes", "ORDER": "orders", "DELIVERY_NOTE": "delivery_notes"}
# Writes the store takes for any domain routed to it (Ventanilla's own tables).
STORE_CAPABILITIES = frozenset({"tickets", "ticket_replies", "payment_commitments", "contract_signatures",
                                "plan_requests", "comments", "documents", "payment_methods", "billing_data"})  # fmt: skip


# --- counts (a connection's totalCount) -------------------------------------------------------


class RoutedCounts:
    """The counts of the listings, each from the source the listing's domain is routed to."""

    source_for: Callable[[str], Any]  # RoutedSource's

    async def customer_count(self, filter: CustomerFilter, today: date) -> int:
        return await self.source_for("customers").customer_count(filter, today)

    async def invoice_counts_of(
        self, customer_ids: Sequence[str], filter: InvoiceFilter, today: date
    ) -> list[int]:
        return await self.source_for("invoices").invoice_counts_of(customer_ids, filter, today)

    async def payment_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("invoices").payment_counts_of(customer_ids)

    async def ledger_counts_of(
        self, customer_ids: Sequence[str], date_from: date | None, date_to: date | None
    ) -> list[int]:
        return await self.source_for("invoices").ledger_counts_of(customer_ids, date_from, date_to)

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        return await self.source_for("tickets").ticket_counts_of(customer_ids, filter)

    async def contract_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("contracts").contract_counts_of(customer_ids)

    async def plan_count(self, portal_only: bool) -> int:
        return await self.source_for("plans").plan_count(portal_only)

    async def quote_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("quotes").quote_counts_of(customer_ids)

    async def order_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("orders").order_counts_of(customer_ids)

    async def delivery_note_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("delivery_notes").delivery_note_counts_of(customer_ids)

    async def document_counts_of(self, customer_ids: Sequence[str]) -> list[int]:
        return await self.source_for("documents").document_counts_of(customer_ids)


# --- the routed source ------------------------------------------------------------------------


class RoutedSource(RoutedCounts):
    """A BillingSource that answers each domain from the source `routes` names (the store by default).

    `capabilities` maps each domain to the writes its source declares (see `writes_for`).
    """

    def __init__(self, store: Any, sources: Mapping[str, Any], routes: Mapping[str, str]) -> None:
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
            domain: STORE_CAPABILITIES
            if name == STORE
            else frozenset(getattr(self.sources[name], "capabilities", ()))
            for domain, name in self.routes.items()
        }

    def reading(self, wanted: Wanted) -> RoutedSource:
        """Each source reading only the wanted record attributes (BillingSource.reading)."""
        narrowed = copy(self)
        narrowed.store = self.store.reading(wanted)
        narrowed.sources = {name: source.reading(wanted) for name, source in self.sources.items()}
        return narrowed

    def source_for(self, domain: str) -> Any:
        name = self.routes[domain]
        return self.store if name == STORE else self.sources[name]

    def writes_for(self, domain: str, write: str) -> Any:
        """The source that takes `write` (e.g. "tickets") for `domain`: the routed one if it declares
        the capability, else the store."""
        return self.source_for(domain) if write in self.capabilities[domain] else self.store

    async def commercial_lines_of(self, document_kind: str, document_ids: Sequence[str]) -> Any:
        source = self.source_for(_LINES_DOMAIN.get(document_kind, "orders"))
        return await source.commercial_lines_of(document_kind, document_ids)

    async def dispose(self) -> None:
        for source in self.sources.values():
            await source.engine.dispose()


def _delegate(method: str) -> Any:
    domain = _DOMAIN_OF[method]

    async def call(self: RoutedSource, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self.source_for(domain), method)(*args, **kwargs)

    call.__name__ = method
    call.__doc__ = f"`{method}` of the source the `{domain}` domain is routed to."
    return call


for _method in _DOMAIN_OF:
    setattr(RoutedSource, _method, _delegate(_method))


def _engine(url: str, timeout: float, pool_size: int) -> AsyncEngine:
    """A legacy database's pool (policy in connectors/executor.py): connecting gives up within
    the source's timeout, and connections are renewed every half hour."""
    connect_args: dict[str, Any] = {}
    if url.startswith("postgresql+asyncpg"):
        connect_args["timeout"] = timeout
    elif url.startswith(("mysql+asyncmy", "mariadb+asyncmy", "mysql+aiomysql")):
        connect_args["connect_timeout"] = max(1, int(timeout))
    # Only reads: no transaction, so no BEGIN/ROLLBACK round trip around each statement.
    return pooled_engine(
        url, pool_size, pool_recycle=1800, connect_args=connect_args, isolation_level="AUTOCOMMIT"
    )


def source_from(name: str, spec: Mapping[str, Any], default_timeout: float, default_pool_size: int = 10) -> Any:
    """The source a `[sources.<name>]` table describes."""
    try:
        connector, url = spec["connector"], spec["url"]
    except KeyError as exc:
        raise ValueError(f"[sources.{name}] needs `connector` and `url`") from exc
    timeout = float(spec.get("timeout_seconds", default_timeout))
    engine = _engine(url, timeout, int(spec.get("pool_size", default_pool_size)))
    if connector == "native":
        source: Any = NativeSource(engine, timeout=timeout)
        source.engine = engine
        return source
    return MappedSource(
        engine, load_connector(connector), params=spec.get("params"), timeout=timeout, label=name
    )


def read_routing(path: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """`[sources]` and `[routes]` of a ventanilla.toml (both empty without a file)."""
    if path is None:
        return {}, {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return dict(data.get("sources", {})), dict(data.get("routes", {}))


def build_source(settings: Any, store: AsyncEngine, config: Path | None = None) -> Any:
    """The BillingSource the app serves: the store alone, or the store and the configured sources."""
    from ..settings import config_path

    timeout = settings.source_timeout_seconds
    native = NativeSource(store, timeout=timeout)
    specs, routes = read_routing(config if config is not None else config_path())
    if not routes:
        return native
    sources = {
        name: source_from(name, spec, timeout, settings.pool_size)
        for name, spec in specs.items()
        if name in routes.values()
    }
    return RoutedSource(native, sources, routes)
