"""Statements run again and again on PostgreSQL take asyncpg's own path (connectors/driver.py):
the same rows as SQLAlchemy's run, the same statement events, SQLAlchemy kept wherever it would
convert a value, and a connection lost under it read again on a new one."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    event,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from ventanilla.connectors.base import SourceTimeout, SourceUnavailable
from ventanilla.connectors.executor import Executor, pooled_engine
from ventanilla.connectors.shapes import bound_keys

from .conftest import fresh_database


class Kind(enum.Enum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


metadata = MetaData()
bills = Table(
    "bills", metadata,
    Column("id", Integer, primary_key=True), Column("customer", String(20)), Column("total", Numeric(12, 2)),
    Column("kind", Enum(Kind, native_enum=False, length=20)), Column("void", Boolean, nullable=False),
)  # fmt: skip
BY_ID = select(bills.c.id, bills.c.customer, bills.c.total).where(bills.c.id.in_(bound_keys())).order_by(bills.c.id)


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator[AsyncEngine]:
    async with fresh_database("postgresql", tmp_path) as url:
        setup = create_async_engine(url)
        async with setup.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(bills.insert(), [
                {"id": n, "customer": f"c{n % 3}", "total": Decimal(n) / 4,
                 "kind": Kind.CREDIT_NOTE if n % 5 == 0 else Kind.INVOICE, "void": n == 13}
                for n in range(1, 41)
            ])  # fmt: skip
        await setup.dispose()
        reads = pooled_engine(url, 2, isolation_level="AUTOCOMMIT")
        try:
            yield reads
        finally:
            await reads.dispose()


def _plain(rows: list) -> list[tuple]:
    return [(tuple(r), dict(r._mapping), r.id) for r in rows]


async def test_a_repeated_statement_answers_the_same_rows_on_the_driver(engine) -> None:
    db = Executor(engine, 5, "billing")
    first = await db.fetch_with(BY_ID, ids=[3, 1, 2, 99])
    assert db.driver is not None and db.driver.prepared(BY_ID) is None  # SQLAlchemy ran it
    await db.fetch_with(BY_ID, ids=[1])
    assert db.driver.prepared(BY_ID) is not None  # from now on the driver runs it
    again = await db.fetch_with(BY_ID, ids=[3, 1, 2, 99])
    assert _plain(again) == _plain(first) == [
        ((n, f"c{n % 3}", Decimal(n) / 4), {"id": n, "customer": f"c{n % 3}", "total": Decimal(n) / 4}, n)
        for n in (1, 2, 3)
    ]
    assert isinstance(again[0].total, Decimal) and again[0].total == Decimal("0.25")
    # no keys, many keys: one statement text whatever their number
    assert await db.fetch_with(BY_ID, ids=[]) == []
    assert [r.id for r in await db.fetch_with(BY_ID, ids=list(range(40, 0, -1)))] == list(range(1, 41))


async def test_parameters_literals_and_exclusions_bind_as_on_sqlalchemy(engine) -> None:
    statement = (
        select(bills.c.id)
        .where(bills.c.customer == bindparam("customer"), bills.c.id.not_in(bindparam("skip", expanding=True)),
               bills.c.total > Decimal("1.00"), bills.c.void == bindparam("void", type_=Boolean))
        .order_by(bills.c.id).limit(bindparam("rows"))
    )  # fmt: skip
    db = Executor(engine, 5, "billing")
    # `void=0`: SQLAlchemy's Boolean takes 0 for False (its bind processor), asyncpg alone would not
    answers = [[r.id for r in await db.fetch_with(statement, customer="c1", skip=[7], rows=4, void=0)] for _ in range(3)]
    assert db.driver is not None and db.driver.prepared(statement) is not None
    assert answers == [[10, 16, 19, 22]] * 3  # c1: 1, 4, 7 …; 7 skipped, 1 and 4 total 1.00 or less, 13 void
    assert [r.id for r in await db.fetch_with(statement, customer="c1", skip=[], rows=2, void=True)] == [13]
    with pytest.raises(SourceUnavailable):  # a missing value is refused, not read as NULL
        await db.fetch_with(statement, customer="c1", skip=[], void=False)


async def test_a_column_sqlalchemy_converts_stays_with_sqlalchemy(engine) -> None:
    # an Enum column: SQLAlchemy turns the stored text into the Python enum
    statement = select(bills.c.id, bills.c.kind).where(bills.c.id.in_(bound_keys())).order_by(bills.c.id)
    db = Executor(engine, 5, "billing")
    answers = [await db.fetch_with(statement, ids=[4, 5]) for _ in range(3)]
    assert db.driver is not None and db.driver.prepared(statement) is None
    assert [[(r.id, r.kind) for r in rows] for rows in answers] == [[(4, Kind.INVOICE), (5, Kind.CREDIT_NOTE)]] * 3


async def test_every_run_is_seen_by_the_statement_listeners(engine) -> None:
    seen: list[str] = []
    record = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        db = Executor(engine, 5, "billing")
        for _ in range(5):
            await db.fetch_with(BY_ID, ids=[1, 2])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(seen) == 5 and "= ANY(" in seen[-1] and "IN (" in seen[0]


async def test_every_read_gives_its_connection_back_cut_short_or_not(engine) -> None:
    db = Executor(engine, 5, "billing")
    pool = engine.sync_engine.pool
    # 40 reads at once on a pool of 2: each waits for a connection another one gave back
    answers = await asyncio.gather(*(db.fetch_with(BY_ID, ids=[n]) for n in range(1, 41)))
    assert [rows[0].id for rows in answers] == list(range(1, 41))
    assert db.driver is not None and db.driver.prepared(BY_ID) is not None
    assert pool.checkedout() == 0
    # a read cut short by its time limit gives its connection back as well, and the next reads answer
    slow = Executor(engine, 0.3, "billing")
    for _ in range(3):
        with pytest.raises(SourceTimeout):
            await slow.run(lambda conn: conn.exec_driver_sql("SELECT pg_sleep(3)"))
        assert pool.checkedout() == 0
    assert [[r.id for r in await db.fetch_with(BY_ID, ids=[1, 2])] for _ in range(3)] == [[1, 2]] * 3
    assert pool.checkedout() == 0


async def test_a_read_that_began_a_transaction_is_rolled_back_before_its_connection_is_reused(engine) -> None:
    one = pooled_engine(str(engine.url.render_as_string(hide_password=False)), 1)  # not in autocommit
    try:
        db = Executor(one, 5, "billing")

        async def set_locally(conn: Any) -> Any:
            await conn.exec_driver_sql("SET LOCAL statement_timeout = '4321ms'")
            return (await conn.exec_driver_sql("SHOW statement_timeout")).scalar_one()

        async def show(conn: Any) -> Any:
            return (await conn.exec_driver_sql("SHOW statement_timeout")).scalar_one()

        assert await db.run(set_locally) == "4321ms"
        assert await db.run(show) == "0"  # the same (only) connection, its transaction rolled back
        assert one.sync_engine.pool.checkedout() == 0
    finally:
        await one.dispose()


async def test_a_session_killed_under_the_driver_path_is_read_again(engine) -> None:
    db = Executor(engine, 5, "billing")
    for _ in range(3):
        await db.fetch_with(BY_ID, ids=[1])
    assert db.driver is not None and db.driver.prepared(BY_ID) is not None
    database = make_url(str(engine.url)).database
    admin = create_async_engine(make_url(str(engine.url)).set(database="test"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            killed = await conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
            )
            assert len(killed.all()) >= 1
    finally:
        await admin.dispose()
    # the very next reads answer, on new connections: the pool drops a connection asyncpg already
    # knows closed at checkout; one it learns of only under the statement is invalidated and the
    # read runs again (which of the two happens depends on when asyncpg reads the server's notice)
    for _ in range(3):
        assert [r.id for r in await db.fetch_with(BY_ID, ids=[1, 2])] == [1, 2]


async def test_the_store_reads_of_every_request_take_the_driver_path_and_see_a_revocation_at_once(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    from ventanilla.connectors.executor import driver_path
    from ventanilla.store.access import create_session, revoke_session
    from ventanilla.store.engine import Store
    from ventanilla.store.features import _SWITCHES, read_switches, set_switch
    from ventanilla.store.tables import metadata as store_metadata
    from ventanilla.store.users import _USER_FOR_REQUEST, SessionState, create_user, user_for_request

    async with fresh_database("postgresql", tmp_path) as url:
        engine = pooled_engine(url, 2)
        reads = pooled_engine(url, 2, isolation_level="AUTOCOMMIT")
        try:
            async with engine.begin() as conn:
                await conn.run_sync(store_metadata.create_all)
                user_id = await create_user(conn, login="Ana@Example.com", name="Ana", password="una clave larga",
                                            kind="CUSTOMER", customer_ids=["C2", "C1"])  # fmt: skip
                expires = datetime.now(UTC) + timedelta(hours=1)
                session_id = await create_session(conn, user_id, False, expires, None)
                await set_switch(conn, "tickets", False, "admin")
            store = Store(engine, 5, reads)
            answers = [await store.read(lambda conn: user_for_request(conn, user_id, session_id)) for _ in range(3)]
            switches = [await store.read(read_switches) for _ in range(3)]
            driver = driver_path(reads)
            assert driver is not None
            assert driver.prepared(_USER_FOR_REQUEST) is not None and driver.prepared(_SWITCHES) is not None
            user, state = answers[-1]
            assert answers[0] == answers[-1]
            assert user is not None and user.customer_ids == ("C2", "C1") and user.login == "ana@example.com"
            assert state.exists and not state.revoked and state.expires_at == expires
            assert switches == [{"tickets": False}] * 3
            async with engine.begin() as conn:
                await revoke_session(conn, session_id)
                await set_switch(conn, "tickets", True, "admin")
            # nothing is kept between reads: the next request sees the revocation and the switch
            _, state = await store.read(lambda conn: user_for_request(conn, user_id, session_id))
            assert state.revoked
            assert await store.read(read_switches) == {"tickets": True}
            unknown = await store.read(lambda conn: user_for_request(conn, user_id + 1, None))
            assert unknown == (None, SessionState(False, False, None))
        finally:
            await engine.dispose()
            await reads.dispose()
