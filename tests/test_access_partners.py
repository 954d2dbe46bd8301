"""Partners over HTTP: registered clients, OAuth2 client credentials, scopes, CORS origins (A11)."""

from __future__ import annotations

import asyncio
import base64

import pytest
from ventanilla.cli import main as cli_main

CUSTOMERS = "{ customers(first: 5) { nodes { id name } } }"
ONE = "query($id: ID!) { customer(id: $id) { name invoices(first: 2) { nodes { number } } } }"
ONE_NAME = "query($id: ID!) { customer(id: $id) { name code } }"


async def register(api, capsys, name: str, scopes: list[str], origins: list[str] = ()) -> tuple[str, str]:
    argv = ["partners", "add", name, "--scopes", *scopes, "--db", api.url]
    if origins:
        argv += ["--origins", *origins]
    assert await asyncio.to_thread(cli_main, argv) == 0
    out = capsys.readouterr().out
    client_id = out.split("client_id:")[1].split()[0]
    secret = out.split("client_secret:")[1].split()[0]
    return client_id, secret


async def token_for(api, client_id: str, secret: str, **form) -> tuple[int, dict]:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = await api.client.post("/oauth/token", data={"grant_type": "client_credentials", **form},
                                     headers={"Authorization": f"Basic {basic}"})
    return response.status_code, response.json()


@pytest.fixture(scope="module")
def partners(access_api):
    return {}


async def test_a_partner_with_customers_read_lists_and_reads_customers_but_not_billing(access_api, capsys):
    # given a partner registered with customers:read only
    client_id, secret = await register(access_api, capsys, "Socio Lector", ["customers:read"])
    status, token = await token_for(access_api, client_id, secret)
    assert status == 200 and token["token_type"].lower() == "bearer" and token["scope"] == "customers:read"
    # when it reads customers, one customer, and invoices
    listing = await access_api.gql(CUSTOMERS, token=token["access_token"])
    someone = listing["data"]["customers"]["nodes"][0]["id"]
    one = await access_api.gql(ONE_NAME, {"id": someone}, token["access_token"])
    billing = await access_api.gql(ONE, {"id": someone}, token["access_token"])
    viewer = await access_api.gql("{ viewer { kind name scopes } }", token=token["access_token"])
    # then customers yes, billing no (FORBIDDEN, before anything runs)
    assert len(listing["data"]["customers"]["nodes"]) == 5
    assert one["data"]["customer"]["name"]
    assert billing.get("data") is None and [e["extensions"]["code"] for e in billing["errors"]] == ["FORBIDDEN"]
    assert viewer["data"]["viewer"] == {"kind": "PARTNER", "name": "Socio Lector", "scopes": ["customers:read"]}


async def test_a_partner_with_billing_read_reads_invoices_and_without_customers_read_lists_nothing(access_api, capsys):
    client_id, secret = await register(access_api, capsys, "Socio Cobranzas", ["customers:read", "billing:read"])
    _, token = await token_for(access_api, client_id, secret)
    someone = (await access_api.gql(CUSTOMERS, token=token["access_token"]))["data"]["customers"]["nodes"][0]["id"]
    billing = await access_api.gql(ONE, {"id": someone}, token["access_token"])
    assert "errors" not in billing and billing["data"]["customer"]["invoices"]["nodes"]
    # asking for less than it was granted narrows the token
    _, narrow = await token_for(access_api, client_id, secret, scope="customers:read")
    assert narrow["scope"] == "customers:read"
    denied = await access_api.gql(ONE, {"id": someone}, narrow["access_token"])
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    # a partner with only billing:read cannot list or read customers
    only_billing, only_secret = await register(access_api, capsys, "Socio Raro", ["billing:read"])
    _, token = await token_for(access_api, only_billing, only_secret)
    listing = await access_api.gql(CUSTOMERS, token=token["access_token"])
    assert [e["extensions"]["code"] for e in listing["errors"]] == ["FORBIDDEN"]


async def test_partners_cannot_use_mutations_outside_their_scopes(access_api, capsys):
    client_id, secret = await register(access_api, capsys, "Socio Mutante", ["customers:read"])
    _, token = await token_for(access_api, client_id, secret)
    body = await access_api.gql('mutation { revokePortalAccess(input: {customerId: "Q3VzdG9tZXI6MQ=="}) { usersAffected } }',
                                token=token["access_token"])
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_bad_client_credentials_and_grants_get_rfc6749_errors(access_api, capsys):
    client_id, secret = await register(access_api, capsys, "Socio Error", ["customers:read"])
    status, body = await token_for(access_api, client_id, "not-the-secret")
    assert status == 401 and body["error"] == "invalid_client"
    status, body = await token_for(access_api, "vt_unknown", secret)
    assert status == 401 and body["error"] == "invalid_client"
    status, body = await token_for(access_api, client_id, secret, grant_type="password")
    assert status == 400 and body["error"] == "unsupported_grant_type"
    status, body = await token_for(access_api, client_id, secret, scope="admin:everything")
    assert status == 400 and body["error"] == "invalid_scope"
    # client_secret_post works too
    response = await access_api.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


async def test_a_disabled_partner_token_stops_at_once(access_api, capsys):
    client_id, secret = await register(access_api, capsys, "Socio Baja", ["customers:read"])
    _, token = await token_for(access_api, client_id, secret)
    assert (await access_api.post(CUSTOMERS, token=token["access_token"])).status_code == 200
    assert await asyncio.to_thread(cli_main, ["partners", "disable", client_id, "--db", access_api.url]) == 0
    assert (await access_api.post(CUSTOMERS, token=token["access_token"])).status_code == 401
    status, _ = await token_for(access_api, client_id, secret)
    assert status == 401


