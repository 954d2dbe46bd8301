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

from sqlalchemy import Row, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from .access import aware, now
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


# --- delivery (events/relay.py): claim by lease, settle; what admins see and resend -------------
#
# A relay claims one delivery with a compare-and-set on its lease, so on one store each is sent
# by one relay at a time; `attempts` grows with every claim and, with the lease itself, fences the
# settling update, so a relay whose lease ran out cannot overwrite what the next one did (not even
# after a resend counted the attempts from 0 again).

QUEUED, DELIVERED, DEAD = "QUEUED", "DELIVERED", "DEAD"


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """One delivery held by this relay until its lease runs out, with the event it carries."""

    event: DomainEvent
    sink: str
    attempts: int  # this attempt's number: with `lease_until`, the fence of the update that settles it
    lease_until: datetime


@dataclass(frozen=True, slots=True)
class DeliveryEntry:
    """One event's delivery to one sink, as admins see it."""

    event_id: str
    type: str
    customer_id: str | None
    sink: str
    status: str  # QUEUED, DELIVERED, DEAD
    attempts: int
    occurred_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    dead_at: datetime | None
    last_error: str | None


def _claimable(now: datetime) -> list[ColumnElement[bool]]:
    """Due, and not held by a live lease."""
    d = event_deliveries.c
    return [d.next_attempt_at <= now, or_(d.claimed_until.is_(None), d.claimed_until < now)]


async def due(conn: AsyncConnection, sink: str, now: datetime, limit: int) -> list[str]:
    """Ids of the events due to `sink` now and free, the oldest event first."""
    d, e = event_deliveries.c, events.c
    query = (
        select(d.event_id)
        .join_from(event_deliveries, events, d.event_id == e.id)
        .where(d.sink == sink, *_claimable(now))
        .order_by(e.occurred_at, e.id)
        .limit(limit)
    )
    return [row.event_id for row in await conn.execute(query)]


async def claim(
    conn: AsyncConnection, event_id: str, sink: str, now: datetime, lease_until: datetime
) -> ClaimedDelivery | None:
    """Take the delivery until `lease_until`, one more attempt; None when another relay has it or it is settled.

    A plain UPDATE and a SELECT in the caller's transaction (no UPDATE ... RETURNING: MariaDB
    has none); the row is the caller's once its UPDATE counted it."""
    d = event_deliveries.c
    taken = await conn.execute(
        update(event_deliveries)
        .where(d.event_id == event_id, d.sink == sink, *_claimable(now))
        .values(claimed_until=lease_until, attempts=d.attempts + 1)
    )
    if taken.rowcount != 1:
        return None
    e = events.c
    row = (
        await conn.execute(
            select(e.id, e.type, e.occurred_at, e.customer_id, e.actor, e.payload, d.attempts)
            .join_from(event_deliveries, events, d.event_id == e.id)
            .where(d.event_id == event_id, d.sink == sink)
        )
    ).one()
    event = DomainEvent(type=row.type, customer_id=row.customer_id, payload=json.loads(row.payload),
                        actor=row.actor, id=row.id, occurred_at=aware(row.occurred_at) or row.occurred_at)  # fmt: skip
    return ClaimedDelivery(event, sink, row.attempts, lease_until)


async def _settle(conn: AsyncConnection, claimed: ClaimedDelivery, **values: object) -> bool:
    """Only the attempt that holds the delivery settles it (a relay whose lease ran out does not)."""
    d = event_deliveries.c
    result = await conn.execute(
        update(event_deliveries)
        .where(d.event_id == claimed.event.id, d.sink == claimed.sink, d.attempts == claimed.attempts,
               d.claimed_until == claimed.lease_until, d.next_attempt_at.is_not(None))  # fmt: skip
        .values(claimed_until=None, **values)
    )
    return result.rowcount == 1


async def mark_delivered(conn: AsyncConnection, claimed: ClaimedDelivery, now: datetime) -> bool:
    return await _settle(conn, claimed, delivered_at=now, next_attempt_at=None, last_error=None)


async def retry_at(conn: AsyncConnection, claimed: ClaimedDelivery, when: datetime, error: str) -> bool:
    return await _settle(conn, claimed, next_attempt_at=when, last_error=error[:200])


async def mark_dead(conn: AsyncConnection, claimed: ClaimedDelivery, now: datetime, error: str) -> bool:
    """Given up after the last attempt: kept, listed for admins, re-sendable (`resend`)."""
    return await _settle(conn, claimed, dead_at=now, next_attempt_at=None, last_error=error[:200])


async def release(conn: AsyncConnection, claimed: ClaimedDelivery) -> bool:
    """Give the delivery back unsettled (a relay shutting down): due again at once, for any relay."""
    return await _settle(conn, claimed)


async def resend(conn: AsyncConnection, event_id: str, sink: str | None, now: datetime) -> list[str]:
    """Make the event's dead or delivered deliveries (to `sink`, or every sink) due again now, with
    a fresh count of attempts; a queued one is made due now. The sinks it concerned."""
    d = event_deliveries.c
    where = [d.event_id == event_id] + ([d.sink == sink] if sink is not None else [])
    sinks = [row.sink for row in await conn.execute(select(d.sink).where(*where).order_by(d.sink))]
    if not sinks:
        return []
    settled = update(event_deliveries).where(*where, d.next_attempt_at.is_(None))
    await conn.execute(settled.values(attempts=0, next_attempt_at=now, delivered_at=None, dead_at=None,
                                      claimed_until=None))  # fmt: skip
    await conn.execute(update(event_deliveries).where(*where, d.next_attempt_at > now).values(next_attempt_at=now))
    return sinks


def _status(row: Row) -> str:
    return DELIVERED if row.delivered_at is not None else DEAD if row.dead_at is not None else QUEUED


async def delivery_entries(
    conn: AsyncConnection, limit: int, status: str | None = None, event_id: str | None = None,
    sink: str | None = None,
) -> list[DeliveryEntry]:
    """The deliveries of the newest events first (`limit` rows), optionally only QUEUED, DELIVERED
    or DEAD ones, those of one event, or to one sink."""
    d, e = event_deliveries.c, events.c
    query = (
        select(e.id, e.type, e.customer_id, e.occurred_at, d.sink, d.attempts, d.next_attempt_at,
               d.delivered_at, d.dead_at, d.last_error)  # fmt: skip
        .join_from(event_deliveries, events, d.event_id == e.id)
        .order_by(e.occurred_at.desc(), e.id.desc(), d.sink)
        .limit(limit)
    )
    if status == QUEUED:
        query = query.where(d.next_attempt_at.is_not(None))
    elif status == DELIVERED:
        query = query.where(d.delivered_at.is_not(None))
    elif status == DEAD:
        query = query.where(d.dead_at.is_not(None))
    if event_id is not None:
        query = query.where(d.event_id == event_id)
    if sink is not None:
        query = query.where(d.sink == sink)
    return [
        DeliveryEntry(r.id, r.type, r.customer_id, r.sink, _status(r), r.attempts,
                      aware(r.occurred_at) or r.occurred_at, aware(r.next_attempt_at), aware(r.delivered_at),
                      aware(r.dead_at), r.last_error)  # fmt: skip
        for r in await conn.execute(query)
    ]
