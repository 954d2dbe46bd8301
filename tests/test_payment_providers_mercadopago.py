"""Mercado Pago Checkout Pro adapter against the stand-in (a local server speaking its API)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest
from ventanilla.payments.base import InvalidNotification, Outcome, ProviderUnavailable
from ventanilla.payments.mercadopago import MercadoPago

from .payment_standin import (
    MP_SECRET,
    MP_TOKEN,
    checkout_request,
    mercadopago_config,
    running_gateway,
    running_standin,
)


@pytest.fixture
async def standin():
    async with running_standin() as server:
        yield server


@pytest.fixture
async def gateway():
    async with running_gateway() as endpoint:
        yield endpoint


def adapter(url: str, **kwargs) -> MercadoPago:
    return MercadoPago(
        "mercadopago",
        mercadopago_config(url),
        access_token=kwargs.pop("access_token", MP_TOKEN),
        webhook_secret=kwargs.pop("webhook_secret", MP_SECRET),
        **kwargs,
    )


async def test_start_creates_the_documented_preference(standin):
    # given
    provider = adapter(standin.url)
    # when
    checkout = await provider.start(checkout_request(amount="1234.50", currency="ARS"))
    # then: one POST /checkout/preferences with the bearer token and the documented fields
    (sent,) = standin.requests_to("mercadopago")
    assert (sent.method, sent.path) == ("POST", "/checkout/preferences")
    assert sent.headers["authorization"] == f"Bearer {MP_TOKEN}"
    assert sent.headers["content-type"] == "application/json"
    preference = sent.data
    assert preference["items"] == [
        {
            "id": "4021ABCDEF01",
            "title": "Factura B 0003-00001234",
            "quantity": 1,
            "unit_price": 1234.5,
            "currency_id": "ARS",
        }
    ]
    assert preference["external_reference"] == "4021ABCDEF01"
    assert preference["notification_url"] == "http://127.0.0.1:9/payments/notify"
    assert preference["back_urls"] == {
        "success": "https://portal.example/pagos/ok",
        "failure": "https://portal.example/pagos/error",
        "pending": "https://portal.example/pagos/ok",
    }
    assert preference["auto_return"] == "approved"
    # and the customer is sent to the preference's init_point, which shows the labelled page
    assert checkout.provider_reference and checkout.redirect_url.endswith(checkout.provider_reference)
    async with httpx.AsyncClient() as browser:
        page = await browser.get(checkout.redirect_url)
    assert "Stand-in for Mercado Pago — not a real payment" in page.text
    await provider.close()


async def test_a_wrong_token_or_no_answer_is_provider_unavailable(standin):
    provider = adapter(standin.url, access_token="TEST-wrong")
    with pytest.raises(ProviderUnavailable) as refused:
        await provider.start(checkout_request())
    assert "TEST-wrong" not in str(refused.value)
    await provider.close()
    gone = adapter("http://127.0.0.1:9")
    with pytest.raises(ProviderUnavailable):
        await gone.start(checkout_request())
    await gone.close()


async def test_paying_on_the_page_notifies_and_verify_confirms_from_the_api(standin, gateway):
    # given: a checkout whose notification_url is the gateway's endpoint
    provider = adapter(standin.url)
    gateway.providers["mercadopago"] = provider
    checkout = await provider.start(
        checkout_request(notification_url=gateway.notification_url("mercadopago"))
    )
    # when: the customer presses Pay on the stand-in's page
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(checkout.redirect_url + "/pay")
    # then: the endpoint got a signed notification it accepted, and the customer goes back
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("https://portal.example/pagos/ok?")
    assert "status=approved" in answer.headers["location"]
    (delivery,) = standin.deliveries
    assert delivery.status == 200
    assert "?data.id=" in delivery.url and "type=payment" in delivery.url
    (confirmation,) = gateway.confirmed
    assert confirmation.outcome is Outcome.APPROVED
    assert confirmation.reference == "4021ABCDEF01"
    assert confirmation.amount == Decimal("1234.50")
    assert confirmation.currency == "ARS"
    assert confirmation.occurred_at is not None and confirmation.occurred_at.tzinfo
    payment_id = json.loads(delivery.body)["data"]["id"]
    assert confirmation.provider_payment_id == payment_id
    # and the confirmation came from GET /v1/payments/{id}, not from the notification
    fetched = [r for r in standin.requests_to("mercadopago") if r.method == "GET"]
    assert [r.path for r in fetched] == [f"/v1/payments/{payment_id}"]
    assert fetched[0].headers["authorization"] == f"Bearer {MP_TOKEN}"


def independent_signature(secret: str, data_id: str, request_id: str, ts: str) -> str:
    # written from the provider's documentation, not from the adapter's module
    text = f"id:{data_id.lower()};request-id:{request_id};ts:{ts};"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


async def test_a_notification_signed_by_the_documented_manifest_is_accepted(standin):
    provider = adapter(standin.url)
    await provider.start(checkout_request())
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    data_id = json.loads(delivery.body)["data"]["id"]
    ts = str(int(time.time()))
    headers = dict(delivery.headers)
    headers["x-signature"] = (
        f"ts={ts},v1={independent_signature(MP_SECRET, data_id, headers['x-request-id'], ts)}"
    )
    # the stand-in's own signature matches the independent one
    assert delivery.headers["x-signature"].split("v1=")[1] == independent_signature(
        MP_SECRET,
        data_id,
        delivery.headers["x-request-id"],
        delivery.headers["x-signature"][3:].split(",")[0],
    )
    (confirmation,) = await provider.verify(replace(delivery, headers=headers).as_notification())
    assert confirmation.outcome is Outcome.APPROVED
    await provider.close()


async def test_refusals_bad_signature_missing_headers_stale_and_tampered_id(standin):
    provider = adapter(standin.url, tolerance=60)
    await provider.start(checkout_request())
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    good = delivery.as_notification()
    assert (await provider.verify(good))[0].outcome is Outcome.APPROVED

    def with_headers(**changes):
        headers = dict(good.headers)
        for name, value in changes.items():
            name = name.replace("_", "-")
            if value is None:
                headers.pop(name)
            else:
                headers[name] = value
        return replace(good, headers=headers)

    cases = {
        "bad signature": with_headers(x_signature=good.headers["x-signature"][:-4] + "0000"),
        "other secret": replace(
            good,
            headers={
                **good.headers,
                "x-signature": "ts={},v1={}".format(
                    ts := str(int(time.time())),
                    independent_signature(
                        "not-the-secret", good.query["data.id"], good.headers["x-request-id"], ts
                    ),
                ),
            },
        ),
        "no x-signature": with_headers(x_signature=None),
        "no x-request-id": with_headers(x_request_id=None),
        "other request id": with_headers(x_request_id="00000000-0000-0000-0000-000000000000"),
        "no v1": with_headers(x_signature="ts=1700000000"),
        "another payment id": replace(good, query={**good.query, "data.id": "999"}),
        "no data.id": replace(good, query={"type": "payment"}),
    }
    for case, notification in cases.items():
        with pytest.raises(InvalidNotification):
            await provider.verify(notification)
        assert case  # each case refused

    # a correctly signed notification older than the tolerance is refused too
    old = str(int(time.time()) - 61)
    stale = independent_signature(MP_SECRET, good.query["data.id"], good.headers["x-request-id"], old)
    with pytest.raises(InvalidNotification, match="tolerance"):
        await provider.verify(with_headers(x_signature=f"ts={old},v1={stale}"))
    # ... and one just inside it accepted (milliseconds, as some deliveries carry, read as such)
    recent_ms = str(int(time.time() * 1000) - 30_000)
    signed = independent_signature(MP_SECRET, good.query["data.id"], good.headers["x-request-id"], recent_ms)
    assert await provider.verify(with_headers(x_signature=f"ts={recent_ms},v1={signed}"))
    await provider.close()


async def test_a_tampered_body_cannot_change_the_amount(standin):
    # the notification's body is not trusted: the amount is what the API says about the payment
    provider = adapter(standin.url)
    await provider.start(checkout_request(amount="500.00"))
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    body = json.loads(delivery.body)
    body["transaction_amount"] = 5.0
    body["data"]["id"] = "1"
    (confirmation,) = await provider.verify(
        replace(delivery, body=json.dumps(body).encode()).as_notification()
    )
    assert confirmation.amount == Decimal("500.00")
    assert confirmation.provider_payment_id == delivery.as_notification().query["data.id"]
    # a payment that really differs from the preference is reported as the API has it (the core compares)
    other = await standin.notify_mercadopago(
        "4021ABCDEF01", "approved", amount=50.0, currency="USD", deliver=False
    )
    (different,) = await provider.verify(other.as_notification())
    assert (different.amount, different.currency) == (Decimal("50.00"), "USD")
    await provider.close()


async def test_statuses_map_to_outcomes_and_refunds_are_not_recorded(standin):
    provider = adapter(standin.url)
    await provider.start(checkout_request())
    expected = {
        "approved": Outcome.APPROVED,
        "rejected": Outcome.REJECTED,
        "cancelled": Outcome.REJECTED,
        "pending": Outcome.PENDING,
        "in_process": Outcome.PENDING,
        "authorized": Outcome.PENDING,
    }
    for status, outcome in expected.items():
        delivery = await standin.notify_mercadopago("4021ABCDEF01", status, deliver=False)
        (confirmation,) = await provider.verify(delivery.as_notification())
        assert (confirmation.outcome, confirmation.provider_status) == (outcome, status)
    for status in ("refunded", "charged_back"):
        delivery = await standin.notify_mercadopago("4021ABCDEF01", status, deliver=False)
        assert await provider.verify(delivery.as_notification()) == []
    await provider.close()


async def test_other_types_and_unknown_payments_are_nothing_to_record(standin):
    provider = adapter(standin.url)
    await provider.start(checkout_request())
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    notification = delivery.as_notification()
    assert (
        await provider.verify(replace(notification, query={**notification.query, "type": "merchant_order"}))
        == []
    )
    # a signed notification of a payment the API does not know (the dashboard's simulation)
    ts, request_id = str(int(time.time())), "5b3e-simulated"
    simulated = replace(
        notification,
        query={"data.id": "123456", "type": "payment"},
        headers={
            **notification.headers,
            "x-request-id": request_id,
            "x-signature": f"ts={ts},v1={independent_signature(MP_SECRET, '123456', request_id, ts)}",
        },
    )
    assert await provider.verify(simulated) == []
    # the unsigned IPN feed (?topic=payment&id=...) is never acted on, even for a real payment
    ipn = replace(notification, query={"topic": "payment", "id": notification.query["data.id"]}, headers={})
    assert await provider.verify(ipn) == []
    await provider.close()


async def test_look_up_finds_the_newest_approved_payment_of_the_reference(standin):
    provider = adapter(standin.url)
    assert await provider.look_up("4021ABCDEF01", None) is None
    await provider.start(checkout_request())
    await standin.notify_mercadopago("4021ABCDEF01", "rejected", deliver=False)
    approved = await standin.notify_mercadopago("4021ABCDEF01", "approved", deliver=False)
    await standin.notify_mercadopago("4021ABCDEF01", "pending", deliver=False)
    found = await provider.look_up("4021ABCDEF01", None)
    assert found is not None and found.outcome is Outcome.APPROVED
    assert found.provider_payment_id == approved.as_notification().query["data.id"]
    (search,) = [r for r in standin.requests_to("mercadopago") if r.path == "/v1/payments/search"][-1:]
    assert search.query["external_reference"] == "4021ABCDEF01"
    await provider.close()


async def test_the_same_notification_twenty_times_at_once_is_one_payment(standin, gateway):
    # the adapter is called concurrently by the endpoint: every copy verifies to the same payment
    provider = adapter(standin.url)
    gateway.providers["mercadopago"] = provider
    await provider.start(checkout_request(notification_url=gateway.notification_url("mercadopago")))
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    copies = await asyncio.gather(*(standin.replay(delivery) for _ in range(20)))
    assert [copy.status for copy in copies] == [200] * 20
    assert len(gateway.confirmed) == 20 and len(set(gateway.confirmed)) == 1
    assert gateway.confirmed[0].outcome is Outcome.APPROVED
