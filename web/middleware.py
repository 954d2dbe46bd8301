"""ASGI middleware: who is calling, how large a body may be, and what a store outage answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth.sessions import AuthenticationError, principal_from_header
from ..errors import ApiError, ErrorCode, language_of
from ..resolvers.context import Services
from ..store.engine import StoreUnavailable
from .errors import api_error, refusal
from .graphql import _media_type


class AnswerOutages:
    """A store outage met before any GraphQL ran (the token check, a partner's origin, a download
    link, a partner's token) answers a GraphQL-shaped JSON 503 with the retryable code and
    Retry-After, in the media type the client accepts: never a plain-text 500 from Starlette, and
    the client's keep-alive connection stays open. Failures inside an operation are answered by
    the GraphQL view, at the field's path (web/graphql.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except StoreUnavailable as outage:
            if started:  # part of an answer is out: nothing better can be said
                raise
            request = Request(scope)
            language = language_of(request.headers.get("accept-language"))
            await refusal(api_error(outage), language, 503, _media_type(request))(scope, receive, send)


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
                challenge = {"WWW-Authenticate": "Bearer"}
                response = refusal(ApiError(ErrorCode.UNAUTHENTICATED), language, 401, headers=challenge)
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
        too_large = refusal(ApiError(ErrorCode.LIMIT_REACHED, detail=f"body > {limit} bytes"), language, 413)
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


