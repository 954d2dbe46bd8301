"""Keyset pages: opaque cursors, and one statement that pages every owner of a batch at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import BindParameter, Label

from .base import InvalidCursor
from .narrowing import projection
from .records import Page, PageOf
from .shapes import Shapes, bound_keys

T = TypeVar("T")

_SEPARATOR = "|"
# The bound parameters of a cursor's values, one per key column (Keyset.bound).
_CURSOR_NAMES = tuple(f"after_{i}" for i in range(8))


def page_size(page: Page) -> int:
    """The rows a statement reads per page, less the one that tells whether more follow:
    `first: 0` still reads one row, so that its empty page knows whether the list is empty."""
    return max(1, page.first)


class Keyset:
    """The order of one listing and how to page it.

    `key` names columns of `source` that sort the listing, the last one unique (the id), or
    gives labelled expressions over them (the customers' folded name), selected under their label;
    `partition` names the column the listing is paged per (customer_id), or None for a
    single listing (customers, plans); `columns` narrows what is read (default: all).
    A cursor is the key of a row, e.g. "2024-05-01|123". `integer_bits` is the width of the
    integer key columns: a larger value in a cursor is garbage, not a parameter for the
    database to refuse (a mapped column's SQL type may be narrower than the keys it holds).
    `narrow` leaves out the columns a request does not want (narrowing.projection or .selected).
    """

    def __init__(
        self,
        source: FromClause,
        key: Sequence[str | ColumnElement[Any]],
        *,
        descending: bool,
        partition: str | None = None,
        columns: Sequence[ColumnElement[Any]] | None = None,
        integer_bits: int = 64,
        narrow: Callable[..., list[ColumnElement[Any]]] = projection,
    ) -> None:
        self.source = source
        self.key = tuple(source.c[name] if isinstance(name, str) else name for name in key)
        self.descending = descending
        self.partition = source.c[partition] if partition is not None else None
        computed = tuple(k for k in self.key if isinstance(k, Label))  # read with the row, for its cursor
        self.columns = (*(tuple(columns) if columns is not None else tuple(source.c)), *computed)
        # What a narrowed statement reads whatever is wanted: the order and the partition.
        self.narrow = narrow  # how a statement leaves out unwanted columns (narrowing.py)
        partitioned = () if self.partition is None else (self.partition,)
        self._needed = frozenset(c.key for c in (*self.key, *partitioned))
        self._codecs = tuple(_codec(column, integer_bits) for column in self.key)
        # Built once: the order, and the columns read per set of wanted columns (SQL elements
        # are immutable, so one statement's parts serve every later one).
        self._order = tuple(c.desc() if self.descending else c.asc() for c in self.key)
        self._narrowed: Shapes[list[ColumnElement[Any]]] = Shapes(256)  # a few shapes per listing
        # Statements built once per shape (`bound`), and the parameters that stand for a cursor.
        self._bound: Shapes[Select[Any]] = Shapes(256)
        self._cursor_parameters = tuple(
            bindparam(name, type_=column.type) for name, column in zip(_CURSOR_NAMES, self.key)
        )

    def statement(
        self, page: Page, where: Iterable[ColumnElement[bool]] = (), keep: frozenset[str] | None = None
    ) -> Select[Any]:
        """One page per partition (`first` + 1 rows each, to tell whether more follow); with
        `keep`, only those columns are read, the others selected as constants (narrowing.py).
        Built anew on every call, with the page's values in it; `bound` builds it once."""
        after = None if page.after is None else self._decode(page.after)
        return self._paged(page_size(page) + 1, after, list(where), keep)

    def bound(
        self,
        page: Page,
        keep: frozenset[str] | None = None,
        *,
        shape: Hashable = (),
        where: Callable[[], Iterable[ColumnElement[bool]]] = tuple,
        **params: Any,
    ) -> tuple[Select[Any], dict[str, Any]]:
        """`statement`, built once per `shape` and reused, with what changes per call bound:
        the rows per page, the cursor's values and the partitions' keys (`ids`, expanding).

        `where` builds the conditions on the first call of a shape only, so `shape` must
        determine them (the filter and every value they use); `params` are the values of the
        statement's own bound parameters (`ids` for a partitioned listing). A bad cursor is
        reported before anything is built."""
        after = None if page.after is None else self._decode(page.after)
        cursor = None if after is None else self._cursor_parameters

        def build() -> Select[Any]:
            rows_per_page = bindparam("page_rows", type_=Integer)
            return self._paged(rows_per_page, cursor, self._partitioned(where), keep)

        statement = self._bound.get((shape, keep, cursor is not None), build)
        values = dict(params, page_rows=page_size(page) + 1)
        if after is not None:
            values.update(zip(_CURSOR_NAMES, after))
        return statement, values

    def _paged(
        self,
        rows_per_page: int | BindParameter[int],
        after: Sequence[object] | None,
        conditions: list[ColumnElement[bool]],
        keep: frozenset[str] | None,
    ) -> Select[Any]:
        if after is not None:
            conditions = [*conditions, self._after(after)]
        order = self._order
        columns = self.columns if keep is None else self._columns_keeping(keep)
        rows = select(*columns).select_from(self.source).where(*conditions)
        if self.partition is None:
            return rows.order_by(*order).limit(rows_per_page)
        # The keyset predicate goes before the numbering, so row 1 is the first after the cursor.
        position = func.row_number().over(partition_by=self.partition, order_by=order)
        numbered = rows.add_columns(position.label("page_position")).subquery("numbered")
        return (
            select(numbered)
            .where(numbered.c.page_position <= rows_per_page)
            .order_by(numbered.c[self.partition.name], numbered.c.page_position)
        )

    def _columns_keeping(self, keep: frozenset[str]) -> list[ColumnElement[Any]]:
        return self._narrowed.get(keep, lambda: self.narrow(self.columns, keep | self._needed))

    def _partitioned(self, where: Callable[[], Iterable[ColumnElement[bool]]]) -> list[ColumnElement[bool]]:
        """`where`'s conditions, after the partitions' keys (`ids`) of a partitioned listing."""
        partition = [] if self.partition is None else [self.partition.in_(bound_keys())]
        return [*partition, *where()]

    def count_statement(self, where: Iterable[ColumnElement[bool]] = ()) -> Select[Any]:
        """How many rows `statement` would page through under the same `where`, whatever the
        page: one row (`item_count`) per partition that has any, or one row for a single listing."""
        counted = func.count().label("item_count")
        if self.partition is None:
            return select(counted).select_from(self.source).where(*where)
        return select(self.partition, counted).select_from(self.source).where(*where).group_by(self.partition)

    def bound_count(
        self, *, shape: Hashable = (), where: Callable[[], Iterable[ColumnElement[bool]]] = tuple
    ) -> Select[Any]:
        """`count_statement`, built once per `shape` (as `bound` is); a partitioned listing's
        statement takes the partitions' keys as `ids`."""
        return self._bound.get(("count", shape), lambda: self.count_statement(self._partitioned(where)))

    def counts(
        self, keys: Sequence[str], rows: Sequence[Row[Any]], owner_of: Callable[[Row[Any]], str]
    ) -> list[int]:
        """The rows of `count_statement` as one count per key, in key order (0 for none), the
        keys read like `pages` reads them, so that a count is the length of the walked pages."""
        counted: dict[str, int] = defaultdict(int)
        for row in rows:
            counted[owner_of(row)] += int(row.item_count)
        return [counted.get(key, 0) for key in keys]

    def pages(
        self,
        keys: Sequence[str],
        rows: Sequence[Row[Any]],
        owner_of: Callable[[Row[Any]], str],
        page: Page,
        build: Callable[[Row[Any]], T],
    ) -> list[PageOf]:
        """Split the rows of `statement` into one PageOf per key, in key order; `owner_of`
        gives the canonical key a row belongs to."""
        owned: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            owned[owner_of(row)].append(row)
        return [self.page(owned.get(key, []), page, build) for key in keys]

    def page(self, rows: Sequence[Row[Any]], page: Page, build: Callable[[Row[Any]], T]) -> PageOf:
        shown = rows[: page.first]  # none for `first: 0`, though the statement read one
        return PageOf(
            items=[build(row) for row in shown],
            cursors=Cursors(shown, self._encode),
            has_next=len(rows) > page.first,
        )

    def _after(self, values: Sequence[object]) -> ColumnElement[bool]:
        # Rows strictly past the cursor, twice over: as one row comparison, (a, b) > (x, y), which
        # PostgreSQL turns into where its index scan starts; and spelled out, a > x OR (a = x AND
        # b > y), which MariaDB and SQLite plan on their indexes, where PostgreSQL only filters with
        # it (every customer before the cursor read again: W4 at 20,000 customers, bench/README.md).
        terms = []
        for i, (column, value) in enumerate(zip(self.key, values)):
            equal = [c == v for c, v in zip(self.key[:i], values[:i])]
            beyond = column < value if self.descending else column > value
            terms.append(and_(*equal, beyond))
        if len(self.key) == 1:
            return terms[0]
        row, cursor = tuple_(*self.key), tuple_(*values)
        return and_(row < cursor if self.descending else row > cursor, or_(*terms))

    def _encode(self, row: Row[Any]) -> str:
        values = (row._mapping[column.name] for column in self.key)
        return _SEPARATOR.join(_escaped(encode(value)) for value, (encode, _) in zip(values, self._codecs))

    def _decode(self, cursor: str) -> tuple[object, ...]:
        # Free text (a name, a customer code) may hold the separator: it is escaped in each part.
        parts = _parts(cursor)
        if parts is None or len(parts) != len(self.key):
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}")
        try:
            return tuple(parse(text) for text, (_, parse) in zip(parts, self._codecs))
        except (ValueError, InvalidOperation) as exc:
            raise InvalidCursor(f"not a cursor of this listing: {cursor!r}") from exc


class Cursors(Sequence[str]):
    """The cursors of a page's rows, each written when it is read: a page answered by its nodes
    and its end cursor (most queries) writes two, not one per row."""

    __slots__ = ("_rows", "_encode")

    def __init__(self, rows: Sequence[Row[Any]], encode: Callable[[Row[Any]], str]) -> None:
        self._rows, self._encode = rows, encode

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._encode(row) for row in self._rows[index]]
        return self._encode(self._rows[index])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[str]:
        return list(self)  # the cursors themselves, not the rows (and their result) behind them

    def __repr__(self) -> str:
        return repr(list(self))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace(_SEPARATOR, "\\" + _SEPARATOR)


