"""A declarative mapping of a legacy schema: its tables, and where each canonical relation comes from.

A mapping is a TOML file (see docs/connectors.md):

    [mapping]   name, description, statement ("allocations" | "line_items"), writes = [...]
    [params]    defaults of `$name` placeholders, e.g. client = "100" (a source may override)
    [tables.T]  columns = {COL = "C10" | "N6" | "D" | "T" | "P13,2" | "int" | "varchar(40)" ...},
                primary_key = [...], indexes = [[...], ...], autoincrement = "id" (the database numbers it)
    [relations.R]  keys = {id = "alpha:10", ...}; from, joins, where, group_by, columns
                   (or [[relations.R.parts]], each with its own from/joins/where/columns: a UNION ALL;
                   a part's key_prefix = {id = "R"} keeps its independently numbered keys apart)
    [writes.W]  table, id | where, keys, values, after: an INSERT or UPDATE a portal action runs in the
                legacy tables, for a write `[mapping] writes` lists (connectors/sql/writes.py)

Relations have the names and columns of Ventanilla's native tables (connectors/native/tables.py),
so that one engine serves every mapping; a relation a mapping leaves out reads as empty.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from .keys import KeyCodec, key_codec
from .part_keys import numbered, tagged
from .writes import WriteSpec, check_writes, parse_writes

STATEMENT_MODELS = ("allocations", "line_items")


@dataclass(frozen=True)
class Part:
    """One SELECT of a relation: a base table, joins, filters, grouping and column specs."""

    from_: str
    joins: tuple[dict[str, Any], ...]
    where: tuple[dict[str, Any], ...]
    group_by: tuple[Any, ...]
    columns: dict[str, Any]
    key_prefix: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """`keys` turn SQL values into canonical ids; `raw_keys` are the codecs of the stored keys and
    `prefixes` each part's prefix, for the columns some part prefixes (connectors/sql/part_keys.py)."""

    name: str
    keys: dict[str, KeyCodec]
    parts: tuple[Part, ...]
    raw_keys: dict[str, KeyCodec] = field(default_factory=dict)
    prefixes: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Mapping:
    name: str
    description: str
    statement: str
    writes: tuple[str, ...]
    params: dict[str, Any]
    metadata: MetaData
    relations: dict[str, Relation]
    path: Path | None = None
    dialects: tuple[str, ...] = field(default=())
    key_prefixes: dict[str, int] = field(default_factory=dict)
    write_specs: dict[str, WriteSpec] = field(default_factory=dict)  # [writes.*] (connectors/sql/writes.py)

    def table(self, name: str) -> Table:
        try:
            return self.metadata.tables[name]
        except KeyError:
            raise ValueError(f"mapping {self.name}: unknown table {name!r}") from None


_CHAR = re.compile(r"^C\s*(\d+)$")
_NUMC = re.compile(r"^N\s*(\d+)$")
_PACKED = re.compile(r"^P\s*(\d+)\s*,\s*(\d+)$")
_VARCHAR = re.compile(r"^varchar\((\d+)\)$")
_NUMERIC = re.compile(r"^numeric\((\d+),\s*(\d+)\)$")
_SIMPLE: dict[str, TypeEngine[Any]] = {
    "D": String(8),  # SAP DATS: CHAR(8) YYYYMMDD, '00000000' for none
    "T": String(6),  # SAP TIMS: CHAR(6) HHMMSS
    "int": Integer(),
    "bigint": BigInteger(),
    "smallint": SmallInteger(),
    "text": Text(),
    "date": Date(),
    "datetime": DateTime(),
    "timestamptz": DateTime(timezone=True),
    "bool": Boolean(),
}


def column_type(spec: str) -> TypeEngine[Any]:
    """A legacy column type as written in a mapping (SAP notation or SQL)."""
    spec = spec.strip()
    if spec in _SIMPLE:
        return _SIMPLE[spec]
    if m := _CHAR.match(spec) or _NUMC.match(spec) or _VARCHAR.match(spec):
        return String(int(m.group(1)))
    if m := _PACKED.match(spec) or _NUMERIC.match(spec):
        return Numeric(int(m.group(1)), int(m.group(2)))
    raise ValueError(f"unknown column type {spec!r}")


