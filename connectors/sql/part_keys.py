"""Part key prefixes: UNION parts whose keys are numbered independently (B1's OINV and ORIN DocEntry)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, ColumnElement, String, Subquery, bindparam, cast, literal, type_coerce

from .keys import KeyCodec

if TYPE_CHECKING:
    from .engine import Relations

# A part's `key_prefix = { id = "R" }` makes its keys canonical ids with that prefix (ORIN DocEntry 17
# is "R17", OINV 17 stays "17"). The relation's SQL column keeps the parts apart, so that keys stay
# unique, ordered within a part and comparable between relations (an allocation's credit_note_id
# with an invoice's id): integer keys as k·2³² + key (k numbers the mapping's prefixes from 1), other
# keys as prefix || key; unprefixed keys stay as stored. Lookups by a prefixed column are routed to
# the parts of the ids' prefixes, each filtered on its own (indexed) column.
_SHIFT = 2**32


def numbered(prefixes: set[str]) -> dict[str, int]:
    """The number k of each prefix of a mapping (the same in every relation)."""
    return {p: i + 1 for i, p in enumerate(sorted(p for p in prefixes if p))}


def _split(key: str, prefixes: Sequence[str]) -> tuple[str, str]:
    """The longest declared prefix `key` starts with, and the rest ("" when none)."""
    for prefix in sorted({p for p in prefixes if p}, key=len, reverse=True):
        if key.startswith(prefix):
            return prefix, key[len(prefix) :]
    return "", key


def tagged(codec: KeyCodec, prefixes: Sequence[str], numbers: dict[str, int]) -> KeyCodec:
    """The codec of a column whose parts carry `prefixes`, between canonical ids and SQL values."""
    by_number = {k: p for p, k in numbers.items()}
    integer = codec.name == "int"

    def to_db(key: str) -> object | None:
        prefix, rest = _split(key, prefixes)
        raw = codec.to_db(rest)
        if raw is None or prefix not in prefixes:
            return None
        if not prefix:
            return raw
        return numbers[prefix] * _SHIFT + raw if integer else prefix + str(raw)  # type: ignore[operator]

    def from_db(value: object) -> str:
        if integer:
            number, raw = divmod(int(value), _SHIFT)  # type: ignore[call-overload]
            return by_number.get(number, "") + codec.from_db(raw)
        prefix, rest = _split(str(value), prefixes)
        return prefix + codec.from_db(rest)

    return KeyCodec(f"{codec.name}+prefixes", to_db, from_db)


def encoded(
    expr: ColumnElement[Any], prefix: str, codec: KeyCodec, numbers: dict[str, int]
) -> ColumnElement[Any]:
    """A part's key column as the relation holds it (see the module docstring). Integer keys are
    typed BIGINT in every part, the unprefixed too (its SQL unchanged): the UNION's column takes
    the first part's type, and a cursor or key compared with it is bound with that type."""
    if codec.name == "int":
        shifted = expr if not prefix else expr + literal(numbers[prefix] * _SHIFT, BigInteger)
        return type_coerce(shifted, BigInteger)
    if not prefix:
        return expr
    return literal(prefix) + cast(expr, String)


def routed(codec: KeyCodec, prefixes: Sequence[str], keys: Sequence[str]) -> dict[int, list[object]]:
    """The stored keys to look up in each part (by index) for canonical `keys`."""
    out: dict[int, list[object]] = {}
    for key in keys:
        prefix, rest = _split(key, prefixes)
        raw = codec.to_db(rest)
        if raw is None:
            continue
        for i, own in enumerate(prefixes):
            if own == prefix and raw not in out.setdefault(i, []):
                out[i].append(raw)
    return {i: values for i, values in out.items() if values}


def part_keys(relations: Relations, name: str, column: str, keys: Sequence[str]) -> dict[str, list[object]]:
    """The parameters of a lookup of canonical `keys` in relation `name`'s prefixed `column`: the
    stored keys of each part to read, as `routed_relation` binds them (empty: no row can match)."""
    relation = relations.mapping.relations[name]
    by_part = routed(relation.raw_keys[column], relation.prefixes[column], keys)
    return {_bound(i): values for i, values in sorted(by_part.items())}


def routed_relation(
    relations: Relations, name: str, column: str, parameters: Sequence[str], fields: frozenset[str] | None
) -> Subquery:
    """Relation `name` (narrowed to `fields`) read only from the parts `parameters` (of part_keys)
    name, each filtered on its own `column` by the keys bound per call: built once per such set."""
    from .relations import compile_relation

    relation = relations.mapping.relations[name]
    read = [i for i in range(len(relation.parts)) if _bound(i) in parameters]
    wanted: dict[int, Any] = {i: bindparam(_bound(i), expanding=True) for i in read}
    return compile_relation(relations.mapping, relation, relations.params, fields, only=(column, wanted))


def _bound(part: int) -> str:
    return f"ids_{part}"
