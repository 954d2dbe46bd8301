"""The full API served from legacy-shaped databases (routing in ventanilla.toml) answers as the native store.

Each app is the real one (create_app) over a store holding the demo business and its sign-ins, with
[routes] sending every domain the legacy schema holds to it; the README's dashboard, statement and
analyst queries must come back the same as from the native store alone.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.routing import RoutedSource
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN, generate_demo
from ventanilla.demo.legacy import WRITERS
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_legacy_database

TODAY = date.today()
CUSTOMERS, SEED = 14, 5

DASHBOARD = """
{ viewer {
    accounts { id name company { name } }
    customer {
      name code taxId { formatted }
      account { unpaidTotal { amount currency } balance { amount } overdue { amount } availableCredit { amount } }
      invoices(first: 12) {
        nodes { number issueDate dueDate total { amount } balanceDue { amount } status
                lines { description quantity total { amount } } paymentCode { code barcode } pdfUrl }
        pageInfo { hasNextPage endCursor }
      }
      tickets(first: 10, filter: {openOnly: true}) { nodes { number subject status messages { author body createdAt } } }
      contracts { nodes { title status pendingSignature pdfUrl } }
      subscriptions { plan { name downloadMbps } price { amount } serviceAddress { street city }
                      promotions { name active validTo } }
    }
} }
"""

STATEMENT = """
query($id: ID!, $cutOff: Date) { customer(id: $id) { statement(cutOff: $cutOff) {
  creditLimit { amount } overdue { amount } notYetDue { amount } total { amount } availableCredit { amount }
  aging { label amount { amount } items }
  openItems { documentNumber postedOn dueDate daysOverdue openAmount { amount } }
  pdfUrl xlsxUrl } } }
"""

OVERDUE_CUSTOMERS = """
{ customers(first: 100, filter: {overdueOnly: true}) {
    nodes { code name status account { overdue { amount } balance { amount } } }
    pageInfo { hasNextPage endCursor } } }
"""

ROUTES = {
    "sap": ["customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes"],
    "sapb1": ["customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes"],
    "ispcube": ["customers", "invoices", "tickets", "contracts", "plans", "payment_commitments"],
}
BACKENDS = {"sap": "postgresql", "sapb1": "postgresql", "ispcube": "mariadb"}
LEGACY = list(ROUTES)
# B1 keeps service-call and activity times as HHMM: compared to the minute.
TO_THE_MINUTE = {"sapb1"}


def _comparable(value: Any, minutes: bool = False) -> Any:
    """Drop what legitimately differs between sources: signed links and opaque cursors; open items
    due and posted the same day may come in another order between number ranges."""
    if isinstance(value, dict):
        return {
            k: _minute(v) if minutes and k.endswith("At") else _comparable(v, minutes)
            for k, v in value.items()
            if not k.endswith("Url") and k not in ("endCursor", "cursor")
        }
    if isinstance(value, list):
        items = [_comparable(v, minutes) for v in value]
        if items and isinstance(items[0], dict) and "documentNumber" in items[0]:
            items.sort(key=lambda i: (i["dueDate"], i["postedOn"], i["documentNumber"]))
        return items
    return value


def _minute(value: Any) -> Any:
    """An ISO instant ("2026-06-01T10:42:13+00:00") cut to the minute."""
    return value[:16] if isinstance(value, str) and len(value) > 16 and value[10] == "T" else value


async def _app(url: str, config: str | None) -> tuple[Any, httpx.AsyncClient]:
    if config:
        os.environ["VENTANILLA_CONFIG"] = config
    try:
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
    finally:
        os.environ.pop("VENTANILLA_CONFIG", None)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return app, client


@pytest.fixture(scope="session")
async def served(tmp_path_factory) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The native app, and one app per legacy connector over the same generated business."""
    tmp = tmp_path_factory.mktemp("served")
    clients: dict[str, httpx.AsyncClient] = {}
    cleanup = []
    for name in ("native", *LEGACY):
        store_cm = fresh_legacy_database("sqlite", tmp)
        store_url = await store_cm.__aenter__()
        store = create_async_engine(store_url)
        await generate_demo(store, customers=CUSTOMERS, seed=SEED, today=TODAY)
        await store.dispose()
        config = None
        if name != "native":
            legacy_cm = fresh_legacy_database(BACKENDS[name], tmp)
            legacy_url = await legacy_cm.__aenter__()
            legacy = create_async_engine(legacy_url)
            await WRITERS[name](legacy, customers=CUSTOMERS, seed=SEED, today=TODAY)
            await legacy.dispose()
            path = tmp / f"{name}.toml"
            routes = "\n".join(f'{domain} = "erp"' for domain in ROUTES[name])
            path.write_text(
                f'[sources.erp]\nconnector = "{name}"\nurl = "{legacy_url}"\n\n[routes]\n{routes}\n'
            )
            config = str(path)
            cleanup.append(legacy_cm)
        app, client = await _app(store_url, config)
        assert isinstance(app.state.source, RoutedSource) == (config is not None)
        clients[name] = client
        cleanup.append((app, client, store_cm))
    yield clients
    for item in reversed(cleanup):
        if isinstance(item, tuple):
            app, client, store_cm = item
            await client.aclose()
            if isinstance(app.state.source, RoutedSource):
                await app.state.source.dispose()
            await app.state.close()
            await store_cm.__aexit__(None, None, None)
        else:
            await item.__aexit__(None, None, None)


