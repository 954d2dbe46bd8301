"""Recording a payment in the native billing tables (an accepted payment receipt, FEATURES.md B10).

Runs on the store's own transaction (the native tables are the store's): the payment, its
allocations and each settled invoice's `paid_amount` are written together with the receipt's
decision and its event, or not at all. The documents are read FOR UPDATE (PostgreSQL, MariaDB),
so two payments settling the same invoice at once see each other's allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...rules.billing import Allocation, OwedDocument
from ..billing import DEBIT_KINDS
from .ids import db_id, db_ids
from .tables import allocations, customers, invoices, payments

# Receipt numbers of payments recorded from the portal: "RC 9000-00000042" (point of sale 9000).
PORTAL_POINT_OF_SALE = 9000


async def owed_documents(
    conn: AsyncConnection, customer_id: str, invoice_ids: Sequence[str] | None = None
) -> list[OwedDocument]:
    """The customer's unpaid invoices and debit notes (only `invoice_ids`, when given), locked."""
    customer = db_id(customer_id)
    if customer is None:
        return []
    due = func.round(invoices.c.total - invoices.c.paid_amount, 2)
    statement = (
        select(invoices.c.id, due.label("due"), invoices.c.due_date, invoices.c.issue_date)
        .where(
            invoices.c.customer_id == customer,
            invoices.c.kind.in_(DEBIT_KINDS),
            invoices.c.void.is_(False),
            due > 0,
        )
        .order_by(invoices.c.id)
    )
    if invoice_ids is not None:
        statement = statement.where(invoices.c.id.in_(db_ids(invoice_ids)))
    if conn.dialect.name != "sqlite":
        statement = statement.with_for_update()
    rows = (await conn.execute(statement)).all()
    return [
        OwedDocument(str(r.id), Decimal(str(r.due)).quantize(Decimal("0.01")), r.due_date, r.issue_date)
        for r in rows
    ]


async def record_payment(
    conn: AsyncConnection,
    *,
    customer_id: str,
    amount: Decimal,
    currency: str,
    paid_on: date,
    method: str,
    reference: str | None,
    settles: Sequence[Allocation],
) -> str:
    """Insert a payment of `amount` and its allocations; what is not allocated stays as credit on
    the account. Returns the payment's canonical id."""
    customer = db_id(customer_id)
    company = (await conn.execute(select(customers.c.company_id).where(customers.c.id == customer))).scalar_one()
    result = await conn.execute(
        insert(payments).values(
            customer_id=customer, company_id=company, number="RC pending", paid_on=paid_on, amount=amount,
            currency=currency, method=method, reference=reference,
        )
    )  # fmt: skip
    payment_id = int(result.inserted_primary_key[0])  # type: ignore[index]  # an INSERT always has one
    number = f"RC {PORTAL_POINT_OF_SALE:04d}-{payment_id:08d}"
    await conn.execute(update(payments).where(payments.c.id == payment_id).values(number=number))
    for share in settles:
        invoice_id = db_id(share.document_id)
        await conn.execute(
            insert(allocations).values(invoice_id=invoice_id, payment_id=payment_id, amount=share.amount, cleared_on=paid_on)
        )
        await conn.execute(
            update(invoices).where(invoices.c.id == invoice_id).values(paid_amount=invoices.c.paid_amount + share.amount)
        )
    return str(payment_id)
