"""The business's access administration over the API (FEATURES.md A7): admins only."""

from __future__ import annotations

from ..auth import grants
from ..auth.onetime import generate_password
from ..auth.principals import Principal
from ..errors import ApiError, ErrorCode
from ..store.access import AuditEntry, audit_entries
from .access import caller, services
from .common import require_signed_in
from .context import Context


def require_admin(ctx: Context) -> Principal:
    principal = require_signed_in(ctx)
    if not principal.is_admin:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def _actor(principal: Principal) -> str:
    return f"staff:{principal.user_id}:{principal.name or ''}"


async def grant_portal_access(
    ctx: Context, customer_id: str, login: str | None, send_email: bool
) -> grants.Granted:
    admin = require_admin(ctx)
    return await grants.grant_access(
        services(ctx), ctx.loaders.source, customer_id, login, send_email, _actor(admin), caller(ctx)
    )


async def revoke_portal_access(ctx: Context, customer_id: str) -> int:
    admin = require_admin(ctx)
    return await grants.revoke_access(services(ctx), ctx.loaders.source, customer_id, _actor(admin), caller(ctx))


async def audit_log(ctx: Context, first: int, login: str | None, event: str | None) -> list[AuditEntry]:
    require_admin(ctx)
    if not 0 <= first <= ctx.settings.max_page_size:
        raise ApiError(ErrorCode.BAD_INPUT, field=["first"], detail=f"first (0..{ctx.settings.max_page_size})")
    async with ctx.store.connect() as conn:
        return await audit_entries(conn, first, login, event)


def suggested_password(ctx: Context) -> str:
    """Another two-word pair for the business to hand over (FEATURES.md A8's "refresh"); nothing is stored."""
    require_admin(ctx)
    return generate_password()