async def _gql(
    client: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None
) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def _token(client: httpx.AsyncClient, login: tuple[str, str]) -> str:
    data = await _gql(client, SIGN_IN, {"login": login[0], "password": login[1]})
    return data["signIn"]["accessToken"]


@pytest.mark.parametrize("connector", LEGACY)
async def test_the_customer_portal_answers_as_native(served, connector: str) -> None:
    # given
    native, legacy = served["native"], served[connector]
    tokens = [await _token(c, CUSTOMER_LOGIN) for c in (native, legacy)]
    minutes = connector in TO_THE_MINUTE
    # when
    dashboards = [await _gql(c, DASHBOARD, token=t) for c, t in zip((native, legacy), tokens)]
    # then
    assert dashboards[0]["viewer"]["customer"]["invoices"]["nodes"]
    assert _comparable(dashboards[1], minutes) == _comparable(dashboards[0], minutes)
    for account in dashboards[0]["viewer"]["accounts"]:
        for cut_off in ("2026-06-30", str(TODAY), "2025-12-31"):
            variables = {"id": account["id"], "cutOff": cut_off}
            statements = [await _gql(c, STATEMENT, variables, t) for c, t in zip((native, legacy), tokens)]
            assert _comparable(statements[1]) == _comparable(statements[0])


@pytest.mark.parametrize("connector", LEGACY)
async def test_the_analyst_list_answers_as_native(served, connector: str) -> None:
    native, legacy = served["native"], served[connector]
    answers = [
        await _gql(c, OVERDUE_CUSTOMERS, token=await _token(c, ANALYST_LOGIN)) for c in (native, legacy)
    ]
    assert answers[0]["customers"]["nodes"]
    assert _comparable(answers[1]) == _comparable(answers[0])


INVOICE_NODE = """
query($id: ID!) { node(id: $id) { id ... on Invoice { number kind total { amount } lines { description } } } }
"""


async def test_a_b1_invoice_and_credit_memo_with_the_same_doc_entry_are_two_records(served) -> None:
    # given OINV DocEntry 1 and ORIN DocEntry 1 (B1 numbers credit memos on their own)
    client = served["sapb1"]
    token = await _token(client, ANALYST_LOGIN)
    ids = [to_global_id("Invoice", key) for key in ("1", "R1")]
    # when each is fetched by its global id
    found = [(await _gql(client, INVOICE_NODE, {"id": i}, token))["node"] for i in ids]
    # then they are two documents, each under its own id
    assert [f["id"] for f in found] == ids
    assert found[0]["kind"] != "CREDIT_NOTE" and found[1]["kind"] == "CREDIT_NOTE"
    assert found[0]["number"] != found[1]["number"] and found[1]["lines"]


# Reading only what a query asks for (connectors/narrowing.py), through every connector.
NARROW_PLACES = ("Customer", "Invoice", "Payment", "Ticket", "Contract", "PlanSubscription", "Statement")


@pytest.mark.parametrize("connector", LEGACY)
async def test_each_field_asked_alone_answers_as_in_the_whole_object(served, connector: str) -> None:
    from .test_selection import PLACES, _objects, _selections

    client = served[connector]
    token = await _token(client, CUSTOMER_LOGIN)
    for type_name in NARROW_PLACES:
        place, fields = PLACES[type_name], _selections(type_name)
        whole = _objects(await _gql(client, "{ %s }" % (place % " ".join(fields.values())), token=token), place)
        assert whole, type_name
        for name, selection in fields.items():
            alone = _objects(await _gql(client, "{ %s }" % (place % selection), token=token), place)
            assert [o[name] for o in alone] == [o[name] for o in whole], f"{connector} {type_name}.{name}"


