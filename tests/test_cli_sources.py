"""`ventanilla access grant|revoke` find the customer where the deployment's configuration routes
customers: in a legacy ERP, not only in the store."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.cli import main as cli_main
from ventanilla.connectors.records import CustomerFilter, Page
from ventanilla.connectors.routing import source_from
from ventanilla.demo.legacy import WRITERS
from ventanilla.store.schema import migrate
from ventanilla.store.tables import user_customers

from .conftest import fresh_legacy_database

TODAY = date(2026, 11, 30)


async def test_the_cli_grants_and_revokes_an_account_that_lives_in_the_erp(tmp_path, capsys, monkeypatch):
    async with (
        fresh_legacy_database("postgresql", tmp_path) as erp_url,
        fresh_legacy_database("sqlite", tmp_path) as store_url,
    ):
        erp = create_async_engine(erp_url)
        await WRITERS["sap"](erp, customers=6, seed=5, today=TODAY)
        await erp.dispose()
        sap = source_from("erp", {"connector": "sap", "url": erp_url, "params": {"client": "100"}}, 10.0)
        try:
            page = await sap.customer_page(CustomerFilter(), Page(first=1), TODAY)
            customer_id = page.items[0].id
        finally:
            await sap.engine.dispose()
        config = tmp_path / "ventanilla.toml"
        config.write_text(
            f'[sources.erp]\nconnector = "sap"\nurl = "{erp_url}"\nparams = {{ client = "100" }}\n\n'
            '[routes]\ncustomers = "erp"\ninvoices = "erp"\n'
        )
        common = ["--config", str(config), "--db", store_url]
        login = "sap.cliente@example.com"
        grant = ["access", "grant", customer_id, "--login", login, "--no-email", *common]
        assert await asyncio.to_thread(cli_main, grant) == 0

        store = create_async_engine(store_url)
        try:
            await migrate(store)
            async with store.connect() as conn:
                linked = (await conn.execute(select(user_customers.c.customer_id))).scalars().all()
            assert linked == [customer_id]
            revoke = ["access", "revoke", customer_id, *common]
            assert await asyncio.to_thread(cli_main, revoke) == 0
            async with store.connect() as conn:
                assert (await conn.execute(select(user_customers.c.customer_id))).scalars().all() == []
        finally:
            await store.dispose()

        # A customer the ERP does not have is refused, and nothing is linked.
        missing = ["access", "grant", "NO-SUCH-CUSTOMER", "--login", "x@example.com", "--no-email", *common]
        assert await asyncio.to_thread(cli_main, missing) == 2
        assert "No se encontró el cliente" in capsys.readouterr().err