async def test_cors_allows_exactly_the_registered_origins(access_api, capsys):
    await register(access_api, capsys, "Socio Web", ["customers:read"], ["https://portal.socio.example"])
    preflight = {"Origin": "https://portal.socio.example", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = await access_api.client.options("/graphql", headers=preflight)
    refused = await access_api.client.options("/graphql", headers={**preflight, "Origin": "https://evil.example"})
    actual = await access_api.client.post("/graphql", json={"query": "{ portal { name } }"},
                                          headers={"Origin": "https://portal.socio.example"})
    stranger = await access_api.client.post("/graphql", json={"query": "{ portal { name } }"},
                                            headers={"Origin": "https://evil.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.socio.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert actual.headers["access-control-allow-origin"] == "https://portal.socio.example"
    assert "access-control-allow-origin" not in stranger.headers


async def test_a_partners_portal_signs_its_customers_in_like_ours(access_api, capsys):
    # the partner's web page calls signIn from its registered origin; the customer gets a customer token
    await register(access_api, capsys, "Socio Portal", ["customers:read"], ["https://clientes.socio.example"])
    response = await access_api.client.post("/graphql", headers={"Origin": "https://clientes.socio.example"}, json={
        "query": 'mutation { signIn(input: {login: "cliente@example.com", password: "perro.calamar"}) { accessToken viewer { kind } } }'})
    assert response.headers["access-control-allow-origin"] == "https://clientes.socio.example"
    assert response.json()["data"]["signIn"]["viewer"]["kind"] == "CUSTOMER"


ANALYST = ("analista@example.com", "gato.tornillo")
PAYMENT_DATA = """query($id: ID!) { customer(id: $id) { name
  paymentMethods { id holder label } paymentCommitments { promisedDate amount { amount } } } }"""
PAYMENT_METHOD_NODE = "query($id: ID!) { node(id: $id) { ... on PaymentMethod { holder label } } }"
# Fields of a customer that carry more than who the customer is, each needing its own scope.
BEYOND_IDENTITY = {
    "paymentMethods": "paymentMethods { label }",
    "paymentCommitments": "paymentCommitments { days }",
    "contracts": "contracts(first: 1) { nodes { title } }",
    "subscriptions": "subscriptions { price { amount } }",
    "quotes": "quotes(first: 1) { nodes { total { amount } } }",
    "orders": "orders(first: 1) { nodes { total { amount } } }",
    "deliveryNotes": "deliveryNotes(first: 1) { nodes { number } }",
    "documents": "documents(first: 1) { nodes { title } }",
}


async def customer_with_payment_methods(api) -> tuple[str, str]:
    """(customer id, payment method id) of a demo customer that has one, as an analyst reads them."""
    token = await api.sign_in(*ANALYST)
    query = "{ customers(first: 50) { nodes { id paymentMethods { id } } } }"
    nodes = (await api.gql(query, token=token))["data"]["customers"]["nodes"]
    owner = next(n for n in nodes if n["paymentMethods"])
    return owner["id"], owner["paymentMethods"][0]["id"]


async def test_payment_methods_and_commitments_need_billing_read(access_api, capsys):
    # given a partner with customers:read only, and one with billing:read too
    customer_id, method_id = await customer_with_payment_methods(access_api)
    reader, reader_secret = await register(access_api, capsys, "Socio Curioso", ["customers:read"])
    biller, biller_secret = await register(access_api, capsys, "Socio Cobrador", ["customers:read", "billing:read"])
    _, reader_token = await token_for(access_api, reader, reader_secret)
    _, biller_token = await token_for(access_api, biller, biller_secret)
    # when each asks for the customer's payment data, by the customer and by the method's id
    denied = await access_api.gql(PAYMENT_DATA, {"id": customer_id}, reader_token["access_token"])
    denied_node = await access_api.gql(PAYMENT_METHOD_NODE, {"id": method_id}, reader_token["access_token"])
    allowed = await access_api.gql(PAYMENT_DATA, {"id": customer_id}, biller_token["access_token"])
    allowed_node = await access_api.gql(PAYMENT_METHOD_NODE, {"id": method_id}, biller_token["access_token"])
    # then customers:read alone reads none of it; billing:read reads it
    assert denied.get("data") is None and [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]
    assert denied_node.get("data") is None and [e["extensions"]["code"] for e in denied_node["errors"]] == ["FORBIDDEN"]
    assert "errors" not in allowed and allowed["data"]["customer"]["paymentMethods"][0]["label"]
    assert isinstance(allowed["data"]["customer"]["paymentCommitments"], list)
    assert "errors" not in allowed_node and allowed_node["data"]["node"]["label"]


async def test_customers_read_alone_opens_no_billing_contract_commerce_or_document_data(access_api, capsys):
    # given a partner with customers:read only
    client_id, secret = await register(access_api, capsys, "Socio Justo", ["customers:read"])
    token = (await token_for(access_api, client_id, secret))[1]["access_token"]
    someone = (await access_api.gql(CUSTOMERS, token=token))["data"]["customers"]["nodes"][0]["id"]
    for field, selection in BEYOND_IDENTITY.items():
        # when it selects the field
        body = await access_api.gql(f"query($id: ID!) {{ customer(id: $id) {{ name {selection} }} }}", {"id": someone}, token)
        # then
        assert body.get("data") is None and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], field
    plans = await access_api.gql("{ plans(first: 1) { nodes { name price { amount } } } }", token=token)
    assert [e["extensions"]["code"] for e in plans["errors"]] == ["FORBIDDEN"]
