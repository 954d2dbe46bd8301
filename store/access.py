"""Sessions, refresh tokens, one-time secrets (reset links, sign-in codes) and the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import audit_log, one_time_secrets, refresh_tokens, sessions, users


def now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they were stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def create_session(
    conn: AsyncConnection, user_id: int, remember: bool, expires_at: datetime, ip: str | None
) -> str:
    session_id = uuid.uuid4().hex
    await conn.execute(
        insert(sessions).values(
            id=session_id, user_id=user_id, remember=remember, created_at=now(),
            expires_at=expires_at, revoked_at=None, ip=ip,
        )
    )  # fmt: skip
    return session_id


async def revoke_session(conn: AsyncConnection, session_id: str) -> None:
    await conn.execute(
        update(sessions).where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None)).values(revoked_at=now())
    )


async def revoke_user_sessions(conn: AsyncConnection, user_id: int, keep: str | None = None) -> None:
    """End every open session of a user, except `keep` (the one changing its password)."""
    condition = [sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)]
    if keep:
        condition.append(sessions.c.id != keep)
    await conn.execute(update(sessions).where(*condition).values(revoked_at=now()))


async def add_refresh_token(conn: AsyncConnection, session_id: str, token_hash: str) -> None:
    await conn.execute(
        insert(refresh_tokens).values(token_hash=token_hash, session_id=session_id, created_at=now(), used_at=None)
    )


@dataclass(frozen=True, slots=True)
class RefreshRow:
    session_id: str
    user_id: int
    used: bool
    revoked: bool
    expires_at: datetime


async def refresh_token(conn: AsyncConnection, token_hash: str) -> RefreshRow | None:
    row = (
        await conn.execute(
            select(
                refresh_tokens.c.session_id, refresh_tokens.c.used_at, sessions.c.user_id,
                sessions.c.revoked_at, sessions.c.expires_at,
            )
            .join(sessions, sessions.c.id == refresh_tokens.c.session_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
    ).first()  # fmt: skip
    if row is None:
        return None
    expires = aware(row.expires_at)
    assert expires is not None
    return RefreshRow(row.session_id, row.user_id, row.used_at is not None, row.revoked_at is not None, expires)


async def use_refresh_token(conn: AsyncConnection, token_hash: str) -> bool:
    """Mark it used; False when another request used it first (the update is the arbiter)."""
    result = await conn.execute(
        update(refresh_tokens)
        .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


async def create_secret(
    conn: AsyncConnection, user_id: int, purpose: str, secret_hash: str, expires_at: datetime
) -> None:
    """A new reset link or code; the user's earlier unused ones of the same purpose stop working.
    For a user that does not exist (store.users.NOBODY) the same statements touch no row."""
    await conn.execute(
        update(one_time_secrets)
        .where(
            one_time_secrets.c.user_id == user_id,
            one_time_secrets.c.purpose == purpose,
            one_time_secrets.c.used_at.is_(None),
        )
        .values(used_at=now())
    )
    stamp = DateTime(timezone=True)
    row = select(
        literal(secret_hash, String), users.c.id, literal(purpose, String), literal(now(), stamp),
        literal(expires_at, stamp), literal(0, Integer),
    ).where(users.c.id == user_id)  # fmt: skip
    columns = ["secret_hash", "user_id", "purpose", "created_at", "expires_at", "failures"]
    await conn.execute(insert(one_time_secrets).from_select(columns, row))


@dataclass(frozen=True, slots=True)
class SecretRow:
    id: int
    user_id: int
    secret_hash: str
    expires_at: datetime
    used: bool
    failures: int


def _secret(row: Any) -> SecretRow:
    expires = aware(row.expires_at)
    assert expires is not None
    return SecretRow(row.id, row.user_id, row.secret_hash, expires, row.used_at is not None, row.failures)


async def secret_by_hash(conn: AsyncConnection, purpose: str, secret_hash: str) -> SecretRow | None:
    row = (
        await conn.execute(
            select(one_time_secrets).where(
                one_time_secrets.c.secret_hash == secret_hash, one_time_secrets.c.purpose == purpose
            )
        )
    ).first()
    return _secret(row) if row else None


async def latest_secret(conn: AsyncConnection, user_id: int, purpose: str) -> SecretRow | None:
    row = (
        await conn.execute(
            select(one_time_secrets)
            .where(one_time_secrets.c.user_id == user_id, one_time_secrets.c.purpose == purpose)
            .order_by(one_time_secrets.c.id.desc())
            .limit(1)
        )
    ).first()
    return _secret(row) if row else None


async def use_secret(conn: AsyncConnection, secret_id: int) -> bool:
    """Single use: False when it was already used (another request won the update)."""
    result = await conn.execute(
        update(one_time_secrets)
        .where(one_time_secrets.c.id == secret_id, one_time_secrets.c.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


async def count_failure(conn: AsyncConnection, secret_id: int, limit: int) -> int:
    """One more wrong try; at `limit` the secret is spent. The failures so far."""
    await conn.execute(
        update(one_time_secrets)
        .where(one_time_secrets.c.id == secret_id)
        .values(failures=one_time_secrets.c.failures + 1)
    )
    failures = (
        await conn.execute(select(one_time_secrets.c.failures).where(one_time_secrets.c.id == secret_id))
    ).scalar_one()
    if failures >= limit:
        await use_secret(conn, secret_id)
    return int(failures)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    event: str
    outcome: str
    login: str | None
    user_id: int | None
    actor: str | None
    ip: str | None
    detail: str | None
    customer_id: str | None = None  # on whose behalf (portal actions)
    object_id: str | None = None  # what it acted on


async def audit(
    conn: AsyncConnection,
    event: str,
    outcome: str,
    *,
    login: str | None = None,
    user_id: int | None = None,
    actor: str | None = None,
    ip: str | None = None,
    detail: str | None = None,
    customer_id: str | None = None,
    object_id: str | None = None,
) -> None:
    await conn.execute(
        insert(audit_log).values(
            at=now(), event=event, outcome=outcome, login=(login or None) and login[:120], user_id=user_id,
            actor=actor, ip=ip, detail=detail and detail[:200], customer_id=customer_id and customer_id[:60],
            object_id=object_id and object_id[:80],
        )
    )  # fmt: skip


async def audit_entries(
    conn: AsyncConnection,
    limit: int = 100,
    login: str | None = None,
    event: str | None = None,
    customer_id: str | None = None,
) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if login:
        query = query.where(audit_log.c.login == login.strip().lower())
    if event:
        query = query.where(audit_log.c.event == event)
    if customer_id:
        query = query.where(audit_log.c.customer_id == customer_id)
    rows = (await conn.execute(query)).all()
    return [
        AuditEntry(aware(r.at) or r.at, r.event, r.outcome, r.login, r.user_id, r.actor, r.ip, r.detail,
                   r.customer_id, r.object_id)  # fmt: skip
        for r in rows
    ]
