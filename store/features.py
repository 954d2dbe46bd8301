"""The feature switches an admin set (FEATURES.md F1), over `[portal] features` (rules/features.py).

One row per feature an admin (the `setFeature` mutation or `ventanilla features`) switched; a
feature without a row is as the configuration says. Every request reads them with one statement
(resolvers/context.py), so a switch set on one instance is in force on every other at once.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.executor import read_rows
from .access import now
from .tables import feature_switches

_SWITCHES = select(feature_switches.c.feature, feature_switches.c.enabled)  # built once: every request reads it


async def read_switches(conn: AsyncConnection) -> dict[str, bool]:
    """Every stored switch: feature name -> on."""
    rows = await read_rows(conn, _SWITCHES)
    return {row.feature: bool(row.enabled) for row in rows}


async def set_switch(conn: AsyncConnection, feature: str, enabled: bool, by: str | None) -> None:
    """Store `feature` as on or off (whoever set it last wins), in the caller's transaction: one
    upsert, which two admins switching the same feature at once cannot both fail."""
    values = {"enabled": enabled, "updated_at": now(), "updated_by": by and by[:120]}
    dialect = conn.dialect.name
    if dialect in ("mysql", "mariadb"):
        mysql = mysql_insert(feature_switches).values(feature=feature, **values)
        await conn.execute(mysql.on_duplicate_key_update(**values))
    elif dialect in ("postgresql", "sqlite"):
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = upsert(feature_switches).values(feature=feature, **values)
        await conn.execute(statement.on_conflict_do_update(index_elements=["feature"], set_=values))
    else:
        changed = await conn.execute(
            update(feature_switches).where(feature_switches.c.feature == feature).values(**values)
        )
        if not changed.rowcount:
            await conn.execute(insert(feature_switches).values(feature=feature, **values))
