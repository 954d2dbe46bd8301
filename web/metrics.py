"""Prometheus metrics at /metrics ([metrics] enabled, optionally a bearer token; docs/operations.md).

What is counted, and the only labels (each a bounded set: never a customer, a user, a login, an
address or anything a caller can make up without limit):

- GraphQL operations by type, name and outcome, and their latency. Operation names are the
  client's: the first MAX_OPERATION_NAMES distinct ones are kept, later ones count as "(other)"
  (with `[api] persisted_queries = "only"` every name is the manifest's anyway).
- HTTP requests by route (graphql, oauth, download, health, metrics, static, other) and status.
- Errors by code (ErrorCode's, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, the persisted-query
  refusals), in GraphQL results and in the refusals outside GraphQL (web/errors.py `refusal`: a
  401, a 413, a 503 before GraphQL ran): the outages SOURCE_UNAVAILABLE and STORE_UNAVAILABLE among them.
- SQL statements per request (what the access line counts), statement time and driver errors per
  database (store, billing, sources.<name>), loader batch sizes per loader.
- Sign-in and access-email refusals by the limit that refused (auth/ratelimit.py), and every
  failed sign-in by method (password, code, partner) and reason (observe.sign_in_failed).
- Every delivery attempt of the event relay (by sink) and the mail worker, by outcome
  (observe.delivery: delivered, sent, retry, dead, refused, gave_up, expired).
- At scrape time, read from the store within [store] timeout_seconds: queued mail, the event
  outbox backlog (deliveries with a next attempt) and dead deliveries, by sink. The store not
  answering in time: `ventanilla_store_up 0` and no backlog figures, never a hung scrape.

Several worker processes: point PROMETHEUS_MULTIPROC_DIR at an empty directory before the
workers start; each scrape then adds up every worker's files (prometheus_client's multiprocess
mode). Otherwise scrape each instance (one worker each) on its own.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from ..connectors.base import InvalidCursor, SourceError
from ..errors import ApiError, ErrorCode
from ..observe import Delivery, database_of, watch_batches, watch_deliveries, watch_sign_ins
from ..store.engine import Store, StoreUnavailable
from ..store.tables import event_deliveries, outgoing_mail
from .logs import REQUEST

MAX_OPERATION_NAMES = 200
OTHER = "(other)"
ANONYMOUS = "(anonymous)"

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STATEMENT_TIME = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

OPERATIONS = Counter(
    "ventanilla_graphql_operations", "GraphQL operations run, by type, name and outcome (ok, error, refused)",
    ["type", "operation", "outcome"],
)  # fmt: skip
OPERATION_SECONDS = Histogram(
    "ventanilla_graphql_operation_seconds", "Time to run a GraphQL operation (parse to result)",
    ["type", "operation"], buckets=_LATENCY,
)  # fmt: skip
HTTP_REQUESTS = Counter("ventanilla_http_requests", "HTTP requests answered, by route and status", ["route", "status"])
HTTP_SECONDS = Histogram(
    "ventanilla_http_request_seconds", "Time to answer an HTTP request, by route", ["route"], buckets=_LATENCY
)
ERRORS = Counter(
    "ventanilla_errors", "Errors answered, by code: in GraphQL results and in refusals outside GraphQL", ["code"]
)
STATEMENTS = Histogram(
    "ventanilla_statements_per_request", "SQL statements one HTTP request sent (every database)",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144),
)  # fmt: skip
STATEMENT_SECONDS = Histogram(
    "ventanilla_database_statement_seconds", "Time of one SQL statement, by database (store, billing, sources.<name>)",
    ["database"], buckets=_STATEMENT_TIME,
)  # fmt: skip
DATABASE_ERRORS = Counter(
    "ventanilla_database_errors", "Statements that failed in the driver (outages included), by database", ["database"]
)
BATCH_SIZES = Histogram(
    "ventanilla_loader_batch_size", "Keys in one loader batch, by loader", ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)  # fmt: skip
RATE_LIMITED = Counter(
    "ventanilla_rate_limit_refusals", "Attempts refused by a limit: action (sign-in, emails), by login or ip",
    ["action", "key"],
)  # fmt: skip
SIGN_IN_FAILURES = Counter(
    "ventanilla_sign_in_failures", "Failed sign-ins, by method (password, code, partner) and reason",
    ["method", "reason"],
)  # fmt: skip
DELIVERIES = Counter(
    "ventanilla_deliveries", "Delivery attempts of the workers, by kind (event, mail), sink (events) and outcome",
    ["kind", "sink", "outcome"],
)  # fmt: skip

# The GraphQL operation of the request being measured (Measure sets it, CountOperations fills it).
_SEEN: ContextVar[_Seen | None] = ContextVar("ventanilla_metrics", default=None)


@dataclass(slots=True)
class _Seen:
    operation: str | None = None


class _Names:
    """The operation names labels may carry: the first `limit` seen, then OTHER."""

    def __init__(self, limit: int) -> None:
        self.limit, self.known = limit, set[str]()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if name in self.known:
            return name
        if len(self.known) < self.limit:
            self.known.add(name)
            return name
        return OTHER


_names = _Names(MAX_OPERATION_NAMES)


def error_code(error: Any) -> str:
    """The code a GraphQL error is answered with (web/graphql.py _present), without logging it again."""
    original = getattr(error, "original_error", None)
    if original is None or (getattr(error, "path", None) is None and not isinstance(original, ApiError)):
        return "GRAPHQL_PARSE_FAILED" if str(error.message).startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, ApiError):
        return original.code.value
    if isinstance(original, InvalidCursor):
        return ErrorCode.BAD_INPUT.value
    if isinstance(original, SourceError):
        return ErrorCode.SOURCE_UNAVAILABLE.value
    if isinstance(original, StoreUnavailable):
        return ErrorCode.STORE_UNAVAILABLE.value
    return ErrorCode.INTERNAL_ERROR.value


class CountOperations(SchemaExtension):
    """Each GraphQL operation: its type, (bounded) name, outcome, time and error codes."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except Exception:  # the document did not parse: no operation to name
            kind = "unknown"
        name = _names(context.operation_name)
        seen = _SEEN.get()
        if seen is not None:
            seen.operation = name
        result = context.result
        errors = list(getattr(result, "errors", None) or [])
        if not errors:
            outcome = "ok"
        elif getattr(result, "data", None) is None and all(getattr(e, "path", None) is None for e in errors):
            outcome = "refused"  # nothing ran: the document, its variables, its cost
        else:
            outcome = "error"
        OPERATIONS.labels(kind, name, outcome).inc()
        OPERATION_SECONDS.labels(kind, name).observe(time.perf_counter() - started)
        for error in errors:
            ERRORS.labels(error_code(error)).inc()


