"""Quote decisions and comments: where they are written, and how a read-only source's reads show them.

`commerce_writer(source, domain)` is what acceptQuote, rejectQuote and addComment call inside
their `perform` work (resolvers/actions.py), on the store's transaction `conn`:

- a quote, or a comment's subject, whose domain is Ventanilla's own (routed to the store, or no
  routing at all): the native tables (`quotes.status` by a conditional UPDATE, `comments`) —
  `NativeCommerce`;
- one of a read-only legacy source (a SAP replica: `quotes = "erp"`, no `writes`): the store's
  `portal_quote_decisions` and `portal_comments`, by canonical ids — `PortalCommerce`. The
  routing (connectors/routing.py RoutedSource) overlays each decision's status on the source's
  quote reads (`quotes_by_id`, `quotes_of`: the decision wins over the ERP's PENDING) and merges
  the portal's comments into every read of comments, oldest first. Portal comment ids are
  `portal-<n>`, which no legacy key spells;
- a quote of a legacy source that takes `quote_decisions` (its mapping's
  `[writes.quote_decision]`): the ERP's own row (connectors/sql/quote_writes.py), no overlay.

A decision is taken once: natively `UPDATE quotes SET status = ... WHERE id = ... AND status =
'PENDING'` (a racing second call updates no row), on the portal table by its primary key (the
second INSERT fails). Both answer False to the loser, which the resolver turns into
ALREADY_DECIDED.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..store.tables import portal_comments, portal_quote_decisions
from .executor import Executor
from .native.ids import db_id
from .native.tables import comments, quotes
from .records import Comment, QuoteStatus
from .values import instant

PREFIX = "portal-"


@dataclass(frozen=True, slots=True)
class NewComment:
    customer_id: str  # canonical id of the subject's customer
    subject_kind: str  # Invoice, Quote, Order, DeliveryNote, Document
    subject_id: str  # canonical id of the subject
    author_name: str
    from_customer: bool
    body: str


class CommerceWriter(Protocol):
    async def decide_quote(
        self, conn: AsyncConnection, quote_id: str, customer_id: str, status: QuoteStatus, reason: str | None,
        actor: str, now: datetime,
    ) -> bool:  # fmt: skip
        """Set a PENDING quote's decision; False when it was decided meanwhile (or is not there)."""
        ...

    async def add_comment(self, conn: AsyncConnection, new: NewComment, now: datetime) -> str:
        """Keep the comment; its canonical id."""
        ...


class NativeCommerce:
    """Writes on the native tables of the store (`conn` is the action's transaction)."""

    async def decide_quote(
        self, conn: AsyncConnection, quote_id: str, customer_id: str, status: QuoteStatus, reason: str | None,
        actor: str, now: datetime,
    ) -> bool:  # fmt: skip
        native = db_id(quote_id)
        if native is None:
            return False
        changed = await conn.execute(
            update(quotes)
            .where(quotes.c.id == native, quotes.c.status == QuoteStatus.PENDING.value)
            .values(status=status.value)
        )
        return changed.rowcount == 1

    async def add_comment(self, conn: AsyncConnection, new: NewComment, now: datetime) -> str:
        customer, subject = db_id(new.customer_id), db_id(new.subject_id)
        if customer is None or subject is None:
            raise ValueError(f"not native ids: {new.customer_id!r}, {new.subject_id!r}")
        inserted = await conn.execute(
            insert(comments).values(
                customer_id=customer, subject_kind=new.subject_kind, subject_id=subject, author_name=new.author_name,
                from_customer=new.from_customer, body=new.body, created_at=now,
            )
        )  # fmt: skip
        key = inserted.inserted_primary_key
        assert key is not None
        return str(key[0])


class PortalCommerce:
    """The store's decisions on and comments about a read-only legacy source's documents."""

    def __init__(self, engine: AsyncEngine, *, timeout: float = 10.0) -> None:
        self.engine = engine
        self._db = Executor(engine, timeout, "store")

    # --- reads ---------------------------------------------------------------------------

    async def decisions(self, quote_ids: Sequence[str]) -> dict[str, QuoteStatus]:
        """The portal's decision on each of `quote_ids` that has one."""
        wanted = list(dict.fromkeys(quote_ids))
        if not wanted:
            return {}
        d = portal_quote_decisions
        (rows,) = await self._db.fetch(select(d.c.quote_id, d.c.status).where(d.c.quote_id.in_(wanted)))
        return {row.quote_id: QuoteStatus(row.status) for row in rows}

    async def comments_of(self, subject_kind: str, subject_ids: Sequence[str]) -> list[list[Comment]]:
        c = portal_comments
        wanted = list(dict.fromkeys(subject_ids))
        if not wanted:
            return [[] for _ in subject_ids]
        (rows,) = await self._db.fetch(
            select(c).where(c.c.subject_kind == subject_kind, c.c.subject_id.in_(wanted)).order_by(c.c.created_at, c.c.id)
        )
        found: dict[str, list[Comment]] = defaultdict(list)
        for row in rows:
            found[row.subject_id].append(Comment(
                id=f"{PREFIX}{row.id}", customer_id=row.customer_id, subject_kind=row.subject_kind,
                subject_id=row.subject_id, author_name=row.author_name, from_customer=bool(row.from_customer),
                body=row.body, created_at=instant(row.created_at),
            ))  # fmt: skip
        return [found.get(key, []) for key in subject_ids]

    # --- writes (CommerceWriter), on the action's store transaction ---------------------

    async def decide_quote(
        self, conn: AsyncConnection, quote_id: str, customer_id: str, status: QuoteStatus, reason: str | None,
        actor: str, now: datetime,
    ) -> bool:  # fmt: skip
        values: dict[str, Any] = {"quote_id": quote_id, "customer_id": customer_id, "status": status.value,
                                  "reason": reason, "decided_by": actor, "decided_at": now}  # fmt: skip
        try:
            await conn.execute(insert(portal_quote_decisions).values(**values))
        except IntegrityError:  # decided meanwhile: the transaction is rolled back by the refusal
            return False
        return True

    async def add_comment(self, conn: AsyncConnection, new: NewComment, now: datetime) -> str:
        inserted = await conn.execute(
            insert(portal_comments).values(
                customer_id=new.customer_id, subject_kind=new.subject_kind, subject_id=new.subject_id,
                author_name=new.author_name, from_customer=new.from_customer, body=new.body, created_at=now,
            )
        )  # fmt: skip
        key = inserted.inserted_primary_key
        assert key is not None
        return f"{PREFIX}{key[0]}"


def merged_comments(theirs: list[list[Comment]], ours: list[list[Comment]]) -> list[list[Comment]]:
    """Each subject's comments from the source and the portal, oldest first (stable: the source's first)."""
    return [sorted([*a, *b], key=lambda c: c.created_at) for a, b in zip(theirs, ours)]
