"""A local stand-in of Mercado Pago, Stripe and Redsys for the tests and `ventanilla demo` (not a real payment).

It speaks what the adapters speak, in each provider's documented format, on 127.0.0.1:

- Mercado Pago: `POST /checkout/preferences` (Bearer token) answers `id` and `init_point`;
  `GET /v1/payments/{id}` and `GET /v1/payments/search?external_reference=` answer payments.
- Stripe: `POST /v1/checkout/sessions` (form-encoded as the `stripe` library sends it, Bearer key)
  and `GET /v1/checkout/sessions/{id}` answer Checkout Session objects.
- Redsys: `POST /sis/realizarPago` takes the signed form (a bad signature is Redsys' SIS0042).

Each checkout has a page (`/mercadopago/checkout/{id}`, `/stripe/checkout/{id}`, the Redsys form's
answer) labelled "Stand-in for <provider> — not a real payment" with Pay and Refuse buttons.
Paying sends the notification the provider would send, signed with the configured secrets
(Mercado Pago: x-signature over the manifest; Stripe: Stripe-Signature with
checkout.session.completed; Redsys: a form with Ds_Response 0000 signed with the order's key),
then redirects the customer to the success URL; refusing sends a refusal (Mercado Pago rejected,
Stripe checkout.session.expired, Redsys Ds_Response 0190) and goes to the failure URL.

Tests drive it directly: `await standin.pay(reference)` / `refuse` / `notify_*` (each returns the
`Delivery` it sent, or only built with `deliver=False`), `await standin.replay(delivery)` sends the
same bytes again (twice, out of order ...), and `standin.received` lists the API requests it got.
`POST /_standin/pay/{reference}` and `/_standin/refuse/{reference}` do the same over HTTP.

`await start_standin(config)` runs it with uvicorn in the current event loop (`.url`,
`await .stop()`); `run_standin_in_thread(config)` runs it in a thread of its own (`.url`, `.stop()`)
for a process that has no loop to share, such as `ventanilla demo`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..settings import (
    MercadoPagoProvider,
    RedsysProvider,
    Settings,
    StripeProvider,
    secret_value,
)
from . import mercadopago, redsys
from .base import InvalidNotification, Notification

T = TypeVar("T")
LABEL = "Stand-in for {provider} — not a real payment"
_NAMES = {"mercadopago": "Mercado Pago", "stripe": "Stripe", "redsys": "Redsys"}
_ART = timezone(timedelta(hours=-3))  # Mercado Pago writes its dates in the seller's offset


@dataclass(frozen=True)
class StandInConfig:
    """The secrets the stand-in shares with the adapters (the same values as the settings)."""

    mercadopago_access_token: str | None = None
    mercadopago_webhook_secret: str | None = None
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Stripe sends events to the endpoint registered in its dashboard, not one named per session
    stripe_webhook_url: str | None = None
    redsys_secret_key: str | None = None  # base64, as Redsys gives it to the merchant
    redsys_merchant_code: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, stripe_webhook_url: str | None = None) -> StandInConfig:
        """The secrets of the first configured provider of each kind."""
        values: dict[str, str | None] = {"stripe_webhook_url": stripe_webhook_url}
        for config in settings.payment_providers.values():
            if isinstance(config, MercadoPagoProvider) and "mercadopago_access_token" not in values:
                values["mercadopago_access_token"] = secret_value(config, "access_token")
                values["mercadopago_webhook_secret"] = secret_value(config, "webhook_secret")
            elif isinstance(config, StripeProvider) and "stripe_api_key" not in values:
                values["stripe_api_key"] = secret_value(config, "api_key")
                values["stripe_webhook_secret"] = secret_value(config, "webhook_secret")
            elif isinstance(config, RedsysProvider) and "redsys_secret_key" not in values:
                values["redsys_secret_key"] = secret_value(config, "secret_key")
                values["redsys_merchant_code"] = config.merchant_code
        return cls(**values)


@dataclass(frozen=True)
class Received:
    """One API request the stand-in got, as it came (for tests to check what an adapter sent)."""

    provider: str
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    query: dict[str, str]
    body: bytes
    data: Any = None  # the body read: JSON, or the form (Stripe's nested keys unflattened)


@dataclass(frozen=True)
class Delivery:
    """One notification the stand-in built (and sent, unless deliver=False)."""

    provider: str
    reference: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # what the notification URL answered; None: not sent or no answer
    answer: bytes = b""

    def as_notification(self) -> Notification:
        """The request as the gateway's endpoint receives it (what an adapter's verify takes)."""
        return Notification(
            headers={name.lower(): value for name, value in self.headers.items()},
            query=dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True)),
            body=self.body,
            content_type=self.headers.get("Content-Type", ""),
        )


@dataclass
class _Checkout:
    provider: str
    id: str
    reference: str
    data: dict[str, Any]  # the preference / session / decoded Redsys parameters
    payment_ids: list[str] = field(default_factory=list)  # Mercado Pago's payments for it


def _add_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price_data][currency]=eur`) back into objects."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        names = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for name, following in itertools.zip_longest(names, names[1:]):
            index: Any = int(name) if isinstance(node, list) else name
            if following is None:
                if isinstance(node, list):
                    node.extend([None] * (int(index) + 1 - len(node)))
                node[index] = value
                break
            child: Any = [] if following.isdigit() else {}
            if isinstance(node, list):
                node.extend([None] * (int(index) + 1 - len(node)))
                node[index] = node[index] if node[index] is not None else child
            else:
                node.setdefault(index, child)
            node = node[index]
    return root


def _page(provider: str, lines: list[str], pay: str, refuse: str) -> HTMLResponse:
    label = html.escape(LABEL.format(provider=_NAMES[provider]))
    details = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return HTMLResponse(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{label}</title>
<style>body{{font-family:sans-serif;max-width:36rem;margin:3rem auto}}
.banner{{background:#fde68a;padding:1rem;border:2px dashed #b45309}}</style></head>
<body><p class="banner"><strong>{label}</strong></p><h1>{label}</h1>{details}
<form method="post" action="{html.escape(pay)}"><button type="submit" name="pay">Pay</button></form>
<form method="post" action="{html.escape(refuse)}"><button type="submit" name="refuse">Refuse</button></form>
</body></html>"""
    )


