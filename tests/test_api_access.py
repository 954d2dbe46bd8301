"""Who reaches what over HTTP: ownership on every path, staff, bad tokens, default protections."""

from __future__ import annotations

import base64

import httpx
from ventanilla.connectors.text import fold

CUSTOMER = ("cliente@example.com", "perro.calamar")
ANALYST = ("analista@example.com", "gato.tornillo")

CUSTOMER_BY_ID = "query($id: ID!) { customer(id: $id) { id name } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
CUSTOMERS = """query($filter: CustomerFilter, $after: String) { customers(first: 100, after: $after, filter: $filter) {
  nodes { id code name status taxId { number } account { overdue { amount } } } pageInfo { hasNextPage endCursor } } }"""
OWN_IDS = "{ viewer { accounts { id } } }"


def global_id(type_name: str, raw_id: str) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def all_customers(api, token: str, filter: dict | None = None) -> list[dict]:
    found, after = [], None
    while True:
        page = (await api.gql(CUSTOMERS, {"filter": filter, "after": after}, token))["data"]["customers"]
        found += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_another_customers_id_answers_exactly_like_a_missing_one(demo_api):
    # given a customer user and an account that is not theirs
    token = await demo_api.sign_in(*CUSTOMER)
    own = {a["id"] for a in (await demo_api.gql(OWN_IDS, token=token))["data"]["viewer"]["accounts"]}
    analyst = await demo_api.sign_in(*ANALYST)
    other = next(c["id"] for c in await all_customers(demo_api, analyst) if c["id"] not in own)
    # when
    theirs = await demo_api.gql(CUSTOMER_BY_ID, {"id": other}, token)
    missing = await demo_api.gql(CUSTOMER_BY_ID, {"id": global_id("Customer", "999999")}, token)
    via_node = await demo_api.gql(NODE, {"id": other}, token)
    # then
    assert theirs["data"]["customer"] is None and codes(theirs) == ["NOT_FOUND"]
    assert theirs["errors"][0]["message"] == missing["errors"][0]["message"] == "No se encontró el cliente."
    assert via_node["data"]["node"] is None and codes(via_node) == ["NOT_FOUND"]


