"""Store and Redis outages (issue 15, items 1, 2 and 5): bounded waits, JSON answers with the
retryable STORE_UNAVAILABLE, Retry-After, readiness, and recovery with no restart.

The store (PostgreSQL) and Redis sit behind tests/proxy.Proxy, switched down (refused, cut) and
into a blackhole (accepted, never answered); the machine's servers are never touched.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.store.tables import audit_log
from ventanilla.store.users import create_user, user_by_login
from ventanilla.web.app import create_app

from .conftest import DEMO_TODAY, SIGN_IN, TEST_SECRET, fresh_database
from .proxy import Proxy, through

TIMEOUT = 2.0  # [store] timeout_seconds of these apps (reconnecting to a loaded server takes a while)
BOUND = TIMEOUT + 1  # what a client may wait during an outage, at most
PASSWORD = "s3cret-in-the-url"  # in the store's URL (PostgreSQL trusts it): never in an answer
REDIS = ("127.0.0.1", 6379)
GRAPHQL_RESPONSE = "application/graphql-response+json"

VIEWER = "{ viewer { name accounts { name } } }"
PORTAL = "{ portal { name } }"
LAST_INVOICE = "{ viewer { customer { invoices(first: 1) { nodes { pdfUrl } } } } }"
OUTAGES = ["down", "blackhole"]


@dataclass
class Store:
    """The demo business on PostgreSQL, reached through `proxy` (`url`, with a password)."""

    url: str
    direct: str
    proxy: Proxy

    async def outage(self, kind: str) -> None:
        await (self.proxy.stop() if kind == "down" else self.proxy.blackhole())

    async def restore(self) -> None:
        if self.proxy.stalled:
            await self.proxy.restore()
        else:
            await self.proxy.start()


@pytest.fixture(scope="module")
async def store(tmp_path_factory) -> AsyncIterator[Store]:
    async with fresh_database("postgresql", tmp_path_factory.mktemp("outage")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=5, seed=7, today=DEMO_TODAY)
        await engine.dispose()
        proxy = await Proxy.started_for(url, 5432)
        with_password = make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
        yield Store(through(with_password, proxy), url, proxy)
        await proxy.stop()


def settings_for(store: Store, **overrides) -> Settings:
    return Settings(
        database_url=store.url, secret_key=TEST_SECRET, timezone="UTC", store_timeout_seconds=TIMEOUT,
        source_timeout_seconds=TIMEOUT, pool_size=2, **overrides,
    )  # fmt: skip


@asynccontextmanager
async def client_of(settings: Settings, ip: str = "10.7.0.1") -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=(ip, 4321))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.close()


async def within_bound(call):  # noqa: ANN001, ANN201 - any awaitable
    """`call`'s result, failing the test if it takes longer than BOUND seconds."""
    try:
        async with asyncio.timeout(BOUND):
            return await call
    except TimeoutError:
        pytest.fail(f"no answer within {BOUND} s: the wait on the store is not bounded")


async def token_of(client: httpx.AsyncClient, login: tuple[str, str] = CUSTOMER_LOGIN) -> str:
    body = (
        await client.post(
            "/graphql", json={"query": SIGN_IN, "variables": dict(zip(("login", "password"), login))}
        )
    ).json()
    assert body["data"]["signIn"]["errors"] == [], body
    return body["data"]["signIn"]["accessToken"]