class StandIn:
    """The three providers' state and the Starlette app that serves it."""

    def __init__(self, config: StandInConfig) -> None:
        self.config = config
        self.url = ""  # set once the server listens
        self.stripe_webhook_url = config.stripe_webhook_url  # the "registered" endpoint
        self.checkout_delay = 0.0  # seconds a checkout's creation takes: a slow provider, for tests
        self.received: list[Received] = []
        self.deliveries: list[Delivery] = []
        self._checkouts: dict[str, _Checkout] = {}  # by provider id (preference, session, order)
        self._payments: dict[str, dict[str, Any]] = {}  # Mercado Pago payments by id
        self._ids = itertools.count(int(time.time()) % 10**6 * 1000)
        self._client = httpx.AsyncClient(timeout=10.0, follow_redirects=False)
        self._served: Served | None = None
        self.app = Starlette(
            routes=[
                Route("/checkout/preferences", self._mp_preference, methods=["POST"]),
                Route("/v1/payments/search", self._mp_search, methods=["GET"]),
                Route("/v1/payments/{id}", self._mp_payment, methods=["GET"]),
                Route("/v1/checkout/sessions", self._stripe_create, methods=["POST"]),
                Route("/v1/checkout/sessions/{id}", self._stripe_retrieve, methods=["GET"]),
                Route("/sis/realizarPago", self._redsys_form, methods=["POST"]),
                Route("/{provider}/checkout/{id}", self._checkout_page, methods=["GET"]),
                Route("/{provider}/checkout/{id}/{choice}", self._choose, methods=["POST"]),
                Route("/_standin/{choice}/{reference}", self._control, methods=["POST"]),
            ]
        )

    # --- what tests call ---------------------------------------------------------------------

    def requests_to(self, provider: str) -> list[Received]:
        return [request for request in self.received if request.provider == provider]

    def mercadopago_payments(self, reference: str) -> list[dict[str, Any]]:
        """The Mercado Pago payments made for a reference, oldest first."""
        return [p for p in self._payments.values() if p.get("external_reference") == reference]

    def checkout_of(self, reference: str) -> _Checkout:
        for checkout in reversed(self._checkouts.values()):
            if checkout.reference == reference:
                return checkout
        raise KeyError(f"no checkout with reference {reference}")

    async def pay(self, reference: str, *, deliver: bool = True) -> Delivery:
        """The customer paid: the provider's approval notification."""
        checkout = self.checkout_of(reference)
        if checkout.provider == "mercadopago":
            return await self.notify_mercadopago(reference, "approved", deliver=deliver)
        if checkout.provider == "stripe":
            return await self.notify_stripe(reference, "checkout.session.completed", deliver=deliver)
        return await self.notify_redsys(reference, "0000", deliver=deliver)

    async def refuse(self, reference: str, *, deliver: bool = True) -> Delivery:
        """The payment was refused or given up: the provider's notification of it."""
        checkout = self.checkout_of(reference)
        if checkout.provider == "mercadopago":
            return await self.notify_mercadopago(reference, "rejected", deliver=deliver)
        if checkout.provider == "stripe":
            return await self.notify_stripe(reference, "checkout.session.expired", deliver=deliver)
        return await self.notify_redsys(reference, "0190", deliver=deliver)

    async def replay(self, delivery: Delivery) -> Delivery:
        """The very same notification again (providers retry, and deliveries repeat)."""
        return await self._send(replace(delivery, status=None, answer=b""))

    async def notify_mercadopago(
        self,
        reference: str,
        status: str,
        *,
        deliver: bool = True,
        payment_id: str | None = None,
        amount: float | None = None,
        currency: str | None = None,
    ) -> Delivery:
        """A payment of the preference in `status` (approved, rejected, pending, refunded ...),
        then its webhook. `payment_id` updates an existing payment instead of making one; `amount`
        and `currency` make the payment differ from the preference (a mismatch to refuse)."""
        checkout = self.checkout_of(reference)
        item = checkout.data["items"][0]
        now = datetime.now(_ART).isoformat(timespec="milliseconds")
        if payment_id is None:
            payment_id = str(next(self._ids))
            checkout.payment_ids.append(payment_id)
            self._payments[payment_id] = {
                "id": int(payment_id),
                "date_created": now,
                "external_reference": checkout.data.get("external_reference"),
                "transaction_amount": item["unit_price"] * item.get("quantity", 1),
                "currency_id": item.get("currency_id"),
                "description": item.get("title"),
                "payment_method_id": "visa",
                "payment_type_id": "credit_card",
                "order": {"type": "mercadopago", "id": checkout.id},
            }
        payment = self._payments[payment_id]
        action = "payment.updated" if "status" in payment else "payment.created"
        payment.update(status=status, status_detail=status, date_last_updated=now)
        payment["date_approved"] = now if status == "approved" else payment.get("date_approved")
        if amount is not None:
            payment["transaction_amount"] = amount
        if currency is not None:
            payment["currency_id"] = currency
        body = {
            "action": action,
            "api_version": "v1",
            "data": {"id": payment_id},
            "date_created": now,
            "id": next(self._ids),
            "live_mode": False,
            "type": "payment",
            "user_id": "123456789",
        }
        ts, request_id = str(int(time.time())), str(uuid.uuid4())
        secret = self.config.mercadopago_webhook_secret or ""
        headers = {
            "Content-Type": "application/json",
            "x-request-id": request_id,
            "x-signature": f"ts={ts},v1={mercadopago.signature(secret, payment_id, request_id, ts)}",
        }
        url = _add_query(checkout.data["notification_url"], {"data.id": payment_id, "type": "payment"})
        delivery = Delivery("mercadopago", reference, url, headers, json.dumps(body).encode())
        return await self._send(delivery) if deliver else delivery

    async def notify_stripe(
        self,
        reference: str,
        event_type: str,
        *,
        deliver: bool = True,
        payment_status: str | None = None,
        timestamp: int | None = None,
        amount_total: int | None = None,
        currency: str | None = None,
    ) -> Delivery:
        """An event about the session (checkout.session.completed, ..._async_payment_succeeded,
        ..._failed, ...expired) with the session as it is after it, signed in Stripe-Signature.
        `amount_total` / `currency` sign another amount or currency than the session's (a mismatch)."""
        checkout = self.checkout_of(reference)
        session = checkout.data
        if event_type == "checkout.session.completed":
            session.update(status="complete", payment_status=payment_status or "paid")
        elif event_type == "checkout.session.async_payment_succeeded":
            session.update(status="complete", payment_status="paid")
        elif event_type == "checkout.session.async_payment_failed":
            session.update(status="complete", payment_status="unpaid")
        elif event_type == "checkout.session.expired":
            session.update(status="expired", payment_status="unpaid", url=None)
        if session["payment_status"] == "paid" and not session.get("payment_intent"):
            session["payment_intent"] = "pi_" + secrets.token_hex(12)
        created = timestamp or int(time.time())
        signed_changes: dict[str, Any] = {}
        if amount_total is not None:
            signed_changes["amount_total"] = amount_total
        if currency is not None:
            signed_changes["currency"] = currency.lower()
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2024-06-20",
            "created": created,
            "data": {"object": {**session, **signed_changes}},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
        body = json.dumps(event).encode()
        secret = (self.config.stripe_webhook_secret or "").encode()
        signed = hmac.new(secret, f"{created}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Stripe-Signature": f"t={created},v1={signed}"}
        url = self.stripe_webhook_url or ""
        delivery = Delivery("stripe", reference, url, headers, body)
        return await self._send(delivery) if deliver else delivery

    async def notify_redsys(
        self,
        reference: str,
        response: str,
        *,
        deliver: bool = True,
        amount: str | None = None,
        currency: str | None = None,
    ) -> Delivery:
        """The online notification for the order with this Ds_Response (0000 paid, 0190 refused ...);
        `amount` (cents) and `currency` (ISO 4217 numeric) sign other values than the order's."""
        checkout = self.checkout_of(reference)
        sent = checkout.data
        now = datetime.now(ZoneInfo("Europe/Madrid"))  # Redsys dates its notifications in Spain
        parameters = {
            "Ds_Date": now.strftime("%d/%m/%Y").replace("/", "%2F"),
            "Ds_Hour": now.strftime("%H:%M").replace(":", "%3A"),
            "Ds_SecurePayment": "1",
            "Ds_Amount": amount or sent["DS_MERCHANT_AMOUNT"],
            "Ds_Currency": currency or sent["DS_MERCHANT_CURRENCY"],
            "Ds_Order": sent["DS_MERCHANT_ORDER"],
            "Ds_MerchantCode": sent["DS_MERCHANT_MERCHANTCODE"],
            "Ds_Terminal": sent["DS_MERCHANT_TERMINAL"].zfill(3),
            "Ds_Response": response,
            "Ds_MerchantData": "",
            "Ds_TransactionType": "0",
            "Ds_ConsumerLanguage": "1",
            "Ds_AuthorisationCode": f"{secrets.randbelow(10**6):06d}" if response < "0100" else "",
            "Ds_Card_Country": "724",
            "Ds_Card_Brand": "1",
        }
        text = base64.urlsafe_b64encode(json.dumps(parameters).encode()).decode()
        key = redsys.decode_key(self.config.redsys_secret_key or "")
        signature = base64.urlsafe_b64encode(redsys.sign(key, sent["DS_MERCHANT_ORDER"], text))
        form = {
            "Ds_SignatureVersion": redsys.SIGNATURE_VERSION,
            "Ds_MerchantParameters": text,
            "Ds_Signature": signature.decode(),
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        url = sent["DS_MERCHANT_MERCHANTURL"]
        delivery = Delivery("redsys", reference, url, headers, urlencode(form).encode())
        return await self._send(delivery) if deliver else delivery

    async def _send(self, delivery: Delivery) -> Delivery:
        try:
            answer = await self._client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            delivery = replace(delivery, status=answer.status_code, answer=answer.content)
        except httpx.HTTPError:
            delivery = replace(delivery, status=None)
        self.deliveries.append(delivery)
        return delivery

    # --- the providers' APIs -----------------------------------------------------------------

    async def _receive(self, provider: str, request: Request) -> Received:
        body = await request.body()
        data: Any = None
        if body and "json" in request.headers.get("content-type", ""):
            data = json.loads(body)
        elif body:
            data = _unflatten(parse_qsl(body.decode(), keep_blank_values=True))
        received = Received(
            provider,
            request.method,
            request.url.path,
            {name.lower(): value for name, value in request.headers.items()},
            dict(request.query_params),
            body,
            data,
        )
        self.received.append(received)
        return received

    def _bearer(self, request: Request, expected: str | None) -> bool:
        given = request.headers.get("authorization", "")
        return bool(expected) and hmac.compare_digest(given, f"Bearer {expected}")

    async def _mp_preference(self, request: Request) -> Response:
        received = await self._receive("mercadopago", request)
        if not self._bearer(request, self.config.mercadopago_access_token):
            return JSONResponse({"message": "invalid_token", "error": "unauthorized", "status": 401}, 401)
        await asyncio.sleep(self.checkout_delay)
        preference = dict(received.data or {})
        items = preference.get("items") or []
        if not items or not all({"title", "quantity", "unit_price"} <= set(item) for item in items):
            return JSONResponse({"message": "items needed", "error": "bad_request", "status": 400}, 400)
        preference_id = f"123456789-{uuid.uuid4()}"
        link = str(request.base_url).rstrip("/") + f"/mercadopago/checkout/{preference_id}"
        now = datetime.now(_ART).isoformat(timespec="milliseconds")
        preference.update(
            id=preference_id,
            init_point=link,
            sandbox_init_point=link,
            collector_id=123456789,
            date_created=now,
        )
        reference = str(preference.get("external_reference", ""))
        self._checkouts[preference_id] = _Checkout("mercadopago", preference_id, reference, preference)
        return JSONResponse(preference, 201)

    async def _mp_payment(self, request: Request) -> Response:
        await self._receive("mercadopago", request)
        if not self._bearer(request, self.config.mercadopago_access_token):
            return JSONResponse({"message": "invalid_token", "error": "unauthorized", "status": 401}, 401)
        payment = self._payments.get(request.path_params["id"])
        if payment is None:
            return JSONResponse({"message": "Payment not found", "error": "not_found", "status": 404}, 404)
        return JSONResponse(payment)

    async def _mp_search(self, request: Request) -> Response:
        await self._receive("mercadopago", request)
        if not self._bearer(request, self.config.mercadopago_access_token):
            return JSONResponse({"message": "invalid_token", "error": "unauthorized", "status": 401}, 401)
        wanted = request.query_params.get("external_reference")
        results = [
            payment
            for payment in self._payments.values()
            if wanted is None or payment.get("external_reference") == wanted
        ]
        results.sort(key=lambda payment: payment["date_created"], reverse=True)
        if request.query_params.get("criteria") == "asc":
            results.reverse()
        paging = {"total": len(results), "limit": 30, "offset": 0}
        return JSONResponse({"paging": paging, "results": results[:30]})

    def _stripe_error(self, status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, status)

    async def _stripe_create(self, request: Request) -> Response:
        received = await self._receive("stripe", request)
        if not self._bearer(request, self.config.stripe_api_key):
            return self._stripe_error(401, "Invalid API Key provided")
        data = received.data or {}
        lines = data.get("line_items") or []
        try:
            amounts = [
                int(line["price_data"]["unit_amount"]) * int(line.get("quantity", 1)) for line in lines
            ]
            currency = lines[0]["price_data"]["currency"]
        except (KeyError, IndexError, ValueError, TypeError):
            return self._stripe_error(400, "line_items[0][price_data] is incomplete")
        if data.get("mode") != "payment" or not data.get("success_url"):
            return self._stripe_error(400, "mode=payment and success_url are required")
        session_id = "cs_test_" + secrets.token_hex(16)
        now = int(time.time())
        metadata = dict(data.get("metadata") or {})
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": sum(amounts),
            "amount_total": sum(amounts),
            "cancel_url": data.get("cancel_url"),
            "client_reference_id": data.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer_email": data.get("customer_email"),
            "expires_at": now + 24 * 3600,
            "livemode": False,
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": data.get("success_url"),
            "url": str(request.base_url).rstrip("/") + f"/stripe/checkout/{session_id}",
        }
        reference = str(data.get("client_reference_id") or metadata.get("reference") or "")
        self._checkouts[session_id] = _Checkout("stripe", session_id, reference, session)
        return JSONResponse(session)

    async def _stripe_retrieve(self, request: Request) -> Response:
        await self._receive("stripe", request)
        if not self._bearer(request, self.config.stripe_api_key):
            return self._stripe_error(401, "Invalid API Key provided")
        checkout = self._checkouts.get(request.path_params["id"])
        if checkout is None or checkout.provider != "stripe":
            return self._stripe_error(404, "No such checkout.session")
        return JSONResponse(checkout.data)

    async def _redsys_form(self, request: Request) -> Response:
        received = await self._receive("redsys", request)
        form = dict(parse_qsl(received.body.decode(), keep_blank_values=True))
        text = form.get("Ds_MerchantParameters", "")
        try:
            parameters = redsys.decode_parameters(text)
            order = str(parameters["DS_MERCHANT_ORDER"])
            key = redsys.decode_key(self.config.redsys_secret_key or "")
            expected = base64.b64encode(redsys.sign(key, order, text)).decode()
        except (KeyError, ValueError, InvalidNotification):
            return HTMLResponse("<p>SIS0042: error en el cálculo de la firma</p>", 400)
        if form.get("Ds_SignatureVersion") != redsys.SIGNATURE_VERSION or not hmac.compare_digest(
            expected, form.get("Ds_Signature", "")
        ):
            return HTMLResponse("<p>SIS0042: error en el cálculo de la firma</p>", 400)
        if parameters.get("DS_MERCHANT_MERCHANTCODE") != self.config.redsys_merchant_code:
            return HTMLResponse("<p>SIS0026: comercio / terminal no existe</p>", 400)
        self._checkouts[order] = _Checkout("redsys", order, order, parameters)
        return RedirectResponse(str(request.base_url).rstrip("/") + f"/redsys/checkout/{order}", 303)

    # --- the customer's pages -----------------------------------------------------------------

    async def _checkout_page(self, request: Request) -> Response:
        provider, checkout_id = request.path_params["provider"], request.path_params["id"]
        checkout = self._checkouts.get(checkout_id)
        if checkout is None or checkout.provider != provider:
            return HTMLResponse("<p>Unknown checkout</p>", 404)
        base = f"/{provider}/checkout/{checkout_id}"
        data = checkout.data
        if provider == "mercadopago":
            item = data["items"][0]
            lines = [item["title"], f"{item['unit_price']:.2f} {item.get('currency_id', '')}"]
        elif provider == "stripe":
            lines = [f"{data['amount_total']} (minor units) {data['currency'].upper()}"]
            if data["status"] != "open":
                lines.append(f"This session is {data['status']}.")
        else:
            lines = [
                f"Order {checkout_id}",
                f"{int(data['DS_MERCHANT_AMOUNT']) / 100:.2f} ({data['DS_MERCHANT_CURRENCY']})",
            ]
        lines.append(f"Reference {checkout.reference}")
        return _page(provider, lines, f"{base}/pay", f"{base}/refuse")

    async def _choose(self, request: Request) -> Response:
        provider, checkout_id = request.path_params["provider"], request.path_params["id"]
        choice = request.path_params["choice"]
        checkout = self._checkouts.get(checkout_id)
        if checkout is None or checkout.provider != provider or choice not in ("pay", "refuse"):
            return HTMLResponse("<p>Unknown checkout</p>", 404)
        if provider == "stripe" and checkout.data["status"] != "open":
            return HTMLResponse(f"<p>This session is {html.escape(checkout.data['status'])}.</p>", 409)
        if choice == "pay":
            await self.pay(checkout.reference)
        else:
            await self.refuse(checkout.reference)
        return RedirectResponse(self._return_url(checkout, paid=choice == "pay"), 303)

    def _return_url(self, checkout: _Checkout, *, paid: bool) -> str:
        data = checkout.data
        if checkout.provider == "mercadopago":
            payment_id = checkout.payment_ids[-1]
            status = "approved" if paid else "rejected"
            target = data["back_urls"]["success" if paid else "failure"]
            return _add_query(
                target,
                {
                    "collection_id": payment_id,
                    "collection_status": status,
                    "payment_id": payment_id,
                    "status": status,
                    "external_reference": checkout.reference,
                    "preference_id": checkout.id,
                },
            )
        if checkout.provider == "stripe":
            target = data["success_url"] if paid else data["cancel_url"]
            return str(target).replace("{CHECKOUT_SESSION_ID}", checkout.id)
        return str(data["DS_MERCHANT_URLOK" if paid else "DS_MERCHANT_URLKO"])

    async def _control(self, request: Request) -> Response:
        choice, reference = request.path_params["choice"], request.path_params["reference"]
        if choice not in ("pay", "refuse"):
            return JSONResponse({"error": "pay or refuse"}, 404)
        try:
            delivery = await (self.pay(reference) if choice == "pay" else self.refuse(reference))
        except KeyError:
            return JSONResponse({"error": "unknown reference"}, 404)
        return JSONResponse({"url": delivery.url, "status": delivery.status})

    # --- running it ---------------------------------------------------------------------------

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._served = await Served.start(self.app, host, port)
        self.url = self._served.url

    async def stop(self) -> None:
        if self._served is not None:
            await self._served.stop()
        await self._client.aclose()


