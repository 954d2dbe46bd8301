"""The Starlette application: /graphql (API and GraphiQL), its static assets, file downloads."""

from __future__ import annotations

import gc
import logging
import re
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from .auth.http import PartnerCors, token_endpoint
from .auth.principals import ANONYMOUS, Principal
from .auth.services import AccessServices
from .auth.sessions import AuthenticationError, principal_from_header
from .connectors.base import InvalidCursor, SourceError
from .connectors.executor import pooled_engine
from .connectors.native.source import NativeSource
from .connectors.routing import build_source
from .downloads import download_routes
from .errors import ApiError, ErrorCode, language_of
from .graphiql import graphiql_static_app, render_graphiql_page
from .loaders import Loaders
from .resolvers.context import Context
from .schema.root import build_schema
from .schema.selection import wanted_fields
from .settings import Settings, load_settings

log = logging.getLogger("ventanilla")

_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


def _error_body(code: ErrorCode, language: str, **params: Any) -> dict[str, Any]:
    return {
        "errors": [
            {"message": ApiError(code, **params).message(language), "extensions": {"code": code.value}}
        ]
    }


class IntrospectionGate(SchemaExtension):
    """Introspection for staff and in demo mode; everyone else gets the API, not its map."""

    def on_operation(self) -> Any:
        ctx: Context = self.execution_context.context
        if not (ctx.settings.demo or ctx.principal.is_staff):
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class CachedDocuments(SchemaExtension):
    """Parse and validate each distinct query once: documents by text, errors by text and rules,
    and the record attributes each document reads (schema/selection.py), by text.

    The rules are part of the key because they differ by caller (introspection, partner
    scopes); the limiters' rules are built once per app so that their classes are stable.
    """

    def __init__(
        self, documents: dict[Any, Any], errors: dict[Any, Any], wanted: dict[Any, Any], size: int = 512
    ) -> None:
        self.documents, self.errors, self.wanted, self.size = documents, errors, wanted, size

    def _key(self) -> tuple[Any, ...]:
        ctx = self.execution_context
        return (ctx.query, tuple(sorted(ctx.parse_options.items())))

    def _store(self, cache: dict[Any, Any], key: Any, value: Any) -> None:
        if len(cache) >= self.size:
            cache.pop(next(iter(cache)))  # the oldest: enough for a set of page queries
        cache[key] = value

    def on_parse(self) -> Any:
        ctx = self.execution_context
        key = self._key()
        if ctx.graphql_document is None and ctx.query is not None:
            ctx.graphql_document = self.documents.get(key)
        yield
        if ctx.graphql_document is not None and ctx.query is not None and key not in self.documents:
            self._store(self.documents, key, ctx.graphql_document)

    def on_validate(self) -> Any:
        ctx = self.execution_context
        key = (*self._key(), ctx.validation_rules)
        cached = self.errors.get(key)
        if cached is not None and ctx.pre_execution_errors is None:
            ctx.pre_execution_errors = list(cached)
        yield
        if cached is None and ctx.pre_execution_errors is not None:
            self._store(self.errors, key, tuple(ctx.pre_execution_errors))

    def on_execute(self) -> Any:
        """Tell the loaders which record attributes this document can read."""
        ctx = self.execution_context
        if ctx.graphql_document is not None:
            key = self._key()
            wanted = self.wanted.get(key)
            if wanted is None:
                wanted = wanted_fields(ctx.schema, ctx.graphql_document)
                self._store(self.wanted, key, wanted)
            ctx.context.loaders.read_only(wanted)
        yield