def assert_store_unavailable(response: httpx.Response, media_type: str = "application/json") -> None:
    """A JSON 503 shaped like a GraphQL error, with the retryable code and when to retry; no secret."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(media_type)
    assert int(response.headers["retry-after"]) > 0
    error = response.json()["errors"][0]
    assert error["extensions"] == {
        "code": "STORE_UNAVAILABLE",
        "retryAfter": int(response.headers["retry-after"]),
    }
    assert error["message"]
    assert PASSWORD not in response.text and "postgres" not in response.text


@pytest.mark.parametrize("outage", OUTAGES)
@pytest.mark.parametrize("media_type", ["application/json", GRAPHQL_RESPONSE])
async def test_an_authenticated_query_during_a_store_outage_answers_503_json_within_the_timeout(
    store, outage, media_type
):
    async with client_of(settings_for(store)) as client:
        # given a signed-in customer
        headers = {"Authorization": f"Bearer {await token_of(client)}", "Accept": media_type}
        try:
            # when the store goes away
            await store.outage(outage)
            started = time.monotonic()
            response = await within_bound(client.post("/graphql", json={"query": VIEWER}, headers=headers))
            # then the token check gives up within the timeout and says so, retryably
            assert time.monotonic() - started < BOUND
            assert_store_unavailable(response, media_type)
            assert response.json()["errors"][0]["message"].startswith(
                "El portal no puede"
            )  # Spanish by default
            # and what needs no store still answers
            portal = await within_bound(client.post("/graphql", json={"query": PORTAL}))
            assert portal.status_code == 200 and portal.json()["data"]["portal"]["name"]
        finally:
            await store.restore()
        # when the store is back, then the next request succeeds, with no restart
        body = (await client.post("/graphql", json={"query": VIEWER}, headers=headers)).json()
        assert "errors" not in body and body["data"]["viewer"]["accounts"], body


@pytest.mark.parametrize("outage", OUTAGES)
async def test_sign_in_during_a_store_outage_answers_the_retryable_code(store, outage):
    async with client_of(settings_for(store)) as client:
        variables = dict(zip(("login", "password"), CUSTOMER_LOGIN))
        try:
            # when the store goes away and a customer signs in with the right password
            await store.outage(outage)
            response = await within_bound(
                client.post(
                    "/graphql",
                    json={"query": SIGN_IN, "variables": variables},
                    headers={"Accept-Language": "en"},
                )
            )
            # then the operation ran and its error says the failure is temporary (not INTERNAL_ERROR)
            assert response.status_code == 200
            body = response.json()
            assert body["data"] is None
            (error,) = body["errors"]
            assert error["path"] == ["signIn"]
            assert error["extensions"] == {"code": "STORE_UNAVAILABLE", "retryAfter": 5}
            assert (
                error["message"]
                == "The portal cannot check sessions or sign-ins right now; try again in a few seconds."
            )
        finally:
            await store.restore()
        # when it is back, then the same sign-in succeeds
        assert await token_of(client)


async def test_more_requests_than_the_pool_holds_all_answer_within_the_timeout(store):
    async with client_of(settings_for(store)) as client:
        # given a signed-in customer and a store pool of 2 connections
        headers = {"Authorization": f"Bearer {await token_of(client)}"}
        try:
            # when the store stops answering and 8 requests arrive at once
            await store.outage("blackhole")
            started = time.monotonic()
            requests = [client.post("/graphql", json={"query": VIEWER}, headers=headers) for _ in range(8)]
            responses = await within_bound(asyncio.gather(*requests))
            # then none waits for the pool past the timeout: all answer 503, retryably
            assert time.monotonic() - started < BOUND
            for response in responses:
                assert_store_unavailable(response)
        finally:
            await store.restore()
        # when the store is back, then as many requests at once all succeed
        responses = await asyncio.gather(
            *[client.post("/graphql", json={"query": VIEWER}, headers=headers) for _ in range(8)]
        )
        assert all(r.status_code == 200 and "errors" not in r.json() for r in responses)


@pytest.mark.parametrize("outage", OUTAGES)
async def test_every_door_that_reads_the_store_before_graphql_answers_json_503(store, outage):
    async with client_of(settings_for(store)) as client:
        # given a download link, and a partner's browser origin and token request
        headers = {"Authorization": f"Bearer {await token_of(client)}"}
        body = (await client.post("/graphql", json={"query": LAST_INVOICE}, headers=headers)).json()
        link = body["data"]["viewer"]["customer"]["invoices"]["nodes"][0]["pdfUrl"]
        try:
            await store.outage(outage)
            # when each is used during the outage, then each answers the same JSON 503
            assert_store_unavailable(await within_bound(client.get(link)))
            cross_origin = client.post(
                "/graphql", json={"query": PORTAL}, headers={"Origin": "https://portal.socio.example"}
            )
            assert_store_unavailable(await within_bound(cross_origin))
            form = {
                "grant_type": "client_credentials",
                "client_id": "vt_0123456789abcdef",
                "client_secret": "x",
            }
            assert_store_unavailable(await within_bound(client.post("/oauth/token", data=form)))
        finally:
            await store.restore()
        # when the store is back, then the link downloads again
        assert (await client.get(link)).headers["content-type"] == "application/pdf"


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[int]:
    """The app on a real uvicorn server on a free port (its keep-alive handling is uvicorn's)."""
    app = create_app(settings)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        await app.state.close()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, query: str, token: str
) -> tuple[int, str]:
    """One HTTP/1.1 request on an open connection, and its status and body."""
    body = json.dumps({"query": query}).encode()
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: testserver\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    status = int(head.split(" ", 2)[1])
    headers = dict(line.split(": ", 1) for line in head.strip().split("\r\n")[1:])
    length = int({k.lower(): v for k, v in headers.items()}["content-length"])
    return status, (await reader.readexactly(length)).decode()


async def test_a_store_outage_keeps_the_clients_keep_alive_connection_open(store):
    async with served(settings_for(store)) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            token = await token_of(client)
        # given one keep-alive connection to a real server
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert (await exchange(reader, writer, VIEWER, token))[0] == 200
            try:
                # when the store goes down, then every request on it is answered, on the same connection
                await store.outage("down")
                for _ in range(3):
                    status, body = await within_bound(exchange(reader, writer, VIEWER, token))
                    assert status == 503, body
                    assert json.loads(body)["errors"][0]["extensions"]["code"] == "STORE_UNAVAILABLE"
            finally:
                await store.restore()
            # when it is back, then the same connection is served again
            status, body = await exchange(reader, writer, VIEWER, token)
            assert status == 200 and json.loads(body)["data"]["viewer"]["accounts"]
        finally:
            writer.close()


