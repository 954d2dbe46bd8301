"""The Starlette application: /graphql (API and GraphiQL), its static assets, file downloads, health."""

from __future__ import annotations

import gc
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from ..auth.http import PartnerCors, token_endpoint
from ..auth.services import AccessServices
from ..connectors.executor import pooled_engine
from ..connectors.routing import build_source
from ..resolvers.context import Services
from ..settings import Settings, load_settings
from ..store.schema import behind
from .downloads import download_routes
from .graphiql import graphiql_static_app, page_policy
from .graphql import VentanillaGraphQL
from .headers import SecurityHeaders
from .middleware import Authenticate, LimitBody


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
    # sessions, audit) pings at checkout, since its writes are never retried; reads do not.
    engine = pooled_engine(settings.database_url, settings.pool_size, ping=True)
    # Billing reads need no transaction: their own pool, in autocommit, saves a BEGIN and a
    # ROLLBACK round trip around every statement (each statement has its own snapshot anyway).
    reads = pooled_engine(settings.database_url, settings.pool_size, isolation_level="AUTOCOMMIT")
    source = build_source(settings, reads)  # the store, or the sources ventanilla.toml routes to
    access = AccessServices.build(engine, secret, settings)
    services = Services(settings=settings, store=engine, source=source, access=access, secret=secret)
    graphql = VentanillaGraphQL(services)
    graphql_endpoint = LimitBody(Authenticate(graphql, services), settings.max_body_bytes)

    async def close() -> None:
        """Close every pool the app opened: legacy sources, billing reads, the store."""
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
        yield
        await close()

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Mount("/static/graphiql", app=graphiql_static_app(), name="graphiql-static"),
            Route("/health", health),
            Route("/oauth/token", token_endpoint(access), methods=["POST"]),  # partners (FEATURES.md A11)
            *download_routes(services),
        ],
        middleware=[
            Middleware(SecurityHeaders, page_policy=page_policy(graphql.page)),
            Middleware(PartnerCors, services=access),  # partners' registered browser origins
        ],
        lifespan=lifespan,
    )
    app.state.services = services  # what the app serves with (tests and tools reach it here)
    app.state.engine = engine
    app.state.reads = reads
    app.state.source = source
    app.state.close = close
    return app
