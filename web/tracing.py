"""OpenTelemetry traces ([tracing], or the standard OTEL_* variables; docs/operations.md).

Off unless configured: no middleware, no statement listener, no batch observer, nothing to pay.
On, every HTTP request is a SERVER span, continuing the caller's trace when it sends a W3C
`traceparent` header, named after its GraphQL operation (`query Dashboard`): its name and type,
never the query text or the variables. Its children: one CLIENT span per SQL statement (the
database's name — store, billing, sources.<name> — and the statement's verb, never its parameters)
and one span per loader batch (the loader and the number of keys). Outside requests, each
attempt at delivering an event to a sink is a PRODUCER span (`deliver TicketCreated`: the sink,
the event's type and id, the attempt, the outcome) and each attempt at sending an email a CLIENT
span (`send mail`: the template, the attempt, the outcome; never the address), with the store's
statements that settle it under them. The request id is an attribute
of the span, and the trace id is in the request's access line and JSON log lines (web/logs.py).

The exporter: `[tracing] exporter` or OTEL_TRACES_EXPORTER — `otlp` (OTLP over HTTP, configured by
OTEL_EXPORTER_OTLP_* as the SDK reads them; needs `pip install 'ventanilla[otlp]'`) or `console`.
A process that set up an SDK tracer provider of its own (opentelemetry-instrument, a test's
in-memory exporter) keeps it: spans go where it sends them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from ..observe import Delivery, database_of, watch_batches, watch_deliveries
from ..settings import Settings
from .logs import REQUEST

TRACER_NAME = "ventanilla"
_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_wanted(settings: Settings) -> bool:
    """[tracing] enabled, or an exporter or endpoint named by the standard variables."""
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true" or exporter == "none":
        return False
    return settings.tracing_enabled or bool(exporter) or any(os.environ.get(name) for name in _OTLP_ENDPOINTS)


def _provider(settings: Settings) -> tuple[Any, bool]:
    """The SDK tracer provider spans go to, and whether it was made here."""
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, False
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: settings.tracing_service_name}
    provider = TracerProvider(resource=Resource.create(attributes))  # + OTEL_RESOURCE_ATTRIBUTES
    kind = (settings.tracing_exporter or os.environ.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower()
    if kind == "console":
        exporter: Any = ConsoleSpanExporter()
    elif kind == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise SystemExit(
                "[tracing] exporter otlp necesita / needs the OTLP exporter: pip install 'ventanilla[otlp]'"
            ) from None
        exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout)
    else:
        raise SystemExit(f"[tracing] exporter {kind!r}: otlp o/or console")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider, True


class Tracing:
    """The app's tracer, its request middleware, schema extension and listeners."""

    def __init__(self, settings: Settings) -> None:
        self.provider, self.own = _provider(settings)
        self.tracer = self.provider.get_tracer(TRACER_NAME)
        _STATE.tracer = self.tracer
        for name, listener in (("before_cursor_execute", _statement_starts), ("after_cursor_execute", _statement_ends),
                               ("handle_error", _statement_failed)):  # fmt: skip
            if not event.contains(Engine, name, listener):
                event.listen(Engine, name, listener)
        watch_batches(_batch_span)
        watch_deliveries(_delivery_span)

    def flush(self) -> None:
        """Export what is still buffered (shutdown): the spans of the last requests."""
        self.provider.force_flush(5_000)


class _State:
    tracer: Any = None


_STATE = _State()


class TraceRequests:
    """A SERVER span per HTTP request, inside RequestLogging (the request id is known)."""

    def __init__(self, app: ASGIApp, tracer: Any) -> None:
        self.app, self.tracer = app, tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        parent = extract(carrier)
        method, path = scope["method"], scope["path"]
        attributes = {"http.request.method": method, "url.path": path[:200]}
        current = REQUEST.get()
        if current is not None:
            attributes["ventanilla.request_id"] = current.id
        with self.tracer.start_as_current_span(
            f"{method} {_route(path)}", context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            if current is not None:
                current.trace_id = format(span.get_span_context().trace_id, "032x")

            async def send_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, send_status)


def _route(path: str) -> str:
    """A span name of few values: the route's template, not the path (a download names its file)."""
    if path.startswith("/files/"):
        return "/files/{kind}/{name}"
    if path.startswith("/static/"):
        return "/static"
    return path[:40]


class NameTheSpan(SchemaExtension):
    """The request's span gets the GraphQL operation's type and name (never its text)."""

    def on_execute(self) -> Iterator[None]:
        span = trace.get_current_span()
        if span.is_recording():
            context = self.execution_context
            name = context.operation_name
            try:
                kind = context.operation_type.value
            except Exception:  # no single operation to run: the span keeps its HTTP name
                yield
                return
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name[:100])
            span.update_name(f"{kind} {name[:100]}" if name else kind)
        yield


def _statement_starts(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool) -> None:
    tracer = _STATE.tracer
    if tracer is None or context is None or not trace.get_current_span().is_recording():
        return  # outside a traced request (the mail worker, migrations): no orphan spans
    database = database_of(conn.engine) or "other"
    verb = (statement.lstrip().split(None, 1) or ["SQL"])[0].upper()[:16] if isinstance(statement, str) else "SQL"
    context._ventanilla_span = tracer.start_span(
        f"{verb} {database}", kind=SpanKind.CLIENT,
        attributes={"db.system.name": conn.dialect.name, "db.operation.name": verb, "ventanilla.database": database},
    )  # fmt: skip


def _statement_ends(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any, executemany: bool) -> None:
    span = getattr(context, "_ventanilla_span", None)
    if span is not None:
        span.end()
        context._ventanilla_span = None


def _statement_failed(exception_context: Any) -> None:
    context = exception_context.execution_context
    span = getattr(context, "_ventanilla_span", None)
    if span is not None:
        span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
        span.end()
        context._ventanilla_span = None


@asynccontextmanager
async def _batch_span(loader: str, keys: int) -> AsyncIterator[None]:
    tracer = _STATE.tracer
    if tracer is None or not trace.get_current_span().is_recording():
        yield
        return
    with tracer.start_as_current_span(
        f"batch {loader}", attributes={"ventanilla.loader": loader, "ventanilla.batch.keys": keys}
    ):
        yield


# The outcome of a delivery attempt that is not a failure (the span's status stays unset).
_DELIVERED = ("delivered", "sent")


@asynccontextmanager
async def _delivery_span(attempt: Delivery) -> AsyncIterator[None]:
    """A span per delivery attempt of the event relay (PRODUCER) or the mail worker (CLIENT)."""
    tracer = _STATE.tracer
    if tracer is None:
        yield
        return
    event = attempt.kind == "event"
    name = f"deliver {attempt.attributes.get('event_type', 'event')}" if event else f"send {attempt.kind}"
    attributes = {f"ventanilla.{key}": value for key, value in attempt.attributes.items()}
    with tracer.start_as_current_span(
        name, kind=SpanKind.PRODUCER if event else SpanKind.CLIENT, attributes=attributes,
        record_exception=False, set_status_on_exception=True,
    ) as span:  # fmt: skip
        try:
            yield
        finally:
            span.set_attribute("ventanilla.outcome", attempt.outcome)
            if attempt.outcome not in _DELIVERED:
                span.set_status(Status(StatusCode.ERROR, attempt.outcome))
