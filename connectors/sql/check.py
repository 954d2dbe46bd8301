"""Validate a mapping against a live database before anyone serves it: tables, columns, types, relations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, inspect, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.types import TypeEngine

from .engine import Relations
from .mapping import Mapping, load_connector

# Declared types and the families of database types that can hold them.
_FAMILIES: tuple[tuple[type, str], ...] = (
    (Boolean, "bool"), (DateTime, "datetime"), (Date, "date"), (Integer, "int"), (Numeric, "number"), (String, "text"),
)  # fmt: skip


def _family(kind: TypeEngine[Any]) -> str:
    for cls, name in _FAMILIES:
        if isinstance(kind, cls):
            return name
    return "other"


def _compatible(declared: TypeEngine[Any], actual: TypeEngine[Any]) -> bool:
    want, have = _family(declared), _family(actual)
    if want == have or have == "other":
        return True
    # MariaDB keeps booleans as TINYINT(1); integers fit a NUMERIC column without a scale.
    return {want, have} in ({"bool", "int"}, {"int", "number"})


def compare_tables(mapping: Mapping, live: dict[str, dict[str, TypeEngine[Any]]]) -> list[str]:
    """Problems between the tables a mapping declares and `live` (table -> column -> type)."""
    problems = []
    names = {name.lower(): name for name in live}
    for table in mapping.metadata.sorted_tables:
        found = names.get(table.name.lower())
        if found is None:
            problems.append(f"missing table {table.name}")
            continue
        columns = {name.lower(): kind for name, kind in live[found].items()}
        for column in table.c:
            kind = columns.get(column.name.lower())
            if kind is None:
                problems.append(f"missing column {table.name}.{column.name}")
            elif not _compatible(column.type, kind):
                problems.append(
                    f"type mismatch {table.name}.{column.name}: mapping says {column.type}, database has {kind}"
                )
    return problems


async def check_source(connector: str, url: str, params: dict[str, Any] | None = None) -> list[str]:
    """Every problem found reading `connector`'s mapping on the database at `url` (empty: ready to serve)."""
    try:
        mapping = load_connector(connector)
        relations = Relations(mapping, {**mapping.params, **(params or {})})
    except (ValueError, KeyError, OSError) as exc:
        return [f"the mapping cannot be read: {exc}"]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def reflect(sync: Any) -> dict[str, dict[str, TypeEngine[Any]]]:
                inspector = inspect(sync)
                return {
                    t: {c["name"]: c["type"] for c in inspector.get_columns(t)}
                    for t in inspector.get_table_names()
                }

            problems = compare_tables(mapping, await conn.run_sync(reflect))
            if problems:
                return problems
            for name, relation in relations.subqueries.items():
                try:  # the relation compiles and the database plans and runs it
                    await conn.execute(select(relation).limit(1))
                except Exception as exc:  # any driver error: report it, check the rest
                    problems.append(f"relation {name} cannot be read: {str(exc).splitlines()[0][:200]}")
                    await conn.rollback()
            return problems
    except OSError as exc:
        return [f"the database cannot be reached: {exc}"]
    finally:
        await engine.dispose()
