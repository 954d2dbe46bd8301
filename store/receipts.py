"""Payment receipts (FEATURES.md B10) and plan requests (D4) in the store: rows in, the queue out.

A receipt is inserted SUBMITTED by the action that keeps its file and opens its ticket, and is
decided once: `decide` is one UPDATE conditioned on `status = 'SUBMITTED'`, so two agents
deciding at the same time find exactly one of them applied (the other gets `False`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .access import aware, now
from .tables import payment_receipts, plan_requests


class ReceiptStatus(str, Enum):
    SUBMITTED = "SUBMITTED"  # in the staff queue
    ACCEPTED = "ACCEPTED"  # the payment was recorded (native store) or announced to the ERP
    REJECTED = "REJECTED"  # with a reason the customer reads


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    sha256: str
    content_type: str
    size: int
    filename: str


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    """A receipt as the store keeps it; ids are canonical (strings)."""

    id: str
    customer_id: str
    amount: Decimal
    currency: str
    invoice_ids: tuple[str, ...]
    file: ReceiptFile
    ticket_id: str | None
    status: ReceiptStatus
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    payment_id: str | None
    created_at: datetime
    submitted_by: str | None = None


async def add_receipt(
    conn: AsyncConnection,
    *,
    customer_id: str,
    amount: Decimal,
    currency: str,
    invoice_ids: Sequence[str],
    file: ReceiptFile,
    submitted_by: str | None,
) -> str:
    """A new SUBMITTED receipt; its id."""
    result = await conn.execute(
        insert(payment_receipts).values(
            customer_id=customer_id, amount=amount, currency=currency, invoice_ids=json.dumps(list(invoice_ids)),
            file_sha256=file.sha256, file_content_type=file.content_type, file_size=file.size,
            file_name=file.filename, status=ReceiptStatus.SUBMITTED.value, created_at=now(),
            submitted_by=submitted_by,
        )
    )  # fmt: skip
    return str(result.inserted_primary_key[0])  # type: ignore[index]  # an INSERT always has one


async def set_receipt_ticket(conn: AsyncConnection, receipt_id: str, ticket_id: str) -> None:
    await conn.execute(update(payment_receipts).where(payment_receipts.c.id == int(receipt_id)).values(ticket_id=ticket_id))


def _receipt(row: Any) -> PaymentReceipt:
    return PaymentReceipt(
        id=str(row.id), customer_id=row.customer_id, amount=Decimal(row.amount).quantize(Decimal("0.01")),
        currency=row.currency, invoice_ids=tuple(json.loads(row.invoice_ids)),
        file=ReceiptFile(row.file_sha256, row.file_content_type, row.file_size, row.file_name),
        ticket_id=row.ticket_id, status=ReceiptStatus(row.status), reason=row.reason, decided_by=row.decided_by,
        decided_at=aware(row.decided_at), payment_id=row.payment_id, created_at=aware(row.created_at) or row.created_at,
        submitted_by=row.submitted_by,
    )  # fmt: skip


def _receipt_id(receipt_id: str) -> int | None:
    return int(receipt_id) if receipt_id.isascii() and receipt_id.isdigit() and len(receipt_id) < 10 else None


async def receipt_by_id(conn: AsyncConnection, receipt_id: str, lock: bool = False) -> PaymentReceipt | None:
    native = _receipt_id(receipt_id)
    if native is None:
        return None
    statement = select(payment_receipts).where(payment_receipts.c.id == native)
    row = (await conn.execute(statement.with_for_update() if lock else statement)).first()
    return None if row is None else _receipt(row)


async def receipts(
    conn: AsyncConnection,
    *,
    status: ReceiptStatus | None,
    first: int,
    after: str | None = None,
    customer_id: str | None = None,
) -> tuple[list[PaymentReceipt], bool]:
    """A page of receipts, oldest first (the queue is worked in order of arrival), after the
    receipt id `after`; and whether more follow."""
    c = payment_receipts.c
    statement = select(payment_receipts).order_by(c.id).limit(first + 1)
    if status is not None:
        statement = statement.where(c.status == status.value)
    if customer_id is not None:
        statement = statement.where(c.customer_id == customer_id)
    if after is not None:
        native = _receipt_id(after)
        statement = statement.where(c.id > (native if native is not None else 0))
    rows = (await conn.execute(statement)).all()
    return [_receipt(r) for r in rows[:first]], len(rows) > first


async def receipt_count(conn: AsyncConnection, status: ReceiptStatus | None) -> int:
    statement = select(func.count()).select_from(payment_receipts)
    if status is not None:
        statement = statement.where(payment_receipts.c.status == status.value)
    return int((await conn.execute(statement)).scalar_one())


async def receipts_of(conn: AsyncConnection, customer_id: str, limit: int = 100) -> list[PaymentReceipt]:
    """A customer's receipts, newest first."""
    c = payment_receipts.c
    rows = await conn.execute(
        select(payment_receipts).where(c.customer_id == customer_id).order_by(c.id.desc()).limit(limit)
    )
    return [_receipt(r) for r in rows]


