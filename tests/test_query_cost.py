"""The cost limit: a query's size is known and bounded before it runs (schema/cost.py)."""

from __future__ import annotations

import pytest
from graphql import parse
from sqlalchemy import event
from sqlalchemy.engine import Engine
from ventanilla.demo.business import ANALYST_LOGIN, CUSTOMER_LOGIN
from ventanilla.schema.cost import DEFAULT_PAGE_SIZE, LIST_ESTIMATE, query_cost
from ventanilla.schema.root import build_schema

# Three nested levels of invoices(first: 100): about a million invoices if it ran.
NESTED = """
query($id: ID!) { customer(id: $id) { invoices(first: 100) { nodes { customer {
  invoices(first: 100) { nodes { customer { invoices(first: 100) { nodes { number } } } } } } } } } }
"""

DASHBOARD = """
{ viewer { accounts { id name }
  customer { name account { balance { amount } overdue { amount } }
    invoices(first: 12) { nodes { number total { amount } lines { description } } pageInfo { hasNextPage } } } } }
"""

# Every linked account's last 100 invoices, each with its customer's last 100: ~103,000, over a
# customer's 50,000.
TWICE = "invoices(first: 100) { nodes { customer { invoices(first: 100) { nodes { number } } } } }"
WIDE = "{ viewer { accounts { " + TWICE + " } } }"
# Ten customers, the same size, for staff (250,000).
WIDE_STAFF = "{ customers(first: 10) { nodes { " + TWICE + " } } }"


@pytest.fixture(scope="module")
def schema():
    return build_schema()._schema


def cost(schema, query: str, variables: dict | None = None, operation: str | None = None) -> int:
    return query_cost(schema, parse(query), operation, variables)


def test_a_connection_multiplies_what_is_below_it_by_first(schema):
    # given a page of 7 invoices, each with its total
    # then: the connection, 7 invoices, 7 totals, and the customer above them
    assert cost(schema, '{ customer(id: "x") { invoices(first: 7) { nodes { total { amount } } } } }') == 1 + 1 + 7 + 7


def test_first_comes_from_the_variables_and_defaults_to_the_page_size(schema):
    query = 'query($n: Int) { customer(id: "x") { invoices(first: $n) { nodes { number } } } }'
    assert cost(schema, query, {"n": 50}) == 1 + 1 + 50
    assert cost(schema, query, {}) == 1 + 1 + DEFAULT_PAGE_SIZE
    assert cost(schema, '{ customer(id: "x") { contracts { nodes { title } } } }') == 1 + 1 + DEFAULT_PAGE_SIZE


def test_lists_without_first_count_the_estimate_and_nesting_multiplies(schema):
    query = '{ customer(id: "x") { invoices(first: 2) { nodes { lines { total { amount } } } } } }'
    lines = 2 * LIST_ESTIMATE
    assert cost(schema, query) == 1 + 1 + 2 + lines + lines


def test_aliases_and_fragments_add_up(schema):
    one = '{ a: customer(id: "x") { name } }'
    two = '{ a: customer(id: "x") { name } b: customer(id: "y") { ...F } } fragment F on Customer { company { name } }'
    assert cost(schema, one) == 1
    assert cost(schema, two) == 1 + 1 + 1


def test_the_operation_named_is_the_one_counted(schema):
    document = 'query Small { portal { name } } query Big { customer(id: "x") { invoices(first: 100) { nodes { number } } } }'
    assert cost(schema, document, operation="Small") == 1
    assert cost(schema, document, operation="Big") == 102


def test_three_nested_pages_of_a_hundred_cost_over_a_million(schema):
    assert cost(schema, NESTED, {"id": "x"}) > 1_000_000


async def test_a_customer_cannot_run_the_nested_query_and_no_statement_is_sent(demo_api):
    token = await demo_api.sign_in(*CUSTOMER_LOGIN)
    accounts = await demo_api.gql("{ viewer { accounts { id } } }", token=token)
    account = accounts["data"]["viewer"]["accounts"][0]["id"]
    sent: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)  # every engine of the app
    try:
        # when the customer sends it, in English
        body = await demo_api.gql(NESTED, {"id": account}, token=token, **{"Accept-Language": "en"})
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    # then it is refused with the cost and the limit, and no invoice was read
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    requested = body["extensions"]["cost"]["requested"]
    assert requested > 1_000_000 and body["extensions"]["cost"]["limit"] == 50_000
    assert f"costs {requested} and the limit is 50000" in error["message"]
    assert sent and not [s for s in sent if "invoices" in s]  # the token check ran; no billing read


async def test_the_dashboard_reports_its_cost_and_answers(demo_api):
    token = await demo_api.sign_in(*CUSTOMER_LOGIN)
    body = await demo_api.gql(DASHBOARD, token=token)
    assert "errors" not in body
    assert body["data"]["viewer"]["customer"]["invoices"]["nodes"]
    assert 0 < body["extensions"]["cost"]["requested"] < body["extensions"]["cost"]["limit"] == 50_000


async def test_the_limit_depends_on_the_caller(demo_api):
    # given a query over every linked account costing about 103,000
    customer = await demo_api.sign_in(*CUSTOMER_LOGIN)
    analyst = await demo_api.sign_in(*ANALYST_LOGIN)
    # then a customer is refused, and staff (limit 250,000) are served a query as large
    refused = await demo_api.gql(WIDE, token=customer)
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    allowed = await demo_api.gql(WIDE_STAFF, token=analyst)
    assert "errors" not in allowed and len(allowed["data"]["customers"]["nodes"]) == 10
    assert allowed["extensions"]["cost"]["requested"] > 100_000
    assert allowed["extensions"]["cost"]["limit"] == 250_000


async def test_a_spanish_caller_reads_the_refusal_in_spanish(demo_api):
    token = await demo_api.sign_in(*CUSTOMER_LOGIN)
    body = await demo_api.gql(WIDE, token=token)
    assert "el límite es 50000" in body["errors"][0]["message"]