async def test_a_narrow_query_leaves_the_joins_it_does_not_need_out_of_the_sql(served) -> None:
    # given: SAP's invoices join ZAFIP_CAE for the electronic authorisation code
    from sqlalchemy import event

    client = served["sap"]
    token = await _token(client, CUSTOMER_LOGIN)
    page = await _gql(client, "{ viewer { customer { invoices(first: 3) { nodes { id } } } } }", token=token)
    ids = [node["id"] for node in page["viewer"]["customer"]["invoices"]["nodes"]]
    legacy = client._transport.app.state.source.sources["erp"].engine.sync_engine  # type: ignore[attr-defined]
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    nodes = " ".join(f'i{n}: node(id: "{i}") {{ ... on Invoice {{ number FIELDS }} }}' for n, i in enumerate(ids))
    by_id = "{ " + nodes + " }"
    event.listen(legacy, "before_cursor_execute", listener)
    try:
        # when
        narrow_answer = await _gql(client, by_id.replace("FIELDS", ""), token=token)
        narrow = list(executed)
        executed.clear()
        wide_answer = await _gql(client, by_id.replace("FIELDS", "cae"), token=token)
        wide = list(executed)
    finally:
        event.remove(legacy, "before_cursor_execute", listener)
    # then
    assert [n["number"] for n in narrow_answer.values()] == [n["number"] for n in wide_answer.values()]
    assert len(narrow) == len(wide) == 1
    assert "ZAFIP_CAE" not in narrow[0] and "ZAFIP_CAE" in wide[0]


ANALYST_LIST = """
{ customers(first: FIRST) { nodes {
    name account { overdue { amount } balance { amount } }
    invoices(first: 3) { nodes { number status total { amount } } }
    tickets(first: 2) { nodes { subject } }
} } }
"""


@pytest.mark.parametrize("connector", LEGACY)
async def test_statements_do_not_grow_with_the_customers_listed(served, connector: str) -> None:
    # given: the analyst list, with each customer's figures, invoices and tickets
    from sqlalchemy import event

    client = served[connector]
    token = await _token(client, ANALYST_LOGIN)
    app = client._transport.app  # type: ignore[attr-defined]
    engines = [app.state.reads.sync_engine, app.state.source.sources["erp"].engine.sync_engine]
    executed: list[str] = []
    listener = lambda *args: executed.append(args[2])  # noqa: E731
    counts, sizes = [], []
    for first in (2, CUSTOMERS):
        for engine in engines:
            event.listen(engine, "before_cursor_execute", listener)
        try:
            # when
            data = await _gql(client, ANALYST_LIST.replace("FIRST", str(first)), token=token)
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(executed))
        sizes.append(len(data["customers"]["nodes"]))
        executed.clear()
    # then: seven times the customers, the same statements (list, totals, invoices, tickets, the
    # store's approved payment attempts laid over the totals and the invoices: connectors/portal_payments.py,
    # and the request's session and feature switches, read on the same pool: store/engine.py)
    assert sizes == [2, CUSTOMERS]
    assert 3 <= counts[0] == counts[1] <= 9, counts


TOTALS = """
{ viewer { accounts {
    invoices(first: 1) { totalCount } unpaid: invoices(first: 1, filter: {unpaidOnly: true}) { totalCount }
    payments(first: 1) { totalCount } ledger(first: 1, from: "2025-01-01") { totalCount }
    tickets(first: 1, filter: {openOnly: true}) { totalCount } contracts(first: 1) { totalCount }
    quotes(first: 1) { totalCount } orders(first: 1) { totalCount } deliveryNotes(first: 1) { totalCount }
    documents(first: 1) { totalCount } } }
  plans(first: 1) { totalCount } }
"""

CUSTOMER_TOTALS = """
{ all: customers(first: 1) { totalCount } overdue: customers(first: 1, filter: {overdueOnly: true}) { totalCount }
  search: customers(first: 1, filter: {search: "a"}) { totalCount } }
"""


@pytest.mark.parametrize("connector", LEGACY)
async def test_total_counts_from_the_routed_sources_are_the_native_ones(served, connector: str) -> None:
    # given the same business served natively and from a legacy schema
    native, legacy = served["native"], served[connector]
    for login, query in ((CUSTOMER_LOGIN, TOTALS), (ANALYST_LOGIN, CUSTOMER_TOTALS)):
        # when every connection's totalCount is asked for
        answers = [await _gql(c, query, token=await _token(c, login)) for c in (native, legacy)]
        # then each legacy count is the native one, counted beyond the page of one
        assert answers[1] == answers[0]
        lists = answers[0]["viewer"]["accounts"] if "viewer" in answers[0] else [answers[0]]
        assert all(max(c["totalCount"] for c in counts.values()) > 1 for counts in lists)
