"""Traces (web/tracing.py), read with the OpenTelemetry SDK's in-memory exporter through real
requests: a span per request named after its operation, continuing the caller's trace, with the
statements and loader batches under it; nothing of the query text or variables in them."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from io import StringIO

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.settings import LogFormat, Settings
from ventanilla.web.app import create_app
from ventanilla.web.logs import JsonFormatter, OutageLines

from .conftest import SIGN_IN, TEST_SECRET, fresh_database

DASHBOARD = """query Dashboard($first: Int!) { viewer { customer { name
  invoices(first: $first) { nodes { number lines { description } } } } } }"""
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """The process's tracer provider, exporting to memory (the app keeps a provider already set)."""
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture(scope="module")
async def store_url(tmp_path_factory) -> AsyncIterator[str]:
    async with fresh_database("sqlite", tmp_path_factory.mktemp("tracing")) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=4, seed=3)
        await engine.dispose()
        yield url


@pytest.fixture
async def traced(store_url, exporter) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC", tracing_enabled=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client
    await app.state.close()


async def _token(client: httpx.AsyncClient) -> str:
    answer = await client.post("/graphql", json={"query": SIGN_IN, "variables": {
        "login": CUSTOMER_LOGIN[0], "password": CUSTOMER_LOGIN[1]}})  # fmt: skip
    return answer.json()["data"]["signIn"]["accessToken"]


async def test_a_request_is_a_span_with_its_statements_and_batches(traced, exporter) -> None:
    token = await _token(traced)
    exporter.clear()
    # when a customer's portal asks for the dashboard, inside a trace of its own
    headers = {"Authorization": f"Bearer {token}", "traceparent": f"00-{TRACE_ID}-{PARENT}-01"}
    answer = await traced.post("/graphql", json={"query": DASHBOARD, "variables": {"first": 3}}, headers=headers)
    assert "errors" not in answer.json()
    spans = exporter.get_finished_spans()
    # then one server span continues the caller's trace, named after the operation
    (server,) = [s for s in spans if s.kind is SpanKind.SERVER]
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert format(server.parent.span_id, "016x") == PARENT
    assert server.name == "query Dashboard"
    assert server.attributes["graphql.operation.name"] == "Dashboard"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["ventanilla.request_id"] == answer.headers["x-request-id"]
    # and every statement and batch is a span of that trace, under it
    statements = [s for s in spans if s.kind is SpanKind.CLIENT]
    batches = [s for s in spans if s.name.startswith("batch ")]
    assert {s.attributes["ventanilla.database"] for s in statements} >= {"store", "billing"}
    assert any(s.attributes["ventanilla.loader"] == "lines_of" and s.attributes["ventanilla.batch.keys"] == 3
               for s in batches)  # fmt: skip
    assert all(s.context.trace_id == server.context.trace_id for s in statements + batches)
    ids = {s.context.span_id for s in spans}
    assert all(s.parent is not None and s.parent.span_id in ids for s in statements + batches)
    # and no span holds the query text, its variables or the token
    said = json.dumps([dict(s.attributes or {}) | {"name": s.name} for s in spans])
    assert "invoices(first" not in said and '"first": 3' not in said and token not in said


async def test_the_access_line_has_the_trace_id_beside_the_request_id(traced, exporter) -> None:
    written = StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(OutageLines())
    access = logging.getLogger("ventanilla.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        answer = await traced.post("/graphql", json={"query": "query Hello { __typename }"})
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    (line,) = [json.loads(line) for line in written.getvalue().splitlines()]
    (server,) = [s for s in exporter.get_finished_spans() if s.name == "query Hello"]
    assert line["request_id"] == answer.headers["x-request-id"]
    assert line["trace_id"] == format(server.context.trace_id, "032x")
    assert LogFormat.JSON  # the format `serve` writes with [logging] format = "json"


async def test_tracing_is_off_unless_configured(store_url, exporter, monkeypatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
    exporter.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await client.post("/graphql", json={"query": "query Quiet { __typename }"})
    await app.state.close()
    assert [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER] == []


@pytest.mark.parametrize(
    ("env", "enabled", "wanted"),
    [
        ({}, False, False),
        ({}, True, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, False, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, False, True),
        ({"OTEL_TRACES_EXPORTER": "none"}, True, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True, False),
    ],
)
def test_the_standard_variables_turn_tracing_on_and_off(monkeypatch, env, enabled, wanted) -> None:
    from ventanilla.web.tracing import tracing_wanted

    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_SDK_DISABLED"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tracing_wanted(Settings(tracing_enabled=enabled)) is wanted
