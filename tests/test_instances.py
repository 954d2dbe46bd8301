"""Two `ventanilla serve` processes on two loopback ports, one PostgreSQL store, one Redis: what
one instance did holds on the other at once (docs/operations.md, "Several instances").

Also proven elsewhere, on two apps over one store: each queued mail is sent once
(tests/test_mail_queue.py, two workers competing for the queue), the sign-in counters are
shared through Redis (tests/test_access_sign_in.py, tests/test_access_limits.py), and a
persisted query one instance registered runs on the other (tests/test_persisted_queries.py).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import generate_demo
from ventanilla.store.users import create_user

from .conftest import TEST_SECRET, fresh_database

REDIS = "redis://127.0.0.1:6379/0"
ADMIN = ("admin.instances@example.com", "clave.admin.instancias")
SIGN_IN = """mutation($l: String!, $p: String!) { signIn(input: {login: $l, password: $p}) {
  accessToken errors { code } } }"""
SIGN_OUT = "mutation { signOut { ok errors { code } } }"
GRANT = """mutation($id: ID!, $login: String) { grantPortalAccess(input: {customerId: $id, login: $login, sendEmail: false}) {
  temporaryPassword errors { code } } }"""
REVOKE = """mutation($id: ID!) { revokePortalAccess(input: {customerId: $id}) { usersAffected errors { code } } }"""
ME = "query Me { viewer { accounts { id } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def _instance(workdir: Path, store_url: str, *args: str, **more: str) -> AsyncIterator[httpx.AsyncClient]:
    """`ventanilla serve` on a free loopback port, as an operator starts each instance."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "OTEL_"))}
    env |= {
        "VENTANILLA_SECRET_KEY": TEST_SECRET, "VENTANILLA_DATABASE_URL": store_url, "VENTANILLA_TIMEZONE": "UTC",
        "VENTANILLA_REDIS_URL": REDIS, "VENTANILLA_LOGIN_ATTEMPTS": "3/15 minutes",
        "VENTANILLA_IP_ATTEMPTS": "100000/15 minutes", "VENTANILLA_METRICS_ENABLED": "true",
    }  # fmt: skip
    env |= more
    log = workdir / "serve.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "ventanilla", "serve", "--port", str(port), *args],
            stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=workdir,
        )  # fmt: skip
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await client.get("/readyz", timeout=2)).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.2)
        yield client
    finally:
        await client.aclose()
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path_factory.mktemp("store")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=6, seed=7)
        async with engine.begin() as conn:
            await create_user(conn, login=ADMIN[0], name="Admin", password=ADMIN[1], kind="STAFF", role="admin")
        await engine.dispose()
        yield url


@pytest.fixture(scope="module")
async def instances(store_url, tmp_path_factory) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    workdir = tmp_path_factory.mktemp("instances")
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(_instance(workdir / "a", store_url))
        b = await stack.enter_async_context(_instance(workdir / "b", store_url))
        yield a, b


async def _gql(client: httpx.AsyncClient, query: str, token: str | None = None, **variables) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def _sign_in(client: httpx.AsyncClient, login: str, password: str) -> dict:
    return (await _gql(client, SIGN_IN, l=login, p=password)).json()["data"]["signIn"]


def _gid(raw: str) -> str:
    return base64.b64encode(f"Customer:{raw}".encode()).decode()


async def _customer_user(a: httpx.AsyncClient, customer: str) -> tuple[str, str]:
    """A portal user of `customer`, granted by the admin on instance A: (login, password)."""
    admin = (await _sign_in(a, *ADMIN))["accessToken"]
    login = f"inst-{uuid.uuid4().hex[:8]}@example.com"
    granted = (await _gql(a, GRANT, admin, id=_gid(customer), login=login)).json()["data"]["grantPortalAccess"]
    assert granted["errors"] == [], granted
    return login, granted["temporaryPassword"]


