"""What a sink is to the relay, and the sinks `[events.sinks.<name>]` configures.

A sink delivers one event (`deliver`), raising `DeliveryFailed` (or any error) when it was not
taken: the relay retries it. What a failure says is kept as the delivery's `last_error` and
logged, so `describe` strips whatever a sink must keep secret: its URL (which may carry a
password or a token) and its signing key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Protocol

from ..settings import AmqpSink, EventSink, Settings, WebhookSink
from ..store.events import DomainEvent

CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)  # scheme://user:password@


class DeliveryFailed(Exception):
    """The sink did not take the event (a refusal, a non-2xx answer, a nack): try again later."""


class Sink(Protocol):
    name: str
    secrets: tuple[str, ...]  # what no error of this sink may show

    async def deliver(self, event: DomainEvent, attempt: int) -> None: ...

    async def close(self) -> None: ...


def body(event: DomainEvent) -> bytes:
    """The envelope as every sink sends it: compact UTF-8 JSON (docs/events/envelope.schema.json)."""
    return json.dumps(event.envelope(), ensure_ascii=False, separators=(",", ":"), default=str).encode()


def describe(error: BaseException, secrets: Iterable[str] = ()) -> str:
    """What went wrong, at most 200 characters, without credentials in URLs or any of `secrets`."""
    if isinstance(error, TimeoutError):
        return "no answer in time"
    text = str(error) if isinstance(error, DeliveryFailed) else f"{type(error).__name__}: {error}".strip()
    text = text.rstrip(":").strip() or type(error).__name__
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return CREDENTIALS.sub(r"\1***@", text)[:200]


def build_sinks(settings: Settings) -> dict[str, Sink]:
    """The configured sinks by name (their connections open at the first delivery)."""
    return {name: _build(name, config, settings.events_timeout_seconds) for name, config in settings.event_sinks.items()}


def _build(name: str, config: EventSink, timeout: float) -> Sink:
    if isinstance(config, WebhookSink):
        from .webhook import Webhook

        return Webhook(name, config.url.get_secret_value(), config.signing_key(), timeout)
    assert isinstance(config, AmqpSink)
    from .amqp import AmqpPublisher

    return AmqpPublisher(name, config.url.get_secret_value(), config.exchange, config.routing_key,
                         config.mandatory, timeout)  # fmt: skip


def secrets_of(url: str) -> tuple[str, ...]:
    """The URL itself, its password and its query (where tokens travel): none may be shown."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (url, *(secret for secret in (parts.password, parts.query) if secret))
