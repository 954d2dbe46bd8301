"""/metrics (web/metrics.py): off by default, behind its token, and its counters move with the
requests an operator would see them for — scraped and parsed as Prometheus reads them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import Settings
from ventanilla.store.tables import event_deliveries, events
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database

TOKEN = "metrics-token-of-the-test"
DASHBOARD = """query Dashboard { viewer { customer { name
  invoices(first: 5) { nodes { number lines { description } } } } } }"""


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path_factory.mktemp("metrics")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=4, seed=3)
        await engine.dispose()
        yield url


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def served(store_url) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=store_url, secret_key=TEST_SECRET, timezone="UTC", metrics_enabled=True,
        metrics_token=TOKEN, login_attempts="2/15 minutes",
    )  # fmt: skip
    app = create_app(settings)
    async with _client(app) as client:
        yield client
    await app.state.close()


async def _scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _sum(samples: dict, name: str, **labels: str) -> float:
    """Every sample of `name` whose labels include `labels` (a histogram's buckets left out)."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


async def _sign_in(client: httpx.AsyncClient, password: str = CUSTOMER_LOGIN[1]) -> dict:
    answer = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
        "login": CUSTOMER_LOGIN[0], "password": password}})  # fmt: skip
    return answer.json()["data"]["signIn"]


async def test_metrics_are_off_unless_enabled(store_url) -> None:
    app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
    async with _client(app) as client:
        assert (await client.get("/metrics")).status_code == 404
    await app.state.close()


async def test_the_token_is_asked_for(served) -> None:
    # given no token, another token, another scheme
    for headers in ({}, {"Authorization": "Bearer not-it"}, {"Authorization": f"Basic {TOKEN}"}):
        # when scraped
        response = await served.get("/metrics", headers=headers)
        # then refused, and nothing of the metrics shown
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "ventanilla_" not in response.text


async def test_counters_move_with_the_requests(served) -> None:
    # given a scrape before
    before = await _scrape(served)
    token = (await _sign_in(served))["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    # when a customer asks for its dashboard twice, and a document that does not validate once
    for _ in range(2):
        answer = await served.post("/graphql", json={"query": DASHBOARD}, headers=headers)
        assert "errors" not in answer.json()
    await served.post("/graphql", json={"query": "query Broken { viewer { nothingHere } }"}, headers=headers)
    after = await _scrape(served)

    # then the operations are counted by type, name and outcome
    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("ventanilla_graphql_operations_total", type="query", operation="Dashboard", outcome="ok") == 2
    assert moved("ventanilla_graphql_operations_total", type="mutation", operation="(anonymous)", outcome="ok") == 1
    assert moved("ventanilla_graphql_operations_total", type="query", operation="Broken", outcome="refused") == 1
    assert moved("ventanilla_graphql_operation_seconds_count", type="query", operation="Dashboard") == 2
    # and the error by its code
    assert moved("ventanilla_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    # and each HTTP request, its statements, the statements' time per database, the loader batches
    assert moved("ventanilla_http_requests_total", route="graphql", status="200") == 4
    assert moved("ventanilla_statements_per_request_count") == 4
    assert moved("ventanilla_statements_per_request_sum") >= 6
    assert moved("ventanilla_database_statement_seconds_count", database="store") >= 2  # sign-in, sessions
    assert moved("ventanilla_database_statement_seconds_count", database="billing") >= 4  # invoices, lines x2
    assert _sum(after, "ventanilla_loader_batch_size_count", loader="lines_of") - _sum(
        before, "ventanilla_loader_batch_size_count", loader="lines_of"
    ) == 2
    # and no label carries a customer, a user or a login
    text = str(list(after))
    assert CUSTOMER_LOGIN[0] not in text and "customer_id" not in text and "user" not in text


async def test_rate_limit_refusals_are_counted(served) -> None:
    before = await _scrape(served)
    # when a login is tried with a wrong password past its limit (2 per 15 minutes here)
    said = [await _sign_in(served, password=f"wrong-{n}") for n in range(3)]
    after = await _scrape(served)
    # then the last one was refused by the limit, and counted as such
    assert said[-1]["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    key = ("ventanilla_rate_limit_refusals_total", (("action", "sign-in"), ("key", "login")))
    assert after.get(key, 0) - before.get(key, 0) >= 1


async def test_the_outbox_backlog_and_mail_queue_are_read_at_scrape_time(served, store_url) -> None:
    # given an event waiting for a sink, and one given up on another
    engine = create_async_engine(store_url)
    now = datetime.now(UTC)
    sink = f"sink-{uuid.uuid4().hex[:6]}"
    try:
        async with engine.begin() as conn:
            ids = [str(uuid.uuid4()) for _ in range(2)]
            await conn.execute(events.insert(), [
                {"id": i, "type": "TicketCreated", "occurred_at": now, "payload": "{}"} for i in ids])  # fmt: skip
            await conn.execute(event_deliveries.insert(), [
                {"event_id": ids[0], "sink": sink, "attempts": 1, "next_attempt_at": now, "dead_at": None},
                {"event_id": ids[1], "sink": sink, "attempts": 9, "next_attempt_at": None, "dead_at": now},
            ])  # fmt: skip
        # when scraped
        samples = await _scrape(served)
    finally:
        await engine.dispose()
    # then the figures are the store's
    assert _value(samples, "ventanilla_store_up") == 1
    assert _value(samples, "ventanilla_outbox_backlog", sink=sink) == 1
    assert _value(samples, "ventanilla_outbox_dead", sink=sink) == 1
    assert ("ventanilla_mail_queue_depth", ()) in samples


async def test_a_store_outage_shows_and_does_not_hang_the_scrape(tmp_path) -> None:
    # given a store nobody listens for (a closed port), a short store timeout
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:9/nothing", secret_key=TEST_SECRET,
        metrics_enabled=True, store_timeout_seconds=1.0,
    )  # fmt: skip
    app = create_app(settings)
    async with _client(app) as client:
        before = await client.get("/metrics")
        # when a sign-in fails on it
        await client.post("/graphql", json={"query": SIGN_IN, "variables": {"login": "a@b.c", "password": "x"}})
        response = await client.get("/metrics")
    await app.state.close()
    # then the scrape answers, saying the store is down, and the outage is counted by its code
    assert response.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(response.text) for s in f.samples
    }  # fmt: skip
    old = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(before.text) for s in f.samples
    }  # fmt: skip
    assert _value(samples, "ventanilla_store_up") == 0
    assert "ventanilla_outbox_backlog" not in response.text.replace("# HELP ventanilla_outbox_backlog", "")
    store_errors = ("ventanilla_errors_total", (("code", "STORE_UNAVAILABLE"),))
    assert samples.get(store_errors, 0) - old.get(store_errors, 0) >= 1


async def test_a_refusal_outside_graphql_is_counted_by_its_code(served) -> None:
    before = await _scrape(served)
    # when a request comes with a token that is not one
    refused = await served.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer nope"})
    after = await _scrape(served)
    # then it is refused before GraphQL, and counted by its code and status
    assert refused.status_code == 401
    key = ("ventanilla_errors_total", (("code", "UNAUTHENTICATED"),))
    assert after.get(key, 0) - before.get(key, 0) == 1
    status = ("ventanilla_http_requests_total", (("route", "graphql"), ("status", "401")))
    assert after.get(status, 0) - before.get(status, 0) == 1
