"""No event is lost: delivered to a webhook and to RabbitMQ through outages of both and a restart
of the gateway, at least once and deduplicable by id; once per sink with two relays on one store.

The receivers are real (tests/event_receivers.py): a webhook server and a queue on the machine's
RabbitMQ, each reached through a tests/proxy.Proxy the test cuts; every envelope they get is
checked against docs/events/*.schema.json.
"""

from __future__ import annotations

import json
from collections import Counter

import aio_pika
import pytest
from ventanilla.auth.principals import Principal, PrincipalKind
from ventanilla.events.relay import Relay
from ventanilla.events.sinks import build_sinks
from ventanilla.resolvers.actions import Action, Done, perform
from ventanilla.resolvers.context import request_context
from ventanilla.store.engine import Store, store_engine
from ventanilla.store.events import DomainEvent

from .event_receivers import (
    CUSTOMER,
    SAMPLES,
    Queue,
    Receiver,
    deliveries,
    rabbitmq_queue,
    record,
    sample_events,
    serving,
    settings_for,
    store,
    until,
    webhook_receiver,
)

SINKS = ("crm", "bus")


async def test_amqp_messages_are_persistent_confirmed_and_carry_the_event_s_id_and_type(tmp_path):
    async with store("sqlite", tmp_path) as url, rabbitmq_queue() as queue, \
            serving(settings_for(url, queue=queue)):  # fmt: skip
        # given one event of every type recorded in the store
        events = await record(url, sample_events(len(SAMPLES)), ["bus"])
        # when the relay publishes them
        await until(lambda: len(queue.messages) == len(events), what="every message")
        await until(lambda: _all_delivered(url), what="every publish confirmed")
    # then each is a persistent JSON message with the event's id, type and envelope, routed by its type
    assert [m.message_id for m in queue.messages] == [e.id for e in events]
    for message, event in zip(queue.messages, events):
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert (message.type, message.routing_key, message.content_type) == (event.type, event.type, "application/json")
        assert message.exchange == queue.exchange
        envelope = json.loads(message.body)
        assert (envelope["id"], envelope["type"], envelope["data"]) == (event.id, event.type, dict(event.payload))


async def test_an_event_no_queue_takes_is_retried_not_dropped(tmp_path):
    async with store("sqlite", tmp_path) as url, rabbitmq_queue() as queue:
        # given a routing key no queue is bound for (the test's queue takes every key of its exchange only)
        other = Queue(exchange=f"{queue.exchange}-unbound", url=queue.url)
        async with serving(settings_for(url, queue=other)):
            [event] = await record(url, sample_events(1), ["bus"])
            # then the broker returns it, and the relay keeps it queued with the reason
            [row] = await until(lambda: _tried(url), what="a failed attempt")
    assert row["delivered_at"] is None and row["next_attempt_at"] is not None
    assert "returned" in row["last_error"] and "guest" not in row["last_error"]
    await _delete_exchange(other.exchange)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_receivers_cut_mid_stream_and_a_gateway_restart_lose_no_event(backend, tmp_path):
    async with store(backend, tmp_path) as url, webhook_receiver() as receiver, rabbitmq_queue() as queue:
        settings = settings_for(url, receiver, queue)
        # given both receivers cutting their connection while the 5th event arrives
        receiver.on_hit = _cut_webhook_at(5)
        queue.on_message = _cut_amqp_at(5)
        async with serving(settings):
            first = await record(url, sample_events(12), SINKS)
            await until(lambda: len(receiver.hits) >= 5 and len(queue.messages) >= 5, what="5 deliveries each")
            # when more events are recorded while both are down, and the gateway stops
            second = await record(url, sample_events(6), SINKS)
            await until(lambda: _tried_while_down(url), what="failed attempts while down")
        # and more still while the gateway is down
        third = await record(url, sample_events(6), SINKS)
        assert not await _all_delivered(url)
        # and a new gateway starts on the same store, and the receivers come back
        await receiver.proxy.start()
        await queue.proxy.start()
        async with serving(settings):
            await until(lambda: _all_delivered(url), what="every delivery done")
    # then every event reached both receivers
    recorded = {e.id: e for e in first + second + third}
    assert receiver.delivered_ids() == set(recorded) == queue.ids()
    # and any duplicate carries the same id and the same envelope
    for envelope in receiver.delivered():
        assert envelope["id"] in recorded and envelope["data"] == dict(recorded[envelope["id"]].payload)
    for message in queue.messages:
        assert json.loads(message.body)["id"] == message.message_id
    # and the first delivery to each sink was cut short, so it came (at least) twice
    assert max(Counter(hit.envelope["id"] for hit in receiver.hits if hit.signed).values()) >= 2


