"""What the layers below the web tell the observers (web/metrics.py, web/tracing.py), without
knowing them: which configured database an engine is, and each loader batch.

Nobody watching (metrics and tracing off, the default), a batch costs one check of an empty
list and an engine's name is never looked up.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

# The sync engine of each AsyncEngine the app opened -> its name: "store", "billing" (the
# store's tables read as the native source), "sources.<name>" (a configured legacy source).
_DATABASES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

# Each observer wraps a batch: observer(loader name, number of keys) is entered around it.
BatchObserver = Callable[[str, int], AbstractAsyncContextManager[None]]
_BATCH_OBSERVERS: list[BatchObserver] = []


def name_databases(engines: Mapping[str, AsyncEngine]) -> None:
    """Say what each engine of the app is (labels and span attributes are these names, never a URL)."""
    for name, engine in engines.items():
        _DATABASES[engine.sync_engine] = name


def database_of(engine: Engine) -> str | None:
    """The name given to `engine` (a SQLAlchemy event's `conn.engine`), None for an unnamed one."""
    return _DATABASES.get(engine)


def watch_batches(observer: BatchObserver) -> None:
    """Have `observer` wrap every loader batch from now on (once, however often it is asked)."""
    if observer not in _BATCH_OBSERVERS:
        _BATCH_OBSERVERS.append(observer)


async def run_batch(name: str, keys: int, work: Callable[[], Awaitable[T]]) -> T:
    """`work()`, one loader batch of `keys` keys, inside every observer's context."""
    if not _BATCH_OBSERVERS:
        return await work()
    async with AsyncExitStack() as stack:
        for observer in _BATCH_OBSERVERS:
            await stack.enter_async_context(observer(name, keys))
        return await work()


def loader_name(fetch: Any) -> str:
    """A loader's name for metrics and spans: its source method's (`invoices_of`), a bounded set."""
    name = getattr(fetch, "__name__", None) or getattr(getattr(fetch, "func", None), "__name__", None)
    return str(name or "loader")
