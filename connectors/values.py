"""Column values to the values canonical records hold: ids as text, amounts to the cent, UTC instants."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


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
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    # A float sum that lands a hair below zero (SQLite's running balance) rounds to -0.00, and
    # Decimal keeps that sign: an amount is never negative zero.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def money(value: object) -> Decimal:
    """An amount of money, to the cent (None, as from an outer join, is zero)."""
    return decimal(value, CENT)


def signed_money(value: object, negative: bool) -> Decimal:
    """`money(value)`, its sign turned when `negative` (a credit open in the customer's favour);
    nothing owed is 0.00 either way, never -0.00."""
    amount = money(value)
    return money(-amount) if negative else amount


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
