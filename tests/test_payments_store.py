"""Recording a confirmation once, on each store the gateway runs on (SQLite, PostgreSQL, MariaDB):
20 deliveries of one approval at once post one payment; a rejection after it changes nothing."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.native.tables import customers, invoices, payments
from ventanilla.demo.business import generate_demo
from ventanilla.payments.base import Confirmation, Outcome
from ventanilla.resolvers.payments import record
from ventanilla.settings import Settings
from ventanilla.store import payments as store
from ventanilla.store.blobs import DirectoryBlobs
from ventanilla.web.app import create_app

from .conftest import TEST_SECRET, fresh_legacy_database


class Recorder:
    """A provider as the gateway sees it (our Protocol), for recording only: nothing is started here."""

    name = kind = "mercadopago"
    display_name = "Mercado Pago"
    can_look_up = False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
async def test_twenty_deliveries_at_once_post_one_payment(backend, tmp_path):
    async with fresh_legacy_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        await generate_demo(
            engine, customers=4, seed=3, today=date.today(), blobs=DirectoryBlobs(tmp_path / "f")
        )
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET, timezone="UTC", pool_size=12))
        services = app.state.services
        try:
            async with engine.connect() as conn:
                due = func.round(invoices.c.total - invoices.c.paid_amount, 2)
                owing = (await conn.execute(select(invoices.c.customer_id, invoices.c.id, due.label("due"))
                                            .where(due > 0, invoices.c.kind == "INVOICE").limit(1))).one()  # fmt: skip
            customer, invoice = str(owing.customer_id), str(owing.id)
            amount = Decimal(str(owing.due)).quantize(Decimal("0.01"))
            async with engine.begin() as conn:
                attempt = await store.insert_attempt(conn, store.NewAttempt(
                    reference="1234ABCDEFGH", customer_id=customer, provider="mercadopago", option="INVOICES",
                    amount=amount, currency="ARS", invoice_ids=(invoice,), provider_reference=None,
                    redirect_url="http://127.0.0.1/x", form=None, return_url=None,
                ))  # fmt: skip
            approved = Confirmation(
                "mp-1", "1234ABCDEFGH", Outcome.APPROVED, amount, "ARS", provider_status="approved"
            )
            done = await asyncio.gather(
                *(record(services, Recorder(), approved, "notification") for _ in range(20))
            )  # type: ignore[arg-type]
            assert sorted(d.outcome for d in done) == ["POSTED"] + ["REPEATED"] * 19
            rejected = Confirmation(
                "mp-1", "1234ABCDEFGH", Outcome.REJECTED, amount, "ARS", provider_status="rejected"
            )
            assert (await record(services, Recorder(), rejected, "notification")).outcome == "REPEATED"  # type: ignore[arg-type]
            async with engine.connect() as conn:
                posted = await conn.execute(
                    select(func.count()).where(payments.c.reference == "1234ABCDEFGH")
                )
                assert posted.scalar_one() == 1
                paid = await conn.execute(
                    select(invoices.c.total - invoices.c.paid_amount).where(invoices.c.id == int(invoice))
                )
                assert Decimal(str(paid.scalar_one())) == 0
                assert (await store.attempt_by_id(conn, attempt)).status is store.AttemptStatus.APPROVED
                assert (await conn.execute(select(func.count()).select_from(customers))).scalar_one() >= 1
        finally:
            await app.state.close()
            await engine.dispose()
