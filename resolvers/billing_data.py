"""updateBillingInfo and its review (FEATURES.md B13): name, tax id, tax condition, address.

A customer (or a partner with billing:write) asks for a change; the tax id is checked with its
country's check digits (rules/billing_data.py: the customer's country is the business's,
`[portal] country`) and a placeholder is never accepted. Per deployment (`[billing_data] review`)
the change is APPLIED at once or PENDING_REVIEW until an agent or admin decides
(decideBillingInfoChange: APPLIED, or REJECTED with a reason). Each change is a
`billing_changes` row of the store; the ERP learns of it from the events
BillingInfoChangeRequested and BillingInfoChangeDecided (the portal does not write the
customer's master data itself), and the customer sees its state (Customer.billingInfoChanges).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncConnection

from ..auth.ownership import acting_account, authorize
from ..connectors.records import Customer
from ..errors import ApiError, ErrorCode, not_found
from ..rules.billing_data import checked_tax_id
from ..settings import Feature
from ..store import billing_data as stored
from ..store.billing_data import APPLIED, PENDING, REJECTED, BillingChange
from ..store.events import DomainEvent
from .actions import Action, Done, perform
from .context import Context

LIMITS = {"name": 200, "taxCondition": 60, "address": 300, "reason": 300}


def _text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > LIMITS[field]:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", field], detail=f"{field} (1..{LIMITS[field]})")
    return text


async def update_billing_info(
    ctx: Context, customer_id: str | None, name: str | None, tax_id: str | None, tax_condition: str | None,
    address: str | None, idempotency_key: str | None,
) -> BillingChange:  # fmt: skip
    account = acting_account(ctx.principal, customer_id)
    (customer,) = await ctx.loaders.source.customers_by_id([account])
    if customer is None:
        raise not_found("Customer")
    authorize(ctx.principal, customer)
    values = {"name": _text(name, "name"), "tax_condition": _text(tax_condition, "taxCondition"),
              "address": _text(address, "address"), "tax_id": None, "tax_kind": None}  # fmt: skip
    if tax_id is not None:
        values["tax_kind"], values["tax_id"] = checked_tax_id(tax_id, ctx.settings.country)
    if all(v is None for v in values.values()):
        raise ApiError(
            ErrorCode.BAD_INPUT, field=["input"], detail="nada que cambiar", detail_en="nothing to change"
        )
    state = PENDING if ctx.settings.billing_data_review else APPLIED
    principal = ctx.principal

    async def work(conn: AsyncConnection) -> Done:
        change_id = await stored.insert_change(
            conn, account, state, principal.actor, datetime.now(UTC), values
        )
        payload = {"changeId": change_id, "state": state, "name": values["name"], "taxId": values["tax_id"],
                   "taxKind": values["tax_kind"], "taxCondition": values["tax_condition"],
                   "address": values["address"]}  # fmt: skip
        return Done(
            {"id": change_id}, [DomainEvent("BillingInfoChangeRequested", account, payload)], change_id
        )

    request = {"customerId": account, **values}
    action = Action("updateBillingInfo", account, request, idempotency_key, Feature.BILLING_DATA_UPDATE)
    answer = await perform(ctx, action, work)
    return await change(ctx, answer["id"])


async def decide_billing_info_change(
    ctx: Context, change_id: str, approve: bool, reason: str | None, idempotency_key: str | None
) -> BillingChange:
    """Staff (agents, admins) apply or reject a change waiting for review; a rejection says why."""
    found = await change(ctx, change_id)
    why = _text(reason, "reason")
    if not approve and why is None:
        raise ApiError(ErrorCode.BAD_INPUT, field=["input", "reason"], detail="el motivo del rechazo",
                       detail_en="the reason of the rejection")  # fmt: skip
    state = APPLIED if approve else REJECTED

    async def work(conn: AsyncConnection) -> Done:
        if not await stored.decide(conn, found.id, state, why, ctx.principal.actor, datetime.now(UTC)):
            raise ApiError(ErrorCode.BAD_INPUT, field=["input", "changeId"], detail="el cambio ya fue decidido",
                           detail_en="the change was already decided")  # fmt: skip
        event = DomainEvent("BillingInfoChangeDecided", found.customer_id,
                            {"changeId": found.id, "state": state, "reason": why})  # fmt: skip
        return Done({"id": found.id}, [event], found.id)

    action = Action("decideBillingInfoChange", found.customer_id, {"changeId": found.id, "approve": approve,
                    "reason": why}, idempotency_key)  # fmt: skip
    await perform(ctx, action, work)
    return await change(ctx, found.id, fresh=True)


async def change(ctx: Context, change_id: str, fresh: bool = False) -> BillingChange:
    """A change, if the caller may see it (its account's users, staff); NOT_FOUND otherwise."""
    if not change_id.isdigit() or len(change_id) > 9:
        raise not_found("object")
    loader = _loader(ctx)
    if fresh:
        loader.clear(change_id)
    found = await loader.load(change_id)
    if found is None:
        raise not_found("object")
    if not ctx.principal.is_staff:
        acting_account(ctx.principal, found.customer_id)
    return found


_LOADERS: weakref.WeakKeyDictionary[Any, DataLoader] = weakref.WeakKeyDictionary()


def _loader(ctx: Context) -> DataLoader:
    loader = _LOADERS.get(ctx.loaders)
    if loader is None:
        store = ctx.services.store

        async def batch(ids: Sequence[str]) -> list[BillingChange | None]:
            found = await store.read(lambda conn: stored.changes_by_id(conn, ids))
            return [found.get(i) for i in ids]

        loader = _LOADERS[ctx.loaders] = DataLoader(batch_load_fn=batch, max_batch_size=500)
    return loader


async def changes_of(ctx: Context, customer: Customer) -> list[BillingChange]:
    """The account's billing data changes, newest first."""
    authorize(ctx.principal, customer)
    return await ctx.services.store.read(lambda conn: stored.changes_of(conn, customer.id))
