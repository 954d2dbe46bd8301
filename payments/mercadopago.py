"""Mercado Pago Checkout Pro: a preference to pay at, x-signature webhooks, the payment fetched by id.

The provider's documented flow (developers' "Checkout Pro" and "Notifications / Webhooks" pages):

- `start` POSTs `/checkout/preferences` (Bearer access token) with one item (title, quantity 1,
  unit_price, currency_id), `external_reference` = our reference, `notification_url`, `back_urls`
  (success, failure, pending) and `auto_return = "approved"`; the answer's `init_point` is where
  the customer pays, its `id` the preference.
- A webhook is a POST with `?data.id=<id>&type=payment` and a JSON body (`type`, `action`,
  `data.id`), signed in `x-signature: ts=<unix time>,v1=<hex>` with `x-request-id`: `v1` is the
  HMAC-SHA256, with the application's webhook secret, of the manifest
  `id:<data.id of the query, lower-cased if alphanumeric>;request-id:<x-request-id>;ts:<ts>;`.
  A `ts` more than `tolerance` seconds away from now is refused (a replayed old delivery).
- A notification only says that a payment changed: `verify` fetches `GET /v1/payments/{id}` and
  builds the Confirmation from what the API says (status, transaction_amount, currency_id,
  external_reference, date_approved), never from the notification's body.

The older IPN feed (`?topic=...&id=...`, unsigned) that also reaches a preference's
notification_url is answered 200 and never acted on.

Statuses: approved → APPROVED; rejected, cancelled → REJECTED; pending, in_process, authorized →
PENDING. refunded, charged_back (and in_mediation) are money given back or disputed after an
approval: they are not a payment to record, so `verify` answers [] for them (logged at WARNING);
the business handles a refund in its own books.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ..settings import MercadoPagoProvider, PaymentOption
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

API_URL = "https://api.mercadopago.com"  # the provider's production API
TOLERANCE_SECONDS = 300

log = logging.getLogger(__name__)

_OUTCOMES = {
    "approved": Outcome.APPROVED,
    "rejected": Outcome.REJECTED,
    "cancelled": Outcome.REJECTED,
    "pending": Outcome.PENDING,
    "in_process": Outcome.PENDING,
    "authorized": Outcome.PENDING,
}
_NOT_RECORDED = {"refunded", "charged_back", "in_mediation"}


def manifest(data_id: str, request_id: str, ts: str) -> str:
    """The text Mercado Pago signs for one notification (the documented template)."""
    if data_id.isalnum():
        data_id = data_id.lower()
    return f"id:{data_id};request-id:{request_id};ts:{ts};"


def signature(secret: str, data_id: str, request_id: str, ts: str) -> str:
    """`v1` of x-signature: HMAC-SHA256 of the manifest with the webhook secret, hex."""
    text = manifest(data_id, request_id, ts).encode()
    return hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()


def _signature_parts(header: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in header.split(","):
        key, sep, value = piece.partition("=")
        if sep:
            parts[key.strip()] = value.strip()
    return parts


def _seconds(ts: str) -> float:
    """x-signature's ts as Unix seconds (documented in seconds; some deliveries carry milliseconds)."""
    value = int(ts)
    return value / 1000 if value > 10**11 else float(value)


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class MercadoPago:
    """One [payments.providers.<name>] of kind "mercadopago"."""

    kind = "mercadopago"
    can_look_up = True

    def __init__(
        self,
        name: str,
        config: MercadoPagoProvider,
        *,
        access_token: str,
        webhook_secret: str,
        tolerance: float = TOLERANCE_SECONDS,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.display_name = config.display_name
        self.options: frozenset[PaymentOption] = frozenset(config.options)
        self.currencies = frozenset(code.upper() for code in config.currencies)
        self.secrets: tuple[str, ...] = (access_token, webhook_secret)
        self._secret = webhook_secret
        self._tolerance = tolerance
        self._clock = clock
        self._client = httpx.AsyncClient(
            base_url=(config.api_url or API_URL).rstrip("/"),
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=timeout,
            follow_redirects=False,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"Mercado Pago did not answer {method} {path}: {type(error).__name__}"
            ) from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise ProviderUnavailable(f"Mercado Pago answered {response.status_code} to {method} {path}")
        return response

    async def start(self, request: CheckoutRequest) -> Checkout:
        preference: dict[str, Any] = {
            "items": [
                {
                    "id": request.reference,
                    "title": request.description,
                    "quantity": 1,
                    "unit_price": float(request.amount),
                    "currency_id": request.currency,
                }
            ],
            "external_reference": request.reference,
            "notification_url": request.notification_url,
            "back_urls": {
                "success": request.success_url,
                "failure": request.failure_url,
                "pending": request.success_url,
            },
            "auto_return": "approved",
        }
        if request.customer_email:
            preference["payer"] = {"email": request.customer_email}
        response = await self._call("POST", "/checkout/preferences", json=preference)
        if response.status_code not in (200, 201):
            raise ProviderUnavailable(f"Mercado Pago refused the preference ({response.status_code})")
        answer = response.json()
        return Checkout(redirect_url=answer["init_point"], provider_reference=str(answer["id"]))

    def _check_signature(self, notification: Notification, data_id: str) -> None:
        header = notification.headers.get("x-signature")
        request_id = notification.headers.get("x-request-id")
        if not header or not request_id:
            raise InvalidNotification("missing x-signature or x-request-id header")
        parts = _signature_parts(header)
        ts, given = parts.get("ts"), parts.get("v1")
        if not ts or not given or not ts.isdigit():
            raise InvalidNotification("x-signature without ts and v1")
        expected = signature(self._secret, data_id, request_id, ts)
        if not hmac.compare_digest(expected, given.lower()):
            raise InvalidNotification("x-signature does not match")
        if abs(self._clock() - _seconds(ts)) > self._tolerance:
            raise InvalidNotification("x-signature timestamp outside the tolerance")

    async def verify(self, notification: Notification) -> list[Confirmation]:
        data_id = notification.query.get("data.id", "")
        if not data_id and notification.query.get("topic"):
            # the older IPN feed (?topic=payment&id=...) that a preference's notification_url also
            # gets: unsigned, so never acted on; the signed webhook of the same payment is
            return []
        if not data_id:
            raise InvalidNotification("no data.id in the query string")
        self._check_signature(notification, data_id)
        try:
            body = json.loads(notification.body or b"{}")
        except ValueError:
            raise InvalidNotification("the body is not JSON") from None
        if not isinstance(body, dict):
            raise InvalidNotification("the body is not a JSON object")
        kind = notification.query.get("type") or body.get("type")
        if kind != "payment":
            return []
        payment = await self._payment(data_id)
        if payment is None:
            log.warning("Mercado Pago notified payment %s, which its API does not know", data_id)
            return []
        confirmation = self._confirmation(payment, event_id=body.get("id"))
        return [confirmation] if confirmation else []

    async def _payment(self, payment_id: str) -> dict[str, Any] | None:
        response = await self._call("GET", f"/v1/payments/{payment_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderUnavailable(f"Mercado Pago answered {response.status_code} for a payment")
        answer = response.json()
        return answer if isinstance(answer, dict) else None

    def _confirmation(self, payment: Mapping[str, Any], event_id: object = None) -> Confirmation | None:
        status = str(payment.get("status") or "")
        reference = payment.get("external_reference")
        if not reference:
            return None  # a payment that is none of our checkouts
        if status in _NOT_RECORDED:
            log.warning("Mercado Pago payment %s is %s: not recorded", payment.get("id"), status)
            return None
        outcome = _OUTCOMES.get(status)
        if outcome is None:
            log.warning("Mercado Pago payment %s has unknown status %r", payment.get("id"), status)
            return None
        try:
            amount = Decimal(str(payment["transaction_amount"])).quantize(Decimal("0.01"))
        except (KeyError, InvalidOperation):
            raise InvalidNotification("the payment has no readable transaction_amount") from None
        occurred = _when(payment.get("date_approved")) or _when(payment.get("date_last_updated"))
        return Confirmation(
            provider_payment_id=str(payment["id"]),
            reference=str(reference),
            outcome=outcome,
            amount=amount,
            currency=str(payment.get("currency_id") or "").upper(),
            occurred_at=occurred,
            provider_status=status,
            event_id=str(event_id) if event_id is not None else None,
        )

    def reply(self, confirmations: list[Confirmation]) -> Reply:
        return Reply(status=200)

    async def look_up(self, reference: str, provider_reference: str | None) -> Confirmation | None:
        """The newest approved payment with this external_reference, else the newest of any status."""
        response = await self._call(
            "GET",
            "/v1/payments/search",
            params={
                "external_reference": reference,
                "sort": "date_created",
                "criteria": "desc",
            },
        )
        if response.status_code != 200:
            raise ProviderUnavailable(f"Mercado Pago answered {response.status_code} to a search")
        results = [
            payment
            for payment in response.json().get("results", [])
            if str(payment.get("external_reference")) == reference
        ]
        results.sort(key=lambda payment: str(payment.get("date_created") or ""), reverse=True)
        approved = [payment for payment in results if payment.get("status") == "approved"]
        for payment in approved or results:
            confirmation = self._confirmation(payment)
            if confirmation is not None:
                return confirmation
        return None

    async def close(self) -> None:
        await self._client.aclose()
