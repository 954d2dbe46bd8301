"""Online payments confirmed in the portal, shown over a legacy ERP's billing until the ERP posts them.

Over a legacy source (`[routes] invoices` to SAP, ISPCube ...) an approved payment attempt
(the store's `payment_attempts`, FEATURES.md B9) is not written into the ERP: the
PaymentConfirmed event tells the ERP to post it. Until that posting appears, the customer must
still see it paid, so `PaymentsOverlay` settles, on the ERP's reads, what each such attempt pays:
the attempt's invoices in the order chosen, else the oldest unpaid first, lowering their
`balance_due` and the account's unpaid, overdue and credit totals. Once the ERP lists a payment
of the customer whose reference carries the attempt's reference (12 characters, e.g. in SAP's
BKPF-BKTXT, ISPCube's cash comment), the ERP's own figures already count it: the overlay drops
it, so the payment is counted once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..store.tables import payment_attempts
from .base import BillingSource
from .executor import Executor
from .records import AccountTotals, Invoice, InvoiceFilter, InvoiceKind, Page, PageOf
from .shapes import bound_keys

ZERO = Decimal("0.00")
RECENT_PAYMENTS = 100  # the ERP's newest payments of a customer searched for an attempt's posting
UNPAID_READ = 100  # unpaid invoices an attempt without chosen invoices settles, oldest first
# What the overlay reads of an invoice (reading views add them: connectors/routing.py).
INVOICE_FIELDS = frozenset({"id", "customer_id", "balance_due", "due_date", "issue_date", "kind", "void"})

_APPROVED = (
    select(
        payment_attempts.c.customer_id, payment_attempts.c.reference, payment_attempts.c.amount,
        payment_attempts.c.invoice_ids,
    )
    .where(
        payment_attempts.c.customer_id.in_(bound_keys()),
        payment_attempts.c.status == "APPROVED",
    )
    .order_by(payment_attempts.c.settled_at, payment_attempts.c.id)
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Unposted:
    """An approved attempt the ERP has not posted yet."""

    customer_id: str
    reference: str
    amount: Decimal
    invoice_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Settled:
    """What unposted attempts settle of one invoice."""

    customer_id: str
    amount: Decimal
    overdue: bool


class PaymentsOverlay:
    """The store's approved attempts laid over a legacy billing source's reads (see the module's text)."""

    def __init__(self, engine: AsyncEngine, billing: BillingSource, timeout: float = 10.0) -> None:
        self._db = Executor(engine, timeout, "store")
        self.billing = billing  # the ERP's source, reading every attribute

    async def unposted(self, customer_ids: Sequence[str]) -> list[Unposted]:
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return []
        rows = await self._db.fetch_with(_APPROVED, ids=ids)
        approved = [
            Unposted(r.customer_id, r.reference, Decimal(str(r.amount)), tuple(r.invoice_ids.split()))
            for r in rows
        ]
        if not approved:
            return []
        owners = list(dict.fromkeys(a.customer_id for a in approved))
        pages = await self.billing.payments_of(owners, Page(first=RECENT_PAYMENTS))
        posted = {
            owner: " ".join(p.reference or "" for p in page.items)
            for owner, page in zip(owners, pages, strict=True)
        }
        return [a for a in approved if a.reference not in posted.get(a.customer_id, "")]

    async def settled(self, customer_ids: Sequence[str], today: date) -> dict[str, Settled]:
        """By invoice id: what the unposted attempts of these customers settle of it."""
        return await self._settled(await self.unposted(customer_ids), today)

    async def _settled(self, attempts: Sequence[Unposted], today: date) -> dict[str, Settled]:
        if not attempts:
            return {}
        chosen = list(dict.fromkeys(i for a in attempts for i in a.invoice_ids))
        invoices: dict[str, Invoice] = {}
        if chosen:
            invoices.update({i.id: i for i in await self.billing.invoices_by_id(chosen) if i is not None})
        oldest_first = list(dict.fromkeys(a.customer_id for a in attempts if not a.invoice_ids))
        unpaid: dict[str, list[Invoice]] = {}
        if oldest_first:
            pages = await self.billing.invoices_of(oldest_first, InvoiceFilter(unpaid_only=True),
                                                   Page(first=UNPAID_READ), today)  # fmt: skip
            for owner, page in zip(oldest_first, pages, strict=True):
                owed = [i for i in page.items if _owes(i)]
                unpaid[owner] = sorted(owed, key=lambda i: (i.due_date or i.issue_date, i.issue_date, i.id))
                invoices.update({i.id: i for i in owed})
        taken: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for attempt in attempts:
            order = [invoices[i] for i in attempt.invoice_ids if i in invoices] or unpaid.get(
                attempt.customer_id, []
            )
            left = attempt.amount
            for invoice in order:
                if left <= ZERO:
                    break
                share = min(left, invoice.balance_due - taken[invoice.id])
                if share > ZERO and invoice.customer_id == attempt.customer_id:
                    taken[invoice.id] += share
                    left -= share
        return {
            invoice_id: Settled(
                invoices[invoice_id].customer_id, amount, _overdue(invoices[invoice_id], today)
            )
            for invoice_id, amount in taken.items()
        }

    async def invoices(self, found: Sequence[Invoice | None], today: date) -> list[Invoice | None]:
        owners = list(dict.fromkeys(i.customer_id for i in found if i is not None))
        settled = await self.settled(owners, today) if owners else {}
        return [_lowered(i, settled) for i in found]

    async def pages(self, pages: Sequence[PageOf], customer_ids: Sequence[str], filter: InvoiceFilter,
                    today: date) -> list[PageOf]:  # fmt: skip
        settled = await self.settled(customer_ids, today)
        if not settled:
            return list(pages)
        shown = []
        for page in pages:
            items = [_lowered(i, settled) for i in page.items]
            keep = [
                n
                for n, i in enumerate(items)
                if not (filter.unpaid_only and i is not None and i.balance_due <= ZERO)
            ]
            shown.append(
                replace(page, items=[items[n] for n in keep], cursors=[page.cursors[n] for n in keep])
            )
        return shown

    async def totals(self, found: Sequence[AccountTotals], today: date) -> list[AccountTotals]:
        owners = [t.customer_id for t in found]
        attempts = await self.unposted(owners)
        if not attempts:
            return list(found)
        settled = await self._settled(attempts, today)  # the same attempts: read once
        paid: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for attempt in attempts:
            paid[attempt.customer_id] += attempt.amount
        shown = []
        for totals in found:
            mine = [s for s in settled.values() if s.customer_id == totals.customer_id]
            settles = sum((s.amount for s in mine), ZERO)
            overdue = sum((s.amount for s in mine if s.overdue), ZERO)
            shown.append(replace(
                totals, unpaid_total=max(ZERO, totals.unpaid_total - settles), overdue=max(ZERO, totals.overdue - overdue),
                credits=totals.credits + paid.get(totals.customer_id, ZERO),
            ))  # fmt: skip
        return shown


def _owes(invoice: Invoice) -> bool:
    return not invoice.void and invoice.kind is not InvoiceKind.CREDIT_NOTE and invoice.balance_due > ZERO


def _overdue(invoice: Invoice, today: date) -> bool:
    return invoice.due_date is not None and invoice.due_date < today


def _lowered(invoice: Invoice | None, settled: dict[str, Settled]) -> Invoice | None:
    if invoice is None or invoice.id not in settled:
        return invoice
    return replace(invoice, balance_due=max(ZERO, invoice.balance_due - settled[invoice.id].amount))
