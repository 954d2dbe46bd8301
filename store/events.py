"""The outbox of domain events: written in the transaction of the action they tell of.

An action that changes something (a ticket opened, a receipt submitted ...) records one
`DomainEvent` with `record_event` on the connection of its own transaction: the event exists if
and only if the action happened. It is then owed to every sink configured at that moment (one
`event_deliveries` row each); the relay delivers those rows (docs/events.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import now
from .tables import event_deliveries, events


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Something that happened in the portal, as the business's systems hear of it."""

    type: str  # TicketCreated, TicketReplied, PaymentReceiptSubmitted ... (docs/events.md)
    customer_id: str | None  # the canonical id of the account it concerns
    payload: Mapping[str, Any]  # JSON-able: the event's own fields (ids, amounts as strings)
    actor: str | None = None  # who acted: customer:<user id>, partner:<client id>, staff:<user id>
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=now)

    def envelope(self) -> dict[str, Any]:
        """What a sink receives: the event's id, type, time and customer around its payload."""
        return {
            "id": self.id,
            "type": self.type,
            "occurredAt": self.occurred_at.isoformat(),
            "customerId": self.customer_id,
            "actor": self.actor,
            "data": dict(self.payload),
        }


async def record_event(conn: AsyncConnection, event: DomainEvent, sinks: Sequence[str]) -> None:
    """Write `event`, and one delivery owed to each of `sinks`, on the action's own transaction."""
    await conn.execute(
        insert(events).values(
            id=event.id, type=event.type, occurred_at=event.occurred_at, customer_id=event.customer_id,
            actor=event.actor, payload=json.dumps(event.payload, default=str, ensure_ascii=False),
        )
    )  # fmt: skip
    if sinks:
        await conn.execute(
            insert(event_deliveries),
            [{"event_id": event.id, "sink": sink, "attempts": 0, "next_attempt_at": event.occurred_at}
             for sink in sinks],
        )  # fmt: skip
