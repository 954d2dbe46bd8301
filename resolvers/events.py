"""What admins see of the domain events' deliveries, and resending one (docs/events.md)."""

from __future__ import annotations

from ..errors import ApiError, ErrorCode, not_found
from ..store import events as store
from ..store.access import audit, now
from ..store.events import DeliveryEntry
from .access import caller
from .context import Context

MAX_ID = 36


async def event_deliveries(ctx: Context, first: int, status: str | None) -> list[DeliveryEntry]:
    if not 0 <= first <= ctx.settings.max_page_size:
        raise ApiError(ErrorCode.BAD_INPUT, field=["first"], detail=f"first (0..{ctx.settings.max_page_size})")
    async with ctx.services.store.connect() as conn:
        return await store.delivery_entries(conn, first, status)


async def resend_event(ctx: Context, event_id: str, sink: str | None) -> list[DeliveryEntry]:
    """Make the event's dead (or delivered) deliveries due again, to `sink` or to every sink it
    was owed to; audited EVENT_RESENT. NOT_FOUND when the event has no such delivery."""
    event_id = event_id.strip()
    if not 0 < len(event_id) <= MAX_ID:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "eventId"], detail="eventId")
    async with ctx.services.store.begin() as conn:
        sinks = await store.resend(conn, event_id, sink, now())
        if not sinks:
            raise not_found("EventDelivery")
        principal = ctx.principal
        await audit(conn, "EVENT_RESENT", "OK", user_id=principal.user_id, actor=principal.actor,
                    ip=caller(ctx).ip, object_id=event_id, detail=f"to {', '.join(sinks)}")  # fmt: skip
    ctx.services.wake_relay()
    async with ctx.services.store.connect() as conn:
        return await store.delivery_entries(conn, len(sinks), event_id=event_id, sink=sink)
