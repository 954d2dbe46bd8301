"""Allow-list mode per partner client: `ventanilla partners queries add|list|remove|off` keeps the
documents in the store, and over HTTP a client in that mode runs only them (by hash or by their
exact text), on every app over the store at once; other callers are unaffected."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli import main as cli_main
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database

LISTED = "query Partners { customers(first: 2) { nodes { id name } } }"
OTHER = "query Other { customers(first: 1) { nodes { code } } }"
CUSTOMER = "{ viewer { customer { name } } }"


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _cli(*argv: str) -> tuple[int, str]:
    """Run `ventanilla ...` in-process; its exit code and what it printed."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = cli_main(list(argv))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
            print(exit_.code)
    return code, out.getvalue()


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.apps: list = []

    def client(self) -> httpx.AsyncClient:
        """A new app (another instance) over the same store."""
        # A machine busy with other tests may keep a store read waiting past the default 3 s.
        app = create_app(
            Settings(database_url=self.url, secret_key=TEST_SECRET, timezone="UTC", store_timeout_seconds=30)
        )
        self.apps.append(app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async def partner(self, client: httpx.AsyncClient, name: str) -> tuple[str, str]:
        """A registered partner client (by the CLI) and a token for it."""
        code, out = await asyncio.to_thread(
            _cli, "partners", "add", name, "--scopes", "customers:read", "--db", self.url
        )
        assert code == 0, out
        client_id = out.split("client_id:")[1].split()[0]
        secret = out.split("client_secret:")[1].split()[0]
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text
        return client_id, response.json()["access_token"]


@pytest.fixture(scope="module")
async def store(tmp_path_factory) -> AsyncIterator[Store]:
    """A small demo business on PostgreSQL, the store several instances share."""
    async with fresh_database("postgresql", tmp_path_factory.mktemp("partner-queries")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=3, seed=3)
        await engine.dispose()
        kept = Store(url)
        yield kept
        for app in kept.apps:
            await app.state.close()


async def _post(client: httpx.AsyncClient, token: str, body: dict) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})


def _code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


async def test_the_cli_registers_lists_and_removes_a_clients_documents(store, tmp_path) -> None:
    async with store.client() as client:
        client_id, _ = await store.partner(client, "Socio CLI")
    document = tmp_path / "partners.graphql"
    document.write_text(LISTED + "\n", encoding="utf-8")
    # when a document is registered from a file and another with --query
    added_file = await asyncio.to_thread(
        _cli, "partners", "queries", "add", client_id, str(document), "--db", store.url
    )
    added_text = await asyncio.to_thread(
        _cli, "partners", "queries", "add", client_id, "--query", OTHER, "--db", store.url
    )
    again = await asyncio.to_thread(
        _cli, "partners", "queries", "add", client_id, "--query", OTHER, "--db", store.url
    )
    code, listing = await asyncio.to_thread(_cli, "partners", "queries", "list", client_id, "--db", store.url)
    # then each is kept under the SHA-256 of its exact text (the file's newline included), once
    assert added_file[0] == 0 and _sha(LISTED + "\n") in added_file[1]
    assert added_text[0] == 0 and _sha(OTHER) in added_text[1]
    assert again[0] == 0 and "already registered" in again[1]
    assert code == 0 and "allow-list" in listing
    assert [line.split()[0] for line in listing.splitlines()[1:]] == [_sha(LISTED + "\n"), _sha(OTHER)]
    # when one is removed, it is gone from the list; an unknown hash or client says not found
    removed = await asyncio.to_thread(
        _cli, "partners", "queries", "remove", client_id, _sha(OTHER), "--db", store.url
    )
    missing = await asyncio.to_thread(
        _cli, "partners", "queries", "remove", client_id, _sha(OTHER), "--db", store.url
    )
    nobody = await asyncio.to_thread(_cli, "partners", "queries", "list", "vt_nobody", "--db", store.url)
    _, after = await asyncio.to_thread(_cli, "partners", "queries", "list", client_id, "--db", store.url)
    assert removed[0] == 0 and missing[0] == 1 and nobody[0] == 1
    assert [line.split()[0] for line in after.splitlines()[1:]] == [_sha(LISTED + "\n")]
    # and a document that is not valid against the schema is refused before it is kept
    bad = await asyncio.to_thread(
        _cli, "partners", "queries", "add", client_id, "--query", "{ nosuchfield }", "--db", store.url
    )
    assert bad[0] != 0 and "nosuchfield" in bad[1]
    _, unchanged = await asyncio.to_thread(_cli, "partners", "queries", "list", client_id, "--db", store.url)
    assert unchanged == after


