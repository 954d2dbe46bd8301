"""What the payment provider tests share: the secrets, settings of the three kinds, the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from ventanilla.payments.base import (
    CheckoutRequest,
    Confirmation,
    InvalidNotification,
    Notification,
    Provider,
)
from ventanilla.payments.standin import Served, StandIn, StandInConfig, start_standin
from ventanilla.settings import MercadoPagoProvider, RedsysProvider, StripeProvider

MP_TOKEN = "TEST-4417-access-token"
MP_SECRET = "mp-webhook-secret-2f9c"
STRIPE_KEY = "sk_test_51standinkey"
STRIPE_SECRET = "whsec_standinsecret7"
REDSYS_KEY = "sq7HjrUOBfKmC576ILgskD5srU870gJ7"  # Redsys' published test key
REDSYS_MERCHANT = "999008881"  # Redsys' test merchant code


def checkout_request(
    reference: str = "4021ABCDEF01",
    amount: str = "1234.50",
    currency: str = "ARS",
    notification_url: str = "http://127.0.0.1:9/payments/notify",
) -> CheckoutRequest:
    return CheckoutRequest(
        reference=reference,
        amount=Decimal(amount),
        currency=currency,
        description="Factura B 0003-00001234",
        notification_url=notification_url,
        success_url="https://portal.example/pagos/ok",
        failure_url="https://portal.example/pagos/error",
        customer_email="ana@example.com",
    )


def mercadopago_config(url: str) -> MercadoPagoProvider:
    return MercadoPagoProvider(kind="mercadopago", display_name="Mercado Pago", api_url=url)


def stripe_config(url: str) -> StripeProvider:
    return StripeProvider(kind="stripe", display_name="Tarjeta (Stripe)", api_url=url)


def redsys_config(url: str) -> RedsysProvider:
    return RedsysProvider(
        kind="redsys", display_name="Tarjeta (Redsys)", api_url=url, merchant_code=REDSYS_MERCHANT
    )


class Gateway:
    """A notification endpoint as the gateway has one: the provider's verify, its reply."""

    def __init__(self) -> None:
        self.providers: dict[str, Provider] = {}
        self.confirmed: list[Confirmation] = []
        self.refused: list[str] = []
        self.url = ""
        self.app = Starlette(routes=[Route("/payments/notify/{name}", self.notify, methods=["POST"])])

    def notification_url(self, name: str) -> str:
        return f"{self.url}/payments/notify/{name}"

    async def notify(self, request: Request) -> Response:
        provider = self.providers[request.path_params["name"]]
        notification = Notification(
            headers={name.lower(): value for name, value in request.headers.items()},
            query=dict(request.query_params),
            body=await request.body(),
            content_type=request.headers.get("content-type", ""),
        )
        try:
            confirmations = await provider.verify(notification)
        except InvalidNotification as error:
            self.refused.append(error.reason)
            return Response(error.reply.body, error.reply.status)
        self.confirmed.extend(confirmations)
        reply = provider.reply(confirmations)
        return Response(reply.body, reply.status, media_type=reply.content_type)


def standin_config() -> StandInConfig:
    return StandInConfig(
        mercadopago_access_token=MP_TOKEN,
        mercadopago_webhook_secret=MP_SECRET,
        stripe_api_key=STRIPE_KEY,
        stripe_webhook_secret=STRIPE_SECRET,
        redsys_secret_key=REDSYS_KEY,
        redsys_merchant_code=REDSYS_MERCHANT,
    )


@asynccontextmanager
async def running_standin() -> AsyncIterator[StandIn]:
    """The stand-in on a free port of 127.0.0.1, configured with the tests' secrets."""
    server = await start_standin(standin_config())
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def running_gateway() -> AsyncIterator[Gateway]:
    """The notification endpoint served on 127.0.0.1 like the real one (another uvicorn)."""
    endpoint = Gateway()
    served = await Served.start(endpoint.app)
    endpoint.url = served.url
    try:
        yield endpoint
    finally:
        await served.stop()
        for provider in endpoint.providers.values():
            await provider.close()
