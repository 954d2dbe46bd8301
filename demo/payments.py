"""Demo collections: when bills are paid, payments and allocations, commitments, saved payment methods."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ..connectors.native import tables as t
from .context import CURRENCY, CustomerSpec, DebitDoc, DemoContext


def _delay(ctx: DemoContext, payer: str) -> int:
    """Days between due date and payment (negative: early), by the customer's habit."""
    rng = ctx.rng
    if payer == "autodebit":
        return 0  # the bank debits on the due date
    if payer == "punctual":
        return rng.randint(-9, 0) if rng.random() < 0.93 else rng.randint(1, 12)
    if payer == "late":
        return rng.randint(2, 28) if rng.random() < 0.7 else rng.randint(-5, 0)
    if payer == "partial":
        return rng.randint(-5, 8)
    return rng.randint(-3, 20)  # debtors, before they stopped paying


def _part(amount: Decimal, share: float) -> Decimal:
    """A first instalment in round hundreds of pesos, always less than the bill."""
    part = (amount * Decimal(str(round(share, 2))) / 100).quantize(Decimal("1")) * 100
    return min(max(part, Decimal("100")), amount - Decimal("100"))


def plan_settlement(ctx: DemoContext, spec: CustomerSpec, doc: DebitDoc, unpaid_from: date | None) -> None:
    """Decide when (and in how many parts) `doc` gets paid; dates after today stay unpaid."""
    rng, today = ctx.rng, ctx.today
    amount = doc.total - doc.credited
    if unpaid_from is not None and doc.due_date >= unpaid_from:
        doc.late = doc.due_date < today
        # Some debtors paid part of the first bill they fell behind on.
        if doc.due_date == unpaid_from and (spec.demo or rng.random() < 0.4):
            paid_on = doc.due_date + timedelta(days=rng.randint(3, 12))
            doc.settle_on = [(min(paid_on, today), _part(amount, rng.uniform(0.3, 0.6)))]
        return
    paid_on = doc.due_date + timedelta(days=_delay(ctx, spec.payer))
    paid_on = max(paid_on, doc.issue_date + timedelta(days=1))
    if doc.credited_on is not None:
        paid_on = max(paid_on, doc.credited_on + timedelta(days=1))  # the credit note came first
    doc.late = paid_on > doc.due_date
    if spec.payer == "partial" and rng.random() < 0.3:
        first = _part(amount, rng.uniform(0.35, 0.65))
        second_on = paid_on + timedelta(days=rng.randint(8, 25))
        doc.settle_on = [(paid_on, first), (second_on, amount - first)]
        doc.late = second_on > doc.due_date
    else:
        doc.settle_on = [(paid_on, amount)]
        if spec.payer == "late" and rng.random() < 0.25:
            doc.deferred = doc.late = True  # paid together with next month's bill


def add_payments(ctx: DemoContext, spec: CustomerSpec, docs: list[DebitDoc]) -> None:
    """Turn the planned settlements into payments; one payment may settle several documents."""
    events: dict[tuple[date, str], list[tuple[DebitDoc, Decimal]]] = {}
    carried: list[DebitDoc] = []
    for i, doc in enumerate(docs):
        following = docs[i + 1] if i + 1 < len(docs) else None
        if doc.deferred and following is not None and following.settle_on:
            carried.append(doc)
            continue
        if not doc.settle_on:
            carried = []  # what was to be paid with this bill stays unpaid with it
            continue
        method = doc.method or spec.method
        for n, (day, amount) in enumerate(doc.settle_on):
            parts = [(d, d.total - d.credited) for d in carried] if n == 0 else []
            events.setdefault((day, method), []).extend(parts + [(doc, amount)])
        carried = []
    for (day, method), parts in sorted(events.items(), key=lambda item: item[0]):
        if day <= ctx.today:
            _pay(ctx, spec, day, method, parts)


def _pay(
    ctx: DemoContext, spec: CustomerSpec, day: date, method: str, parts: list[tuple[DebitDoc, Decimal]]
) -> None:
    payment_id = ctx.sink.add(
        t.payments, customer_id=spec.id, company_id=spec.company.id, number="", paid_on=day,
        amount=sum((amount for _, amount in parts), Decimal("0")), currency=CURRENCY, method=method,
        reference=_reference(ctx, spec, method),
    )  # fmt: skip
    for doc, amount in parts:
        ctx.sink.add(
            t.allocations, invoice_id=doc.id, payment_id=payment_id, credit_note_id=None, amount=amount,
            cleared_on=day,
        )  # fmt: skip
        doc.row["paid_amount"] += amount
        doc.paid_on = day


def _reference(ctx: DemoContext, spec: CustomerSpec, method: str) -> str:
    rng = ctx.rng
    if method == "Rapipago":
        return f"Rapipago suc. {rng.randint(1000, 9999)} — trx {rng.randint(10**9, 10**10 - 1)}"
    if method == "Pago Fácil":
        return f"Pago Fácil ag. {rng.randint(100, 999)} — trx {rng.randint(10**9, 10**10 - 1)}"
    if method == "Transferencia":
        return f"Transferencia desde CBU terminada en {int(spec.code) * 37 % 10_000:04d}"
    if method == "Débito automático":
        return f"Débito automático — adhesión {spec.code}"
    return f"Operación MercadoPago {rng.randint(10**10, 10**11 - 1)}"


