"""Users of the portal (customer users and staff) in Ventanilla's own store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.passwords import hash_password
from .tables import user_customers, users


@dataclass(frozen=True, slots=True)
class User:
    id: int
    login: str
    name: str
    password_hash: str
    kind: str  # CUSTOMER, STAFF
    role: str | None
    must_change_password: bool
    disabled: bool
    customer_ids: tuple[str, ...]  # linked accounts, the default one first


async def create_user(
    conn: AsyncConnection,
    *,
    login: str,
    name: str,
    password: str,
    kind: str,
    role: str | None = None,
    customer_ids: Sequence[str] = (),
    must_change_password: bool = False,
) -> int:
    """Insert a user (password hashed) linked to `customer_ids`, the first being the default."""
    result = await conn.execute(
        insert(users).values(
            login=login.strip().lower(),
            name=name,
            password_hash=hash_password(password),
            kind=kind,
            role=role,
            must_change_password=must_change_password,
            disabled=False,
            created_at=datetime.now(UTC),
        )
    )
    user_id = result.inserted_primary_key[0]
    if customer_ids:
        await conn.execute(
            insert(user_customers),
            [
                {"user_id": user_id, "customer_id": str(cid), "is_default": i == 0}
                for i, cid in enumerate(customer_ids)
            ],
        )
    return user_id


async def _with_accounts(conn: AsyncConnection, row) -> User | None:
    if row is None:
        return None
    links = await conn.execute(
        select(user_customers.c.customer_id)
        .where(user_customers.c.user_id == row.id)
        .order_by(user_customers.c.is_default.desc(), user_customers.c.customer_id)
    )
    return User(
        id=row.id,
        login=row.login,
        name=row.name,
        password_hash=row.password_hash,
        kind=row.kind,
        role=row.role,
        must_change_password=row.must_change_password,
        disabled=row.disabled,
        customer_ids=tuple(r.customer_id for r in links),
    )


async def user_by_login(conn: AsyncConnection, login: str) -> User | None:
    row = (await conn.execute(select(users).where(users.c.login == login.strip().lower()))).first()
    return await _with_accounts(conn, row)


async def user_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return await _with_accounts(conn, row)
