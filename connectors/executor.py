"""Running a source's reads: a connection per call, one time limit, one retry on a dead connection.

Pools do not ping connections before use (a round trip per checkout); a connection the driver
already knows closed is dropped at checkout (`discard_closed_connections`). One that died
unnoticed while pooled — the server restarted, a session was killed — fails its first statement;
SQLAlchemy then marks it (`DBAPIError.connection_invalidated`) and drops every connection of the
pool that is as old, and the read runs again on a fresh one. Reads only: running one twice is
harmless. Every other failure is mapped to `SourceUnavailable` / `SourceTimeout` (base.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Executable, event, text
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .base import SourceTimeout, SourceUnavailable
from .driver import Disconnected, DriverPath

T = TypeVar("T")
Rows = list[Row[Any]]  # or the driver path's rows, read alike (driver.py)

log = logging.getLogger(__name__)


def pooled_engine(url: str, pool_size: int, *, ping: bool = False, **options: Any) -> AsyncEngine:
    """The one pool policy of the app: `pool_size` connections and no overflow (a use beyond them
    waits; overflow connections were opened and closed per use, bench/README.md), connections the
    driver knows closed dropped at checkout, and no pre-ping unless `ping`: reads are retried on a
    dead connection instead (run_read), but a write is not, so the store pings (one round trip per
    checkout) and a write after a restart or a killed session still lands."""
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_pre_ping=ping, **options)
    return discard_closed_connections(engine)


# asyncpg's options a URL's query may carry as numbers: `?statement_cache_size=0` behind PgBouncer's
# transaction pooling (docs/deployment.md). SQLAlchemy hands the query to asyncpg as text, and
# asyncpg needs a number: every engine's connect turns them into one (once per process).
_NUMERIC_ASYNCPG_OPTIONS = ("statement_cache_size", "max_cached_statement_lifetime", "max_cacheable_statement_size")


@event.listens_for(Engine, "do_connect")
def _numeric_options(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    if dialect.driver != "asyncpg":
        return
    for name in _NUMERIC_ASYNCPG_OPTIONS:
        value = cparams.get(name)
        if isinstance(value, str) and value.isdigit():
            cparams[name] = int(value)


def connect_timeout_args(url: str, timeout: float) -> dict[str, Any]:
    """The driver's `connect_args` that make connecting give up within `timeout` seconds (asyncpg,
    asyncmy, aiomysql; SQLite connects to a file)."""
    if url.startswith("postgresql+asyncpg"):
        return {"timeout": timeout}
    if url.startswith(("mysql+asyncmy", "mariadb+asyncmy", "mysql+aiomysql")):
        return {"connect_timeout": max(1, int(timeout))}
    return {}


def discard_closed_connections(engine: AsyncEngine) -> AsyncEngine:
    """Before the pool hands out a connection, drop it if its driver already knows the server
    closed it (asyncpg notices a terminated session within milliseconds, no round trip needed);
    the pool then opens a new one.

    In those milliseconds asyncpg has read the server's "terminating connection" but not yet the
    end of the stream: the next statement fails with "cannot switch to state ... another
    operation is in progress", which SQLAlchemy does not know as a disconnect. It is one: say so,
    so that the ping, or the read's retry, replaces the connection."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        is_closed = getattr(getattr(dbapi_connection, "_connection", None), "is_closed", None)
        if callable(is_closed) and is_closed():
            raise DisconnectionError("the server closed this pooled connection")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _closing(context: Any) -> None:
        if _TERMINATED_MID_MESSAGE in str(context.original_exception):
            context.is_disconnect = True

    return engine


# asyncpg's InternalClientError on a connection whose server session just ended.
_TERMINATED_MID_MESSAGE = "another operation"


