"""Conversions between native column values and the values canonical records hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Native ids are INTEGER columns: a larger number cannot match a row, and PostgreSQL
# would reject it as a parameter instead of simply finding nothing.
INTEGER_BITS = 32
_MAX_ID = 2 ** (INTEGER_BITS - 1) - 1


def db_id(key: str) -> int | None:
    """The integer id behind a canonical id ("42"), or None when no row can have it."""
    if not (key.isascii() and key.isdigit()):
        return None
    value = int(key)
    # Canonical ids are str(id): "042" is not a spelling of 42, it is a miss.
    if str(value) != key or not 0 < value <= _MAX_ID:
        return None
    return value


def db_ids(keys: Iterable[str]) -> list[int]:
    """The distinct integer ids behind `keys`, misses left out, in first-seen order."""
    return list(dict.fromkeys(i for i in map(db_id, keys) if i is not None))


def found_by(found: Mapping[int, T], key: str) -> T | None:
    """The record found for canonical id `key` among records by integer id."""
    native = db_id(key)
    return None if native is None else found.get(native)


def text_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def decimal(value: object, step: Decimal = CENT) -> Decimal:
    """`value` as a Decimal rounded to `step`; SQLite hands NUMERIC back as float or int."""
    if value is None:
        return ZERO.quantize(step)
    if isinstance(value, float):
        # repr gives the shortest decimal that round-trips: 0.1 + 0.2 -> "0.30000000000000004".
        value = Decimal(repr(value))
    elif not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(step, rounding=ROUND_HALF_UP)


def money(value: object) -> Decimal:
    """An amount of money, to the cent (None, as from an outer join, is zero)."""
    return decimal(value, CENT)


def optional_money(value: object) -> Decimal | None:
    return None if value is None else money(value)


def instant(value: datetime) -> datetime:
    """A timezone-aware UTC datetime: SQLite returns the stored UTC wall clock, naive."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def optional_instant(value: datetime | None) -> datetime | None:
    return None if value is None else instant(value)


def invoice_number(letter: str, point_of_sale: int, number: int) -> str:
    """The number as printed on an Argentine invoice, e.g. "B 0003-00012345"."""
    return f"{letter} {point_of_sale:04d}-{number:08d}"
