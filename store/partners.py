"""Partners' registered client applications (FEATURES.md A11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import partner_clients


@dataclass(frozen=True, slots=True)
class PartnerClient:
    client_id: str
    name: str
    secret_hash: str
    scopes: frozenset[str]
    origins: tuple[str, ...]
    disabled: bool


def _client(row: Any) -> PartnerClient:
    return PartnerClient(
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=frozenset(row.scopes.split()),
        origins=tuple(row.origins.split()),
        disabled=row.disabled,
    )


async def add_client(
    conn: AsyncConnection, client_id: str, name: str, secret_hash: str, scopes: list[str], origins: list[str]
) -> None:
    await conn.execute(
        insert(partner_clients).values(
            client_id=client_id, name=name, secret_hash=secret_hash, scopes=" ".join(sorted(scopes)),
            origins=" ".join(origins), disabled=False, created_at=datetime.now(UTC),
        )
    )  # fmt: skip


async def client_by_id(conn: AsyncConnection, client_id: str) -> PartnerClient | None:
    row = (await conn.execute(select(partner_clients).where(partner_clients.c.client_id == client_id))).first()
    return _client(row) if row else None


async def list_clients(conn: AsyncConnection) -> list[PartnerClient]:
    rows = await conn.execute(select(partner_clients).order_by(partner_clients.c.name))
    return [_client(r) for r in rows]


async def set_client_disabled(conn: AsyncConnection, client_id: str, disabled: bool) -> bool:
    result = await conn.execute(
        update(partner_clients).where(partner_clients.c.client_id == client_id).values(disabled=disabled)
    )
    return result.rowcount == 1


async def allowed_origins(conn: AsyncConnection) -> set[str]:
    """Every browser origin some enabled partner registered (CORS)."""
    rows = await conn.execute(select(partner_clients.c.origins).where(partner_clients.c.disabled.is_(False)))
    return {origin for r in rows for origin in r.origins.split()}
