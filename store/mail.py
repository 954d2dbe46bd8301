"""The outgoing-mail queue (tables.outgoing_mail): queue, claim by lease, settle; what admins see.

A worker claims a mail with a compare-and-set on its lease, so on one store each mail is sent
by one worker at a time; `attempts` grows with every claim and fences the settling update, so a
worker whose lease ran out cannot overwrite what the next one did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, Row, String, Text, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from .access import aware
from .tables import outgoing_mail, users

QUEUED, SENT, FAILED = "QUEUED", "SENT", "FAILED"


@dataclass(frozen=True, slots=True)
class ClaimedMail:
    id: int
    message_id: str
    recipient: str
    template: str
    user_id: int | None
    sealed: str | None
    attempts: int  # this attempt's number: the fence of the update that settles it
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class MailEntry:
    """A queued or settled mail as admins see it: never its subject or body."""

    id: int
    recipient: str
    template: str
    status: str  # QUEUED, SENT, FAILED
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


async def queue(
    conn: AsyncConnection, *, user_id: int, message_id: str, recipient: str, template: str, language: str,
    sealed: str, created_at: datetime, expires_at: datetime | None,
) -> None:  # fmt: skip
    """Queue a mail about `user_id` in the caller's transaction, due at once. Nothing is queued
    when no such user exists (store.users.NOBODY): a request for an unknown login runs the same statement."""
    stamp = DateTime(timezone=True)
    row = select(
        literal(message_id, String), literal(recipient, String), literal(template, String),
        literal(language, String), users.c.id, literal(sealed, Text), literal(created_at, stamp),
        literal(expires_at, stamp), literal(0, Integer), literal(created_at, stamp),
    ).where(users.c.id == user_id)  # fmt: skip
    columns = ["message_id", "recipient", "template", "language", "user_id", "sealed", "created_at",
               "expires_at", "attempts", "next_attempt_at"]  # fmt: skip
    await conn.execute(insert(outgoing_mail).from_select(columns, row))


def _claimable(now: datetime) -> list[ColumnElement[bool]]:
    """Due, and not held by a live lease."""
    c = outgoing_mail.c
    return [c.next_attempt_at <= now, or_(c.claimed_until.is_(None), c.claimed_until < now)]


async def due(conn: AsyncConnection, now: datetime, limit: int, only: Sequence[str] = ()) -> list[int]:
    """Ids of mail due now and free, the longest waiting first; only these message ids if given."""
    query = select(outgoing_mail.c.id).where(*_claimable(now))
    if only:
        query = query.where(outgoing_mail.c.message_id.in_(list(only)))
    query = query.order_by(outgoing_mail.c.next_attempt_at, outgoing_mail.c.id).limit(limit)
    return [row.id for row in await conn.execute(query)]


async def claim(
    conn: AsyncConnection, mail_id: int, now: datetime, lease_until: datetime
) -> ClaimedMail | None:
    """Take the mail until `lease_until`, one more attempt; None when another worker has it or it is done."""
    c = outgoing_mail.c
    row = (
        await conn.execute(
            update(outgoing_mail)
            .where(c.id == mail_id, *_claimable(now))
            .values(claimed_until=lease_until, attempts=c.attempts + 1)
            .returning(
                c.id, c.message_id, c.recipient, c.template, c.user_id, c.sealed, c.attempts, c.expires_at
            )
        )
    ).first()
    if row is None:
        return None
    return ClaimedMail(row.id, row.message_id, row.recipient, row.template, row.user_id, row.sealed,
                       row.attempts, aware(row.expires_at))  # fmt: skip


async def _settle(conn: AsyncConnection, mail: ClaimedMail, **values: object) -> bool:
    """Only the attempt that holds the mail settles it (a worker whose lease ran out does not)."""
    c = outgoing_mail.c
    result = await conn.execute(
        update(outgoing_mail)
        .where(c.id == mail.id, c.attempts == mail.attempts, c.next_attempt_at.is_not(None))
        .values(claimed_until=None, **values)
    )
    return result.rowcount == 1


async def mark_sent(conn: AsyncConnection, mail: ClaimedMail, now: datetime) -> bool:
    """Sent: its text is erased."""
    return await _settle(conn, mail, sent_at=now, sealed=None, next_attempt_at=None, last_error=None)


async def retry_at(conn: AsyncConnection, mail: ClaimedMail, when: datetime, error: str) -> bool:
    return await _settle(conn, mail, next_attempt_at=when, last_error=error[:200])


async def mark_failed(conn: AsyncConnection, mail: ClaimedMail, now: datetime, error: str) -> bool:
    """Given up: its text is erased."""
    return await _settle(conn, mail, failed_at=now, sealed=None, next_attempt_at=None, last_error=error[:200])


def _entry(r: Row) -> MailEntry:
    status = SENT if r.sent_at is not None else FAILED if r.failed_at is not None else QUEUED
    return MailEntry(r.id, r.recipient, r.template, status, r.attempts, aware(r.created_at) or r.created_at,
                     aware(r.next_attempt_at), aware(r.sent_at), aware(r.failed_at), r.last_error)  # fmt: skip


async def mail_entries(
    conn: AsyncConnection, limit: int, status: str | None = None, message_id: str | None = None
) -> list[MailEntry]:
    """The newest `limit` mails, optionally only QUEUED, SENT or FAILED ones, or the one of `message_id`."""
    c = outgoing_mail.c
    query = select(
        c.id, c.recipient, c.template, c.attempts, c.created_at, c.next_attempt_at, c.sent_at, c.failed_at,
        c.last_error,
    ).order_by(c.id.desc()).limit(limit)  # fmt: skip
    if status == QUEUED:
        query = query.where(c.next_attempt_at.is_not(None))
    elif status == SENT:
        query = query.where(c.sent_at.is_not(None))
    elif status == FAILED:
        query = query.where(c.failed_at.is_not(None))
    if message_id is not None:
        query = query.where(c.message_id == message_id)
    return [_entry(row) for row in await conn.execute(query)]
