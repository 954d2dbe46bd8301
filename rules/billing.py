"""Invoice status, account summary and the statement at a cut-off date with its aging."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..connectors.records import AccountTotals, Invoice, InvoiceKind, InvoiceStatus, OpenItem

ZERO = Decimal("0.00")

# Days overdue at the cut-off, (label, from, to); `to` None = open-ended.
AGING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


def invoice_status(invoice: Invoice, today: date) -> InvoiceStatus:
    """The status a customer sees today: void, paid, overdue, partially paid or open."""
    if invoice.void:
        return InvoiceStatus.VOID
    if invoice.balance_due <= ZERO:
        return InvoiceStatus.PAID
    if invoice.kind is not InvoiceKind.CREDIT_NOTE and invoice.due_date and invoice.due_date < today:
        return InvoiceStatus.OVERDUE
    if invoice.balance_due < invoice.total:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


@dataclass(frozen=True, slots=True)
class AccountSummary:
    currency: str
    unpaid_total: Decimal
    balance: Decimal  # current-account balance; negative = the customer owes
    overdue: Decimal
    credit_limit: Decimal | None
    available_credit: Decimal | None


def account_summary(totals: AccountTotals) -> AccountSummary:
    """Dashboard figures (FEATURES.md B1) from the totals of the current account."""
    balance = totals.credits - totals.debits
    available = None
    if totals.credit_limit is not None:
        available = max(ZERO, totals.credit_limit + balance)
    return AccountSummary(
        currency=totals.currency,
        unpaid_total=totals.unpaid_total,
        balance=balance,
        overdue=totals.overdue,
        credit_limit=totals.credit_limit,
        available_credit=available,
    )


@dataclass(frozen=True, slots=True)
class AgingBucket:
    label: str
    from_days: int
    to_days: int | None
    amount: Decimal
    items: int


@dataclass(frozen=True, slots=True)
class StatementFigures:
    cut_off: date
    currency: str
    overdue: Decimal
    not_yet_due: Decimal
    total: Decimal
    credit_limit: Decimal | None
    available_credit: Decimal | None
    aging: tuple[AgingBucket, ...]
    open_items: tuple[OpenItem, ...]


def days_overdue(item: OpenItem, cut_off: date) -> int:
    return (cut_off - item.due_date).days


def statement(
    open_items: Sequence[OpenItem], cut_off: date, currency: str, credit_limit: Decimal | None
) -> StatementFigures:
    """The account statement at `cut_off` (FEATURES.md B7), following SAP's open-at-key-date logic.

    An item is overdue when its due date is before the cut-off; credits (payments on
    account, unapplied credit notes) are negative items aged by their posting date.
    """
    overdue = sum((i.open_amount for i in open_items if i.due_date < cut_off), ZERO)
    not_yet_due = sum((i.open_amount for i in open_items if i.due_date >= cut_off), ZERO)
    total = overdue + not_yet_due
    buckets = []
    for label, low, high in AGING_BUCKETS:
        inside = [
            i
            for i in open_items
            if days_overdue(i, cut_off) >= low and (high is None or days_overdue(i, cut_off) <= high)
        ]
        buckets.append(
            AgingBucket(label, low, high, sum((i.open_amount for i in inside), ZERO), len(inside))
        )
    available = None if credit_limit is None else max(ZERO, credit_limit - total)
    return StatementFigures(
        cut_off=cut_off,
        currency=currency,
        overdue=overdue,
        not_yet_due=not_yet_due,
        total=total,
        credit_limit=credit_limit,
        available_credit=available,
        aging=tuple(buckets),
        open_items=tuple(open_items),
    )


# --- payment receipts (FEATURES.md B10) ---------------------------------------------------------

# The largest amount a receipt may declare: sane for a transfer, and within NUMERIC(14, 2).
MAX_RECEIPT_AMOUNT = Decimal("1000000000.00")


def receipt_amount_problem(amount: Decimal) -> str | None:
    """Why `amount` cannot be a receipt's (None when it can): more than zero, in cents, not absurd."""
    if not amount.is_finite() or amount <= ZERO:
        return "amount (more than 0)"
    if amount != amount.quantize(Decimal("0.01")):
        return "amount (at most 2 decimals)"
    if amount > MAX_RECEIPT_AMOUNT:
        return f"amount (at most {MAX_RECEIPT_AMOUNT})"
    return None


@dataclass(frozen=True, slots=True)
class OwedDocument:
    """An unpaid invoice or debit note a payment may settle: its id, what is due, and its dates."""

    id: str
    balance_due: Decimal
    due_date: date | None
    issue_date: date


def oldest_first(documents: Sequence[OwedDocument]) -> list[OwedDocument]:
    """The order a payment settles documents in when the customer named none: earliest due
    date first (no due date: by issue date), then the earliest issued, then by id."""
    return sorted(documents, key=lambda d: (d.due_date or d.issue_date, d.issue_date, d.id))


@dataclass(frozen=True, slots=True)
class Allocation:
    document_id: str
    amount: Decimal


def allocate(amount: Decimal, documents: Sequence[OwedDocument]) -> tuple[list[Allocation], Decimal]:
    """Settle `documents` in the order given with `amount`: each gets what it owes while the amount
    lasts. Returns the allocations and what is left over (unallocated credit on the account)."""
    left = amount
    allocations = []
    for document in documents:
        if left <= ZERO:
            break
        share = min(left, document.balance_due)
        if share > ZERO:
            allocations.append(Allocation(document.id, share))
            left -= share
    return allocations, left
