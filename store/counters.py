"""Counters of limits and cool-downs: a slot is taken by one conditional UPDATE, race-free.

`take(conn, key, limit, window_ends)` takes one of `limit` slots of the window ending at
`window_ends` (a new window starts when the old one has ended). On PostgreSQL and MariaDB the
UPDATE locks the row, and a concurrent one re-reads it after the first commits; SQLite runs one
writer at a time. So 20 concurrent requests under a limit of 5 take exactly 5 slots. It runs on
the action's transaction: an action that fails gives its slot back by rolling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
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
    for _ in range(5):  # an INSERT that lost a race to another's INSERT updates instead
        moment = now()
        taken = await conn.execute(
            update(action_counters)
            .where(c.counter_key == key, c.window_ends > moment, c.taken < limit)
            .values(taken=c.taken + 1)
        )
        if taken.rowcount:
            return None
        restarted = await conn.execute(
            update(action_counters)
            .where(c.counter_key == key, c.window_ends <= moment)
            .values(taken=1, window_ends=window_ends)
        )
        if restarted.rowcount:
            return None
        current = (await conn.execute(select(c.taken, c.window_ends).where(c.counter_key == key))).first()
        if current is not None:
            if current.taken < limit:  # another request started a new window meanwhile
                continue
            return Refused(aware(current.window_ends) or current.window_ends)
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(action_counters).values(counter_key=key, taken=1, window_ends=window_ends)
                )
        except IntegrityError:
            continue
        return None
    raise RuntimeError(f"counter {key!r}: could not take a slot")