def _route(path: str) -> str:
    """A path as a bounded label."""
    if path == "/graphql":
        return "graphql"
    if path in ("/health", "/healthz", "/readyz"):
        return "health"
    if path == "/metrics":
        return "metrics"
    if path == "/oauth/token":
        return "oauth"
    if path.startswith("/static/"):
        return "static"
    if path.startswith("/files/"):
        return "download"
    return "other"


class Measure:
    """Per HTTP request: route, status, time, and (inside RequestLogging) its statement count."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        token = _SEEN.set(_Seen())

        async def send_status(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            _SEEN.reset(token)
            route = _route(scope["path"])
            HTTP_REQUESTS.labels(route, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)
            current = REQUEST.get()
            if current is not None and route == "graphql":
                STATEMENTS.observe(current.statements)


# --- statements, batches and limits: what the layers below report -----------------------------


def _before(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool) -> None:
    if context is not None:
        context._ventanilla_started = time.perf_counter()


def _after(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool) -> None:
    started = getattr(context, "_ventanilla_started", None)
    name = database_of(conn.engine)
    if started is not None and name is not None:
        STATEMENT_SECONDS.labels(name).observe(time.perf_counter() - started)


def _failed(exception_context: Any) -> None:
    engine = getattr(exception_context, "engine", None)
    name = database_of(engine) if engine is not None else None
    if name is not None:
        DATABASE_ERRORS.labels(name).inc()


@asynccontextmanager
async def _batch(loader: str, keys: int) -> AsyncIterator[None]:
    BATCH_SIZES.labels(loader).observe(keys)
    yield


def count_refusals(limiter: Any) -> None:
    """Count what the sign-in limiter (auth/ratelimit.py AttemptLimiter) refuses, by action and key."""
    if getattr(limiter, "_ventanilla_counted", False):
        return
    reserve = limiter.reserve

    @wraps(reserve)
    async def counted(action: str, login: str, ip: str | None) -> Any:
        blocked = await reserve(action, login, ip)
        if blocked is not None:
            RATE_LIMITED.labels(action.removeprefix("ventanilla-"), blocked.key).inc()
        return blocked

    limiter.reserve = counted
    limiter._ventanilla_counted = True


def start_counting() -> None:
    """Listen to every engine's statements and every loader batch (once per process)."""
    for name, listener in (("before_cursor_execute", _before), ("after_cursor_execute", _after),
                           ("handle_error", _failed)):  # fmt: skip
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)
    watch_batches(_batch)
    watch_sign_ins(_sign_in_failed)
    watch_deliveries(_delivery)


