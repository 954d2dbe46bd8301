"""Redsys adapter (HMAC_SHA256_V1) against the stand-in and against Redsys' own published example."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from ventanilla.payments.base import InvalidNotification, Notification, Outcome
from ventanilla.payments.redsys import Redsys, order_key

from .payment_standin import (
    REDSYS_KEY,
    REDSYS_MERCHANT,
    checkout_request,
    redsys_config,
    running_gateway,
    running_standin,
)

# The notification of Redsys' own example of an online answer (ejemploRecepcionaPet.php in the
# PHP API Redsys distributes), signed with its published test key: order MN000049, 159.00 EUR.
EXAMPLE_PARAMETERS = (
    "eyJEc19EYXRlIjoiMzAlMkYwOCUyRjIwMjIiLCJEc19Ib3VyIjoiMTIlM0ExOCIsIkRzX1NlY3VyZVBheW1lbnQiOiIxIiwiRHNfQ2FyZF9Db3VudHJ5"
    "IjoiNzI0IiwiRHNfQW1vdW50IjoiMTU5MDAiLCJEc19DdXJyZW5jeSI6Ijk3OCIsIkRzX09yZGVyIjoiTU4wMDAwNDkiLCJEc19NZXJjaGFudENvZGUi"
    "OiIzNTU4NjgxMDAiLCJEc19UZXJtaW5hbCI6IjAwMSIsIkRzX1Jlc3BvbnNlIjoiMDAwMCIsIkRzX01lcmNoYW50RGF0YSI6IiIsIkRzX1RyYW5zYWN0"
    "aW9uVHlwZSI6IjAiLCJEc19Db25zdW1lckxhbmd1YWdlIjoiMSIsIkRzX0F1dGhvcmlzYXRpb25Db2RlIjoiMDAyNDEzIiwiRHNfQ2FyZF9CcmFuZCI6"
    "IjEiLCJEc19Qcm9jZXNzZWRQYXlNZXRob2QiOiI1IiwiRHNfQ29udHJvbF8xNjYxODU0NjgzOTg4IjoiMTY2MTg1NDY4Mzk4OCJ9"
)
EXAMPLE_SIGNATURE = "O9aFvML5qK8VBQhV4GK8kFHvmAQaSnX1hfckr7abzIs="
EXAMPLE_MERCHANT = "355868100"


@pytest.fixture
async def standin():
    async with running_standin() as server:
        yield server


@pytest.fixture
async def gateway():
    async with running_gateway() as endpoint:
        yield endpoint


def adapter(
    url: str = "http://127.0.0.1:9", merchant: str = REDSYS_MERCHANT, key: str = REDSYS_KEY
) -> Redsys:
    config = redsys_config(url).model_copy(update={"merchant_code": merchant})
    return Redsys("redsys", config, secret_key=key)


def form_notification(fields: dict[str, str]) -> Notification:
    return Notification(
        headers={"content-type": "application/x-www-form-urlencoded"},
        query={},
        body=urlencode(fields).encode(),
        content_type="application/x-www-form-urlencoded",
    )


async def test_redsys_own_example_notification_verifies():
    provider = adapter(merchant=EXAMPLE_MERCHANT)
    # as the gateway posts it: URL-safe signature
    urlsafe = EXAMPLE_SIGNATURE.replace("+", "-").replace("/", "_")
    for signature in (EXAMPLE_SIGNATURE, urlsafe):
        (confirmation,) = await provider.verify(
            form_notification(
                {
                    "Ds_SignatureVersion": "HMAC_SHA256_V1",
                    "Ds_MerchantParameters": EXAMPLE_PARAMETERS,
                    "Ds_Signature": signature,
                }
            )
        )
        assert confirmation.outcome is Outcome.APPROVED
        assert (confirmation.reference, confirmation.amount, confirmation.currency) == (
            "MN000049",
            Decimal("159.00"),
            "EUR",
        )
        assert confirmation.provider_status == "Ds_Response 0000"
        assert confirmation.occurred_at is not None
        assert (confirmation.occurred_at.day, confirmation.occurred_at.hour) == (30, 12)
    # one character of the parameters changed: refused
    tampered = (
        EXAMPLE_PARAMETERS[:40] + ("A" if EXAMPLE_PARAMETERS[40] != "A" else "B") + EXAMPLE_PARAMETERS[41:]
    )
    with pytest.raises(InvalidNotification):
        await provider.verify(
            form_notification(
                {
                    "Ds_SignatureVersion": "HMAC_SHA256_V1",
                    "Ds_MerchantParameters": tampered,
                    "Ds_Signature": EXAMPLE_SIGNATURE,
                }
            )
        )


def test_the_order_key_is_3des_cbc_of_the_zero_padded_order():
    # the derivation written out from the spec: 3DES-CBC, IV of eight zero bytes, no padding needed at 8
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    key = base64.b64decode(REDSYS_KEY)
    encryptor = Cipher(TripleDES(key), modes.CBC(bytes(8))).encryptor()
    expected = encryptor.update(b"MN000049") + encryptor.finalize()
    assert order_key(key, "MN000049") == expected
    assert len(order_key(key, "4021ABCDEF01")) == 16  # 12 characters padded to 16


async def test_start_builds_the_signed_form_the_gateway_accepts(standin):
    provider = adapter(standin.url)
    checkout = await provider.start(
        checkout_request(reference="4021ABCDEF01", amount="1234.50", currency="EUR")
    )
    assert checkout.redirect_url == f"{standin.url}/sis/realizarPago"
    assert checkout.form is not None
    assert checkout.form["Ds_SignatureVersion"] == "HMAC_SHA256_V1"
    parameters = json.loads(base64.b64decode(checkout.form["Ds_MerchantParameters"]))
    assert parameters["DS_MERCHANT_AMOUNT"] == "123450"
    assert parameters["DS_MERCHANT_ORDER"] == "4021ABCDEF01"
    assert parameters["DS_MERCHANT_MERCHANTCODE"] == REDSYS_MERCHANT
    assert parameters["DS_MERCHANT_TERMINAL"] == "1"
    assert parameters["DS_MERCHANT_CURRENCY"] == "978"
    assert parameters["DS_MERCHANT_TRANSACTIONTYPE"] == "0"
    assert parameters["DS_MERCHANT_MERCHANTURL"] == "http://127.0.0.1:9/payments/notify"
    assert parameters["DS_MERCHANT_URLOK"] == "https://portal.example/pagos/ok"
    assert parameters["DS_MERCHANT_URLKO"] == "https://portal.example/pagos/error"
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.post(checkout.redirect_url, data=checkout.form)
        assert page.status_code == 200
        assert "Stand-in for Redsys — not a real payment" in page.text
        # a form whose signature does not match is Redsys' SIS0042
        forged = {**checkout.form, "Ds_Signature": base64.b64encode(bytes(32)).decode()}
        refused = await browser.post(checkout.redirect_url, data=forged)
        assert refused.status_code == 400 and "SIS0042" in refused.text


async def test_arguments_redsys_cannot_take_are_refused():
    provider = adapter()
    with pytest.raises(ValueError):
        await provider.start(checkout_request(reference="AB12CDEF"))  # not 4 digits first
    with pytest.raises(ValueError):
        await provider.start(checkout_request(reference="4021ABCDEF0123"))  # 14 characters
    with pytest.raises(ValueError):
        await provider.start(checkout_request(currency="XAU"))
    assert "EUR" in provider.currencies and "XAU" not in provider.currencies
    with pytest.raises(ValueError) as bad_key:
        adapter(key="c2hvcnQ=")
    assert "c2hvcnQ=" not in str(bad_key.value)


async def test_paying_on_the_page_notifies_the_merchant_url(standin, gateway):
    provider = adapter(standin.url)
    gateway.providers["redsys"] = provider
    checkout = await provider.start(
        checkout_request(
            reference="4021ABCDEF01", currency="EUR", notification_url=gateway.notification_url("redsys")
        )
    )
    assert checkout.form is not None
    async with httpx.AsyncClient() as browser:
        page = await browser.post(checkout.redirect_url, data=checkout.form)
        assert page.headers["location"].startswith(standin.url)
        answer = await browser.post(page.headers["location"] + "/pay")
    assert answer.status_code == 303 and answer.headers["location"] == "https://portal.example/pagos/ok"
    (delivery,) = standin.deliveries
    assert delivery.status == 200 and delivery.answer == b""
    fields = dict(parse_qsl(delivery.body.decode()))
    assert set(fields) == {"Ds_SignatureVersion", "Ds_MerchantParameters", "Ds_Signature"}
    assert "+" not in fields["Ds_Signature"] and "/" not in fields["Ds_Signature"]  # URL-safe
    (confirmation,) = gateway.confirmed
    assert confirmation.outcome is Outcome.APPROVED
    assert (confirmation.provider_payment_id, confirmation.amount, confirmation.currency) == (
        "4021ABCDEF01",
        Decimal("1234.50"),
        "EUR",
    )


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("0000", Outcome.APPROVED),
        ("0099", Outcome.APPROVED),
        ("0100", Outcome.REJECTED),
        ("0190", Outcome.REJECTED),
        ("9915", Outcome.REJECTED),
    ],
)
async def test_response_code_boundaries(standin, code, outcome):
    provider = adapter(standin.url)
    checkout = await provider.start(checkout_request(currency="EUR"))
    async with httpx.AsyncClient() as browser:
        await browser.post(checkout.redirect_url, data=checkout.form)
    delivery = await standin.notify_redsys("4021ABCDEF01", code, deliver=False)
    (confirmation,) = await provider.verify(delivery.as_notification())
    assert confirmation.outcome is outcome


async def test_refusals_bad_signature_missing_fields_tampered_amount_other_merchant(standin):
    provider = adapter(standin.url)
    checkout = await provider.start(checkout_request(currency="EUR"))
    async with httpx.AsyncClient() as browser:
        await browser.post(checkout.redirect_url, data=checkout.form)
    delivery = await standin.pay("4021ABCDEF01", deliver=False)
    fields = dict(parse_qsl(delivery.body.decode()))
    parameters = json.loads(base64.urlsafe_b64decode(fields["Ds_MerchantParameters"]))
    cheaper = base64.urlsafe_b64encode(json.dumps({**parameters, "Ds_Amount": "100"}).encode()).decode()

    def body(**changes: str | None) -> bytes:
        changed = {**fields, **changes}
        return urlencode({k: v for k, v in changed.items() if v is not None}).encode()

    cases = {
        "bad signature": body(Ds_Signature=base64.urlsafe_b64encode(bytes(32)).decode()),
        "no signature": body(Ds_Signature=None),
        "no parameters": body(Ds_MerchantParameters=None),
        "other version": body(Ds_SignatureVersion="HMAC_SHA512_V2"),
        "tampered amount": body(Ds_MerchantParameters=cheaper),
        "not base64": body(Ds_MerchantParameters="%%%"),
    }
    for case, content in cases.items():
        with pytest.raises(InvalidNotification):
            await provider.verify(replace(delivery, body=content).as_notification())
        assert case
    # signed right, for another shop's merchant code
    other = adapter(standin.url, merchant="123456789")
    with pytest.raises(InvalidNotification, match="merchant"):
        await other.verify(delivery.as_notification())
    assert provider.can_look_up is False and await provider.look_up("4021ABCDEF01", None) is None
    assert provider.reply([]).status == 200 and provider.reply([]).body == b""
