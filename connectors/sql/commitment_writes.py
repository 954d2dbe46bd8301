"""A mapped legacy system as a CommitmentWriter (connectors/base.py): the mapping's declared write
`payment_commitment` (connectors/sql/writes.py), in one transaction of the system's own database.

    [writes.payment_commitment]     # placeholders: customer_id, days, promised_date, amount, currency, now
    table = "payment_commitments"
    id = "id"
    keys = { id = "int", customer_id = "int" }
    values = { customer_id = "$customer_id", created_at = "$now", days = "$days",
               promised_date = "$promised_date", amount = "$amount", status = "active" }

As with tickets (sql/ticket_writes.py), the legacy row commits when the call returns, before the
store's transaction of the action does (docs/connectors.md, "Writes": the window).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from ..records import NewCommitment
from .ticket_writes import LegacyTicketWrites, _legacy_instant


class LegacyCommitmentWrites(LegacyTicketWrites):
    """CommitmentWriter over a mapping's declared writes (the same transaction runner as tickets')."""

    async def add_payment_commitment(self, conn: AsyncConnection, new: NewCommitment) -> str:
        moment = _legacy_instant(new.requested_at)

        async def work(legacy: AsyncConnection) -> str:
            found = await self.writes.run(
                legacy, "payment_commitment", customer_id=new.customer_id, days=new.days,
                promised_date=new.promised_date, amount=new.amount, currency=new.currency, now=moment,
            )  # fmt: skip
            return str(found)

        return await self._in_transaction(work)
