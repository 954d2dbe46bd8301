"""Guards and helpers every resolver uses: sign-in, features, ownership, pages, cursors."""

from __future__ import annotations

import base64
import binascii

from ..auth.principals import Principal
from ..connectors.records import Page
from ..errors import ApiError, ErrorCode, not_found
from ..settings import Feature
from .context import Context

DEFAULT_PAGE_SIZE = 20


def require_signed_in(ctx: Context) -> Principal:
    principal = ctx.principal
    if principal.is_anonymous:
        raise ApiError(ErrorCode.UNAUTHENTICATED)
    if principal.must_change_password:
        raise ApiError(ErrorCode.PASSWORD_CHANGE_REQUIRED)
    return principal


def require_staff(ctx: Context) -> Principal:
    principal = require_signed_in(ctx)
    if not principal.reads_every_customer:
        raise ApiError(ErrorCode.FORBIDDEN)
    return principal


def require_feature(ctx: Context, feature: Feature) -> None:
    if not ctx.settings.has(feature):
        raise ApiError(ErrorCode.FEATURE_DISABLED, feature=feature.value)


def require_owner(ctx: Context, customer_id: str | None, what: str) -> None:
    """Another customer's object answers exactly like a missing one."""
    principal = require_signed_in(ctx)
    if not principal.may_read_customer(customer_id):
        raise not_found(what)


def encode_cursor(cursor: str) -> str:
    return base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(ErrorCode.BAD_INPUT, field=["after"], detail="after") from None


def page(ctx: Context, first: int | None, after: str | None) -> Page:
    """A keyset page: `first` defaults to 20 and may not exceed the configured maximum."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    maximum = ctx.settings.max_page_size
    if size < 0 or size > maximum:
        raise ApiError(ErrorCode.BAD_INPUT, field=["first"], detail=f"first (0..{maximum})")
    return Page(first=size, after=decode_cursor(after) if after else None)
