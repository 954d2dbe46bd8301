"""Pages and cursors every list resolver uses."""

from __future__ import annotations

import base64
import binascii

from ..connectors.records import Page
from ..errors import ApiError, ErrorCode
from .context import Context

DEFAULT_PAGE_SIZE = 20


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
