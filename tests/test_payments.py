"""Online payments end to end (issue 17): startPayment over HTTP on the demo business, the local
stand-in of Mercado Pago, Stripe and Redsys paying, its signed notifications to the app served on
127.0.0.1, and what the customer then reads: the attempt approved, the balance changed, once."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from ventanilla.connectors.native.tables import payments as native_payments
from ventanilla.payments.standin import Served, StandIn
from ventanilla.resolvers.payments import reconcile
from ventanilla.settings import MercadoPagoProvider, PaymentOption, RedsysProvider, StripeProvider
from ventanilla.store.access import now
from ventanilla.store.tables import audit_log, payment_attempts

from .payment_standin import (
    MP_SECRET,
    MP_TOKEN,
    REDSYS_KEY,
    REDSYS_MERCHANT,
    STRIPE_KEY,
    STRIPE_SECRET,
    running_standin,
)
from .portal_actions import Portal, demo_portal, global_id, raw_id

PORTAL_URL = "https://portal.example.com"
START = """
mutation($input: StartPaymentInput!) {
  startPayment(input: $input) {
    redirectUrl attempt { id reference status provider amount { amount currency } invoiceIds }
    errors { code message field }
  }
}
"""
ME = """
{ viewer { customer { id account { unpaidTotal { amount currency } overdue { amount } }
  invoices(first: 50, filter: {unpaidOnly: true}) { nodes { id number status balanceDue { amount currency } } }
  payments(first: 5) { nodes { amount { amount } method reference } }
  paymentAttempts { reference status provider amount { amount } settledAt } } } }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def providers(url: str, mp_options: list[PaymentOption] | None = None) -> dict:
    return {
        "mercadopago": MercadoPagoProvider(
            kind="mercadopago",
            display_name="Mercado Pago",
            api_url=url,
            access_token=MP_TOKEN,
            webhook_secret=MP_SECRET,
            options=mp_options or list(PaymentOption),
        ),  # fmt: skip
        "stripe": StripeProvider(
            kind="stripe",
            display_name="Tarjeta (Stripe)",
            api_url=url,
            api_key=STRIPE_KEY,
            webhook_secret=STRIPE_SECRET,
        ),  # fmt: skip
        "redsys": RedsysProvider(
            kind="redsys",
            display_name="Tarjeta (Redsys)",
            api_url=url,
            merchant_code=REDSYS_MERCHANT,
            secret_key=REDSYS_KEY,
        ),  # fmt: skip
    }


@dataclass
class Paying:
    portal: Portal
    standin: StandIn
    url: str  # where the app listens (what the providers notify)
    token: str

    async def start(
        self, provider: str, option: str = "CUSTOM_AMOUNT", token: str | None = None, **more
    ) -> dict:
        variables = {"input": {"provider": provider, "option": option, **more}}
        body = await self.portal.gql(START, variables, token=token or self.token)
        assert "errors" not in body, body
        return body["data"]["startPayment"]

    async def me(self) -> dict:
        body = await self.portal.gql(ME, token=self.token)
        assert "errors" not in body, body
        return body["data"]["viewer"]["customer"]

    async def payments_with(self, reference: str) -> int:
        async with self.portal.engine.connect() as conn:
            found = await conn.execute(select(func.count()).where(native_payments.c.reference == reference))
            return int(found.scalar_one())

    async def audited(self, outcome: str) -> list[str]:
        async with self.portal.engine.connect() as conn:
            rows = await conn.execute(select(audit_log.c.detail).where(audit_log.c.event == "PAYMENT_NOTIFICATION",
                                                                       audit_log.c.outcome == outcome))  # fmt: skip
            return [r.detail for r in rows]


@asynccontextmanager
async def paying(backend: str, tmp, **settings) -> AsyncIterator[Paying]:
    """The demo business with the three providers configured against the stand-in, served on a port."""
    async with running_standin() as standin:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        options = {
            "payment_providers": providers(standin.url),
            "public_url": url,
            "portal_url": PORTAL_URL,
            **settings,
        }
        async with demo_portal(backend, tmp, **options) as portal:
            standin.stripe_webhook_url = f"{url}/payments/stripe/notifications"
            served = await Served.start(portal.apps[0], port=port)
            try:
                yield Paying(portal, standin, url, portal.tokens["customer"])
            finally:
                await served.stop()


