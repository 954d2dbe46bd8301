"""A mapped legacy system that takes the portal's quote decisions (acceptQuote, rejectQuote;
FEATURES.md D5) into its own table: the mapping's declared write `quote_decision`
(connectors/sql/writes.py), an UPDATE conditioned on the quote still being open, in one
transaction of the system's own database.

    [mapping]
    writes = ["quote_decisions"]      # or [sources.<name>] writes = [...] for one deployment
    [writes.quote_decision]           # placeholders: quote_id, customer_id, status, reason, actor, now
    table = "VBAK"
    keys = { quote_id = "alpha:10" }
    where = { MANDT = "$client", VBELN = "$quote_id", VBTYP = "B", GBSTK = { ne = "C" },
              AUGRU = { not_in = ["Z1", "Z2"] } }
    values = { GBSTK = "C", AUGRU = { value = "$status", map = { ACCEPTED = "", REJECTED = "Z1" } } }

`status` is ACCEPTED or REJECTED. The `where` must name only a pending quote: the rows it names
are locked and counted before the UPDATE, so of two racing decisions the second finds none and
answers False (the resolver's ALREADY_DECIDED). The mapping's `quotes` relation reads the new
status back from the same columns, so every read shows the decision at once, with no overlay.
As with tickets (sql/ticket_writes.py), the legacy row commits when the call returns, before the
store's transaction of the action does (docs/connectors.md, "Writes": the window).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ..records import QuoteStatus
from .ticket_writes import LegacyTicketWrites, _legacy_instant


class LegacyQuoteWrites(LegacyTicketWrites):
    """The quote decisions of CommerceWriter (connectors/portal_commerce.py) over a mapping's writes."""

    async def decide_quote(
        self, conn: AsyncConnection, quote_id: str, customer_id: str, status: QuoteStatus, reason: str | None,
        actor: str, now: datetime,
    ) -> bool:  # fmt: skip
        moment = _legacy_instant(now)

        async def work(legacy: AsyncConnection) -> bool:
            changed = await self.writes.run(
                legacy, "quote_decision", quote_id=quote_id, customer_id=customer_id, status=status.value,
                reason=reason, actor=actor, now=moment,
            )  # fmt: skip
            return changed == 1

        return await self._in_transaction(work)
