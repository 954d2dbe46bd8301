"""Download links for documents the API describes (invoice, contract and statement PDFs ...)."""

from __future__ import annotations

from datetime import date

from ..auth.links import signed_link
from ..auth.principals import Principal
from .common import require_signed_in
from .context import Context


def download_url(ctx: Context, kind: str, raw_id: str, fmt: str) -> str:
    """A link signed for the caller and its session, e.g. /files/invoice/12.pdf?u=..&s=..&exp=..&sig=.."""
    principal = require_signed_in(ctx)
    return signed_link(ctx.extras["secret_key"], f"/files/{kind}/{raw_id}.{fmt}", *_signer(principal))


def statement_url(
    ctx: Context, customer_id: str, cut_off: date, company_id: str | None, fmt: str
) -> str:
    principal = require_signed_in(ctx)
    params = {"cutOff": cut_off.isoformat()}
    if company_id:
        params["company"] = company_id
    return signed_link(
        ctx.extras["secret_key"], f"/files/statement/{customer_id}.{fmt}", *_signer(principal), params
    )


def _signer(principal: Principal) -> tuple[int, str]:
    """The user and session a link is signed for (a partner has neither: its links open nothing)."""
    return principal.user_id or 0, principal.session_id or "none"
