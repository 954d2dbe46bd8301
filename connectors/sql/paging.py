"""Keyset pages over mapped relations: cursors of legacy key values, one statement per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, func, or_, select
from sqlalchemy.engine import Row

from ..base import InvalidCursor
from ..records import Page, PageOf

_SEPARATOR = "|"
_INT_RANGE = range(-(2**63), 2**63)


def _python_type(column: ColumnElement[Any]) -> type:
    try:
        return column.type.python_type
    except NotImplementedError:
        return str


class Keyset:
    """A listing ordered by `key` (last column unique), optionally paged per `partition`."""

    def __init__(
        self,
        source: FromClause,
        key: Sequence[str],
        *,
        descending: bool,
        partition: str | None = None,
    ) -> None:
        self.source = source
        self.key = tuple(source.c[k] for k in key)
        self.descending = descending
        self.partition = source.c[partition] if partition else None
        self._types = tuple(_python_type(c) for c in self.key)

    def statement(self, page: Page, where: Iterable[ColumnElement[bool]] = ()) -> Select[Any]:
        first = max(1, page.first)
        conditions = list(where)
        if page.after is not None:
            conditions.append(self._after(self._decode(page.after)))
        order = [c.desc() if self.descending else c.asc() for c in self.key]
        rows = select(self.source).where(*conditions)
        if self.partition is None:
            return rows.order_by(*order).limit(first + 1)
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
        owner_of: Callable[[Row[Any]], str],
        page: Page,
        build: Callable[[Row[Any]], Any],
    ) -> list[PageOf]:
        """One PageOf per canonical key; `owner_of` gives a row's canonical partition key."""
        owned: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            owned[owner_of(row)].append(row)
        return [self.page(owned.get(key, []), page, build) for key in keys]

    def page(self, rows: Sequence[Row[Any]], page: Page, build: Callable[[Row[Any]], Any]) -> PageOf:
        first = max(1, page.first)
        shown = rows[:first]
        return PageOf(
            items=[build(row) for row in shown],
            cursors=[self._encode(row) for row in shown],
            has_next=len(rows) > first,
        )

    def _after(self, values: Sequence[object]) -> ColumnElement[bool]:
        terms = []
        for i, (column, value) in enumerate(zip(self.key, values)):
            equal = [c == v for c, v in zip(self.key[:i], values[:i])]
            beyond = column < value if self.descending else column > value
            terms.append(and_(*equal, beyond))
        return or_(*terms)

    def _encode(self, row: Row[Any]) -> str:
        return _SEPARATOR.join(_encode_value(row._mapping[c.name]) for c in self.key)

    def _decode(self, cursor: str) -> tuple[object, ...]:
        parts = cursor.rsplit(_SEPARATOR, len(self.key) - 1)
        if len(parts) != len(self.key):
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}")
        try:
            return tuple(_parse_value(text, kind) for text, kind in zip(parts, self._types))
        except (ValueError, InvalidOperation) as exc:
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}") from exc


def _encode_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()  # naive for legacy DATETIME columns, with its offset for TIMESTAMPTZ
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parse_value(text: str, kind: type) -> object:
    if kind is datetime:
        return datetime.fromisoformat(text)
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