def assign_receipt_numbers(ctx: DemoContext) -> None:
    """Receipts ("RC 0003-00004567") are numbered per company in order of payment date."""
    points = {c.id: c.point_of_sale for c in ctx.companies}
    by_company: dict[int, list[dict]] = defaultdict(list)
    for row in ctx.sink.rows.get(t.payments.name, []):
        by_company[row["company_id"]].append(row)
    for company_id in sorted(by_company):
        start = ctx.rng.randint(2_000, 20_000)
        rows = sorted(by_company[company_id], key=lambda r: (r["paid_on"], r["id"]))
        for offset, row in enumerate(rows):
            row["number"] = f"RC {points[company_id]:04d}-{start + offset:08d}"


def add_commitments(ctx: DemoContext, spec: CustomerSpec, docs: list[DebitDoc]) -> None:
    """Payment commitments (FEATURES.md B11): debtors promise and break; late payers mostly keep them."""
    rng, today = ctx.rng, ctx.today
    overdue = [d for d in docs if d.row["paid_amount"] < d.total and d.due_date < today]
    if overdue and (spec.payer == "debtor" or spec.payer == "late" and rng.random() < 0.4):
        oldest = overdue[0] if spec.payer == "debtor" else overdue[-1]
        requested = min(today, oldest.due_date + timedelta(days=rng.randint(1, 5)))
        _commitment(ctx, spec, oldest, requested, None)
    if spec.payer in ("late", "partial"):
        late_paid = [d for d in docs if d.late and d.paid_on is not None and d.row["paid_amount"] >= d.total]
        # A commitment is asked for a few days' grace: mostly on bills paid within ten days of their due date.
        soon = [d for d in late_paid if d.paid_on is not None and (d.paid_on - d.due_date).days <= 11]
        late_paid = soon if soon and rng.random() < 0.8 else late_paid
        for doc in rng.sample(late_paid, min(len(late_paid), rng.randint(0, 2))):
            requested = doc.due_date + timedelta(days=1)
            needed = ((doc.paid_on or requested) - requested).days
            # Most late payers ask for the days they need and keep their word.
            days = min(10, max(1, needed + rng.randint(0, 3))) if rng.random() < 0.75 else rng.randint(1, 10)
            _commitment(ctx, spec, doc, requested, doc.paid_on, days)


def _commitment(
    ctx: DemoContext, spec: CustomerSpec, doc: DebitDoc, requested: date, paid_on: date | None, days: int = 0
) -> None:
    days = days or ctx.rng.randint(1, 10)
    promised = requested + timedelta(days=days)
    if paid_on is not None:
        status = "FULFILLED" if paid_on <= promised else "BROKEN"
    else:
        status = "ACTIVE" if promised >= ctx.today else "BROKEN"
    ctx.sink.add(
        t.payment_commitments, customer_id=spec.id, requested_at=ctx.instant(requested), days=days,
        promised_date=promised, amount=doc.total - doc.credited, currency=CURRENCY, status=status,
    )  # fmt: skip


_CARD_BRANDS = ("Visa", "Visa", "Mastercard", "Mastercard", "American Express", "Cabal", "Naranja")


def add_payment_methods(ctx: DemoContext, spec: CustomerSpec) -> None:
    """Saved methods for automatic debits (FEATURES.md B12): every direct-debit customer has one, a few others."""
    rng = ctx.rng
    if spec.demo and not spec.business:
        expires = f"{ctx.today.month:02d}/{(ctx.today.year + 3) % 100:02d}"
        labels: list[tuple[str, str, str | None]] = [("CARD", "Visa terminada en 4242", expires)]
        labels.append(("BANK_ACCOUNT", "CBU terminada en 0458", None))
    elif spec.payer == "autodebit" or rng.random() < 0.15:
        labels = [_method(ctx) for _ in range(rng.choice((1, 1, 1, 2)))]
    else:
        return
    for i, (kind, label, expiry) in enumerate(labels):
        ctx.sink.add(
            t.payment_methods, customer_id=spec.id, kind=kind, label=label, holder=spec.name.upper(),
            expires=expiry, is_default=i == 0,
        )  # fmt: skip


def _method(ctx: DemoContext) -> tuple[str, str, str | None]:
    rng = ctx.rng
    roll = rng.random()
    last4 = f"{rng.randint(0, 9999):04d}"
    if roll < 0.6:
        year = (ctx.today.year + rng.randint(-1, 4)) % 100  # a few expired cards, as in real wallets
        expires = f"{rng.randint(1, 12):02d}/{year:02d}"
        return "CARD", f"{rng.choice(_CARD_BRANDS)} terminada en {last4}", expires
    if roll < 0.9:
        return "BANK_ACCOUNT", f"CBU terminada en {last4}", None
    return "WALLET", "Cuenta MercadoPago", None
