"""Stripe Checkout: a Checkout Session through the official `stripe` library, signed webhooks.

- `start` creates a session (`mode=payment`, one line item with `price_data`: currency, unit_amount
  in the currency's minor units — none for zero-decimal currencies such as JPY or CLP, three for
  BHD, KWD ... —, product name), `success_url`, `cancel_url`, `client_reference_id` and
  `metadata[reference]`; the session's `url` is where the customer pays.
- A webhook is verified by the library (`stripe.Webhook.construct_event`: the Stripe-Signature
  header `t=...,v1=...`, HMAC-SHA256 of `<t>.<body>` with the endpoint secret, the timestamp
  within `tolerance`, 300 s by default).
- Events: `checkout.session.completed` is APPROVED only when `payment_status == "paid"` (a
  delayed method, e.g. a bank debit, completes unpaid: PENDING until
  `checkout.session.async_payment_succeeded` → APPROVED or `..._failed` → REJECTED);
  `checkout.session.expired` → EXPIRED; any other type is nothing to record ([]).
  The Confirmation's provider_payment_id is the session id, so the several events of one
  payment are one payment to the caller; event_id is the event's `evt_...`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

from ..settings import PaymentOption, StripeProvider
from .base import (
    Checkout,
    CheckoutRequest,
    Confirmation,
    InvalidNotification,
    Notification,
    Outcome,
    ProviderUnavailable,
    Reply,
)

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE

# Stripe's documented currency exponents that differ from two (docs "Supported currencies").
ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

_HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def exponent(currency: str) -> int:
    """How many decimals Stripe's amounts of this currency carry."""
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def minor_units(amount: Decimal, currency: str) -> int:
    """An amount in the integer units Stripe's API expects (1234.50 EUR → 123450, 1500 JPY → 1500)."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    places = exponent(currency)
    return Decimal(value).scaleb(-places).quantize(Decimal(1).scaleb(-max(places, 2)))


def _outcome(event_type: str, session: dict[str, Any]) -> Outcome:
    if event_type == "checkout.session.completed":
        return Outcome.APPROVED if session.get("payment_status") == "paid" else Outcome.PENDING
    if event_type == "checkout.session.async_payment_succeeded":
        return Outcome.APPROVED
    if event_type == "checkout.session.async_payment_failed":
        return Outcome.REJECTED
    return Outcome.EXPIRED


def _session_outcome(session: dict[str, Any]) -> Outcome:
    """What a retrieved session says now (reconcile)."""
    if session.get("payment_status") == "paid":
        return Outcome.APPROVED
    if session.get("status") == "expired":
        return Outcome.EXPIRED
    return Outcome.PENDING


class StripeCheckout:
    """One [payments.providers.<name>] of kind "stripe"."""

    kind = "stripe"
    can_look_up = True

    def __init__(
        self,
        name: str,
        config: StripeProvider,
        *,
        api_key: str,
        webhook_secret: str,
        tolerance: int = TOLERANCE_SECONDS,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.display_name = config.display_name
        self.options: frozenset[PaymentOption] = frozenset(config.options)
        self.currencies = frozenset(code.upper() for code in config.currencies)
        self.secrets: tuple[str, ...] = (api_key, webhook_secret)
        self._secret = webhook_secret
        self._tolerance = tolerance
        self._http = stripe.HTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": config.api_url.rstrip("/")} if config.api_url else {},
            http_client=self._http,
            max_network_retries=1,
        )

    async def start(self, request: CheckoutRequest) -> Checkout:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": minor_units(request.amount, request.currency),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.failure_url,
            "client_reference_id": request.reference,
            "metadata": {"reference": request.reference},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        try:
            session = await self._client.v1.checkout.sessions.create_async(params)  # type: ignore[arg-type]
        except stripe.StripeError as error:
            raise ProviderUnavailable(
                f"Stripe did not create the session: {type(error).__name__}"
                f" ({error.http_status or 'no answer'})"
            ) from None
        if not session.url:
            raise ProviderUnavailable("Stripe answered a session without a url")
        return Checkout(redirect_url=session.url, provider_reference=session.id)

    async def verify(self, notification: Notification) -> list[Confirmation]:
        header = notification.headers.get("stripe-signature")
        if not header:
            raise InvalidNotification("missing Stripe-Signature header")
        try:
            event = stripe.Webhook.construct_event(
                notification.body, header, self._secret, tolerance=self._tolerance
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidNotification(f"Stripe-Signature refused: {error.user_message}") from None
        except ValueError:
            raise InvalidNotification("the body is not a Stripe event") from None
        if event.type not in _HANDLED:
            return []
        # The library checked these very bytes; read them as plain JSON, the event's documented shape.
        document = json.loads(notification.body)
        session = document.get("data", {}).get("object", {})
        if session.get("object") != "checkout.session" or session.get("mode") != "payment":
            return []
        confirmation = self._confirmation(session, _outcome(event.type, session))
        if confirmation is None:
            return []
        created = document.get("created")
        return [
            Confirmation(
                provider_payment_id=confirmation.provider_payment_id,
                reference=confirmation.reference,
                outcome=confirmation.outcome,
                amount=confirmation.amount,
                currency=confirmation.currency,
                occurred_at=datetime.fromtimestamp(created, UTC) if created else None,
                provider_status=f"{event.type}:{session.get('payment_status')}",
                event_id=event.id,
            )
        ]

    def _confirmation(self, session: dict[str, Any], outcome: Outcome) -> Confirmation | None:
        reference = session.get("client_reference_id") or (session.get("metadata") or {}).get("reference")
        currency = str(session.get("currency") or "")
        if not reference or session.get("amount_total") is None or not currency:
            log.warning("Stripe session %s is none of our checkouts", session.get("id"))
            return None
        return Confirmation(
            provider_payment_id=str(session["id"]),
            reference=str(reference),
            outcome=outcome,
            amount=from_minor_units(int(session["amount_total"]), currency),
            currency=currency.upper(),
            provider_status=str(session.get("payment_status") or ""),
        )

    def reply(self, confirmations: list[Confirmation]) -> Reply:
        return Reply(status=200, body=b'{"received": true}', content_type="application/json")

    async def look_up(self, reference: str, provider_reference: str | None) -> Confirmation | None:
        """The session as Stripe has it now (sessions are found by id: None without one)."""
        if not provider_reference:
            return None
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(provider_reference)
        except stripe.InvalidRequestError as error:
            if error.http_status == 404:
                return None
            raise ProviderUnavailable(f"Stripe refused the look-up ({error.http_status})") from None
        except stripe.StripeError as error:
            raise ProviderUnavailable(f"Stripe did not answer the look-up: {type(error).__name__}") from None
        document = session.to_dict()
        confirmation = self._confirmation(document, _session_outcome(document))
        if confirmation is None or confirmation.reference != reference:
            return None
        return confirmation

    async def close(self) -> None:
        await self._http.close_async()
