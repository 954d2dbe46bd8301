"""Ticket writes on the native tables (tickets, ticket_messages, attachments), on the store's
transaction of the portal action (`conn`): the store's NativeSource is its TicketWriter."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..records import NewFile, NewMessage, NewTicket, TicketStatus
from .ids import db_id
from .tables import attachments, ticket_messages, tickets

# The demo's tickets are numbered TK-<id + 4800> (demo/support.py: the ISP's numbering started
# before the demo's window); new ones continue it, so a number is unique as its id is.
NUMBER_OFFSET = 4_800


def _new_id(inserted: CursorResult[Any]) -> int:
    key = inserted.inserted_primary_key
    assert key is not None
    return int(key[0])


def ticket_number(ticket_id: int) -> str:
    return f"TK-{ticket_id + NUMBER_OFFSET:06d}"


async def open_ticket(conn: AsyncConnection, new: NewTicket, now: datetime) -> str:
    customer = db_id(new.customer_id)
    if customer is None:
        raise ValueError(f"not a native customer id: {new.customer_id!r}")
    # The number is known once the id is: a unique placeholder first, then the number.
    inserted = await conn.execute(
        insert(tickets).values(
            customer_id=customer, number="~" + secrets.token_hex(5), subject=new.subject, status=new.status.value,
            priority=new.priority, area=new.area, category=new.category, assignee=new.assignee,
            created_at=now, updated_at=now, closed_at=now if new.status is TicketStatus.CLOSED else None,
        )
    )  # fmt: skip
    ticket_id = _new_id(inserted)
    await conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(number=ticket_number(ticket_id)))
    await _message(conn, ticket_id, new.author_name, new.from_customer, new.body, False, new.files, now)
    return str(ticket_id)


async def add_message(
    conn: AsyncConnection, new: NewMessage, now: datetime, status: TicketStatus | None = None
) -> str | None:
    ticket_id = db_id(new.ticket_id)
    if ticket_id is None or not await _touch(conn, ticket_id, now, status):
        return None
    message = await _message(conn, ticket_id, new.author_name, new.from_customer, new.body, new.internal, new.files, now)
    return str(message)


async def set_ticket_status(conn: AsyncConnection, ticket_id: str, status: TicketStatus, now: datetime) -> bool:
    native = db_id(ticket_id)
    return native is not None and await _touch(conn, native, now, status)


async def _touch(conn: AsyncConnection, ticket_id: int, now: datetime, status: TicketStatus | None) -> bool:
    values: dict[str, object] = {"updated_at": now}
    if status is not None:
        values |= {"status": status.value, "closed_at": now if status is TicketStatus.CLOSED else None}
    changed = await conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(**values))
    if changed.rowcount:
        return True
    # MariaDB counts changed rows, not matched ones: an equal timestamp would read as a miss.
    found = await conn.execute(select(tickets.c.id).where(tickets.c.id == ticket_id))
    return found.first() is not None


async def _message(
    conn: AsyncConnection, ticket_id: int, author: str, from_customer: bool, body: str, internal: bool,
    files: Sequence[NewFile], now: datetime,
) -> int:  # fmt: skip
    inserted = await conn.execute(
        insert(ticket_messages).values(
            ticket_id=ticket_id, author_name=author, from_customer=from_customer, body=body, internal=internal,
            created_at=now,
        )
    )  # fmt: skip
    message_id = _new_id(inserted)
    if files:
        await conn.execute(
            insert(attachments),
            [
                {"owner_kind": "TicketMessage", "owner_id": message_id, "filename": f.filename,
                 "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
                for f in files
            ],
        )  # fmt: skip
    return message_id