async def test_a_sign_in_on_one_instance_works_on_the_other(instances) -> None:
    a, b = instances
    login, password = await _customer_user(a, "3")
    # when a user signs in on A
    token = (await _sign_in(a, login, password))["accessToken"]
    # then B serves it
    answer = await _gql(b, ME, token)
    assert answer.status_code == 200 and answer.json()["data"]["viewer"]["accounts"], answer.text


async def test_a_sign_out_on_one_instance_is_refused_on_the_other_at_once(instances) -> None:
    a, b = instances
    login, password = await _customer_user(a, "4")
    token = (await _sign_in(a, login, password))["accessToken"]
    assert (await _gql(b, ME, token)).status_code == 200
    # when the user signs out on A
    out = (await _gql(a, SIGN_OUT, token)).json()["data"]["signOut"]
    assert out == {"ok": True, "errors": []}
    # then B refuses its token on the very next request
    assert (await _gql(b, ME, token)).status_code == 401


async def test_a_revocation_on_one_instance_is_refused_on_the_other_at_once(instances) -> None:
    a, b = instances
    login, password = await _customer_user(a, "5")
    token = (await _sign_in(b, login, password))["accessToken"]
    assert (await _gql(b, ME, token)).status_code == 200
    # when the admin revokes the account on A
    admin = (await _sign_in(a, *ADMIN))["accessToken"]
    revoked = (await _gql(a, REVOKE, admin, id=_gid("5"))).json()["data"]["revokePortalAccess"]
    assert revoked["errors"] == [] and revoked["usersAffected"] >= 1
    # then B refuses the token it already holds, and signing in on B says why
    assert (await _gql(b, ME, token)).status_code == 401
    again = await _sign_in(b, login, password)
    assert again["errors"] == [{"code": "ACCESS_REVOKED"}]


async def test_the_sign_in_limit_is_one_count_for_both_instances(instances) -> None:
    a, b = instances
    login = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    # when a login is tried with wrong passwords, alternating instances, past its limit of 3
    said = [await _sign_in((a, b)[n % 2], login, f"wrong-{n}") for n in range(4)]
    # then the fourth is refused for the limit, whichever instance took the first three
    assert [s["errors"][0]["code"] for s in said] == ["INVALID_CREDENTIALS"] * 3 + ["TOO_MANY_ATTEMPTS"]


async def test_each_instance_is_scraped_on_its_own(instances) -> None:
    a, b = instances
    await _gql(a, "query OnlyOnA { __typename }")
    scraped = [(await client.get("/metrics")).text for client in (a, b)]
    # then A counted the operation it ran, and B did not (one process each, no multiprocess dir)
    assert 'operation="OnlyOnA"' in scraped[0]
    assert 'operation="OnlyOnA"' not in scraped[1]
    assert all("ventanilla_store_up 1.0" in text for text in scraped)


async def test_the_workers_of_one_instance_add_up_in_multiprocess_mode(store_url, tmp_path) -> None:
    # given one instance with two workers, prometheus_client's multiprocess directory set
    counts = tmp_path / "prometheus"
    counts.mkdir()
    async with _instance(tmp_path / "mp", store_url, "--workers", "2", PROMETHEUS_MULTIPROC_DIR=str(counts)) as c:
        # when requests come on new connections (the workers share the socket), then scrapes
        for _ in range(12):
            async with httpx.AsyncClient(base_url=str(c.base_url)) as fresh:
                assert (await fresh.post("/graphql", json={"query": "query Counted { __typename }"})).status_code == 200
        scraped = []
        for _ in range(4):
            async with httpx.AsyncClient(base_url=str(c.base_url)) as fresh:
                scraped.append((await fresh.get("/metrics")).text)
    # then whichever worker answers a scrape, it counts every worker's requests
    line = 'ventanilla_graphql_operations_total{operation="Counted",outcome="ok",type="query"} 12.0'
    assert all(line in text for text in scraped), [t for t in scraped[0].splitlines() if "Counted" in t]
    assert list(counts.glob("counter_*.db"))  # the workers counted in the directory (one file per worker)
