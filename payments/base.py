"""What a payment provider is to the gateway: start a checkout, verify a notification, look up a payment.

An adapter knows one provider's HTTP API and signature scheme and nothing of the store: it turns
a `CheckoutRequest` into the place the customer is sent (`Checkout`), and a notification the
provider sent (`Notification`, as it arrived) into what the provider verifiably says about a
payment (`Confirmation`), or refuses it (`InvalidNotification`). Recording a confirmation once,
allocating it to invoices and answering the customer are the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Protocol

from ..settings import PaymentOption


@dataclass(frozen=True)
class CheckoutRequest:
    """One payment attempt, as a provider is asked to collect it."""

    reference: str  # our attempt's reference: external_reference, client_reference_id, Ds_Order (4-12 chars, 4 digits first)
    amount: Decimal  # in the currency's units, two decimals, > 0
    currency: str  # ISO 4217 alpha-3: ARS, EUR, USD ...
    description: str  # one line the customer sees at the provider, e.g. "Factura B 0003-00001234"
    notification_url: str  # our notification endpoint for this provider (web/payments.py)
    success_url: str  # where the customer comes back after paying
    failure_url: str  # ... after giving up or being refused
    customer_email: str | None = None


@dataclass(frozen=True)
class Checkout:
    """Where the customer goes to pay."""

    redirect_url: str  # the provider's page (init_point, the session's url); for a form, the gateway's URL
    provider_reference: str | None = None  # the provider's id of the checkout: preference id, session id
    # Fields to POST to `redirect_url` instead of a plain redirect (Redsys): the gateway serves an
    # auto-submitting page with them (web/payments.py) and startPayment answers that page's URL.
    form: Mapping[str, str] | None = None


class Outcome(str, Enum):
    APPROVED = "APPROVED"  # the money is the business's: record and allocate it
    REJECTED = "REJECTED"  # refused by the provider or the bank
    PENDING = "PENDING"  # still in progress (a cash voucher printed, a bank transfer on its way)
    EXPIRED = "EXPIRED"  # the checkout ended unpaid


@dataclass(frozen=True)
class Confirmation:
    """What a provider verifiably says about one payment (signature checked, or fetched from its API)."""

    provider_payment_id: (
        str  # unique per provider: Mercado Pago's payment id, Stripe's session id, Redsys' order
    )
    reference: str  # the attempt's reference it belongs to (as sent in the CheckoutRequest)
    outcome: Outcome
    amount: Decimal
    currency: str  # ISO 4217 alpha-3
    occurred_at: datetime | None = None  # when the provider says it happened (aware), if it says
    provider_status: str = ""  # the provider's own words (approved, paid, Ds_Response 0000 ...) for the audit
    event_id: str | None = None  # the notification's own id where it has one (Stripe's evt_...)


@dataclass(frozen=True)
class Notification:
    """An HTTP request a provider sent to our notification endpoint, as it arrived."""

    headers: Mapping[str, str]  # names lower-cased
    query: Mapping[str, str]
    body: bytes  # raw: signatures cover the exact bytes
    content_type: str = ""


@dataclass(frozen=True)
class Reply:
    """What the notification endpoint answers the provider (each expects its own)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


class InvalidNotification(Exception):
    """Not from the provider, or not readable: a bad or missing signature, a stale timestamp, a
    body that does not parse. Nothing is recorded; the reason (never a secret) goes to the log
    and the audit."""

    def __init__(self, reason: str, reply: Reply | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reply = reply or Reply(status=400, body=reason.encode())


class ProviderUnavailable(Exception):
    """The provider's API did not answer, or answered an error: try again later (startPayment
    answers PAYMENT_PROVIDER_UNAVAILABLE; a notification is answered 5xx so the provider retries)."""


class Provider(Protocol):
    name: str  # as configured: [payments.providers.<name>], what startPayment's `provider` says
    kind: str  # mercadopago, stripe, redsys
    display_name: str
    options: frozenset[PaymentOption]
    currencies: frozenset[str]  # empty: any
    secrets: tuple[str, ...]  # what no log or error may show
    can_look_up: bool  # whether `look_up` asks the provider (reconcile); False: it returns None

    async def start(self, request: CheckoutRequest) -> Checkout:
        """Create the checkout at the provider. Raises ProviderUnavailable."""
        ...

    async def verify(self, notification: Notification) -> list[Confirmation]:
        """What a notification verifiably says: [] when it is about nothing to record (an event type
        we do not handle). Raises InvalidNotification (bad signature ...) or ProviderUnavailable
        (the follow-up fetch failed: the provider will retry)."""
        ...

    def reply(self, confirmations: list[Confirmation]) -> Reply:
        """The answer a verified notification gets (200 with whatever body the provider expects)."""
        ...

    async def look_up(self, reference: str, provider_reference: str | None) -> Confirmation | None:
        """What the provider says now about an attempt (reconcile): None if it knows of no payment."""
        ...

    async def close(self) -> None: ...


@dataclass
class Providers:
    """The configured providers by name (build them with payments.build_providers)."""

    by_name: dict[str, Provider] = field(default_factory=dict)

    def get(self, name: str) -> Provider | None:
        return self.by_name.get(name)

    async def close(self) -> None:
        for provider in self.by_name.values():
            await provider.close()
