"""requestPaymentCommitment (FEATURES.md B11): promise to pay what is owed within a few days.

The rules (days allowed, cool-down, what it covers, the promised date) are rules/commitments.py's;
where it is written is the routing's (`commitment_target`): the native table, the store's table
for customers of a legacy source, or the legacy source that takes commitments (ISPCube).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize
from ..connectors.base import CommitmentWriter
from ..connectors.records import Customer, NewCommitment, PaymentCommitment, PaymentCommitmentStatus
from ..connectors.routing import KEPT, NATIVE, commitment_target
from ..errors import ApiError
from ..rules.commitments import (
    ZERO,
    CommitmentRules,
    Committed,
    CoolDown,
    active_on,
    business_day,
    committed,
    covered_amount,
    promised_date,
)
from ..settings import Feature
from ..store import commitments as store
from ..store.access import now
from ..store.counters import take
from ..store.events import DomainEvent
from .actions import Action, Done, audited, perform
from .context import Context

EVENT = "PaymentCommitmentRequested"


def commitment_rules(ctx: Context) -> CommitmentRules:
    settings = ctx.settings
    return CommitmentRules(max_days=settings.commitments_max_days, cool_down_days=settings.commitments_cool_down_days)


def counter_key(customer_id: str) -> str:
    """The cool-down counter of an account (store/counters.py)."""
    return f"payment_commitments:{customer_id}"


@dataclass(frozen=True, slots=True)
class Requested:
    """The commitment a request created (or the first answer of its idempotency key)."""

    commitment: PaymentCommitment


@audited("requestPaymentCommitment")
async def request_payment_commitment(
    ctx: Context, customer_id: str | None, days: int, idempotency_key: str | None
) -> Requested:
    """A new commitment for `customer_id` (default: the caller's account) of what it owes, to be
    paid within `days`; the refusals are ApiErrors (COOL_DOWN is a `CoolDown`, with its date)."""
    try:
        account = acting_account(ctx.principal, customer_id)
        refused: ApiError | None = None
    except ApiError as refusal:  # refused in the work, so that perform audits it like every refusal
        account, refused = customer_id or "", refusal
    action = Action(
        mutation="requestPaymentCommitment",
        customer_id=account or None,
        request={"customerId": account, "days": days},
        idempotency_key=idempotency_key,
        feature=Feature.PAYMENT_COMMITMENTS,
    )
    rules = commitment_rules(ctx)

    async def work(conn: AsyncConnection) -> Done:
        if refused is not None:
            raise refused
        rules.check_days(days)
        today = ctx.today
        full = await take(conn, counter_key(account), 1, rules.cool_down_ends(today, ctx.settings.timezone))
        if full is not None:
            raise CoolDown(business_day(full.until, ctx.settings.timezone))
        totals = await ctx.loaders.account_by_customer.load(account)
        new = NewCommitment(
            customer_id=account,
            requested_at=now(),
            days=days,
            promised_date=promised_date(today, days),
            amount=covered_amount(totals.unpaid_total),
            currency=totals.currency,
        )
        commitment_id = await _write(ctx, conn, new)
        answer = _answer(commitment_id, new)
        event = DomainEvent(EVENT, account, {"commitmentId": commitment_id, "days": days,
                                             "promisedDate": answer["promisedDate"], "amount": answer["amount"],
                                             "currency": new.currency})  # fmt: skip
        return Done(answer=answer, events=[event], object_id=commitment_id)

    answer = await perform(ctx, action, work)
    return Requested(await _reloaded(ctx, answer))


async def _write(ctx: Context, conn: AsyncConnection, new: NewCommitment) -> str:
    target = commitment_target(ctx.services.source)
    if target == NATIVE:
        return await store.insert_native(conn, new)
    if target == KEPT:
        return await store.insert_kept(conn, new)
    writer = cast(CommitmentWriter, target)  # a legacy source that declares the write (ISPCube)
    return await writer.add_payment_commitment(conn, new)


def _answer(commitment_id: str, new: NewCommitment) -> dict[str, Any]:
    return {
        "id": commitment_id,
        "customerId": new.customer_id,
        "requestedAt": new.requested_at.isoformat(),
        "days": new.days,
        "promisedDate": new.promised_date.isoformat(),
        "amount": str(new.amount),
        "currency": new.currency,
    }


async def _reloaded(ctx: Context, answer: dict[str, Any]) -> PaymentCommitment:
    """The commitment as the customer's list reads it now; as the answer says when it is not listed."""
    listed = await ctx.loaders.payment_commitments_by_customer.load(answer["customerId"])
    for commitment in listed:
        if commitment.id == answer["id"]:
            return commitment
    return PaymentCommitment(
        id=answer["id"],
        customer_id=answer["customerId"],
        requested_at=datetime.fromisoformat(answer["requestedAt"]),
        days=answer["days"],
        promised_date=date.fromisoformat(answer["promisedDate"]),
        amount=Decimal(answer["amount"]),
        currency=answer["currency"],
        status=PaymentCommitmentStatus.ACTIVE,
    )


# --- what the customer sees: the dashboard's committed figure, the statement's list ----------------


async def account_committed(ctx: Context, customer: Customer, unpaid_total: Decimal) -> Committed:
    """What active commitments cover of what `customer` owes now (nothing with the feature off)."""
    authorize(ctx.principal, customer)
    if Feature.PAYMENT_COMMITMENTS not in await ctx.features():
        return Committed(ZERO, None)
    found = await ctx.loaders.payment_commitments_by_customer.load(customer.id)
    return committed(found, unpaid_total, ctx.today)


async def statement_commitments(ctx: Context, customer: Customer, cut_off: date) -> list[PaymentCommitment]:
    """The commitments active at a statement's cut-off, newest first (none with the feature off)."""
    authorize(ctx.principal, customer)
    if Feature.PAYMENT_COMMITMENTS not in await ctx.features():
        return []
    found = await ctx.loaders.payment_commitments_by_customer.load(customer.id)
    return [c for c in found if active_on(c, cut_off, ctx.settings.timezone)]
