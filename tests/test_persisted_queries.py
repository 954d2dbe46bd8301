"""Persisted queries (web/persisted.py) through HTTP: Apollo's automatic persisted queries by POST
and GET, shared by two instances through Redis; the allow-list mode; a hash that is not the query's."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database

REDIS = "redis://127.0.0.1:6379/0"


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _unique(name: str) -> str:
    """A query text no earlier run registered in the shared Redis."""
    return f"query {name}{uuid.uuid4().hex[:8]} {{ viewer {{ customer {{ name code }} }} }}"


def _extension(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory) -> AsyncIterator[str]:
    async with fresh_database("sqlite", tmp_path_factory.mktemp("apq")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=3, seed=3)
        await engine.dispose()
        yield url


@pytest.fixture
async def serve(store_url) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    apps, clients = [], []

    def make(**settings) -> httpx.AsyncClient:
        app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC", **settings))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        apps.append(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
    for app in apps:
        await app.state.close()


async def _token(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
        "login": CUSTOMER_LOGIN[0], "password": CUSTOMER_LOGIN[1]}})  # fmt: skip
    return {"Authorization": f"Bearer {answer.json()['data']['signIn']['accessToken']}"}


def _code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize("redis", [False, True], ids=["in-process", "redis"])
async def test_automatic_persisted_queries_round_trip(serve, redis: bool) -> None:
    client = serve(redis_url=REDIS if redis else None)
    headers = await _token(client)
    query = _unique("Mine")
    # when the hash alone is sent first
    first = await client.post("/graphql", json={"extensions": _extension(query)}, headers=headers)
    # then it is not known yet, and said so as Apollo's clients expect
    assert first.status_code == 200
    assert _code(first) == "PERSISTED_QUERY_NOT_FOUND"
    # when the client sends the query with its hash, it runs and is registered
    second = await client.post("/graphql", json={"query": query, "extensions": _extension(query)}, headers=headers)
    assert second.json()["data"]["viewer"]["customer"]["name"]
    # then the hash alone runs it, by POST and by GET
    again = await client.post("/graphql", json={"extensions": _extension(query)}, headers=headers)
    by_get = await client.get(
        "/graphql", params={"extensions": json.dumps(_extension(query)), "variables": "{}"}, headers=headers
    )
    assert again.json() == second.json() == by_get.json()


async def test_instances_share_what_one_registered_through_redis(serve) -> None:
    a, b = serve(redis_url=REDIS), serve(redis_url=REDIS)
    headers = await _token(a)
    query = _unique("Shared")
    # when instance A registers a query
    registered = await a.post("/graphql", json={"query": query, "extensions": _extension(query)}, headers=headers)
    # then instance B runs it by its hash
    on_b = await b.post("/graphql", json={"extensions": _extension(query)}, headers=headers)
    assert on_b.json() == registered.json() and "errors" not in on_b.json()


async def test_a_hash_that_is_not_the_querys_is_refused_and_registers_nothing(serve) -> None:
    client = serve()
    headers = await _token(client)
    query, other = _unique("Real"), _unique("Other")
    # when a query is sent under another query's hash
    refused = await client.post("/graphql", json={"query": query, "extensions": _extension(other)}, headers=headers)
    # then refused, clearly, and the other hash is still unknown
    assert refused.status_code == 400
    assert _code(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "SHA-256" in refused.json()["errors"][0]["message"]
    later = await client.post("/graphql", json={"extensions": _extension(other)}, headers=headers)
    assert _code(later) == "PERSISTED_QUERY_NOT_FOUND"


async def test_by_get_only_persisted_queries_run(serve) -> None:
    client = serve()
    # when a plain query comes by GET
    response = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"Accept": "application/json"})
    # then it is refused, saying to POST it, in the caller's language
    assert response.status_code == 400
    assert _code(response) == "GET_NEEDS_PERSISTED_QUERY"
    spanish = await client.get(
        "/graphql", params={"query": "{ __typename }"},
        headers={"Accept": "application/json", "Accept-Language": "es-AR"},
    )  # fmt: skip
    assert "POST" in spanish.json()["errors"][0]["message"] and "solo" in spanish.json()["errors"][0]["message"]


async def test_the_allow_list_runs_only_its_documents(serve, tmp_path) -> None:
    allowed = "query Allowed { viewer { customer { name } } }"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({_sha(allowed): allowed, _sha(SIGN_IN): SIGN_IN}))
    client = serve(persisted_queries="only", persisted_queries_manifest=str(manifest))
    headers = await _token(client)  # the sign-in is in the list, sent as its text
    # when a listed document is named by its hash, or sent as its exact text
    by_hash = await client.post("/graphql", json={"extensions": _extension(allowed)}, headers=headers)
    by_text = await client.post("/graphql", json={"query": allowed}, headers=headers)
    # then it runs
    assert by_hash.json()["data"]["viewer"]["customer"]["name"]
    assert by_text.json() == by_hash.json()
    # when anything else comes: another text, an unknown hash, even with its query to register
    other = _unique("NotListed")
    refusals = [
        await client.post("/graphql", json={"query": other}, headers=headers),
        await client.post("/graphql", json={"extensions": _extension(other)}, headers=headers),
        await client.post("/graphql", json={"query": other, "extensions": _extension(other)}, headers=headers),
    ]
    # then each is refused with a clear error, and nothing got registered
    for refused in refusals:
        assert refused.status_code == 400
        assert _code(refused) == "PERSISTED_QUERY_NOT_ALLOWED"
        assert "data" not in refused.json()
    assert "consultas registradas" in refusals[0].json()["errors"][0]["message"]  # Spanish unless asked


async def test_a_manifest_with_a_wrong_hash_stops_the_start(store_url, tmp_path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"0" * 64: "{ __typename }"}))
    with pytest.raises(SystemExit, match="SHA-256"):
        create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, persisted_queries="only",
                            persisted_queries_manifest=str(manifest)))  # fmt: skip


async def test_off_refuses_a_persisted_query_by_name(serve) -> None:
    client = serve(persisted_queries="off")
    query = "{ __typename }"
    response = await client.post("/graphql", json={"extensions": _extension(query)})
    assert _code(response) == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert (await client.post("/graphql", json={"query": query})).json()["data"] == {"__typename": "Query"}
