"""Counters of limits and cool-downs: a slot is taken under the counter row's lock, race-free.

`take(conn, key, limit, window_ends)` takes one of `limit` slots of the window ending at
`window_ends` (a new window starts when the old one has ended). The counter's row is made to
exist first by one statement that cannot fail on a duplicate; then a locking read (SELECT ... FOR
UPDATE) holds the row on PostgreSQL and MariaDB until the action's transaction ends, so a
concurrent request reads it only after the first committed; SQLite runs one writer at a time (the
first statement already took its write lock). So 20 concurrent requests under a limit of 5 take
exactly 5 slots. It runs on the action's transaction: an action that fails gives its slot back
by rolling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import aware, now
from .tables import action_counters


@dataclass(frozen=True, slots=True)
class Refused:
    """Every slot of the window is taken; a new one opens at `until`."""

    until: datetime


async def take(conn: AsyncConnection, key: str, limit: int, window_ends: datetime) -> Refused | None:
    """Take a slot of `key`'s current window (or start the window ending at `window_ends`);
    None when taken, Refused (with the window's end) when all `limit` are."""
    c = action_counters.c
    if limit <= 0:
        return Refused(window_ends)
    await _ensure_row(conn, key)
    # A locking read: the row's latest committed state, held until this transaction ends.
    row = (
        await conn.execute(select(c.taken, c.window_ends).where(c.counter_key == key).with_for_update())
    ).one()
    ends = aware(row.window_ends) or row.window_ends
    if ends <= now():  # the window is over (or new): this request starts the next one
        await conn.execute(
            update(action_counters).where(c.counter_key == key).values(taken=1, window_ends=window_ends)
        )
        return None
    if row.taken >= limit:
        return Refused(ends)
    await conn.execute(update(action_counters).where(c.counter_key == key).values(taken=c.taken + 1))
    return None


async def _ensure_row(conn: AsyncConnection, key: str) -> None:
    """The counter's row exists (an empty window when new), locked by this transaction on MariaDB.

    One statement that never fails on a duplicate: PostgreSQL's ON CONFLICT DO NOTHING waits for a
    concurrent insert of the key to end; MariaDB's ON DUPLICATE KEY UPDATE takes the row's exclusive
    lock (a plain INSERT's duplicate error takes a shared one, and two such requests then deadlock
    on their UPDATEs, as would a first UPDATE that found no row and locked the gap)."""
    values = {"counter_key": key, "taken": 0, "window_ends": now()}  # over at once: the first take starts it
    dialect = conn.dialect.name
    if dialect == "postgresql":
        await conn.execute(pg_insert(action_counters).values(**values).on_conflict_do_nothing())
    elif dialect in ("mysql", "mariadb"):
        statement = mysql_insert(action_counters).values(**values)
        await conn.execute(statement.on_duplicate_key_update(counter_key=statement.inserted.counter_key))
    elif dialect == "sqlite":
        await conn.execute(sqlite_insert(action_counters).values(**values).on_conflict_do_nothing())
    else:
        exists = (
            await conn.execute(select(action_counters.c.taken).where(action_counters.c.counter_key == key))
        ).first()
        if exists is None:
            await conn.execute(insert(action_counters).values(**values))
