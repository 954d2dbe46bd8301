"""Write a legacy-shaped demo database: the mapping's tables, created and filled from reshaped rows."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as Rows
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Numeric, String, Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ...connectors.sql.mapping import Mapping

_BATCH = 2_000


def naive_utc(moment: datetime | None) -> datetime | None:
    """Legacy databases keep instants as naive UTC wall clocks (DATETIME, TIMESTAMP WITHOUT TIME ZONE)."""
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def char8(day: object) -> str:
    """A date as SAP stores it (CHAR(8) `YYYYMMDD`), `00000000` for none."""
    return "00000000" if day is None else day.strftime("%Y%m%d")  # type: ignore[attr-defined]


def sap_initial(column: Column[Any]) -> object:
    """SAP stores initial values instead of NULL: blanks, `00000000` for dates, 0 for numbers."""
    if isinstance(column.type, String):
        return "00000000" if column.type.length == 8 and column.name in _SAP_DATES else ""
    if isinstance(column.type, Numeric):
        return 0
    return None


_SAP_DATES = {"ERDAT", "FKDAT", "BUDAT", "BLDAT", "AUGDT", "ZFBDT", "AUDAT", "ANGDT", "BNDDT", "GUEBG",
              "GUEEN", "WADAT", "WADAT_IST", "LFDAT", "VBEGDAT", "VENDDAT", "VUNTDAT", "QMDAT", "DATAB",
              "DATBI", "UEDAT", "VDATU", "STRMN", "LTRMN", "AEDAT", "QMDAB"}  # fmt: skip


async def write_tables(
    engine: AsyncEngine,
    mapping: Mapping,
    rows: Rows[str, list[dict]],
    fill: Callable[[Column[Any]], object] = lambda column: None,
) -> dict[str, int]:
    """Create every table of `mapping` (dropping an older demo's) and insert `rows`, in one transaction.

    Columns a row leaves out get `fill(column)` (NULL by default; SAP's initial values for SAP tables).
    """
    async with engine.begin() as conn:
        await conn.run_sync(mapping.metadata.drop_all)
        await conn.run_sync(mapping.metadata.create_all)
        for table in mapping.metadata.sorted_tables:
            defaults = {column.name: fill(column) for column in table.c}
            table_rows = [defaults | row for row in rows.get(table.name, [])]
            for start in range(0, len(table_rows), _BATCH):
                await conn.execute(insert(table), table_rows[start : start + _BATCH])
            await _continue_numbering(conn, table)
    return {name: len(values) for name, values in rows.items()}


async def _continue_numbering(conn: AsyncConnection, table: Table) -> None:
    """A column the database numbers (a mapping's `autoincrement`) goes on after the demo's rows:
    PostgreSQL's sequence does not see explicit ids (MariaDB's AUTO_INCREMENT and SQLite do)."""
    numbered = table.autoincrement_column
    if numbered is None or conn.dialect.name != "postgresql":
        return
    await conn.execute(
        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{numbered.name}'), "
             f"COALESCE((SELECT MAX({numbered.name}) FROM {table.name}), 0) + 1, false)")
    )  # fmt: skip


def write_share(
    directory: Path | None,
    native: Rows[str, list[dict]],
    files: Rows[str, tuple[bytes, str]],
    relative: Callable[[dict], str],
) -> None:
    """Put the ticket attachments of the native demo rows on an ERP's file share: each at
    `directory / relative(row)`, the path the ERP's rows name it by (without the share's root).
    Nothing without a directory."""
    if directory is None:
        return
    for row in native["attachments"]:
        if row["owner_kind"] == "TicketMessage":
            target = directory / relative(row)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[row["sha256"]][0])
