"""Keyset cursors (connectors/keyset.py) as both SQL sources use them: they round-trip, garbage is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Numeric, String, Table
from ventanilla.connectors.base import InvalidCursor
from ventanilla.connectors.keyset import Keyset
from ventanilla.connectors.records import Page

metadata = MetaData()
legacy = Table(
    "legacy", metadata, Column("posted_at", DateTime()), Column("id", BigInteger), Column("customer_id", Integer)
)
native = Table("native", metadata, Column("created_at", DateTime(timezone=True)), Column("id", Integer))
plans = Table("plans", metadata, Column("price", Numeric(14, 2)), Column("id", Integer))
people = Table("people", metadata, Column("name", String(80)), Column("code", String(20)), Column("id", Integer))


def _row(**values: object) -> SimpleNamespace:
    return SimpleNamespace(_mapping=values)


def _after(keyset: Keyset, cursor: str) -> list[object]:
    """The values the statement compares with, read back from `cursor`."""
    compiled = keyset.statement(Page(first=2, after=cursor)).compile()
    return [v for k, v in compiled.params.items() if not k.startswith("param")]


def test_a_legacy_cursor_keeps_naive_datetimes_and_wide_keys() -> None:
    # given a legacy DATETIME and a BIGINT key past 32 bits
    keyset = Keyset(legacy, ("posted_at", "id"), descending=True, partition="customer_id")
    moment = datetime(2024, 5, 1, 10, 30)
    # when
    page = keyset.page([_row(posted_at=moment, id=5_000_000_000, customer_id=1)], Page(first=1), lambda r: r)
    # then
    assert page.cursors == ["2024-05-01T10:30:00|5000000000"]
    assert set(_after(keyset, page.cursors[0])) >= {moment, 5_000_000_000}


def test_instants_are_written_in_utc_and_must_carry_their_offset() -> None:
    keyset = Keyset(native, ("created_at", "id"), descending=True, integer_bits=32)
    stored = datetime(2024, 5, 1, 10, 30)  # SQLite hands back the UTC wall clock, naive
    page = keyset.page([_row(created_at=stored, id=7)], Page(first=1), lambda r: r)
    assert page.cursors == ["2024-05-01T10:30:00+00:00|7"]
    assert datetime(2024, 5, 1, 10, 30, tzinfo=UTC) in _after(keyset, page.cursors[0])
    with pytest.raises(InvalidCursor):
        _after(keyset, "2024-05-01T10:30:00|7")


@pytest.mark.parametrize(
    ("keyset", "cursor"),
    [
        (Keyset(native, ("created_at", "id"), descending=True, integer_bits=32), "2024-05-01T10:30:00+00:00|2147483648"),
        (Keyset(legacy, ("posted_at", "id"), descending=True), "2024-05-01T10:30:00|1" + "0" * 20),
        (Keyset(legacy, ("posted_at", "id"), descending=True), "2024-05-01T10:30:00|007"),
        (Keyset(plans, ("price", "id"), descending=False), "NaN|1"),
        (Keyset(plans, ("price", "id"), descending=False), "cheap|1"),
        (Keyset(plans, ("price", "id"), descending=False), "100.00"),
    ],
)
def test_garbage_is_an_invalid_cursor(keyset: Keyset, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        keyset.statement(Page(first=2, after=cursor))


def test_a_float_amount_round_trips() -> None:
    keyset = Keyset(plans, ("price", "id"), descending=False)
    page = keyset.page([_row(price=0.1 + 0.2, id=3)], Page(first=1), lambda r: r)  # SQLite NUMERIC
    assert page.cursors == ["0.30000000000000004|3"]
    keyset.statement(Page(first=1, after=page.cursors[0]))


@pytest.mark.parametrize(
    ("name", "code"),
    [("Pérez | Hijos", "A|B"), ("Barra \\ invertida", "C\\|D"), ("|", "\\"), ("", "")],
)
def test_free_text_with_the_separator_or_a_backslash_round_trips(name: str, code: str) -> None:
    # given a listing ordered by two free-text columns (customers: folded name, then code)
    keyset = Keyset(people, ("name", "code", "id"), descending=False)
    page = keyset.page([_row(name=name, code=code, id=9)], Page(first=1), lambda r: r)
    # then the next page starts exactly after that row
    assert set(_after(keyset, page.cursors[0])) == {name, code, 9}


def test_a_dangling_escape_is_an_invalid_cursor() -> None:
    keyset = Keyset(people, ("name", "code", "id"), descending=False)
    with pytest.raises(InvalidCursor):
        _after(keyset, "a|b|9\\")