@asynccontextmanager
async def _delivery(attempt: Delivery) -> AsyncIterator[None]:
    try:
        yield
    finally:
        DELIVERIES.labels(attempt.kind, str(attempt.attributes.get("sink", "")), attempt.outcome).inc()


def _sign_in_failed(method: str, reason: str) -> None:
    SIGN_IN_FAILURES.labels(method, reason).inc()


# --- the endpoint -------------------------------------------------------------------------------


_Figures = tuple[list[Any], list[Any], int]


async def _backlog(store: Store) -> _Figures | None:
    """Figures read from the store at scrape time, or None when it does not answer in time."""
    pending = (
        select(event_deliveries.c.sink, func.count())
        .where(event_deliveries.c.next_attempt_at.is_not(None))
        .group_by(event_deliveries.c.sink)
    )
    dead = (
        select(event_deliveries.c.sink, func.count())
        .where(event_deliveries.c.dead_at.is_not(None))
        .group_by(event_deliveries.c.sink)
    )
    mail = select(func.count()).select_from(outgoing_mail).where(outgoing_mail.c.next_attempt_at.is_not(None))

    async def work(conn: Any) -> _Figures:
        return (
            list((await conn.execute(pending)).all()),
            list((await conn.execute(dead)).all()),
            int((await conn.execute(mail)).scalar_one()),
        )

    try:
        return await store.read(work)
    except Exception:  # StoreUnavailable within the timeout, or a store without the tables yet
        return None


def _store_registry(figures: _Figures | None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    up = GaugeMetricFamily("ventanilla_store_up", "1 when the store answered this scrape within [store] timeout_seconds")
    up.add_metric([], 0 if figures is None else 1)
    families = [up]
    if figures is not None:
        pending, dead, mail = figures
        backlog = GaugeMetricFamily(
            "ventanilla_outbox_backlog", "Event deliveries waiting for an attempt (next_attempt_at set), by sink",
            labels=["sink"],
        )  # fmt: skip
        for sink, count in pending:
            backlog.add_metric([sink], count)
        dead_family = GaugeMetricFamily(
            "ventanilla_outbox_dead", "Event deliveries given up after [events] max_attempts, by sink", labels=["sink"]
        )
        for sink, count in dead:
            dead_family.add_metric([sink], count)
        queue = GaugeMetricFamily("ventanilla_mail_queue_depth", "Emails queued in the store, waiting to be sent")
        queue.add_metric([], mail)
        families += [backlog, dead_family, queue]

    class Read:
        def collect(self) -> list[GaugeMetricFamily]:
            return families

    registry.register(Read())  # type: ignore[arg-type]
    return registry


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or every worker's under prometheus_client's multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_routes(store: Store, token: str | None) -> list[Route]:
    """/metrics, asking for `Authorization: Bearer <token>` when [metrics] token is set."""

    async def scrape(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
                return Response(
                    "unauthorized\n", status_code=401, media_type="text/plain",
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )  # fmt: skip
        figures = await _backlog(store)
        body = generate_latest(_process_registry()) + generate_latest(_store_registry(figures))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", scrape, methods=["GET"])]
