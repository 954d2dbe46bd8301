"""`NotRead`: what a narrowed record holds where the request read nothing, failing wherever it is used."""

from __future__ import annotations

from functools import cache
from typing import NoReturn


class AttributeNotRead(Exception):
    """A record attribute the request did not read was used: the GraphQL field that uses it
    lacks its `reads` declaration (schema/selection.py)."""


class NotRead:
    """Stands in a record attribute a narrowed read left out (connectors/narrowing.py).

    Any use — str, format, truth, arithmetic, comparison, hashing, iteration, attribute access —
    raises `AttributeNotRead` naming the record class and attribute, so a forgotten `reads`
    declaration is an error on that field instead of a plausible value (a date of 2000, a 0, "").
    Only `repr` answers, for error messages and debuggers. One instance per attribute (`not_read`).
    """

    __slots__ = ("record", "attribute")

    def __init__(self, record: str, attribute: str) -> None:
        self.record = record
        self.attribute = attribute

    def __repr__(self) -> str:
        return f"<{self.record}.{self.attribute} not read>"

    def _refuse(self, *args: object) -> NoReturn:
        raise AttributeNotRead(
            f"{self.record}.{self.attribute} was not read: the GraphQL field using it must declare it"
            " in its `reads` (schema/selection.py)"
        )

    def __getattr__(self, name: str) -> NoReturn:  # only names the class lacks: .isoformat(), .amount ...
        self._refuse()

    __str__ = __format__ = __bytes__ = __bool__ = __hash__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]
    __len__ = __iter__ = __contains__ = __getitem__ = _refuse
    __int__ = __float__ = __index__ = __round__ = __neg__ = __pos__ = __abs__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _refuse
    __pow__ = __rpow__ = _refuse


@cache
def not_read(record: type, attribute: str) -> NotRead:
    """The stand-in for `attribute` of `record` (one per attribute: marking a record allocates nothing)."""
    return NotRead(record.__name__, attribute)