class Served:
    """An ASGI app served by uvicorn on host:port in the current event loop."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], url: str) -> None:
        self.server, self.task, self.url = server, task, url

    @classmethod
    async def start(cls, app: Any, host: str = "127.0.0.1", port: int = 0) -> Served:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()  # raises why it could not listen
                raise RuntimeError("the server stopped before listening")
            await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()
        return cls(server, task, f"http://{host}:{bound[1]}")

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


async def start_standin(config: StandInConfig, host: str = "127.0.0.1", port: int = 0) -> StandIn:
    """The stand-in listening on host:port (0: a free port) in this event loop."""
    standin = StandIn(config)
    await standin.serve(host, port)
    return standin


class StandInThread:
    """The stand-in in a thread with its own event loop (for a process without one to share)."""

    def __init__(self, config: StandInConfig, host: str = "127.0.0.1", port: int = 0) -> None:
        self.standin = StandIn(config)
        self._host, self._port = host, port
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="payments-standin", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self.standin.serve(self._host, self._port)
        except BaseException as error:  # handed to the thread that started it
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        await self._stopping.wait()
        await self.standin.stop()

    def start(self) -> StandInThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the payments stand-in did not start")
        if self._error is not None:
            raise self._error
        return self

    @property
    def url(self) -> str:
        return self.standin.url

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one of the stand-in's coroutines (`pay`, `refuse`, `replay` ...) on its own loop and
        wait for it here (from code without an event loop)."""
        assert self._loop is not None, "start() it first"
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(30)

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """The same from a coroutine of another event loop, without blocking that loop."""
        assert self._loop is not None, "start() it first"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)


def run_standin_in_thread(config: StandInConfig, host: str = "127.0.0.1", port: int = 0) -> StandInThread:
    """The stand-in running in a thread of its own; `.url`, `.stop()`."""
    return StandInThread(config, host, port).start()


def main(argv: list[str] | None = None) -> None:
    """`python -m ventanilla.payments.standin [--config ventanilla.toml] [--port 8765]`: the stand-in
    in a process of its own, with the secrets of that file's [payments.providers.*]."""
    import argparse

    from ..settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", help="the ventanilla.toml to take the providers' secrets from")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--stripe-webhook-url", help="where Stripe events go (the gateway's endpoint)")
    args = parser.parse_args(argv)
    config = StandInConfig.from_settings(load_settings(args.config), args.stripe_webhook_url)

    async def serve_forever() -> None:
        standin = await start_standin(config, args.host, args.port)
        print(f"{LABEL.format(provider='Mercado Pago, Stripe and Redsys')}: {standin.url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await standin.stop()

    try:
        asyncio.run(serve_forever())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
