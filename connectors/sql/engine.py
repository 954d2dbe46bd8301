"""Mapped relations at run time: compiled relations, legacy keys turned canonical, grouping by owner."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, TypeVar

from sqlalchemy import Subquery
from sqlalchemy.engine import Row

from ..shapes import Shapes
from .keys import KeyCodec
from .mapping import Mapping
from .relations import compile_relation

T = TypeVar("T")


class CanonicalRow:
    """A row of a mapped relation under canonical column names, its key columns turned into
    canonical ids; read by attribute like a Row, so the same record builders take both."""

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
        self._narrowed: Shapes[Subquery] = Shapes(1_000)  # many sets only if callers make them so
        self.codecs: dict[str, dict[str, KeyCodec]] = {
            name: relation.keys for name, relation in mapping.relations.items()
        }

    def narrowed(self, name: str, fields: Collection[str]) -> Subquery:
        """Relation `name` with only the canonical `fields` a request reads (and its keys), so that
        the joins and expressions of the others are left out of the SQL; built once per set."""
        kept = frozenset(fields)
        relation = self.mapping.relations[name]
        return self._narrowed.get((name, kept), lambda: compile_relation(self.mapping, relation, self.params, kept))

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

    def canonical(self, relation: str, row: Row[Any] | dict[str, Any]) -> CanonicalRow:
        values = dict(getattr(row, "_mapping", row))  # a Row, a driver row (driver.py) or a dict
        for column, codec in self.codecs[relation].items():
            value = values.get(column)
            if value is not None:
                values[column] = codec.from_db(value)
        return CanonicalRow(values)


def grouped(keys: Sequence[str], items: Sequence[tuple[str, T]]) -> list[list[T]]:
    """One list per canonical key, of the items owned by it, in their order."""
    owned: dict[str, list[T]] = defaultdict(list)
    for owner, item in items:
        owned[owner].append(item)
    return [list(owned.get(key, ())) for key in keys]
