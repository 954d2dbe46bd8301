"""A legacy database that goes away or stalls: clear errors within the timeout, the rest of the
response still arrives, and the gateway recovers by itself when the database is back.

The database sits behind a tiny TCP proxy this test starts, stalls and stops (the machine's shared
servers are never touched); on PostgreSQL the tests also kill the pools' sessions mid-run, which
the pools do not ping for: the read that finds a connection dead runs again on a fresh one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.base import SourceTimeout, SourceUnavailable
from ventanilla.connectors.records import Page, TicketFilter
from ventanilla.connectors.routing import source_from
from ventanilla.demo.business import CUSTOMER_LOGIN, generate_demo
from ventanilla.demo.legacy.ispcube import write_ispcube_demo
from ventanilla.demo.legacy.sap import write_sap_demo
from ventanilla.settings import Settings
from ventanilla.web.app import create_app

from .conftest import SIGN_IN, TEST_SECRET, fresh_database, fresh_legacy_database
from .proxy import Proxy, through

TODAY = date(2026, 6, 15)
TIMEOUT = 1.5


@pytest.fixture(scope="module")
async def isp(tmp_path_factory) -> AsyncIterator[tuple[str, Proxy]]:
    """A small ISPCube-style database on MariaDB, reached through a proxy."""
    async with fresh_legacy_database("mariadb", tmp_path_factory.mktemp("isp")) as url:
        engine = create_async_engine(url)
        await write_ispcube_demo(engine, customers=4, seed=3, today=TODAY)
        await engine.dispose()
        proxy = await Proxy.started_for(url, 3306)
        yield through(url, proxy), proxy
        await proxy.stop()


async def _timed(call) -> tuple[object, float]:
    started = time.monotonic()
    try:
        return await call, time.monotonic() - started
    except (SourceUnavailable, SourceTimeout) as exc:
        return exc, time.monotonic() - started


async def test_down_then_stalled_then_back(isp) -> None:
    url, proxy = isp
    source = source_from("isp", {"connector": "ispcube", "url": url, "timeout_seconds": TIMEOUT}, 10)
    try:
        # given a working source
        assert (await source.customers_by_id(["1"]))[0] is not None
        # when the database goes away, then a clear error, quickly
        await proxy.stop()
        error, seconds = await _timed(source.customers_by_id(["1"]))
        assert isinstance(error, SourceUnavailable | SourceTimeout), error
        assert seconds < TIMEOUT + 1
        # when it accepts connections but never answers, then a timeout within the limit
        proxy.stalled = True
        await proxy.start()
        error, seconds = await _timed(source.tickets_of(["1"], TicketFilter(), Page(5)))
        assert isinstance(error, SourceTimeout | SourceUnavailable), error
        assert "isp" in str(error)
        assert seconds < TIMEOUT + 1
        # when it is back, then the same source answers again, by itself
        await proxy.stop()
        proxy.stalled = False
        await proxy.start()
        assert (await source.customers_by_id(["1"]))[0] is not None
    finally:
        await source.engine.dispose()


async def _kill_sessions(url: str) -> int:
    """Terminate every session on `url`'s database (from another database); how many there were."""
    database = make_url(url).database
    admin = create_async_engine(make_url(url).set(database="test"))
    try:
        async with admin.connect() as conn:
            result = await conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
            )
            return len(result.all())
    finally:
        await admin.dispose()


async def test_killed_sessions_are_replaced(tmp_path_factory, caplog) -> None:
    async with fresh_legacy_database("postgresql", tmp_path_factory.mktemp("sap")) as url:
        engine = create_async_engine(url)
        await write_sap_demo(engine, customers=3, seed=3, today=TODAY)
        await engine.dispose()
        source = source_from("erp", {"connector": "sap", "url": url, "timeout_seconds": TIMEOUT}, 10)
        try:
            assert (await source.customers_by_id(["1"]))[0] is not None
            # when every session of the source is killed on the server, mid-run
            assert await _kill_sessions(url) == 1
            # then the next call answers: asyncpg has noticed, the pool drops the connection at checkout
            assert (await source.customers_by_id(["1", "2"]))[1] is not None
        finally:
            await source.engine.dispose()


async def test_a_dead_connection_the_driver_did_not_notice_is_read_again(tmp_path_factory, caplog) -> None:
    # given an ISPCube source on MariaDB (asyncmy cannot tell an idle connection was closed)
    async with fresh_legacy_database("mariadb", tmp_path_factory.mktemp("isp-kill")) as url:
        engine = create_async_engine(url)
        await write_ispcube_demo(engine, customers=3, seed=3, today=TODAY)
        await engine.dispose()
        source = source_from("isp", {"connector": "ispcube", "url": url, "timeout_seconds": TIMEOUT}, 10)
        try:
            assert (await source.customers_by_id(["1"]))[0] is not None
            # when the server kills every session of that database
            database = make_url(url).database
            admin = create_async_engine(url.rsplit("/", 1)[0] + "/mysql")
            try:
                async with admin.connect() as conn:
                    ids = (await conn.exec_driver_sql(
                        "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
                        (database,),
                    )).scalars().all()  # fmt: skip
                    for session in ids:
                        await conn.exec_driver_sql(f"KILL {int(session)}")
            finally:
                await admin.dispose()
            assert ids
            # then the next call finds its pooled connection dead, reads again on a new one, and answers
            with caplog.at_level(logging.INFO, logger="ventanilla.connectors.executor"):
                assert (await source.customers_by_id(["1", "2"]))[1] is not None
            assert "was dead" in caplog.text
        finally:
            await source.engine.dispose()