def _table(metadata: MetaData, name: str, spec: dict[str, Any]) -> Table:
    primary = set(spec.get("primary_key", ()))
    generated = spec.get("autoincrement")  # AUTO_INCREMENT / SERIAL: the column a write leaves out
    columns = [
        Column(col, column_type(kind), primary_key=col in primary, autoincrement=col == generated)
        for col, kind in spec["columns"].items()
    ]
    table = Table(name, metadata, *columns)
    for i, cols in enumerate(spec.get("indexes", ())):
        # B1 user-defined tables are named "@ZPLAN": index names keep only word characters.
        Index(re.sub(r"\W", "", f"ix_{name}_{i}").lower(), *[table.c[c] for c in cols])
    return table


def _part(spec: dict[str, Any]) -> Part:
    return Part(
        from_=spec["from"],
        joins=tuple(spec.get("joins", ())),
        where=tuple(spec.get("where", ())),
        group_by=tuple(spec.get("group_by", ())),
        columns=dict(spec["columns"]),
        key_prefix=dict(spec.get("key_prefix", {})),
    )


def _relation(name: str, spec: dict[str, Any], numbers: dict[str, int]) -> Relation:
    parts = tuple(_part(p) for p in spec.get("parts") or [spec])
    raw = {column: key_codec(codec) for column, codec in spec.get("keys", {}).items()}
    prefixes = {
        column: tuple(p.key_prefix.get(column, "") for p in parts)
        for column in raw
        if any(p.key_prefix.get(column) for p in parts)
    }
    for part in parts:
        if unknown := set(part.key_prefix) - set(raw):
            raise ValueError(f"relation {name}: key_prefix of {sorted(unknown)}, which are no keys")
    keys = {c: tagged(codec, prefixes[c], numbers) if c in prefixes else codec for c, codec in raw.items()}
    return Relation(name=name, keys=keys, parts=parts, raw_keys=raw, prefixes=prefixes)


def _prefixes(relations: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for spec in relations.values():
        for part in spec.get("parts") or [spec]:
            found.update(part.get("key_prefix", {}).values())
    return found


def parse_mapping(data: dict[str, Any], path: Path | None = None) -> Mapping:
    head = data.get("mapping", {})
    statement = head.get("statement", "allocations")
    if statement not in STATEMENT_MODELS:
        raise ValueError(f"[mapping] statement must be one of {STATEMENT_MODELS}, not {statement!r}")
    metadata = MetaData()
    for name, spec in data.get("tables", {}).items():
        _table(metadata, name, spec)
    numbers = numbered(_prefixes(data.get("relations", {})))
    write_specs = parse_writes(data.get("writes", {}), metadata.tables)
    check_writes(tuple(head.get("writes", ())), write_specs)
    return Mapping(
        name=head.get("name", path.stem if path else "mapping"),
        description=head.get("description", ""),
        statement=statement,
        writes=tuple(head.get("writes", ())),
        params=dict(data.get("params", {})),
        metadata=metadata,
        relations={name: _relation(name, spec, numbers) for name, spec in data.get("relations", {}).items()},
        path=path,
        dialects=tuple(head.get("dialects", ())),
        key_prefixes=numbers,
        write_specs=write_specs,
    )


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    return parse_mapping(tomllib.loads(path.read_text(encoding="utf-8")), path)


PRESETS = ("sap", "sapb1", "ispcube")
# Ventanilla's own tables as a mapping (the engine over the native schema).
NATIVE_MAPPING = Path(__file__).resolve().parent / "native.toml"


def preset_path(name: str) -> Path:
    """The mapping file shipped for a preset connector (`sap`, `sapb1`, `ispcube`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown connector {name!r}: one of {', '.join(PRESETS)}, or a mapping file")
    return Path(__file__).resolve().parent.parent / name / "mapping.toml"


def load_connector(connector: str) -> Mapping:
    """A preset name or the path of a mapping file."""
    if connector in PRESETS:
        return load_mapping(preset_path(connector))
    return load_mapping(connector)