async def run_read(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` (statements that only read) on a pooled connection, and once more on a fresh
    connection if the pooled one turns out to be dead."""
    try:
        return await _read_on(engine, work)
    except (DBAPIError, Disconnected) as exc:
        if not exc.connection_invalidated:
            raise
        log.info("a pooled connection to %s was dead; reading again on a new one", engine.url.host)
    return await _read_on(engine, work)


async def _read_on(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """`work` on a connection of the pool, given back when it ends.

    SQLAlchemy gives an async connection back in a task of its own, shielded from cancellation,
    through the greenlet bridge: the pool's reset may have to await a ROLLBACK. On asyncpg a
    connection that holds no transaction needs no round trip to be reset (the driver path's reads
    and autocommit reads begin none), so it goes back to the pool at once, where nothing can
    interrupt it; a connection in a transaction is closed by SQLAlchemy as before."""
    if driver_path(engine) is None:
        async with engine.connect() as conn:
            return await work(conn)
    conn = await engine.connect().start()
    try:
        return await work(conn)
    finally:
        sync = conn.sync_connection
        if sync is None or sync.in_transaction():
            await conn.__aexit__(None, None, None)  # SQLAlchemy's own close, shielded
        else:
            sync.close()


async def ping(engine: AsyncEngine) -> None:
    """One round trip to a source's database (readiness, web/health.py)."""
    await run_read(engine, lambda conn: conn.execute(text("SELECT 1")))


_DRIVER_PATHS: WeakKeyDictionary[Engine, DriverPath | None] = WeakKeyDictionary()


def driver_path(engine: AsyncEngine) -> DriverPath | None:
    """The engine's driver path (one per engine), or None where SQLAlchemy runs every statement."""
    sync = engine.sync_engine
    try:
        return _DRIVER_PATHS[sync]
    except KeyError:
        path = _DRIVER_PATHS[sync] = DriverPath(sync.dialect) if sync.dialect.driver == "asyncpg" else None
        return path


async def read_rows(conn: AsyncConnection, statement: Executable, params: dict[str, Any] | None = None) -> Rows:
    """The rows of a read built once and run with these parameters: on PostgreSQL, once it has
    run twice, by the driver itself (driver.py); else, and until then, by SQLAlchemy."""
    driver = driver_path(conn.engine)
    if driver is not None:
        prepared = driver.prepared(statement)
        if prepared is not None:
            return await driver.fetch(conn, prepared, params or {})
    result = await conn.execute(statement, params or None)
    if driver is not None:
        driver.learn(statement, result)
    return list(result.all())


class Executor:
    """Runs a source's reads under `timeout` seconds in all, mapping every failure to SourceError.

    Each call takes its own connection: Strawberry resolves sibling fields concurrently. A
    statement `fetch` or `fetch_with` runs is read through `read_rows`.
    """

    def __init__(self, engine: AsyncEngine, timeout: float, label: str) -> None:
        self.engine = engine
        self.timeout = timeout
        self.label = label

    @property
    def driver(self) -> DriverPath | None:
        return driver_path(self.engine)

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        try:
            # asyncio.timeout rather than wait_for: no extra task per call; the retry counts too.
            async with asyncio.timeout(self.timeout):
                return await run_read(self.engine, work)
        except TimeoutError as exc:  # before OSError, of which it is a subclass
            message = f"the {self.label} database did not answer within {self.timeout:g} s"
            raise SourceTimeout(message) from exc
        except Exception as exc:
            # `work` only executes statements and fetches rows (records are built after),
            # so whatever it raises comes from the driver, the pool or the network; the
            # drivers do not share an exception tree (asyncpg raises its own and OSError).
            message = f"the {self.label} database cannot be read ({type(exc).__name__})"
            raise SourceUnavailable(message) from exc

    async def fetch(self, *statements: Executable, **params: Any) -> list[Rows]:
        """The rows of each statement, run one after the other on one connection, with these
        parameters (statements built once and reused)."""

        async def work(conn: AsyncConnection) -> list[Rows]:
            return [await read_rows(conn, statement, params) for statement in statements]

        return await self.run(work)

    async def fetch_with(self, statement: Executable, **params: Any) -> Rows:
        """The rows of one statement built once and reused, with these parameters."""

        async def work(conn: AsyncConnection) -> Rows:
            return await read_rows(conn, statement, params)

        return await self.run(work)
