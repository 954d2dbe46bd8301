"""Writes a mapping declares: what a portal action inserts into, and updates in, a legacy system's tables.

A legacy system that takes a write lists it in `[mapping] writes` (routing: `writes_for`), and
says how in `[writes.<operation>]` sections (docs/connectors.md, "Writes"), one per operation
the engine runs: an INSERT of one row, or an UPDATE of the rows a `where` names.

    [writes.ticket]                        # an INSERT into `table`
    table = "tickets"
    id = "id"                              # the column the database numbers (AUTO_INCREMENT): the new id
    keys = { id = "int", customer_id = "int" }   # placeholders holding canonical ids, and their codecs
    values = { customer_id = "$customer_id", subject = "$subject", created_at = "$now",
               ticket_area_id = { lookup = "ticket_areas", match = "name", value = "$area" } }
    after = { ticket_no = { add = ["$id", 4800] } }   # set once the id is known: race-free numbering

    [writes.ticket_update]                 # an UPDATE: `where` names the rows
    table = "tickets"
    keys = { ticket_id = "int" }
    where = { id = "$ticket_id" }
    values = { updated_at = "$now", closed_at = "$closed_at" }

A value is a `$placeholder` (the operation's inputs, and the mapping's `[params]`), a literal, or:
- `{ lookup = T, match = C, value = V, map = {...}, select = "id", required = false }`: the `select`
  column of the row of table T whose column C equals V (after `map`, canonical value -> the
  system's name); NULL when V is null or no row matches, refused (`WriteRefused`) if `required`;
- `{ add = [a, b, ...] }`: the sum of its terms;
- `{ format = "text {name}" }`: a text with placeholders put in;
- `{ value = V, map = {...} }`: V after `map` (canonical value -> the system's code).
A `where` names each column's value, or `{ ne = v }`, `{ in = [...] }`, `{ not_in = [...] }`:
an UPDATE conditioned on a state (a quote still pending) changes a row once; `run` answers the
rows the `where` named when it ran (locked first, `SELECT ... FOR UPDATE`), so of two racing
calls the second gets 0.
An UPDATE leaves out a value whose placeholders were not given (a status left as it is); an INSERT
writes NULL for them. Every statement of one call of `run` goes on the connection it is given,
in the caller's transaction (MappedSource opens it on the source's own engine).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..base import WriteRefused
from .keys import KeyCodec, key_codec

__all__ = ["OPERATIONS", "WriteRefused", "WriteSpec", "Writes", "check_writes", "parse_writes"]

_PLACEHOLDER = re.compile(r"^\$(\w+)$")
_FORMAT = re.compile(r"\{(\w+)\}")
_COMPARISONS = frozenset({"ne", "in", "not_in"})  # of a `where`, besides equality


@dataclass(frozen=True)
class WriteSpec:
    """One `[writes.<name>]` section."""

    name: str
    table: Table
    values: dict[str, Any]
    keys: dict[str, KeyCodec] = field(default_factory=dict)
    id: str | None = None  # an INSERT's generated key column
    after: dict[str, Any] = field(default_factory=dict)
    where: dict[str, Any] | None = None  # an UPDATE's rows


def parse_writes(data: Mapping[str, Any], tables: Mapping[str, Table]) -> dict[str, WriteSpec]:
    """The `[writes]` sections of a mapping, checked against its tables (a ValueError names what is wrong)."""
    specs: dict[str, WriteSpec] = {}
    for name, spec in data.items():
        table = tables.get(spec.get("table", ""))
        if table is None:
            raise ValueError(f"[writes.{name}]: table {spec.get('table')!r} is not one of [tables]")
        keys = {column: key_codec(codec) for column, codec in spec.get("keys", {}).items()}
        values, after, where = dict(spec.get("values", {})), dict(spec.get("after", {})), spec.get("where")
        generated: list[str] = [spec["id"]] if "id" in spec else []
        for column in (*values, *after, *(where or {}), *generated):
            if column not in table.c:
                raise ValueError(f"[writes.{name}]: {table.name} has no column {column!r}")
        for value in (*values.values(), *after.values()):
            _check_lookup(name, value, tables)
        if (where is None) == ("id" not in spec):
            raise ValueError(f"[writes.{name}]: an INSERT names its `id` column, an UPDATE its `where` (one of them)")
        specs[name] = WriteSpec(name, table, values, keys, spec.get("id"), after, dict(where) if where else None)
    return specs


# The operations each write a mapping lists (`[mapping] writes`) needs declared.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket", "ticket_message", "ticket_update"),
    "ticket_replies": ("ticket_message", "ticket_update"),
    "payment_commitments": ("payment_commitment",),
    "quote_decisions": ("quote_decision",),
}


def check_writes(writes: tuple[str, ...], specs: Mapping[str, WriteSpec], where: str = "[mapping] writes") -> None:
    """Each listed write has its operations' `[writes.*]` sections (a ValueError names the missing)."""
    for write in writes:
        missing = [op for op in OPERATIONS.get(write, ()) if op not in specs]
        if missing:
            raise ValueError(f"{where}: {write!r} needs " + ", ".join(f"[writes.{op}]" for op in missing))


