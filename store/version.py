"""The store's migration revision, read without Alembic.

`ventanilla serve` refuses to start on a store that misses a migration (web/app.py). Alembic and
its scripts take some 11 MB of a worker that never migrates, so the check reads Alembic's
`alembic_version` table itself and compares it with `HEAD`, the newest migration's revision:
tests/test_migrations.py fails until `HEAD` names the migration you add.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

HEAD = "0006_branding"
VERSION_TABLE = "alembic_version"  # Alembic's default, which store/schema.py keeps


def stored_revision(conn: Connection) -> str | None:
    """The revision the store is at; None when it has never been migrated."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


async def behind(engine: AsyncEngine) -> bool:
    """True when the store misses a migration."""
    async with engine.connect() as conn:
        return await conn.run_sync(stored_revision) != HEAD
