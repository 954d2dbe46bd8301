"""The AMQP sink: each event published to a durable topic exchange on RabbitMQ (aio-pika).

Messages are persistent (delivery mode 2), carry the event's id as `message_id`, its type as
`type`, and go out on a channel with publisher confirms: an event is delivered when the broker
acknowledged it. A nack, a returned message (no queue bound for its routing key, when
`mandatory`), a lost connection or no confirm within [events] timeout_seconds is a failure the
relay retries; the connection is then dropped and opened again at the next delivery.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from pamqp.commands import Basic

from ..store.events import DomainEvent
from .sinks import DeliveryFailed, body, secrets_of


class AmqpPublisher:
    def __init__(
        self, name: str, url: str, exchange: str, routing_key: str | None, mandatory: bool, timeout: float
    ) -> None:
        self.name = name
        self.secrets = secrets_of(url)
        self._url = url
        self._exchange_name = exchange
        self._routing_key = routing_key
        self._mandatory = mandatory
        self._timeout = timeout
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def _ready(self) -> AbstractExchange:
        if self._exchange is None or self._channel is None or self._channel.is_closed:
            await self.close()
            self._connection = await aio_pika.connect(self._url, timeout=self._timeout)
            self._channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchange = await self._channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        return self._exchange

    async def deliver(self, event: DomainEvent, attempt: int) -> None:
        message = aio_pika.Message(
            body(event), content_type="application/json", content_encoding="utf-8",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=event.id, type=event.type,
            timestamp=event.occurred_at, app_id="ventanilla", headers={"attempt": attempt},
        )  # fmt: skip
        async with self._lock:  # one publish at a time on the one channel: confirms in order
            try:
                async with asyncio.timeout(self._timeout):
                    exchange = await self._ready()
                    confirm = await exchange.publish(
                        message, routing_key=self._routing_key or event.type, mandatory=self._mandatory
                    )
            except aio_pika.exceptions.DeliveryError as error:  # the channel stays usable
                raise DeliveryFailed(f"the broker did not take it: {_reply(error)}") from None
            except BaseException:
                await self.close()  # a half-dead connection is not reused
                raise
        if not isinstance(confirm, Basic.Ack):
            raise DeliveryFailed(f"the broker did not confirm it ({type(confirm).__name__})")

    async def close(self) -> None:
        connection, self._connection, self._channel, self._exchange = self._connection, None, None, None
        if connection is not None:
            with suppress(Exception):
                async with asyncio.timeout(self._timeout):
                    await connection.close()


def _reply(error: aio_pika.exceptions.DeliveryError) -> str:
    frame = getattr(error, "frame", None)
    if isinstance(frame, Basic.Return):
        return f"returned, {frame.reply_text} (no queue bound for its routing key?)"
    return type(frame).__name__ if frame is not None else "nack"