async def test_a_client_in_allow_list_mode_runs_only_its_documents_on_every_instance(store) -> None:
    async with store.client() as one, store.client() as two:
        client_id, token = await store.partner(one, "Socio Lista")
        _, free_token = await store.partner(one, "Socio Libre")
        # given a partner that runs anything its scopes allow (not in allow-list mode yet)
        assert (await _post(two, token, {"query": OTHER})).json()["data"]["customers"]["nodes"]
        # when the business registers one document for it
        code, out = await asyncio.to_thread(
            _cli, "partners", "queries", "add", client_id, "--query", LISTED, "--db", store.url
        )
        assert code == 0, out
        # then on both instances, with the same token, its document runs by text and by hash alone
        for client in (one, two):
            by_text = await _post(client, token, {"query": LISTED})
            by_hash = await _post(
                client, token, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(LISTED)}}}
            )
            assert by_text.status_code == 200 and len(by_text.json()["data"]["customers"]["nodes"]) == 2
            assert by_hash.status_code == 200 and by_hash.json()["data"] == by_text.json()["data"]
            # and anything else is refused before it runs: another document, the same one reworded
            for body in (
                {"query": OTHER},
                {"query": LISTED.replace("first: 2", "first:2")},
                {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(OTHER)}}},
            ):
                refused = await _post(client, token, body)
                assert refused.status_code == 400 and _code(refused) == "PERSISTED_QUERY_NOT_ALLOWED", (
                    refused.text
                )
                assert "data" not in refused.json() or refused.json()["data"] is None
        # and in Spanish when asked
        spanish = await one.post(
            "/graphql",
            json={"query": OTHER},
            headers={"Authorization": f"Bearer {token}", "Accept-Language": "es"},
        )
        assert "registradas" in spanish.json()["errors"][0]["message"]
        # while another partner, an anonymous caller and a customer are unaffected
        assert (await _post(two, free_token, {"query": OTHER})).json()["data"]["customers"]["nodes"]
        signed = await two.post(
            "/graphql",
            json={
                "query": SIGN_IN,
                "variables": dict(zip(("login", "password"), CUSTOMER_LOGIN, strict=True)),
            },
        )
        customer_token = signed.json()["data"]["signIn"]["accessToken"]
        assert (await _post(one, customer_token, {"query": CUSTOMER})).json()["data"]["viewer"]["customer"][
            "name"
        ]
        # when the mode is turned off, every instance runs its free documents again at the next request
        code, _ = await asyncio.to_thread(_cli, "partners", "queries", "off", client_id, "--db", store.url)
        assert code == 0
        assert (await _post(two, token, {"query": OTHER})).json()["data"]["customers"]["nodes"]
        assert (await _post(one, token, {"query": OTHER})).json()["data"]["customers"]["nodes"]


async def test_removing_its_last_document_leaves_the_client_running_nothing(store) -> None:
    async with store.client() as client:
        client_id, token = await store.partner(client, "Socio Vacío")
        await asyncio.to_thread(
            _cli, "partners", "queries", "add", client_id, "--query", LISTED, "--db", store.url
        )
        assert (await _post(client, token, {"query": LISTED})).status_code == 200
        await asyncio.to_thread(
            _cli, "partners", "queries", "remove", client_id, _sha(LISTED), "--db", store.url
        )
        refused = await _post(client, token, {"query": LISTED})
        assert refused.status_code == 400 and _code(refused) == "PERSISTED_QUERY_NOT_ALLOWED"