def _check_lookup(name: str, value: Any, tables: Mapping[str, Table]) -> None:
    if isinstance(value, dict) and "lookup" in value:
        table = tables.get(value["lookup"])
        if table is None:
            raise ValueError(f"[writes.{name}]: lookup table {value['lookup']!r} is not one of [tables]")
        for column in (str(value.get("match")), str(value.get("select", "id"))):
            if column not in table.c:
                raise ValueError(f"[writes.{name}]: {table.name} has no column {column!r}")


class Writes:
    """Runs a mapping's declared writes with the source's `[params]`."""

    def __init__(self, specs: Mapping[str, WriteSpec], params: Mapping[str, Any], tables: Mapping[str, Table]) -> None:
        self.specs = dict(specs)
        self.params = dict(params)
        self.tables = tables

    def has(self, name: str) -> bool:
        return name in self.specs

    async def run(self, conn: AsyncConnection, name: str, **given: Any) -> Any:
        """An INSERT's canonical id (by the codec of `keys[id]`, else its text), or an UPDATE's
        count of the rows its `where` names."""
        spec = self.specs[name]
        keyed = self._keys(spec, given)
        if spec.where is None:
            if keyed is None:
                raise WriteRefused(f"{spec.table.name}: a key no row of it can have")
            return await self._insert(conn, spec, {**self.params, **keyed})
        if keyed is None:
            return 0  # an id of another source's (or no row's): nothing of this system's to update
        return await self._update(conn, spec, {**self.params, **keyed})

    def _keys(self, spec: WriteSpec, given: Mapping[str, Any]) -> dict[str, Any] | None:
        """The inputs, canonical ids as stored keys; None when one cannot be a key of this system."""
        inputs = dict(given)
        for name, codec in spec.keys.items():
            if inputs.get(name) is not None:
                stored = codec.to_db(str(inputs[name]))
                if stored is None:
                    return None
                inputs[name] = stored
        return inputs

    async def _insert(self, conn: AsyncConnection, spec: WriteSpec, inputs: dict[str, Any]) -> str:
        row = {column: await self._value(conn, value, inputs, spec) for column, value in spec.values.items()}
        inserted = await conn.execute(insert(spec.table).values(**row))
        assert spec.id is not None
        key = row.get(spec.id)
        if key is None:
            generated = inserted.inserted_primary_key
            key = generated[0] if generated is not None and spec.id in spec.table.primary_key.columns else None
        if key is None:
            raise WriteRefused(f"{spec.table.name}: the database gave the new row no {spec.id}")
        if spec.after:
            inputs = {**inputs, spec.id: key}
            later = {column: await self._value(conn, value, inputs, spec) for column, value in spec.after.items()}
            await conn.execute(update(spec.table).where(spec.table.c[spec.id] == key).values(**later))
        codec = spec.keys.get(spec.id)
        return codec.from_db(key) if codec is not None else str(key)

    async def _update(self, conn: AsyncConnection, spec: WriteSpec, inputs: dict[str, Any]) -> int:
        assert spec.where is not None
        conditions = [await self._condition(conn, spec, column, value, inputs) for column, value in spec.where.items()]
        # The rows the `where` names, locked until the transaction ends, counted before the UPDATE
        # (MariaDB reports the rows an UPDATE changed, not those it matched; and a `where` on a column
        # the UPDATE sets, a quote's pending status, matches nothing afterwards). Of two concurrent
        # conditional UPDATEs the second waits on the lock and then finds no row still matching.
        locked = select(spec.table.c[next(iter(spec.where))]).where(*conditions).with_for_update()
        found = len((await conn.execute(locked)).all())
        row = {
            column: await self._value(conn, value, inputs, spec)
            for column, value in spec.values.items()
            if _placeholders(value) <= inputs.keys()
        }
        if row and found:
            await conn.execute(update(spec.table).where(*conditions).values(**row))
        return found

    async def _condition(
        self, conn: AsyncConnection, spec: WriteSpec, column: str, value: Any, inputs: Mapping[str, Any]
    ) -> Any:
        """`column = value`, or `{ ne = v }`, `{ in = [...] }`, `{ not_in = [...] }` of a `where`."""
        target = spec.table.c[column]
        if isinstance(value, dict) and value.keys() & _COMPARISONS:
            (operator,) = value.keys() & _COMPARISONS
            given = value[operator]
            if operator == "ne":
                return target != await self._value(conn, given, inputs, spec)
            listed = [await self._value(conn, each, inputs, spec) for each in given]
            return target.in_(listed) if operator == "in" else target.not_in(listed)
        return target == await self._value(conn, value, inputs, spec)

    async def _value(self, conn: AsyncConnection, value: Any, inputs: Mapping[str, Any], spec: WriteSpec) -> Any:
        if isinstance(value, str):
            match = _PLACEHOLDER.match(value)
            return inputs.get(match.group(1)) if match else value
        if not isinstance(value, dict):
            return value
        if "add" in value:
            terms = [await self._value(conn, term, inputs, spec) for term in value["add"]]
            return None if any(t is None for t in terms) else sum(int(t) for t in terms)
        if "format" in value:
            return _FORMAT.sub(lambda m: str(inputs.get(m.group(1), "")), value["format"])
        if "lookup" in value:
            return await self._lookup(conn, value, inputs, spec)
        if "map" in value and "value" in value:
            wanted = await self._value(conn, value["value"], inputs, spec)
            return None if wanted is None else value["map"].get(str(wanted), wanted)
        raise ValueError(f"[writes.{spec.name}]: unknown value {value!r}")

    async def _lookup(self, conn: AsyncConnection, value: dict[str, Any], inputs: Mapping[str, Any], spec: WriteSpec) -> Any:
        wanted = await self._value(conn, value["value"], inputs, spec)
        if wanted is None:
            return None
        wanted = value.get("map", {}).get(str(wanted), wanted)
        table = self.tables[value["lookup"]]
        chosen = table.c[value.get("select", "id")]
        found = (await conn.execute(select(chosen).where(table.c[value["match"]] == wanted).order_by(chosen).limit(1))).first()
        if found is None:
            if value.get("required"):
                raise WriteRefused(f"{table.name} has no {value['match']} {wanted!r}")
            return None
        return found[0]


def _placeholders(value: Any) -> set[str]:
    """The placeholders a value needs."""
    if isinstance(value, str):
        match = _PLACEHOLDER.match(value)
        return {match.group(1)} if match else set()
    if isinstance(value, dict):
        found: set[str] = set()
        if "format" in value:
            found |= set(_FORMAT.findall(value["format"]))
        for term in value.get("add", ()):
            found |= _placeholders(term)
        if "value" in value:
            found |= _placeholders(value["value"])
        return found
    return set()
