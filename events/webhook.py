"""The webhook sink: each event POSTed as JSON to the business's URL, signed (events/signing.py).

A 2xx answer is delivered; any other status, a redirect, a refused connection or no answer
within [events] timeout_seconds is a failure the relay retries. Redirects are not followed: a
signed body goes only to the URL configured.
"""

from __future__ import annotations

import logging

import httpx

from ..store.events import DomainEvent
from .signing import HEADER, sign
from .sinks import DeliveryFailed, body, secrets_of

USER_AGENT = "Ventanilla-Events/1"


class _Unlogged(logging.Filter):
    """Drops httpx's line about a request (written at INFO with the whole URL) to a webhook whose
    URL holds a secret; web/logs.py also keeps httpx at WARNING in a served process."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        return not any(secret in text for secret in self.secrets)


_UNLOGGED = _Unlogged()
logging.getLogger("httpx").addFilter(_UNLOGGED)


class Webhook:
    def __init__(self, name: str, url: str, secret: str, timeout: float) -> None:
        self.name = name
        self.secrets = (*secrets_of(url), secret)
        _UNLOGGED.secrets.update(secrets_of(url)[1:])  # its password and query, if any
        self._url = url
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def deliver(self, event: DomainEvent, attempt: int) -> None:
        content = body(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Ventanilla-Event-Id": event.id,
            "Ventanilla-Event-Type": event.type,
            "Ventanilla-Delivery-Attempt": str(attempt),
            HEADER: sign(self._secret, content),
        }
        try:
            response = await self._client.post(self._url, content=content, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryFailed("no answer in time") from None
        except httpx.HTTPError as error:  # its text may hold the URL: only its kind
            raise DeliveryFailed(f"{type(error).__name__}: the receiver could not be reached") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
