"""Tickets beside a read-only source: kept in the store, merged into that source's ticket reads.

A legacy system that takes no ticket writes (a SAP replica: `writes = []`) still gets tickets
from the portal. They go to the store's `portal_tickets`, `portal_ticket_messages` and
`portal_ticket_files` (connectors/native/tables.py, in the store), keyed by the canonical
customer id, and `MergedTickets` (what `RoutedSource` serves for such a `tickets` domain) reads
both as one:

- a customer's list is the two lists merged newest first, one keyset cursor holding the position
  in each (`after` walks both; totalCount is the sum of both counts under the same filter);
- a ticket by id (and `node`) is looked up where its id says: portal ids are `portal-<n>`, an id
  no legacy key can spell, so the two never collide (messages and files alike);
- a thread is the source's messages and the replies the portal kept for that ticket, by time.

Replies to the legacy system's own tickets are kept here too (ticket_id: its canonical id); their
status stays the system's (closing one answers WriteRefused: it is closed in the ERP).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .base import InvalidCursor, SupportSource, WriteRefused
from .executor import Executor
from .files import BlobReader
from .keyset import Keyset
from .native.tables import portal_ticket_files, portal_ticket_messages, portal_tickets
from .records import (
    Attachment,
    NewFile,
    NewMessage,
    NewTicket,
    Page,
    PageOf,
    Ticket,
    TicketFilter,
    TicketMessage,
    TicketStatus,
)
from .shapes import Shapes, bound_keys
from .support import ticket_conditions
from .values import instant

PREFIX = "portal-"
_MAX_ID = 2**31 - 1
_LISTING = Keyset(portal_tickets, ("created_at", "id"), descending=True, partition="customer_id", integer_bits=32)
_BY_ID = select(portal_tickets).where(portal_tickets.c.id.in_(bound_keys()))


def _threads(include_internal: bool) -> tuple[Select[Any], Select[Any]]:
    """The messages of the tickets bound as `ids`, oldest first, and their files."""
    m, f = portal_ticket_messages, portal_ticket_files
    shown = [m.c.ticket_id.in_(bound_keys())]
    if not include_internal:
        shown.append(m.c.internal.is_(False))
    return (
        select(m).where(*shown).order_by(m.c.created_at, m.c.id),
        select(f).join(m, f.c.message_id == m.c.id).where(*shown).order_by(f.c.id),
    )


_THREADS: Shapes[tuple[Select[Any], Select[Any]]] = Shapes(limit=2)  # with internal notes or without


def portal_id(key: str) -> int | None:
    """The row id behind a portal canonical id ("portal-12"), None for any other id."""
    if not key.startswith(PREFIX):
        return None
    digits = key[len(PREFIX) :]
    if not (digits.isascii() and digits.isdigit()) or str(int(digits)) != digits or not 0 < int(digits) <= _MAX_ID:
        return None
    return int(digits)


def is_portal(key: str) -> bool:
    return portal_id(key) is not None


def ticket_number(row_id: int) -> str:
    """WEB-<id>: the portal's own numbering, apart from the ERP's."""
    return f"WEB-{row_id:06d}"


def _ticket(row: Any) -> Ticket:
    return Ticket(
        id=f"{PREFIX}{row.id}", customer_id=row.customer_id, number=row.number, subject=row.subject,
        status=TicketStatus(row.status), priority=row.priority, area=row.area, category=row.category,
        assignee=row.assignee, created_at=instant(row.created_at), updated_at=instant(row.updated_at),
        closed_at=None if row.closed_at is None else instant(row.closed_at),
    )  # fmt: skip


class PortalTickets:
    """The store's portal tickets: a SupportSource for `MergedTickets`, and the TicketWriter of a
    domain routed to a source that takes no ticket writes (on the action's store transaction)."""

    def __init__(self, engine: AsyncEngine, *, timeout: float = 10.0, blobs: BlobReader | None = None) -> None:
        self.engine = engine
        self.blobs = blobs
        self._db = Executor(engine, timeout, "store")

    # --- reads ---------------------------------------------------------------------------

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]:
        wanted = [i for i in (portal_id(key) for key in ids) if i is not None]
        if not wanted:
            return [None] * len(ids)
        rows = await self._db.fetch_with(_BY_ID, ids=wanted)
        found = {f"{PREFIX}{row.id}": _ticket(row) for row in rows}
        return [found.get(key) for key in ids]

    async def tickets_of(self, customer_ids: Sequence[str], filter: TicketFilter, page: Page) -> list[PageOf]:
        statement, params = _LISTING.bound(
            page, shape=filter, where=lambda: ticket_conditions(portal_tickets, filter), ids=list(customer_ids)
        )
        rows = await self._db.fetch_with(statement, **params)
        return _LISTING.pages(customer_ids, rows, lambda row: row.customer_id, page, _ticket)

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        statement = _LISTING.bound_count(shape=filter, where=lambda: ticket_conditions(portal_tickets, filter))
        rows = await self._db.fetch_with(statement, ids=list(customer_ids))
        return _LISTING.counts(customer_ids, rows, lambda row: row.customer_id)

    async def messages_of(self, ticket_ids: Sequence[str], include_internal: bool) -> list[list[TicketMessage]]:
        """The messages kept here for each ticket (a portal ticket's thread, or the replies to a
        legacy one), oldest first."""
        statements = _THREADS.get(include_internal, lambda: _threads(include_internal))
        messages, files = await self._db.fetch(*statements, ids=list(ticket_ids))
        by_message: dict[int, list[Attachment]] = defaultdict(list)
        for row in files:
            by_message[row.message_id].append(Attachment(
                id=f"{PREFIX}{row.id}", filename=row.filename, content_type=row.content_type, size=row.size,
                sha256=row.sha256,
            ))  # fmt: skip
        threads: dict[str, list[TicketMessage]] = defaultdict(list)
        for row in messages:
            threads[row.ticket_id].append(TicketMessage(
                id=f"{PREFIX}{row.id}", ticket_id=row.ticket_id, author_name=row.author_name,
                from_customer=bool(row.from_customer), body=row.body, internal=bool(row.internal),
                created_at=instant(row.created_at), attachments=tuple(by_message.get(row.id, ())),
            ))  # fmt: skip
        return [threads.get(key, []) for key in ticket_ids]

    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        if self.blobs is None or not attachment.sha256:
            return None
        return await self.blobs.get(attachment.sha256)

    # --- writes (TicketWriter), on the action's store transaction ------------------------

    async def open_ticket(self, conn: AsyncConnection, new: NewTicket, now: datetime) -> str:
        inserted = await conn.execute(
            insert(portal_tickets).values(
                customer_id=new.customer_id, number=None, subject=new.subject, status=new.status.value,
                priority=new.priority, area=new.area, category=new.category, assignee=new.assignee,
                created_at=now, updated_at=now, closed_at=now if new.status is TicketStatus.CLOSED else None,
            )
        )  # fmt: skip
        key = inserted.inserted_primary_key
        assert key is not None
        row_id = int(key[0])
        await conn.execute(update(portal_tickets).where(portal_tickets.c.id == row_id).values(number=ticket_number(row_id)))
        ticket_id = f"{PREFIX}{row_id}"
        await self._message(conn, ticket_id, new.author_name, new.from_customer, new.body, False, new.files, now)
        return ticket_id

    async def add_message(
        self, conn: AsyncConnection, new: NewMessage, now: datetime, status: TicketStatus | None = None
    ) -> str | None:
        """A reply: on a portal ticket (its status set when given), or kept beside a legacy
        system's ticket (whose status is the system's: `status` is not applied to it)."""
        row_id = portal_id(new.ticket_id)
        if row_id is not None and not await self._touch(conn, row_id, now, status):
            return None
        return await self._message(conn, new.ticket_id, new.author_name, new.from_customer, new.body, new.internal,
                                   new.files, now)  # fmt: skip

    async def set_ticket_status(self, conn: AsyncConnection, ticket_id: str, status: TicketStatus, now: datetime) -> bool:
        row_id = portal_id(ticket_id)
        if row_id is None:
            raise WriteRefused("the ticket is kept in the business's ERP, which takes no changes from the portal")
        return await self._touch(conn, row_id, now, status)

    async def _touch(self, conn: AsyncConnection, row_id: int, now: datetime, status: TicketStatus | None) -> bool:
        values: dict[str, Any] = {"updated_at": now}
        if status is not None:
            values |= {"status": status.value, "closed_at": now if status is TicketStatus.CLOSED else None}
        await conn.execute(update(portal_tickets).where(portal_tickets.c.id == row_id).values(**values))
        found = await conn.execute(select(portal_tickets.c.id).where(portal_tickets.c.id == row_id))
        return found.first() is not None

    async def _message(
        self, conn: AsyncConnection, ticket_id: str, author: str, from_customer: bool, body: str, internal: bool,
        files: Sequence[NewFile], now: datetime,
    ) -> str:  # fmt: skip
        inserted = await conn.execute(
            insert(portal_ticket_messages).values(
                ticket_id=ticket_id, author_name=author, from_customer=from_customer, body=body, internal=internal,
                created_at=now,
            )
        )  # fmt: skip
        key = inserted.inserted_primary_key
        assert key is not None
        message_id = int(key[0])
        if files:
            await conn.execute(insert(portal_ticket_files), [
                {"message_id": message_id, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                 "sha256": f.sha256} for f in files
            ])  # fmt: skip
        return f"{PREFIX}{message_id}"


