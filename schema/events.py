"""The domain events' deliveries to the business's sinks, and resending one (admins; docs/events.md)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from ..errors import ApiError
from ..resolvers import events as resolve
from ..store.events import DeliveryEntry
from .access import user_error
from .errors import UserError


@strawberry.enum(description="Where an event's delivery to a sink stands.")
class EventDeliveryStatus(Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Waiting to be delivered, or to be tried again after a failure.")
    DELIVERED = strawberry.enum_value(
        "DELIVERED", description="Taken by the sink: a 2xx answer of the webhook, a confirm of the broker."
    )
    DEAD = strawberry.enum_value(
        "DEAD", description="Given up after [events] max_attempts failed attempts; resendEvent tries it again."
    )


@strawberry.type(description="One domain event's delivery to one configured sink (webhook or AMQP).")
class EventDelivery:
    event_id: str = strawberry.field(description="The event's id (a UUID): what receivers deduplicate on.")
    type: str = strawberry.field(description="The event's type: TicketCreated, PaymentReceiptSubmitted ...")
    customer_id: str | None = strawberry.field(
        description="The account it concerns, by its id in the business's system (the envelope's customerId)."
    )
    sink: str = strawberry.field(description="The sink's name in ventanilla.toml ([events.sinks.<name>]).")
    status: EventDeliveryStatus = strawberry.field(description="Queued, delivered or dead.")
    attempts: int = strawberry.field(description="Delivery attempts so far (counted again from 0 after a resend).")
    occurred_at: datetime = strawberry.field(description="When the action it tells of happened.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next; null once delivered or dead.")
    delivered_at: datetime | None = strawberry.field(description="When the sink took it.")
    dead_at: datetime | None = strawberry.field(description="When it was given up.")
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed (HTTP 500, no answer in time ...); never a secret or a URL."
    )


def delivery_type(e: DeliveryEntry) -> EventDelivery:
    return EventDelivery(event_id=e.event_id, type=e.type, customer_id=e.customer_id, sink=e.sink,
                         status=EventDeliveryStatus[e.status], attempts=e.attempts, occurred_at=e.occurred_at,
                         next_attempt_at=e.next_attempt_at, delivered_at=e.delivered_at, dead_at=e.dead_at,
                         last_error=e.last_error)  # fmt: skip


@strawberry.input(description="An event to deliver again (admins).")
class ResendEventInput:
    event_id: str = strawberry.field(description="The event's id, as eventDeliveries and the envelope show it.")
    sink: str | None = strawberry.field(
        default=None, description="Only to this sink; default: to every sink it was owed to."
    )


@strawberry.type(description="Result of resendEvent: the deliveries, due again at once.")
class ResendEventPayload:
    deliveries: list[EventDelivery] | None = strawberry.field(description="The event's deliveries that will be tried again.")
    errors: list[UserError] = strawberry.field(description="Why nothing was resent (NOT_FOUND: no such delivery); empty on success.")


async def event_deliveries(
    info: Info,
    first: Annotated[int, strawberry.argument(description="How many, newest events first (up to the page limit).")] = 50,
    status: Annotated[
        EventDeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
    ] = None,
) -> list[EventDelivery] | None:
    entries = await resolve.event_deliveries(info.context, first, status.name if status else None)
    return [delivery_type(e) for e in entries]


async def resend_event(
    info: Info, input: Annotated[ResendEventInput, strawberry.argument(description="The event, and optionally the sink.")]
) -> ResendEventPayload:
    ctx = info.context
    try:
        entries = await resolve.resend_event(ctx, input.event_id, input.sink)
    except ApiError as error:
        return ResendEventPayload(deliveries=None, errors=[user_error(error, ctx.language)])
    return ResendEventPayload(deliveries=[delivery_type(e) for e in entries], errors=[])
