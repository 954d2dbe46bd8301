"""Stripe Checkout adapter (the official library) against the stand-in speaking Stripe's API."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest
import stripe
from ventanilla.payments.base import InvalidNotification, Outcome, ProviderUnavailable
from ventanilla.payments.stripe_checkout import StripeCheckout, minor_units

from .payment_standin import (
    STRIPE_KEY,
    STRIPE_SECRET,
    checkout_request,
    running_gateway,
    running_standin,
    stripe_config,
)


@pytest.fixture
async def standin():
    async with running_standin() as server:
        yield server


@pytest.fixture
async def gateway():
    async with running_gateway() as endpoint:
        yield endpoint


def adapter(url: str, **kwargs) -> StripeCheckout:
    return StripeCheckout(
        "stripe",
        stripe_config(url),
        api_key=kwargs.pop("api_key", STRIPE_KEY),
        webhook_secret=kwargs.pop("webhook_secret", STRIPE_SECRET),
        **kwargs,
    )


async def test_start_creates_a_payment_session_in_minor_units(standin):
    provider = adapter(standin.url)
    checkout = await provider.start(checkout_request(amount="1234.50", currency="EUR"))
    (sent,) = standin.requests_to("stripe")
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.headers["authorization"] == f"Bearer {STRIPE_KEY}"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(parse_qsl(sent.body.decode()))
    # the library's form encoding, as Stripe documents it
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][unit_amount]"] == "123450"
    assert form["line_items[0][price_data][product_data][name]"] == "Factura B 0003-00001234"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == "4021ABCDEF01"
    assert form["metadata[reference]"] == "4021ABCDEF01"
    assert form["success_url"] == "https://portal.example/pagos/ok"
    assert form["cancel_url"] == "https://portal.example/pagos/error"
    assert checkout.provider_reference and checkout.provider_reference.startswith("cs_")
    async with httpx.AsyncClient() as browser:
        page = await browser.get(checkout.redirect_url)
    assert "Stand-in for Stripe — not a real payment" in page.text
    await provider.close()


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("1500", "JPY", "1500"), ("25000", "CLP", "25000"), ("12.50", "USD", "1250"), ("1.25", "KWD", "1250")],
)
async def test_zero_and_three_decimal_currencies(standin, amount, currency, units):
    provider = adapter(standin.url)
    await provider.start(checkout_request(amount=amount, currency=currency))
    (sent,) = standin.requests_to("stripe")
    assert sent.data["line_items"][0]["price_data"]["unit_amount"] == units
    # and the confirmation brings the same amount back in the currency's units
    (confirmation,) = await provider.verify(
        (await standin.pay("4021ABCDEF01", deliver=False)).as_notification()
    )
    assert confirmation.amount == Decimal(amount)
    assert confirmation.currency == currency
    await provider.close()


def test_a_fraction_of_a_yen_is_refused():
    with pytest.raises(ValueError):
        minor_units(Decimal("10.50"), "JPY")


async def test_a_refused_key_or_no_answer_is_provider_unavailable(standin):
    provider = adapter(standin.url, api_key="sk_test_wrong")
    with pytest.raises(ProviderUnavailable) as refused:
        await provider.start(checkout_request())
    assert "sk_test_wrong" not in str(refused.value)
    await provider.close()
    gone = adapter("http://127.0.0.1:9")
    with pytest.raises(ProviderUnavailable):
        await gone.start(checkout_request())
    await gone.close()


async def test_paying_on_the_page_sends_a_signed_completed_event(standin, gateway):
    provider = adapter(standin.url)
    gateway.providers["stripe"] = provider
    standin.stripe_webhook_url = gateway.notification_url("stripe")  # as registered in the dashboard
    checkout = await provider.start(checkout_request(currency="EUR"))
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(checkout.redirect_url + "/pay")
    assert answer.status_code == 303
    assert answer.headers["location"] == "https://portal.example/pagos/ok"
    (delivery,) = standin.deliveries
    assert delivery.status == 200 and json.loads(delivery.answer) == {"received": True}
    assert delivery.headers["Stripe-Signature"].startswith("t=")
    (confirmation,) = gateway.confirmed
    event = json.loads(delivery.body)
    assert event["type"] == "checkout.session.completed"
    assert confirmation.outcome is Outcome.APPROVED
    assert confirmation.provider_payment_id == checkout.provider_reference
    assert confirmation.event_id == event["id"]
    assert (confirmation.reference, confirmation.amount, confirmation.currency) == (
        "4021ABCDEF01",
        Decimal("1234.50"),
        "EUR",
    )


async def test_an_event_signed_by_the_library_itself_is_accepted(standin):
    # stripe.WebhookSignature.generate_signature_header is Stripe's own signer, not ours
    provider = adapter(standin.url)
    await provider.start(checkout_request(currency="EUR"))
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    header = stripe.WebhookSignature.generate_signature_header(delivery.body.decode(), STRIPE_SECRET)
    notification = replace(delivery, headers={**delivery.headers, "Stripe-Signature": header})
    (confirmation,) = await provider.verify(notification.as_notification())
    assert confirmation.outcome is Outcome.APPROVED
    # and the stand-in's header is what the library would make at its timestamp
    ts = int(delivery.headers["Stripe-Signature"].split(",")[0][2:])
    assert delivery.headers["Stripe-Signature"] == stripe.WebhookSignature.generate_signature_header(
        delivery.body.decode(), STRIPE_SECRET, timestamp=ts
    )
    await provider.close()


async def test_refusals_bad_signature_missing_header_stale_and_tampered_amount(standin):
    provider = adapter(standin.url, tolerance=60)
    await provider.start(checkout_request(currency="EUR"))
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    good = delivery.as_notification()
    event = json.loads(good.body)
    event["data"]["object"]["amount_total"] = 1
    stale = int(time.time()) - 61
    cases = {
        "bad signature": replace(
            good, headers={**good.headers, "stripe-signature": good.headers["stripe-signature"][:-2] + "00"}
        ),
        "missing header": replace(
            good, headers={k: v for k, v in good.headers.items() if k != "stripe-signature"}
        ),
        "other secret": replace(
            good,
            headers={
                **good.headers,
                "stripe-signature": stripe.WebhookSignature.generate_signature_header(
                    good.body.decode(), "whsec_other"
                ),
            },
        ),
        "stale": replace(
            good,
            headers={
                **good.headers,
                "stripe-signature": stripe.WebhookSignature.generate_signature_header(
                    good.body.decode(), STRIPE_SECRET, timestamp=stale
                ),
            },
        ),
        "tampered amount": replace(good, body=json.dumps(event).encode()),
        "not json": replace(
            good,
            body=b"amount=1",
            headers={
                **good.headers,
                "stripe-signature": stripe.WebhookSignature.generate_signature_header(
                    "amount=1", STRIPE_SECRET
                ),
            },
        ),
    }
    for case, notification in cases.items():
        with pytest.raises(InvalidNotification):
            await provider.verify(notification)
        assert case
    await provider.close()


async def test_event_types_and_out_of_order_deliveries(standin):
    provider = adapter(standin.url)
    checkout = await provider.start(checkout_request(currency="EUR"))
    # a delayed method: the session completes unpaid, then the payment succeeds
    unpaid = await standin.notify_stripe(
        "4021ABCDEF01", "checkout.session.completed", payment_status="unpaid", deliver=False
    )
    succeeded = await standin.notify_stripe(
        "4021ABCDEF01", "checkout.session.async_payment_succeeded", deliver=False
    )
    # delivered out of order: the success first, the older "completed, unpaid" after it
    (first,) = await provider.verify(succeeded.as_notification())
    (second,) = await provider.verify(unpaid.as_notification())
    assert first.outcome is Outcome.APPROVED and second.outcome is Outcome.PENDING
    # one payment to the caller (same provider_payment_id), two events (different event_id)
    assert first.provider_payment_id == second.provider_payment_id == checkout.provider_reference
    assert first.event_id != second.event_id
    failed = await standin.notify_stripe(
        "4021ABCDEF01", "checkout.session.async_payment_failed", deliver=False
    )
    assert (await provider.verify(failed.as_notification()))[0].outcome is Outcome.REJECTED
    expired = await standin.notify_stripe("4021ABCDEF01", "checkout.session.expired", deliver=False)
    assert (await provider.verify(expired.as_notification()))[0].outcome is Outcome.EXPIRED
    other = await standin.notify_stripe("4021ABCDEF01", "payment_intent.created", deliver=False)
    assert await provider.verify(other.as_notification()) == []
    await provider.close()


async def test_replayed_event_verifies_to_the_same_confirmation(standin, gateway):
    provider = adapter(standin.url)
    gateway.providers["stripe"] = provider
    standin.stripe_webhook_url = gateway.notification_url("stripe")
    await provider.start(checkout_request(currency="EUR"))
    delivery = await standin.pay("4021ABCDEF01")
    again = await standin.replay(delivery)
    assert again.body == delivery.body and again.status == 200
    first, second = gateway.confirmed
    assert first == second  # same event id and session: the caller records it once


async def test_look_up_retrieves_the_session(standin):
    provider = adapter(standin.url)
    checkout = await provider.start(checkout_request(currency="EUR"))
    assert checkout.provider_reference
    pending = await provider.look_up("4021ABCDEF01", checkout.provider_reference)
    assert pending is not None and pending.outcome is Outcome.PENDING
    await standin.pay("4021ABCDEF01", deliver=False)
    paid = await provider.look_up("4021ABCDEF01", checkout.provider_reference)
    assert paid is not None and paid.outcome is Outcome.APPROVED and paid.amount == Decimal("1234.50")
    assert standin.requests_to("stripe")[-1].path == f"/v1/checkout/sessions/{checkout.provider_reference}"
    assert await provider.look_up("4021ABCDEF01", "cs_test_unknown") is None
    assert await provider.look_up("9999OTHERREF", checkout.provider_reference) is None
    assert await provider.look_up("4021ABCDEF01", None) is None
    await provider.close()


async def test_a_signed_event_carries_its_own_amount_for_the_caller_to_compare(standin):
    # the adapter reports what Stripe signed; the payment core refuses an amount that does not match
    provider = adapter(standin.url)
    await provider.start(checkout_request(amount="100.00", currency="EUR"))
    delivery = await standin.notify_stripe(
        "4021ABCDEF01", "checkout.session.completed", amount_total=1000, deliver=False
    )
    (confirmation,) = await provider.verify(delivery.as_notification())
    assert confirmation.amount == Decimal("10.00")
    await provider.close()


async def test_refusing_on_the_page_expires_the_session_and_it_cannot_be_paid_after(standin, gateway):
    provider = adapter(standin.url)
    gateway.providers["stripe"] = provider
    standin.stripe_webhook_url = gateway.notification_url("stripe")
    checkout = await provider.start(checkout_request(currency="EUR"))
    async with httpx.AsyncClient() as browser:
        refused = await browser.post(checkout.redirect_url + "/refuse")
        late = await browser.post(checkout.redirect_url + "/pay")
    assert refused.headers["location"] == "https://portal.example/pagos/error"
    assert late.status_code == 409
    assert [c.outcome for c in gateway.confirmed] == [Outcome.EXPIRED]
