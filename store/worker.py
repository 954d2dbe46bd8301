"""What the app's two queue workers share: the event relay (events/relay.py) and the mail worker
(auth/outbox.py) each deliver rows the store keeps, claimed by a lease, retried with backoff.

`PollingWorker` is their loop: one task per application (`start`, in the app's lifespan), woken
in process right after something was queued (`wake`), and polling every `poll_seconds` for what
other instances queued or what is due for a retry. Each pass is `deliver_due()`, which answers
the seconds until the soonest retry it scheduled (0 when more is due at once, None when nothing
waits on this worker). A store outage is one warning line per pass and the worker carries on
once it is back; a bug is logged with its traceback and the worker carries on too.

On `stop(grace)` a worker with `flush_on_stop` (the relay) goes on passing while something is due
at once, within the grace; one without (the mail worker) ends after the pass under way. Past the
grace the task is cancelled: what it held is left to its lease (or given back by the subclass).
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from contextlib import suppress
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from .engine import StoreUnavailable

LONGEST_WAIT = timedelta(hours=1)  # the backoff stops doubling here
# The store is unreachable: one warning line per pass, and the worker carries on once it is back.
STORE_OUTAGES = (StoreUnavailable, SQLAlchemyError, OSError, TimeoutError)


def backoff(first_seconds: float, attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: doubling from `first_seconds`, at most an hour,
    spread ±50% so what failed together does not all come back together."""
    doubled = first_seconds * 2 ** min(attempts - 1, 30)
    return min(timedelta(seconds=doubled * random.uniform(0.5, 1.5)), LONGEST_WAIT)


class PollingWorker(ABC):
    """The loop of a queue worker; subclasses say what one pass delivers (`deliver_due`) and how
    often to look when nothing wakes it (`poll_seconds`)."""

    name = "ventanilla-worker"  # the task's name
    what = "the queue"  # how its log lines name what it delivers ("events", "outgoing mail")
    flush_on_stop = False  # on stop, go on while something is due at once (within the grace)

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    @abstractmethod
    def poll_seconds(self) -> float:
        """Seconds between passes when nothing was queued meanwhile."""

    def runs(self) -> bool:
        """Whether `start` starts it (the relay needs a sink)."""
        return True

    @abstractmethod
    async def deliver_due(self) -> float | None:
        """One pass: deliver what is due; the seconds until the next is due, if known."""

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None and self.runs():
            self._stopping = False
            self._task = asyncio.create_task(self._work(), name=self.name)

    async def stop(self, grace: float = 5.0) -> None:
        """Let the pass under way finish (and, with `flush_on_stop`, what is due) within `grace`
        seconds, then cancel it."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _work(self) -> None:
        while not (self._stopping and not self.flush_on_stop):
            self._wake.clear()
            wait = self.poll_seconds
            soonest: float | None = None
            try:
                soonest = await self.deliver_due()
                if soonest is not None:
                    wait = min(wait, soonest)
            except STORE_OUTAGES as error:
                self.log.warning(
                    "%s: the store failed (%s); trying again in %.0f s", self.what, type(error).__name__, wait
                )
            except Exception:  # noqa: BLE001 - a bug must not stop the worker for good
                self.log.exception("%s: unexpected failure; trying again in %.0f s", self.what, wait)
            if self._stopping and self.flush_on_stop and soonest != 0.0:
                return  # flushed: nothing more is due now
            if wait > 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
