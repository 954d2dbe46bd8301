"""The write foundation of every portal action (resolvers/actions.py `perform`, store/idempotency.py,
store/counters.py), on SQLite, PostgreSQL and MariaDB stores, with real concurrency: each request of
a concurrent test runs on a connection of its own, as the gateway's workers do.

The action of these tests is a `work` that inserts a company row into the store's own native
tables and records a domain event: what it wrote (rows, events, keys, audit) is counted in SQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from ventanilla.auth.principals import Principal, PrincipalKind
from ventanilla.connectors.native import tables as t
from ventanilla.errors import ApiError, ErrorCode
from ventanilla.resolvers.actions import Action, Done, perform
from ventanilla.resolvers.context import Context, Services, request_context
from ventanilla.settings import Settings
from ventanilla.store import counters
from ventanilla.store.events import DomainEvent
from ventanilla.store.schema import migrate
from ventanilla.store.tables import audit_log, events, idempotency_keys
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET, fresh_legacy_database

STORES = ["sqlite", "postgresql", "mariadb"]
ANA = Principal(PrincipalKind.CUSTOMER, user_id=1, name="ana@example.com", customer_ids=("1",))
BETO = Principal(PrincipalKind.CUSTOMER, user_id=2, name="beto@example.com", customer_ids=("2",))


@dataclass
class Gateway:
    """The services of one app on a fresh store, and that store's engine for counting."""

    services: Services
    engine: AsyncEngine

    def ctx(self, principal: Principal = ANA) -> Context:
        return request_context(self.services, principal)

    async def count(self, table, *where) -> int:  # noqa: ANN001
        async with self.engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()

    async def companies(self) -> int:
        return await self.count(t.companies)


@pytest.fixture(params=STORES)
async def gateway(request, tmp_path) -> AsyncIterator[Gateway]:
    async with fresh_legacy_database(request.param, tmp_path) as url:
        engine = create_async_engine(url)
        await migrate(engine)
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", pool_size=12))
        try:
            yield Gateway(app.state.services, engine)
        finally:
            await app.state.close()
            await engine.dispose()


_ids = iter(range(1, 10_000))


def open_company(name: str, fail_with: ErrorCode | None = None):  # noqa: ANN201 - a Work
    """The work of a test action: insert a company (a real row), tell of it; or refuse after writing."""

    async def work(conn: AsyncConnection) -> Done:
        company_id = next(_ids)
        await conn.execute(insert(t.companies).values(id=company_id, code=f"C{company_id}", name=name,
                                                      currency="ARS", country="AR"))  # fmt: skip
        await asyncio.sleep(0)  # let concurrent requests interleave here
        if fail_with is not None:
            raise ApiError(fail_with)
        event = DomainEvent("CompanyOpened", "1", {"companyId": company_id})
        return Done(answer={"id": str(company_id), "name": name}, events=[event], object_id=str(company_id))

    return work


def action(name: str, key: str | None = "key-1") -> Action:
    return Action("openCompany", "1", {"name": name}, idempotency_key=key)


async def test_a_repeated_key_writes_once_and_answers_the_first_answer(gateway):
    # given an action done once with a key
    first = await perform(gateway.ctx(), action("Sur"), open_company("Sur"))
    # when the same caller sends it again with the same key
    again = await perform(gateway.ctx(), action("Sur"), open_company("Sur"))
    # then it was written once, told once, and answered the same
    assert again == first
    assert await gateway.companies() == 1
    assert await gateway.count(events) == 1
    outcomes = await gateway.count(audit_log, audit_log.c.event == "OPEN_COMPANY", audit_log.c.outcome == "REPEATED")
    assert outcomes == 1


async def test_ten_concurrent_requests_with_one_key_write_once(gateway):
    # when 10 requests with the same caller, mutation and key arrive at once
    answers = await asyncio.gather(*(perform(gateway.ctx(), action("Norte"), open_company("Norte")) for _ in range(10)))
    # then one wrote, and all ten answered its answer
    assert await gateway.companies() == 1
    assert await gateway.count(events) == 1
    assert len({a["id"] for a in answers}) == 1


async def test_the_same_key_with_another_input_is_refused_and_writes_nothing(gateway):
    await perform(gateway.ctx(), action("Este"), open_company("Este"))
    # when the key comes back with another input
    with pytest.raises(ApiError) as refused:
        await perform(gateway.ctx(), action("Oeste"), open_company("Oeste"))
    # then it is IDEMPOTENCY_KEY_REUSED, nothing more is written, and the refusal is audited
    assert refused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert await gateway.companies() == 1
    assert await gateway.count(events) == 1
    assert await gateway.count(audit_log, audit_log.c.outcome == "IDEMPOTENCY_KEY_REUSED") == 1


async def test_another_caller_with_the_same_key_is_independent(gateway):
    mine = await perform(gateway.ctx(ANA), action("Sur"), open_company("Sur"))
    theirs = await perform(gateway.ctx(BETO), action("Sur"), open_company("Sur"))
    assert mine != theirs
    assert await gateway.companies() == 2


async def test_a_key_24_hours_old_is_new_again(gateway):
    first = await perform(gateway.ctx(), action("Sur"), open_company("Sur"))
    # given the key's first use is a day old
    day_ago = datetime.now(UTC) - timedelta(hours=24, seconds=1)
    async with gateway.engine.begin() as conn:
        await conn.execute(update(idempotency_keys).values(created_at=day_ago, expires_at=day_ago + timedelta(hours=24)))
    # when the key comes again, even with another input
    later = await perform(gateway.ctx(), action("Otra"), open_company("Otra"))
    # then it is a new action
    assert later != first
    assert await gateway.companies() == 2
    assert await gateway.count(idempotency_keys) == 1


