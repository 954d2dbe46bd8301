"""The Starlette application: /graphql (API and GraphiQL), its static assets, file downloads, readiness."""

from __future__ import annotations

import asyncio
import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from ..auth.http import PartnerCors, token_endpoint
from ..auth.services import AccessServices
from ..connectors.executor import connect_timeout_args, pooled_engine
from ..connectors.routing import build_source, source_checks
from ..events.relay import Relay
from ..events.sinks import build_sinks
from ..payments import build_providers
from ..resolvers.context import Services
from ..settings import Settings, load_settings
from ..store.blobs import blob_store
from ..store.engine import Store, store_engine
from ..store.version import behind
from .branding import branding_routes
from .downloads import download_routes
from .graphiql import graphiql_static_app, page_policy
from .graphql import VentanillaGraphQL
from .headers import SecurityHeaders
from .health import Check, health_routes
from .middleware import AnswerOutages, Authenticate, LimitBody
from .operations import Operations
from .payments import payment_routes
from .requestlog import RequestLogging


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    secret = settings.secret_key
    if not secret:
        if not settings.demo:
            raise SystemExit(
                "VENTANILLA_SECRET_KEY no está definida / is not set: "
                "tokens must be signed with a key every worker shares."
            )
        secret = secrets.token_urlsafe(32)  # demo: one process, tokens die with it
    # Pool policy (size, no overflow, dead connections): connectors/executor.py. The store (users,
    # sessions, audit) pings at checkout, since its writes are never retried; reads do not. Every
    # use of the store is bounded by [store] timeout_seconds (store/engine.py).
    # Billing reads need no transaction: their own pool, in autocommit, saves a BEGIN and a
    # ROLLBACK round trip around every statement (each statement has its own snapshot anyway).
    # The executor bounds each read by the source's timeout, connecting included. The store's
    # reads (a request's session, the feature switches) use that pool too, within the store's
    # timeout: a ping, a BEGIN and a ROLLBACK fewer each.
    timeout = settings.source_timeout_seconds
    reads = pooled_engine(settings.database_url, settings.pool_size, isolation_level="AUTOCOMMIT",
                          connect_args=connect_timeout_args(settings.database_url, timeout))  # fmt: skip
    engine = store_engine(settings.database_url, settings.pool_size, settings.store_timeout_seconds)
    store = Store(engine, settings.store_timeout_seconds, reads=reads)
    blobs = blob_store(settings, store)  # the files Ventanilla keeps ([files] store)
    source = build_source(settings, reads, blobs=blobs)  # the store, or the sources ventanilla.toml routes to
    access = AccessServices.build(store, secret, settings)
    try:
        sinks = build_sinks(settings)  # [events.sinks.*]: connections open at the first delivery
    except ValueError as error:  # a webhook's secret_env that is not set
        raise SystemExit(f"[events]: {error}") from None
    try:
        providers = build_providers(settings)  # [payments.providers.*]: HTTP clients open at the first call
    except ValueError as error:  # a provider's secret that is not set
        raise SystemExit(f"[payments]: {error}") from None
    relay = Relay(store, settings, sinks)  # delivers the outbox of domain events (events/relay.py)
    services = Services(settings=settings, store=store, source=source, access=access, secret=secret, blobs=blobs,
                        event_sinks=tuple(sinks), wake_relay=relay.wake, payment_providers=providers)  # fmt: skip
    # Readiness (/readyz): the store, each legacy source, and Redis when the counters live there.
    checks: dict[str, Check] = {"store": store.ping, **source_checks(source)}
    if settings.redis_url:
        checks["redis"] = access.limiter.ping
    # Metrics, tracing, persisted queries ([metrics], [tracing], [api]; web/operations.py).
    ops = Operations(settings, store, access, {"store": engine, "billing": reads}, source)
    graphql = VentanillaGraphQL(services, ops.extensions, ops.persisted)
    uploads = settings.max_body_bytes + settings.max_files_per_request * settings.max_file_bytes  # [files]
    graphql_endpoint = LimitBody(Authenticate(graphql, services), settings.max_body_bytes, uploads)

    async def close() -> None:
        """Stop the mail worker and the event relay (each flushes what is due, briefly), then close
        every pool the app opened: legacy sources, billing reads, the store."""
        await asyncio.gather(access.outbox.stop(), relay.stop())
        await ops.close()
        await providers.close()
        if hasattr(source, "dispose"):  # a RoutedSource's legacy pools
            await source.dispose()
        await reads.dispose()
        await engine.dispose()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # What is built by now (schema, mappings, statements) lives as long as the worker: keep
        # it out of the cyclic collector's scans, and collect the many short-lived objects of a
        # request less often (≈20% less CPU per request at concurrency 16, bench/README.md).
        if not settings.demo and await behind(engine):
            raise SystemExit(
                "El store no tiene la última migración: corré `ventanilla migrate` / "
                "the store misses migrations: run `ventanilla migrate` (same configuration) first."
            )
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, *gc.get_threshold()[1:])
        access.outbox.start()  # delivers queued access mail (auth/outbox.py), also what waited for a restart
        relay.start()  # delivers domain events to the sinks (events/relay.py), also what waited for a restart
        yield
        await close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Mount("/static/graphiql", app=graphiql_static_app(), name="graphiql-static"),
            *health_routes(checks),
            Route("/oauth/token", token_endpoint(access), methods=["POST"]),  # partners (FEATURES.md A11)
            *download_routes(services),
            *payment_routes(services),  # provider notifications, the form checkout page (web/payments.py)
            *branding_routes(services),  # the uploaded logo, public (FEATURES.md F2)
            *ops.routes,  # /metrics when [metrics] enabled
        ],
        middleware=[
            Middleware(SecurityHeaders, page_policy=page_policy(graphql.page)),
            Middleware(RequestLogging, access_log=settings.access_log),  # X-Request-Id, the access line
            *ops.middleware,  # metrics and the request's span, inside: they see the request id
            Middleware(AnswerOutages),  # a store outage before GraphQL runs: JSON 503, Retry-After
            Middleware(PartnerCors, services=access),  # partners' registered browser origins
        ],
        lifespan=lifespan,
    )
    app.state.services = services  # what the app serves with (tests and tools reach it here)
    app.state.engine = engine
    app.state.checks = checks  # readiness checks by name (web/health.py), for tools and other probes
    app.state.reads = reads
    app.state.source = source
    app.state.close = close
    app.state.relay = relay
    return app
