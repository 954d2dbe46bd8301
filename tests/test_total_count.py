"""A connection's totalCount: the items its pages hold under the same filter, in one statement per level."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from ventanilla.web.app import create_app

from .conftest import DEMO_TODAY
from .test_statement_counts import build_business, statements_for

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")

ACCOUNTS = "{ viewer { accounts { id } } }"

# One page of a customer's connection `{field}` with totalCount; `{arguments}` narrow it.
CUSTOMER_PAGE = """
query($id: ID!, $first: Int, $after: String) {{ customer(id: $id) {{
  {field}(first: $first, after: $after{arguments}) {{
    totalCount nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }} }}
"""

ROOT_PAGE = """
query($first: Int, $after: String) {{
  {field}(first: $first, after: $after{arguments}) {{
    totalCount nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}
"""

NESTED = "{ customers(first: 5) { nodes { invoices(first: 2) { nodes { number } } } } }"
NESTED_COUNTED = "{ customers(first: 5) { nodes { invoices(first: 2) { totalCount nodes { number } } } } }"
BOTH_COUNTED = "{ customers(first: 5) { totalCount nodes { invoices(first: 2) { totalCount nodes { number } } } } }"


async def walk(api, token: str, query: str, path: tuple[str, ...], first: int, **variables) -> tuple[list, set]:
    """Every id of a connection, page after page by `after`, and the totalCounts each page said."""
    ids: list = []
    totals: set = set()
    after = None
    for _ in range(200):
        body = await api.gql(query, {**variables, "first": first, "after": after}, token=token)
        assert "errors" not in body, body
        found = body["data"]
        for step in path:
            found = found[step]
        ids.extend(node["id"] for node in found["nodes"])
        totals.add(found["totalCount"])
        if not found["pageInfo"]["hasNextPage"]:
            return ids, totals
        after = found["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


async def customer_walk(api, token: str, account: str, field: str, arguments: str = "", first: int = 4):
    query = CUSTOMER_PAGE.format(field=field, arguments=arguments)
    return await walk(api, token, query, ("customer", field), first, id=account)


async def accounts(api, token: str) -> list[str]:
    return [a["id"] for a in (await api.gql(ACCOUNTS, token=token))["data"]["viewer"]["accounts"]]


@pytest.mark.parametrize(
    "arguments",
    ["", ", filter: {unpaidOnly: true}", ", filter: {status: PAID}", ", filter: {kind: CREDIT_NOTE}"],
    ids=["all", "unpaid", "paid", "credit-notes"],
)
async def test_invoices_total_count_is_the_number_of_invoices_the_pages_hold(demo_api, arguments):
    # given a customer user with two accounts
    token = await demo_api.sign_in(*CUSTOMER)
    everything = 0
    for account in await accounts(demo_api, token):
        # when its invoices are walked page by page
        ids, totals = await customer_walk(demo_api, token, account, "invoices", arguments)
        # then every page says the same totalCount: the number of invoices walked
        assert totals == {len(ids)}
        assert len(set(ids)) == len(ids)
        everything += len(ids)
    if not arguments:
        assert everything > 4  # several pages


async def test_a_filter_narrows_the_total_count(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts(demo_api, token))[0]
    _, (everything,) = await customer_walk(demo_api, token, account, "invoices")
    _, (paid,) = await customer_walk(demo_api, token, account, "invoices", ", filter: {status: PAID}")
    _, (unpaid,) = await customer_walk(demo_api, token, account, "invoices", ", filter: {unpaidOnly: true}")
    assert 0 < paid < everything
    assert paid + unpaid <= everything


@pytest.mark.parametrize(
    "field", ["payments", "contracts", "quotes", "orders", "deliveryNotes", "documents", "tickets"]
)
async def test_every_customer_connection_counts_what_its_pages_hold(demo_api, field):
    token = await demo_api.sign_in(*CUSTOMER)
    for account in await accounts(demo_api, token):
        ids, totals = await customer_walk(demo_api, token, account, field, first=2)
        assert totals == {len(ids)}, field


async def test_open_tickets_are_counted_with_the_filter_and_with_the_business_setting(demo_api):
    # given the same store served once as configured and once with `tickets_open_only`
    token = await demo_api.sign_in(*CUSTOMER)
    app = create_app(demo_api.settings.model_copy(update={"tickets_open_only": True}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            open_only = type(demo_api)(demo_api.backend, demo_api.url, demo_api.engine, client, demo_api.settings)
            closed_somewhere = False
            for account in await accounts(demo_api, token):
                # when the tickets are walked: all, filtered to open ones, and under the setting
                every, (all_total,) = await customer_walk(demo_api, token, account, "tickets", first=2)
                filtered, filtered_totals = await customer_walk(
                    demo_api, token, account, "tickets", ", filter: {openOnly: true}", first=2
                )
                shown, shown_totals = await customer_walk(open_only, token, account, "tickets", first=2)
                # then each count is the number of tickets its pages held, the setting's like the filter's
                assert all_total == len(every)
                assert filtered_totals == {len(filtered)}
                assert shown_totals == {len(shown)} and shown == filtered
                closed_somewhere |= len(filtered) < len(every)
            assert closed_somewhere  # the setting is seen to narrow the count
    finally:
        await app.state.close()


@pytest.mark.parametrize("dates", [(None, None), ("from", 400), ("to", 200), ("both", 500)])
async def test_ledger_total_count_follows_from_and_to(demo_api, dates):
    token = await demo_api.sign_in(*CUSTOMER)
    account = (await accounts(demo_api, token))[0]
    kind, days = dates
    since = (DEMO_TODAY - timedelta(days=days or 0)).isoformat()
    until = (DEMO_TODAY - timedelta(days=(days or 0) // 3)).isoformat()
    arguments = {None: "", "from": f', from: "{since}"', "to": f', to: "{since}"',
                 "both": f', from: "{since}", to: "{until}"'}[kind]  # fmt: skip
    ids, totals = await customer_walk(demo_api, token, account, "ledger", arguments, first=7)
    assert totals == {len(ids)}
    _, (everything,) = await customer_walk(demo_api, token, account, "ledger", first=7)
    assert (len(ids) == everything) if kind is None else (0 < len(ids) < everything)


@pytest.mark.parametrize(
    "arguments", ["", ', filter: {search: "a"}', ', filter: {status: ACTIVE}', ", filter: {overdueOnly: true}"],
    ids=["all", "search", "active", "overdue"],
)
async def test_customers_total_count_for_analysts(demo_api, arguments):
    token = await demo_api.sign_in(*ANALYST)
    query = ROOT_PAGE.format(field="customers", arguments=arguments)
    ids, totals = await walk(demo_api, token, query, ("customers",), 4)
    assert totals == {len(ids)}
    assert len(ids) > 4 and len(set(ids)) == len(ids)


async def test_plans_total_count(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    ids, totals = await walk(demo_api, token, ROOT_PAGE.format(field="plans", arguments=""), ("plans",), 2)
    assert totals == {len(ids)} and len(ids) > 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_total_count_costs_one_statement_per_connection_level(backend, tmp_path, request):
    fresh_database = request.getfixturevalue("fresh_database_factory")
    async with fresh_database(backend, tmp_path) as url:
        # given 8 customers with 4 invoices each, read by an analyst 5 customers at a time
        await build_business(url, customers=8, invoices_per_customer=4)
        # when the same list is asked without totalCount, with it on the invoices, and on both levels
        plain, _ = await statements_for(url, NESTED, ANALYST)
        nested, nested_body = await statements_for(url, NESTED_COUNTED, ANALYST)
        both, both_body = await statements_for(url, BOTH_COUNTED, ANALYST)
    # then each level's count is one statement for the whole level
    assert nested == plain + 1
    assert both == plain + 2
    # and the counts ignore `first`: 8 customers, 4 invoices each
    assert both_body["data"]["customers"]["totalCount"] == 8
    for body in (nested_body, both_body):
        counts = [c["invoices"]["totalCount"] for c in body["data"]["customers"]["nodes"]]
        assert counts == [4] * 5
