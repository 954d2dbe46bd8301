"""Keyset cursors (connectors/keyset.py) as both SQL sources use them: they round-trip, garbage is refused."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    insert,
)
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


def test_a_pages_cursors_are_written_only_as_they_are_read() -> None:
    keyset = Keyset(native, ("created_at", "id"), descending=True)
    written: list[object] = []
    encode = keyset._encode
    keyset._encode = lambda row: written.append(row._mapping["id"]) or encode(row)  # type: ignore[method-assign]
    rows = [_row(created_at=datetime(2026, 11, day, tzinfo=UTC), id=day) for day in (3, 2, 1)]
    page = keyset.page(rows, Page(first=2), lambda r: r._mapping["id"])
    assert page.items == [3, 2] and page.has_next and len(page.cursors) == 2
    assert written == []  # a query that asks for the nodes alone writes no cursor
    assert page.cursors[-1] == "2026-11-02T00:00:00+00:00|2" and written == [2]
    assert page.cursors == ["2026-11-03T00:00:00+00:00|3", "2026-11-02T00:00:00+00:00|2"]
    assert page.cursors[1:] == ["2026-11-02T00:00:00+00:00|2"]
    assert set(_after(keyset, page.cursors[-1])) == {datetime(2026, 11, 2, tzinfo=UTC), 2}
    assert copy.deepcopy(page) == page and copy.deepcopy(page).cursors == list(page.cursors)  # as text


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


def _walk(keyset: Keyset, conn: Any, customers: list[int], first: int, *, bound: bool) -> dict[int, list[int]]:
    """Every customer's ids, page after page, through `statement` or through `bound`."""
    walked: dict[int, list[int]] = {c: [] for c in customers}
    after: dict[int, str | None] = {c: None for c in customers}
    pending = list(customers)
    for _ in range(100):  # a cursor that does not move on would page forever
        if not pending:
            return walked
        for customer in list(pending):
            page = Page(first=first, after=after[customer])
            if bound:
                statement, params = keyset.bound(page, ids=[customer])
                rows = conn.execute(statement, params).all()
            else:
                statement = keyset.statement(page, [legacy.c.customer_id.in_([customer])])
                rows = conn.execute(statement).all()
            (result,) = keyset.pages([str(customer)], rows, lambda r: str(r.customer_id), page, lambda r: r.id)
            walked[customer] += result.items
            after[customer] = result.cursors[-1] if result.cursors else None
            if not result.has_next:
                pending.remove(customer)
    raise AssertionError(f"the pages of {pending} never end")


def test_a_bound_statement_is_built_once_and_pages_every_customer_as_a_built_one_does() -> None:
    # given two customers' rows with ties on the date, in a real database
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=[legacy])
    rows = [
        {"posted_at": datetime(2024, 1 + i % 3, 1), "id": i, "customer_id": 1 + i % 2} for i in range(1, 24)
    ]
    keyset = Keyset(legacy, ("posted_at", "id"), descending=True, partition="customer_id")
    with engine.begin() as conn:
        conn.execute(insert(legacy), rows)
        # when both walk their listing two rows at a time, bound and built
        built = _walk(keyset, conn, [1, 2], 2, bound=True)
        assert built == _walk(keyset, conn, [1, 2], 2, bound=False)
    # then every row came once, newest first, and two statements served every page:
    # the first page's and the one after a cursor
    assert sorted(built[1] + built[2]) == list(range(1, 24))
    assert built[1] == [r["id"] for r in sorted(rows, key=lambda r: (r["posted_at"], r["id"]), reverse=True)
                        if r["customer_id"] == 1]  # fmt: skip
    assert len(keyset._bound) == 2
    first_page, _ = keyset.bound(Page(first=5), ids=[1])
    assert first_page is keyset.bound(Page(first=9), ids=[2])[0]


def test_a_bound_statement_refuses_a_bad_cursor_before_it_is_built() -> None:
    keyset = Keyset(legacy, ("posted_at", "id"), descending=True, partition="customer_id")
    with pytest.raises(InvalidCursor):
        keyset.bound(Page(first=2, after="yesterday|1"), ids=[1])
    assert not keyset._bound


def test_shapes_made_from_bound_values_stay_bounded_and_are_built_again_as_asked() -> None:
    # given a caller that (wrongly) makes a new shape per customer
    keyset = Keyset(legacy, ("posted_at", "id"), descending=True, partition="customer_id")
    limit = keyset._bound.limit
    for customer in range(limit + 10):
        keyset.bound(Page(first=2), shape=("customer", customer), ids=[customer])
    # then the statements kept never pass the limit, and a forgotten shape is built again
    assert 0 < len(keyset._bound) <= limit
    statement, values = keyset.bound(Page(first=2), shape=("customer", 0), ids=[0])
    assert values == {"ids": [0], "page_rows": 3} and statement is keyset.bound(Page(first=2), shape=("customer", 0), ids=[0])[0]
