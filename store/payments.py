"""Payment attempts and provider confirmations in the store (FEATURES.md B9, docs/payments.md).

An attempt is written by startPayment on its portal action's transaction. A confirmation is
recorded ONCE per provider payment: `take_confirmation` inserts its row under the unique key
(provider, provider_payment_id) in a savepoint, or, when the row is there already, moves its
outcome to APPROVED with a conditional UPDATE. Only the call that inserted an APPROVED row or made
that move gets `Taken(approved_now=True)`, so the same notification delivered 20 times at once
(or a webhook and reconcile together) posts one payment. The caller holds the attempt's row FOR
UPDATE first (`attempt_by_reference(lock=True)`), so the confirmations of one attempt are taken one
after the other (InnoDB would otherwise deadlock twin inserts waiting on the unique key); the unique
key still holds if it did not. APPROVED is final: a REJECTED
that arrives later changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import aware, now
from .tables import payment_attempts, payment_confirmations


class AttemptStatus(str, Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    id: str
    reference: str
    customer_id: str
    provider: str
    option: str
    amount: Decimal
    currency: str
    invoice_ids: tuple[str, ...]
    status: AttemptStatus
    provider_reference: str | None
    redirect_url: str
    form: Mapping[str, str] | None
    return_url: str | None
    created_at: datetime
    updated_at: datetime
    settled_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewAttempt:
    reference: str
    customer_id: str
    provider: str
    option: str
    amount: Decimal
    currency: str
    invoice_ids: tuple[str, ...]
    provider_reference: str | None
    redirect_url: str
    form: Mapping[str, str] | None
    return_url: str | None


def _at(moment: datetime) -> datetime:
    found = aware(moment)
    assert found is not None
    return found


def _attempt(row: Any) -> PaymentAttempt:
    return PaymentAttempt(
        id=str(row.id),
        reference=row.reference,
        customer_id=row.customer_id,
        provider=row.provider,
        option=row.option,
        amount=Decimal(str(row.amount)).quantize(Decimal("0.01")),
        currency=row.currency,
        invoice_ids=tuple(row.invoice_ids.split()),
        status=AttemptStatus(row.status),
        provider_reference=row.provider_reference,
        redirect_url=row.redirect_url,
        form=json.loads(row.form) if row.form else None,
        return_url=row.return_url,
        created_at=_at(row.created_at),
        updated_at=_at(row.updated_at),
        settled_at=aware(row.settled_at) if row.settled_at is not None else None,
    )


async def insert_attempt(conn: AsyncConnection, new: NewAttempt) -> str:
    """A new PENDING attempt; its id."""
    at = now()
    done = await conn.execute(
        insert(payment_attempts).values(
            reference=new.reference, customer_id=new.customer_id, provider=new.provider, option=new.option,
            amount=new.amount, currency=new.currency, invoice_ids=" ".join(new.invoice_ids),
            status=AttemptStatus.PENDING.value, provider_reference=new.provider_reference,
            redirect_url=new.redirect_url, form=json.dumps(dict(new.form)) if new.form else None,
            return_url=new.return_url, created_at=at, updated_at=at,
        )
    )  # fmt: skip
    key = done.inserted_primary_key
    assert key is not None and key[0] is not None
    return str(key[0])


async def reference_taken(conn: AsyncConnection, reference: str) -> bool:
    found = await conn.execute(select(payment_attempts.c.id).where(payment_attempts.c.reference == reference))
    return found.first() is not None


async def attempt_by_id(conn: AsyncConnection, attempt_id: str) -> PaymentAttempt | None:
    if not attempt_id.isdigit():
        return None
    row = (
        await conn.execute(select(payment_attempts).where(payment_attempts.c.id == int(attempt_id)))
    ).first()
    return _attempt(row) if row else None


async def attempt_by_reference(
    conn: AsyncConnection, reference: str, lock: bool = False
) -> PaymentAttempt | None:
    """The attempt of `reference`; `lock`: held FOR UPDATE until the transaction ends (PostgreSQL,
    MariaDB; SQLite's writers are one at a time anyway), so confirmations of one attempt are
    recorded one after the other."""
    statement = select(payment_attempts).where(payment_attempts.c.reference == reference)
    if lock and conn.dialect.name != "sqlite":
        statement = statement.with_for_update()
    row = (await conn.execute(statement)).first()
    return _attempt(row) if row else None


async def attempts_of(conn: AsyncConnection, customer_ids: Sequence[str]) -> list[list[PaymentAttempt]]:
    """Newest first, per customer id."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return []
    rows = await conn.execute(
        select(payment_attempts)
        .where(payment_attempts.c.customer_id.in_(ids))
        .order_by(payment_attempts.c.created_at.desc(), payment_attempts.c.id.desc())
    )
    owned: dict[str, list[PaymentAttempt]] = {key: [] for key in ids}
    for row in rows:
        owned[row.customer_id].append(_attempt(row))
    return [owned.get(key, []) for key in customer_ids]


async def pending_since(conn: AsyncConnection, before: datetime) -> list[PaymentAttempt]:
    """PENDING attempts created before `before`, oldest first (reconcile)."""
    rows = await conn.execute(
        select(payment_attempts)
        .where(
            payment_attempts.c.status == AttemptStatus.PENDING.value, payment_attempts.c.created_at < before
        )
        .order_by(payment_attempts.c.created_at, payment_attempts.c.id)
    )
    return [_attempt(r) for r in rows]


async def settle_attempt(conn: AsyncConnection, attempt_id: str, status: AttemptStatus) -> bool:
    """Move an attempt to `status`: APPROVED from anything but APPROVED; REJECTED or EXPIRED only
    from PENDING or REJECTED (an approved attempt stays approved). Whether it changed."""
    if status is AttemptStatus.APPROVED:
        allowed = [s.value for s in AttemptStatus if s is not AttemptStatus.APPROVED]
    elif status is AttemptStatus.PENDING:
        return False
    else:
        allowed = [AttemptStatus.PENDING.value, AttemptStatus.REJECTED.value]
    at = now()
    done = await conn.execute(
        update(payment_attempts)
        .where(payment_attempts.c.id == int(attempt_id), payment_attempts.c.status.in_(allowed))
        .values(status=status.value, updated_at=at, settled_at=at)
    )
    return done.rowcount == 1


@dataclass(frozen=True, slots=True)
class Taken:
    """What recording one confirmation did: its row, and whether this call made it APPROVED."""

    confirmation_id: str
    approved_now: bool
    new: bool  # this call inserted the row


async def take_confirmation(
    conn: AsyncConnection,
    *,
    provider: str,
    provider_payment_id: str,
    attempt_id: str,
    outcome: str,
    amount: Decimal,
    currency: str,
    provider_status: str,
) -> Taken:
    """Record what a provider confirmed about one of its payments, once (see the module's text)."""
    at = now()
    approved = outcome == AttemptStatus.APPROVED.value
    try:
        async with conn.begin_nested():
            done = await conn.execute(
                insert(payment_confirmations).values(
                    provider=provider, provider_payment_id=provider_payment_id, attempt_id=int(attempt_id),
                    outcome=outcome, amount=amount, currency=currency, provider_status=provider_status[:60],
                    received_at=at, approved_at=at if approved else None,
                )
            )  # fmt: skip
        key = done.inserted_primary_key
        assert key is not None
        return Taken(str(key[0]), approved_now=approved, new=True)
    except IntegrityError:
        pass  # the row is there: this provider payment was heard of before
    key_of = (
        payment_confirmations.c.provider == provider,
        payment_confirmations.c.provider_payment_id == provider_payment_id,
    )
    moved = await conn.execute(
        update(payment_confirmations)
        .where(*key_of, payment_confirmations.c.outcome != AttemptStatus.APPROVED.value)
        .values(
            outcome=outcome, provider_status=provider_status[:60], **({"approved_at": at} if approved else {})
        )
    )
    row_id = (await conn.execute(select(payment_confirmations.c.id).where(*key_of))).scalar_one()
    return Taken(str(row_id), approved_now=approved and moved.rowcount == 1, new=False)


async def set_confirmation_payment(conn: AsyncConnection, confirmation_id: str, payment_id: str) -> None:
    await conn.execute(
        update(payment_confirmations)
        .where(payment_confirmations.c.id == int(confirmation_id))
        .values(payment_id=payment_id)
    )


async def approved_count(conn: AsyncConnection, attempt_id: str) -> int:
    """Provider payments approved for an attempt (tests and the audit)."""
    rows = await conn.execute(
        select(payment_confirmations.c.id).where(
            payment_confirmations.c.attempt_id == int(attempt_id),
            payment_confirmations.c.outcome == AttemptStatus.APPROVED.value,
        )
    )
    return len(rows.all())


async def approved_unposted(conn: AsyncConnection, customer_ids: Sequence[str]) -> list[PaymentAttempt]:
    """APPROVED attempts of these customers (the legacy overlay reads them)."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return []
    rows = await conn.execute(
        select(payment_attempts).where(
            payment_attempts.c.customer_id.in_(ids), payment_attempts.c.status == AttemptStatus.APPROVED.value
        )
    )
    return [_attempt(r) for r in rows]