def _parts(cursor: str) -> list[str] | None:
    """The parts of a cursor, unescaped; None when an escape is left dangling."""
    parts, current, chars = [], [], iter(cursor)
    for char in chars:
        if char == "\\":
            following = next(chars, None)
            if following is None:
                return None
            current.append(following)
        elif char == _SEPARATOR:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


Codec = tuple[Callable[[Any], str], Callable[[str], object]]


def _codec(column: ColumnElement[Any], integer_bits: int) -> Codec:
    """How a value of `column` is written in a cursor and read back, strictly: what the
    column cannot hold is garbage (InvalidCursor), not a parameter the database refuses."""
    try:
        kind = column.type.python_type
    except NotImplementedError:  # an expression of unknown type: compared as text
        return _text, str
    if kind is datetime and isinstance(column.type, DateTime) and column.type.timezone:
        return _write_instant, _read_instant
    if kind is datetime:  # a legacy DATETIME: naive, as stored
        return _text, datetime.fromisoformat
    if kind is date:
        return _text, date.fromisoformat
    if kind is int:
        return _text, _integer(integer_bits)
    if kind is Decimal:
        return _text, _amount
    return _text, str


def _text(value: object) -> str:
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    return str(value)  # of a float (SQLite NUMERIC), the shortest decimal that round-trips


def _utc(moment: datetime) -> datetime:
    # SQLite hands back the UTC wall clock it stored, naive, and compares with it.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _write_instant(moment: datetime) -> str:
    return _utc(moment).isoformat()


def _read_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("cursor instants carry their offset")
    return _utc(moment)


def _integer(bits: int) -> Callable[[str], int]:
    allowed = range(-(2 ** (bits - 1)), 2 ** (bits - 1))

    def parse(text: str) -> int:
        number = int(text)
        if str(number) != text or number not in allowed:
            raise ValueError("not an integer key")
        return number

    return parse


def _amount(text: str) -> Decimal:
    amount = Decimal(text)
    if not amount.is_finite():
        raise ValueError("not an amount")
    return amount