@pytest.mark.parametrize("relays", [2])
async def test_two_relays_on_one_store_deliver_each_event_once_per_sink(relays, tmp_path):
    async with store("postgresql", tmp_path) as url, webhook_receiver() as receiver, rabbitmq_queue() as queue:
        settings = settings_for(url, receiver, queue)
        # given two gateways on one PostgreSQL store, both relaying
        async with serving(settings), serving(settings):
            # when 40 events are recorded
            events = await record(url, sample_events(40), SINKS)
            await until(lambda: _all_delivered(url), what="every delivery done")
            await until(lambda: len(queue.messages) >= len(events), what="every message consumed")
        rows = await deliveries(url)
    # then each event reached each sink exactly once
    ids = [e.id for e in events]
    assert sorted(hit.envelope["id"] for hit in receiver.hits) == sorted(ids)
    assert sorted(m.message_id for m in queue.messages) == sorted(ids)
    assert len(rows) == 2 * len(ids) and all(row["attempts"] == 1 for row in rows)


async def test_a_relay_stopping_mid_delivery_gives_its_lease_back_and_the_next_delivers_at_once(tmp_path):
    async with store("sqlite", tmp_path) as url, webhook_receiver() as receiver:
        # given a receiver that accepts connections and never answers, and a long timeout
        await receiver.proxy.blackhole()
        settings = settings_for(url, receiver, events_timeout_seconds=60.0)
        engine = store_engine(url, 2, 3.0)
        relay = Relay(Store(engine, 3.0), settings, build_sinks(settings))
        relay.start()
        [event] = await record(url, sample_events(1), ["crm"])
        relay.wake()
        await until(lambda: _leased(url), what="a delivery under way")
        # when the relay stops before the receiver answers
        await relay.stop(grace=0.2)
        # then the delivery is free again, due at once, the attempt counted
        [row] = await deliveries(url)
        assert row["claimed_until"] is None and row["next_attempt_at"] is not None and row["attempts"] == 1
        # and the next relay, with the receiver back, delivers it without waiting for a lease to run out
        await receiver.proxy.restore()
        nxt = Relay(Store(engine, 3.0), settings, build_sinks(settings))
        nxt.start()
        await until(lambda: receiver.delivered_ids() == {event.id}, seconds=10, what="the delivery")
        await nxt.stop()
        await engine.dispose()


def _cut_webhook_at(n: int):  # noqa: ANN202
    async def cut(receiver: Receiver) -> None:
        if len(receiver.hits) == n:
            await receiver.proxy.stop()  # before this answer goes out: the relay never hears the 200

    return cut


def _cut_amqp_at(n: int):  # noqa: ANN202
    async def cut(queue: Queue) -> None:
        if len(queue.messages) == n:
            await queue.proxy.stop()

    return cut


async def _all_delivered(url: str) -> bool:
    rows = await deliveries(url)
    return bool(rows) and all(row["delivered_at"] is not None for row in rows)


async def _tried(url: str) -> list[dict]:
    return [row for row in await deliveries(url) if row["last_error"]]


async def _tried_while_down(url: str) -> bool:
    sinks = {row["sink"] for row in await deliveries(url) if row["last_error"]}
    return sinks == set(SINKS)


async def _leased(url: str) -> bool:
    return any(row["claimed_until"] is not None for row in await deliveries(url))


