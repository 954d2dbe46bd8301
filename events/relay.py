"""The relay: delivers the outbox of domain events (store/events.py) to every configured sink.

Each application runs one relay (`start`, in the app's lifespan), on the same loop as the mail
worker (auth/outbox.py; store/worker.py): woken in process right after an action commits (`wake`), and polling every
[events] poll_seconds for events recorded by other instances or due for a retry. Each sink is
served by its own task, oldest event first, so a sink that is down delays no other. A delivery
is claimed by a lease (store/events.py), so on one store each is delivered by one relay at a
time; a relay that dies mid-delivery leaves it to be delivered again when the lease runs out.
Delivery is therefore at least once: receivers deduplicate on the event id.

A failure is retried with exponential backoff and jitter (from [events] retry_seconds, at most
an hour); after [events] max_attempts the delivery is dead (`dead_at`), audited EVENT_DEAD,
listed in `eventDeliveries` and re-sendable (`resendEvent`, `ventanilla events resend`). After
a failure a sink rests until the next pass, so a sink that is down is tried once per pass, not
once per waiting event. On shutdown the relay delivers what is due within a short grace period,
then gives back the leases it holds, so the next instance delivers those at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta

from ..observe import delivery
from ..settings import Settings
from ..store import events as outbox
from ..store.access import audit, now
from ..store.engine import Store
from ..store.worker import STORE_OUTAGES, PollingWorker, backoff
from .sinks import Sink, describe

log = logging.getLogger("ventanilla.events")

BATCH = 50  # deliveries one pass claims per sink, one after the other


class Relay(PollingWorker):
    """One per application: delivers every due event to each sink in `sinks` (its loop:
    store/worker.py, flushing what is due on stop)."""

    name = "ventanilla-relay"
    what = "events"
    flush_on_stop = True

    def __init__(self, store: Store, settings: Settings, sinks: Mapping[str, Sink]) -> None:
        super().__init__(log)
        self.store = store
        self.settings = settings
        self.sinks = dict(sinks)
        self._held: dict[tuple[str, str], outbox.ClaimedDelivery] = {}  # leases this relay holds

    @property
    def lease(self) -> timedelta:
        """Long enough for one delivery (bounded by its timeout) and the update that settles it."""
        return timedelta(seconds=self.settings.events_timeout_seconds + 30)

    @property
    def poll_seconds(self) -> float:
        return self.settings.events_poll_seconds

    def runs(self) -> bool:
        return bool(self.sinks)

    async def stop(self, grace: float = 5.0) -> None:
        """Deliver what is due within `grace` seconds, cancel what is still under way, give its
        leases back, and close the sinks' connections."""
        await super().stop(grace)
        await self._release()
        for sink in self.sinks.values():
            with suppress(Exception):
                await sink.close()

    async def deliver_due(self) -> float | None:
        """One pass over every sink; the seconds until the soonest retry it scheduled, 0 when more
        is due at once, None when nothing waits on this relay."""
        passes = await asyncio.gather(*(self._deliver_to(sink) for sink in self.sinks.values()),
                                      return_exceptions=True)  # fmt: skip
        for failure in passes:  # every sink's pass is over: now tell of the first failure
            if isinstance(failure, BaseException):
                raise failure
        waits = [wait for wait in passes if isinstance(wait, float)]
        return min(waits) if waits else None

    async def _deliver_to(self, sink: Sink) -> float | None:
        async with self.store.connect() as conn:
            due = await outbox.due(conn, sink.name, now(), BATCH)
        for event_id in due:
            retry = await self._deliver(sink, event_id)
            if retry is not None:
                return retry  # the sink failed: it rests until the next pass
        return 0.0 if len(due) == BATCH else None

    async def _deliver(self, sink: Sink, event_id: str) -> float | None:
        """One attempt at one delivery; the seconds until its retry, if it failed."""
        started = now()
        async with self.store.begin() as conn:
            claimed = await outbox.claim(conn, event_id, sink.name, started, started + self.lease)
        if claimed is None:
            return None  # another relay took it first, or it was settled meanwhile
        key = (event_id, sink.name)
        self._held[key] = claimed
        try:
            retry = await self._attempt(sink, claimed)
        except asyncio.CancelledError:
            raise  # still held: stop() gives the lease back
        except BaseException:
            self._held.pop(key, None)  # the store failed: the lease runs out by itself
            raise
        self._held.pop(key, None)
        return retry

    async def _attempt(self, sink: Sink, claimed: outbox.ClaimedDelivery) -> float | None:
        """One attempt, observed (a span per attempt with tracing on: observe.py, web/tracing.py)."""
        event = claimed.event
        async with delivery("event", sink=sink.name, event_type=event.type, event_id=event.id,
                            attempt=claimed.attempts) as attempt:  # fmt: skip
            try:
                async with asyncio.timeout(self.settings.events_timeout_seconds):
                    await sink.deliver(event, claimed.attempts)
            except Exception as error:  # noqa: BLE001 - any refusal or network failure is retried
                dead = claimed.attempts >= self.settings.events_max_attempts
                attempt.outcome = "dead" if dead else "retry"
                return await self._failed(claimed, describe(error, sink.secrets))
            async with self.store.begin() as conn:
                await outbox.mark_delivered(conn, claimed, now())
            attempt.outcome = "delivered"
            return None

    async def _failed(self, claimed: outbox.ClaimedDelivery, error: str) -> float:
        event = claimed.event
        if claimed.attempts >= self.settings.events_max_attempts:
            async with self.store.begin() as conn:
                if await outbox.mark_dead(conn, claimed, now(), error):
                    await audit(conn, "EVENT_DEAD", "GAVE_UP", actor="relay", customer_id=event.customer_id,
                                object_id=event.id, detail=f"{event.type} to {claimed.sink}, "
                                f"{claimed.attempts} attempt(s): {error}")  # fmt: skip
            log.warning("event %s (%s) to %s dead after %d attempt(s): %s",
                        event.id, event.type, claimed.sink, claimed.attempts, error)  # fmt: skip
            return self.settings.events_poll_seconds
        delay = backoff(self.settings.events_retry_seconds, claimed.attempts)
        async with self.store.begin() as conn:
            await outbox.retry_at(conn, claimed, now() + delay, error)
        log.warning("event %s (%s) to %s not delivered, attempt %d: %s; next in %.1f s",
                    event.id, event.type, claimed.sink, claimed.attempts, error, delay.total_seconds())  # fmt: skip
        return delay.total_seconds()

    async def _release(self) -> None:
        """Give back the leases of deliveries cut short (shutdown): due again for any relay."""
        held, self._held = list(self._held.values()), {}
        if not held:
            return
        try:
            async with self.store.begin() as conn:
                for claimed in held:
                    await outbox.release(conn, claimed)
        except STORE_OUTAGES as error:  # their leases run out by themselves
            log.warning("events: could not give back %d lease(s) (%s)", len(held), type(error).__name__)