def amount_of(money: dict) -> Decimal:
    return Decimal(money["amount"])


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_each_provider_takes_a_payment_to_the_balance(backend, tmp_path):
    """Start → the stand-in pays → its notification → the attempt APPROVED and the balance lower, per provider."""
    async with paying(backend, tmp_path) as p:
        before = await p.me()
        owed = amount_of(before["account"]["unpaidTotal"])
        assert owed > Decimal("30"), before["account"]
        for name in ("mercadopago", "stripe", "redsys"):
            started = await p.start(name, amount="10.00", returnUrl=f"{PORTAL_URL}/pagos")
            assert started["errors"] == [], started
            attempt = started["attempt"]
            assert attempt["status"] == "PENDING" and attempt["amount"] == {
                "amount": "10.00",
                "currency": "ARS",
            }
            reference = attempt["reference"]
            assert len(reference) == 12 and reference[:4].isdigit()
            if name == "redsys":  # our signed page posts the form to the gateway
                async with httpx.AsyncClient() as browser:
                    page = await browser.get(started["redirectUrl"])
                    assert page.status_code == 200 and 'name="Ds_MerchantParameters"' in page.text
                    assert f'action="{p.standin.url}/sis/realizarPago"' in page.text
                    forged = await browser.get(started["redirectUrl"].replace("sig=", "sig=0"))
                    assert forged.status_code == 404
                    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
                    await browser.post(
                        f"{p.standin.url}/sis/realizarPago", data=fields
                    )  # what the page submits
            else:
                assert started["redirectUrl"].startswith(p.standin.url)
            delivery = await p.standin.pay(reference)
            assert delivery.status == 200, delivery
            me = await p.me()
            mine = next(a for a in me["paymentAttempts"] if a["reference"] == reference)
            assert mine["status"] == "APPROVED" and mine["settledAt"], mine
            owed -= Decimal("10.00")
            assert amount_of(me["account"]["unpaidTotal"]) == owed
            assert await p.payments_with(reference) == 1


async def test_chosen_invoice_is_settled_and_the_statement_changes(tmp_path):
    async with paying("sqlite", tmp_path) as p:
        me = await p.me()
        invoice = me["invoices"]["nodes"][-1]
        due = invoice["balanceDue"]["amount"]
        started = await p.start("mercadopago", "INVOICES", invoiceIds=[invoice["id"]])
        assert started["errors"] == [] and started["attempt"]["amount"]["amount"] == due
        assert started["attempt"]["invoiceIds"] == [invoice["id"]]
        await p.standin.pay(started["attempt"]["reference"])
        after = await p.me()
        assert invoice["id"] not in [i["id"] for i in after["invoices"]["nodes"]]  # paid: no longer unpaid
        assert amount_of(after["account"]["unpaidTotal"]) == amount_of(
            me["account"]["unpaidTotal"]
        ) - Decimal(due)
        again = await p.start("mercadopago", "INVOICES", invoiceIds=[invoice["id"]])
        assert codes_of(again) == ["INVOICE_ALREADY_PAID"]


async def test_a_slow_provider_starts_the_payment_and_a_repeat_does_not_ask_it_again(tmp_path):
    # given a store that gives up after 1 s and a provider that takes 1.5 s to make a checkout
    async with paying("sqlite", tmp_path, store_timeout_seconds=1.0) as p:
        p.standin.checkout_delay = 1.5
        # when the customer starts a payment, and the portal sends it again with the same key
        first = await p.start("mercadopago", amount="10.00", idempotencyKey="pago-lento-1")
        again = await p.start("mercadopago", amount="10.00", idempotencyKey="pago-lento-1")
        # then it started (the store is not waited on while the provider works), once
        assert first["errors"] == [] and first["attempt"]["status"] == "PENDING", first
        assert again == first
        made = [r for r in p.standin.requests_to("mercadopago") if r.path == "/checkout/preferences"]
        assert len(made) == 1
        # and the same key with another amount is refused without asking the provider
        other = await p.start("mercadopago", amount="11.00", idempotencyKey="pago-lento-1")
        assert codes_of(other) == ["IDEMPOTENCY_KEY_REUSED"]
        assert len([r for r in p.standin.requests_to("mercadopago") if r.path == "/checkout/preferences"]) == 1
        # and two sends of one key at the same moment answer the same attempt, the one recorded
        both = await asyncio.gather(*(p.start("stripe", amount="12.00", idempotencyKey="pago-lento-2") for _ in range(2)))
        assert both[0] == both[1] and both[0]["errors"] == [], both
        async with p.portal.engine.connect() as conn:
            kept = await conn.execute(select(payment_attempts.c.reference).where(payment_attempts.c.provider == "stripe"))
            assert [r.reference for r in kept] == [both[0]["attempt"]["reference"]]


