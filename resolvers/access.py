"""Signing in (the rest of the access flows arrive with FEATURES.md section A)."""

from __future__ import annotations

from ..auth.sessions import SignedIn
from ..auth.sessions import sign_in as authenticate
from ..errors import ApiError, ErrorCode
from .context import Context


async def sign_in(ctx: Context, login: str, password: str) -> SignedIn:
    signed = await authenticate(
        ctx.store, ctx.extras["secret_key"], ctx.settings.access_token_minutes, login, password
    )
    if signed is None:
        raise ApiError(ErrorCode.INVALID_CREDENTIALS, field=["password"])
    return signed
