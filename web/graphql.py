"""Strawberry's ASGI view with Ventanilla's context, the offline GraphiQL page and error presentation."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from ..auth.principals import ANONYMOUS, Principal, PrincipalKind
from ..errors import language_of
from ..resolvers.context import Context, Services, request_context
from ..schema.cost import CostLimit
from ..schema.root import build_schema
from ..schema.strings import TextOnly
from ..settings import Settings
from .errors import api_error
from .extensions import CachedDocuments, IntrospectionGate
from .graphiql import render_graphiql_page

_SUGGESTION = re.compile(r"\s*Did you mean .*\?$")


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

    def __init__(self, services: Services) -> None:
        settings = services.settings
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
                TextOnly,
                lambda: CostLimit(cost_limits(settings)),
            ]
        )
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.services = services
        self._page = render_graphiql_page()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self._page)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        principal: Principal = request.scope.get("ventanilla.principal", ANONYMOUS)
        return request_context(self.services, principal, request, response)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.extensions:
            data["extensions"] = result.extensions  # the query's cost (schema/cost.py)
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
        known = api_error(original)
        formatted["message"] = known.message(language)
        formatted["extensions"] = {"code": known.code.value}
        return formatted


