"""Strawberry's ASGI view with Ventanilla's context, the offline GraphiQL page and error presentation."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
)
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from ..auth.principals import ANONYMOUS, Principal, PrincipalKind
from ..auth.roles import may_introspect
from ..errors import ApiError, ErrorCode, language_of
from ..resolvers.context import Context, Services, request_context
from ..schema.cost import CostLimit
from ..schema.root import build_schema
from ..schema.strings import TextOnly
from ..settings import Settings
from ..store.partners import registered_query
from .errors import api_error, error_body, error_extensions
from .execution import PlannedExecution
from .extensions import CachedDocuments, IntrospectionGate, OneOperation, depth_rules
from .graphiql import render_graphiql_page
from .metrics import ERRORS
from .persisted import Persisted, PersistedQueryRefused
from .requestlog import NameTheOperation

# graphql-core's hints at field names ("Did you mean 'login'?"), anywhere in a message.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# What a JSON body may nest: real requests nest a few levels; a deep one is an attack on the parser.
MAX_JSON_DEPTH = 32
# The request's partner allow-list (VentanillaGraphQL._allow_list), for parse_http_body.
_ALLOW_LIST: ContextVar[Callable[[str], Awaitable[str | None]] | None] = ContextVar("allow_list", default=None)
# The GraphQL-over-HTTP media type: request errors answer 400 with it (application/json keeps 200).
GRAPHQL_RESPONSE = "application/graphql-response+json"
# A multipart request (file uploads) must carry one of these: a browser sends no custom header
# cross-site without a CORS preflight, which only the partners' registered origins pass.
CSRF_HEADERS = ("X-Ventanilla-CSRF", "Apollo-Require-Preflight")


def cost_limits(settings: Settings) -> Callable[[Context], int]:
    """The cost limit of each kind of caller ([limits] max_cost_*; schema/cost.py)."""
    limits = {
        PrincipalKind.ANONYMOUS: settings.max_cost_anonymous,
        PrincipalKind.CUSTOMER: settings.max_cost_customer,
        PrincipalKind.PARTNER: settings.max_cost_partner,
        PrincipalKind.STAFF: settings.max_cost_staff,
    }
    return lambda ctx: limits[ctx.principal.kind]


class VentanillaGraphQL(GraphQL):
    """Strawberry's ASGI view with our context, offline GraphiQL and error presentation."""

    def __init__(
        self, services: Services, observers: Sequence[Any] = (), persisted: Persisted | None = None
    ) -> None:
        """`observers`: schema extensions of metrics and tracing (web/metrics.py, web/tracing.py),
        when on; `persisted`: the persisted-query rules (web/persisted.py)."""
        settings = services.settings
        # The limiters' rules built once, so that validation results can be cached by rule.
        limits = [
            *depth_rules(settings.max_depth),
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
                OneOperation,
                TextOnly,
                lambda: CostLimit(cost_limits(settings)),
                NameTheOperation,
                *observers,
            ]
        )
        # Plain fields completed without a resolver call (web/execution.py); graphql-core runs the rest.
        schema.execution_context_class = PlannedExecution
        # Uploads: the GraphQL multipart request spec, each request carrying a CSRF header (parse_multipart).
        # By GET only persisted queries run (web/persisted.py refuses the others).
        by_get = persisted is not None and persisted.allows_get
        super().__init__(
            schema, graphql_ide="graphiql", allow_queries_via_get=by_get, multipart_uploads_enabled=True
        )
        self.services = services
        self.persisted = persisted
        self.page = render_graphiql_page()  # GraphiQL, rendered once (web/app.py takes its policy)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers a malformed request in plain text: answer a GraphQL error instead."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive=receive)
        _ALLOW_LIST.set(self._allow_list(scope))  # read by parse_http_body (Strawberry hands it an adapter)
        try:
            response = await self.run(request)
        except PersistedQueryRefused as refused:
            ERRORS.labels(refused.code).inc()
            language = language_of(request.headers.get("accept-language"))
            media_type = _media_type(request)
            body = {"errors": [{"message": refused.message(language), "extensions": {"code": refused.code}}]}
            # Not found is the protocol's "send the text" (200, as Apollo); the rest refuse the request.
            found_later = refused.code == "PERSISTED_QUERY_NOT_FOUND" and media_type != GRAPHQL_RESPONSE
            status = 200 if found_later else 400
            response = JSONResponse(body, status_code=status, media_type=media_type)
        except HTTPException as refused:
            error = ApiError(ErrorCode.BAD_REQUEST, detail=refused.reason.rstrip("."))
            language = language_of(request.headers.get("accept-language"))
            response = JSONResponse(
                error_body(error, language), status_code=refused.status_code, media_type=_media_type(request)
            )
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """The body as JSON: UTF-8, an object, nested at most MAX_JSON_DEPTH levels; else a 400."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(400, "the body is not UTF-8 text") from None
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            raise HTTPException(400, "the body is not JSON") from None
        if not isinstance(parsed, dict):
            raise HTTPException(400, "the body must be a JSON object with a query") from None
        if _deeper_than(parsed, MAX_JSON_DEPTH):
            raise HTTPException(400, f"the body nests more than {MAX_JSON_DEPTH} levels") from None
        return parsed

    def should_render_graphql_ide(self, request: Any) -> bool:
        """GraphiQL for a browser's GET, but not for a GET naming a persisted query (no `query`)."""
        return request.query_params.get("extensions") is None and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: Any) -> Any:
        """The request's data, its persisted query resolved (or refused) by the configured mode."""
        data = await super().parse_http_body(request)
        if self.persisted is not None and isinstance(data, GraphQLRequestData):
            data = await self.persisted.resolve(data, request.method, _ALLOW_LIST.get())
        return data

    def _allow_list(self, scope: Scope) -> Callable[[str], Awaitable[str | None]] | None:
        """A partner client in allow-list mode: its registered document of a hash, read from the
        store (every instance knows them); None for every other caller."""
        principal: Principal = scope.get("ventanilla.principal", ANONYMOUS)
        if principal.kind is not PrincipalKind.PARTNER or not principal.queries_only or principal.client_id is None:
            return None
        client_id, store = principal.client_id, self.services.store
        return lambda digest: store.read(lambda conn: registered_query(conn, client_id, digest))

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        """A multipart body (uploads) only with a header no cross-site form can send without a CORS
        preflight (CSRF_HEADERS, as Apollo Server's CSRF prevention); else a 400 before it is read."""
        if not any(request.headers.get(name, "").strip() for name in CSRF_HEADERS):
            raise HTTPException(
                400,
                f"a multipart request needs the {CSRF_HEADERS[0]} header (or {CSRF_HEADERS[1]}), of any value",
            )
        return await super().parse_multipart(request)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """In the media type the client accepts; with GRAPHQL_RESPONSE, a request that did not run
        (its answer has no `data`: process_result) is a 400, as GraphQL over HTTP says."""
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if (
                isinstance(response_data, dict)
                and "data" not in response_data
                and not sub_response.status_code
            ):
                response.status_code = 400
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self.page)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal: Principal = request.scope.get("ventanilla.principal", ANONYMOUS)
        response.media_type = _media_type(request)  # read back by create_response
        return request_context(self.services, principal, request, response)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if _request_error(result) and _media_type(request) == GRAPHQL_RESPONSE:
            del data["data"]  # nothing ran (the document, its variables, its cost): no data entry at all
        if result.extensions:
            data["extensions"] = result.extensions  # the query's cost (schema/cost.py)
        if result.errors:
            principal: Principal = request.scope.get("ventanilla.principal", ANONYMOUS)
            language = language_of(request.headers.get("accept-language"))
            introspects = may_introspect(principal, self.services.settings.demo)
            data["errors"] = [self._present(e, introspects, language) for e in result.errors]
            _drop_tracebacks(result.errors)
        return data

    def _present(self, error: GraphQLError, introspects: bool, language: str) -> Any:
        """Known failures get a code and a message in the caller's language; the rest is masked.

        A request error (no path: the document or its variables, before anything ran) is the
        client's mistake, said in graphql-core's words; a field's failure goes through api_error.
        """
        original = error.original_error
        formatted = error.formatted
        if original is None or (error.path is None and not isinstance(original, ApiError)):
            message = error.message
            if not introspects:
                message = _SUGGESTION.sub("", message)  # no map of the schema for who may not read it
            formatted["message"] = message
            parse_failed = message.startswith("Syntax Error")
            formatted["extensions"] = {
                "code": "GRAPHQL_PARSE_FAILED" if parse_failed else "GRAPHQL_VALIDATION_FAILED"
            }
            return formatted
        known = api_error(original)
        formatted["message"] = known.message(language)
        formatted["extensions"] = error_extensions(known)  # with retryAfter when it is temporary
        return formatted


def _drop_tracebacks(errors: list[GraphQLError]) -> None:
    """Once presented (and an unexpected one logged), an error's traceback is of no more use; kept,
    its frames hold the execution that holds the error: a cycle, which kept a failed request's
    whole execution in memory until the cyclic garbage collector ran (tests/test_garbage.py)."""
    pending: list[BaseException | None] = list(errors)
    seen: set[int] = set()
    while pending:  # each error, what it wraps, its cause, what it was raised in …
        failure = pending.pop()
        if failure is None or id(failure) in seen:
            continue
        seen.add(id(failure))
        failure.__traceback__ = None
        pending += (getattr(failure, "original_error", None), failure.__cause__, failure.__context__)


def _request_error(result: ExecutionResult) -> bool:
    """The operation never ran: no data, and no error belongs to a field (a path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _media_type(request: Request) -> str:
    """GRAPHQL_RESPONSE when the client lists it in Accept; application/json otherwise."""
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in request.headers.get("accept", "") else "application/json"


def _deeper_than(value: Any, limit: int) -> bool:
    """True when `value` nests lists and objects more than `limit` levels (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False