def codes_of(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


@pytest.fixture
async def refusing(tmp_path) -> AsyncIterator[Paying]:
    async with running_standin() as standin:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        config = providers(standin.url, mp_options=[PaymentOption.TOTAL, PaymentOption.CUSTOM_AMOUNT])
        # a provider whose API does not answer (nothing listens on that port)
        config["caido"] = MercadoPagoProvider(kind="mercadopago", display_name="Caído", api_url=f"http://127.0.0.1:{free_port()}",
                                              access_token=MP_TOKEN, webhook_secret=MP_SECRET)  # fmt: skip
        async with demo_portal("sqlite", tmp_path, payment_providers=config, public_url=url, portal_url=PORTAL_URL,
                               payments_max_amount=Decimal("500.00")) as portal:  # fmt: skip
            served = await Served.start(portal.apps[0], port=port)
            try:
                yield Paying(portal, standin, url, portal.tokens["customer"])
            finally:
                await served.stop()


async def test_start_payment_refuses_what_it_must(refusing):
    p = refusing
    me = await p.me()
    assert codes_of(await p.start("mercadopago", amount="0")) == ["PAYMENT_AMOUNT_INVALID"]
    assert codes_of(await p.start("mercadopago", amount="-5")) == ["PAYMENT_AMOUNT_INVALID"]
    assert codes_of(await p.start("mercadopago", amount="10.001")) == ["PAYMENT_AMOUNT_INVALID"]
    assert codes_of(await p.start("mercadopago", amount="0.50")) == [
        "PAYMENT_AMOUNT_INVALID"
    ]  # below min_amount
    assert codes_of(await p.start("mercadopago", amount="501.00")) == [
        "PAYMENT_AMOUNT_INVALID"
    ]  # above max_amount
    assert codes_of(
        await p.start("mercadopago", "INVOICES", invoiceIds=[me["invoices"]["nodes"][0]["id"]])
    ) == ["PAYMENT_OPTION_UNAVAILABLE"]  # this provider is configured without INVOICES
    assert codes_of(await p.start("paypal", amount="10.00")) == ["PAYMENT_PROVIDER_UNKNOWN"]
    for evil in ("//evil.com/x", "https://portal.example.com.evil.com/pagos", "javascript:alert(1)",
                 "https://evil.com/?https://portal.example.com", "https://user@evil.com", "http://portal.example.com"):  # fmt: skip
        assert codes_of(await p.start("mercadopago", amount="10.00", returnUrl=evil)) == [
            "RETURN_URL_NOT_ALLOWED"
        ], evil
    # another account's invoice: not found, as if it did not exist
    async with p.portal.engine.connect() as conn:
        from ventanilla.connectors.native.tables import invoices

        mine = raw_id(me["id"])
        other = (
            await conn.execute(select(invoices.c.id).where(invoices.c.customer_id != int(mine)).limit(1))
        ).scalar_one()
    foreign = await p.start("stripe", "INVOICES", invoiceIds=[global_id("Invoice", str(other))])
    assert codes_of(foreign) == ["NOT_FOUND"]
    # above the debt, overpaying not allowed
    owed = amount_of(me["account"]["unpaidTotal"])
    over = await p.start("stripe", amount=str(owed + Decimal("1.00")), token=p.token)
    assert codes_of(over) == ["PAYMENT_AMOUNT_INVALID"]
    # the provider's API down: retryable, and no attempt is left pending
    down = await p.start("caido", amount="10.00")
    assert codes_of(down) == ["PAYMENT_PROVIDER_UNAVAILABLE"] and down["redirectUrl"] is None
    async with p.portal.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(payment_attempts))).scalar_one() == 0
        refused = await conn.execute(select(func.count()).where(audit_log.c.event == "START_PAYMENT",
                                                                audit_log.c.outcome != "OK"))  # fmt: skip
        assert refused.scalar_one() >= 10
    # a return URL under the portal is fine; the business's switch off refuses everything
    fine = await p.start("mercadopago", amount="10.00", returnUrl=f"{PORTAL_URL}/cuenta/pagos?x=1")
    assert fine["errors"] == []
    async with p.portal.client_for(features=[]) as off:
        token = await p.portal.sign_in(("cliente@example.com", "perro.calamar"), client=off)
        body = await p.portal.gql(START, {"input": {"provider": "mercadopago", "option": "TOTAL"}}, token=token,
                                  client=off)  # fmt: skip
        assert codes_of(body["data"]["startPayment"]) == ["FEATURE_DISABLED"]
        info = await p.portal.gql("{ portal { paymentProviders { name } } }", client=off)
        assert info["data"]["portal"]["paymentProviders"] == []
    public = await p.portal.gql("{ portal { paymentProviders { name displayName options currencies } } }")
    assert [x["name"] for x in public["data"]["portal"]["paymentProviders"]] == [
        "mercadopago",
        "stripe",
        "redsys",
        "caido",
    ]
    assert public["data"]["portal"]["paymentProviders"][0]["options"] == ["TOTAL", "CUSTOM_AMOUNT"]


