"""The business's access administration over the API (FEATURES.md A7); the fields declare: admins only."""

from __future__ import annotations

from ..auth import grants
from ..auth.onetime import generate_password
from ..auth.principals import Principal
from ..errors import ApiError, ErrorCode
from ..store.access import AuditEntry
from ..store.mail import MailEntry
from .access import caller
from .context import Context


def _actor(principal: Principal) -> str:
    return f"staff:{principal.user_id}:{principal.name or ''}"


async def grant_portal_access(
    ctx: Context, customer_id: str, login: str | None, send_email: bool
) -> grants.Granted:
    access, actor = ctx.services.access, _actor(ctx.principal)
    return await grants.grant_access(access, ctx.loaders.source, customer_id, login, send_email, actor, caller(ctx))


async def revoke_portal_access(ctx: Context, customer_id: str) -> int:
    access, actor = ctx.services.access, _actor(ctx.principal)
    return await grants.revoke_access(access, ctx.loaders.source, customer_id, actor, caller(ctx))


def _check_first(ctx: Context, first: int) -> None:
    if not 0 <= first <= ctx.settings.max_page_size:
        raise ApiError(ErrorCode.BAD_INPUT, field=["first"], detail=f"first (0..{ctx.settings.max_page_size})")


async def audit_log(
    ctx: Context, first: int, login: str | None, event: str | None, customer_id: str | None = None
) -> list[AuditEntry]:
    _check_first(ctx, first)
    return await ctx.services.access.audit_log(first, login, event, customer_id)


async def outgoing_emails(ctx: Context, first: int, status: str | None) -> list[MailEntry]:
    _check_first(ctx, first)
    return await ctx.services.access.outgoing_emails(first, status)


def suggested_password() -> str:
    """Another two-word pair for the business to hand over (FEATURES.md A8's "refresh"); nothing is stored."""
    return generate_password()
