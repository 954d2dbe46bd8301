"""Users of the portal (customer users and staff) in Ventanilla's own store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.passwords import hash_password
from ..connectors.executor import read_rows
from .tables import sessions, user_customers, user_logins, users

NOBODY = 0  # no user has id 0 (ids start at 1): a statement about it touches no row


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


@dataclass(frozen=True, slots=True)
class SessionState:
    """The session an access token names, as the store holds it now."""

    exists: bool
    revoked: bool
    expires_at: datetime | None


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
            password_hash=await hash_password(password),
            kind=kind,
            role=role,
            must_change_password=must_change_password,
            disabled=False,
            created_at=datetime.now(UTC),
        )
    )
    user_id = result.inserted_primary_key[0]  # type: ignore[index]  # an INSERT always has one
    if customer_ids:
        await conn.execute(
            insert(user_customers),
            [
                {"user_id": user_id, "customer_id": str(cid), "is_default": i == 0}
                for i, cid in enumerate(customer_ids)
            ],
        )
    return user_id


def _user(row: Any, customer_ids: tuple[str, ...]) -> User:
    return User(
        id=row.id,
        login=row.login,
        name=row.name,
        password_hash=row.password_hash,
        kind=row.kind,
        role=row.role,
        must_change_password=row.must_change_password,
        disabled=row.disabled,
        customer_ids=customer_ids,
    )


def _with_accounts(query: Select) -> Select:
    """`query` (of users) with each user's linked accounts, the default one first: one statement."""
    return (
        query.add_columns(user_customers.c.customer_id)
        .outerjoin(user_customers, user_customers.c.user_id == users.c.id)
        .order_by(users.c.id, user_customers.c.is_default.desc(), user_customers.c.customer_id)
    )


async def _users(conn: AsyncConnection, query: Select) -> list[User]:
    rows = (await conn.execute(_with_accounts(query))).all()
    accounts: dict[int, list[str]] = {}
    firsts: dict[int, Any] = {}
    for row in rows:
        firsts.setdefault(row.id, row)
        found = accounts.setdefault(row.id, [])
        if row.customer_id is not None:
            found.append(row.customer_id)
    return [_user(row, tuple(accounts[user_id])) for user_id, row in firsts.items()]


async def _one(conn: AsyncConnection, query: Select) -> User | None:
    """The user `query` finds, in one statement whether or not there is one: a lookup of an
    unknown login costs the store what a known one does (issue 10 item 9)."""
    found = await _users(conn, query)
    return found[0] if found else None


async def user_by_login(conn: AsyncConnection, login: str) -> User | None:
    return await _one(conn, select(users).where(users.c.login == login.strip().lower()))


async def user_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    return await _one(conn, select(users).where(users.c.id == user_id))


async def user_by_identifier(conn: AsyncConnection, kind: str, value: str) -> User | None:
    """The customer user a tax id (digits) or customer code signs in as (FEATURES.md A1)."""
    return await _one(
        conn,
        select(users)
        .join(user_logins, user_logins.c.user_id == users.c.id)
        .where(user_logins.c.kind == kind, user_logins.c.value == value),
    )


# Built once, the user and the session bound: building it costs more than running it.
_USER_FOR_REQUEST = (
    select(
        users,
        user_customers.c.customer_id,
        user_customers.c.is_default,
        sessions.c.id.label("session_id"),
        sessions.c.revoked_at,
        sessions.c.expires_at,
    )
    .select_from(users)
    .outerjoin(user_customers, user_customers.c.user_id == users.c.id)
    .outerjoin(sessions, and_(sessions.c.id == bindparam("session_id"), sessions.c.user_id == users.c.id))
    .where(users.c.id == bindparam("user_id"))
    .order_by(user_customers.c.is_default.desc(), user_customers.c.customer_id)
)


async def user_for_request(
    conn: AsyncConnection, user_id: int, session_id: str | None
) -> tuple[User | None, SessionState]:
    """The user, its accounts and the token's session in ONE statement: every request pays it."""
    values = {"user_id": user_id, "session_id": session_id or ""}
    rows = await read_rows(conn, _USER_FOR_REQUEST, values)
    if not rows:
        return None, SessionState(False, False, None)
    first = rows[0]
    ids = tuple(r.customer_id for r in rows if r.customer_id is not None)
    state = SessionState(first.session_id is not None, first.revoked_at is not None, first.expires_at)
    return _user(first, ids), state


async def set_password(
    conn: AsyncConnection, user_id: int, password: str, *, must_change: bool = False
) -> None:
    await conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=await hash_password(password), must_change_password=must_change)
    )


async def set_disabled(conn: AsyncConnection, user_id: int, disabled: bool) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(disabled=disabled))


async def link_account(conn: AsyncConnection, user_id: int, customer_id: str) -> None:
    """Link an account (idempotent); the first account linked is the default one."""
    existing = (
        await conn.execute(select(user_customers.c.customer_id).where(user_customers.c.user_id == user_id))
    ).all()
    if any(r.customer_id == customer_id for r in existing):
        return
    await conn.execute(
        insert(user_customers).values(user_id=user_id, customer_id=customer_id, is_default=not existing)
    )


async def unlink_account(conn: AsyncConnection, customer_id: str) -> list[int]:
    """Remove every user's link to `customer_id`; the users that had it."""
    holders = [
        r.user_id
        for r in await conn.execute(
            select(user_customers.c.user_id).where(user_customers.c.customer_id == customer_id)
        )
    ]
    await conn.execute(delete(user_customers).where(user_customers.c.customer_id == customer_id))
    return holders


async def add_identifiers(conn: AsyncConnection, user_id: int, identifiers: dict[str, str]) -> None:
    """Record the tax id / customer code a user may sign in with; one already taken stays its owner's."""
    for kind, value in identifiers.items():
        if not value:
            continue
        taken = (
            await conn.execute(
                select(user_logins.c.user_id).where(user_logins.c.kind == kind, user_logins.c.value == value)
            )
        ).first()
        if taken is None:
            await conn.execute(insert(user_logins).values(kind=kind, value=value, user_id=user_id))


async def remove_identifiers(conn: AsyncConnection, user_id: int, values: Sequence[str]) -> None:
    await conn.execute(
        delete(user_logins).where(user_logins.c.user_id == user_id, user_logins.c.value.in_(list(values)))
    )


async def list_users(conn: AsyncConnection, kind: str) -> list[User]:
    found = await _users(conn, select(users).where(users.c.kind == kind))
    return sorted(found, key=lambda user: user.login)
