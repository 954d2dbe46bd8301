"""The portal's branding an admin set (FEATURES.md F2-F3), over `[portal]` of the configuration.

One row per key (rules/branding.py KEYS: name, primary_color, login_hint, ..., logo: the blob key
and type of an uploaded logo); a key without a row is as the configuration says, a row whose value
is NULL was cleared by the admin. Every request reads the rows with one statement
(`Context.branding()`), so a change made on one instance shows on every other at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import now
from .tables import portal_branding


async def read_branding(conn: AsyncConnection) -> dict[str, str | None]:
    """Every stored key: key -> value (None: cleared)."""
    rows = (await conn.execute(select(portal_branding.c.key, portal_branding.c.value))).all()
    return {row.key: row.value for row in rows}


async def set_branding(conn: AsyncConnection, values: Mapping[str, str | None], by: str | None) -> None:
    """Store each of `values` in the caller's transaction (whoever set a key last wins): one
    upsert per key, which two admins changing the same key at once cannot both fail."""
    for key, value in values.items():
        row = {"value": value, "updated_at": now(), "updated_by": by and by[:120]}
        dialect = conn.dialect.name
        if dialect in ("mysql", "mariadb"):
            mysql = mysql_insert(portal_branding).values(key=key, **row)
            await conn.execute(mysql.on_duplicate_key_update(**row))
        elif dialect in ("postgresql", "sqlite"):
            upsert = pg_insert if dialect == "postgresql" else sqlite_insert
            statement = upsert(portal_branding).values(key=key, **row)
            await conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_=row))
        else:
            changed = await conn.execute(
                update(portal_branding).where(portal_branding.c.key == key).values(**row)
            )
            if not changed.rowcount:
                await conn.execute(insert(portal_branding).values(key=key, **row))
