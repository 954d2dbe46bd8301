"""Security headers on every answer: no sniffing, no framing, no referrer, no caching of account data.

HSTS (Strict-Transport-Security) belongs to the TLS-terminating proxy in front of Ventanilla,
which alone knows the site is served only over HTTPS: see the README's security section.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API answer is data, never a page: it may load nothing and be framed by nobody.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Add the headers to every HTTP answer; the GraphiQL page gets its own policy.

    Everything but the vendored static assets is `Cache-Control: no-store`: tokens, account
    data, files and refusals must stay out of browser and shared caches.
    """

    def __init__(self, app: ASGIApp, page_policy: str, static_prefix: str = "/static/") -> None:
        self.app, self.page_policy, self.static_prefix = app, page_policy, static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                page = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", self.page_policy if page else API_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
