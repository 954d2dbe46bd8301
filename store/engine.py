"""The store's pool and the one way in: every unit of store work bounded by one timeout.

Everything that reads or writes Ventanilla's own tables (the token check, sign-in and the other
access flows, partners, the audit log, download links, readiness) goes through a `Store`. Waiting
for a pooled connection gives up after `timeout` seconds (the pool's `pool_timeout`), so does
connecting (the driver's connect timeout), and the unit of work as a whole (checkout, statements,
commit) is cut at `timeout` too (`asyncio.timeout`). A unit that runs out of time, or finds the
store refusing or dropping connections, raises `StoreUnavailable`, which the API answers with the
retryable STORE_UNAVAILABLE (web/errors.py, docs/outages.md). Any other failure (a constraint, a
bug, an ApiError of the flow) passes through as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..connectors.executor import connect_timeout_args, pooled_engine, run_read
from ..observe import reading_as

T = TypeVar("T")


class StoreUnavailable(Exception):
    """The store (or the sign-in counters' Redis) did not answer in time, refused or dropped the connection."""


def store_engine(url: str, pool_size: int, timeout: float) -> AsyncEngine:
    """The store's pool (policy in connectors/executor.py, pinged at checkout: its writes are not
    retried), waiting at most `timeout` for a connection and for connecting."""
    return pooled_engine(
        url, pool_size, ping=True, pool_timeout=timeout, connect_args=connect_timeout_args(url, timeout)
    )


def is_outage(failure: BaseException) -> bool:
    """A failure of the connection, not of the statement: refused, reset, dropped, the pool's wait spent."""
    if isinstance(failure, OSError | PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(failure, DBAPIError) and failure.connection_invalidated


@asynccontextmanager
async def unavailable_after(
    timeout: float, what: str, outage: Callable[[BaseException], bool]
) -> AsyncIterator[None]:
    """Run the body within `timeout` seconds; out of time, or failing as `outage` says, it raises
    StoreUnavailable naming `what` (no URL: it may carry a password)."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except TimeoutError as exc:  # before OSError, of which it is a subclass
        raise StoreUnavailable(f"{what} did not answer within {timeout:g} s") from exc
    except Exception as exc:
        if not outage(exc):
            raise
        raise StoreUnavailable(f"{what} cannot be reached ({type(exc).__name__})") from exc


class Store:
    """The store's engine, used only through bounded units of work."""

    def __init__(self, engine: AsyncEngine, timeout: float, reads: AsyncEngine | None = None) -> None:
        self.engine = engine
        self.timeout = timeout
        # `read`'s pool: one in autocommit and not pinged (a dead connection's read is run again),
        # which saves the ping, BEGIN and ROLLBACK round trips around each read; by default the
        # store's own pool.
        self.reads = reads or engine

    def bounded(self) -> AbstractAsyncContextManager[None]:
        return unavailable_after(self.timeout, "the store", is_outage)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (no commit), within the timeout."""
        async with self.bounded(), self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A transaction, committed when the block ends, all within the timeout."""
        async with self.bounded(), self.engine.begin() as conn:
            yield conn

    async def read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`work` (statements that only read), run again once on a fresh connection if the pooled
        one was dead (run_read), the two within the timeout."""
        async with self.bounded():
            with reading_as("store"):  # for metrics and traces, whichever pool it runs on
                return await run_read(self.reads, work)

    async def ping(self) -> None:
        """One round trip (readiness)."""
        await self.read(lambda conn: conn.execute(text("SELECT 1")))
