"""Billing data changes (updateBillingInfo, FEATURES.md B13) in the store: one `billing_changes` row each.

A change is inserted APPLIED (no review) or PENDING_REVIEW, and a pending one is decided once:
`decide` is one UPDATE conditioned on `state = 'PENDING_REVIEW'`, so of two staff decisions at the
same time exactly one applies (the other gets `False`). The resolver (resolvers/billing_data.py)
authorizes and checks; this module holds the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import aware
from .tables import billing_changes

APPLIED, PENDING, REJECTED = "APPLIED", "PENDING_REVIEW", "REJECTED"
RECENT = 20  # the changes a customer's list shows


@dataclass(frozen=True, slots=True)
class BillingChange:
    id: str
    customer_id: str
    name: str | None
    tax_id: str | None
    tax_kind: str | None
    tax_condition: str | None
    address: str | None
    state: str
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None


def _change(row: Any) -> BillingChange:
    return BillingChange(str(row.id), row.customer_id, row.name, row.tax_id, row.tax_kind, row.tax_condition,
                         row.address, row.state, row.reason, aware(row.requested_at), aware(row.decided_at))  # type: ignore[arg-type]  # fmt: skip


async def insert_change(
    conn: AsyncConnection,
    customer_id: str,
    state: str,
    actor: str,
    now: datetime,
    values: Mapping[str, str | None],
) -> str:
    """A new change of the account's billing data (`values`: name, tax_id, tax_kind, tax_condition,
    address); its id. An APPLIED one is decided at `now`."""
    done = await conn.execute(insert(billing_changes).values(
        customer_id=customer_id, state=state, requested_by=actor, requested_at=now,
        decided_at=now if state == APPLIED else None, **values))  # fmt: skip
    key = done.inserted_primary_key
    assert key is not None
    return str(key[0])


async def decide(
    conn: AsyncConnection, change_id: str, state: str, reason: str | None, actor: str, now: datetime
) -> bool:
    """A pending change APPLIED or REJECTED; False when it was not pending (decided meanwhile)."""
    done = await conn.execute(
        update(billing_changes)
        .where(billing_changes.c.id == int(change_id), billing_changes.c.state == PENDING)
        .values(state=state, reason=reason, decided_by=actor, decided_at=now)
    )
    return done.rowcount == 1


async def changes_by_id(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, BillingChange]:
    """The changes of the given ids (decimal texts) that exist, by id."""
    rows = await conn.execute(select(billing_changes).where(billing_changes.c.id.in_([int(i) for i in ids])))
    return {str(r.id): _change(r) for r in rows}


async def changes_of(conn: AsyncConnection, customer_id: str) -> list[BillingChange]:
    """The account's most recent changes, newest first."""
    rows = await conn.execute(select(billing_changes).where(billing_changes.c.customer_id == customer_id)
                              .order_by(billing_changes.c.id.desc()).limit(RECENT))  # fmt: skip
    return [_change(r) for r in rows]
