"""The planned execution (web/execution.py) answers exactly as graphql-core's own.

Every query document of the test suite and of the README (collected from the source: each
string constant of tests/*.py and each ```graphql block of README.md that parses as queries
only; mutations change the data, so a second run would differ for reasons of their own) runs
against two apps over the same databases: the real one, whose plain fields the plan completes,
and one whose schema runs graphql-core's execution context for every field. Their JSON must be
identical, data and errors alike (authorization refusals, not-found, bad input), for a customer
and an analyst, on the native store (SQLite and PostgreSQL), on each legacy connector (sap and
sapb1 on PostgreSQL, ispcube on MariaDB), and with the sap source down (partial answers,
SOURCE_UNAVAILABLE). Only the signatures of download links are cut (they
carry their expiry instant, which moves between two requests), and errors are compared in the
order of their paths (concurrent failures are recorded in the order they happen).
"""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from graphql import NonNullTypeNode, OperationDefinitionNode, OperationType, parse, print_ast
from sqlalchemy.ext.asyncio import create_async_engine
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from ventanilla.connectors.routing import RoutedSource
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN
from ventanilla.demo.legacy import WRITERS
from ventanilla.schema.relay import to_global_id
from ventanilla.settings import Settings
from ventanilla.web import execution
from ventanilla.web import graphql as view_module
from ventanilla.web.app import create_app

from .conftest import DEMO_TEMPLATES, SIGN_IN, TEST_SECRET, fresh_legacy_database
from .test_api_portal import DASHBOARD
from .test_garbage import left_for_the_collector

ROOT = Path(__file__).resolve().parent.parent
TODAY = date.today()
CUSTOMERS, SEED = 12, 5
ROUTES = {
    "sap": ["customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes"],
    "sapb1": ["customers", "invoices", "tickets", "contracts", "plans", "quotes", "orders", "delivery_notes"],
    "ispcube": ["customers", "invoices", "tickets", "contracts", "plans", "payment_commitments"],
}
# "sap-down": the sap routes to a database nobody answers on, for partial answers (SOURCE_UNAVAILABLE).
SETUPS = {
    "sap-down": "none",
    "native-sqlite": "sqlite",
    "native-postgresql": "postgresql",
    "sap": "postgresql",
    "sapb1": "postgresql",
    "ispcube": "mariadb",
}
# Values for a document's required variables, by type; nullable ones are left out.
REQUIRED = {"Int!": 5, "Date!": "2026-06-30", "String!": "a"}


