"""Access mutations (FEATURES.md A): parse, check who may, call the flows in auth/."""

from __future__ import annotations

from ..auth import flows
from ..auth.principals import Principal
from ..auth.services import AccessServices, Caller, SignedIn
from ..connectors.records import Customer, CustomerStatus
from ..errors import ApiError, ErrorCode
from ..settings import Feature
from .common import require_feature
from .context import Context


def services(ctx: Context) -> AccessServices:
    found = ctx.request.scope.get("ventanilla.access") if ctx.request is not None else None
    if found is None:
        raise RuntimeError("access services missing: the app's Authenticate middleware sets them")
    return found


def caller(ctx: Context) -> Caller:
    client = getattr(ctx.request, "client", None)
    return Caller(ip=client.host if client else None, language=ctx.language)


def visible_accounts(ctx: Context, accounts: list[Customer]) -> list[Customer]:
    """Closed (DELETED) accounts disappear from the viewer unless former customers keep access (A7)."""
    if ctx.settings.former_customers_keep_access:
        return accounts
    return [a for a in accounts if a.status is not CustomerStatus.DELETED]


def _acting(ctx: Context, signed: SignedIn) -> SignedIn:
    ctx.principal = signed.principal  # the rest of this request acts as the user who signed in
    return signed


async def sign_in(ctx: Context, login: str, password: str, remember: bool = False) -> SignedIn:
    svc = services(ctx)
    return _acting(ctx, await flows.sign_in(svc, ctx.loaders.source, login, password, remember, caller(ctx)))


async def refresh_session(ctx: Context, refresh_token: str) -> SignedIn:
    return _acting(ctx, await flows.refresh_session(services(ctx), ctx.loaders.source, refresh_token, caller(ctx)))


def require_user(ctx: Context) -> Principal:
    """Signed in as a user; a temporary password does not stop signOut and changePassword."""
    if ctx.principal.user_id is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED)
    return ctx.principal


async def sign_out(ctx: Context) -> None:
    await flows.sign_out(services(ctx), require_user(ctx), caller(ctx))


async def request_password_reset(ctx: Context, login: str) -> None:
    await flows.request_password_reset(services(ctx), login, caller(ctx))


async def reset_password(ctx: Context, token: str, new_password: str) -> SignedIn:
    svc = services(ctx)
    return _acting(ctx, await flows.reset_password(svc, ctx.loaders.source, token, new_password, caller(ctx)))


async def change_password(ctx: Context, current: str, new_password: str) -> Principal:
    changed = await flows.change_password(services(ctx), require_user(ctx), current, new_password, caller(ctx))
    ctx.principal = changed
    return changed


async def request_sign_in_code(ctx: Context, email: str) -> None:
    require_feature(ctx, Feature.SIGN_IN_CODES)
    await flows.request_sign_in_code(services(ctx), email, caller(ctx))


async def sign_in_with_code(ctx: Context, email: str, code: str) -> SignedIn:
    require_feature(ctx, Feature.SIGN_IN_CODES)
    svc = services(ctx)
    return _acting(ctx, await flows.sign_in_with_code(svc, ctx.loaders.source, email, code, caller(ctx)))