async def test_bad_signature_replay_and_mismatch_change_nothing(refusing):
    p = refusing
    before = await p.me()
    started = await p.start("mercadopago", amount="20.00")
    reference = started["attempt"]["reference"]
    # a notification whose signature does not match: refused, audited, nothing recorded
    good = await p.standin.notify_mercadopago(reference, "approved", deliver=False)
    tampered = dict(good.headers)
    tampered["x-signature"] = tampered.get("x-signature", tampered.get("X-Signature", "")).replace(
        "v1=", "v1=00"
    )
    tampered.pop("X-Signature", None)
    async with httpx.AsyncClient() as client:
        answer = await client.post(good.url, content=good.body, headers=tampered)
    assert answer.status_code in (400, 401, 403), answer.text
    assert await p.audited("INVALID")
    assert await p.payments_with(reference) == 0
    # an approval of another amount than the attempt's: nothing changes, audited
    wrong = await p.standin.notify_mercadopago(reference, "approved", amount=19.0)
    assert wrong.status == 200
    assert await p.payments_with(reference) == 0
    assert any("19" in d for d in await p.audited("MISMATCH"))
    me = await p.me()
    assert next(a for a in me["paymentAttempts"] if a["reference"] == reference)["status"] == "PENDING"
    # the real one, then the same bytes again: one payment
    paid = await p.standin.pay(reference)
    assert paid.status == 200
    again = await p.standin.replay(paid)
    assert again.status == 200
    assert await p.payments_with(reference) == 1
    after = await p.me()
    assert amount_of(after["account"]["unpaidTotal"]) == amount_of(
        before["account"]["unpaidTotal"]
    ) - Decimal("20.00")
    assert await p.audited("REPEATED")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_same_notification_twenty_times_at_once_records_one_payment(backend, tmp_path):
    async with paying(backend, tmp_path) as p:
        before = await p.me()
        started = await p.start("stripe", amount="15.00")
        reference = started["attempt"]["reference"]
        delivery = await p.standin.pay(reference, deliver=False)
        async with httpx.AsyncClient(timeout=60) as client:
            answers = await asyncio.gather(
                *(
                    client.post(delivery.url, content=delivery.body, headers=delivery.headers)
                    for _ in range(20)
                )
            )
        assert [a.status_code for a in answers] == [200] * 20, [
            a.text for a in answers if a.status_code != 200
        ]
        assert await p.payments_with(reference) == 1
        after = await p.me()
        assert amount_of(after["account"]["unpaidTotal"]) == amount_of(
            before["account"]["unpaidTotal"]
        ) - Decimal("15.00")
        assert len(await p.portal.events_of("PaymentConfirmed")) == 1