async def test_the_next_request_after_the_store_sessions_are_killed_is_answered(tmp_path, caplog) -> None:
    # given the app on a PostgreSQL store, signed in, with a pool of connections from a first answer
    async with fresh_database("postgresql", tmp_path) as url:
        engine = create_async_engine(url)
        await generate_demo(engine, customers=4, seed=3, today=TODAY)
        await engine.dispose()
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC"))
        query = (
            "{ viewer { customer { name invoices(first: 3) { nodes { number } } "
            "tickets(first: 3) { nodes { number } } account { balance { amount } } } } }"
        )
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                signed = await client.post(
                    "/graphql",
                    json={"query": SIGN_IN, "variables": dict(zip(("login", "password"), CUSTOMER_LOGIN))},
                )
                headers = {"Authorization": f"Bearer {signed.json()['data']['signIn']['accessToken']}"}
                before = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
                assert "errors" not in before, before
                # when the server ends every session of the pool (as a restart or an admin would)
                assert await _kill_sessions(url) >= 1
                # then the very next request is answered, whole and without error
                after = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
                assert after == before
                # and so is the next write (signing in opens a session), which is never retried
                assert await _kill_sessions(url) >= 1
                again = await client.post(
                    "/graphql",
                    json={"query": SIGN_IN, "variables": dict(zip(("login", "password"), CUSTOMER_LOGIN))},
                )
                assert again.json()["data"]["signIn"]["errors"] == [], again.json()
        finally:
            await app.state.close()


async def test_the_rest_of_the_response_still_arrives(isp, tmp_path) -> None:
    # given an app whose tickets come from the ISP database and the rest from the store
    url, proxy = isp
    async with fresh_legacy_database("sqlite", tmp_path) as store_url:
        store = create_async_engine(store_url)
        await generate_demo(store, customers=4, seed=3, today=TODAY)
        await store.dispose()
        config = tmp_path / "ventanilla.toml"
        config.write_text(
            f'[sources.isp]\nconnector = "ispcube"\nurl = "{url}"\ntimeout_seconds = {TIMEOUT}\n\n[routes]\ntickets = "isp"\n'
        )
        os.environ["VENTANILLA_CONFIG"] = str(config)
        try:
            app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        query = (
            "{ billing: viewer { customer { name invoices(first: 3) { nodes { number } } } }"
            " support: viewer { customer { tickets(first: 3) { nodes { number } } } } }"
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            signed = await client.post(
                "/graphql",
                json={"query": SIGN_IN, "variables": dict(zip(("login", "password"), CUSTOMER_LOGIN))},
            )
            headers = {"Authorization": f"Bearer {signed.json()['data']['signIn']['accessToken']}"}
            try:
                # when the ISP database is down
                await proxy.stop()
                started = time.monotonic()
                body = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
                # then tickets answer SOURCE_UNAVAILABLE and the invoices still arrive, within the timeout
                assert time.monotonic() - started < TIMEOUT + 2
                assert body["data"]["billing"]["customer"]["invoices"]["nodes"]
                assert [e["extensions"]["code"] for e in body["errors"]] == ["SOURCE_UNAVAILABLE"]
                assert body["errors"][0]["path"][-1] == "tickets"
            finally:
                await proxy.start()
            # when it is back, then the whole response arrives again
            body = (await client.post("/graphql", json={"query": query}, headers=headers)).json()
            assert "errors" not in body, body
        await app.state.source.dispose()
        await app.state.close()


async def test_store_writes_land_in_the_milliseconds_after_their_session_is_killed(tmp_path) -> None:
    """asyncpg reads the server's "terminating connection" a few milliseconds before the end of the
    stream; a statement in between fails with "another operation is in progress". The store's
    pool pings at checkout and takes that for the disconnect it is, so no write is lost."""
    import asyncpg
    from ventanilla.connectors.executor import pooled_engine

    async with fresh_database("postgresql", tmp_path) as url:
        database = make_url(url).database
        admin = await asyncpg.connect(make_url(url).set(drivername="postgresql", database="test").render_as_string(False))
        engine = pooled_engine(url, 2, ping=True)  # as web/app.py builds the store's pool
        try:
            async with engine.begin() as conn:
                await conn.exec_driver_sql("CREATE TABLE written (n integer)")
            for n in range(10):
                # when the server ends the pooled session and a write follows within milliseconds
                await admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
                for _ in range(3):
                    await asyncio.sleep(0)
                async with engine.begin() as conn:
                    await conn.exec_driver_sql(f"INSERT INTO written VALUES ({n})")
            # then every write landed
            async with engine.connect() as conn:
                assert (await conn.exec_driver_sql("SELECT count(*) FROM written")).scalar() == 10
        finally:
            await engine.dispose()
            await admin.close()
