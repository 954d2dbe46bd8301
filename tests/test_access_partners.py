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
