"""Partners' registered client applications (FEATURES.md A11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import partner_clients, partner_queries


@dataclass(frozen=True, slots=True)
class PartnerClient:
    client_id: str
    name: str
    secret_hash: str
    scopes: frozenset[str]
    origins: tuple[str, ...]
    disabled: bool
    queries_only: bool = False  # allow-list mode: only its partner_queries run


def _client(row: Any) -> PartnerClient:
    return PartnerClient(
        client_id=row.client_id,
        name=row.name,
        secret_hash=row.secret_hash,
        scopes=frozenset(row.scopes.split()),
        origins=tuple(row.origins.split()),
        disabled=row.disabled,
        queries_only=bool(row.queries_only),
    )


async def add_client(
    conn: AsyncConnection, client_id: str, name: str, secret_hash: str, scopes: list[str], origins: list[str]
) -> None:
    await conn.execute(
        insert(partner_clients).values(
            client_id=client_id, name=name, secret_hash=secret_hash, scopes=" ".join(sorted(scopes)),
            origins=" ".join(origins), disabled=False, created_at=datetime.now(UTC), queries_only=False,
        )
    )  # fmt: skip


async def client_by_id(conn: AsyncConnection, client_id: str) -> PartnerClient | None:
    row = (
        await conn.execute(select(partner_clients).where(partner_clients.c.client_id == client_id))
    ).first()
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


# --- allow-list mode: the documents a client may run ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnerQuery:
    sha256: str
    query: str
    created_at: datetime


async def add_query(conn: AsyncConnection, client_id: str, digest: str, query: str) -> bool:
    """Register a document for the client and put it in allow-list mode; False when already there."""
    await conn.execute(
        update(partner_clients).where(partner_clients.c.client_id == client_id).values(queries_only=True)
    )
    known = select(partner_queries.c.sha256).where(
        partner_queries.c.client_id == client_id, partner_queries.c.sha256 == digest
    )
    if (await conn.execute(known)).first() is not None:
        return False
    await conn.execute(
        insert(partner_queries).values(
            client_id=client_id, sha256=digest, query=query, created_at=datetime.now(UTC)
        )
    )
    return True


async def list_queries(conn: AsyncConnection, client_id: str) -> list[PartnerQuery]:
    rows = await conn.execute(
        select(partner_queries)
        .where(partner_queries.c.client_id == client_id)
        .order_by(partner_queries.c.created_at)
    )
    return [PartnerQuery(r.sha256, r.query, r.created_at) for r in rows]


async def remove_query(conn: AsyncConnection, client_id: str, digest: str) -> bool:
    """Forget one document (the client stays in allow-list mode, even with none left)."""
    result = await conn.execute(
        delete(partner_queries).where(
            partner_queries.c.client_id == client_id, partner_queries.c.sha256 == digest
        )
    )
    return result.rowcount == 1


async def set_queries_only(conn: AsyncConnection, client_id: str, on: bool) -> bool:
    result = await conn.execute(
        update(partner_clients).where(partner_clients.c.client_id == client_id).values(queries_only=on)
    )
    return result.rowcount == 1


async def registered_query(conn: AsyncConnection, client_id: str, digest: str) -> str | None:
    """The client's document of that hash, if it registered one."""
    found = select(partner_queries.c.query).where(
        partner_queries.c.client_id == client_id, partner_queries.c.sha256 == digest
    )
    return (await conn.execute(found)).scalar_one_or_none()
