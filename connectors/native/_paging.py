"""Keyset pages: cursors, and one statement that pages every customer of a batch at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, or_, select
from sqlalchemy.engine import Row

from ..base import InvalidCursor
from ..records import Page, PageOf
from ._values import db_id, instant

T = TypeVar("T")

_SEPARATOR = "|"
_INT_RANGE = range(-(2**31), 2**31)  # every integer key is an INTEGER column


def page_size(page: Page) -> int:
    """Callers clamp `first` to 1..100; a page of nothing is read as a page of one."""
    return max(1, page.first)


class Keyset:
    """The order of one listing and how to page it.

    `key` are columns of `source` that sort the listing, the last one unique (the id);
    `partition` is the column the listing is paged per (customer_id), or None for a
    single listing (customers, plans). A cursor is the key of a row, e.g. "2024-05-01|123".
    """

    def __init__(
        self,
        source: FromClause,
        key: Sequence[ColumnElement[Any]],
        *,
        descending: bool,
        partition: ColumnElement[Any] | None = None,
        columns: Sequence[ColumnElement[Any]] | None = None,
    ) -> None:
        self.source = source
        self.key = tuple(key)
        self.descending = descending
        self.partition = partition
        self.columns = tuple(columns) if columns is not None else tuple(source.c)
        self._types: tuple[type, ...] = tuple(c.type.python_type for c in self.key)

    def statement(self, page: Page, where: Iterable[ColumnElement[bool]] = ()) -> Select[Any]:
        """One page per partition (`first` + 1 rows each, to tell whether more follow)."""
        first = page_size(page)
        conditions = list(where)
        if page.after is not None:
            conditions.append(self._after(self._decode(page.after)))
        order = [c.desc() if self.descending else c.asc() for c in self.key]
        rows = select(*self.columns).select_from(self.source).where(*conditions)
        if self.partition is None:
            return rows.order_by(*order).limit(first + 1)
        # The keyset predicate goes before the numbering, so row 1 is the first after the cursor.
        position = func.row_number().over(partition_by=self.partition, order_by=order)
        numbered = rows.add_columns(position.label("page_position")).subquery("numbered")
        return (
            select(numbered)
            .where(numbered.c.page_position <= first + 1)
            .order_by(numbered.c[self.partition.name], numbered.c.page_position)
        )

    def pages(
        self,
        keys: Sequence[str],
        rows: Sequence[Row[Any]],
        page: Page,
        build: Callable[[Row[Any]], T],
    ) -> list[PageOf]:
        """Split the rows of `statement` into one PageOf per key, in key order."""
        assert self.partition is not None, "a single listing has one page: use page()"
        owned: dict[Any, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            owned[row._mapping[self.partition.name]].append(row)
        return [self._page_of(owned.get(db_id(key), []), page, build) for key in keys]

    def page(self, rows: Sequence[Row[Any]], page: Page, build: Callable[[Row[Any]], T]) -> PageOf:
        return self._page_of(rows, page, build)

    def _page_of(
        self, rows: Sequence[Row[Any]], page: Page, build: Callable[[Row[Any]], T]
    ) -> PageOf:
        first = page_size(page)
        shown = rows[:first]
        return PageOf(
            items=[build(row) for row in shown],
            cursors=[self._encode(row) for row in shown],
            has_next=len(rows) > first,
        )

    def _after(self, values: Sequence[object]) -> ColumnElement[bool]:
        # Rows strictly past the cursor: (a, b) < (x, y) spelled out as
        # a < x OR (a = x AND b < y), which every backend plans on its index.
        terms = []
        for i, (column, value) in enumerate(zip(self.key, values)):
            equal = [c == v for c, v in zip(self.key[:i], values[:i])]
            beyond = column < value if self.descending else column > value
            terms.append(and_(*equal, beyond))
        return or_(*terms)

    def _encode(self, row: Row[Any]) -> str:
        return _SEPARATOR.join(_encode_value(row._mapping[c.name]) for c in self.key)

    def _decode(self, cursor: str) -> tuple[object, ...]:
        # Only the first part may be free text (a name): split the others off the right.
        parts = cursor.rsplit(_SEPARATOR, len(self.key) - 1)
        if len(parts) != len(self.key):
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}")
        try:
            return tuple(_parse_value(text, kind) for text, kind in zip(parts, self._types))
        except (ValueError, InvalidOperation) as exc:
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}") from exc


def _encode_value(value: object) -> str:
    if isinstance(value, datetime):
        return instant(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # SQLite NUMERIC
        return repr(value)
    return str(value)


def _parse_value(text: str, kind: type) -> object:
    if kind is datetime:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("cursor instants carry their offset")
        return instant(moment)  # SQLite compares the UTC wall clock it stored
    if kind is date:
        return date.fromisoformat(text)
    if kind is int:
        number = int(text)
        if str(number) != text or number not in _INT_RANGE:
            raise ValueError("not an integer key")
        return number
    if kind is Decimal:
        amount = Decimal(text)
        if not amount.is_finite():
            raise ValueError("not an amount")
        return amount
    return text
