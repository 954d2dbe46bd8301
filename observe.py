"""What the layers below the web tell the observers (web/metrics.py, web/tracing.py), without
knowing them: which configured database an engine is, each loader batch, and each attempt at
delivering an event to a sink or an email (events/relay.py, auth/outbox.py), and each failed
sign-in (auth/flows.py, auth/partners.py).

Nobody watching (metrics and tracing off, the default), a batch costs one check of an empty
list and an engine's name is never looked up.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")

# The sync engine of each AsyncEngine the app opened -> its name: "store", "billing" (the
# store's tables read as the native source), "sources.<name>" (a configured legacy source).
_DATABASES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
# The name a pool shared by two uses goes by for the statements run now (`reading_as`).
_READING_AS: ContextVar[str | None] = ContextVar("ventanilla_reading_as", default=None)

# Each observer wraps a batch: observer(loader name, number of keys) is entered around it.
BatchObserver = Callable[[str, int], AbstractAsyncContextManager[None]]
_BATCH_OBSERVERS: list[BatchObserver] = []


def name_databases(engines: Mapping[str, AsyncEngine]) -> None:
    """Say what each engine of the app is (labels and span attributes are these names, never a URL)."""
    for name, engine in engines.items():
        _DATABASES[engine.sync_engine] = name


def database_of(engine: Engine) -> str | None:
    """The name given to `engine` (a SQLAlchemy event's `conn.engine`), None for an unnamed one,
    or the name the statements run now go by (`reading_as`)."""
    name = _DATABASES.get(engine)
    return name if name is None else (_READING_AS.get() or name)


@contextmanager
def reading_as(name: str) -> Iterator[None]:
    """Name the statements run inside (in this task) `name`, whatever pool they run on: the
    store's reads go through the billing reads' pool (store/engine.py) and are still "store"."""
    token = _READING_AS.set(name)
    try:
        yield
    finally:
        _READING_AS.reset(token)


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


class Delivery:
    """One attempt at delivering something the app queued (an event to a sink, an email), as its
    observers see it: its kind, attributes of bounded values (never an address or a payload),
    and the outcome the worker sets before the attempt ends ("delivered", "retry", "dead" ...)."""

    __slots__ = ("attributes", "kind", "outcome")

    def __init__(self, kind: str, attributes: Mapping[str, str | int]) -> None:
        self.kind = kind
        self.attributes = dict(attributes)
        self.outcome = "unknown"


# Each observer wraps a delivery attempt: observer(delivery) is entered around it.
DeliveryObserver = Callable[[Delivery], AbstractAsyncContextManager[None]]
_DELIVERY_OBSERVERS: list[DeliveryObserver] = []


def watch_deliveries(observer: DeliveryObserver) -> None:
    """Have `observer` wrap every delivery attempt from now on (once, however often it is asked)."""
    if observer not in _DELIVERY_OBSERVERS:
        _DELIVERY_OBSERVERS.append(observer)


@asynccontextmanager
async def delivery(kind: str, **attributes: str | int) -> AsyncIterator[Delivery]:
    """`async with delivery("event", sink=..., event_type=...) as attempt: ...; attempt.outcome = ...`"""
    attempt = Delivery(kind, attributes)
    if not _DELIVERY_OBSERVERS:
        yield attempt
        return
    async with AsyncExitStack() as stack:
        for observer in _DELIVERY_OBSERVERS:
            await stack.enter_async_context(observer(attempt))
        yield attempt


# Each observer is told of every failed sign-in: observer(method, reason), both of a bounded set.
SignInObserver = Callable[[str, str], None]
_SIGN_IN_OBSERVERS: list[SignInObserver] = []


def watch_sign_ins(observer: SignInObserver) -> None:
    """Have `observer` told of every failed sign-in from now on (once, however often it is asked)."""
    if observer not in _SIGN_IN_OBSERVERS:
        _SIGN_IN_OBSERVERS.append(observer)


def sign_in_failed(method: str, reason: str) -> None:
    """A sign-in failed (auth/flows.py, auth/partners.py): `method` is password, code or partner;
    `reason` what refused it (bad_password, unknown_login, rate_limited, bad_code, access_revoked ...)."""
    for observer in _SIGN_IN_OBSERVERS:
        observer(method, reason)
