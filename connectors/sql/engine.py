"""Execution for mapped sources: timeouts, error mapping, legacy keys, batched reads of relations."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, Subquery
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..base import SourceTimeout, SourceUnavailable
from .keys import KeyCodec
from .mapping import Mapping
from .relations import compile_relation

T = TypeVar("T")
Rows = list[Row[Any]]


class Canonical:
    """A row with its key columns turned into canonical ids, read by attribute like a Row."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        return self._values


class Relations:
    """The compiled relations of one mapping, and the key codec of each key column."""

    def __init__(self, mapping: Mapping, params: dict[str, Any]) -> None:
        self.mapping = mapping
        self.params = params
        self.subqueries: dict[str, Subquery] = {
            name: compile_relation(mapping, relation, params) for name, relation in mapping.relations.items()
        }
        self.codecs: dict[str, dict[str, KeyCodec]] = {
            name: relation.keys for name, relation in mapping.relations.items()
        }

    def narrowed(self, name: str, fields: Collection[str]) -> Subquery:
        """Relation `name` with only the canonical `fields` asked for (and its keys): the hook for
        reading only what a GraphQL selection needs."""
        relation = self.mapping.relations[name]
        return compile_relation(self.mapping, relation, self.params, fields)

    def has(self, name: str) -> bool:
        return name in self.subqueries

    def __getitem__(self, name: str) -> Subquery:
        return self.subqueries[name]

    def codec(self, relation: str, column: str) -> KeyCodec:
        return self.codecs[relation][column]

    def to_db(self, relation: str, column: str, keys: Sequence[str]) -> list[Any]:
        """The distinct stored keys behind canonical `keys` (misses left out)."""
        codec = self.codec(relation, column)
        return list(dict.fromkeys(v for v in map(codec.to_db, keys) if v is not None))

    def one_to_db(self, relation: str, column: str, key: str) -> Any:
        return self.codec(relation, column).to_db(key)

    def canonical(self, relation: str, row: Row[Any] | dict[str, Any]) -> Canonical:
        values = dict(row._mapping if isinstance(row, Row) else row)
        for column, codec in self.codecs[relation].items():
            value = values.get(column)
            if value is not None:
                values[column] = codec.from_db(value)
        return Canonical(values)


class Executor:
    """Runs statements on a fresh connection under a timeout, mapping every failure to SourceError."""

    def __init__(self, engine: AsyncEngine, timeout: float, label: str) -> None:
        self.engine = engine
        self.timeout = timeout
        self.label = label

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        async def connected() -> T:
            async with self.engine.connect() as conn:
                return await work(conn)

        try:
            return await asyncio.wait_for(connected(), self.timeout)
        except TimeoutError as exc:
            raise SourceTimeout(
                f"the {self.label} database did not answer within {self.timeout:g} s"
            ) from exc
        except Exception as exc:
            # Only statements run inside `work`; drivers share no exception tree.
            raise SourceUnavailable(
                f"the {self.label} database cannot be read ({type(exc).__name__})"
            ) from exc

    async def fetch(self, *statements: Executable) -> list[Rows]:
        async def work(conn: AsyncConnection) -> list[Rows]:
            return [list((await conn.execute(s)).all()) for s in statements]

        return await self.run(work)


def grouped(keys: Sequence[str], items: Sequence[tuple[str, T]]) -> list[list[T]]:
    """One list per canonical key, of the items owned by it, in their order."""
    owned: dict[str, list[T]] = defaultdict(list)
    for owner, item in items:
        owned[owner].append(item)
    return [list(owned.get(key, ())) for key in keys]
