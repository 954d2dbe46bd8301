"""One source down, the rest of the response still arrives (issue 15, item 3).

A field whose resolver reads a source (a connector call, through a loader) is nullable: when its
source is down only that field is null, with one SOURCE_UNAVAILABLE error at its own path, and
everything read from the healthy sources still arrives. Each domain in turn is routed to a legacy
database (native tables, the `sap` preset on PostgreSQL, the `ispcube` preset on MariaDB) behind a
TCP proxy this test stops; every other domain stays on the store.
"""

from __future__ import annotations

import copy
import dis
import inspect
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import GraphQLNonNull, GraphQLObjectType
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.routing import DOMAINS
from ventanilla.connectors.sql.mapping import load_connector
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.demo.legacy.ispcube import write_ispcube_demo
from ventanilla.demo.legacy.sap import write_sap_demo
from ventanilla.schema.root import build_schema
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_legacy_database
from .proxy import Proxy, through

TODAY = date(2026, 6, 15)
TIMEOUT = 5.0  # a legacy source's own; the machine may be busy with other suites

# --- the rule: a field that reads a source is nullable ------------------------------------------


def _names(function: Callable[..., Any]) -> Iterator[object]:
    """What `function` names from its module: globals, and attributes of the modules among them."""
    for instruction, following in pairwise(dis.get_instructions(function)):
        if instruction.opname == "LOAD_GLOBAL":
            found = function.__globals__.get(instruction.argval)
            if inspect.ismodule(found) and following.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                found = getattr(found, following.argval, None)
            yield found


def _reads_a_source(resolver: Callable[..., Any]) -> bool:
    """Every read of a source or a loader is awaited: a resolver reads one when it is a coroutine
    function, or when it hands back the awaitable of one it calls (a lambda around an async
    resolver function)."""
    return inspect.iscoroutinefunction(resolver) or any(
        inspect.iscoroutinefunction(f) for f in _names(resolver)
    )


# Fields that read the store but answer without it: `portal` reads the admin's branding and, with
# the store down, serves the configuration's (resolvers/context.py `Context.branding`).
NEVER_FAIL = {"Query.portal"}


def test_every_field_that_reads_a_source_is_nullable():
    # given every field of every object type a query reaches (mutations keep their payloads' shape)
    schema = build_schema()._schema
    non_null, reading = [], []
    for name, gtype in schema.type_map.items():
        if name.startswith("__") or gtype is schema.mutation_type or not isinstance(gtype, GraphQLObjectType):
            continue
        for field_name, field in gtype.fields.items():
            resolver = field.extensions["strawberry-definition"].base_resolver
            if resolver is None or not _reads_a_source(resolver.wrapped_func):
                continue
            reading.append(f"{name}.{field_name}")
            if f"{name}.{field_name}" in NEVER_FAIL:
                continue
            if isinstance(field.type, GraphQLNonNull):
                non_null.append(f"{name}.{field_name}: {field.type}")
    # then each of them is nullable, so that its source's failure nulls only itself
    assert "Customer.invoices" in reading and "Viewer.accounts" in reading  # the walk sees what it must
    assert non_null == []


def test_fields_that_read_nothing_external_stay_non_null():
    schema = build_schema()._schema
    query, viewer = schema.query_type.fields, schema.type_map["Viewer"].fields
    assert str(query["viewer"].type) == "Viewer!" and str(query["portal"].type) == "PortalInfo!"
    assert str(viewer["kind"].type) == "ViewerKind!"
    assert str(schema.type_map["Invoice"].fields["number"].type) == "String!"
    # a list that can fail is null as a whole; its elements stay non-null
    assert str(viewer["accounts"].type) == "[Customer!]"
    assert str(schema.type_map["Customer"].fields["invoices"].type) == "InvoiceConnection"


# --- one domain's source down at a time ---------------------------------------------------------

DASHBOARD = """
{
  portal { name features }
  viewer {
    kind name mustChangePassword
    accounts { id name }
    customer {
      id code name status
      emails { address } phones { number }
      company { name }
      account { balance { amount } unpaidTotal { amount } overdue { amount } }
      invoices(first: 2) { totalCount nodes { number total { amount } lines { description } comments { body } } }
      payments(first: 2) { nodes { number invoices { number } } }
      ledger(first: 2) { nodes { documentNumber balance { amount } } }
      statement { total { amount } openItems { documentNumber } }
      tickets(first: 2) { totalCount nodes { number subject messages { body } } }
      contracts(first: 2) { nodes { title status } }
      subscriptions { status plan { name } promotions { name } }
      quotes(first: 2) { nodes { number lines { description } } }
      orders(first: 2) { nodes { number lines { description } } }
      deliveryNotes(first: 2) { nodes { number lines { description } } }
      documents(first: 2) { nodes { title comments { body } } }
      paymentMethods { label }
      paymentCommitments { days }
    }
  }
  plans(first: 2) { nodes { name } }
}
"""

