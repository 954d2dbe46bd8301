"""A mapped legacy system as a TicketWriter (connectors/base.py): the mapping's declared writes
`ticket`, `ticket_message`, `ticket_file` and `ticket_update` (connectors/sql/writes.py), run in
one transaction of the system's own database.

The store's transaction of the action (`conn`) is not this database's: the legacy rows commit when
the call returns, before the store's transaction does (docs/connectors.md, "Writes": the window).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..base import SourceTimeout, SourceUnavailable, WriteRefused
from ..records import NewFile, NewMessage, NewTicket, TicketStatus
from .writes import Writes

T = TypeVar("T")


def _legacy_instant(moment: datetime) -> datetime:
    """Legacy DATETIME columns keep UTC wall clocks, naive (as the mapped reads take them)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


class LegacyTicketWrites:
    """TicketWriter over a mapping's declared writes; the class using it sets `engine`, `writes`,
    `write_timeout` and `write_label`."""

    engine: AsyncEngine
    writes: Writes
    write_timeout: float
    write_label: str

    async def _in_transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`work` in one transaction of the legacy database (its pool reads in autocommit), within
        the source's timeout; driver failures as SourceUnavailable / SourceTimeout."""
        try:
            async with asyncio.timeout(self.write_timeout), self.engine.connect() as raw:
                level = self.engine.dialect.default_isolation_level or "READ COMMITTED"
                conn = await raw.execution_options(isolation_level=level)
                async with conn.begin():
                    return await work(conn)
        except WriteRefused:
            raise
        except TimeoutError as exc:
            raise SourceTimeout(f"the {self.write_label} database did not take the write in time") from exc
        except Exception as exc:
            raise SourceUnavailable(f"the {self.write_label} database cannot be written ({type(exc).__name__})") from exc

    async def open_ticket(self, conn: AsyncConnection, new: NewTicket, now: datetime) -> str:
        moment = _legacy_instant(now)

        async def work(legacy: AsyncConnection) -> str:
            ticket_id = await self.writes.run(
                legacy, "ticket", customer_id=new.customer_id, subject=new.subject, area=new.area,
                category=new.category, priority=new.priority, assignee=new.assignee, status=new.status.value,
                now=moment, closed_at=moment if new.status is TicketStatus.CLOSED else None,
            )  # fmt: skip
            await self._message(legacy, ticket_id, new.author_name, new.from_customer, new.body, False, new.files, moment)
            return str(ticket_id)

        return await self._in_transaction(work)

    async def add_message(
        self, conn: AsyncConnection, new: NewMessage, now: datetime, status: TicketStatus | None = None
    ) -> str | None:
        moment = _legacy_instant(now)

        async def work(legacy: AsyncConnection) -> str | None:
            if not await self.writes.run(legacy, "ticket_update", ticket_id=new.ticket_id, now=moment,
                                         **_status(status, moment)):  # fmt: skip
                return None
            return await self._message(legacy, new.ticket_id, new.author_name, new.from_customer, new.body,
                                       new.internal, new.files, moment)  # fmt: skip

        return await self._in_transaction(work)

    async def set_ticket_status(
        self, conn: AsyncConnection, ticket_id: str, status: TicketStatus, now: datetime
    ) -> bool:
        moment = _legacy_instant(now)

        async def work(legacy: AsyncConnection) -> bool:
            changed = await self.writes.run(legacy, "ticket_update", ticket_id=ticket_id, now=moment,
                                            **_status(status, moment))  # fmt: skip
            return bool(changed)

        return await self._in_transaction(work)

    async def _message(
        self, legacy: AsyncConnection, ticket_id: str, author: str, from_customer: bool, body: str, internal: bool,
        files: Sequence[NewFile], moment: datetime,
    ) -> str:  # fmt: skip
        message_id = await self.writes.run(
            legacy, "ticket_message", ticket_id=ticket_id, author_name=author,
            staff_name=None if from_customer else author, body=body, internal=internal, now=moment,
        )  # fmt: skip
        for file in files:
            await self.writes.run(legacy, "ticket_file", message_id=message_id, filename=file.filename,
                                  content_type=file.content_type, size=file.size, sha256=file.sha256)  # fmt: skip
        return str(message_id)


def _status(status: TicketStatus | None, moment: datetime) -> dict[str, Any]:
    """The placeholders of a status change; none (the status left as it is) without one."""
    if status is None:
        return {}
    return {"status": status.value, "closed_at": moment if status is TicketStatus.CLOSED else None}