async def test_a_work_that_refuses_rolls_everything_back_and_is_audited(gateway):
    # when the work writes, then refuses
    with pytest.raises(ApiError) as refused:
        await perform(gateway.ctx(), action("Sur"), open_company("Sur", fail_with=ErrorCode.LIMIT_REACHED))
    # then nothing of it stays: no row, no event, no key; the refusal is audited with its code
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert await gateway.companies() == 0
    assert await gateway.count(events) == 0
    assert await gateway.count(idempotency_keys) == 0
    async with gateway.engine.connect() as conn:
        row = (await conn.execute(select(audit_log).where(audit_log.c.event == "OPEN_COMPANY"))).one()
    assert (row.outcome, row.actor, row.customer_id) == ("LIMIT_REACHED", "customer:1", "1")
    # and the key is free for a retry that succeeds
    await perform(gateway.ctx(), action("Sur"), open_company("Sur"))
    assert await gateway.companies() == 1


async def test_concurrent_requests_without_a_key_each_write(gateway):
    await asyncio.gather(*(perform(gateway.ctx(), action(f"S{i}", key=None), open_company(f"S{i}")) for i in range(5)))
    assert await gateway.companies() == 5
    assert await gateway.count(idempotency_keys) == 0


async def test_a_key_too_long_is_bad_input(gateway):
    with pytest.raises(ApiError) as refused:
        await perform(gateway.ctx(), action("Sur", key="k" * 201), open_company("Sur"))
    assert refused.value.code is ErrorCode.BAD_INPUT
    assert await gateway.companies() == 0


# --- counters ------------------------------------------------------------------------------------


async def _take(gateway: Gateway, key: str, limit: int, window_ends: datetime) -> counters.Refused | None:
    async with gateway.services.store.begin() as conn:  # a transaction of its own, as an action's
        return await counters.take(conn, key, limit, window_ends)


async def test_twenty_concurrent_takes_of_a_limit_of_five_take_exactly_five(gateway):
    ends = datetime.now(UTC) + timedelta(hours=1)
    results = await asyncio.gather(*(_take(gateway, "tickets:1", 5, ends) for _ in range(20)))
    assert sum(r is None for r in results) == 5
    refused = [r for r in results if r is not None]
    assert len(refused) == 15
    assert all(abs(r.until - ends) < timedelta(seconds=1) for r in refused)
    # another key has its own slots
    assert await _take(gateway, "tickets:2", 5, ends) is None


async def test_a_window_that_ended_starts_again(gateway):
    ends = datetime.now(UTC) + timedelta(hours=1)
    assert await _take(gateway, "commitments:1", 1, ends) is None
    assert await _take(gateway, "commitments:1", 1, ends) is not None
    # given the window is over
    from ventanilla.store.tables import action_counters

    async with gateway.engine.begin() as conn:
        await conn.execute(update(action_counters).values(window_ends=datetime.now(UTC) - timedelta(seconds=1)))
    # then the next take opens the next window, ending when that request says
    next_ends = datetime.now(UTC) + timedelta(hours=2)
    assert await _take(gateway, "commitments:1", 1, next_ends) is None
    refused = await _take(gateway, "commitments:1", 1, next_ends)
    assert refused is not None and abs(refused.until - next_ends) < timedelta(seconds=1)


async def test_a_limit_of_zero_refuses_and_writes_nothing(gateway):
    from ventanilla.store.tables import action_counters

    ends = datetime.now(UTC) + timedelta(hours=1)
    assert await _take(gateway, "tickets:1", 0, ends) == counters.Refused(ends)
    assert await gateway.count(action_counters) == 0


async def test_a_refused_action_gives_its_slot_back(gateway):
    ends = datetime.now(UTC) + timedelta(hours=1)

    def limited(fail: bool):  # noqa: ANN202
        async def work(conn: AsyncConnection) -> Done:
            if await counters.take(conn, "limited:1", 1, ends) is not None:
                raise ApiError(ErrorCode.LIMIT_REACHED)
            if fail:
                raise ApiError(ErrorCode.BAD_INPUT)
            return Done(answer={"id": "1"})

        return work

    with pytest.raises(ApiError):
        await perform(gateway.ctx(), action("a", key=None), limited(fail=True))
    assert await perform(gateway.ctx(), action("b", key=None), limited(fail=False)) == {"id": "1"}
    with pytest.raises(ApiError) as refused:
        await perform(gateway.ctx(), action("c", key=None), limited(fail=False))
    assert refused.value.code is ErrorCode.LIMIT_REACHED


# --- the store going down mid-action --------------------------------------------------------------


async def test_a_refusal_while_the_store_goes_down_still_answers_the_refusal(tmp_path, caplog):
    from .proxy import Proxy, through

    async with fresh_legacy_database("postgresql", tmp_path) as url:
        engine = create_async_engine(url)
        await migrate(engine)
        proxy = await Proxy.started_for(url, 5432)
        app = create_app(Settings(database_url=through(url, proxy), secret_key=TEST_SECRET, timezone="UTC",
                                  store_timeout_seconds=2.0))  # fmt: skip
        try:
            ctx = request_context(app.state.services, ANA)

            async def work(conn: AsyncConnection) -> Done:
                await proxy.stop()  # the store is gone before the work refuses, and for its audit
                raise ApiError(ErrorCode.NOT_FOUND, what="ticket")

            # when the work refuses while the store is down
            with pytest.raises(ApiError) as refused:
                await perform(ctx, action("Sur"), work)
            # then the caller gets the refusal, not the failure of its audit; the log says it was lost
            assert refused.value.code is ErrorCode.NOT_FOUND
            assert "could not audit OPEN_COMPANY refused with NOT_FOUND" in caplog.text
        finally:
            await proxy.restore()
            await app.state.close()
            await engine.dispose()