class MergedTickets:
    """A read-only source's tickets and the portal's, read as one SupportSource (module text)."""

    def __init__(self, legacy: SupportSource, portal: PortalTickets) -> None:
        self.legacy = legacy
        self.portal = portal

    async def tickets_by_id(self, ids: Sequence[str]) -> list[Ticket | None]:
        theirs = [key for key in ids if not is_portal(key)]
        ours = [key for key in ids if is_portal(key)]
        found: dict[str, Ticket | None] = {}
        if theirs:
            found |= dict(zip(theirs, await self.legacy.tickets_by_id(theirs)))
        if ours:
            found |= dict(zip(ours, await self.portal.tickets_by_id(ours)))
        return [found.get(key) for key in ids]

    async def tickets_of(self, customer_ids: Sequence[str], filter: TicketFilter, page: Page) -> list[PageOf]:
        legacy_after, portal_after = _decode(page.after)
        legacy_pages, portal_pages = await asyncio.gather(
            self.legacy.tickets_of(customer_ids, filter, Page(page.first, legacy_after)),
            self.portal.tickets_of(customer_ids, filter, Page(page.first, portal_after)),
        )
        return [
            _merged(theirs, ours, page.first, legacy_after, portal_after)
            for theirs, ours in zip(legacy_pages, portal_pages)
        ]

    async def ticket_counts_of(self, customer_ids: Sequence[str], filter: TicketFilter) -> list[int]:
        theirs, ours = await asyncio.gather(
            self.legacy.ticket_counts_of(customer_ids, filter), self.portal.ticket_counts_of(customer_ids, filter)
        )
        return [a + b for a, b in zip(theirs, ours)]

    async def messages_of(self, ticket_ids: Sequence[str], include_internal: bool) -> list[list[TicketMessage]]:
        theirs = [key for key in ticket_ids if not is_portal(key)]
        legacy_threads = dict(zip(theirs, await self.legacy.messages_of(theirs, include_internal))) if theirs else {}
        kept = await self.portal.messages_of(ticket_ids, include_internal)
        return [
            sorted([*legacy_threads.get(key, []), *ours], key=lambda m: m.created_at)  # stable: the ERP's first
            for key, ours in zip(ticket_ids, kept)
        ]

    async def attachment_content(self, attachment: Attachment) -> bytes | None:
        if attachment.id.startswith(PREFIX):
            return await self.portal.attachment_content(attachment)
        return await self.legacy.attachment_content(attachment)


