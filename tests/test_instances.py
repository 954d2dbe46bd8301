"""Two `ventanilla serve` processes on two loopback ports, one PostgreSQL store, one Redis: what
one instance did holds on the other at once (docs/operations.md, "Several instances").

Killing one instance (SIGKILL) in the middle of a stream of writes to both loses no accepted
write: retried with the same idempotency keys on the other, every request makes one ticket and
one event, delivered once (tests/test_instances.py, last test).

Also proven elsewhere, on two apps over one store: each queued mail is sent once
(tests/test_mail_queue.py, two workers competing for the queue), the sign-in counters are
shared through Redis (tests/test_access_sign_in.py, tests/test_access_limits.py), and a
persisted query one instance registered runs on the other (tests/test_persisted_queries.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.native.tables import tickets
from ventanilla.demo.business import generate_demo
from ventanilla.store.tables import event_deliveries, events
from ventanilla.store.users import create_user

from .conftest import TEST_SECRET, fresh_database
from .event_receivers import until, webhook_receiver

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
    client.process = process  # a test may kill it (SIGKILL: no shutdown of any kind)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await client.get("/readyz", timeout=2)).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()[-3000:]
            await asyncio.sleep(0.05)
        yield client
    finally:
        await client.aclose()
        process.terminate()
        process.wait(timeout=30)


@asynccontextmanager
async def _instances(
    *specs: tuple[Path, dict[str, str]], store_url: str
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """One `_instance` per (workdir, environment) spec, all started at once (they boot side by side)
    and all told to stop at once."""
    async with AsyncExitStack() as stack:
        started = await asyncio.gather(
            *(stack.enter_async_context(_instance(workdir, store_url, **more)) for workdir, more in specs),
            return_exceptions=True,
        )
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        # run first on the way out: every instance gets its SIGTERM before any is waited for
        stack.callback(lambda: [client.process.terminate() for client in started])
        yield started


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
    async with _instances((workdir / "a", {}), (workdir / "b", {}), store_url=store_url) as (a, b):
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


CREATE_TICKET = """mutation($input: CreateTicketInput!) { createTicket(input: $input) {
  ticket { id } errors { code } } }"""
CHANGE_PASSWORD = """mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) {
  errors { code } } }"""
STREAM = 36  # createTicket requests, each with a key of its own
LANES = 4  # requests in flight at once
KILL_AFTER = 10  # answers before instance A is killed


async def test_killing_one_instance_mid_load_loses_no_accepted_write(store_url, tmp_path) -> None:
    async with webhook_receiver() as hook:
        sinks = json.dumps({"crm": {"kind": "webhook", "url": hook.url, "secret": hook.secret}})
        more = {"VENTANILLA_EVENT_SINKS": sinks, "VENTANILLA_TICKETS_DAILY_LIMIT": "0",
                "VENTANILLA_EVENTS_POLL_SECONDS": "0.2"}  # fmt: skip
        async with _instances((tmp_path / "a", more), (tmp_path / "b", more), store_url=store_url) as (a, b):
            login, temporary = await _customer_user(b, "5")
            first = (await _sign_in(b, login, temporary))["accessToken"]
            changed = await _gql(b, CHANGE_PASSWORD, first, c=temporary, n="una.clave.nueva.larga")
            assert changed.json()["data"]["changePassword"]["errors"] == [], changed.text
            token = (await _sign_in(b, login, "una.clave.nueva.larga"))["accessToken"]
            started = await _now(store_url)
            answered: dict[int, str] = {}  # request -> the ticket its 200 named
            unanswered: list[int] = []
            killed = asyncio.Event()

            async def send(client: httpx.AsyncClient, n: int) -> str | None:
                body = {"input": {"description": f"Corte de servicio {n}", "idempotencyKey": f"kill-{started}-{n}"}}
                try:
                    response = await _gql(client, CREATE_TICKET, token, **body)
                except httpx.TransportError:
                    return None  # no answer: the client cannot know whether it was written
                if response.status_code != 200:
                    return None
                assert response.json()["data"], response.text
                payload = response.json()["data"]["createTicket"]
                assert payload["errors"] == [], payload
                return payload["ticket"]["id"]

            async def lane(numbers: list[int]) -> None:
                for n in numbers:
                    ticket = await send((a, b)[n % 2], n)  # alternating instances, as a proxy would
                    if ticket is None:
                        unanswered.append(n)
                        continue
                    answered[n] = ticket
                    if len(answered) >= KILL_AFTER and not killed.is_set():
                        killed.set()
                        a.process.kill()  # SIGKILL, with requests to it in flight on the other lanes

            # when a stream of writes goes to both instances and A is killed in the middle of it
            await asyncio.gather(*(lane(list(range(k, STREAM, LANES))) for k in range(LANES)))
            assert killed.is_set() and a.process.wait(timeout=10) == -9
            assert unanswered, "A was killed with nothing of it left unanswered: the test proved nothing"
            # and the client retries every unanswered one on B with the same key
            retried = {n: await send(b, n) for n in sorted(unanswered)}
            assert all(retried.values()), retried
            answered |= retried
            # then every request named one ticket of its own, and the store holds exactly those
            assert len(answered) == STREAM and len(set(answered.values())) == STREAM
            made = await _tickets_since(store_url, started)
            assert len(made) == STREAM, f"{len(made)} tickets for {STREAM} requests"
            assert {_gid_of("Ticket", ticket) for ticket in made} == set(answered.values())
            # and one TicketCreated event each, delivered by the instance still up
            created = await _events_since(store_url, started)
            assert len(created) == STREAM
            await until(lambda: set(created) <= hook.delivered_ids(), seconds=90, what="every event delivered")
            delivered = [envelope["id"] for envelope in hook.delivered() if envelope["id"] in created]
            attempts = await _attempts(store_url, created)
            # once each: only a delivery A had claimed when it died may come again (at least once,
            # after its lease), and then its row says it was attempted again
            twice = {event_id for event_id in created if delivered.count(event_id) > 1}
            assert all(attempts[event_id] >= 2 for event_id in twice), (twice, attempts)
            assert all(delivered.count(event_id) == 1 for event_id in created if attempts[event_id] == 1)


def _gid_of(type_name: str, raw: object) -> str:
    return base64.b64encode(f"{type_name}:{raw}".encode()).decode()


async def _now(store_url: str) -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


async def _tickets_since(store_url: str, started: str) -> list[int]:
    from datetime import datetime

    engine = create_async_engine(store_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(select(tickets.c.id).where(tickets.c.created_at >= datetime.fromisoformat(started)))
            return [row.id for row in rows]
    finally:
        await engine.dispose()


async def _events_since(store_url: str, started: str) -> list[str]:
    from datetime import datetime

    engine = create_async_engine(store_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(events.c.id).where(events.c.type == "TicketCreated", events.c.occurred_at >= datetime.fromisoformat(started))
            )
            return [row.id for row in rows]
    finally:
        await engine.dispose()


async def _attempts(store_url: str, event_ids: list[str]) -> dict[str, int]:
    engine = create_async_engine(store_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(event_deliveries.c.event_id, event_deliveries.c.attempts).where(
                    event_deliveries.c.event_id.in_(event_ids), event_deliveries.c.sink == "crm"
                )
            )
            return {row.event_id: row.attempts for row in rows}
    finally:
        await engine.dispose()
