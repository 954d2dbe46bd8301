"""The store's schema over time: Alembic migrations (store/migrations/), run by `ventanilla migrate`.

The store holds Ventanilla's own tables (store/tables.py: users, sessions, audit …) and every
native domain table (connectors/native/tables.py): a domain `[routes]` leaves to the store (B1's
documents, ISPCube's quotes …) reads them, so they exist, empty, from the first run on, whatever
command made the store. From the first migration on, the store changes only through a migration: a new table or
column in either metadata needs one (tests/test_migrations.py fails on a difference between the
migrated database and the metadata).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..connectors.native import tables as native
from . import tables as access

# Domain tables first: nothing of access refers to them (customer ids there are strings).
TARGET = [native.metadata, access.metadata]
MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest migration's revision."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


@dataclass(frozen=True, slots=True)
class Migrated:
    before: str | None  # None: a new database, or one made before migrations existed
    after: str


async def current(conn: AsyncConnection) -> str | None:
    """The revision the store is at; None when it has never been migrated."""
    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade(conn: AsyncConnection) -> Migrated:
    """Bring the store `conn` reaches to the newest migration, inside the caller's transaction.

    An empty database gets the tables from the metadata and is stamped at the newest revision,
    as Alembic's documentation recommends for a new database (the same schema: the migrations
    test compares them), which is faster than replaying every migration."""
    from alembic import command

    def run(sync: Connection) -> None:
        if not inspect(sync).get_table_names():
            for metadata in TARGET:
                metadata.create_all(sync)
            command.stamp(_config(sync), "head")
        else:
            command.upgrade(_config(sync), "head")

    before = await current(conn)
    await conn.run_sync(run)
    return Migrated(before=before, after=await current(conn) or "")


async def migrate(target: AsyncEngine | AsyncConnection) -> Migrated:
    """Give the store at `target` every table it may be asked for: `upgrade`, for an engine in a
    transaction of its own (PostgreSQL and SQLite alter tables transactionally: a migration that
    fails leaves the store as it was). Every path that makes or opens a store calls this."""
    if isinstance(target, AsyncConnection):
        return await upgrade(target)
    async with target.begin() as conn:
        return await upgrade(conn)


async def behind(engine: AsyncEngine) -> bool:
    """True when the store misses a migration (serve checks it with store/version.py instead)."""
    async with engine.connect() as conn:
        return await current(conn) != head()
