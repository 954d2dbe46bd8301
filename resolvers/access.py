"""Access mutations (FEATURES.md A): parse, call the flows in auth/; the fields declare who may."""

from __future__ import annotations

from ..auth import flows
from ..auth.principals import Principal
from ..auth.services import Caller, SignedIn
from ..rules.features import require_feature
from ..settings import Feature
from .context import Context


def caller(ctx: Context) -> Caller:
    client = ctx.request.client if ctx.request is not None else None
    return Caller(ip=client.host if client else None, language=ctx.language)


def _acting(ctx: Context, signed: SignedIn) -> SignedIn:
    ctx.principal = signed.principal  # the rest of this request acts as the user who signed in
    return signed


async def sign_in(ctx: Context, login: str, password: str, remember: bool = False) -> SignedIn:
    access = ctx.services.access
    return _acting(ctx, await flows.sign_in(access, ctx.loaders.source, login, password, remember, caller(ctx)))


async def refresh_session(ctx: Context, refresh_token: str) -> SignedIn:
    access = ctx.services.access
    return _acting(ctx, await flows.refresh_session(access, ctx.loaders.source, refresh_token, caller(ctx)))


async def sign_out(ctx: Context) -> None:
    await flows.sign_out(ctx.services.access, ctx.principal, caller(ctx))


async def request_password_reset(ctx: Context, login: str) -> None:
    await flows.request_password_reset(ctx.services.access, login, caller(ctx))


async def reset_password(ctx: Context, token: str, new_password: str) -> SignedIn:
    access = ctx.services.access
    return _acting(ctx, await flows.reset_password(access, ctx.loaders.source, token, new_password, caller(ctx)))


async def change_password(ctx: Context, current: str, new_password: str) -> Principal:
    changed = await flows.change_password(ctx.services.access, ctx.principal, current, new_password, caller(ctx))
    ctx.principal = changed
    return changed


async def request_sign_in_code(ctx: Context, email: str) -> None:
    await require_feature(ctx, Feature.SIGN_IN_CODES)
    await flows.request_sign_in_code(ctx.services.access, email, caller(ctx))


async def sign_in_with_code(ctx: Context, email: str, code: str) -> SignedIn:
    await require_feature(ctx, Feature.SIGN_IN_CODES)
    access = ctx.services.access
    return _acting(ctx, await flows.sign_in_with_code(access, ctx.loaders.source, email, code, caller(ctx)))