async def test_rejected_after_approved_and_after_a_restart(tmp_path):
    async with paying("sqlite", tmp_path) as p:
        started = await p.start("stripe", amount="12.00")
        reference = started["attempt"]["reference"]
        paid = await p.standin.pay(reference)
        expired = await p.standin.refuse(reference)  # out of order: the session "expired" after it was paid
        assert paid.status == 200 and expired.status == 200
        me = await p.me()
        assert next(a for a in me["paymentAttempts"] if a["reference"] == reference)["status"] == "APPROVED"
        # a new app on the same store (a gateway restart) hears the same notification again
        async with p.portal.client_for() as restarted:
            path = urlsplit(paid.url).path
            answer = await restarted.post(path, content=paid.body, headers=paid.headers)
            assert answer.status_code == 200
        assert await p.payments_with(reference) == 1
        # and a refusal of another attempt marks it REJECTED, with nothing paid
        other = (await p.start("mercadopago", amount="11.00"))["attempt"]["reference"]
        await p.standin.refuse(other)
        me = await p.me()
        assert next(a for a in me["paymentAttempts"] if a["reference"] == other)["status"] == "REJECTED"
        assert await p.payments_with(other) == 0


async def test_reconcile_records_a_missed_webhook_and_expires_the_rest(tmp_path):
    async with paying("sqlite", tmp_path) as p:
        services = p.portal.apps[0].state.services
        missed = (await p.start("mercadopago", amount="13.00"))["attempt"]["reference"]
        await p.standin.pay(missed, deliver=False)  # paid at the provider; the webhook never arrived
        abandoned = (await p.start("mercadopago", amount="14.00"))["attempt"]["reference"]
        assert await p.payments_with(missed) == 0
        # the command, as cron runs it, with the business's configuration file
        config = tmp_path / "ventanilla.toml"
        config.write_text(f"""[store]\nurl = "{p.portal.url}"\n
[payments.providers.mercadopago]\nkind = "mercadopago"\ndisplay_name = "Mercado Pago"\napi_url = "{p.standin.url}"
access_token = "{MP_TOKEN}"\nwebhook_secret = "{MP_SECRET}"\n""")
        command = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ventanilla", "payments", "reconcile", "--minutes", "0", "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output = (await command.communicate())[0].decode()
        assert command.returncode == 0, output
        assert f"{missed}  POSTED" in output and abandoned not in output, output
        assert await p.payments_with(missed) == 1
        again = await reconcile(services, minutes=0)  # nothing twice
        assert again.recorded == [] and await p.payments_with(missed) == 1
        later = now() + timedelta(minutes=services.settings.payments_attempt_minutes + 1)
        expired = await reconcile(services, minutes=0, at=later)
        assert expired.expired == 1
        statuses = {a["reference"]: a["status"] for a in (await p.me())["paymentAttempts"]}
        assert statuses == {missed: "APPROVED", abandoned: "EXPIRED"}