def query_documents() -> list[str]:
    """The query documents of tests/*.py and README.md, each once, in a stable order."""
    found: set[str] = set()
    texts = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{" in node.value:
                texts.append(node.value)
    texts += re.findall(r"```graphql\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    for text in texts:
        try:
            document = parse(text)
        except Exception:
            continue
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) == 1 and operations[0].operation == OperationType.QUERY:
            found.add(text)
    return sorted(found)


DOCUMENTS = query_documents()


def variable_sets(text: str, ids: list[str]) -> list[dict[str, Any]] | None:
    """The variables to run a document with: one set per id for an `ID!`, else one set; None when
    it needs a value of a kind this test does not make."""
    (operation,) = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    base: dict[str, Any] = {}
    id_names = []
    for definition in operation.variable_definitions or ():
        if not isinstance(definition.type, NonNullTypeNode) or definition.default_value is not None:
            continue
        kind, name = print_ast(definition.type), definition.variable.name.value
        if kind == "ID!":
            id_names.append(name)
        elif kind in REQUIRED:
            base[name] = REQUIRED[kind]
        else:
            return None
    if not id_names:
        return [base]
    return [{**base, **dict.fromkeys(id_names, one)} for one in ids]


def comparable(value: Any) -> Any:
    """The answer, with each download link cut before its signature (it carries an expiry instant)."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str) and "/files/" in value and "?" in value:
        return value.split("?", 1)[0]
    return value


def _app(url: str, config: str | None, planned: bool) -> Any:
    if config:
        os.environ["VENTANILLA_CONFIG"] = config
    kept = view_module.PlannedExecution
    if not planned:
        view_module.PlannedExecution = StrawberryGraphQLCoreExecutionContext  # type: ignore[misc]
    try:
        return create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
    finally:
        view_module.PlannedExecution = kept  # type: ignore[misc]
        os.environ.pop("VENTANILLA_CONFIG", None)


@pytest.fixture(scope="module", params=list(SETUPS))
async def twins(request, tmp_path_factory) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(planned, plain): two apps over one store and, for a connector, one legacy database."""
    name = request.param
    tmp = tmp_path_factory.mktemp("planned")
    store_backend = SETUPS[name] if name.startswith("native") else "sqlite"
    async with DEMO_TEMPLATES.copy(
        store_backend, tmp, customers=CUSTOMERS, seed=SEED, today=TODAY
    ) as store_url:
        config = None
        legacy_cm = None
        if name == "sap-down":
            legacy_url = "postgresql+asyncpg://postgres@127.0.0.1:1/nobody"  # connection refused
        elif not name.startswith("native"):
            legacy_cm = fresh_legacy_database(SETUPS[name], tmp)
            legacy_url = await legacy_cm.__aenter__()
            legacy = create_async_engine(legacy_url)
            await WRITERS[name](legacy, customers=CUSTOMERS, seed=SEED, today=TODAY)
            await legacy.dispose()
        if not name.startswith("native"):
            connector = name.removesuffix("-down")
            # Down, it serves what a sign-in does not need: the customers stay native.
            domains = (
                ROUTES[connector] if connector == name else ["invoices", "tickets", "contracts", "plans"]
            )
            routes = "\n".join(f'{domain} = "erp"' for domain in domains)
            path = tmp / f"{name}.toml"
            path.write_text(
                f'[sources.erp]\nconnector = "{connector}"\nurl = "{legacy_url}"\n\n[routes]\n{routes}\n'
            )
            config = str(path)
        apps = [_app(store_url, config, planned) for planned in (True, False)]
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://testserver")
            for a in apps
        ]
        try:
            yield clients[0], clients[1]
        finally:
            for app, client in zip(apps, clients):
                await client.aclose()
                if isinstance(app.state.source, RoutedSource):
                    await app.state.source.dispose()
                await app.state.close()
            if legacy_cm is not None:
                await legacy_cm.__aexit__(None, None, None)


async def _post(client: httpx.AsyncClient, query: str, variables: dict, token: str) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = comparable(response.json())
    if isinstance(body, dict) and body.get("errors"):
        # Fields that fail concurrently (a source down) record their errors in the order they
        # fail, which the event loop decides and GraphQL does not define: compared by path.
        body["errors"] = sorted(body["errors"], key=lambda e: repr(e.get("path")))
    return response.status_code, body


async def _token(client: httpx.AsyncClient, login: tuple[str, str]) -> str:
    response = await client.post(
        "/graphql", json={"query": SIGN_IN, "variables": {"login": login[0], "password": login[1]}}
    )
    return response.json()["data"]["signIn"]["accessToken"]


IDS = """{ viewer { customer { id invoices(first: 2) { nodes { id } } tickets(first: 1) { nodes { id } }
  contracts { nodes { id } } } } }"""


def test_the_documents_are_collected_from_the_suite_and_the_readme() -> None:
    assert len(DOCUMENTS) > 100
    assert any("viewer" in d and "invoices" in d for d in DOCUMENTS)


def test_the_plan_marks_only_attribute_reads_plain() -> None:
    from ventanilla.schema.root import build_schema

    schema = build_schema()._schema
    plan = execution.plan_of(schema)
    invoice = schema.type_map["Invoice"]
    assert plan.of(invoice, "number") is not None  # a record's attribute
    assert plan.of(invoice, "lines") is None  # a list of objects, through its resolver
    money = plan.of(invoice, "total")  # an object read as it is, its subfields executed directly
    assert money is not None and money.object_type is schema.type_map["Money"]
    # an object graphql-core checks with is_type_of (which takes a resolve info) goes through it
    assert plan.of(schema.type_map["InvoiceEdge"], "node") is None
    status = plan.of(invoice, "status")  # worked out from the invoice alone: called in place
    assert status is not None and status.compute is not None
    assert plan.of(invoice, "pdfUrl") is None  # its resolver asks for the Info (the request's links)
    query = schema.query_type
    assert all(plan.of(query, name) is None for name in query.fields)  # every root field has a resolver