async def _delete_exchange(name: str) -> None:
    from .event_receivers import RABBITMQ

    connection = await aio_pika.connect(RABBITMQ)
    channel = await connection.channel()
    await channel.exchange_delete(name)
    await connection.close()


async def test_an_action_s_event_is_owed_to_every_sink_and_delivered_as_soon_as_it_commits(tmp_path):
    async with store("sqlite", tmp_path) as url, webhook_receiver() as receiver, rabbitmq_queue() as queue:
        # given a gateway whose relay polls only every 10 minutes: only the action's wake-up brings
        # its event out while the test waits
        async with serving(settings_for(url, receiver, queue, events_poll_seconds=600.0)) as client:
            ana = Principal(PrincipalKind.CUSTOMER, user_id=2, name=CUSTOMER[0], customer_ids=("1",))
            ctx = request_context(client.app.state.services, ana)
            kind, payload = SAMPLES[0]

            async def work(conn) -> Done:  # noqa: ANN001 - the action's transaction
                return Done(answer={"id": "T-1"}, events=[DomainEvent(type=kind, customer_id="1", payload=payload)],
                            object_id="T-1")  # fmt: skip

            # when a portal action that produces an event is performed
            await perform(ctx, Action("createTicket", "1", {"subject": "Sin servicio"}), work)
            # then the event reaches both sinks, told who acted
            await until(lambda: receiver.delivered() and queue.messages, what="the event at both sinks")
            assert {row["sink"] for row in await deliveries(url)} == set(SINKS)
    [envelope] = receiver.delivered()
    assert (envelope["type"], envelope["customerId"], envelope["actor"]) == (kind, "1", "customer:2")
    assert [m.message_id for m in queue.messages] == [envelope["id"]]


async def test_a_gateway_stopping_delivers_what_is_due_before_it_exits(tmp_path):
    async with store("sqlite", tmp_path) as url, webhook_receiver() as receiver:
        # given a gateway whose relay polls only every 10 minutes, and events recorded by another instance
        async with serving(settings_for(url, receiver, events_poll_seconds=600.0)):
            events = await record(url, sample_events(5), ["crm"])
            # when it stops (the lifespan's shutdown)
        # then it delivered them on its way out, in order
        assert [hit.envelope["id"] for hit in receiver.hits] == [e.id for e in events]
        assert await _all_delivered(url)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_relay_whose_lease_ran_out_cannot_settle_what_another_did_even_after_a_resend(backend, tmp_path):
    from datetime import timedelta

    from sqlalchemy.ext.asyncio import create_async_engine
    from ventanilla.store import events as outbox
    from ventanilla.store.access import now

    async with store(backend, tmp_path) as url:
        [event] = await record(url, sample_events(1), ["crm"])
        engine = create_async_engine(url)
        start, lease = now(), timedelta(seconds=40)
        async with engine.begin() as conn:
            # given relay A claims the delivery and hangs past its lease
            stale = await outbox.claim(conn, event.id, "crm", start, start + lease)
            assert stale is not None and await outbox.claim(conn, event.id, "crm", start, start + lease) is None
            # and relay B claims it once the lease ran out, and delivers it
            later = start + lease + timedelta(seconds=1)
            b = await outbox.claim(conn, event.id, "crm", later, later + lease)
            assert b is not None and b.attempts == 2 and await outbox.mark_delivered(conn, b, later)
            # and an admin resends it, and relay C claims it: attempt 1 again
            assert await outbox.resend(conn, event.id, None, later) == ["crm"]
            c = await outbox.claim(conn, event.id, "crm", later, later + lease + timedelta(seconds=2))
            assert c is not None and c.attempts == stale.attempts == 1
            # when relay A comes back and settles its attempt
            # then nothing changes: the delivery is C's
            assert not await outbox.mark_dead(conn, stale, later, "HTTP 500")
            assert not await outbox.release(conn, stale)
            assert await outbox.mark_delivered(conn, c, later)
        [row] = await deliveries(url)
        assert row["dead_at"] is None and row["delivered_at"] is not None and row["claimed_until"] is None
        await engine.dispose()