CUSTOMER = "viewer.customer."
# The fields of DASHBOARD each domain's source answers: null, with one error each, when it is down.
FAILS: dict[str, list[str]] = {
    "customers": ["viewer.accounts", "viewer.customer"],
    "invoices": [CUSTOMER + f for f in ("account", "invoices", "payments", "ledger", "statement")],
    "payment_methods": [CUSTOMER + "paymentMethods"],
    "payment_commitments": [CUSTOMER + "paymentCommitments"],
    "tickets": [CUSTOMER + "tickets"],
    "contracts": [CUSTOMER + "contracts"],
    "plans": [CUSTOMER + "subscriptions", "plans"],
    "quotes": [CUSTOMER + "quotes"],
    "orders": [CUSTOMER + "orders"],
    "delivery_notes": [CUSTOMER + "deliveryNotes"],
    # comments on any document are read from the documents' source
    "documents": [
        CUSTOMER + f for f in ("documents", "invoices.nodes.0.comments", "invoices.nodes.1.comments")
    ],
}


def test_every_domain_is_drilled():
    assert set(FAILS) == set(DOMAINS)


@dataclass
class Legacy:
    """A legacy database with the demo business, reached through a proxy the tests stop."""

    connector: str
    url: str
    proxy: Proxy


WRITERS = {"native": ("postgresql", generate_demo), "sap": ("postgresql", write_sap_demo),
           "ispcube": ("mariadb", write_ispcube_demo)}  # fmt: skip


@pytest.fixture(scope="module")
async def business(tmp_path_factory) -> AsyncIterator[tuple[str, dict[str, Legacy]]]:
    """The store (SQLite) and the same demo business in each legacy shape, each behind a proxy."""
    folder = tmp_path_factory.mktemp("partial")
    async with fresh_legacy_database("sqlite", folder) as store_url:
        engine = create_async_engine(store_url)
        await generate_demo(engine, customers=4, seed=3, today=TODAY)
        await engine.dispose()
        legacy: dict[str, Legacy] = {}
        async with AsyncExitStack() as databases:
            for connector, (backend, write) in WRITERS.items():
                url = await databases.enter_async_context(fresh_legacy_database(backend, folder))
                engine = create_async_engine(url)
                await write(engine, customers=4, seed=3, today=TODAY)
                await engine.dispose()
                target = make_url(url)
                proxy = Proxy(target.host or "127.0.0.1", target.port or 0)
                await proxy.start()
                databases.push_async_callback(proxy.stop)
                legacy[connector] = Legacy(connector, through(url, proxy), proxy)
            yield store_url, legacy


@pytest.fixture(scope="module")
async def token(business) -> str:
    """The demo customer's bearer token: every app below serves the same store and secret."""
    app = create_app(Settings(database_url=business[0], secret_key=TEST_SECRET, timezone="UTC"))
    login, password = CUSTOMER_LOGIN
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        signed = await client.post(
            "/graphql", json={"query": SIGN_IN, "variables": {"login": login, "password": password}}
        )
    await app.state.close()
    return signed.json()["data"]["signIn"]["accessToken"]


