"""`[routes]`: each read and count of the Source protocol goes to the source its domain is routed to."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors import base
from ventanilla.connectors.native.source import NativeSource
from ventanilla.connectors.records import CustomerFilter, InvoiceFilter, Page, TicketFilter
from ventanilla.connectors.routing import DOMAINS, RoutedSource
from ventanilla.demo.business import generate_demo

TODAY = date(2026, 6, 15)
ONE = ["1"]
# Every read, called with keys that exist, and the domain whose route it must follow.
CALLS: dict[str, tuple[str, Any]] = {
    "companies_by_id": ("customers", lambda s: s.companies_by_id(ONE)),
    "customers_by_id": ("customers", lambda s: s.customers_by_id(ONE)),
    "customer_page": ("customers", lambda s: s.customer_page(CustomerFilter(), Page(2), TODAY)),
    "customer_count": ("customers", lambda s: s.customer_count(CustomerFilter(), TODAY)),
    "emails_of": ("customers", lambda s: s.emails_of(ONE)),
    "phones_of": ("customers", lambda s: s.phones_of(ONE)),
    "account_totals": ("invoices", lambda s: s.account_totals(ONE, TODAY)),
    "invoices_by_id": ("invoices", lambda s: s.invoices_by_id(ONE)),
    "invoices_of": ("invoices", lambda s: s.invoices_of(ONE, InvoiceFilter(), Page(2), TODAY)),
    "invoice_counts_of": ("invoices", lambda s: s.invoice_counts_of(ONE, InvoiceFilter(), TODAY)),
    "lines_of": ("invoices", lambda s: s.lines_of(ONE)),
    "payments_by_id": ("invoices", lambda s: s.payments_by_id(ONE)),
    "payments_of": ("invoices", lambda s: s.payments_of(ONE, Page(2))),
    "payment_counts_of": ("invoices", lambda s: s.payment_counts_of(ONE)),
    "ledger_of": ("invoices", lambda s: s.ledger_of(ONE, Page(2), None, None)),
    "ledger_counts_of": ("invoices", lambda s: s.ledger_counts_of(ONE, None, None)),
    "open_items_of": ("invoices", lambda s: s.open_items_of(ONE, TODAY, None)),
    "payment_methods_of": ("payment_methods", lambda s: s.payment_methods_of(ONE)),
    "payment_methods_by_id": ("payment_methods", lambda s: s.payment_methods_by_id(ONE)),
    "payment_commitments_of": ("payment_commitments", lambda s: s.payment_commitments_of(ONE)),
    "tickets_by_id": ("tickets", lambda s: s.tickets_by_id(ONE)),
    "tickets_of": ("tickets", lambda s: s.tickets_of(ONE, TicketFilter(), Page(2))),
    "ticket_counts_of": ("tickets", lambda s: s.ticket_counts_of(ONE, TicketFilter())),
    "messages_of": ("tickets", lambda s: s.messages_of(ONE, True)),
    "contracts_by_id": ("contracts", lambda s: s.contracts_by_id(ONE)),
    "contracts_of": ("contracts", lambda s: s.contracts_of(ONE, Page(2))),
    "contract_counts_of": ("contracts", lambda s: s.contract_counts_of(ONE)),
    "plans_by_id": ("plans", lambda s: s.plans_by_id(ONE)),
    "plan_page": ("plans", lambda s: s.plan_page(Page(2), False)),
    "plan_count": ("plans", lambda s: s.plan_count(False)),
    "subscriptions_by_id": ("plans", lambda s: s.subscriptions_by_id(ONE)),
    "subscriptions_of": ("plans", lambda s: s.subscriptions_of(ONE)),
    "promotions_of": ("plans", lambda s: s.promotions_of(ONE)),
    "quotes_by_id": ("quotes", lambda s: s.quotes_by_id(ONE)),
    "quotes_of": ("quotes", lambda s: s.quotes_of(ONE, Page(2))),
    "quote_counts_of": ("quotes", lambda s: s.quote_counts_of(ONE)),
    "quote lines": ("quotes", lambda s: s.commercial_lines_of("QUOTE", ONE)),
    "orders_by_id": ("orders", lambda s: s.orders_by_id(ONE)),
    "orders_of": ("orders", lambda s: s.orders_of(ONE, Page(2))),
    "order_counts_of": ("orders", lambda s: s.order_counts_of(ONE)),
    "order lines": ("orders", lambda s: s.commercial_lines_of("ORDER", ONE)),
    "delivery_notes_by_id": ("delivery_notes", lambda s: s.delivery_notes_by_id(ONE)),
    "delivery_notes_of": ("delivery_notes", lambda s: s.delivery_notes_of(ONE, Page(2))),
    "delivery_note_counts_of": ("delivery_notes", lambda s: s.delivery_note_counts_of(ONE)),
    "delivery note lines": ("delivery_notes", lambda s: s.commercial_lines_of("DELIVERY_NOTE", ONE)),
    "documents_by_id": ("documents", lambda s: s.documents_by_id(ONE)),
    "documents_of": ("documents", lambda s: s.documents_of(ONE, Page(2))),
    "document_counts_of": ("documents", lambda s: s.document_counts_of(ONE)),
    "comments_of": ("documents", lambda s: s.comments_of("Invoice", ONE)),
}


# Reads of a legacy domain that also read what the store keeps beside it (connectors/portal_commerce.py).
ALSO_THE_STORES = {"quotes_by_id", "quotes_of", "comments_of"}


@pytest.fixture(scope="module")
async def two_stores(tmp_path_factory) -> AsyncIterator[tuple[NativeSource, NativeSource]]:
    """The store and an "erp" source: two native databases of the same small business."""
    folder = tmp_path_factory.mktemp("routing")
    engines = [create_async_engine(f"sqlite+aiosqlite:///{folder / name}.db") for name in ("store", "erp")]
    for engine in engines:
        await generate_demo(engine, customers=4, seed=3, today=TODAY)
    yield NativeSource(engines[0]), NativeSource(engines[1])
    for engine in engines:
        await engine.dispose()


def test_every_read_of_the_protocol_is_written_out_in_the_router() -> None:
    protocol = {
        name for name, _ in inspect.getmembers(base.Source, inspect.isfunction) if not name.startswith("_")
    } - {"reading"}
    # commercial_lines_of is called per kind above; attachment_content reads files, not SQL (below)
    called = {name for name in CALLS if " " not in name} | {"commercial_lines_of", "attachment_content"}
    assert called == protocol
    # a reader (and grep) finds where each read goes
    code = inspect.getsource(RoutedSource)
    assert all(f"async def {name}(" in code for name in protocol)


async def test_an_attachments_bytes_come_from_the_source_of_the_tickets(tmp_path) -> None:
    # given a store and an "erp" whose blob stores differ: only the erp's holds the file
    from ventanilla.connectors.records import Attachment
    from ventanilla.store.blobs import DirectoryBlobs

    erp_files = DirectoryBlobs(tmp_path / "erp")
    key = await erp_files.put(b"%PDF-1.7 comprobante", "application/pdf")
    attachment = Attachment("1", "comprobante.pdf", "application/pdf", 20, sha256=key)
    store = NativeSource(create_async_engine("sqlite+aiosqlite://"), blobs=DirectoryBlobs(tmp_path / "store"))
    erp = NativeSource(create_async_engine("sqlite+aiosqlite://"), blobs=erp_files)
    # when tickets are routed to the erp, and then left to the store
    to_erp = await RoutedSource(store, {"erp": erp}, {"tickets": "erp"}).attachment_content(attachment)
    to_store = await RoutedSource(store, {"erp": erp}, {"invoices": "erp"}).attachment_content(attachment)
    # then
    assert (to_erp, to_store) == (b"%PDF-1.7 comprobante", None)


@pytest.mark.parametrize("domain", list(DOMAINS))
async def test_each_read_goes_to_the_source_of_its_domain(two_stores, domain: str) -> None:
    # given the domain routed to "erp", everything else to the store
    store, erp = two_stores
    routed = RoutedSource(store, {"erp": erp}, {domain: "erp"})
    for source in (routed, routed.reading({})):
        for name, (owner, call) in CALLS.items():
            # when a read is called
            with _statements(store) as on_store, _statements(erp) as on_erp:
                await call(source)
            # then it ran on the erp if it is of that domain, else on the store
            if owner == domain == "tickets":
                # tickets the erp cannot take are kept in the store and merged into its reads
                # (connectors/portal_tickets.py): the store reads only those
                on_store = [sql for sql in on_store if "portal_ticket" not in sql]
            if owner == domain == "invoices":
                # online payments approved in the portal are laid over the erp's billing until it posts
                # them (connectors/portal_payments.py): the store reads only those
                on_store = [sql for sql in on_store if "payment_attempts" not in sql]
            if owner == domain == "contracts":
                # a contract signed in the portal reads SIGNED from the store's evidence row
                # (connectors/signed_contracts.py): the store reads only those
                on_store = [sql for sql in on_store if "contract_signatures" not in sql]
            where = (on_erp, on_store) if owner == domain else (on_store, on_erp)
            if owner == domain and name in ALSO_THE_STORES:
                # the portal's own records beside a legacy source (decisions, comments) are read too
                assert on_erp and on_store, f"{name} of {owner} with {domain} routed to erp"
                continue
            assert where[0] and not where[1], f"{name} of {owner} with {domain} routed to erp"


def test_routes_name_known_domains_and_configured_sources(two_stores) -> None:
    store, erp = two_stores
    with pytest.raises(ValueError, match=r"unknown domains \['bills'\]"):
        RoutedSource(store, {"erp": erp}, {"bills": "erp"})
    with pytest.raises(ValueError, match=r"invoices = 'sap': no \[sources.sap\]"):
        RoutedSource(store, {"erp": erp}, {"invoices": "sap"})
    routed = RoutedSource(store, {"erp": erp}, {"tickets": "erp", "plans": "store"})
    assert routed.routes["plans"] == routed.routes["invoices"] == "store"
    # a native source declares no writes of its own: they go to the store, its tickets to the
    # store's portal tickets merged into the erp's (connectors/portal_tickets.py)
    assert routed.writes_for("tickets", "tickets") is routed.portal_tickets is not None
    assert routed.writes_for("invoices", "tickets") is store


class _statements:
    """The statements a source's engine runs while the block runs."""

    def __init__(self, source: NativeSource) -> None:
        self.engine = source.engine.sync_engine
        self.seen: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
