"""The app's shutdown closes the legacy sources' connection pools, not only the store's."""

from __future__ import annotations

import os

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from ventanilla.connectors.routing import RoutedSource
from ventanilla.settings import Settings
from ventanilla.store.schema import migrate
from ventanilla.web.app import create_app

from .conftest import PG_SERVER, TEST_SECRET, fresh_database


async def _sessions_on(name: str) -> int:
    admin = create_async_engine(f"{PG_SERVER}/test")
    try:
        async with admin.connect() as conn:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
            return (await conn.execute(query, {"name": name})).scalar_one()
    finally:
        await admin.dispose()


async def test_shutdown_closes_the_legacy_pools(tmp_path) -> None:
    # given: an app routing customers to a legacy database on PostgreSQL, whose pool holds a connection
    async with fresh_database("sqlite", tmp_path) as store_url, fresh_database("postgresql", tmp_path) as url:
        store = create_async_engine(store_url)
        await migrate(store)  # serve starts only on a migrated store
        await store.dispose()
        config = tmp_path / "ventanilla.toml"
        config.write_text(f'[sources.erp]\nconnector = "sap"\nurl = "{url}"\n\n[routes]\ncustomers = "erp"\n')
        os.environ["VENTANILLA_CONFIG"] = str(config)
        try:
            app = create_app(Settings(database_url=store_url, secret_key=TEST_SECRET, timezone="UTC"))
        finally:
            os.environ.pop("VENTANILLA_CONFIG", None)
        source = app.state.source
        assert isinstance(source, RoutedSource)
        legacy = source.sources["erp"].engine
        database = url.rsplit("/", 1)[1]
        # when
        async with app.router.lifespan_context(app):
            async with legacy.connect() as conn:
                await conn.execute(text("SELECT 1"))
            assert legacy.pool.checkedin() == 1
            assert await _sessions_on(database) == 1
        # then
        assert legacy.pool.checkedin() == 0
        assert await _sessions_on(database) == 0