class VentanillaGraphQL(GraphQL):
    """Strawberry's ASGI view with our context, offline GraphiQL and error presentation."""

    def __init__(self, settings: Settings, source: NativeSource, store: AsyncEngine, secret: str) -> None:
        # The limiters' rules built once, so that validation results can be cached by rule.
        limits = [
            *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        ]
        documents: dict[Any, Any] = {}
        errors: dict[Any, Any] = {}
        wanted: dict[Any, Any] = {}
        schema = build_schema(
            extensions=[
                lambda: AddValidationRules(limits),
                lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
                IntrospectionGate,
                lambda: CachedDocuments(documents, errors, wanted),
            ]
        )
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.settings = settings
        self.source = source
        self.store = store
        self.secret = secret
        self.zone = ZoneInfo(settings.timezone)
        self._page = render_graphiql_page()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._page)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal: Principal = request.scope.get("ventanilla.principal", ANONYMOUS)
        today = datetime.now(self.zone).date()
        return Context(
            principal=principal,
            loaders=Loaders(self.source, today),
            settings=self.settings,
            store=self.store,
            today=today,
            language=language_of(request.headers.get("accept-language")),
            request=request,
            response=response,
            extras={"secret_key": self.secret},
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            principal: Principal = request.scope.get("ventanilla.principal", ANONYMOUS)
            language = language_of(request.headers.get("accept-language"))
            data["errors"] = [self._present(e, principal, language) for e in result.errors]
        return data

    def _present(self, error: GraphQLError, principal: Principal, language: str) -> Any:
        """Known failures get a code and a message in the caller's language; the rest is masked."""
        original = error.original_error
        formatted = error.formatted
        if original is None:
            message = error.message
            if principal.is_anonymous:
                message = _SUGGESTION.sub("", message)  # no map of the schema for strangers
            formatted["message"] = message
            parse_failed = message.startswith("Syntax Error")
            formatted.setdefault("extensions", {})["code"] = (
                "GRAPHQL_PARSE_FAILED" if parse_failed else "GRAPHQL_VALIDATION_FAILED"
            )
            return formatted
        if isinstance(original, InvalidCursor):
            original = ApiError(ErrorCode.BAD_INPUT, field=["after"], detail="after")
        elif isinstance(original, SourceError):
            log.warning("billing source failed: %s", original)
            original = ApiError(ErrorCode.SOURCE_UNAVAILABLE)
        if not isinstance(original, ApiError):
            request_id = uuid.uuid4().hex[:12]
            log.error("request %s failed", request_id, exc_info=original)
            original = ApiError(ErrorCode.INTERNAL_ERROR, request_id=request_id)
        formatted["message"] = original.message(language)
        formatted["extensions"] = {"code": original.code.value}
        return formatted


class Authenticate:
    """Resolve the caller once per request; a bad token is a 401, never a silent anonymous.

    It also hands the access services (sessions, limits, mail) to the resolvers of the request.
    """

    def __init__(self, app: ASGIApp, store: AsyncEngine, secret: str, services: AccessServices | None = None) -> None:
        self.app, self.store, self.secret, self.services = app, store, secret, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["ventanilla.access"] = self.services
            request = Request(scope)
            try:
                scope["ventanilla.principal"] = await principal_from_header(
                    self.store, self.secret, request.headers.get("authorization")
                )
            except AuthenticationError:
                language = language_of(request.headers.get("accept-language"))
                response = JSONResponse(
                    _error_body(ErrorCode.UNAUTHENTICATED, language),
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class LimitBody:
    """Refuse request bodies over `limit` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = language_of(request.headers.get("accept-language"))
        too_large = JSONResponse(
            _error_body(ErrorCode.LIMIT_REACHED, language, detail=f"body > {self.limit} bytes"),
            status_code=413,
        )
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


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
    # Pool policy (size, no overflow, no pre-ping, dead connections): connectors/executor.py.
    engine = pooled_engine(settings.database_url, settings.pool_size)  # the store: users, sessions, writes
    # Billing reads need no transaction: their own pool, in autocommit, saves a BEGIN and a
    # ROLLBACK round trip around every statement (each statement has its own snapshot anyway).
    reads = pooled_engine(settings.database_url, settings.pool_size, isolation_level="AUTOCOMMIT")
    source = build_source(settings, reads)  # the store, or the sources ventanilla.toml routes to
    graphql = VentanillaGraphQL(settings, source, engine, secret)
    access = AccessServices.build(engine, secret, settings)
    graphql_endpoint = LimitBody(Authenticate(graphql, engine, secret, access), settings.max_body_bytes)

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
            *download_routes(),
        ],
        middleware=[Middleware(PartnerCors, services=access)],  # partners' registered browser origins
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.reads = reads
    app.state.close = close
    app.state.secret = secret
    app.state.source = source
    app.state.access = access
    return app