class Gateway:
    """The app with `domain` routed to a legacy source and every other domain on the store."""

    def __init__(self, store_url: str, source: Legacy, domain: str, folder: Path, token: str) -> None:
        config = folder / f"{source.connector}-{domain}.toml"
        config.write_text(
            f'[sources.erp]\nconnector = "{source.connector}"\nurl = "{source.url}"\n'
            f'timeout_seconds = {TIMEOUT}\n\n[routes]\n{domain} = "erp"\n'
        )
        os.environ["VENTANILLA_CONFIG"] = str(config)
        try:
            self.app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.source = source

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await self.app.state.close()

    async def ask(self, query: str) -> dict:
        response = await self.client.post("/graphql", json={"query": query}, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def ask_while_down(self, query: str) -> dict:
        """`query` answered while the legacy source refuses connections; it is back afterwards."""
        await self.source.proxy.stop()
        try:
            return await self.ask(query)
        finally:
            await self.source.proxy.start()


def _steps(path: str) -> list[str | int]:
    return [int(step) if step.isdigit() else step for step in path.split(".")]


def nulled(data: dict, paths: list[str]) -> dict:
    """`data` with the field at each path set to null."""
    data = copy.deepcopy(data)
    for path in paths:
        *parents, last = _steps(path)
        holder: Any = data
        for step in parents:
            holder = holder[step]
        holder[last] = None
    return data


def failed_paths(body: dict) -> list[str]:
    assert {e["extensions"]["code"] for e in body.get("errors", [])} <= {"SOURCE_UNAVAILABLE"}, body["errors"]
    return sorted(".".join(str(step) for step in e["path"]) for e in body.get("errors", []))


def _mapped(connector: str) -> list[str]:
    """The domains a connector reads (one its mapping leaves out reads as empty: no query to fail)."""
    relations = None if connector == "native" else load_connector(connector).relations
    return [d for d in DOMAINS if relations is None or d in relations]


CASES = [(c, d) for c in WRITERS for d in _mapped(c)]


@pytest.mark.parametrize(("connector", "domain"), CASES, ids=[f"{c}-{d}" for c, d in CASES])
async def test_one_domain_down_every_other_field_still_answers(
    business, token, tmp_path, connector, domain
) -> None:
    store_url, legacy = business
    source = legacy[connector]
    async with Gateway(store_url, source, domain, tmp_path, token) as gateway:
        # given the dashboard answered whole, the domain read from the legacy source
        healthy = await gateway.ask(DASHBOARD)
        assert "errors" not in healthy, healthy["errors"]
        assert all(nulled(healthy["data"], [p]) != healthy["data"] for p in FAILS[domain])  # there was data
        # when that source is down
        body = await gateway.ask_while_down(DASHBOARD)
        # then only its fields are null, each with one SOURCE_UNAVAILABLE at its own path,
        # and every other field answers what it answered before
        assert failed_paths(body) == sorted(FAILS[domain])
        assert body["data"] == nulled(healthy["data"], FAILS[domain])
        # and when it is back, the whole dashboard again
        assert await gateway.ask(DASHBOARD) == healthy


# --- the two queries ----------------------------------------------------------------------

ACCOUNT_AND_TICKETS = (
    "{ viewer { customer { name account { balance { amount } } tickets(first: 2) { nodes { number } } } } }"
)
PORTAL_AND_ACCOUNTS = "{ portal { name } viewer { kind accounts { name } } }"


@pytest.mark.parametrize("connector", list(WRITERS))
async def test_tickets_down_keeps_the_name_and_the_account(business, token, tmp_path, connector) -> None:
    # given tickets routed to a legacy source that is down (connections refused)
    store_url, legacy = business
    async with Gateway(store_url, legacy[connector], "tickets", tmp_path, token) as gateway:
        body = await gateway.ask_while_down(ACCOUNT_AND_TICKETS)
    # then the customer's name and account, read from the store, arrive; tickets alone are null
    customer = body["data"]["viewer"]["customer"]
    assert customer["name"] and customer["account"]["balance"]["amount"]
    assert customer["tickets"] is None
    assert failed_paths(body) == ["viewer.customer.tickets"]


async def test_a_stalled_tickets_source_answers_the_rest_within_its_timeout(
    business, token, tmp_path
) -> None:
    # given tickets routed to the sap database, which accepts connections and never answers
    store_url, legacy = business
    source = legacy["sap"]
    async with Gateway(store_url, source, "tickets", tmp_path, token) as gateway:
        await source.proxy.blackhole()
        try:
            started = time.monotonic()
            body = await gateway.ask(ACCOUNT_AND_TICKETS)
            seconds = time.monotonic() - started
        finally:
            await source.proxy.restore()
    # then the rest arrives within the source's timeout, tickets null with its error
    assert seconds < TIMEOUT + 1
    assert body["data"]["viewer"]["customer"]["name"]
    assert body["data"]["viewer"]["customer"]["tickets"] is None
    assert failed_paths(body) == ["viewer.customer.tickets"]


@pytest.mark.parametrize("connector", list(WRITERS))
async def test_customers_down_keeps_the_portal_and_the_viewer(business, token, tmp_path, connector) -> None:
    # given the customer accounts routed to a legacy source that is down
    store_url, legacy = business
    async with Gateway(store_url, legacy[connector], "customers", tmp_path, token) as gateway:
        body = await gateway.ask_while_down(PORTAL_AND_ACCOUNTS)
    # then the portal and who is calling arrive; the accounts alone are null
    assert body["data"]["portal"]["name"]
    assert body["data"]["viewer"] == {"kind": "CUSTOMER", "accounts": None}
    assert failed_paths(body) == ["viewer.accounts"]
