"""HTTP pieces of access: the OAuth2 token endpoint and CORS for partners' registered browser origins."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.partners import allowed_origins
from .partners import token_response
from .services import AccessServices

_ALLOW_HEADERS = "Authorization, Content-Type, Accept-Language"
_ALLOW_METHODS = "GET, POST, OPTIONS"


def token_endpoint(services: AccessServices):  # noqa: ANN201 - a Starlette endpoint
    async def oauth_token(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        ip = request.client.host if request.client else None
        status, body, headers = await token_response(services, fields, request.headers, ip)
        headers.setdefault("Cache-Control", "no-store")
        return JSONResponse(body, status_code=status, headers=headers)

    return oauth_token


class PartnerCors:
    """Allow a cross-origin browser call only from an origin some enabled partner registered.

    The registered origins are read from the store on each cross-origin request (one small
    query; same-origin and server-to-server calls send no Origin and pay
    nothing), so adding or disabling a partner applies at once on every worker.
    """

    def __init__(self, app: ASGIApp, services: AccessServices) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not origin:
            await self.app(scope, receive, send)
            return
        allowed = origin.rstrip("/") in await self.services.store.read(allowed_origins)
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if preflight:
            if not allowed:
                await PlainTextResponse("Disallowed CORS origin", status_code=400)(scope, receive, send)
                return
            response = PlainTextResponse("OK", headers={
                "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": _ALLOW_METHODS,
                "Access-Control-Allow-Headers": _ALLOW_HEADERS, "Access-Control-Max-Age": "600", "Vary": "Origin",
            })  # fmt: skip
            await response(scope, receive, send)
            return
        if not allowed:
            await self.app(scope, receive, send)  # no CORS headers: the browser keeps the answer from the page
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = origin
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)
