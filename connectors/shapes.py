"""Statements, and parts of them, built once per shape and reused with new values bound.

Building a SQLAlchemy statement (and the cache key SQLAlchemy computes for it) costs more than
running it against an index. So a connector builds each shape of a statement once and, on every
later call, only binds the values that change: the customers' keys (`ids`), the rows of a page,
a cursor, a day. A shape names everything the statement's text depends on (a filter, the columns
read, a company); a value bound per call does not belong in it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.sql.elements import BindParameter

T = TypeVar("T")

# The keys a statement reads for: the values themselves, or `bound_keys()` in a built-once one.
Keys = Sequence[object] | BindParameter[Any]


class Shapes(Generic[T]):
    """What was built, by shape. Callers make a few shapes each; past `limit` (a caller that makes
    shapes from the values it binds, a bug) everything is forgotten and built again as asked, so
    that memory stays bounded."""

    __slots__ = ("_built", "limit")

    def __init__(self, limit: int) -> None:
        self._built: dict[Hashable, T] = {}
        self.limit = limit

    def get(self, shape: Hashable, build: Callable[[], T]) -> T:
        """What `build` made for `shape`, built now on the first call of that shape."""
        found = self._built.get(shape)
        if found is None:
            if len(self._built) >= self.limit:
                self._built.clear()
            found = self._built[shape] = build()
        return found

    def __len__(self) -> int:
        return len(self._built)


def bound_keys() -> BindParameter[Any]:
    """The keys a statement reads for (customers, invoices ...): a list bound per call as `ids`."""
    return bindparam("ids", expanding=True)