_CALLS: Counter[str] = Counter()


@strawberry.type
class _Item:
    n: int

    @strawberry.field
    def double(self) -> int:
        _CALLS["double"] += 1
        return self.n * 2

    broken: int = strawberry.field(resolver=lambda root: 1 // (root.n - root.n))
    missing: int = strawberry.field(resolver=lambda root: None)
    maybe: str | None = strawberry.field(resolver=lambda root: None if root.n == 1 else "two")

    @strawberry.field
    def with_info(self, info: strawberry.Info) -> int:
        return len(info.path.as_list())


@strawberry.type
class _Items:
    @strawberry.field
    def items(self) -> list[_Item]:
        return [_Item(n=1), _Item(n=2)]


def test_a_field_worked_out_from_its_parent_alone_answers_and_fails_as_graphql_core_does() -> None:
    texts = ("{ items { n double maybe withInfo } }", "{ items { n broken } }", "{ items { missing } }")
    answers = {}
    for context in (execution.PlannedExecution, StrawberryGraphQLCoreExecutionContext):
        schema = strawberry.Schema(_Items, execution_context_class=context)
        results = [schema.execute_sync(text) for text in texts]
        answers[context] = [(r.data, [(e.message, e.path) for e in r.errors or ()]) for r in results]
    planned = answers[execution.PlannedExecution]
    assert planned == answers[StrawberryGraphQLCoreExecutionContext]
    assert planned[0][0] == {"items": [{"n": 1, "double": 2, "maybe": None, "withInfo": 3},
                                       {"n": 2, "double": 4, "maybe": "two", "withInfo": 3}]}  # fmt: skip
    # a non-null item fails: its null takes the whole list, as graphql-core's completion does
    assert planned[1] == (None, [("integer division or modulo by zero", ["items", 0, "broken"])])
    assert planned[2] == (None, [("Cannot return null for non-nullable field Item.missing.", ["items", 0, "missing"])])
    assert _CALLS["double"] == 4  # once per item in each execution, as graphql-core calls it
    schema = strawberry.Schema(_Items, execution_context_class=execution.PlannedExecution)._schema
    plan, item = execution.plan_of(schema), schema.type_map["Item"]
    assert [plan.of(item, name) is not None for name in ("double", "broken", "maybe", "withInfo")] == [
        True, True, True, False,
    ]  # fmt: skip


async def test_planned_and_plain_execution_answer_the_same_json(twins) -> None:
    planned, plain = twins
    tokens = {}
    for who, login in (("customer", CUSTOMER_LOGIN), ("analyst", ANALYST_LOGIN)):
        tokens[who] = (await _token(planned, login), await _token(plain, login))
    _, ids_answer = await _post(plain, IDS, {}, tokens["customer"][1])
    customer = ids_answer["data"]["viewer"]["customer"]
    ids = [customer["id"]]
    for key in ("invoices", "tickets", "contracts"):
        if customer[key] is None:  # its source is down: answered as unavailable, the rest still answers
            assert {e["extensions"]["code"] for e in ids_answer["errors"]} == {"SOURCE_UNAVAILABLE"}
            ids.append(to_global_id("Invoice", "1"))
        else:
            ids += [n["id"] for n in customer[key]["nodes"]]
    compared = 0
    for text in DOCUMENTS:
        sets = variable_sets(text, ids)
        if sets is None:
            continue
        for variables in sets:
            for who, (planned_token, plain_token) in tokens.items():
                answers = [
                    await _post(planned, text, variables, planned_token),
                    await _post(plain, text, variables, plain_token),
                ]
                assert answers[0] == answers[1], (who, variables, text)
                compared += 1
    assert compared > 100


async def test_a_dashboard_leaves_nothing_for_the_garbage_collector_on_every_connector(twins) -> None:
    # a source down included: its fields answer SOURCE_UNAVAILABLE, and their errors are freed too
    planned, _ = twins
    token = await _token(planned, CUSTOMER_LOGIN)

    async def dashboard() -> None:
        status, body = await _post(planned, DASHBOARD, {}, token)
        assert status == 200 and body["data"]["viewer"]["customer"]["name"]

    assert await left_for_the_collector(dashboard) == Counter()