@asynccontextmanager
async def paying_over_sap(tmp) -> AsyncIterator[tuple[Paying, str]]:
    """The demo business with billing read from the `sap` preset (PostgreSQL), the store on SQLite."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from ventanilla.demo.legacy import WRITERS

    from .conftest import fresh_legacy_database

    today = date.today()
    async with fresh_legacy_database("postgresql", tmp) as legacy_url, running_standin() as standin:
        legacy = create_async_engine(legacy_url)
        await WRITERS["sap"](legacy, customers=12, seed=5, today=today)
        await legacy.dispose()
        path = tmp / "sap.toml"
        routes = "\n".join(f'{d} = "erp"' for d in ("customers", "invoices", "tickets", "contracts", "plans"))
        path.write_text(f'[sources.erp]\nconnector = "sap"\nurl = "{legacy_url}"\n\n[routes]\n{routes}\n')
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        async with demo_portal("sqlite", tmp, str(path), customers=12, seed=5, today=today,
                               payment_providers=providers(standin.url), public_url=url,
                               portal_url=PORTAL_URL) as portal:  # fmt: skip
            served = await Served.start(portal.apps[0], port=port)
            try:
                yield Paying(portal, standin, url, portal.tokens["customer"]), legacy_url
            finally:
                await served.stop()


async def test_over_sap_the_erp_is_told_and_the_customer_sees_it_paid_until_the_erp_posts_it(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async with paying_over_sap(tmp_path) as (p, legacy_url):
        before = await p.me()
        invoice = before["invoices"]["nodes"][0]
        due = Decimal(invoice["balanceDue"]["amount"])
        started = await p.start("mercadopago", "INVOICES", invoiceIds=[invoice["id"]])
        assert started["errors"] == [], started
        reference = started["attempt"]["reference"]
        assert (await p.standin.pay(reference)).status == 200
        # the ERP is told; nothing is written into the store's native tables
        told = await p.portal.events_of("PaymentConfirmed")
        assert [(e["reference"], e["recordedBy"], e["invoiceIds"]) for e in told] == [
            (reference, "erp", [raw_id(invoice["id"])])
        ]
        assert await p.payments_with(reference) == 0
        # the customer sees it paid at once
        seen: list[str] = []
        record = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
        event.listen(Engine, "before_cursor_execute", record)
        try:
            shown = await p.me()
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        # the approved attempts are read once per overlaid read (the account's totals, the invoice
        # page), not a second time for the totals' settled invoices; so are the ERP's recent payments
        approved = [s for s in seen if s.startswith("SELECT payment_attempts.customer_id, payment_attempts.reference")]
        assert len(approved) == 2, approved
        assert invoice["id"] not in [i["id"] for i in shown["invoices"]["nodes"]]
        owed = amount_of(before["account"]["unpaidTotal"])
        assert amount_of(shown["account"]["unpaidTotal"]) == owed - due
        one = await p.portal.gql("query($id: ID!) { node(id: $id) { ... on Invoice { status balanceDue { amount } } } }",
                                 {"id": invoice["id"]}, token=p.token)  # fmt: skip
        assert one["data"]["node"] == {"status": "PAID", "balanceDue": {"amount": "0.00"}}
        # the ERP's own posting appears, carrying the reference: from then on the ERP's figures alone
        # count (here the posting is a payment the ERP already had, so its figures are as before)
        legacy = create_async_engine(legacy_url)
        try:
            async with legacy.begin() as conn:
                customer = raw_id(before["id"])
                posted = await conn.execute(text(
                    "UPDATE \"BKPF\" SET \"BKTXT\" = :ref WHERE \"BELNR\" = (SELECT b.\"BELNR\" FROM \"BKPF\" b JOIN "
                    "\"BSEG\" s ON s.\"BELNR\" = b.\"BELNR\" AND s.\"BUKRS\" = b.\"BUKRS\" AND s.\"GJAHR\" = b.\"GJAHR\" "
                    "WHERE b.\"BLART\" = 'DZ' AND ltrim(s.\"KUNNR\", '0') = ltrim(:customer, '0') ORDER BY b.\"BUDAT\" DESC LIMIT 1)"
                ), {"ref": f"MP {reference}", "customer": customer})  # fmt: skip
                assert posted.rowcount >= 1
        finally:
            await legacy.dispose()
        after = await p.me()
        assert amount_of(after["account"]["unpaidTotal"]) == owed  # not counted twice: the ERP's alone


async def test_a_partner_returns_to_its_registered_origin(refusing):
    import base64

    from ventanilla.auth.partners import register_client

    p = refusing
    customer = (await p.me())["id"]
    services = p.portal.apps[0].state.services
    registered = await register_client(services.access, "socio-pagos", ["customers:read", "billing:write", "billing:read"],
                                       ["https://socio.example.org"], "test")  # fmt: skip
    basic = base64.b64encode(f"{registered.client_id}:{registered.client_secret}".encode()).decode()
    answer = await p.portal.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                        headers={"Authorization": f"Basic {basic}"})  # fmt: skip
    token = answer.json()["access_token"]
    ok = await p.start("stripe", amount="10.00", customerId=customer, returnUrl="https://socio.example.org/vuelta",
                       token=token)  # fmt: skip
    assert ok["errors"] == [] and ok["attempt"]["status"] == "PENDING", ok
    elsewhere = await p.start("stripe", amount="10.00", customerId=customer, returnUrl="https://otro.example.org/",
                              token=token)  # fmt: skip
    assert codes_of(elsewhere) == ["RETURN_URL_NOT_ALLOWED"]
    read = await p.portal.gql("query($id: ID!) { node(id: $id) { ... on Customer { paymentAttempts { status } } } }",
                              {"id": customer}, token=token)  # fmt: skip
    assert read["data"]["node"]["paymentAttempts"] == [{"status": "PENDING"}], read