def _merged(theirs: PageOf, ours: PageOf, first: int, legacy_at: str | None, portal_at: str | None) -> PageOf:
    """The first `first` of two pages merged newest first; each item's cursor holds the position
    reached in both lists."""
    items: list[Ticket] = []
    cursors: list[str] = []
    i = j = 0
    while len(items) < first and (i < len(theirs.items) or j < len(ours.items)):
        take_ours = j < len(ours.items) and (
            i >= len(theirs.items) or ours.items[j].created_at > theirs.items[i].created_at
        )
        if take_ours:
            items.append(ours.items[j])
            portal_at = ours.cursors[j]
            j += 1
        else:
            items.append(theirs.items[i])
            legacy_at = theirs.cursors[i]
            i += 1
        cursors.append(_encode(legacy_at, portal_at))
    more = i < len(theirs.items) or j < len(ours.items) or theirs.has_next or ours.has_next
    return PageOf(items=items, cursors=cursors, has_next=more)


def _encode(legacy_at: str | None, portal_at: str | None) -> str:
    raw = json.dumps([legacy_at, portal_at], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(cursor: str | None) -> tuple[str | None, str | None]:
    if cursor is None:
        return None, None
    try:
        legacy_at, portal_at = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor(f"not a cursor of this listing: {cursor!r}") from exc
    if not all(part is None or isinstance(part, str) for part in (legacy_at, portal_at)):
        raise InvalidCursor(f"not a cursor of this listing: {cursor!r}")
    return legacy_at, portal_at
