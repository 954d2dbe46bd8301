"""The store's migrations (store/schema.py): a store made before migrations is adopted with its rows,
a partial one is completed, the migrated schema is exactly the code's, and serve refuses a store
that misses a migration."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from ventanilla.connectors.native import tables as native
from ventanilla.settings import Settings
from ventanilla.store import version
from ventanilla.store.schema import TARGET, _config, current, head, migrate
from ventanilla.web.app import create_app

from .conftest import BACKENDS, TEST_SECRET, fresh_database

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def _store_before_migrations(conn: AsyncConnection, *, native_tables: bool) -> None:
    """A store as the code of 2026-12-01 made it with create_all: revision 0001's tables and no
    version table (`ventanilla staff add` made only the access tables)."""
    await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0001"))
    await conn.exec_driver_sql("DROP TABLE alembic_version")
    if not native_tables:
        for table in reversed(native.metadata.sorted_tables):
            await conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")  # those of revision 0001
    await conn.execute(
        text(
            "INSERT INTO users (id, login, name, password_hash, kind, role, must_change_password, disabled, created_at)"
            " VALUES (1, 'ana@example.com', 'Ana', 'argon2-hash', 'CUSTOMER', NULL, false, false, :now)"
        ),
        {"now": NOW},
    )
    await conn.execute(
        text("INSERT INTO user_customers (user_id, customer_id, is_default) VALUES (1, '42', true)")
    )
    await conn.execute(
        text(
            "INSERT INTO sessions (id, user_id, remember, created_at, expires_at, revoked_at, ip)"
            " VALUES ('s1', 1, false, :now, :later, NULL, '10.0.0.1')"
        ),
        {"now": NOW, "later": NOW + timedelta(days=1)},
    )
    await conn.execute(
        text(
            "INSERT INTO audit_log (at, event, outcome, login) VALUES (:now, 'SIGN_IN', 'OK', 'ana@example.com')"
        ),
        {"now": NOW},
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("native_tables", [True, False], ids=["demo-store", "staff-add-store"])
async def test_a_store_made_before_migrations_keeps_its_rows_and_gets_every_table(
    backend, native_tables, tmp_path
) -> None:
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await _store_before_migrations(conn, native_tables=native_tables)
            # when it is migrated
            done = await migrate(engine)
            assert (done.before, done.after) == (None, head())
            async with engine.connect() as conn:
                # then its users, sessions and audit are intact
                user = (await conn.execute(text("SELECT login, name, password_hash FROM users"))).one()
                assert tuple(user) == ("ana@example.com", "Ana", "argon2-hash")
                assert (await conn.execute(text("SELECT customer_id FROM user_customers"))).scalar() == "42"
                assert (
                    await conn.execute(text("SELECT ip FROM sessions WHERE id = 's1'"))
                ).scalar() == "10.0.0.1"
                assert (await conn.execute(text("SELECT event FROM audit_log"))).scalar() == "SIGN_IN"
                # and it has every table the code may ask for (a staff-add store lacked the native ones)
                names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
                assert {t.name for m in TARGET for t in m.sorted_tables} <= names
            # when it is migrated again, nothing happens
            again = await migrate(engine)
            assert (again.before, again.after) == (head(), head())
        finally:
            await engine.dispose()


# Alembic cannot compare an index on expressions with its declaration (it reflects the text the
# server normalised): these are checked by name instead.
EXPRESSION_INDEXES = {"ix_customers_order"}  # PostgreSQL only (connectors/native/tables.py)


def _comparable(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", ["new", "upgraded"])
async def test_the_migrated_store_is_exactly_what_the_code_declares(backend, path, tmp_path) -> None:
    """A table, column, type or index added to store/tables.py or connectors/native/tables.py
    without its migration fails here, for a new store (made from the metadata and stamped) and
    for one brought up migration by migration."""
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            if path == "upgraded":
                async with engine.begin() as conn:
                    await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0001"))
            await migrate(engine)
            async with engine.connect() as conn:
                options = {"compare_type": True, "include_object": _comparable}
                differences = await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts=options), TARGET)
                )
                indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes("customers"))
            assert differences == []
            expected = EXPRESSION_INDEXES if backend == "postgresql" else set()
            assert {i["name"] for i in indexes} & EXPRESSION_INDEXES == expected
        finally:
            await engine.dispose()


async def test_serve_refuses_a_store_that_misses_a_migration(tmp_path) -> None:
    async with fresh_database("sqlite", tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await _store_before_migrations(conn, native_tables=True)
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET))
        with pytest.raises(SystemExit, match="ventanilla migrate"):
            async with app.router.lifespan_context(app):
                pass
        # once migrated, it starts
        await migrate(engine)
        await engine.dispose()
        app = create_app(Settings(database_url=url, secret_key=TEST_SECRET))
        async with app.router.lifespan_context(app):
            pass


def test_the_revision_serve_checks_is_the_newest_migration() -> None:
    # serve reads the store's revision without Alembic (store/version.py): name a new migration there
    assert version.HEAD == head(), f"store/version.py: HEAD = {head()!r}, the newest migration"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_revision_read_without_alembic_is_alembics(backend, tmp_path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            assert await conn.run_sync(version.stored_revision) is None  # never migrated
        async with engine.begin() as conn:  # a store three migrations old
            await conn.run_sync(lambda sync: command.upgrade(_config(sync), "0003"))
        async with engine.connect() as conn:
            assert await conn.run_sync(version.stored_revision) == await current(conn) == "0003"
        assert await version.behind(engine)
        await migrate(engine)
        assert not await version.behind(engine)
        await engine.dispose()


def test_the_migrate_command_migrates_once_and_then_says_up_to_date(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    run = lambda: (
        subprocess.run(  # noqa: E731
            [sys.executable, "-m", "ventanilla", "migrate", "--db", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert f"-> {head()}" in run()
    assert "up to date" in run()
