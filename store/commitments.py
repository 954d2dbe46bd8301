"""Payment commitments Ventanilla writes in its own database (FEATURES.md B11).

Where a new commitment goes is the routing's to say (`commitment_target` in connectors/routing.py):

- NATIVE: the native `payment_commitments` table, when the customers themselves are the store's;
- KEPT: the store's `kept_payment_commitments`, keyed by canonical customer id, when the customers
  live in a legacy source that takes no commitments (SAP): the native table's integer foreign key
  cannot hold them. Their ids are `k<n>`, apart from any native one they are listed with, and
  `KeptCommitments` reads them for the routing layer to merge into `payment_commitments_of`;
- a legacy source whose mapping declares the `payment_commitments` write (ISPCube) takes it
  through its `[writes.payment_commitment]` (connectors/sql/commitment_writes.py), not here.

Both tables live in the store's database, so the insert runs on the portal action's transaction
(resolvers/actions.py `perform`): a refused or failed action leaves no commitment behind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..connectors import builders
from ..connectors.executor import Executor
from ..connectors.native.ids import db_id
from ..connectors.native.tables import payment_commitments
from ..connectors.records import NewCommitment, PaymentCommitment
from ..connectors.shapes import bound_keys
from .tables import kept_payment_commitments

KEPT_PREFIX = "k"


def _values(new: NewCommitment) -> dict[str, object]:
    return {
        "requested_at": new.requested_at,
        "days": new.days,
        "promised_date": new.promised_date,
        "amount": new.amount,
        "currency": new.currency,
        "status": new.status.value,
    }


async def insert_native(conn: AsyncConnection, new: NewCommitment) -> str:
    """Into the native table (the customer is the store's); the new commitment's id."""
    customer = db_id(new.customer_id)
    if customer is None:
        raise ValueError(f"customer {new.customer_id!r} is not a native customer")
    done = await conn.execute(insert(payment_commitments).values(customer_id=customer, **_values(new)))
    return str(_new_id(done.inserted_primary_key))


async def insert_kept(conn: AsyncConnection, new: NewCommitment) -> str:
    """Into the store's table for customers of a legacy source; the new commitment's id (`k<n>`)."""
    done = await conn.execute(
        insert(kept_payment_commitments).values(customer_id=new.customer_id, **_values(new))
    )
    return f"{KEPT_PREFIX}{_new_id(done.inserted_primary_key)}"


def _new_id(key: Sequence[object] | None) -> object:
    assert key is not None and key[0] is not None, "the insert gave no id back"
    return key[0]


_KEPT_OF = (
    select(kept_payment_commitments)
    .where(kept_payment_commitments.c.customer_id.in_(bound_keys()))
    .order_by(kept_payment_commitments.c.requested_at.desc(), kept_payment_commitments.c.id.desc())
)


class KeptCommitments:
    """Reads `kept_payment_commitments` like a source reads its tables (timeout, SourceUnavailable)."""

    def __init__(self, engine: AsyncEngine, timeout: float = 10.0) -> None:
        self._db = Executor(engine, timeout, "store")

    async def payment_commitments_of(self, customer_ids: Sequence[str]) -> list[list[PaymentCommitment]]:
        """Newest first, per customer id."""
        if not customer_ids:
            return []
        rows = await self._db.fetch_with(_KEPT_OF, ids=list(dict.fromkeys(customer_ids)))
        owned: dict[str, list[PaymentCommitment]] = defaultdict(list)
        for row in rows:
            record = builders.payment_commitment(row)
            owned[row.customer_id].append(_kept_id(record))
        return [list(owned.get(key, ())) for key in customer_ids]


def _kept_id(record: PaymentCommitment) -> PaymentCommitment:
    return replace(record, id=f"{KEPT_PREFIX}{record.id}")