@pytest.fixture
def routed_config(store, tmp_path, monkeypatch) -> AsyncIterator[Proxy]:
    """Tickets routed to a `native` legacy source on the same database, through a proxy of its own."""
    proxy = Proxy(store.proxy.target[0], store.proxy.target[1])
    config: Path = tmp_path / "ventanilla.toml"

    async def start() -> Proxy:
        await proxy.start()
        url = through(store.url, proxy)
        config.write_text(
            f'[sources.erp]\nconnector = "native"\nurl = "{url}"\n\n[routes]\ntickets = "erp"\n'
        )
        monkeypatch.setenv("VENTANILLA_CONFIG", str(config))
        return proxy

    return start


async def readyz(client: httpx.AsyncClient) -> tuple[int, dict]:
    response = await within_bound(client.get("/readyz"))
    assert PASSWORD not in response.text and "postgres" not in response.text
    return response.status_code, response.json()


async def test_readiness_names_what_is_down_and_is_ready_again_after(store, routed_config):
    erp = await routed_config()
    try:
        async with client_of(settings_for(store)) as client:
            # given a store and a legacy source, both up: ready; liveness answers either way
            assert await readyz(client) == (
                200,
                {"status": "ready", "checks": {"store": {"status": "ok"}, "sources.erp": {"status": "ok"}}},
            )
            # when the store is in a blackhole, then not ready, naming the store
            await store.outage("blackhole")
            try:
                status, body = await readyz(client)
                assert status == 503 and body["status"] == "unavailable"
                assert (
                    body["checks"]["store"]["status"] == "down"
                    and body["checks"]["sources.erp"]["status"] == "ok"
                )
                assert (await client.get("/health")).json() == {"status": "ok"}
                assert (await client.get("/healthz")).json() == {"status": "ok"}
            finally:
                await store.restore()
            # when the legacy source is down instead, then it is the one named
            await erp.stop()
            try:
                status, body = await readyz(client)
                assert status == 503
                assert body["checks"] == {
                    "store": {"status": "ok"},
                    "sources.erp": {"status": "down", "reason": "ConnectionRefusedError"},
                }
            finally:
                await erp.start()
            # when everything is back, then ready
            assert (await readyz(client))[0] == 200
    finally:
        await erp.stop()


@pytest.fixture
async def redis_proxy() -> AsyncIterator[Proxy]:
    proxy = Proxy(*REDIS)
    await proxy.start()
    yield proxy
    if proxy.stalled:
        await proxy.restore()
    await proxy.stop()


async def password_checks(store: Store, login: str) -> int:
    """Sign-ins of `login` that reached the password check and failed it (the audit log says so)."""
    engine = create_async_engine(store.direct)
    try:
        async with engine.connect() as conn:
            query = select(audit_log.c.id).where(
                audit_log.c.login == login, audit_log.c.outcome == "INVALID_CREDENTIALS"
            )
            return len((await conn.execute(query)).all())
    finally:
        await engine.dispose()


@pytest.mark.parametrize("outage", OUTAGES)
async def test_a_redis_outage_refuses_sign_in_with_the_retryable_code_and_checks_no_password(
    store, redis_proxy, outage
):
    # given a user of its own (the shared Redis counts every suite's sign-ins) and counters in Redis
    login = f"redis-{uuid.uuid4().hex[:8]}@example.com"
    engine = create_async_engine(store.direct)
    async with engine.begin() as conn:
        accounts = (await user_by_login(conn, CUSTOMER_LOGIN[0])).customer_ids
        await create_user(
            conn, login=login, name="Prueba", password="clave.buena", kind="CUSTOMER", customer_ids=accounts
        )
    await engine.dispose()
    settings = settings_for(store, redis_url=f"redis://127.0.0.1:{redis_proxy.port}/0")
    async with client_of(settings, ip=f"10.8.{uuid.uuid4().int % 250}.1") as client:
        assert await token_of(client, (login, "clave.buena"))
        try:
            # when Redis goes away
            await (redis_proxy.stop() if outage == "down" else redis_proxy.blackhole())
            for password in ("clave.mala", "clave.buena"):
                started = time.monotonic()
                variables = {"login": login, "password": password}
                response = await within_bound(
                    client.post("/graphql", json={"query": SIGN_IN, "variables": variables})
                )
                # then sign-in fails closed, within the timeout, with the retryable code
                assert time.monotonic() - started < BOUND
                body = response.json()
                assert body["data"] is None
                assert body["errors"][0]["extensions"] == {"code": "STORE_UNAVAILABLE", "retryAfter": 5}
            # and no password was checked without its counters
            assert await password_checks(store, login) == 0
            # and readiness names Redis
            status, ready = await readyz(client)
            assert status == 503 and ready["checks"]["redis"]["status"] == "down"
            assert ready["checks"]["store"] == {"status": "ok"}
        finally:
            await (redis_proxy.restore() if redis_proxy.stalled else redis_proxy.start())
        # when Redis is back, then the same sign-in works and the worker is ready
        assert await token_of(client, (login, "clave.buena"))
        assert (await readyz(client))[0] == 200