async def test_another_customers_invoice_is_not_reachable_by_node(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    analyst = await demo_api.sign_in(*ANALYST)
    own = {a["id"] for a in (await demo_api.gql(OWN_IDS, token=token))["data"]["viewer"]["accounts"]}
    other = next(c["id"] for c in await all_customers(demo_api, analyst) if c["id"] not in own)
    query = "query($id: ID!) { customer(id: $id) { invoices(first: 1) { nodes { id } } tickets(first: 1) { nodes { id } } } }"
    theirs = (await demo_api.gql(query, {"id": other}, analyst))["data"]["customer"]
    for node in theirs["invoices"]["nodes"] + theirs["tickets"]["nodes"]:
        body = await demo_api.gql(NODE, {"id": node["id"]}, token)
        assert body["data"]["node"] is None and codes(body) == ["NOT_FOUND"]
        # the analyst reads it
        assert (await demo_api.gql(NODE, {"id": node["id"]}, analyst))["data"]["node"]["id"] == node["id"]


async def test_signed_out_callers_reach_no_customer(demo_api):
    body = await demo_api.gql(CUSTOMER_BY_ID, {"id": global_id("Customer", "1")})
    assert body["data"]["customer"] is None and codes(body) == ["UNAUTHENTICATED"]
    listing = await demo_api.gql(CUSTOMERS)
    assert listing["data"] == {"customers": None} and codes(listing) == ["UNAUTHENTICATED"]


async def test_customer_users_cannot_list_customers(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    body = await demo_api.gql(CUSTOMERS, token=token)
    assert codes(body) == ["FORBIDDEN"]


async def test_analyst_lists_customers_with_an_overdue_balance(demo_api):
    analyst = await demo_api.sign_in(*ANALYST)
    everyone = await all_customers(demo_api, analyst)
    overdue = await all_customers(demo_api, analyst, {"overdueOnly": True})
    assert len(everyone) == 30
    assert overdue and len(overdue) < len(everyone)
    assert all(float(c["account"]["overdue"]["amount"]) > 0 for c in overdue)
    expected = {c["id"] for c in everyone if float(c["account"]["overdue"]["amount"]) > 0}
    assert {c["id"] for c in overdue} == expected
    # by name, case and accents aside ("Sofía" among the "Sofia"s), then code (connectors/text.py)
    assert everyone == sorted(everyone, key=lambda c: (fold(c["name"]), c["code"]))
    assert any(not c["name"].isascii() for c in everyone) and any(c["name"].isupper() for c in everyone)


async def test_analyst_search_by_code_name_and_tax_id(demo_api):
    analyst = await demo_api.sign_in(*ANALYST)
    someone = (await all_customers(demo_api, analyst))[7]
    by_code = await all_customers(demo_api, analyst, {"search": someone["code"]})
    by_name = await all_customers(demo_api, analyst, {"search": someone["name"].split()[0].lower()})
    assert [c["id"] for c in by_code] == [someone["id"]]
    assert someone["id"] in {c["id"] for c in by_name}
    if someone["taxId"]:
        by_tax = await all_customers(demo_api, analyst, {"search": someone["taxId"]["number"]})
        assert someone["id"] in {c["id"] for c in by_tax}


async def test_a_forged_or_expired_token_is_refused_with_401(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = await demo_api.post(OWN_IDS, token=forged)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    malformed = await demo_api.client.post("/graphql", json={"query": OWN_IDS}, headers={"Authorization": "Basic x"})
    assert malformed.status_code == 401


async def test_introspection_is_for_staff_only_outside_demo_mode(demo_api):
    query = "{ __schema { queryType { name } } }"
    anonymous = await demo_api.post(query)
    customer = await demo_api.post(query, token=await demo_api.sign_in(*CUSTOMER))
    analyst = await demo_api.gql(query, token=await demo_api.sign_in(*ANALYST))
    assert anonymous.json().get("data") is None and "introspection" in anonymous.json()["errors"][0]["message"].lower()
    assert customer.json().get("data") is None
    assert analyst["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_field_suggestions_are_hidden_from_anonymous_callers(demo_api):
    query = "{ portal { nme } }"
    anonymous = (await demo_api.post(query)).json()
    analyst = (await demo_api.post(query, token=await demo_api.sign_in(*ANALYST))).json()
    assert "Did you mean" not in anonymous["errors"][0]["message"]
    assert "Did you mean" in analyst["errors"][0]["message"]


async def test_limits_refuse_deep_aliased_oversized_and_huge_page_requests(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    nested = "name"
    for _ in range(5):
        nested = f"invoices {{ nodes {{ customer {{ {nested} }} }} }}"
    deep = f"{{ viewer {{ customer {{ {nested} }} }} }}"
    aliases = "{ " + " ".join(f"a{i}: portal {{ name }}" for i in range(40)) + " }"
    depth_body = (await demo_api.post(deep, token=token)).json()
    alias_body = (await demo_api.post(aliases, token=token)).json()
    assert depth_body.get("data") is None and "depth" in depth_body["errors"][0]["message"]
    syntax = (await demo_api.post("{ viewer { ", token=token)).json()
    assert syntax["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert alias_body.get("data") is None and "alias" in alias_body["errors"][0]["message"].lower()
    big = await demo_api.client.post("/graphql", content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["errors"][0]["extensions"]["code"] == "LIMIT_REACHED"
    page = await demo_api.gql("{ viewer { customer { invoices(first: 1000) { nodes { id } } } } }", token=token)
    assert codes(page) == ["BAD_INPUT"]


async def test_malformed_ids_and_cursors_are_bad_input(demo_api):
    token = await demo_api.sign_in(*CUSTOMER)
    bad_id = await demo_api.gql(CUSTOMER_BY_ID, {"id": "not-a-global-id"}, token)
    wrong_type = await demo_api.gql(CUSTOMER_BY_ID, {"id": global_id("Invoice", "1")}, token)
    bad_cursor = await demo_api.gql('{ viewer { customer { invoices(after: "bm9wZQ") { nodes { id } } } } }', token=token)
    assert codes(bad_id) == codes(wrong_type) == codes(bad_cursor) == ["BAD_INPUT"]


async def test_a_disabled_feature_answers_feature_disabled(demo_api):
    from ventanilla.settings import Feature
    from ventanilla.web.app import create_app

    # given a deployment with the current account switched off
    settings = demo_api.settings.model_copy(update={"features": [f for f in Feature if f is not Feature.CURRENT_ACCOUNT]})
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        signed = await client.post("/graphql", json={"query": 'mutation { signIn(input: {login: "cliente@example.com", password: "perro.calamar"}) { accessToken } }'})
        token = signed.json()["data"]["signIn"]["accessToken"]
        body = (await client.post(
            "/graphql",
            json={"query": "{ portal { features } viewer { customer { name ledger { nodes { id } } } } }"},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        )).json()
    await app.state.close()
    # then the rest still answers, the ledger says why it does not
    assert "CURRENT_ACCOUNT" not in body["data"]["portal"]["features"]
    assert codes(body) == ["FEATURE_DISABLED"]
    assert body["errors"][0]["message"] == "This feature is not enabled in the portal: CURRENT_ACCOUNT."
