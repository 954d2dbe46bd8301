"""ASGI middleware in front of /graphql: who is calling, and how large a body may be."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth.services import AccessServices
from ..auth.sessions import AuthenticationError, principal_from_header
from ..errors import ApiError, ErrorCode, language_of


def _error_body(code: ErrorCode, language: str, **params: Any) -> dict[str, Any]:
    return {
        "errors": [
            {"message": ApiError(code, **params).message(language), "extensions": {"code": code.value}}
        ]
    }


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


