"""build_providers from ventanilla.toml, and the stand-in as the demo runs it (a thread, HTTP controls)."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from ventanilla.payments import build_providers
from ventanilla.payments.base import Outcome
from ventanilla.payments.mercadopago import MercadoPago
from ventanilla.payments.redsys import Redsys
from ventanilla.payments.standin import StandInConfig, run_standin_in_thread
from ventanilla.payments.stripe_checkout import StripeCheckout
from ventanilla.settings import PaymentOption, load_settings

from .payment_standin import MP_SECRET, MP_TOKEN, REDSYS_KEY, STRIPE_KEY, STRIPE_SECRET, checkout_request

TOML = """
[payments.providers.mp]
kind = "mercadopago"
display_name = "Mercado Pago"
options = ["DEBT_BALANCE", "INVOICES"]
currencies = ["ARS"]
api_url = "{url}"
access_token_env = "TEST_MP_TOKEN"
webhook_secret_env = "TEST_MP_SECRET"

[payments.providers.card]
kind = "stripe"
display_name = "Tarjeta"
api_url = "{url}"
api_key_env = "TEST_STRIPE_KEY"
webhook_secret_env = "TEST_STRIPE_SECRET"

[payments.providers.tpv]
kind = "redsys"
display_name = "TPV"
api_url = "{url}"
merchant_code = "999008881"
secret_key_env = "TEST_REDSYS_KEY"
"""


@pytest.fixture
def secrets_in_env(monkeypatch):
    for name, value in {
        "TEST_MP_TOKEN": MP_TOKEN,
        "TEST_MP_SECRET": MP_SECRET,
        "TEST_STRIPE_KEY": STRIPE_KEY,
        "TEST_STRIPE_SECRET": STRIPE_SECRET,
        "TEST_REDSYS_KEY": REDSYS_KEY,
    }.items():
        monkeypatch.setenv(name, value)


def settings_for(tmp_path: Path, url: str, text: str = TOML):
    path = tmp_path / "ventanilla.toml"
    path.write_text(text.format(url=url))
    return load_settings(path)


async def test_one_adapter_per_configured_provider_by_kind(tmp_path, secrets_in_env):
    providers = build_providers(settings_for(tmp_path, "http://127.0.0.1:9"))
    assert isinstance(providers.get("mp"), MercadoPago)
    assert isinstance(providers.get("card"), StripeCheckout)
    assert isinstance(providers.get("tpv"), Redsys)
    assert providers.get("nope") is None
    mp = providers.by_name["mp"]
    assert (mp.name, mp.kind, mp.display_name) == ("mp", "mercadopago", "Mercado Pago")
    assert mp.options == frozenset({PaymentOption.DEBT_BALANCE, PaymentOption.INVOICES})
    assert mp.currencies == frozenset({"ARS"})
    assert set(mp.secrets) == {MP_TOKEN, MP_SECRET}
    assert providers.by_name["card"].options == frozenset(PaymentOption)
    assert providers.by_name["tpv"].can_look_up is False
    await providers.close()


@pytest.mark.parametrize(
    ("missing", "setting"),
    [("TEST_MP_SECRET", "webhook_secret"), ("TEST_STRIPE_KEY", "api_key"), ("TEST_REDSYS_KEY", "secret_key")],
)
def test_a_missing_secret_names_the_setting_never_a_value(
    tmp_path, secrets_in_env, monkeypatch, missing, setting
):
    monkeypatch.delenv(missing)
    with pytest.raises(ValueError) as refused:
        build_providers(settings_for(tmp_path, "http://127.0.0.1:9"))
    message = str(refused.value)
    assert missing in message and setting in message
    for value in (MP_TOKEN, MP_SECRET, STRIPE_KEY, STRIPE_SECRET, REDSYS_KEY):
        assert value not in message


def test_a_redsys_key_that_is_not_24_bytes_is_refused_without_showing_it(
    tmp_path, secrets_in_env, monkeypatch
):
    monkeypatch.setenv("TEST_REDSYS_KEY", "bm90LWEta2V5")
    with pytest.raises(ValueError, match=r"payments.providers.tpv.*24 bytes") as refused:
        build_providers(settings_for(tmp_path, "http://127.0.0.1:9"))
    assert "bm90LWEta2V5" not in str(refused.value)


async def test_the_demo_runs_the_stand_in_in_a_thread_with_http_controls(tmp_path, secrets_in_env, caplog):
    # the stand-in takes its secrets from the same settings as the adapters
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    config = StandInConfig.from_settings(settings)
    assert (config.mercadopago_access_token, config.stripe_webhook_secret, config.redsys_merchant_code) == (
        MP_TOKEN,
        STRIPE_SECRET,
        "999008881",
    )
    running = run_standin_in_thread(config)
    try:
        (tmp_path / "served").mkdir()
        providers = build_providers(settings_for(tmp_path / "served", running.url))
        mp = providers.by_name["mp"]
        caplog.set_level(logging.DEBUG)
        await mp.start(checkout_request(currency="ARS", amount="99.90"))
        card = providers.by_name["card"]
        session = await card.start(checkout_request(reference="4022ABCDEF02", currency="EUR"))
        assert await card.look_up("4022ABCDEF02", session.provider_reference) is not None
        async with httpx.AsyncClient() as client:
            paid = await client.post(f"{running.url}/_standin/pay/4021ABCDEF01")
            unknown = await client.post(f"{running.url}/_standin/pay/0000NOTHING")
        assert paid.status_code == 200 and unknown.status_code == 404
        found = await mp.look_up("4021ABCDEF01", None)
        assert found is not None and found.outcome is Outcome.APPROVED and found.amount == Decimal("99.90")
        # driven from this loop and from code without one: the stand-in's loop does the work
        await running.call(running.standin.refuse("4021ABCDEF01", deliver=False))
        running.run(running.standin.notify_mercadopago("4021ABCDEF01", "pending", deliver=False))
        statuses = [payment["status"] for payment in running.standin.mercadopago_payments("4021ABCDEF01")]
        assert statuses == ["approved", "rejected", "pending"]
        # no secret in anything logged meanwhile (httpx, uvicorn, the adapters)
        assert caplog.records  # the libraries did log (at DEBUG), and ...
        for value in (MP_TOKEN, MP_SECRET, STRIPE_KEY, STRIPE_SECRET):
            assert value not in caplog.text
        await providers.close()
    finally:
        running.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(running.url)
