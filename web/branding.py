"""The portal's uploaded logo (FEATURES.md F2), served to anyone: the sign-in screen shows it.

`GET /branding/logo/<sha256>` answers the logo the branding names (its blob, with its type), and
404 for any other key, so no other file of the blob store is reachable here. The key is the
SHA-256 of the bytes: a new logo has a new URL, so the answer may be cached for long.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth.principals import ANONYMOUS
from ..errors import language_of, not_found
from ..resolvers.branding import LOGO_PATH
from ..resolvers.context import Services, request_context
from .errors import refusal


def branding_routes(services: Services) -> list[Route]:
    async def logo(request: Request) -> Response:
        key = request.path_params["key"]
        branding = await request_context(services, ANONYMOUS, request).branding()
        content = await services.blobs.get(key) if key == branding.logo_key else None
        if content is None:
            return refusal(not_found("logo"), language_of(request.headers.get("accept-language")), 404)
        headers = {"Cache-Control": "public, max-age=31536000, immutable"}  # the URL changes with the bytes
        return Response(content, media_type=branding.logo_type or "application/octet-stream", headers=headers)

    return [Route(LOGO_PATH + "{key}", logo, methods=["GET"])]
