"""The store's complete set of tables, created in one place: every path that makes a store calls `create_store`.

A store holds the access tables (`store/tables.py`: users, sessions, audit, partners) and every
native domain table (`connectors/native/tables.py`): a domain `[routes]` leaves to the store (B1's
documents, ISPCube's quotes ...) reads them, so they exist, empty, from the first run on, whatever
command made the store. Creation is idempotent: tables a store already has are left as they are,
and the tables and indexes a newer version adds are created. Until the store changes through migrations
(issue 11), this is today's table creation, and `METADATA` what the first migration is made from.
"""

from __future__ import annotations

from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..connectors.native import tables as native_tables
from . import tables as access_tables

# Domain tables first: nothing of access refers to them (customer ids there are strings).
METADATA: tuple[MetaData, ...] = (native_tables.metadata, access_tables.metadata)


def create_store_tables(conn: Connection) -> None:
    """Create every store table missing on `conn` (a synchronous connection, for `run_sync`), and
    every index missing on the tables it had (one a newer version adds)."""
    existing = set(inspect(conn).get_table_names())
    for metadata in METADATA:
        metadata.create_all(conn)
        for table in metadata.sorted_tables:
            if table.name in existing:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)


async def create_store(target: AsyncEngine | AsyncConnection) -> None:
    """Give the store at `target` every table it may be asked for (in one transaction for an engine)."""
    if isinstance(target, AsyncConnection):
        await target.run_sync(create_store_tables)
        return
    async with target.begin() as conn:
        await conn.run_sync(create_store_tables)
