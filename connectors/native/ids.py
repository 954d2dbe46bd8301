"""Native integer ids and the canonical ids (strings) that name them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")

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
