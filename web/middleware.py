"""ASGI middleware in front of /graphql: who is calling, and how large a body may be."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth.sessions import AuthenticationError, principal_from_header
from ..errors import ApiError, ErrorCode, language_of
from ..resolvers.context import Services
from .errors import error_body


class Authenticate:
    """Resolve the caller once per request; a bad token is a 401, never a silent anonymous."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                scope["ventanilla.principal"] = await principal_from_header(
                    self.services.store, self.services.secret, request.headers.get("authorization")
                )
            except AuthenticationError:
                language = language_of(request.headers.get("accept-language"))
                response = JSONResponse(
                    error_body(ApiError(ErrorCode.UNAUTHENTICATED), language),
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class LimitBody:
    """Refuse request bodies over `limit` bytes with 413, whether announced or streamed; a
    multipart body (uploads) may have `uploads` bytes (its files' limits)."""

    def __init__(self, app: ASGIApp, limit: int, uploads: int | None = None) -> None:
        self.app, self.limit, self.uploads = app, limit, uploads or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = language_of(request.headers.get("accept-language"))
        multipart = request.headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.uploads if multipart else self.limit
        too_large = JSONResponse(
            error_body(ApiError(ErrorCode.LIMIT_REACHED, detail=f"body > {limit} bytes"), language),
            status_code=413,
        )
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await too_large(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


