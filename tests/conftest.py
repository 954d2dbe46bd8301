"""Shared fixtures: fresh databases on the real servers this machine runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# The PostgreSQL server the tests create their throw-away databases on.
PG_SERVER = os.environ.get("VENTANILLA_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def fresh_database(backend: str, tmp_dir: Path) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database on `backend`; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / f'{uuid.uuid4().hex}.db'}"
        return
    name = f"vt_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield f"{PG_SERVER}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


@pytest.fixture(params=BACKENDS)
async def empty_engine(request, tmp_path) -> AsyncIterator[AsyncEngine]:
    """An async engine on a new empty database, once on SQLite and once on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        engine = create_async_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()
