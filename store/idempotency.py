"""Idempotency keys of the portal actions: the first answer, kept 24 hours (resolvers/actions.py).

`claim` inserts the key's row first thing in the action's transaction. A concurrent request
with the same caller, mutation and key waits on the unique constraint until the first one
commits, then fails to insert (KeyTaken) and reads the first answer with `earlier`; if the
first one rolled back, the key is free again; a row past its 24 hours is removed by `free`, and
the key is taken anew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import aware, now
from .tables import idempotency_keys

KEEP = timedelta(hours=24)


class KeyTaken(Exception):
    """Another request of the same caller and mutation holds this key (committed before us)."""


@dataclass(frozen=True, slots=True)
class Earlier:
    """What a key's first request asked (its hash) and answered."""

    request_hash: str
    answer: dict[str, Any]


async def claim(conn: AsyncConnection, caller: str, mutation: str, key: str, request_hash: str) -> int:
    """Take `key` in this transaction (answer still empty); KeyTaken if a row holds it, live or not
    (`earlier` tells which; `free` removes a row past its 24 hours, and the key is as new).

    The INSERT comes first, with no DELETE or read of the key before it: on MariaDB a statement that
    finds no row locks the gap, and two such requests would then deadlock on their INSERTs."""
    moment = now()
    values = {"caller": caller, "mutation": mutation, "idempotency_key": key, "request_hash": request_hash,
              "answer": "{}", "created_at": moment, "expires_at": moment + KEEP}  # fmt: skip
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        # ON CONFLICT DO NOTHING, not a SAVEPOINT: pysqlite commits a savepoint opened outside its
        # implicit transaction when it is released, and the key would stay without its action.
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        result = await conn.execute(upsert(idempotency_keys).values(**values).on_conflict_do_nothing())
        if not result.rowcount:
            raise KeyTaken(key)
    else:
        try:
            async with conn.begin_nested():
                result = await conn.execute(insert(idempotency_keys).values(**values))
        except IntegrityError as exc:
            raise KeyTaken(key) from exc
    inserted = result.inserted_primary_key
    if inserted is None or inserted[0] is None:  # ON CONFLICT: not every driver hands the id back
        row = await conn.execute(
            select(idempotency_keys.c.id).where(
                idempotency_keys.c.caller == caller, idempotency_keys.c.mutation == mutation,
                idempotency_keys.c.idempotency_key == key,
            )
        )  # fmt: skip
        return int(row.scalar_one())
    return int(inserted[0])


async def free(conn: AsyncConnection, caller: str, mutation: str, key: str) -> int:
    """Remove `key`'s row if it is past its 24 hours (in a transaction of its own); how many."""
    result = await conn.execute(
        delete(idempotency_keys).where(
            idempotency_keys.c.caller == caller, idempotency_keys.c.mutation == mutation,
            idempotency_keys.c.idempotency_key == key, idempotency_keys.c.expires_at <= now(),
        )
    )  # fmt: skip
    return result.rowcount or 0


async def settle(conn: AsyncConnection, row_id: int, answer: dict[str, Any]) -> None:
    """Record the answer of the key's first request, in its transaction."""
    await conn.execute(
        update(idempotency_keys).where(idempotency_keys.c.id == row_id).values(answer=json.dumps(answer))
    )


async def earlier(conn: AsyncConnection, caller: str, mutation: str, key: str) -> Earlier | None:
    """The live first request under `key`, if any."""
    row = (
        await conn.execute(
            select(idempotency_keys.c.request_hash, idempotency_keys.c.answer, idempotency_keys.c.expires_at).where(
                idempotency_keys.c.caller == caller, idempotency_keys.c.mutation == mutation,
                idempotency_keys.c.idempotency_key == key,
            )
        )
    ).first()  # fmt: skip
    if row is None or (aware(row.expires_at) or datetime.min) <= now():
        return None
    return Earlier(row.request_hash, json.loads(row.answer))


async def forget_expired(conn: AsyncConnection) -> int:
    """Remove the keys past their 24 hours (housekeeping); how many."""
    result = await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.expires_at <= now()))
    return result.rowcount or 0
