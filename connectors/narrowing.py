"""Reading only the columns a request needs (Source.reading), the same way in every reader.

A request says which attributes of each record it reads (`Wanted`, worked out from the GraphQL
document in schema/selection.py). `columns_read` turns those attributes into the columns the
row builders (builders.py) take them from: most attributes are a column of the same name,
a few are built from several. `projection` selects those columns and, in place of every other
one, a constant of its type (or, for mapped relations, a value filled in before building), so
that the builders stay as they are while the database neither reads nor computes what nobody
asked for (a joined table, a correlated sum). `marking_unread` then puts a `NotRead` in every
attribute the request did not ask for, so that those stand-ins never reach an answer: a field
whose `reads` declaration is missing fails with `AttributeNotRead` instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, FromClause, literal
from sqlalchemy.types import TypeEngine

from .base import Wanted
from .not_read import NotRead, not_read
from .records import Customer, Invoice, PlanSubscription

R = TypeVar("R")
T = TypeVar("T")

# Attributes built from other columns than the one of their name (builders.py).
BUILT_FROM: dict[type, dict[str, tuple[str, ...]]] = {
    Customer: {
        "tax_id": ("tax_id_kind", "tax_id"),
        "billing_address": ("street", "city", "province", "postal_code", "country"),
    },
    Invoice: {
        "number": ("letter", "point_of_sale", "number"),
        "balance_due": ("total", "paid_amount", "void", "kind"),
        "payment_code": ("payment_code", "barcode"),
    },
    PlanSubscription: {"service_address": ("street", "city", "province", "postal_code")},
}

_NEUTRAL: dict[type, Any] = {
    int: 0,
    float: 0.0,
    Decimal: Decimal(0),
    str: "",
    bool: False,
    date: date(2000, 1, 1),
}


def columns_read(record: type, wanted: Wanted) -> frozenset[str] | None:
    """The columns behind the wanted attributes of `record`; None when it is to be read whole."""
    attributes = wanted.get(record)
    if attributes is None:
        return None
    special = BUILT_FROM.get(record, {})
    return frozenset(column for name in attributes for column in special.get(name, (name,)))


def marking_unread(build: Callable[[R], T], record: type | None, wanted: Wanted) -> Callable[[R], T]:
    """`build`, then `NotRead` in each attribute of `record` outside `wanted` (it holds a stand-in:
    the column was left out, or the request did not ask for it). Same `build` when `record` is
    read whole. Items of another type pass as they are (a source building them later marks them)."""
    unread = _unread(record, wanted.get(record)) if record is not None else ()
    if not unread:
        return build

    def marked(row: R) -> T:
        item = build(row)
        if type(item) is record:
            # Through the slots, past the frozen __setattr__: just built, nobody holds it yet.
            for put, stand_in in unread:
                put(item, stand_in)
        return item

    return marked


@lru_cache(maxsize=1_024)  # per record and set of attributes: as many as distinct documents
def _unread(
    record: type, attributes: frozenset[str] | None
) -> tuple[tuple[Callable[[Any, NotRead], None], NotRead], ...]:
    """The setter of each slot to mark, and its stand-in (records are slotted dataclasses)."""
    if attributes is None:
        return ()
    return tuple(
        (vars(record)[field.name].__set__, not_read(record, field.name))
        for field in dataclasses.fields(record)
        if field.name not in attributes
    )


def projection(
    columns: Iterable[ColumnElement[Any]], keep: frozenset[str] | None
) -> list[ColumnElement[Any]]:
    """`columns`, each one not in `keep` replaced by a constant of its type under its name
    (native tables: SQLite and PostgreSQL hand typed constants back as such)."""
    if keep is None:
        return list(columns)
    return [column if column.key in keep else _constant(column) for column in columns]


def selected(
    columns: Iterable[ColumnElement[Any]], keep: frozenset[str] | None
) -> list[ColumnElement[Any]]:
    """Only the `columns` in `keep` (mapped relations: `neutral_values` fills the others in
    Python, since MySQL hands every selected constant back as text)."""
    if keep is None:
        return list(columns)
    return [column for column in columns if column.key in keep]


@cache
def neutral_values(table: FromClause) -> dict[str, Any]:
    """A value of the right type for every column of `table`, for the ones a request left out."""
    return {column.key: _neutral(column.type) for column in table.c}


def _neutral(type_: TypeEngine[Any]) -> Any:
    try:
        python_type = type_.python_type
    except NotImplementedError:
        python_type = str
    # Naive even for timezone-aware columns: builders read a naive instant as UTC.
    return datetime(2000, 1, 1) if python_type is datetime else _NEUTRAL.get(python_type)


def _constant(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return literal(_neutral(column.type), column.type).label(column.key)
