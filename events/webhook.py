"""The webhook sink: each event POSTed as JSON to the business's URL, signed (events/signing.py).

A 2xx answer is delivered; any other status, a redirect, a refused connection or no answer
within [events] timeout_seconds is a failure the relay retries. Redirects are not followed: a
signed body goes only to the URL configured.
"""

from __future__ import annotations

import httpx

from ..store.events import DomainEvent
from .signing import HEADER, sign
from .sinks import DeliveryFailed, body, secrets_of

USER_AGENT = "Ventanilla-Events/1"


class Webhook:
    def __init__(self, name: str, url: str, secret: str, timeout: float) -> None:
        self.name = name
        self.secrets = (*secrets_of(url), secret)
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
