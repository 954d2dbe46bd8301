"""E-mails and phones customers added in the portal (FEATURES.md E1-E2), beside the business's.

The `portal_contacts` table: one row per added address or number of a customer account
(resolvers/contact.py decides what may be added; this module only reads and writes the rows).

`email_confirmations`: a customer user's new sign-in e-mail waiting for the link sent to it
(E1): the token as a keyed hash; `confirm` uses it once, and only then does the login change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..connectors.executor import read_rows
from ..connectors.shapes import bound_keys
from .access import aware, now
from .tables import email_confirmations, portal_contacts, users

_ADDED = (  # built once: a dashboard asking for contact details reads it
    select(portal_contacts).where(portal_contacts.c.customer_id.in_(bound_keys())).order_by(portal_contacts.c.id)
)


async def added_contacts(conn: AsyncConnection, customer_ids: Sequence[str]) -> list[Any]:
    """Every added entry of these accounts, oldest first."""
    return await read_rows(conn, _ADDED, {"ids": list(customer_ids)})


async def replace_contacts(
    conn: AsyncConnection,
    customer_id: str,
    kind: str,
    entries: Sequence[tuple[str, str | None]],
    moment: datetime,
) -> tuple[list[str], list[str]]:
    """Make the account's added entries of `kind` exactly `entries` (value, phone kind), in the
    caller's transaction: new ones appended, ones left out removed. (added values, removed values)."""
    rows = (
        await conn.execute(
            select(portal_contacts).where(
                portal_contacts.c.customer_id == customer_id, portal_contacts.c.kind == kind
            )
        )
    ).all()
    have = {r.value for r in rows}
    want = {v for v, _ in entries}
    gone = sorted(have - want)
    if gone:
        await conn.execute(
            delete(portal_contacts).where(
                portal_contacts.c.customer_id == customer_id,
                portal_contacts.c.kind == kind,
                portal_contacts.c.value.in_(gone),
            )
        )
    new = [(v, k) for v, k in entries if v not in have]
    for value, phone_kind in new:
        await conn.execute(
            insert(portal_contacts).values(
                customer_id=customer_id, kind=kind, value=value, phone_kind=phone_kind, created_at=moment
            )
        )
    return [v for v, _ in new], gone


@dataclass(frozen=True, slots=True)
class Confirmation:
    id: int
    user_id: int
    customer_id: str
    new_email: str
    expires_at: datetime
    used: bool


async def ask_confirmation(
    conn: AsyncConnection,
    *,
    user_id: int,
    customer_id: str,
    new_email: str,
    token_hash: str,
    expires_at: datetime,
) -> None:
    """A new link for `new_email`; the user's earlier unused links stop working."""
    moment = now()
    await conn.execute(
        update(email_confirmations)
        .where(email_confirmations.c.user_id == user_id, email_confirmations.c.used_at.is_(None))
        .values(used_at=moment)
    )
    await conn.execute(
        insert(email_confirmations).values(
            token_hash=token_hash,
            user_id=user_id,
            customer_id=customer_id,
            new_email=new_email,
            created_at=moment,
            expires_at=expires_at,
        )  # fmt: skip
    )


async def confirmation_by_hash(conn: AsyncConnection, token_hash: str) -> Confirmation | None:
    row = (
        await conn.execute(select(email_confirmations).where(email_confirmations.c.token_hash == token_hash))
    ).first()
    if row is None:
        return None
    expires = aware(row.expires_at)
    assert expires is not None
    return Confirmation(row.id, row.user_id, row.customer_id, row.new_email, expires, row.used_at is not None)


async def use_confirmation(conn: AsyncConnection, confirmation_id: int) -> bool:
    """Single use: False when it was used already (another request won the update)."""
    result = await conn.execute(
        update(email_confirmations)
        .where(email_confirmations.c.id == confirmation_id, email_confirmations.c.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


async def login_taken(conn: AsyncConnection, login: str, by_other_than: int) -> bool:
    """Whether another user signs in with `login` already."""
    found = await conn.scalar(
        select(func.count())
        .select_from(users)
        .where(users.c.login == login.lower(), users.c.id != by_other_than)
    )
    return bool(found)


async def change_login(conn: AsyncConnection, user_id: int, login: str) -> None:
    """The user signs in with `login` (an e-mail, lower case) from now on."""
    await conn.execute(update(users).where(users.c.id == user_id).values(login=login.lower()))