async def decide(
    conn: AsyncConnection,
    receipt_id: str,
    status: ReceiptStatus,
    decided_by: str,
    reason: str | None = None,
    payment_id: str | None = None,
) -> bool:
    """Mark a SUBMITTED receipt ACCEPTED or REJECTED; False when it was not SUBMITTED any more."""
    native = _receipt_id(receipt_id)
    if native is None:
        return False
    c = payment_receipts.c
    result = await conn.execute(
        update(payment_receipts)
        .where(c.id == native, c.status == ReceiptStatus.SUBMITTED.value)
        .values(status=status.value, decided_by=decided_by, decided_at=now(), reason=reason, payment_id=payment_id)
    )
    return bool(result.rowcount)


# --- plan requests (D4) --------------------------------------------------------------------------


class PlanRequestKind(str, Enum):
    CHANGE = "CHANGE"  # another plan for a contracted one
    NEW = "NEW"  # a new plan, at a service address


@dataclass(frozen=True, slots=True)
class PlanRequest:
    id: str
    customer_id: str
    kind: PlanRequestKind
    subscription_id: str | None
    from_plan_id: str | None
    to_plan_id: str
    service_address: str | None
    comment: str | None
    ticket_id: str | None
    status: str
    created_at: datetime


async def add_plan_request(
    conn: AsyncConnection,
    *,
    customer_id: str,
    kind: PlanRequestKind,
    to_plan_id: str,
    subscription_id: str | None = None,
    from_plan_id: str | None = None,
    service_address: str | None = None,
    comment: str | None = None,
    requested_by: str | None = None,
) -> str:
    result = await conn.execute(
        insert(plan_requests).values(
            customer_id=customer_id, kind=kind.value, subscription_id=subscription_id, from_plan_id=from_plan_id,
            to_plan_id=to_plan_id, service_address=service_address, comment=comment, status="PENDING",
            created_at=now(), requested_by=requested_by,
        )
    )  # fmt: skip
    return str(result.inserted_primary_key[0])  # type: ignore[index]  # an INSERT always has one


async def set_plan_request_ticket(conn: AsyncConnection, request_id: str, ticket_id: str) -> None:
    await conn.execute(update(plan_requests).where(plan_requests.c.id == int(request_id)).values(ticket_id=ticket_id))


def _plan_request(row: Any) -> PlanRequest:
    return PlanRequest(
        id=str(row.id), customer_id=row.customer_id, kind=PlanRequestKind(row.kind), subscription_id=row.subscription_id,
        from_plan_id=row.from_plan_id, to_plan_id=row.to_plan_id, service_address=row.service_address,
        comment=row.comment, ticket_id=row.ticket_id, status=row.status,
        created_at=aware(row.created_at) or row.created_at,
    )  # fmt: skip


async def plan_request_by_id(conn: AsyncConnection, request_id: str) -> PlanRequest | None:
    native = _receipt_id(request_id)
    if native is None:
        return None
    row = (await conn.execute(select(plan_requests).where(plan_requests.c.id == native))).first()
    return None if row is None else _plan_request(row)


async def plan_requests_of(conn: AsyncConnection, customer_id: str, limit: int = 100) -> list[PlanRequest]:
    """A customer's plan requests, newest first."""
    c = plan_requests.c
    rows = await conn.execute(
        select(plan_requests).where(c.customer_id == customer_id).order_by(c.id.desc()).limit(limit)
    )
    return [_plan_request(r) for r in rows]
